//! Flattened device trees (`0xd00dfeed`) and the U-Boot FIT images built on them.
//!
//! A FIT image is a device tree whose `/images/<name>` nodes hold payloads, either
//! inline (`data`) or after the tree (`data-offset` from the end of the tree, or
//! `data-position` from its start, with `data-size`). Each payload is written as
//! `<name>.<compression>` so the driver's recursion decompresses it; `crc32` and
//! `sha256` hash nodes are verified. A tree without `/images` is a plain device tree
//! blob: recorded as a header, since it holds no files.
//!
//! The walker is our own (a few dozen lines): every token advances the cursor, and
//! the cursor is bounded by the structure block, so hostile trees cannot loop.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct Fit;

const MAGIC: [u8; 4] = [0xd0, 0x0d, 0xfe, 0xed];
const HEADER_LEN: usize = 40;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
const MAX_DEPTH: usize = 64;
/// Real trees have hundreds of nodes, FITs a handful; more is not a device tree.
const MAX_NODES: usize = 100_000;

/// One node of the tree. Only the name and depth are kept (not the full path), so
/// memory stays linear in the structure size whatever the nesting.
struct Node<'a> {
    name: String,
    /// 0 for the root.
    depth: usize,
    /// Whether the parent is `/images` (the node is a FIT payload).
    in_images: bool,
    props: Vec<(String, &'a [u8])>,
}

impl<'a> Node<'a> {
    fn prop(&self, name: &str) -> Option<&'a [u8]> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
    fn text(&self, name: &str) -> Option<String> {
        self.prop(name).map(cstr)
    }
    fn u32(&self, name: &str) -> Option<u32> {
        self.prop(name).and_then(|v| u32_at(v, 0, true))
    }
}

struct Tree<'a> {
    version: u32,
    total: usize,
    nodes: Vec<Node<'a>>,
}

fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|v| v & !3)
}

/// Parses the header and walks the structure block of the tree at the start of `d`.
fn parse(d: &[u8]) -> Option<Tree<'_>> {
    if d.get(..4)? != MAGIC {
        return None;
    }
    let be = |o| u32_at(d, o, true).map(|v| v as usize);
    let total = be(4)?;
    let off_struct = be(8)?;
    let off_strings = be(12)?;
    let version = be(20)? as u32;
    let last_comp = be(24)? as u32;
    if !((16..=17).contains(&version) || (version > 17 && last_comp <= 17)) {
        return None;
    }
    if total < HEADER_LEN || total > d.len() || off_struct < HEADER_LEN || off_strings > total {
        return None;
    }
    let size_strings = be(32)?;
    let struct_end = if version >= 17 {
        off_struct.checked_add(be(36)?)?
    } else {
        total
    };
    if struct_end > total || off_strings.checked_add(size_strings)? > total {
        return None;
    }
    let blob = d.get(..total)?;
    let strings = blob.get(off_strings..off_strings + size_strings)?;
    let mut nodes = Vec::new();
    // Index of the open node of each depth, so properties attach to the right one.
    let mut open: Vec<usize> = Vec::new();
    let mut p = off_struct;
    loop {
        if p >= struct_end {
            return None;
        }
        let tok = u32_at(blob, p, true)?;
        p += 4;
        match tok {
            BEGIN_NODE => {
                let rest = blob.get(p..struct_end)?;
                let len = memchr::memchr(0, rest)?;
                let name = String::from_utf8_lossy(&rest[..len]).into_owned();
                p = align4(p + len + 1)?;
                if open.len() >= MAX_DEPTH || nodes.len() >= MAX_NODES {
                    return None;
                }
                let in_images = open.len() == 2
                    && open
                        .last()
                        .and_then(|&i| nodes.get(i))
                        .is_some_and(|p: &Node| p.depth == 1 && p.name == "images");
                open.push(nodes.len());
                nodes.push(Node {
                    name,
                    depth: open.len() - 1,
                    in_images,
                    props: Vec::new(),
                });
            }
            END_NODE => {
                open.pop()?;
                if open.is_empty() {
                    // The root closed: only END (and NOPs) may follow.
                    while u32_at(blob, p, true) == Some(NOP) {
                        p += 4;
                    }
                    return (u32_at(blob, p, true)? == END).then_some(Tree {
                        version,
                        total,
                        nodes,
                    });
                }
            }
            PROP => {
                let len = be(p).filter(|_| p + 8 <= struct_end)?;
                let name_off = be(p + 4)?;
                p += 8;
                let end = p.checked_add(len)?;
                let value = blob.get(p..end).filter(|_| end <= struct_end)?;
                p = align4(end)?;
                let name = cstr(strings.get(name_off..)?);
                let node = nodes.get_mut(*open.last()?)?;
                node.props.push((name, value));
            }
            NOP => {}
            _ => return None,
        }
    }
}

