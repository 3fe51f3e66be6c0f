//! The HTTP service: JSON API under `/api/v1`, public pages, and the log as static
//! C2SP tiles. Writes (publish, withdraw) are serialised in this process so leaf
//! indexes are dense; the database transaction makes each write all-or-nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baseliner_tlog::{Checkpoint, LogKey, TILE_WIDTH, Tree, entry_bundle, parse_tile_path};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::bundle::{Bundle, BundleEntry, LogEntry};
use crate::store::{Product, Store, TokenCheck, entry_json};
use crate::submit::{Submission, check, signer, validator};
use crate::{Error, html, is_sha256, now, openapi};

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: String,
    pub listen: SocketAddr,
    /// The log's origin line (a new log only; an existing one keeps its own).
    pub origin: String,
    /// Largest request body accepted, bytes.
    pub max_upload: usize,
    /// Bad tokens from one address within `bad_token_window` before it gets 429.
    pub bad_token_limit: u32,
    pub bad_token_window: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: crate::store::default_db(),
            listen: "127.0.0.1:8787".parse().expect("address"),
            origin: "baseliner.registry.invalid/log".into(),
            max_upload: 32 * 1024 * 1024,
            bad_token_limit: 10,
            bad_token_window: Duration::from_secs(60),
        }
    }
}

struct LogState {
    tree: Tree,
    /// The signed checkpoint of the current size.
    note: String,
}

pub(crate) struct AppState {
    store: Store,
    log: RwLock<LogState>,
    key: LogKey,
    writer: tokio::sync::Mutex<()>,
    schema: jsonschema::Validator,
    bad_tokens: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    /// Verification answers (status, JSON body) by query: the retailer's check is the
    /// hot path. Cleared on every write this process makes, and within a second of a
    /// write by another process (a second server appending leaves, `registry rematch`
    /// bumping the data generation), which a background task watches for.
    verify_cache: RwLock<HashMap<String, (Instant, StatusCode, Bytes)>>,
    cfg: Config,
}

/// The longest a cached verification answer is served, whatever happens.
const VERIFY_TTL: Duration = Duration::from_secs(60);
/// Entries the verification cache holds before it starts over (about 1 KiB each).
const VERIFY_CACHE_MAX: usize = 50_000;

type Shared = Arc<AppState>;

impl AppState {
    fn checkpoint_of(&self, tree: &Tree) -> String {
        self.key.sign(&Checkpoint {
            origin: self.key.name.clone(),
            size: tree.size(),
            root: tree.root(),
        })
    }
}

