//! Every format baseliner knows, one module each. Add a module, then list it in [`all`].

use crate::Format;

pub mod gzip;
pub mod tar;

/// All formats in the order their candidates win when two start at the same offset:
/// file systems and archives before the compressors that could also match inside them.
pub fn all() -> Vec<&'static dyn Format> {
    vec![&tar::Tar, &gzip::Gzip]
}

/// Reads a little- or big-endian integer at `off`, or `None` past the end.
pub fn u16_at(d: &[u8], off: usize, be: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    })
}

pub fn u32_at(d: &[u8], off: usize, be: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

pub fn u64_at(d: &[u8], off: usize, be: bool) -> Option<u64> {
    let b: [u8; 8] = d.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(b)
    } else {
        u64::from_le_bytes(b)
    })
}

/// A NUL-terminated string from a fixed-size field, lossily decoded.
pub fn cstr(d: &[u8]) -> String {
    let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
    String::from_utf8_lossy(&d[..end]).into_owned()
}
