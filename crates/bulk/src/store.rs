//! Results of a bulk run in SQLite (a file, the default) or PostgreSQL (many machines),
//! through one set of portable SQL statements. Each image is written in one transaction,
//! so a run killed at any point leaves whole images or none, and the unique key
//! (image SHA-256, tool version, profile, knowledge-base version) makes a re-run skip
//! what is done and two workers unable to store an image twice.

use std::path::Path;

use base64::Engine as _;
use baseliner_model::{Assessment, VerdictStatus};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use crate::Error;
use crate::manifest::Job;

/// The schema, one statement per entry; `IF NOT EXISTS` makes opening idempotent.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS bulk_assessment (
        key TEXT PRIMARY KEY,
        image_sha256 TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        profile TEXT NOT NULL,
        kb_version TEXT NOT NULL,
        path TEXT NOT NULL,
        vendor TEXT,
        model TEXT,
        fw_version TEXT,
        release_date TEXT,
        outcome TEXT NOT NULL,
        mandatory_fail BIGINT NOT NULL,
        findings BIGINT NOT NULL,
        components BIGINT NOT NULL,
        vulnerabilities BIGINT NOT NULL,
        kev BIGINT NOT NULL,
        assessment TEXT NOT NULL,
        worker TEXT NOT NULL,
        duration_ms BIGINT NOT NULL,
        finished TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS bulk_verdict (
        key TEXT NOT NULL, provision TEXT NOT NULL, obligation TEXT NOT NULL, status TEXT NOT NULL,
        PRIMARY KEY (key, provision))",
    "CREATE TABLE IF NOT EXISTS bulk_finding (
        key TEXT NOT NULL, code TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (key, code))",
    "CREATE TABLE IF NOT EXISTS bulk_component (
        key TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (key, name, version))",
    "CREATE TABLE IF NOT EXISTS bulk_vuln (
        key TEXT NOT NULL, cve TEXT NOT NULL, component TEXT NOT NULL, version TEXT NOT NULL,
        kev BIGINT NOT NULL, PRIMARY KEY (key, cve, component, version))",
    "CREATE TABLE IF NOT EXISTS bulk_failure (
        path TEXT NOT NULL, run_key TEXT NOT NULL, error TEXT NOT NULL, finished TEXT NOT NULL,
        PRIMARY KEY (path, run_key))",
    "CREATE INDEX IF NOT EXISTS bulk_assessment_sha ON bulk_assessment (image_sha256)",
];

/// An open results database.
pub struct Store {
    pool: AnyPool,
    rt: tokio::runtime::Runtime,
}

/// The unique key of one assessment.
pub fn key(sha256: &str, tool: &str, profile: &str, kb: &str) -> String {
    format!("{sha256}|{tool}|{profile}|{kb}")
}

/// A database URL for a path, or the URL as given.
pub fn url_for(db: &str) -> String {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") || db.starts_with("sqlite:")
    {
        db.to_string()
    } else {
        format!("sqlite://{}?mode=rwc", db)
    }
}

impl Store {
    /// Opens (creating where missing) the database at `db`: a file path, `sqlite:` URL
    /// or `postgres://` URL.
    pub fn open(db: &str) -> Result<Store, Error> {
        install_default_drivers();
        let url = url_for(db);
        if let Some(p) = url
            .strip_prefix("sqlite://")
            .map(|r| r.split('?').next().unwrap_or(r))
            && let Some(parent) = Path::new(p).parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::Db(e.to_string()))?;
        let pool = rt
            .block_on(async {
                let sqlite = url.starts_with("sqlite:");
                let pool = AnyPoolOptions::new()
                    // One writer for SQLite (it serialises writes anyway); a few for PostgreSQL.
                    .max_connections(if sqlite { 1 } else { 4 })
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            if sqlite {
                                sqlx::query("PRAGMA journal_mode=WAL")
                                    .execute(&mut *conn)
                                    .await?;
                                sqlx::query("PRAGMA busy_timeout=30000")
                                    .execute(&mut *conn)
                                    .await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                // PostgreSQL races concurrent CREATE ... IF NOT EXISTS (two shards starting
                // together): take an advisory lock around the schema.
                let mut conn = pool.acquire().await?;
                if !sqlite {
                    sqlx::query("SELECT pg_advisory_lock(74261)")
                        .execute(&mut *conn)
                        .await?;
                }
                for s in SCHEMA {
                    sqlx::query(*s).execute(&mut *conn).await?;
                }
                if !sqlite {
                    sqlx::query("SELECT pg_advisory_unlock(74261)")
                        .execute(&mut *conn)
                        .await?;
                }
                drop(conn);
                Ok::<_, sqlx::Error>(pool)
            })
            .map_err(|e| Error::Db(format!("{}: {e}", redact(&url))))?;
        Ok(Store { pool, rt })
    }

