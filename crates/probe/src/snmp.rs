//! SNMP v1/v2c: a GET of sysDescr.0 with each default community, sent to the one
//! host only. An agent answers only a community it accepts.

use std::net::UdpSocket;
use std::time::Duration;

use crate::budget::Budget;
use crate::target::Target;

pub const COMMUNITIES: &[&str] = &[
    "public",
    "private",
    "admin",
    "manager",
    "community",
    "snmp",
    "default",
];

/// sysDescr.0
const OID_SYSDESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 128 {
        v.push(n as u8);
    } else {
        v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

pub fn get_request(version: u8, community: &str, id: u16) -> Vec<u8> {
    let vb = tlv(0x30, &[tlv(0x06, OID_SYSDESCR), vec![0x05, 0x00]].concat());
    let pdu = tlv(
        0xa0,
        &[
            tlv(0x02, &id.to_be_bytes()),
            vec![0x02, 1, 0, 0x02, 1, 0],
            tlv(0x30, &vb),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[vec![0x02, 1, version], tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

fn read_tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *d.first()?;
    let l0 = *d.get(1)? as usize;
    let (len, h) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        if n == 0 || n > 3 {
            return None;
        }
        let mut l = 0;
        for i in 0..n {
            l = (l << 8) | *d.get(2 + i)? as usize;
        }
        (l, 2 + n)
    };
    Some((tag, d.get(h..h + len)?, d.get(h + len..)?))
}

/// The community and sysDescr of a GetResponse without error, if it is one.
pub fn parse_response(d: &[u8]) -> Option<(String, String)> {
    let (t, msg, _) = read_tlv(d)?;
    if t != 0x30 {
        return None;
    }
    let (_, _ver, rest) = read_tlv(msg)?;
    let (_, community, rest) = read_tlv(rest)?;
    let (t, pdu, _) = read_tlv(rest)?;
    if t != 0xa2 {
        return None;
    }
    let (_, _id, rest) = read_tlv(pdu)?;
    let (_, err, rest) = read_tlv(rest)?;
    if err.iter().any(|&b| b != 0) {
        return None;
    }
    let (_, _idx, rest) = read_tlv(rest)?;
    let (_, vbl, _) = read_tlv(rest)?;
    let (_, vb, _) = read_tlv(vbl)?;
    let (_, _oid, rest) = read_tlv(vb)?;
    let (t, val, _) = read_tlv(rest)?;
    let descr = if t == 0x04 {
        String::from_utf8_lossy(val).into_owned()
    } else {
        String::new()
    };
    Some((String::from_utf8_lossy(community).into_owned(), descr))
}

/// An accepted community: version (`v1`/`v2c`), community, sysDescr.
pub struct Accepted {
    pub version: &'static str,
    pub community: String,
    pub descr: String,
}

/// Tries each community with v2c then v1; stops at the first answer.
pub fn check(t: &Target, port: u16, communities: &[String], b: &Budget) -> Option<Accepted> {
    let bind = if t.addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect(t.sock(port)).ok()?;
    let mut id = 0x4c50u16;
    for c in communities.iter().take(16) {
        for (ver, name) in [(1u8, "v2c"), (0u8, "v1")] {
            if b.over() {
                return None;
            }
            id = id.wrapping_add(1);
            let _ = sock.send(&get_request(ver, c, id));
            let _ = sock.set_read_timeout(Some(b.timeout(Duration::from_millis(1200))));
            let mut buf = [0u8; 4096];
            if let Ok(n) = sock.recv(&mut buf)
                && let Some((comm, descr)) = parse_response(&buf[..n])
                && comm == *c
            {
                return Some(Accepted {
                    version: name,
                    community: c.clone(),
                    descr,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_through_the_parser_shape() {
        let r = get_request(1, "public", 7);
        assert_eq!(r[0], 0x30);
        // A request is not a response.
        assert!(parse_response(&r).is_none());
        for cut in 0..r.len() {
            let _ = parse_response(&r[..cut]);
        }
    }
}
