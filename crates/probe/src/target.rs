//! The one host a probe may contact, checked before anything is sent.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// The device under test: one address, never a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What the caller wrote (host name or address), for reports.
    pub name: String,
    pub addr: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("`{0}` names a range or several hosts; the probe tests exactly one device")]
    Range(String),
    #[error(
        "`{0}` is a {1} address, which would reach more than one device; name it with --allow-special-address if that is really meant"
    )]
    Special(String, &'static str),
    #[error("`{0}` does not resolve to an address: {1}")]
    Resolve(String, String),
}

/// Why an address reaches more than one host (or none), if it does.
pub fn special_kind(a: IpAddr) -> Option<&'static str> {
    match a {
        IpAddr::V4(v) if v.is_multicast() => Some("multicast"),
        IpAddr::V4(v) if v.is_broadcast() => Some("broadcast"),
        IpAddr::V4(v) if v.is_unspecified() => Some("unspecified"),
        IpAddr::V6(v) if v.is_multicast() => Some("multicast"),
        IpAddr::V6(v) if v.is_unspecified() => Some("unspecified"),
        _ => None,
    }
}

impl Target {
    /// Parses `HOST`: an IPv4/IPv6 address or a host name that resolves to one.
    /// Ranges (`10.0.0.0/24`, `10.0.0.1-9`, lists) are refused; broadcast, multicast
    /// and unspecified addresses are refused unless `allow_special` says the caller
    /// named such an address on purpose.
    pub fn parse(host: &str, allow_special: bool) -> Result<Target, TargetError> {
        let h = host.trim();
        if h.is_empty() || h.contains('/') || h.contains(',') || h.contains('*') || h.contains(' ')
        {
            return Err(TargetError::Range(host.to_string()));
        }
        let addr = match h.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(a) => a,
            Err(_) => {
                // `10.0.0.1-9` style ranges and anything with a dash between digits only.
                if h.contains('-')
                    && h.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                {
                    return Err(TargetError::Range(host.to_string()));
                }
                let mut addrs = (h, 0u16)
                    .to_socket_addrs()
                    .map_err(|e| TargetError::Resolve(host.to_string(), e.to_string()))?;
                addrs
                    .next()
                    .map(|s| s.ip())
                    .ok_or_else(|| TargetError::Resolve(host.to_string(), "no address".into()))?
            }
        };
        if let Some(kind) = special_kind(addr)
            && !allow_special
        {
            return Err(TargetError::Special(host.to_string(), kind));
        }
        Ok(Target {
            name: h.to_string(),
            addr,
        })
    }

    pub fn sock(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.addr, port)
    }

    /// `host:port/protocol`, the provenance string of live evidence.
    pub fn provenance(&self, port: u16, proto: &str) -> String {
        match self.addr {
            IpAddr::V6(a) => format!("[{a}]:{port}/{proto}"),
            IpAddr::V4(a) => format!("{a}:{port}/{proto}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_only() {
        assert!(Target::parse("192.0.2.7", false).is_ok());
        assert!(Target::parse("::1", false).is_ok());
        for bad in [
            "10.0.0.0/24",
            "10.0.0.1-9",
            "10.0.0.1,10.0.0.2",
            "",
            "10.0.0.*",
        ] {
            assert!(
                matches!(Target::parse(bad, false), Err(TargetError::Range(_))),
                "{bad}"
            );
        }
        for special in [
            "255.255.255.255",
            "224.0.0.251",
            "239.255.255.250",
            "0.0.0.0",
            "ff02::1",
        ] {
            assert!(
                matches!(Target::parse(special, false), Err(TargetError::Special(..))),
                "{special}"
            );
            assert!(Target::parse(special, true).is_ok(), "{special}");
        }
    }
}