/// One payload of a FIT image.
struct Image<'a> {
    name: String,
    kind: String,
    compression: String,
    arch: String,
    /// The payload, or why it could not be located.
    data: Result<&'a [u8], String>,
    /// End of an external payload, from the start of the FIT.
    external_end: usize,
    hash: &'static str,
}

fn images<'a>(d: &'a [u8], t: &Tree<'a>) -> Vec<Image<'a>> {
    let mut out = Vec::new();
    for (i, n) in t.nodes.iter().enumerate() {
        if !n.in_images {
            continue;
        }
        let mut external_end = 0;
        let data = if let Some(v) = n.prop("data") {
            Ok(v)
        } else {
            let size = n.u32("data-size").map(|v| v as usize);
            let at = n
                .u32("data-position")
                .map(|v| Some(v as usize))
                .or_else(|| {
                    n.u32("data-offset")
                        .map(|o| align4(t.total).and_then(|b| b.checked_add(o as usize)))
                })
                .flatten();
            match (at, size) {
                (Some(at), Some(size)) => match at.checked_add(size) {
                    Some(end) if end <= d.len() => {
                        external_end = end;
                        Ok(&d[at..end])
                    }
                    _ => Err(format!(
                        "external data 0x{at:x}+{size} runs past the end of the data"
                    )),
                },
                _ => Err("no data, nor data-offset/data-position with data-size".into()),
            }
        };
        // Hash nodes are the children of this image node.
        let mut hash = "unchecked";
        if let Ok(bytes) = data {
            for h in t.nodes.iter().skip(i + 1) {
                if h.depth <= n.depth {
                    break;
                }
                let (Some(algo), Some(value)) = (h.text("algo"), h.prop("value")) else {
                    continue;
                };
                let ok = match algo.as_str() {
                    "crc32" => Some(crc32fast::hash(bytes).to_be_bytes().as_slice() == value),
                    "sha256" => Some(Sha256::digest(bytes).as_slice() == value),
                    _ => None,
                };
                match ok {
                    Some(true) if hash != "MISMATCH" => hash = "ok",
                    Some(false) => hash = "MISMATCH",
                    _ => {}
                }
            }
        }
        out.push(Image {
            name: n.name.clone(),
            kind: n.text("type").unwrap_or_default(),
            compression: n.text("compression").unwrap_or_else(|| "none".into()),
            arch: n.text("arch").unwrap_or_default(),
            data,
            external_end,
            hash,
        });
    }
    out
}

fn extension(img: &Image) -> &'static str {
    match img.compression.as_str() {
        "gzip" => "gz",
        "bzip2" => "bz2",
        "lzma" => "lzma",
        "lzo" => "lzo",
        "lz4" => "lz4",
        "zstd" => "zst",
        "xz" => "xz",
        _ if img.kind == "flat_dt" => "dtb",
        _ => "bin",
    }
}

fn root_text(t: &Tree, name: &str) -> Option<String> {
    t.nodes.first().and_then(|r| r.text(name))
}

