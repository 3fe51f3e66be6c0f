//! romfs (not implemented yet).

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Romfs;

impl Format for Romfs {
    fn name(&self) -> &'static str {
        "romfs"
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
        Err(Error::bad("romfs is not implemented yet"))
    }
}
