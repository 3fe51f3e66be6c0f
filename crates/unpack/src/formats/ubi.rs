//! UBI (the volume layer of raw NAND) and the UBIFS file systems it carries.
//!
//! A UBI image is a run of physical erase blocks (PEBs), each starting with an
//! erase-counter header (`UBI#`) that says where the volume-id header (`UBI!`) and the
//! data start. The VID header maps the PEB to (volume, logical block, sequence
//! number); the newest copy of each logical block wins. The layout volume holds the
//! volume table (names, types). Each volume holding UBIFS is extracted as a tree
//! below its name; any other volume is written out whole as `<name>.ubivol`, which
//! recursion then identifies. A bare UBIFS image (no UBI) is handled here too.

mod ubifs;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use super::{u32_at, u64_at};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Ubi;

const EC_MAGIC: &[u8] = b"UBI#";
const VID_MAGIC: &[u8] = b"UBI!";
const HDR_LEN: usize = 64;
const LAYOUT_VOL: u32 = 0x7fff_efff;
const VTBL_REC: usize = 172;
const MAX_VOLUMES: usize = 128;
const STATIC: u8 = 2;
/// Consecutive unreadable PEBs (bad blocks) tolerated before the image is taken to end.
const MAX_BAD_RUN: usize = 64;

/// UBI CRC: CRC-32 seeded with all ones, not inverted at the end.
fn crc(d: &[u8]) -> u32 {
    !crc32fast::hash(d)
}

#[derive(Debug, Clone, Copy)]
struct Ec {
    vid_off: usize,
    data_off: usize,
    image_seq: u32,
}

fn ec_header(d: &[u8], off: usize) -> Option<Ec> {
    let h = d.get(off..off.checked_add(HDR_LEN)?)?;
    if &h[..4] != EC_MAGIC || h[4] != 1 || u32_at(h, 60, true)? != crc(&h[..60]) {
        return None;
    }
    let vid_off = u32_at(h, 16, true)? as usize;
    let data_off = u32_at(h, 20, true)? as usize;
    if vid_off < HDR_LEN || !vid_off.is_multiple_of(8) || data_off < vid_off + HDR_LEN {
        return None;
    }
    Some(Ec {
        vid_off,
        data_off,
        image_seq: u32_at(h, 24, true)?,
    })
}

#[derive(Debug, Clone, Copy)]
struct Vid {
    vol_type: u8,
    vol_id: u32,
    lnum: u32,
    data_size: u32,
    used_ebs: u32,
    data_pad: u32,
    sqnum: u64,
}

fn vid_header(d: &[u8], off: usize) -> Option<Vid> {
    let h = d.get(off..off.checked_add(HDR_LEN)?)?;
    if &h[..4] != VID_MAGIC || h[4] != 1 || u32_at(h, 60, true)? != crc(&h[..60]) {
        return None;
    }
    Some(Vid {
        vol_type: h[5],
        vol_id: u32_at(h, 8, true)?,
        lnum: u32_at(h, 12, true)?,
        data_size: u32_at(h, 20, true)?,
        used_ebs: u32_at(h, 24, true)?,
        data_pad: u32_at(h, 28, true)?,
        sqnum: u64_at(h, 40, true)?,
    })
}

/// The layout of a UBI image found by scanning its PEBs.
struct Layout {
    peb: usize,
    ec: Ec,
    pebs: usize,
    end: usize,
    /// vol_id -> lnum -> (sqnum, PEB offset, VID header)
    vols: BTreeMap<u32, BTreeMap<u32, (u64, usize, Vid)>>,
    ignored: usize,
    /// PEBs inside the image that carry neither a valid header nor erased flash.
    damaged: usize,
}