impl Format for Fit {
    fn name(&self) -> &'static str {
        "fit"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(&MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let t = parse(d)?;
        let has_images = t.nodes.iter().any(|n| n.depth == 1 && n.name == "images");
        if !has_images {
            let mut desc = format!("flattened device tree v{}, {} bytes", t.version, t.total);
            if let Some(m) = root_text(&t, "model") {
                desc += &format!(", model {m:?}");
            }
            if let Some(c) = root_text(&t, "compatible") {
                desc += &format!(", compatible {c:?}");
            }
            return Some(Probe::header(t.total as u64, desc));
        }
        let imgs = images(d, &t);
        let list: Vec<String> = imgs
            .iter()
            .map(|i| {
                let size = match &i.data {
                    Ok(b) => format!("{} bytes", b.len()),
                    Err(e) => e.clone(),
                };
                format!(
                    "{} ({} {} {}, {size}, hash {})",
                    i.name, i.kind, i.arch, i.compression, i.hash
                )
            })
            .collect();
        let end = imgs
            .iter()
            .map(|i| i.external_end)
            .fold(t.total, usize::max);
        let mut desc = String::from("U-Boot FIT image");
        if let Some(s) = root_text(&t, "description") {
            desc += &format!(" {s:?}");
        }
        if let Some(ts) = t.nodes.first().and_then(|r| r.u32("timestamp")) {
            desc += &format!(", created {}", crate::formats::uimage::utc(ts));
        }
        desc += &format!(", {} images: {}", imgs.len(), list.join("; "));
        Some(Probe::extract(Some(end as u64), Confidence::Strong, desc))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or_default();
        let t = parse(d).ok_or_else(|| {
            Error::bad(format!("FIT at 0x{start:x}: device tree no longer valid"))
        })?;
        let mut used = HashSet::new();
        let mut end = t.total;
        for img in images(d, &t) {
            let bytes = match img.data {
                Ok(b) => b,
                Err(e) => {
                    sink.warn(format!("FIT at 0x{start:x}, image {:?}: {e}", img.name));
                    continue;
                }
            };
            if img.hash == "MISMATCH" {
                sink.warn(format!(
                    "FIT at 0x{start:x}, image {:?}: hash mismatch; extracted anyway",
                    img.name
                ));
            }
            let stem: String = img
                .name
                .chars()
                .map(|c| if c == '/' || c == '\\' { '_' } else { c })
                .collect();
            let mut name = format!("{stem}.{}", extension(&img));
            let mut n = 1;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{n}.{}", extension(&img));
                n += 1;
            }
            sink.file_bytes(&name, 0o644, bytes)?;
            end = end.max(img.external_end);
        }
        Ok(end as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal tree builder: nodes and properties in document order.
    enum Tok<'a> {
        Begin(&'a str),
        Prop(&'a str, &'a [u8]),
        End,
    }

    fn build(toks: &[Tok]) -> Vec<u8> {
        let mut st = Vec::new();
        let mut strings: Vec<u8> = Vec::new();
        for t in toks {
            match t {
                Tok::Begin(n) => {
                    st.extend_from_slice(&BEGIN_NODE.to_be_bytes());
                    st.extend_from_slice(n.as_bytes());
                    st.push(0);
                    while st.len() % 4 != 0 {
                        st.push(0);
                    }
                }
                Tok::Prop(n, v) => {
                    let off = strings.len() as u32;
                    strings.extend_from_slice(n.as_bytes());
                    strings.push(0);
                    st.extend_from_slice(&PROP.to_be_bytes());
                    st.extend_from_slice(&(v.len() as u32).to_be_bytes());
                    st.extend_from_slice(&off.to_be_bytes());
                    st.extend_from_slice(v);
                    while st.len() % 4 != 0 {
                        st.push(0);
                    }
                }
                Tok::End => st.extend_from_slice(&END_NODE.to_be_bytes()),
            }
        }
        st.extend_from_slice(&END.to_be_bytes());
        let off_struct = 56u32;
        let off_strings = off_struct + st.len() as u32;
        let total = off_strings + strings.len() as u32;
        let mut d = Vec::new();
        for v in [
            0xd00d_feedu32,
            total,
            off_struct,
            off_strings,
            40,
            17,
            16,
            0,
            strings.len() as u32,
            st.len() as u32,
        ] {
            d.extend_from_slice(&v.to_be_bytes());
        }
        d.resize(56, 0);
        d.extend_from_slice(&st);
        d.extend_from_slice(&strings);
        d
    }

    #[test]
    fn walks_images_and_checks_hashes() {
        let crc = crc32fast::hash(b"payload").to_be_bytes();
        let d = build(&[
            Tok::Begin(""),
            Tok::Begin("images"),
            Tok::Begin("kernel"),
            Tok::Prop("data", b"payload"),
            Tok::Prop("compression", b"gzip\0"),
            Tok::Begin("hash-1"),
            Tok::Prop("algo", b"crc32\0"),
            Tok::Prop("value", &crc),
            Tok::End,
            Tok::End,
            Tok::End,
            Tok::End,
        ]);
        let t = parse(&d).unwrap();
        let imgs = images(&d, &t);
        assert_eq!(imgs.len(), 1);
        assert_eq!(imgs[0].name, "kernel");
        assert_eq!(imgs[0].data, Ok(&b"payload"[..]));
        assert_eq!(imgs[0].hash, "ok");
        assert_eq!(extension(&imgs[0]), "gz");
        // External data after the tree, by offset from its 4-aligned end.
        let mut d = build(&[
            Tok::Begin(""),
            Tok::Begin("images"),
            Tok::Begin("rootfs"),
            Tok::Prop("data-offset", &4u32.to_be_bytes()),
            Tok::Prop("data-size", &3u32.to_be_bytes()),
            Tok::End,
            Tok::End,
            Tok::End,
        ]);
        d.resize(align4(d.len()).unwrap(), 0);
        d.extend_from_slice(b"pad_XYZ");
        let t = parse(&d).unwrap();
        let imgs = images(&d, &t);
        assert_eq!(imgs[0].data, Ok(&b"XYZ"[..]));
        assert_eq!(imgs[0].external_end, d.len());
        assert_eq!(imgs[0].hash, "unchecked");
        // Past the end: reported, not read.
        d.truncate(d.len() - 1);
        let t = parse(&d).unwrap();
        assert!(images(&d, &t)[0].data.is_err());
        // Unbalanced trees are rejected.
        let bad = build(&[Tok::Begin(""), Tok::Begin("images"), Tok::End]);
        assert!(parse(&bad).is_none());
    }
}
