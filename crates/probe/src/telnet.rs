//! Telnet: option negotiation refused politely, the login dialogue, and a proof of
//! success (a command whose output only a shell produces).

use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::target::Target;
use crate::wire;

const IAC: u8 = 255;

/// What one login attempt showed.
#[derive(Debug)]
pub enum Login {
    /// A shell ran our command; the transcript proves it.
    Success(String),
    /// The service rejected the credential after `elapsed`.
    Rejected {
        elapsed: Duration,
        #[allow(dead_code)] // kept for debugging a dialogue; evidence uses timings
        transcript: String,
    },
    /// The dialogue was not understood (no prompt); proves nothing.
    Unclear(String),
    /// Connection refused or dropped before the dialogue (possible lockout).
    Refused(String),
}

/// Answers negotiation (accept the server's ECHO/SGA, refuse everything else) and
/// returns the text with the option bytes removed.
fn negotiate(s: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(data.len());
    let mut reply = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] != IAC {
            text.push(data[i]);
            i += 1;
            continue;
        }
        let (Some(&cmd), opt) = (data.get(i + 1), data.get(i + 2).copied()) else {
            break;
        };
        match (cmd, opt) {
            (251, Some(o)) => {
                // WILL: accept echo and suppress-go-ahead, refuse the rest.
                reply.extend_from_slice(&[IAC, if o == 1 || o == 3 { 253 } else { 254 }, o]);
                i += 3;
            }
            (253, Some(o)) => {
                reply.extend_from_slice(&[IAC, 252, o]);
                i += 3;
            }
            (252 | 254, Some(_)) => i += 3,
            (250, _) => {
                // Sub-negotiation: skip to IAC SE.
                let mut j = i + 2;
                while j + 1 < data.len() && !(data[j] == IAC && data[j + 1] == 240) {
                    j += 1;
                }
                i = j + 2;
            }
            (IAC, _) => {
                text.push(IAC);
                i += 2;
            }
            _ => i += 2,
        }
    }
    if !reply.is_empty() {
        wire::send(s, &reply);
    }
    text
}

fn read_text(s: &mut TcpStream, b: &Budget, wait: Duration, until: &[&str]) -> Vec<u8> {
    let end = Instant::now() + wait;
    let mut text = Vec::new();
    while Instant::now() < end && !b.over() && text.len() < 16 << 10 {
        let chunk = wire::read_until(s, b, Duration::from_millis(300), 8192, |_| true);
        if chunk.is_empty() {
            // Nothing in 300 ms: stop early only if something matched already.
            if until.iter().any(|u| wire::contains_ci(&text, u)) {
                break;
            }
            if s.peek(&mut [0u8; 1]).map(|n| n == 0).unwrap_or(false) {
                break;
            }
            continue;
        }
        text.extend(negotiate(s, &chunk));
        if until.iter().any(|u| wire::contains_ci(&text, u)) {
            // Let the rest of the line arrive.
            let more = wire::read_until(s, b, Duration::from_millis(150), 4096, |_| false);
            text.extend(negotiate(s, &more));
            break;
        }
    }
    text
}

const FAILED: &[&str] = &[
    "incorrect",
    "failed",
    "denied",
    "invalid",
    "bad password",
    "login:",
    "wrong",
];

/// A rejection: an error word, or the login prompt again at the end (a `Last login:`
/// line in a welcome message is not one).
fn rejected(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text).to_ascii_lowercase();
    FAILED[..5]
        .iter()
        .chain(&FAILED[6..])
        .any(|f| t.contains(f))
        || t.trim_end().ends_with("login:")
}

fn prompt_like(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end();
    t.ends_with('#') || t.ends_with('$') || t.ends_with('>') || t.ends_with('%')
}

/// Whether the service on `port` shows a telnet login prompt, and the greeting.
pub fn greeting(t: &Target, port: u16, b: &Budget) -> Option<String> {
    let mut s = wire::connect(b, t.sock(port), Duration::from_secs(3)).ok()?;
    let text = read_text(
        &mut s,
        b,
        Duration::from_secs(4),
        &["login:", "username:", "user name:"],
    );
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// One login attempt with `user`/`pass`.
pub fn login(t: &Target, port: u16, user: &str, pass: &str, b: &Budget) -> Login {
    let mut s = match wire::connect(b, t.sock(port), Duration::from_secs(3)) {
        Ok(s) => s,
        Err(e) => return Login::Refused(e.to_string()),
    };
    let mut log = read_text(
        &mut s,
        b,
        Duration::from_secs(5),
        &["login:", "username:", "user name:"],
    );
    if !["login:", "username:", "user name:"]
        .iter()
        .any(|p| wire::contains_ci(&log, p))
    {
        if log.is_empty() {
            return Login::Refused("no greeting".into());
        }
        return Login::Unclear(wire::excerpt(&log, 160, None));
    }
    wire::send(&mut s, format!("{user}\r\n").as_bytes());
    let after_user = read_text(&mut s, b, Duration::from_secs(5), &["password:"]);
    log.extend_from_slice(&after_user);
    if !wire::contains_ci(&after_user, "password:") {
        if prompt_like(&after_user) {
            return confirm(&mut s, b, log, pass);
        }
        return Login::Unclear(wire::excerpt(&log, 160, Some(pass)));
    }
    let t0 = Instant::now();
    wire::send(&mut s, format!("{pass}\r\n").as_bytes());
    let mut after = read_text(&mut s, b, Duration::from_secs(8), FAILED);
    if !rejected(&after) && !prompt_like(&after) {
        // Some shells print a banner before the prompt.
        after.extend(read_text(
            &mut s,
            b,
            Duration::from_secs(2),
            &["#", "$", ">"],
        ));
    }
    log.extend_from_slice(&after);
    if rejected(&after) {
        return Login::Rejected {
            elapsed: t0.elapsed(),
            transcript: wire::excerpt(&log, 160, Some(pass)),
        };
    }
    if prompt_like(&after) {
        return confirm(&mut s, b, log, pass);
    }
    Login::Unclear(wire::excerpt(&log, 160, Some(pass)))
}

/// Runs `echo` with arithmetic only a shell evaluates: the marker proves a shell.
fn confirm(s: &mut TcpStream, b: &Budget, mut log: Vec<u8>, pass: &str) -> Login {
    wire::send(s, b"echo BLPROBE$((6*7))OK\r\n");
    let out = read_text(s, b, Duration::from_secs(4), &["BLPROBE42OK"]);
    log.extend_from_slice(&out);
    wire::send(s, b"exit\r\n");
    if wire::contains_ci(&out, "BLPROBE42OK") {
        Login::Success(wire::excerpt(&log, 200, Some(pass)))
    } else {
        Login::Unclear(wire::excerpt(&log, 160, Some(pass)))
    }
}
