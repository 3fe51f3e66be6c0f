//! yaffs2 (not implemented yet).

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Yaffs2;

impl Format for Yaffs2 {
    fn name(&self) -> &'static str {
        "yaffs2"
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
        Err(Error::bad("yaffs2 is not implemented yet"))
    }
}
