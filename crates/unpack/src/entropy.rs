//! Classifies the stretches of a file that no known format explains.

use crate::report::{Region, RegionClass};

/// Shannon entropy of `data` in bits per byte.
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Classifies one stretch of bytes.
pub fn classify(data: &[u8]) -> (RegionClass, f64) {
    let e = shannon(data);
    if data.iter().all(|&b| b == data[0]) {
        return (RegionClass::Padding, e);
    }
    let printable = data
        .iter()
        .filter(|&&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b))
        .count();
    let class = if printable * 100 >= data.len() * 95 {
        RegionClass::Text
    } else if e > 7.5 {
        RegionClass::Compressed
    } else {
        RegionClass::Unknown
    };
    (class, e)
}

/// Splits the parts of `data` outside `covered` (offset, length) into regions of a
/// single class, working in 4 KiB blocks and merging neighbours of the same class.
pub fn gaps(data: &[u8], covered: &[(u64, u64)], file: &str) -> Vec<Region> {
    let mut spans: Vec<(u64, u64)> = covered.to_vec();
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut pos = 0u64;
    let total = data.len() as u64;
    let push_gap = |from: u64, to: u64, out: &mut Vec<Region>| {
        const BLOCK: u64 = 4096;
        let mut at = from;
        while at < to {
            let end = (at + BLOCK).min(to);
            let (class, e) = classify(&data[at as usize..end as usize]);
            match out.last_mut() {
                Some(r) if r.class == class && r.offset + r.length == at => {
                    let w = r.length as f64;
                    let l = (end - at) as f64;
                    r.entropy = (r.entropy * w + e * l) / (w + l);
                    r.length += end - at;
                }
                _ => out.push(Region {
                    file: file.to_string(),
                    offset: at,
                    length: end - at,
                    class,
                    entropy: e,
                }),
            }
            at = end;
        }
    };
    for (off, len) in spans {
        let off = off.min(total);
        if off > pos {
            push_gap(pos, off, &mut out);
        }
        pos = pos.max(off.saturating_add(len).min(total));
    }
    if pos < total {
        push_gap(pos, total, &mut out);
    }
    for r in &mut out {
        r.entropy = (r.entropy * 1000.0).round() / 1000.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify(&[0xff; 100]).0, RegionClass::Padding);
        assert_eq!(
            classify(b"hello world, this is text\n").0,
            RegionClass::Text
        );
        let noise: Vec<u8> = (0..65536u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(classify(&noise).0, RegionClass::Compressed);
    }

    #[test]
    fn gaps_skip_covered() {
        let data = vec![0u8; 10000];
        let r = gaps(&data, &[(100, 200)], "");
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].offset, r[0].length), (0, 100));
        assert_eq!((r[1].offset, r[1].length), (300, 9700));
    }
}