fn layout(d: &[u8]) -> Option<Layout> {
    let ec = ec_header(d, 0)?;
    // The PEB size is the distance to the next erase-counter header.
    let peb = (9..=24)
        .map(|s| 1usize << s)
        .find(|&s| s > ec.data_off && ec_header(d, s).is_some())?;
    let mut l = Layout {
        peb,
        ec,
        pebs: 0,
        end: 0,
        vols: BTreeMap::new(),
        ignored: 0,
        damaged: 0,
    };
    let mut off = 0usize;
    let mut junk = 0usize;
    while off + HDR_LEN <= d.len() {
        let here = off;
        off = off.saturating_add(peb);
        let vid_at = match ec_header(d, here) {
            // A header from another UBI image (another image sequence) ends this one.
            Some(pec) if ec.image_seq != 0 && pec.image_seq != ec.image_seq => break,
            Some(pec) => Some(pec.vid_off),
            None if d[here..here + HDR_LEN].iter().all(|&b| b == 0xff) => None,
            // A damaged erase counter: UBI still uses the PEB if its VID header is
            // intact; a bad block or worn PEB is skipped, up to a run of them.
            None if vid_header(d, here + ec.vid_off).is_some() => Some(ec.vid_off),
            None => {
                junk += 1;
                if junk > MAX_BAD_RUN {
                    break;
                }
                continue;
            }
        };
        l.damaged += junk;
        junk = 0;
        l.end = off.min(d.len());
        let Some(v) = vid_at.and_then(|at| vid_header(d, here + at)) else {
            continue;
        };
        let e = l.vols.entry(v.vol_id).or_default();
        match e.get(&v.lnum) {
            Some((sq, _, _)) if *sq >= v.sqnum => {}
            _ => {
                e.insert(v.lnum, (v.sqnum, here, v));
            }
        }
    }
    l.pebs = l.end.div_ceil(peb);
    // A logical block beyond the PEB count cannot exist; drop such lies.
    let pebs = l.pebs as u32;
    for m in l.vols.values_mut() {
        let before = m.len();
        m.retain(|&lnum, _| lnum < pebs);
        l.ignored += before - m.len();
    }
    Some(l)
}

#[derive(Debug, Clone)]
struct VolInfo {
    name: String,
    vol_type: u8,
}

/// Reads the volume table from the layout volume (either copy).
fn volume_table(d: &[u8], l: &Layout) -> HashMap<u32, VolInfo> {
    let mut out = HashMap::new();
    let Some(lebs) = l.vols.get(&LAYOUT_VOL) else {
        return out;
    };
    let leb_size = l.peb - l.ec.data_off;
    for (_, off, _) in lebs.values() {
        let Some(t) = d.get(off + l.ec.data_off..(off + l.ec.data_off + leb_size).min(d.len()))
        else {
            continue;
        };
        for i in 0..(t.len() / VTBL_REC).min(MAX_VOLUMES) {
            let r = &t[i * VTBL_REC..(i + 1) * VTBL_REC];
            if u32_at(r, 168, true) != Some(crc(&r[..168])) {
                continue;
            }
            let reserved = u32_at(r, 0, true).unwrap_or(0);
            let name_len = (u32::from(r[14]) << 8 | u32::from(r[15])) as usize;
            if reserved == 0 || name_len == 0 || name_len > 127 {
                continue;
            }
            let name = String::from_utf8_lossy(&r[16..16 + name_len]).into_owned();
            out.entry(i as u32).or_insert(VolInfo {
                name,
                vol_type: r[12],
            });
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// One volume's logical blocks, read in place from the image.
struct Volume<'a> {
    d: &'a [u8],
    data_off: usize,
    leb_size: usize,
    lebs: &'a BTreeMap<u32, (u64, usize, Vid)>,
}

impl ubifs::Lebs for Volume<'_> {
    fn leb(&self, lnum: u32) -> Option<&[u8]> {
        let (_, peb, _) = self.lebs.get(&lnum)?;
        let s = peb + self.data_off;
        self.d.get(s..(s + self.leb_size).min(self.d.len()))
    }
}

/// Streams a volume's contents: static volumes hold `data_size` bytes per block,
/// dynamic ones whole blocks, with unmapped blocks read as erased flash.
struct VolumeReader<'a> {
    vol: &'a Volume<'a>,
    is_static: bool,
    lnum: u32,
    last: u32,
    pos: usize,
}

impl Read for VolumeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use ubifs::Lebs;
        loop {
            if self.lnum > self.last || buf.is_empty() {
                return Ok(0);
            }
            let (block, len): (&[u8], usize) = match self.vol.lebs.get(&self.lnum) {
                Some((_, _, v)) => {
                    let b = self.vol.leb(self.lnum).unwrap_or(&[]);
                    let len = if self.is_static {
                        (v.data_size as usize).min(self.vol.leb_size)
                    } else {
                        self.vol.leb_size
                    };
                    (b, len)
                }
                None if self.is_static => (&[], 0),
                None => (&[], self.vol.leb_size),
            };
            if self.pos >= len {
                self.lnum += 1;
                self.pos = 0;
                continue;
            }
            let take = (len - self.pos).min(buf.len());
            for (i, o) in buf[..take].iter_mut().enumerate() {
                *o = block.get(self.pos + i).copied().unwrap_or(0xff);
            }
            self.pos += take;
            return Ok(take);
        }
    }
}

