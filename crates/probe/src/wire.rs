//! Small helpers for talking to a hostile peer: bounded reads with deadlines and
//! excerpts fit for evidence.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::budget::Budget;

/// Most bytes any one read loop keeps from a peer.
pub const MAX_READ: usize = 64 << 10;

pub fn connect(
    b: &Budget,
    addr: std::net::SocketAddr,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    if b.over() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "probe budget spent",
        ));
    }
    let s = TcpStream::connect_timeout(&addr, b.timeout(timeout))?;
    s.set_nodelay(true).ok();
    Ok(s)
}

/// Reads until `done(buf)` says so, the peer closes, `limit` bytes, or `wait` passes.
pub fn read_until(
    s: &mut TcpStream,
    b: &Budget,
    wait: Duration,
    limit: usize,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let end = Instant::now() + b.timeout(wait);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while buf.len() < limit.min(MAX_READ) && !b.over() {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let _ = s.set_read_timeout(Some((end - now).min(Duration::from_millis(250))));
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if done(&buf) {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    buf.truncate(limit.min(MAX_READ));
    buf
}

pub fn send(s: &mut TcpStream, data: &[u8]) -> bool {
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    s.write_all(data).is_ok()
}

/// One line of printable text from peer bytes, at most `max` characters, with
/// `secret` (a password that was sent) replaced.
pub fn excerpt(data: &[u8], max: usize, secret: Option<&str>) -> String {
    let mut s: String = String::from_utf8_lossy(data)
        .chars()
        .map(|c| match c {
            '\r' => ' ',
            '\n' => '⏎',
            c if c.is_control() => '·',
            c => c,
        })
        .collect();
    if let Some(p) = secret.filter(|p| p.len() >= 3) {
        s = s.replace(p, "***");
    }
    let s = s.trim().to_string();
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    } else {
        s
    }
}

pub fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    hay.windows(n.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(n))
}
