//! The C2SP tlog-tiles layout (`c2sp.org/tlog-tiles`): level-L tiles hold up to 256
//! hashes of subtrees of 256^L leaves; entry bundles hold up to 256 entries, each
//! prefixed by its big-endian 16-bit length. Tile indexes are written as 3-digit
//! path elements, all but the last prefixed `x`. A partial tile (fewer than 256
//! hashes, only at the log's right edge) is named `<N>.p/<W>`.

use crate::Error;
use crate::tree::Tree;

/// Hashes per full tile, entries per full bundle.
pub const TILE_WIDTH: u64 = 256;

/// One tile or entry bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRef {
    /// Tile level; `None` for an entry bundle.
    pub level: Option<u8>,
    pub index: u64,
    /// Number of hashes (entries), 1..=256.
    pub width: u64,
}

fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// The path of a tile below the log prefix, such as `tile/0/x001/234.p/7`.
pub fn tile_path(t: &TileRef) -> String {
    let level = match t.level {
        Some(l) => l.to_string(),
        None => "entries".into(),
    };
    let mut p = format!("tile/{level}/{}", encode_index(t.index));
    if t.width < TILE_WIDTH {
        p.push_str(&format!(".p/{}", t.width));
    }
    p
}

/// Parses the part of a tile path after `tile/`.
pub fn parse_tile_path(rest: &str) -> Result<TileRef, Error> {
    let bad = |m: &str| Error::Request(format!("tile path `{rest}`: {m}"));
    if rest.len() > 200 {
        return Err(bad("too long"));
    }
    let (level_s, after) = rest.split_once('/').ok_or_else(|| bad("no level"))?;
    let level = if level_s == "entries" {
        None
    } else {
        let l: u8 = level_s.parse().map_err(|_| bad("level is not a number"))?;
        if l > 63 || level_s.len() > 2 || (level_s.len() > 1 && level_s.starts_with('0')) {
            return Err(bad("level out of range"));
        }
        Some(l)
    };
    let (index_s, width) = match after.split_once(".p/") {
        Some((i, w)) => {
            let w: u64 = w
                .parse()
                .map_err(|_| bad("partial width is not a number"))?;
            if !(1..TILE_WIDTH).contains(&w) || w.to_string().len() != after.len() - i.len() - 3 {
                return Err(bad("partial width must be 1..255 without leading zeros"));
            }
            (i, w)
        }
        None => (after, TILE_WIDTH),
    };
    let parts: Vec<&str> = index_s.split('/').collect();
    let mut index: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x')
                .ok_or_else(|| bad("inner index elements start with x"))?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("index elements are three digits"));
        }
        index = index
            .checked_mul(1000)
            .and_then(|v| v.checked_add(digits.parse::<u64>().expect("digits")))
            .ok_or_else(|| bad("index too large"))?;
    }
    if parts.len() > 1 && parts[0] == "x000" {
        return Err(bad("index has a leading zero group"));
    }
    Ok(TileRef {
        level,
        index,
        width,
    })
}

impl Tree {
    /// The bytes of a hash tile, if the tree has it at exactly that width. Full tiles
    /// are immutable; a partial tile of width W stays valid forever too (the tile at
    /// that position only ever grows under a new name).
    pub fn tile(&self, t: &TileRef) -> Option<Vec<u8>> {
        let level = t.level? as usize * 8;
        let hashes = self.level(level);
        let start = t.index.checked_mul(TILE_WIDTH)? as usize;
        let end = start.checked_add(t.width as usize)?;
        if end > hashes.len() || t.width == 0 || t.width > TILE_WIDTH {
            return None;
        }
        Some(
            hashes[start..end]
                .iter()
                .flat_map(|h| h.iter().copied())
                .collect(),
        )
    }

    /// The tiles a client needs for the tree of the current size, as paths: every
    /// level's last (possibly partial) tile. Useful to list what a mirror must copy.
    pub fn edge_tiles(&self) -> Vec<TileRef> {
        let mut out = Vec::new();
        let mut level = 0u8;
        loop {
            let n = self.level(level as usize * 8).len() as u64;
            if n == 0 {
                break;
            }
            let (full, rem) = (n / TILE_WIDTH, n % TILE_WIDTH);
            if rem > 0 {
                out.push(TileRef {
                    level: Some(level),
                    index: full,
                    width: rem,
                });
            } else {
                out.push(TileRef {
                    level: Some(level),
                    index: full - 1,
                    width: TILE_WIDTH,
                });
            }
            level += 1;
        }
        out
    }
}

/// An entry bundle: each entry as a big-endian u16 length then its bytes.
pub fn entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len())
            .map_err(|_| Error::Request("an entry is longer than 65535 bytes".into()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}