/// Opens the database, loads the log and serves until the process is stopped.
/// `ready` gets the bound address (port 0 picks a free one).
pub async fn serve(cfg: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), Error> {
    let store = Store::open(&cfg.db).await?;
    let key = store.log_key(&cfg.origin).await?;
    let tree = store.load_tree().await?;
    let state = Arc::new(AppState {
        log: RwLock::new(LogState {
            note: String::new(),
            tree,
        }),
        store,
        key,
        writer: tokio::sync::Mutex::new(()),
        schema: validator(),
        bad_tokens: Mutex::new(HashMap::new()),
        verify_cache: RwLock::new(HashMap::new()),
        cfg: cfg.clone(),
    });
    {
        let mut log = state.log.write().expect("log lock");
        log.note = state.checkpoint_of(&log.tree);
    }
    // Writes by other processes on the same database invalidate cached answers.
    let watched = state.clone();
    tokio::spawn(async move {
        let mut last = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Ok(now) = watched.store.generation().await {
                if last.as_ref().is_some_and(|l| *l != now) {
                    watched.verify_cache.write().expect("cache lock").clear();
                }
                last = Some(now);
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| Error::Io(format!("listening on {}: {e}", cfg.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    ready(addr);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))
}

fn router(state: Shared) -> Router {
    let max = state.cfg.max_upload;
    Router::new()
        .route("/", get(page_index))
        .route("/search", get(page_search))
        .route("/product/{id}", get(page_product))
        .route("/verify", get(page_verify_form))
        .route("/verify/{sha}", get(page_verify))
        .route("/api/v1/openapi.json", get(api_openapi))
        .route("/api/v1/publish", post(api_publish))
        .route("/api/v1/search", get(api_search))
        .route("/api/v1/products/{id}", get(api_product))
        .route("/api/v1/products/{id}/label", get(api_label))
        .route("/api/v1/products/{id}/assessment", get(api_assessment))
        .route("/api/v1/products/{id}/sbom", get(api_sbom))
        .route("/api/v1/products/{id}/withdraw", post(api_withdraw))
        .route("/api/v1/verify/{sha}", get(api_verify))
        .route("/api/v1/proof/{id}", get(api_proof))
        .route("/api/v1/impact", get(api_impact))
        .route("/api/v1/log", get(api_log))
        .route("/api/v1/log/consistency", get(api_consistency))
        .route("/log/checkpoint", get(log_checkpoint))
        .route("/log/key", get(log_key))
        .route("/log/tile/{*rest}", get(log_tile))
        .layer(DefaultBodyLimit::max(max))
        .with_state(state)
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Client(_) => StatusCode::BAD_REQUEST,
            Error::Db(_) | Error::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let msg = match &self {
            Error::Db(_) | Error::Io(_) => "internal error; see the server log".to_string(),
            e => e.to_string(),
        };
        (status, Json(json!({ "error": msg }))).into_response()
    }
}

/// The organisation behind the request's bearer token. Bad tokens count against the
/// client address; past the limit every authenticated request from it gets 429.
async fn authorise(st: &AppState, ip: IpAddr, headers: &HeaderMap) -> Result<String, Response> {
    let limited = {
        let mut map = st.bad_tokens.lock().expect("limiter");
        let now = Instant::now();
        map.retain(|_, (t, _)| now.duration_since(*t) < st.cfg.bad_token_window);
        map.get(&ip)
            .is_some_and(|(_, n)| *n >= st.cfg.bad_token_limit)
    };
    if limited {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": "too many requests with bad tokens from this address; wait and retry"})),
        )
            .into_response();
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(st.cfg.bad_token_window.as_secs()),
        );
        return Err(r);
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let bad = |e: Error| {
        let mut map = st.bad_tokens.lock().expect("limiter");
        let entry = map.entry(ip).or_insert((Instant::now(), 0));
        entry.1 += 1;
        e.into_response()
    };
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 200) else {
        return Err(bad(Error::Unauthorized(
            "an API token is required (Authorization: Bearer TOKEN)".into(),
        )));
    };
    match st.store.check_token(token).await {
        Ok(TokenCheck::Valid(org)) => Ok(org),
        Ok(TokenCheck::Revoked) => Err(bad(Error::Forbidden("this API token was revoked".into()))),
        Ok(TokenCheck::Unknown) => Err(bad(Error::Unauthorized("unknown API token".into()))),
        Err(e) => Err(e.into_response()),
    }
}

