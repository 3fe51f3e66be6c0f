//! A real HTTP/1.1 server on 127.0.0.1 for the update tests: each connection gets one
//! answer from the test's handler and is closed. Requests are logged (path, query,
//! headers, time) so tests can assert what the client asked for. It also answers
//! `CONNECT` like a proxy, then serves the tunnelled request itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
    /// `CONNECT` target when the request came through the proxy tunnel.
    pub via_proxy: Option<String>,
}

impl Seen {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer.
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing the whole body, then only its first `sent` bytes, then the
    /// connection is closed: a connection cut mid-body.
    Cut { body: Vec<u8>, sent: usize },
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: vec![],
            body: format!("status {status}").into_bytes(),
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((k.into(), v.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct Server {
    pub base: String,
    pub port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (log, handler) = (log.clone(), handler.clone());
                    std::thread::spawn(move || serve(stream, &log, &*handler, None));
                }
            });
        }
        Server {
            base: format!("http://127.0.0.1:{port}"),
            port,
            log,
        }
    }

    /// Requests seen so far (and forgets them).
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn read_head(r: &mut BufReader<TcpStream>) -> Option<(String, Vec<(String, String)>)> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let first = line.trim_end().to_string();
    if first.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).ok()? == 0 {
            return None;
        }
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Some((first, headers))
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(v)) = (b[i], hex) {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>, handler: &Handler, via: Option<String>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut r = BufReader::new(stream);
    let Some((first, headers)) = read_head(&mut r) else {
        return;
    };
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut w = write_half;
    if method == "CONNECT" {
        let _ = w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        let _ = w.flush();
        // The tunnelled request arrives on the same socket.
        let inner = r.into_inner();
        serve(inner, log, handler, Some(target));
        return;
    }
    // A proxy may also send the absolute form.
    let target = match target.strip_prefix("http://") {
        Some(rest) => format!("/{}", rest.split_once('/').map_or("", |(_, p)| p)),
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    let seen = Seen {
        method,
        path: path.to_string(),
        query,
        headers,
        at: Instant::now(),
        via_proxy: via,
    };
    log.lock().unwrap().push(seen.clone());
    let reply = handler(&seen);
    let _ = match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
            if status != 304 {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            w.write_all(head.as_bytes()).and_then(|()| {
                if status == 304 {
                    Ok(())
                } else {
                    w.write_all(&body)
                }
            })
        }
        Reply::Cut { body, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            w.write_all(head.as_bytes())
                .and_then(|()| w.write_all(&body[..sent.min(body.len())]))
        }
    };
    let _ = w.flush();
    let _ = w.shutdown(std::net::Shutdown::Both);
    // Drain what the client may still send so the close is clean.
    let mut sink = [0u8; 256];
    let mut inner = r.into_inner();
    let _ = inner.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = inner.read(&mut sink);
}
