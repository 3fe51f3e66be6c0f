//! bzip2 (not implemented yet).

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Bzip2;

impl Format for Bzip2 {
    fn name(&self) -> &'static str {
        "bzip2"
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
        Err(Error::bad("bzip2 is not implemented yet"))
    }
}
