//! TCP connect scan with bounded concurrency and rate.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::target::Target;

/// Ports IoT devices usually listen on: remote shells, file transfer, web
/// interfaces, discovery, management, camera and IoT protocols.
pub const COMMON_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 69, 80, 81, 82, 83, 84, 88, 110, 111, 139, 143, 161, 443, 445, 502, 515,
    554, 631, 873, 1080, 1883, 1900, 2000, 2323, 3000, 3306, 3389, 4433, 4443, 4567, 5000, 5001,
    5060, 5353, 5431, 5555, 5683, 5900, 6000, 6379, 7547, 8000, 8008, 8009, 8080, 8081, 8083, 8088,
    8181, 8443, 8554, 8888, 8883, 9000, 9100, 9527, 9999, 10000, 37215, 49152, 49153, 52869,
];

/// Which TCP ports to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSet {
    Common,
    All,
    List(Vec<u16>),
}

impl PortSet {
    /// `all`, `common`, or a list such as `22,80,8000-8100`.
    pub fn parse(s: &str) -> Result<PortSet, crate::Error> {
        let t = s.trim();
        match t {
            "all" => return Ok(PortSet::All),
            "common" => return Ok(PortSet::Common),
            _ => {}
        }
        let bad = || crate::Error::Ports(s.to_string());
        let mut out = vec![];
        for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('-') {
                Some((a, b)) => {
                    let a: u16 = a.trim().parse().map_err(|_| bad())?;
                    let b: u16 = b.trim().parse().map_err(|_| bad())?;
                    if a == 0 || b < a {
                        return Err(bad());
                    }
                    out.extend(a..=b);
                }
                None => {
                    let p: u16 = part.parse().map_err(|_| bad())?;
                    if p == 0 {
                        return Err(bad());
                    }
                    out.push(p);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        if out.is_empty() {
            return Err(bad());
        }
        Ok(PortSet::List(out))
    }

    pub fn ports(&self) -> Vec<u16> {
        match self {
            PortSet::Common => COMMON_PORTS.to_vec(),
            PortSet::All => (1..=u16::MAX).collect(),
            PortSet::List(l) => l.clone(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PortSet::Common => format!("{} common IoT TCP ports", COMMON_PORTS.len()),
            PortSet::All => "all 65535 TCP ports".into(),
            PortSet::List(l) => format!("{} listed TCP ports", l.len()),
        }
    }
}

/// Result of a scan: open ports and whether every port got an answer in time.
pub struct ScanResult {
    pub open: Vec<u16>,
    /// Ports that neither accepted nor refused (filtered or timed out).
    pub silent: usize,
    pub complete: bool,
}

/// Connects to every port with at most `concurrency` connections in flight and at
/// most `rate` new connections per second.
pub fn tcp(t: &Target, ports: &[u16], concurrency: usize, rate: u32, b: &Budget) -> ScanResult {
    let next = AtomicUsize::new(0);
    let slot = Mutex::new(Instant::now());
    let gap = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let open = Mutex::new(Vec::new());
    let silent = AtomicUsize::new(0);
    let scanned = AtomicUsize::new(0);
    let workers = concurrency.clamp(1, 256).min(ports.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    if b.over() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&port) = ports.get(i) else { break };
                    // Rate: each connection takes the next free time slot.
                    let wait = {
                        let mut g = slot.lock().unwrap_or_else(|e| e.into_inner());
                        let now = Instant::now();
                        let at = (*g).max(now);
                        *g = at + gap;
                        at - now
                    };
                    b.sleep(wait);
                    if b.over() {
                        break;
                    }
                    match std::net::TcpStream::connect_timeout(
                        &t.sock(port),
                        b.timeout(Duration::from_millis(1500)),
                    ) {
                        Ok(_) => open.lock().unwrap_or_else(|e| e.into_inner()).push(port),
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                        Err(_) => {
                            silent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    scanned.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let mut open = open.into_inner().unwrap_or_else(|e| e.into_inner());
    open.sort_unstable();
    let done = scanned.into_inner();
    ScanResult {
        open,
        silent: silent.into_inner(),
        complete: done >= ports.len() && !b.interrupted(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists() {
        assert_eq!(
            PortSet::parse("22, 80,8000-8002").unwrap().ports(),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert_eq!(PortSet::parse("all").unwrap().ports().len(), 65535);
        for bad in ["", "0", "90-80", "x", "70000"] {
            assert!(PortSet::parse(bad).is_err(), "{bad}");
        }
    }
}
