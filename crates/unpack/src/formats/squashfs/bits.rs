//! Field access for squashfs structures. Versions 1 to 3 pack inode and directory
//! headers as C bit fields, whose layout depends on the byte order: little-endian
//! images fill each byte from its least significant bit, big-endian ones from its
//! most significant bit. Every field is therefore named by a bit position and a
//! width, which also covers the byte-aligned integers of version 4.

/// Reads `width` bits (1..=64) starting `pos` bits into `d`, or `None` past the end.
pub fn bits(d: &[u8], pos: usize, width: u32, be: bool) -> Option<u64> {
    if width == 0 || width > 64 {
        return None;
    }
    let first = pos / 8;
    let shift = (pos % 8) as u32;
    let nbytes = (shift + width).div_ceil(8) as usize;
    let bytes = d.get(first..first.checked_add(nbytes)?)?;
    let mask: u128 = (1u128 << width) - 1;
    let v: u128 = if be {
        let acc = bytes.iter().fold(0u128, |a, &b| (a << 8) | b as u128);
        acc >> (nbytes as u32 * 8 - shift - width)
    } else {
        let acc = bytes.iter().rev().fold(0u128, |a, &b| (a << 8) | b as u128);
        acc >> shift
    };
    Some((v & mask) as u64)
}

/// Byte-aligned integer of `len` bytes at byte `off`.
pub fn int(d: &[u8], off: usize, len: usize, be: bool) -> Option<u64> {
    bits(d, off.checked_mul(8)?, (len * 8) as u32, be)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders() {
        // type:4 mode:12 as written by a little-endian and a big-endian host.
        let le = [0x42u8, 0x1f];
        assert_eq!(bits(&le, 0, 4, false), Some(2));
        assert_eq!(bits(&le, 4, 12, false), Some(0x1f4));
        let be = [0x21u8, 0xf4];
        assert_eq!(bits(&be, 0, 4, true), Some(2));
        assert_eq!(bits(&be, 4, 12, true), Some(0x1f4));
        assert_eq!(int(&[1, 0, 0, 0], 0, 4, false), Some(1));
        assert_eq!(int(&[0, 0, 0, 1], 0, 4, true), Some(1));
        assert_eq!(int(&[0, 0, 0], 0, 4, true), None);
    }
}