async fn api_publish(
    State(st): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let org = match authorise(&st, addr.ip(), &headers).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    match publish(&st, &org, &body).await {
        Ok(p) => (StatusCode::CREATED, Json(p)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn publish(st: &AppState, org: &str, body: &[u8]) -> Result<Product, Error> {
    let sub: Submission = serde_json::from_slice(body).map_err(|e| {
        Error::Client(format!(
            "the body is not a publication ({{\"label\": ..., \"assessment\": ...}}): {e}"
        ))
    })?;
    let public = signer(&sub.label)?;
    match st.store.key_owner(&public).await? {
        Some(o) if o == org => {}
        _ => {
            return Err(Error::Forbidden(format!(
                "the label is signed by key {public}, which is not registered to organisation `{org}`"
            )));
        }
    }
    let key_bytes: [u8; 32] = hex::decode(&public)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Invalid("the label's public key is not 32 bytes of hex".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| Error::Invalid("the label's public key is not a valid Ed25519 key".into()))?;
    let mut new = tokio::task::block_in_place(|| check(&sub, org, &key, &st.schema))?;
    if st.store.product(&new.product.label_id).await?.is_some() {
        return Err(Error::Conflict("this label is already published".into()));
    }
    let _w = st.writer.lock().await;
    let index = st.log.read().expect("log lock").tree.size();
    new.product.leaf_index = index;
    let entry = entry_json(&LogEntry {
        kind: "publish".into(),
        org: org.to_string(),
        label_sha256: new.product.label_id.clone(),
        firmware_sha256: new.product.firmware_sha256.clone(),
        assessment_sha256: new.product.assessment_sha256.clone(),
        signing_key: public,
        time: new.product.published.clone(),
        reason: None,
    });
    st.store
        .insert_product(&new, index, &entry)
        .await
        .map_err(|e| match e {
            Error::Db(m)
                if m.contains("UNIQUE") || m.contains("unique") || m.contains("duplicate") =>
            {
                Error::Conflict("this label is already published".into())
            }
            e => e,
        })?;
    append(st, entry.as_bytes());
    Ok(new.product)
}

fn append(st: &AppState, entry: &[u8]) {
    let mut log = st.log.write().expect("log lock");
    log.tree.append(entry);
    log.note = st.checkpoint_of(&log.tree);
    st.verify_cache.write().expect("cache lock").clear();
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawBody {
    reason: String,
}

async fn api_withdraw(
    State(st): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let org = match authorise(&st, addr.ip(), &headers).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let r: Result<Product, Error> = async {
        let b: WithdrawBody = serde_json::from_slice(&body)
            .map_err(|e| Error::Client(format!("expected {{\"reason\": \"...\"}}: {e}")))?;
        if b.reason.len() > 2000 {
            return Err(Error::Client("the reason is longer than 2000 bytes".into()));
        }
        let p = st
            .store
            .product(&id)
            .await?
            .ok_or_else(|| Error::NotFound("no such label".into()))?;
        if p.org != org {
            return Err(Error::Forbidden(
                "this label belongs to another organisation".into(),
            ));
        }
        if p.withdrawn.is_some() {
            return Err(Error::Conflict("the label is already withdrawn".into()));
        }
        let label = st
            .store
            .documents(&id)
            .await?
            .map(|d| d.0)
            .unwrap_or_default();
        let signing_key = signer(&label)?;
        let _w = st.writer.lock().await;
        let index = st.log.read().expect("log lock").tree.size();
        let at = now();
        let entry = entry_json(&LogEntry {
            kind: "withdraw".into(),
            org: org.clone(),
            label_sha256: p.label_id.clone(),
            firmware_sha256: p.firmware_sha256.clone(),
            assessment_sha256: p.assessment_sha256.clone(),
            signing_key,
            time: at.clone(),
            reason: Some(b.reason.clone()),
        });
        st.store
            .withdraw(&id, &b.reason, index, &entry, &at)
            .await?;
        append(&st, entry.as_bytes());
        st.store
            .product(&id)
            .await?
            .ok_or_else(|| Error::NotFound("no such label".into()))
    }
    .await;
    match r {
        Ok(p) => Json(p).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn api_search(
    State(st): State<Shared>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Product>>, Error> {
    if q.q.len() > 500 {
        return Err(Error::Client("the query is longer than 500 bytes".into()));
    }
    Ok(Json(st.store.search(&q.q, 100).await?))
}

/// Whether a support period that ended (`YYYY-MM-DD...`) lies before today.
pub(crate) fn expired(support_end: Option<&str>) -> bool {
    let today = &now()[..10];
    support_end.is_some_and(|e| e.len() >= 10 && &e[..10] < today)
}

/// A product's status as a verifier states it.
pub(crate) fn status(p: &Product) -> &'static str {
    if p.withdrawn.is_some() {
        "withdrawn"
    } else if expired(p.support_end.as_deref()) {
        "support-ended"
    } else {
        "valid"
    }
}

#[derive(Serialize)]
struct ProductView {
    #[serde(flatten)]
    product: Product,
    status: &'static str,
    support_expired: bool,
    vulnerabilities: Vec<VulnView>,
    history: Vec<Product>,
}

#[derive(Serialize)]
struct VulnView {
    id: String,
    component: String,
    version: String,
    kev: bool,
}

async fn product_view(st: &AppState, id: &str) -> Result<ProductView, Error> {
    let product = st
        .store
        .product(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    let vulnerabilities = st
        .store
        .vulns(id)
        .await?
        .into_iter()
        .map(|(id, component, version, kev)| VulnView {
            id,
            component,
            version,
            kev,
        })
        .collect();
    let history = st.store.history(&product).await?;
    Ok(ProductView {
        status: status(&product),
        support_expired: expired(product.support_end.as_deref()),
        product,
        vulnerabilities,
        history,
    })
}

async fn api_product(State(st): State<Shared>, Path(id): Path<String>) -> Response {
    match product_view(&st, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn api_label(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, Error> {
    let (label, _) = st
        .store
        .documents(&id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    Ok(json_text(label))
}

async fn api_assessment(
    State(st): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let (_, a) = st
        .store
        .documents(&id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    Ok(json_text(a))
}

async fn api_sbom(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, Error> {
    let (_, a) = st
        .store
        .documents(&id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    let a: baseliner_model::Assessment =
        serde_json::from_str(&a).map_err(|e| Error::Db(e.to_string()))?;
    let art = baseliner_report::Artefacts::new(&a, "");
    let bytes = baseliner_report::Output::CycloneDx
        .render(&art)
        .map_err(|e| Error::Db(e.to_string()))?
        .unwrap_or_default();
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.cyclonedx+json")],
        bytes,
    )
        .into_response())
}

#[derive(Serialize)]
struct Verification {
    /// `valid`, `support-ended`, `withdrawn`, or `unknown` when nothing matches.
    status: &'static str,
    query: String,
    products: Vec<VerifiedProduct>,
    /// The signed checkpoint the log stood at when this answer was made.
    checkpoint: String,
}

#[derive(Serialize)]
struct VerifiedProduct {
    #[serde(flatten)]
    product: Product,
    status: &'static str,
}

async fn verification(st: &AppState, sha: &str) -> Result<Verification, Error> {
    let sha = sha.trim().to_ascii_lowercase();
    if !is_sha256(&sha) {
        return Err(Error::Client(
            "give a label id or firmware SHA-256 (64 hex digits)".into(),
        ));
    }
    let products = st.store.by_sha(&sha).await?;
    let status = if products.is_empty() {
        "unknown"
    } else if products.iter().any(|p| status(p) == "valid") {
        "valid"
    } else if products.iter().any(|p| p.withdrawn.is_none()) {
        "support-ended"
    } else {
        "withdrawn"
    };
    Ok(Verification {
        status,
        query: sha,
        products: products
            .into_iter()
            .map(|p| VerifiedProduct {
                status: status_of(&p),
                product: p,
            })
            .collect(),
        checkpoint: st.log.read().expect("log lock").note.clone(),
    })
}

fn status_of(p: &Product) -> &'static str {
    status(p)
}

async fn api_verify(State(st): State<Shared>, Path(sha): Path<String>) -> Response {
    verify_json(&st, &sha).await
}

/// The JSON verification answer, from the cache when fresh.
async fn verify_json(st: &AppState, sha: &str) -> Response {
    let key = sha.trim().to_ascii_lowercase();
    let cached = st
        .verify_cache
        .read()
        .expect("cache lock")
        .get(&key)
        .filter(|(t, _, _)| t.elapsed() < VERIFY_TTL)
        .map(|(_, s, b)| (*s, b.clone()));
    let (status, body) = match cached {
        Some(hit) => hit,
        None => {
            let (status, body) = match verification(st, &key).await {
                Ok(v) => {
                    let code = if v.status == "unknown" {
                        StatusCode::NOT_FOUND
                    } else {
                        StatusCode::OK
                    };
                    (
                        code,
                        Bytes::from(serde_json::to_vec(&v).expect("serialises")),
                    )
                }
                Err(e) => return e.into_response(),
            };
            let mut cache = st.verify_cache.write().expect("cache lock");
            if cache.len() >= VERIFY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), status, body.clone()));
            (status, body)
        }
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn api_proof(
    State(st): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Bundle>, Error> {
    let p = st
        .store
        .product(&id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    let (label, _) = st
        .store
        .documents(&id)
        .await?
        .ok_or_else(|| Error::NotFound("no such label".into()))?;
    let mut indexes = vec![p.leaf_index];
    indexes.extend(p.withdraw_leaf);
    let mut entries = vec![];
    for i in &indexes {
        let e = st.store.entries(*i, i + 1).await?;
        entries.push((
            *i,
            e.into_iter()
                .next()
                .ok_or_else(|| Error::Db(format!("leaf {i} missing")))?,
        ));
    }
    let log = st.log.read().expect("log lock");
    let size = log.tree.size();
    let entries = entries
        .into_iter()
        .map(|(index, entry)| BundleEntry {
            index,
            entry,
            inclusion: log
                .tree
                .inclusion_proof(index, size)
                .unwrap_or_default()
                .iter()
                .map(hex::encode)
                .collect(),
        })
        .collect();
    Ok(Json(Bundle {
        label,
        log_key: st.key.verifier().to_string(),
        checkpoint: log.note.clone(),
        entries,
    }))
}

#[derive(Deserialize)]
struct ImpactQuery {
    component: Option<String>,
    /// Lowest affected version, inclusive.
    min: Option<String>,
    /// Highest affected version, inclusive.
    max: Option<String>,
    cve: Option<String>,
}

#[derive(Serialize)]
struct Impacted {
    #[serde(flatten)]
    product: Product,
    #[serde(skip_serializing_if = "Option::is_none")]
    component_version: Option<String>,
}

async fn api_impact(
    State(st): State<Shared>,
    Query(q): Query<ImpactQuery>,
) -> Result<Json<Vec<Impacted>>, Error> {
    use baseliner_vulns::version::compare;
    use std::cmp::Ordering;
    match (&q.component, &q.cve) {
        (Some(name), None) => {
            let rows = st.store.with_component(name).await?;
            Ok(Json(
                rows.into_iter()
                    .filter(|(_, v)| {
                        q.min
                            .as_deref()
                            .is_none_or(|m| compare(v, m) != Ordering::Less)
                            && q.max
                                .as_deref()
                                .is_none_or(|m| compare(v, m) != Ordering::Greater)
                    })
                    .map(|(product, v)| Impacted {
                        product,
                        component_version: Some(v),
                    })
                    .collect(),
            ))
        }
        (None, Some(cve)) => Ok(Json(
            st.store
                .with_vuln(cve)
                .await?
                .into_iter()
                .map(|product| Impacted {
                    product,
                    component_version: None,
                })
                .collect(),
        )),
        _ => Err(Error::Client(
            "give either component (with optional min and max) or cve".into(),
        )),
    }
}

async fn api_log(State(st): State<Shared>) -> Json<serde_json::Value> {
    let log = st.log.read().expect("log lock");
    Json(json!({
        "origin": st.key.name,
        "size": log.tree.size(),
        "root": hex::encode(log.tree.root()),
        "log_key": st.key.verifier().to_string(),
        "checkpoint": log.note,
    }))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

async fn api_consistency(
    State(st): State<Shared>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<serde_json::Value>, Error> {
    let log = st.log.read().expect("log lock");
    let new = q.new.unwrap_or(log.tree.size());
    let proof = log.tree.consistency_proof(q.old, new).ok_or_else(|| {
        Error::Client(format!(
            "sizes must satisfy old <= new <= {}",
            log.tree.size()
        ))
    })?;
    Ok(Json(json!({
        "old": q.old,
        "new": new,
        "old_root": hex::encode(log.tree.root_at(q.old).unwrap_or_default()),
        "new_root": hex::encode(log.tree.root_at(new).unwrap_or_default()),
        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
}

async fn log_checkpoint(State(st): State<Shared>) -> Response {
    let note = st.log.read().expect("log lock").note.clone();
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        note,
    )
        .into_response()
}

async fn log_key(State(st): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", st.key.verifier()),
    )
        .into_response()
}

async fn log_tile(State(st): State<Shared>, Path(rest): Path<String>) -> Result<Response, Error> {
    let t = parse_tile_path(&rest).map_err(|e| Error::NotFound(e.to_string()))?;
    let bytes = match t.level {
        Some(_) => st.log.read().expect("log lock").tree.tile(&t),
        None => {
            let size = st.log.read().expect("log lock").tree.size();
            let from = t.index.saturating_mul(TILE_WIDTH);
            let to = from.saturating_add(t.width);
            if to > size {
                None
            } else {
                let entries = st.store.entries(from, to).await?;
                Some(
                    entry_bundle(entries.iter().map(|e| e.as_bytes()))
                        .map_err(|e| Error::Db(e.to_string()))?,
                )
            }
        }
    };
    let bytes = bytes
        .ok_or_else(|| Error::NotFound("no such tile in the log at its current size".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

async fn api_openapi() -> Json<serde_json::Value> {
    Json(openapi::document())
}

fn wants_json(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

async fn page_index(State(st): State<Shared>) -> Result<Html<String>, Error> {
    let recent = st.store.search("", 20).await?;
    let (products, leaves) = st.store.counts().await?;
    Ok(Html(html::index(&recent, products, leaves)))
}

async fn page_search(
    State(st): State<Shared>,
    Query(q): Query<SearchQuery>,
) -> Result<Html<String>, Error> {
    let q_text: String = q.q.chars().take(500).collect();
    let found = st.store.search(&q_text, 100).await?;
    Ok(Html(html::search(&q_text, &found)))
}

async fn page_product(State(st): State<Shared>, Path(id): Path<String>) -> Response {
    match product_view(&st, &id).await {
        Ok(v) => Html(html::product(
            &v.product,
            &v.vulnerabilities
                .iter()
                .map(|x| (x.id.clone(), x.component.clone(), x.version.clone(), x.kev))
                .collect::<Vec<_>>(),
            &v.history,
        ))
        .into_response(),
        Err(Error::NotFound(_)) => {
            (StatusCode::NOT_FOUND, Html(html::not_found(&id))).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn page_verify_form(
    State(st): State<Shared>,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    if q.q.trim().is_empty() {
        return Html(html::verify_form()).into_response();
    }
    page_verify(State(st), Path(q.q), headers).await
}

async fn page_verify(
    State(st): State<Shared>,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Response {
    if wants_json(&headers) {
        return verify_json(&st, &sha).await;
    }
    let v = verification(&st, &sha).await;
    match v {
        Ok(v) => {
            let code = if v.status == "unknown" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            let rows: Vec<(Product, &str)> = v
                .products
                .into_iter()
                .map(|p| (p.product, p.status))
                .collect();
            (code, Html(html::verify(&v.query, v.status, &rows))).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Html(html::verify_error(&sha, &e.to_string())),
        )
            .into_response(),
    }
}
