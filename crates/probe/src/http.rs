//! A minimal HTTP/1.1 client for plain HTTP (bounded reads, `Connection: close`),
//! login detection (basic, digest, password forms) and the login attempts.

use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use crate::budget::Budget;
use crate::target::Target;
use crate::telnet::Login;
use crate::wire;

/// Largest body kept from one response.
const MAX_BODY: usize = 256 << 10;

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status line and headers as received, for excerpts.
    pub head: String,
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn host_header(t: &Target, port: u16) -> String {
    match t.addr {
        std::net::IpAddr::V6(a) => format!("[{a}]:{port}"),
        std::net::IpAddr::V4(a) => format!("{a}:{port}"),
    }
}

/// Sends one request and reads the whole response (to close or length).
pub fn request(
    t: &Target,
    port: u16,
    method: &str,
    path: &str,
    extra: &[(&str, String)],
    body: Option<&[u8]>,
    b: &Budget,
) -> Option<Response> {
    let started = Instant::now();
    let mut s = wire::connect(b, t.sock(port), Duration::from_secs(3)).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: baseliner-probe\r\nAccept: */*\r\nConnection: close\r\n",
        host_header(t, port)
    );
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    if let Some(body) = body {
        bytes.extend_from_slice(body);
    }
    if !wire::send(&mut s, &bytes) {
        return None;
    }
    let raw = wire::read_until(&mut s, b, Duration::from_secs(6), MAX_BODY + 16384, |buf| {
        // Stop once a Content-Length body is complete.
        let Some(h) = find(buf, b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&buf[..h]).to_ascii_lowercase();
        head.lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .is_some_and(|n| buf.len() >= h + 4 + n)
    });
    let mut r = parse(&raw)?;
    r.elapsed = started.elapsed();
    Some(r)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn parse(raw: &[u8]) -> Option<Response> {
    if !raw.starts_with(b"HTTP/") {
        return None;
    }
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(h) => (&raw[..h], &raw[h + 4..]),
        None => (raw, &[][..]),
    };
    let head = String::from_utf8_lossy(head).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .take(100)
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Some(Response {
        status,
        headers,
        body: body.into_iter().take(MAX_BODY).collect(),
        head,
        elapsed: Duration::ZERO,
    })
}

fn dechunk(mut d: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while let Some(nl) = find(d, b"\r\n") {
        let size = std::str::from_utf8(&d[..nl])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(n) = size.filter(|&n| n > 0) else {
            break;
        };
        let start = nl + 2;
        let end = (start + n).min(d.len());
        out.extend_from_slice(&d[start..end]);
        if out.len() > MAX_BODY {
            break;
        }
        d = d.get((end + 2).min(d.len())..).unwrap_or(&[]);
    }
    out
}

/// How a page asks for a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Basic {
        realm: String,
    },
    Digest {
        challenge: String,
    },
    /// An HTML form with a password field: where it posts and the field names.
    Form {
        action: String,
        user_field: Option<String>,
        pass_field: String,
    },
}

pub fn auth_of(r: &Response, page: &str) -> Option<Auth> {
    if r.status == 401 {
        for v in r.headers_named("www-authenticate") {
            let low = v.to_ascii_lowercase();
            if low.starts_with("digest") {
                return Some(Auth::Digest {
                    challenge: v.to_string(),
                });
            }
            if low.starts_with("basic") {
                return Some(Auth::Basic {
                    realm: param(v, "realm").unwrap_or_default(),
                });
            }
        }
    }
    form(&String::from_utf8_lossy(&r.body), page)
}

fn param(h: &str, name: &str) -> Option<String> {
    let low = h.to_ascii_lowercase();
    let i = low.find(&format!("{name}="))?;
    let rest = &h[i + name.len() + 1..];
    let v = if let Some(r) = rest.strip_prefix('"') {
        r.split('"').next()?
    } else {
        rest.split([',', ' ']).next()?
    };
    Some(v.to_string())
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let low = tag.to_ascii_lowercase();
    let key = format!("{name}=");
    let mut from = 0;
    while let Some(i) = low[from..].find(&key) {
        let at = from + i;
        let ok = at == 0 || low.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = &tag[at + key.len()..];
        if ok {
            let v = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
                _ => rest
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            };
            return Some(v.to_string());
        }
        from = at + key.len();
    }
    None
}

/// The first form with a password input.
fn form(html: &str, page: &str) -> Option<Auth> {
    let low = html.to_ascii_lowercase();
    let pw = low
        .find("type=\"password\"")
        .or_else(|| low.find("type='password'"))
        .or_else(|| low.find("type=password"))?;
    let form_start = low[..pw].rfind("<form").unwrap_or(0);
    let form_tag_end = low[form_start..]
        .find('>')
        .map(|e| form_start + e)
        .unwrap_or(form_start);
    let form_tag = &html[form_start..form_tag_end];
    let action = attr(form_tag, "action")
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| page.to_string());
    let form_end = low[pw..]
        .find("</form")
        .map(|e| pw + e)
        .unwrap_or(low.len());
    let mut user_field = None;
    let mut pass_field = None;
    let mut pos = form_start;
    while let Some(i) = low[pos..form_end.max(pos)].find("<input") {
        let s = pos + i;
        let e = low[s..].find('>').map(|e| s + e).unwrap_or(low.len());
        let tag = &html[s..e];
        let ty = attr(tag, "type")
            .unwrap_or_else(|| "text".into())
            .to_ascii_lowercase();
        let name = attr(tag, "name");
        match ty.as_str() {
            "password" if pass_field.is_none() => pass_field = name,
            "text" | "email" if user_field.is_none() => user_field = name,
            _ => {}
        }
        pos = e;
    }
    Some(Auth::Form {
        action,
        user_field,
        pass_field: pass_field?,
    })
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// RFC 7616 digest response (MD5, qop=auth or none).
pub fn digest_header(challenge: &str, user: &str, pass: &str, method: &str, uri: &str) -> String {
    let realm = param(challenge, "realm").unwrap_or_default();
    let nonce = param(challenge, "nonce").unwrap_or_default();
    let opaque = param(challenge, "opaque");
    let qop = param(challenge, "qop").filter(|q| q.split(',').any(|x| x.trim() == "auth"));
    let ha1 = md5_hex(&format!("{user}:{realm}:{pass}"));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let cnonce = "0a4f113b";
    let mut h = match &qop {
        Some(_) => {
            let resp = md5_hex(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
            format!(
                "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", qop=auth, nc=00000001, cnonce=\"{cnonce}\", response=\"{resp}\", algorithm=MD5"
            )
        }
        None => {
            let resp = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
            format!(
                "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\""
            )
        }
    };
    if let Some(o) = opaque {
        h.push_str(&format!(", opaque=\"{o}\""));
    }
    h
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

/// One login attempt against `auth` protecting `path`. Form logins report success
/// only when the answer differs from a known-bad attempt's in a way that means a
/// session (a new cookie or a redirect elsewhere) and no password field is shown
/// again; the caller lowers the confidence of form results.
pub fn login(
    t: &Target,
    port: u16,
    path: &str,
    auth: &Auth,
    user: &str,
    pass: &str,
    b: &Budget,
) -> Login {
    match auth {
        Auth::Basic { .. } | Auth::Digest { .. } => {
            let header = match auth {
                Auth::Basic { .. } => basic(user, pass),
                Auth::Digest { .. } => {
                    // A fresh challenge per attempt (nonces may be single-use).
                    let Some(r) = request(t, port, "GET", path, &[], None, b) else {
                        return Login::Refused("no answer".into());
                    };
                    let Some(Auth::Digest { challenge }) = auth_of(&r, path) else {
                        return Login::Unclear(wire::excerpt(r.head.as_bytes(), 160, None));
                    };
                    digest_header(&challenge, user, pass, "GET", path)
                }
                Auth::Form { .. } => unreachable!("matched above"),
            };
            let t0 = Instant::now();
            let Some(r) = request(t, port, "GET", path, &[("Authorization", header)], None, b)
            else {
                return Login::Refused("no answer".into());
            };
            let ex = wire::excerpt(
                r.head.lines().next().unwrap_or("").as_bytes(),
                160,
                Some(pass),
            );
            // The page answered 401 without credentials: any other answer short of a
            // server error means the credential was accepted (a 403 then is
            // authorisation, not authentication).
            match r.status {
                401 => Login::Rejected {
                    elapsed: t0.elapsed(),
                    transcript: ex,
                },
                100..=499 => Login::Success(format!("GET {path} as {user}: {ex}")),
                _ => Login::Unclear(ex),
            }
        }
        Auth::Form {
            action,
            user_field,
            pass_field,
        } => {
            let post = |u: &str, p: &str| {
                let mut body = String::new();
                if let Some(uf) = user_field {
                    body.push_str(&format!("{}={}&", urlenc(uf), urlenc(u)));
                }
                body.push_str(&format!("{}={}", urlenc(pass_field), urlenc(p)));
                request(
                    t,
                    port,
                    "POST",
                    action,
                    &[("Content-Type", "application/x-www-form-urlencoded".into())],
                    Some(body.as_bytes()),
                    b,
                )
            };
            let Some(bad) = post("baseliner-no-such-user", "bl-wrong-8d1c") else {
                return Login::Refused("no answer".into());
            };
            let t0 = Instant::now();
            let Some(r) = post(user, pass) else {
                return Login::Refused("no answer".into());
            };
            let ex = wire::excerpt(
                r.head.lines().next().unwrap_or("").as_bytes(),
                160,
                Some(pass),
            );
            let shows_form = form(&String::from_utf8_lossy(&r.body), action).is_some();
            let new_cookie = r.header("set-cookie").is_some() && bad.header("set-cookie").is_none();
            let redirect =
                (300..400).contains(&r.status) && r.header("location") != bad.header("location");
            if !shows_form && (new_cookie || redirect) && r.status < 400 {
                Login::Success(format!("POST {action} as {user}: {ex}"))
            } else if r.status == bad.status
                && shows_form == form(&String::from_utf8_lossy(&bad.body), action).is_some()
            {
                Login::Rejected {
                    elapsed: t0.elapsed(),
                    transcript: ex,
                }
            } else {
                Login::Unclear(ex)
            }
        }
    }
}

/// Paths that often show configuration or status without a login.
pub const OPEN_PAGES: &[&str] = &[
    "/server-status",
    "/status",
    "/status.html",
    "/status.xml",
    "/cgi-bin/status",
    "/config",
    "/config.xml",
    "/config.json",
    "/system.ini",
    "/cgi-bin/config.exp",
    "/rom-0",
    "/backup.cfg",
    "/info.html",
    "/cgi-bin/info",
    "/api/system/status",
    "/getstatus.cgi",
    "/get_status.cgi",
    "/device.rsp",
    "/debug",
    "/env",
];

/// Words that make a page's content configuration or status rather than a
/// placeholder, an error page or a login screen.
pub const PAGE_WORDS: &[&str] = &[
    "uptime",
    "firmware",
    "mac address",
    "serial",
    "password",
    "ssid",
    "config",
    "version",
    "server status",
    "requests",
    "hostname",
    "netmask",
    "gateway",
];
