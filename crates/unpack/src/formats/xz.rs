//! xz (not implemented yet).

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Xz;

impl Format for Xz {
    fn name(&self) -> &'static str {
        "xz"
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
        Err(Error::bad("xz is not implemented yet"))
    }
}
