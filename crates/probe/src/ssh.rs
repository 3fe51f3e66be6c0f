//! SSH: the algorithm lists a server offers (read from its KEXINIT, which is sent
//! in clear before any negotiation, so even algorithms no modern client would
//! accept are seen), and password logins and the host key through russh.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::keys::{self, KeyId};
use crate::target::Target;
use crate::telnet::Login;
use crate::wire;

/// What the server's KEXINIT offers.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub banner: String,
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
}

/// Reads the banner and the server's KEXINIT.
pub fn offer(t: &Target, port: u16, b: &Budget) -> Option<Offer> {
    let mut s = wire::connect(b, t.sock(port), Duration::from_secs(3)).ok()?;
    wire::send(&mut s, b"SSH-2.0-baseliner_probe\r\n");
    let buf = wire::read_until(&mut s, b, Duration::from_secs(6), 64 << 10, |buf| {
        let Some(nl) = buf
            .windows(5)
            .position(|w| w == b"SSH-2" || w == b"SSH-1")
            .and_then(|i| buf[i..].iter().position(|&c| c == b'\n').map(|j| i + j))
        else {
            return false;
        };
        let rest = &buf[nl + 1..];
        rest.len() >= 4 && {
            let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            rest.len() >= 4 + n.min(60_000)
        }
    });
    let start = buf.windows(4).position(|w| w == b"SSH-")?;
    let nl = buf[start..].iter().position(|&c| c == b'\n')? + start;
    let banner = String::from_utf8_lossy(&buf[start..nl]).trim().to_string();
    let mut o = Offer {
        banner,
        ..Default::default()
    };
    let pkt = &buf[nl + 1..];
    let len = u32::from_be_bytes(pkt.get(..4)?.try_into().ok()?) as usize;
    let pad = *pkt.get(4)? as usize;
    let payload = pkt.get(5..(4 + len).checked_sub(pad)?)?;
    if payload.first() != Some(&20) {
        return Some(o);
    }
    let mut r = payload.get(17..)?;
    let mut lists = vec![];
    for _ in 0..8 {
        let n = u32::from_be_bytes(r.get(..4)?.try_into().ok()?) as usize;
        let v = r.get(4..4 + n)?;
        lists.push(
            String::from_utf8_lossy(v)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        r = &r[4 + n..];
    }
    o.kex = lists[0].clone();
    o.host_key = lists[1].clone();
    o.ciphers = lists[2].clone();
    o.macs = lists[4].clone();
    Some(o)
}

/// Algorithms of the offer that are obsolete, with the reason, in the order kex,
/// host key, cipher, MAC.
pub fn weak(o: &Offer) -> Vec<(String, &'static str)> {
    let mut out = vec![];
    for k in &o.kex {
        if k.ends_with("-sha1")
            || k.contains("group1-")
            || k == "diffie-hellman-group-exchange-sha1"
        {
            out.push((k.clone(), "key exchange with SHA-1 or a 1024-bit group"));
        }
    }
    for k in &o.host_key {
        if k == "ssh-dss" {
            out.push((k.clone(), "DSA host key"));
        }
    }
    for c in &o.ciphers {
        if c.contains("-cbc")
            || c.contains("arcfour")
            || c.contains("3des")
            || c.contains("blowfish")
            || c == "none"
        {
            out.push((c.clone(), "CBC, RC4, 3DES, Blowfish or no cipher"));
        }
    }
    for m in &o.macs {
        if m.contains("md5")
            || m.ends_with("-96")
            || m == "none"
            || m == "hmac-sha1"
            || m == "hmac-sha1-etm@openssh.com"
        {
            out.push((m.clone(), "MD5 or SHA-1 MAC"));
        }
    }
    out
}

struct Catch(Arc<Mutex<Option<KeyId>>>);

impl russh::client::Handler for Catch {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = key
            && let Ok(blob) = key.to_bytes()
        {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = keys::from_ssh_blob(&blob);
        }
        Ok(true)
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

/// What one SSH session showed.
pub struct Session {
    pub host_key: Option<KeyId>,
    /// Whether the server offers password (or keyboard-interactive) logins.
    pub password_offered: Option<bool>,
    pub error: Option<String>,
}

/// Connects, records the host key and asks which login methods exist.
pub fn session(t: &Target, port: u16, b: &Budget) -> Session {
    let caught = Arc::new(Mutex::new(None));
    let mut out = Session {
        host_key: None,
        password_offered: None,
        error: None,
    };
    let Some(rt) = runtime() else {
        out.error = Some("no async runtime".into());
        return out;
    };
    let addr = t.sock(port);
    let limit = b.timeout(Duration::from_secs(10));
    let c2 = caught.clone();
    let r: Result<Result<bool, russh::Error>, _> = rt.block_on(async move {
        tokio::time::timeout(limit, async move {
            let cfg = Arc::new(russh::client::Config::default());
            let mut h = russh::client::connect(cfg, addr, Catch(c2)).await?;
            let r = h.authenticate_none("root").await?;
            let _ = h.disconnect(russh::Disconnect::ByApplication, "", "").await;
            Ok(match r {
                russh::client::AuthResult::Success => false,
                russh::client::AuthResult::Failure {
                    remaining_methods, ..
                } => remaining_methods.iter().any(|m| {
                    matches!(
                        m,
                        russh::MethodKind::Password | russh::MethodKind::KeyboardInteractive
                    )
                }),
            })
        })
        .await
    });
    out.host_key = caught.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match r {
        Ok(Ok(p)) => out.password_offered = Some(p),
        Ok(Err(e)) => out.error = Some(e.to_string()),
        Err(_) => out.error = Some("timed out".into()),
    }
    out
}

/// One password login on a fresh connection.
pub fn login(t: &Target, port: u16, user: &str, pass: &str, b: &Budget) -> Login {
    let Some(rt) = runtime() else {
        return Login::Unclear("no async runtime".into());
    };
    let addr = t.sock(port);
    let limit = b.timeout(Duration::from_secs(15));
    let (u, p) = (user.to_string(), pass.to_string());
    let started = Instant::now();
    let r = rt.block_on(async move {
        tokio::time::timeout(limit, async move {
            let cfg = Arc::new(russh::client::Config::default());
            let mut h =
                russh::client::connect(cfg, addr, Catch(Arc::new(Mutex::new(None)))).await?;
            let t0 = Instant::now();
            let r = h.authenticate_password(u, p).await?;
            let took = t0.elapsed();
            let _ = h.disconnect(russh::Disconnect::ByApplication, "", "").await;
            Ok::<_, russh::Error>((r, took))
        })
        .await
    });
    match r {
        Ok(Ok((russh::client::AuthResult::Success, _))) => {
            Login::Success(format!("SSH password authentication as {user} succeeded"))
        }
        Ok(Ok((russh::client::AuthResult::Failure { .. }, took))) => Login::Rejected {
            elapsed: took,
            transcript: format!("SSH password authentication as {user} failed"),
        },
        Ok(Err(e)) => Login::Refused(format!("{e} after {} ms", started.elapsed().as_millis())),
        Err(_) => Login::Refused("timed out".into()),
    }
}
