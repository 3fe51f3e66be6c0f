//! GET with the manners the feeds ask for: a request budget per rolling window (NVD's
//! published rate limits), waits and retries on 403/429/5xx and broken connections
//! (honouring `Retry-After`), conditional requests (`If-None-Match`,
//! `If-Modified-Since`), and bounded bodies.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Event, Observer, Proxy, RateLimit, Retry};

/// What one GET gave.
pub(crate) enum Fetched<T> {
    /// `304 Not Modified`: the copy we have is current.
    NotModified,
    Body {
        body: T,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// A failed GET, after the retries.
#[derive(Debug)]
pub(crate) struct FetchError {
    pub url: String,
    pub msg: String,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.msg)
    }
}

/// Requests made within a rolling window, to keep under a rate limit.
pub(crate) struct Limiter {
    limit: RateLimit,
    sent: VecDeque<Instant>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            sent: VecDeque::new(),
        }
    }

    /// Waits until one more request fits the window, then counts it.
    fn acquire(&mut self, source: &str, obs: &dyn Observer) {
        let max = self.limit.requests.max(1) as usize;
        loop {
            let now = Instant::now();
            while self
                .sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.limit.per)
            {
                self.sent.pop_front();
            }
            if self.sent.len() < max {
                self.sent.push_back(now);
                return;
            }
            let Some(oldest) = self.sent.front() else {
                continue;
            };
            let wait = self.limit.per.saturating_sub(now.duration_since(*oldest));
            obs.event(&Event::Waiting {
                source,
                seconds: wait.as_secs_f64(),
                reason: format!(
                    "rate limit: {} requests per {} s",
                    self.limit.requests,
                    self.limit.per.as_secs_f64()
                ),
            });
            std::thread::sleep(wait);
        }
    }
}

/// The HTTP client of one update run.
pub(crate) struct Http {
    agent: ureq::Agent,
    retry: Retry,
    /// Requests sent (including retries), for the report.
    pub(crate) requests: u64,
}

/// Statuses worth another try: rate limiting and temporary server trouble.
fn retryable(status: u16) -> bool {
    matches!(status, 403 | 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a body read failed on the size limit (not worth a retry).
fn too_large(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_)))
}

/// A request's extras.
pub(crate) struct Req<'a> {
    pub url: &'a str,
    pub source: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    /// Largest body accepted.
    pub limit: u64,
    /// Time to receive the whole body.
    pub body_timeout: Duration,
}

impl Http {
    pub(crate) fn new(retry: Retry, proxy: &Proxy) -> Result<Http, String> {
        let proxy = match proxy {
            Proxy::Url(p) => Some(ureq::Proxy::new(p).map_err(|e| format!("proxy {p}: {e}"))?),
            Proxy::Environment => ureq::Proxy::try_from_env(),
            Proxy::Direct => None,
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(concat!("baseliner/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(180)))
            .build()
            .new_agent();
        Ok(Http {
            agent,
            retry,
            requests: 0,
        })
    }

    /// GETs `req.url` into memory.
    pub(crate) fn get_bytes(
        &mut self,
        req: &Req,
        limiter: Option<&mut Limiter>,
        obs: &dyn Observer,
    ) -> Result<Fetched<Vec<u8>>, FetchError> {
        self.get(req, limiter, obs, |body| {
            let mut out = Vec::new();
            body.read_to_end(&mut out)?;
            Ok(out)
        })
    }

    /// GETs `req.url` into the file `to` (created or truncated).
    pub(crate) fn get_file(
        &mut self,
        req: &Req,
        to: &Path,
        obs: &dyn Observer,
    ) -> Result<Fetched<u64>, FetchError> {
        self.get(req, None, obs, |body| {
            let mut f = std::io::BufWriter::new(std::fs::File::create(to)?);
            let n = std::io::copy(body, &mut f)?;
            f.flush()?;
            Ok(n)
        })
    }

    /// One GET with retries; `read` consumes the body of a 200 (an error while reading,
    /// such as a connection cut mid-body, is retried like a failed request).
    fn get<T>(
        &mut self,
        req: &Req,
        mut limiter: Option<&mut Limiter>,
        obs: &dyn Observer,
        mut read: impl FnMut(&mut dyn Read) -> std::io::Result<T>,
    ) -> Result<Fetched<T>, FetchError> {
        let err = |msg: String| FetchError {
            url: req.url.to_string(),
            msg,
        };
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            if let Some(l) = limiter.as_deref_mut() {
                l.acquire(req.source, obs);
            }
            self.requests += 1;
            let mut r = self
                .agent
                .get(req.url)
                .config()
                .timeout_recv_body(Some(req.body_timeout))
                .build();
            for (k, v) in &req.headers {
                r = r.header(*k, *v);
            }
            let mut wait_hint: Option<Duration> = None;
            match r.call() {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let header = |name: &str| {
                        resp.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let etag = header("etag");
                    let last_modified = header("last-modified");
                    wait_hint = header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match status {
                        200 => {
                            let mut body = resp
                                .into_body()
                                .into_with_config()
                                .limit(req.limit)
                                .reader();
                            match read(&mut body) {
                                Ok(body) => {
                                    return Ok(Fetched::Body {
                                        body,
                                        etag,
                                        last_modified,
                                    });
                                }
                                Err(e) if too_large(&e) => {
                                    return Err(err(format!(
                                        "body larger than {} bytes",
                                        req.limit
                                    )));
                                }
                                Err(e) => last = format!("reading the body: {e}"),
                            }
                        }
                        304 => return Ok(Fetched::NotModified),
                        s if retryable(s) => last = format!("HTTP {s}"),
                        s => return Err(err(format!("HTTP {s}"))),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            if attempt == attempts {
                break;
            }
            let backoff = self
                .retry
                .first_wait
                .saturating_mul(1u32 << (attempt - 1).min(16))
                .min(self.retry.max_wait);
            let wait = wait_hint.map_or(backoff, |h| h.min(self.retry.max_wait));
            obs.event(&Event::Waiting {
                source: req.source,
                seconds: wait.as_secs_f64(),
                reason: format!("{last} (attempt {attempt} of {attempts})"),
            });
            std::thread::sleep(wait);
        }
        Err(err(format!("gave up after {attempts} attempts: {last}")))
    }
}