    /// Whether the assessment with this key is stored.
    pub fn has(&self, key: &str) -> Result<bool, Error> {
        self.rt
            .block_on(async {
                sqlx::query("SELECT 1 FROM bulk_assessment WHERE key = $1")
                    .bind(key.to_string())
                    .fetch_optional(&self.pool)
                    .await
            })
            .map(|r| r.is_some())
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Stores one assessment and its derived rows in one transaction. A key already
    /// stored (another worker won the race) is left as it is.
    pub fn put(
        &self,
        key: &str,
        job: &Job,
        a: &Assessment,
        worker: &str,
        duration_ms: u64,
    ) -> Result<bool, Error> {
        let json = serde_json::to_vec(a).map_err(|e| Error::Db(e.to_string()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &json).map_err(|e| Error::Db(e.to_string()))?;
        let packed = base64::engine::general_purpose::STANDARD
            .encode(gz.finish().map_err(|e| Error::Db(e.to_string()))?);
        self.rt
            .block_on(async {
                let mut tx = self.pool.begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO bulk_assessment (key, image_sha256, tool_version, profile, kb_version,
                        path, vendor, model, fw_version, release_date, outcome, mandatory_fail,
                        findings, components, vulnerabilities, kev, assessment, worker, duration_ms, finished)
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key.to_string())
                .bind(a.image.sha256.clone())
                .bind(a.tool.version.clone())
                .bind(a.profile.clone())
                .bind(a.tool.kb_version.clone().unwrap_or_else(|| "none".into()))
                .bind(job.path.to_string_lossy().into_owned())
                .bind(job.vendor.clone())
                .bind(job.model.clone())
                .bind(job.version.clone())
                .bind(job.release_date.clone())
                .bind(a.summary.outcome.as_str().to_string())
                .bind(i64::from(a.summary.mandatory_fail))
                .bind(a.findings.len() as i64)
                .bind(a.components.len() as i64)
                .bind(a.vulnerabilities.len() as i64)
                .bind(a.vulnerabilities.iter().filter(|v| v.kev).count() as i64)
                .bind(packed)
                .bind(worker.to_string())
                .bind(duration_ms as i64)
                .bind(a.created.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                for v in &a.verdicts {
                    sqlx::query("INSERT INTO bulk_verdict (key, provision, obligation, status) VALUES ($1,$2,$3,$4)")
                        .bind(key.to_string())
                        .bind(v.provision.clone())
                        .bind(match v.obligation {
                            baseliner_model::Obligation::Mandatory => "mandatory",
                            baseliner_model::Obligation::Recommended => "recommended",
                        })
                        .bind(v.status.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                let mut codes = std::collections::BTreeMap::<&str, i64>::new();
                for f in &a.findings {
                    *codes.entry(f.code.as_str()).or_default() += 1;
                }
                for (c, n) in codes {
                    sqlx::query("INSERT INTO bulk_finding (key, code, n) VALUES ($1,$2,$3)")
                        .bind(key.to_string())
                        .bind(c)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                }
                let comps: std::collections::BTreeSet<(&str, &str)> = a
                    .components
                    .iter()
                    .map(|c| (c.name.as_str(), c.version.as_str()))
                    .collect();
                for (n, v) in comps {
                    sqlx::query("INSERT INTO bulk_component (key, name, version) VALUES ($1,$2,$3)")
                        .bind(key.to_string())
                        .bind(n)
                        .bind(v)
                        .execute(&mut *tx)
                        .await?;
                }
                let vulns: std::collections::BTreeMap<(&str, &str, &str), bool> = a
                    .vulnerabilities
                    .iter()
                    .filter(|v| v.may_affect())
                    .map(|v| ((v.id.as_str(), v.component.as_str(), v.version.as_str()), v.kev))
                    .collect();
                for ((id, c, v), kev) in vulns {
                    sqlx::query("INSERT INTO bulk_vuln (key, cve, component, version, kev) VALUES ($1,$2,$3,$4,$5)")
                        .bind(key.to_string())
                        .bind(id)
                        .bind(c)
                        .bind(v)
                        .bind(i64::from(kev))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            })
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Records an image that could not be assessed (unreadable, not a file).
    pub fn put_failure(&self, path: &str, run_key: &str, error: &str) -> Result<(), Error> {
        self.rt
            .block_on(async {
                sqlx::query(
                    "INSERT INTO bulk_failure (path, run_key, error, finished) VALUES ($1,$2,$3,$4)
                     ON CONFLICT (path, run_key) DO UPDATE SET error = excluded.error, finished = excluded.finished",
                )
                .bind(path.to_string())
                .bind(run_key.to_string())
                .bind(error.to_string())
                .bind(baseliner_model::now_rfc3339())
                .execute(&self.pool)
                .await
            })
            .map(|_| ())
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// The stored assessment with this key.
    pub fn assessment(&self, key: &str) -> Result<Option<Assessment>, Error> {
        let row = self
            .rt
            .block_on(async {
                sqlx::query("SELECT assessment FROM bulk_assessment WHERE key = $1")
                    .bind(key.to_string())
                    .fetch_optional(&self.pool)
                    .await
            })
            .map_err(|e| Error::Db(e.to_string()))?;
        let Some(row) = row else { return Ok(None) };
        let packed: String = row.try_get(0).map_err(|e| Error::Db(e.to_string()))?;
        let gz = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| Error::Db(e.to_string()))?;
        let mut json = vec![];
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut json)
            .map_err(|e| Error::Db(e.to_string()))?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Runs a read-only query for the report: rows of text columns.
    pub fn rows(&self, sql: &'static str) -> Result<Vec<Vec<Option<String>>>, Error> {
        self.rt
            .block_on(async {
                let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
                let mut out = vec![];
                for r in rows {
                    let mut cols = vec![];
                    for i in 0..r.len() {
                        let v: Option<String> =
                            r.try_get::<Option<String>, _>(i).or_else(|_| {
                                r.try_get::<Option<i64>, _>(i)
                                    .map(|x| x.map(|n| n.to_string()))
                            })?;
                        cols.push(v);
                    }
                    out.push(cols);
                }
                Ok::<_, sqlx::Error>(out)
            })
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Deletes every row (tests and benchmarks start from a clean database).
    pub fn clear(&self) -> Result<(), Error> {
        self.rt
            .block_on(async {
                for q in [
                    "DELETE FROM bulk_assessment",
                    "DELETE FROM bulk_verdict",
                    "DELETE FROM bulk_finding",
                    "DELETE FROM bulk_component",
                    "DELETE FROM bulk_vuln",
                    "DELETE FROM bulk_failure",
                ] {
                    sqlx::query(q).execute(&self.pool).await?;
                }
                Ok::<_, sqlx::Error>(())
            })
            .map_err(|e| Error::Db(e.to_string()))
    }
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether `s` is a status that fails.
pub fn failing(s: &str) -> bool {
    s == VerdictStatus::Fail.as_str()
}
