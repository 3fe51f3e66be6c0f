//! lzma (not implemented yet).

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Lzma;

impl Format for Lzma {
    fn name(&self) -> &'static str {
        "lzma"
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn probe(&self, _data: &[u8], _start: usize) -> Option<Probe> {
        None
    }
    fn extract(
        &self,
        _data: &[u8],
        _start: usize,
        _probe: &Probe,
        _sink: &mut Sink,
    ) -> Result<u64, Error> {
        Err(Error::bad("lzma is not implemented yet"))
    }
}
