//! Discovery services asked at the device's own address only: SSDP M-SEARCH sent
//! unicast to HOST:1900 (and the UPnP description fetched only when its LOCATION
//! names HOST), and an mDNS query sent unicast to HOST:5353. Nothing is ever sent
//! to a multicast group.

use std::net::UdpSocket;
use std::time::Duration;

use crate::budget::Budget;
use crate::target::Target;

fn ask(t: &Target, port: u16, msg: &[u8], b: &Budget) -> Option<Vec<u8>> {
    let bind = if t.addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect(t.sock(port)).ok()?;
    for _ in 0..2 {
        if b.over() {
            return None;
        }
        let _ = sock.send(msg);
        let _ = sock.set_read_timeout(Some(b.timeout(Duration::from_millis(1500))));
        let mut buf = vec![0u8; 9000];
        if let Ok(n) = sock.recv(&mut buf) {
            buf.truncate(n);
            return Some(buf);
        }
    }
    None
}

/// SSDP answer: the raw reply and its LOCATION and SERVER headers.
pub struct Ssdp {
    pub reply: String,
    pub location: Option<String>,
    pub server: Option<String>,
}

pub fn ssdp(t: &Target, b: &Budget) -> Option<Ssdp> {
    let host = match t.addr {
        std::net::IpAddr::V4(a) => format!("{a}:1900"),
        std::net::IpAddr::V6(a) => format!("[{a}]:1900"),
    };
    let msg = format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: {host}\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: baseliner-probe\r\n\r\n"
    );
    let r = ask(t, 1900, msg.as_bytes(), b)?;
    let reply = String::from_utf8_lossy(&r).into_owned();
    let header = |name: &str| {
        reply.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    Some(Ssdp {
        location: header("location"),
        server: header("server"),
        reply,
    })
}

/// Splits `http://HOST:PORT/path` when HOST is the target's address; anything
/// else (another host, a name) is not fetched.
pub fn location_on_target(t: &Target, loc: &str) -> Option<(u16, String)> {
    let rest = loc.strip_prefix("http://")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h, p.parse().ok()?),
        _ => (hostport, 80),
    };
    let ip: std::net::IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
    (ip == t.addr).then_some((port, path))
}

/// Values of simple XML elements (first occurrence), for the UPnP description.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let i = xml.find(&open)? + open.len();
    let j = xml[i..].find('<')? + i;
    let v = xml[i..j].trim();
    (!v.is_empty()).then(|| v.chars().take(120).collect())
}

/// An mDNS answer: the names in the answer records (service types or instances).
pub fn mdns(t: &Target, b: &Budget) -> Option<Vec<String>> {
    // Query PTR _services._dns-sd._udp.local, unicast-response bit set.
    let mut q = vec![0x4c, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["_services", "_dns-sd", "_udp", "local"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 12, 0x80, 1]);
    let r = ask(t, 5353, &q, b)?;
    if r.len() < 12 || r[2] & 0x80 == 0 {
        return None;
    }
    // Collect printable label runs from the answer section; enough for evidence.
    let mut names = vec![];
    let mut cur = String::new();
    for &c in &r[12..] {
        if c.is_ascii_graphic() {
            cur.push(c as char);
        } else {
            if cur.len() >= 3 && cur.starts_with('_') && !names.contains(&cur) {
                names.push(cur.clone());
            }
            cur.clear();
        }
    }
    Some(names.into_iter().take(16).collect())
}