fn safe_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if n.is_empty() || n == "." || n == ".." {
        "volume".into()
    } else {
        n
    }
}

impl Format for Ubi {
    fn name(&self) -> &'static str {
        "ubi"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(EC_MAGIC), Magic::at0(&ubifs::NODE_MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if d.starts_with(&ubifs::NODE_MAGIC) {
            let sb = ubifs::superblock(d)?;
            let len = (sb.leb_size as u64 * sb.leb_cnt as u64).min(d.len() as u64);
            return Some(Probe::extract(
                Some(len),
                Confidence::Strong,
                ubifs::describe(&sb),
            ));
        }
        let l = layout(d)?;
        let table = volume_table(d, &l);
        let vols: Vec<String> = l
            .vols
            .iter()
            .filter(|(id, _)| **id != LAYOUT_VOL)
            .map(|(id, m)| {
                let info = table.get(id);
                let stat = info
                    .map(|i| i.vol_type == STATIC)
                    .unwrap_or_else(|| m.values().next().is_some_and(|v| v.2.vol_type == STATIC));
                format!(
                    "{} ({}, {} LEBs)",
                    info.map(|i| i.name.clone())
                        .unwrap_or_else(|| format!("vol{id}")),
                    if stat { "static" } else { "dynamic" },
                    m.len()
                )
            })
            .collect();
        Some(Probe::extract(
            Some(l.end as u64),
            Confidence::Strong,
            format!(
                "UBI v1, PEB {} bytes, LEB {} bytes, {} PEBs{}, image seq {}, volumes: {}",
                l.peb,
                l.peb - l.ec.data_off,
                l.pebs,
                if l.damaged > 0 {
                    format!(" ({} damaged)", l.damaged)
                } else {
                    String::new()
                },
                l.ec.image_seq,
                if vols.is_empty() {
                    "none".to_string()
                } else {
                    vols.join(", ")
                }
            ),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or(&[]);
        if d.starts_with(&ubifs::NODE_MAGIC) {
            let sb = ubifs::superblock(d).ok_or_else(|| {
                Error::bad(format!("ubifs: superblock at 0x{start:x} no longer valid"))
            })?;
            let flat = ubifs::Flat {
                data: d,
                leb_size: sb.leb_size as usize,
            };
            ubifs::extract(&flat, "", sink)?;
            return Ok(probe.len.unwrap_or(d.len() as u64));
        }
        let l = layout(d).ok_or_else(|| {
            Error::bad(format!("ubi: erase-counter header at 0x{start:x} invalid"))
        })?;
        if l.ignored > 0 {
            sink.warn(format!(
                "ubi: {} VID headers name a logical block beyond the {} PEBs; ignored",
                l.ignored, l.pebs
            ));
        }
        let table = volume_table(d, &l);
        for (&id, lebs) in &l.vols {
            if id == LAYOUT_VOL {
                continue;
            }
            let info = table.get(&id);
            let name = safe_name(
                &info
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| format!("vol{id}")),
            );
            let first = lebs.values().next().map(|v| v.2);
            let data_pad = first.map(|v| v.data_pad as usize).unwrap_or(0);
            let vol = Volume {
                d,
                data_off: l.ec.data_off,
                leb_size: (l.peb - l.ec.data_off).saturating_sub(data_pad),
                lebs,
            };
            let is_static = info
                .map(|i| i.vol_type == STATIC)
                .unwrap_or_else(|| first.is_some_and(|v| v.vol_type == STATIC));
            let sb = ubifs::Lebs::leb(&vol, 0).and_then(ubifs::superblock);
            let res = match sb {
                Some(sb) if sb.leb_size as usize == vol.leb_size && !is_static => {
                    sink.dir(&name, 0o40755)?;
                    ubifs::extract(&vol, &name, sink)
                }
                _ => {
                    let last = if is_static {
                        first.map(|v| v.used_ebs.saturating_sub(1)).unwrap_or(0)
                    } else {
                        lebs.keys().next_back().copied().unwrap_or(0)
                    }
                    .min(l.pebs as u32);
                    let mut r = VolumeReader {
                        vol: &vol,
                        is_static,
                        lnum: 0,
                        last,
                        pos: 0,
                    };
                    sink.file(&format!("{name}.ubivol"), 0o644, &mut r)
                        .map(|_| ())
                }
            };
            match res {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("ubi volume {id} ({name}): {e}")),
            }
        }
        Ok(l.end as u64)
    }
}
