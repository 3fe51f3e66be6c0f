//! Builds `samples/router-fw.bin`: a small but realistic router image made entirely
//! by this code (no vendor bytes), with known planted problems so that the README's
//! first command shows every stage working on a fresh machine:
//! - a root password hash shipped in `/etc/shadow` (MD5-crypt of `admin`, every unit the same),
//! - `telnetd` started at boot by `/etc/init.d/rcS`, and a root shell on the serial console,
//! - BusyBox 1.01 and uClibc 0.9.33.2 (old versions with known CVEs),
//! - an RSA private key in `/etc/ssl/private/`,
//! - a firmware-update CGI that fetches over plain HTTP without checking a signature.
//!
//! Layout: a U-Boot legacy uImage header (type ramdisk, gzip) whose payload is a
//! gzip-compressed cpio (newc) root file system, then 0xff flash padding.
//! The output is byte-for-byte reproducible (fixed timestamps, gzip mtime 0).

use std::io::Write;

/// Fixed timestamp for every entry: 2024-04-29, the day UK PSTI came into force.
const MTIME: u32 = 1_714_348_800;

enum Node {
    Dir,
    File(Vec<u8>, u32),
    Link(&'static str),
}

fn rootfs() -> Vec<(&'static str, Node)> {
    use Node::*;
    let busybox = fake_elf(b"BusyBox v1.01 (2015.10.21-02:11+0000) multi-call binary\0Usage: busybox [function] [arguments]...\0telnetd\0httpd\0");
    let libc = fake_elf(b"libc.so.0\0uClibc 0.9.33.2\0");
    vec![
        ("bin", Dir),
        ("bin/busybox", File(busybox, 0o755)),
        ("bin/sh", Link("busybox")),
        ("bin/login", Link("busybox")),
        ("sbin", Dir),
        ("sbin/init", Link("../bin/busybox")),
        ("usr", Dir),
        ("usr/sbin", Dir),
        ("usr/sbin/telnetd", Link("../../bin/busybox")),
        ("usr/sbin/httpd", Link("../../bin/busybox")),
        ("lib", Dir),
        ("lib/libuClibc-0.9.33.2.so", File(libc, 0o755)),
        ("lib/libc.so.0", Link("libuClibc-0.9.33.2.so")),
        ("etc", Dir),
        ("etc/passwd", File(b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n".to_vec(), 0o644)),
        ("etc/shadow", File(b"root:$1$Sx7Lq2Vb$XZCLDfBPZ0Y/Ft4qy1Vgr1:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n".to_vec(), 0o600)),
        ("etc/group", File(b"root:x:0:\nnogroup:x:65534:\n".to_vec(), 0o644)),
        ("etc/inittab", File(b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:-/bin/sh\n::ctrlaltdel:/sbin/reboot\n".to_vec(), 0o644)),
        ("etc/init.d", Dir),
        ("etc/init.d/rcS", File(b"#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\n/usr/sbin/telnetd -p 23 &\n/usr/sbin/httpd -h /www -p 80 &\n".to_vec(), 0o755)),
        ("etc/ssl", Dir),
        ("etc/ssl/private", Dir),
        ("etc/ssl/private/device.key", File(include_bytes!("../data/planted-device-key.pem").to_vec(), 0o600)),
        ("etc/version", File(b"FW_VERSION=1.4.2\nMODEL=BR-100\n".to_vec(), 0o644)),
        ("www", Dir),
        ("www/index.html", File(b"<html><body><h1>BR-100 router</h1><form action=/cgi-bin/login.cgi>user <input name=u> password <input type=password name=p></form></body></html>\n".to_vec(), 0o644)),
        ("www/cgi-bin", Dir),
        ("www/cgi-bin/upgrade.cgi", File(b"#!/bin/sh\n# fetch and flash the latest firmware\nwget -O /tmp/fw.bin http://update.example.com/br100/latest.bin\nmtd write /tmp/fw.bin firmware\nreboot\n".to_vec(), 0o755)),
        ("proc", Dir),
        ("sys", Dir),
        ("tmp", Dir),
        ("root", Dir),
    ]
}

/// A minimal 32-bit big-endian MIPS ELF header followed by `strings`: enough for
/// format and version detection, not a runnable program.
fn fake_elf(strings: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8; 52];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4] = 1; // ELFCLASS32
    e[5] = 2; // big endian
    e[6] = 1; // EV_CURRENT
    e[16..18].copy_from_slice(&2u16.to_be_bytes()); // ET_EXEC
    e[18..20].copy_from_slice(&8u16.to_be_bytes()); // EM_MIPS
    e[20..24].copy_from_slice(&1u32.to_be_bytes());
    e[40..42].copy_from_slice(&52u16.to_be_bytes()); // e_ehsize
    e.extend_from_slice(strings);
    e
}

fn cpio_entry(out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, data: &[u8]) {
    let nlink = if mode & 0o170000 == 0o040000 { 2 } else { 1 };
    let hdr = format!(
        "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        ino,
        mode,
        0,
        0,
        nlink,
        MTIME,
        data.len(),
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    );
    out.extend_from_slice(hdr.as_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The root file system as a newc cpio archive.
pub fn cpio() -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (path, node)) in rootfs().into_iter().enumerate() {
        let ino = 300 + i as u32;
        match node {
            Node::Dir => cpio_entry(&mut out, ino, path, 0o040755, &[]),
            Node::File(data, perm) => cpio_entry(&mut out, ino, path, 0o100000 | perm, &data),
            Node::Link(t) => cpio_entry(&mut out, ino, path, 0o120777, t.as_bytes()),
        }
    }
    cpio_entry(&mut out, 0, "TRAILER!!!", 0, &[]);
    out
}

/// The complete image.
pub fn image() -> Vec<u8> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(&cpio()).expect("writing to memory");
    let payload = gz.finish().expect("writing to memory");

    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&0x2705_1956u32.to_be_bytes());
    h[8..12].copy_from_slice(&MTIME.to_be_bytes());
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[16..20].copy_from_slice(&0x8100_0000u32.to_be_bytes()); // load address
    h[20..24].copy_from_slice(&0x8100_0000u32.to_be_bytes()); // entry point
    h[24..28].copy_from_slice(&crc32fast::hash(&payload).to_be_bytes());
    h[28] = 5; // OS: Linux
    h[29] = 5; // arch: MIPS
    h[30] = 3; // type: ramdisk
    h[31] = 1; // compression: gzip
    let name = b"BR-100 rootfs 1.4.2";
    h[32..32 + name.len()].copy_from_slice(name);
    let hcrc = crc32fast::hash(&h);
    h[4..8].copy_from_slice(&hcrc.to_be_bytes());

    let mut img = h.to_vec();
    img.extend_from_slice(&payload);
    // Pad to a whole 64 KiB flash block with erased-flash bytes.
    let total = img.len().div_ceil(65536) * 65536;
    img.resize(total, 0xff);
    img
}
