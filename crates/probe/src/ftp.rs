//! FTP: the greeting and a USER/PASS login (230 is success, 530 failure).

use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::target::Target;
use crate::telnet::Login;
use crate::wire;

fn reply(s: &mut std::net::TcpStream, b: &Budget, wait: Duration) -> Vec<u8> {
    // A reply ends with a line `ddd <text>` (a space after the code).
    wire::read_until(s, b, wait, 8192, |buf| {
        buf.ends_with(b"\n")
            && buf
                .split(|&c| c == b'\n')
                .filter(|l| l.len() >= 4)
                .any(|l| l[..3].iter().all(u8::is_ascii_digit) && l[3] == b' ')
    })
}

pub fn login(t: &Target, port: u16, user: &str, pass: &str, b: &Budget) -> Login {
    let mut s = match wire::connect(b, t.sock(port), Duration::from_secs(3)) {
        Ok(s) => s,
        Err(e) => return Login::Refused(e.to_string()),
    };
    let hello = reply(&mut s, b, Duration::from_secs(5));
    if !hello.starts_with(b"220") {
        return Login::Unclear(wire::excerpt(&hello, 160, None));
    }
    wire::send(&mut s, format!("USER {user}\r\n").as_bytes());
    let r = reply(&mut s, b, Duration::from_secs(5));
    let mut log = hello.clone();
    log.extend_from_slice(&r);
    if r.starts_with(b"230") {
        return Login::Success(wire::excerpt(&log, 200, Some(pass)));
    }
    if !r.starts_with(b"331") {
        return Login::Unclear(wire::excerpt(&log, 160, Some(pass)));
    }
    let t0 = Instant::now();
    wire::send(&mut s, format!("PASS {pass}\r\n").as_bytes());
    let r = reply(&mut s, b, Duration::from_secs(10));
    log.extend_from_slice(&r);
    wire::send(&mut s, b"QUIT\r\n");
    if r.starts_with(b"230") {
        Login::Success(wire::excerpt(&log, 200, Some(pass)))
    } else if r.starts_with(b"530") || r.starts_with(b"5") {
        Login::Rejected {
            elapsed: t0.elapsed(),
            transcript: wire::excerpt(&log, 160, Some(pass)),
        }
    } else {
        Login::Unclear(wire::excerpt(&log, 160, Some(pass)))
    }
}
