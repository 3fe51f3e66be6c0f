//! Storage: organisations, hashed API tokens, label-signing keys, products, their
//! components and vulnerabilities, and the log's leaves. One set of portable SQL for
//! SQLite and PostgreSQL (`$n` placeholders, TEXT and BIGINT only). A publication and
//! its log leaf are written in one transaction, so a crash leaves both or neither.

use std::path::Path;

use baseliner_tlog::{Hash, LogKey, Tree, leaf_hash};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use crate::{Error, is_sha256, now, sha256_hex};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS reg_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reg_org (name TEXT PRIMARY KEY, created TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reg_token (hash TEXT PRIMARY KEY, org TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)",
    "CREATE TABLE IF NOT EXISTS reg_key (public_key TEXT PRIMARY KEY, org TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)",
    "CREATE TABLE IF NOT EXISTS reg_leaf (idx BIGINT PRIMARY KEY, entry TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reg_product (
        label_sha256 TEXT PRIMARY KEY,
        org TEXT NOT NULL,
        manufacturer TEXT, product TEXT, model TEXT, firmware_version TEXT,
        firmware_sha256 TEXT NOT NULL,
        assessment_sha256 TEXT NOT NULL,
        profile TEXT NOT NULL, scheme TEXT NOT NULL, outcome TEXT NOT NULL,
        support_end TEXT, disclosure_contact TEXT, issued TEXT NOT NULL,
        label TEXT NOT NULL, assessment TEXT NOT NULL,
        published TEXT NOT NULL, leaf_index BIGINT NOT NULL UNIQUE,
        withdrawn TEXT, withdraw_reason TEXT, withdraw_leaf BIGINT,
        kev_gained TEXT,
        search TEXT NOT NULL,
        family TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS reg_product_family ON reg_product (family, leaf_index)",
    "CREATE INDEX IF NOT EXISTS reg_product_fw ON reg_product (firmware_sha256)",
    "CREATE INDEX IF NOT EXISTS reg_product_as ON reg_product (assessment_sha256)",
    "CREATE TABLE IF NOT EXISTS reg_component (label_sha256 TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        PRIMARY KEY (label_sha256, name, version))",
    "CREATE INDEX IF NOT EXISTS reg_component_name ON reg_component (name)",
    "CREATE TABLE IF NOT EXISTS reg_vuln (label_sha256 TEXT NOT NULL, id TEXT NOT NULL, component TEXT NOT NULL,
        version TEXT NOT NULL, kev BIGINT NOT NULL, PRIMARY KEY (label_sha256, id, component, version))",
    "CREATE INDEX IF NOT EXISTS reg_vuln_id ON reg_vuln (id)",
];

/// The columns a product summary reads.
const PRODUCT_COLS: &str =
    "label_sha256, org, manufacturer, product, model, firmware_version, firmware_sha256,
    assessment_sha256, profile, scheme, outcome, support_end, disclosure_contact, issued, published,
    leaf_index, withdrawn, withdraw_reason, withdraw_leaf, kev_gained";

/// A published label as listed and verified.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Product {
    /// SHA-256 of label.json: the label's id.
    pub label_id: String,
    pub org: String,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    pub firmware_sha256: String,
    pub assessment_sha256: String,
    pub profile: String,
    pub scheme: String,
    pub outcome: String,
    pub support_end: Option<String>,
    pub disclosure_contact: Option<String>,
    pub issued: String,
    pub published: String,
    pub leaf_index: u64,
    pub withdrawn: Option<String>,
    pub withdraw_reason: Option<String>,
    pub withdraw_leaf: Option<u64>,
    /// Known-exploited vulnerabilities found by a re-match after publication.
    pub kev_gained: Vec<String>,
}

fn product_from(r: &sqlx::any::AnyRow) -> Result<Product, sqlx::Error> {
    let kev: Option<String> = r.try_get("kev_gained")?;
    Ok(Product {
        label_id: r.try_get("label_sha256")?,
        org: r.try_get("org")?,
        manufacturer: r.try_get("manufacturer")?,
        product: r.try_get("product")?,
        model: r.try_get("model")?,
        firmware_version: r.try_get("firmware_version")?,
        firmware_sha256: r.try_get("firmware_sha256")?,
        assessment_sha256: r.try_get("assessment_sha256")?,
        profile: r.try_get("profile")?,
        scheme: r.try_get("scheme")?,
        outcome: r.try_get("outcome")?,
        support_end: r.try_get("support_end")?,
        disclosure_contact: r.try_get("disclosure_contact")?,
        issued: r.try_get("issued")?,
        published: r.try_get("published")?,
        leaf_index: r.try_get::<i64, _>("leaf_index")? as u64,
        withdrawn: r.try_get("withdrawn")?,
        withdraw_reason: r.try_get("withdraw_reason")?,
        withdraw_leaf: r
            .try_get::<Option<i64>, _>("withdraw_leaf")?
            .map(|v| v as u64),
        kev_gained: kev
            .map(|k| {
                k.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// A product row to insert (built by the submission check).
pub struct NewProduct {
    pub product: Product,
    pub label: String,
    pub assessment: String,
    pub components: Vec<(String, String)>,
    pub vulns: Vec<(String, String, String, bool)>,
}

/// The log entry of a publication or withdrawal, as canonical JSON.
pub fn entry_json(e: &crate::LogEntry) -> String {
    String::from_utf8(serde_json_canonicalizer::to_vec(e).expect("entry serialises"))
        .expect("canonical JSON is UTF-8")
}

/// What groups a product's firmware history: publisher, manufacturer and model (or
/// product name), as one indexed key.
fn family(p: &Product) -> String {
    serde_json::to_string(&(
        &p.org,
        p.manufacturer.as_deref().unwrap_or(""),
        p.model.as_deref().or(p.product.as_deref()).unwrap_or(""),
    ))
    .expect("strings serialise")
}

/// An open registry database.
#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub sqlite: bool,
}

/// A database URL for a path, or the URL as given.
pub fn url_for(db: &str) -> String {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") || db.starts_with("sqlite:")
    {
        db.to_string()
    } else {
        format!("sqlite://{db}?mode=rwc")
    }
}

/// The default database: `registry.sqlite` in the data directory.
pub fn default_db() -> String {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| ".".into());
    base.join("baseliner/registry.sqlite").display().to_string()
}

fn random_hex(n: usize) -> Result<String, Error> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| Error::Io(format!("random source: {e}")))?;
    Ok(hex::encode(b))
}

/// What a token resolves to.
pub enum TokenCheck {
    Valid(String),
    Revoked,
    Unknown,
}

impl Store {
    /// Opens (creating tables where missing) the database at `db`.
    pub async fn open(db: &str) -> Result<Store, Error> {
        install_default_drivers();
        let url = url_for(db);
        if let Some(p) = url
            .strip_prefix("sqlite://")
            .map(|r| r.split('?').next().unwrap_or(r))
            && let Some(parent) = Path::new(p).parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Io(format!("{}: {e}", parent.display())))?;
        }
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::query("PRAGMA journal_mode=WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout=30000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous=FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| Error::Db(format!("{}: {e}", redact(&url))))?;
        let mut conn = pool.acquire().await?;
        if !sqlite {
            sqlx::query("SELECT pg_advisory_lock(74262)")
                .execute(&mut *conn)
                .await?;
        }
        for s in SCHEMA {
            sqlx::query(*s).execute(&mut *conn).await?;
        }
        if !sqlite {
            sqlx::query("SELECT pg_advisory_unlock(74262)")
                .execute(&mut *conn)
                .await?;
        }
        drop(conn);
        Ok(Store { pool, sqlite })
    }

    async fn meta(&self, k: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query("SELECT v FROM reg_meta WHERE k = $1")
            .bind(k.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get::<String, _>(0)))
    }

    /// The log's signing key, made on first use and kept in the database so every
    /// server on this database signs as the same log. `origin` names a new log only.
    pub async fn log_key(&self, origin: &str) -> Result<LogKey, Error> {
        sqlx::query("INSERT INTO reg_meta (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING")
            .bind("log_origin")
            .bind(origin.to_string())
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO reg_meta (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING")
            .bind("log_seed")
            .bind(random_hex(32)?)
            .execute(&self.pool)
            .await?;
        let origin = self.meta("log_origin").await?.unwrap_or_default();
        let seed: [u8; 32] = hex::decode(self.meta("log_seed").await?.unwrap_or_default())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Db("the stored log key is damaged".into()))?;
        LogKey::from_seed(&origin, seed).map_err(|e| Error::Invalid(e.to_string()))
    }

    /// Every leaf, in order, as the in-memory tree and the entries' count. A gap in
    /// the indexes (never written by this code) is reported, not papered over.
    pub async fn load_tree(&self) -> Result<Tree, Error> {
        let rows = sqlx::query("SELECT idx, hash FROM reg_leaf ORDER BY idx")
            .fetch_all(&self.pool)
            .await?;
        let mut t = Tree::new();
        for r in rows {
            let idx: i64 = r.get(0);
            let h: String = r.get(1);
            if idx as u64 != t.size() {
                return Err(Error::Db(format!("log leaf {} is missing", t.size())));
            }
            let hash: Hash = hex::decode(&h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Db(format!("log leaf {idx} has a damaged hash")))?;
            t.push_leaf_hash(hash);
        }
        Ok(t)
    }

    /// Entries `[from, to)` of the log.
    pub async fn entries(&self, from: u64, to: u64) -> Result<Vec<String>, Error> {
        Ok(
            sqlx::query("SELECT entry FROM reg_leaf WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect(),
        )
    }

    pub async fn ensure_org(&self, name: &str) -> Result<(), Error> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err(Error::Invalid(
                "an organisation name is 1 to 200 printable characters".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO reg_org (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A new API token for `org` (created if missing). Only its SHA-256 is stored;
    /// the token itself is returned once.
    pub async fn new_token(&self, org: &str) -> Result<String, Error> {
        self.ensure_org(org).await?;
        let token = format!("blr_{}", random_hex(32)?);
        sqlx::query("INSERT INTO reg_token (hash, org, created) VALUES ($1, $2, $3)")
            .bind(sha256_hex(token.as_bytes()))
            .bind(org.trim().to_string())
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(token)
    }

    /// Revokes a token given as itself or as its SHA-256. Returns whether one was revoked.
    pub async fn revoke_token(&self, token: &str) -> Result<bool, Error> {
        let hash = if is_sha256(token) {
            token.to_string()
        } else {
            sha256_hex(token.as_bytes())
        };
        let r =
            sqlx::query("UPDATE reg_token SET revoked = $1 WHERE hash = $2 AND revoked IS NULL")
                .bind(now())
                .bind(hash)
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn check_token(&self, token: &str) -> Result<TokenCheck, Error> {
        let row = sqlx::query("SELECT org, revoked FROM reg_token WHERE hash = $1")
            .bind(sha256_hex(token.as_bytes()))
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            None => TokenCheck::Unknown,
            Some(r) => match r.get::<Option<String>, _>(1) {
                Some(_) => TokenCheck::Revoked,
                None => TokenCheck::Valid(r.get(0)),
            },
        })
    }

    /// Registers a label-signing public key (hex) to `org`. A key belongs to one
    /// organisation only.
    pub async fn add_key(&self, org: &str, public_hex: &str) -> Result<(), Error> {
        if !(public_hex.len() == 64 && public_hex.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(Error::Invalid("a public key is 64 hex digits".into()));
        }
        let public_hex = public_hex.to_ascii_lowercase();
        self.ensure_org(org).await?;
        let owner = sqlx::query("SELECT org FROM reg_key WHERE public_key = $1")
            .bind(public_hex.clone())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get::<String, _>(0));
        match owner {
            Some(o) if o == org.trim() => Ok(()),
            Some(_) => Err(Error::Conflict(
                "this key is registered to another organisation".into(),
            )),
            None => {
                sqlx::query("INSERT INTO reg_key (public_key, org, created) VALUES ($1, $2, $3)")
                    .bind(public_hex)
                    .bind(org.trim().to_string())
                    .bind(now())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// The organisation a key is registered to, if it is and is not revoked.
    pub async fn key_owner(&self, public_hex: &str) -> Result<Option<String>, Error> {
        Ok(
            sqlx::query("SELECT org FROM reg_key WHERE public_key = $1 AND revoked IS NULL")
                .bind(public_hex.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.get::<String, _>(0)),
        )
    }

    /// Stores a product and appends its leaf at `index`, in one transaction.
    pub async fn insert_product(
        &self,
        p: &NewProduct,
        index: u64,
        entry: &str,
    ) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO reg_leaf (idx, entry, hash) VALUES ($1, $2, $3)")
            .bind(index as i64)
            .bind(entry.to_string())
            .bind(hex::encode(leaf_hash(entry.as_bytes())))
            .execute(&mut *tx)
            .await?;
        let q = &p.product;
        let search = [&q.manufacturer, &q.product, &q.model, &q.firmware_version]
            .iter()
            .filter_map(|s| s.as_deref())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        sqlx::query(
            "INSERT INTO reg_product (label_sha256, org, manufacturer, product, model, firmware_version,
                firmware_sha256, assessment_sha256, profile, scheme, outcome, support_end, disclosure_contact,
                issued, label, assessment, published, leaf_index, search, family)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
        )
        .bind(q.label_id.clone())
        .bind(q.org.clone())
        .bind(q.manufacturer.clone())
        .bind(q.product.clone())
        .bind(q.model.clone())
        .bind(q.firmware_version.clone())
        .bind(q.firmware_sha256.clone())
        .bind(q.assessment_sha256.clone())
        .bind(q.profile.clone())
        .bind(q.scheme.clone())
        .bind(q.outcome.clone())
        .bind(q.support_end.clone())
        .bind(q.disclosure_contact.clone())
        .bind(q.issued.clone())
        .bind(p.label.clone())
        .bind(p.assessment.clone())
        .bind(q.published.clone())
        .bind(index as i64)
        .bind(search)
        .bind(family(q))
        .execute(&mut *tx)
        .await?;
        for (name, version) in &p.components {
            sqlx::query(
                "INSERT INTO reg_component (label_sha256, name, version) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
            )
            .bind(q.label_id.clone())
            .bind(name.clone())
            .bind(version.clone())
            .execute(&mut *tx)
            .await?;
        }
        for (id, comp, ver, kev) in &p.vulns {
            sqlx::query(
                "INSERT INTO reg_vuln (label_sha256, id, component, version, kev) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
            )
            .bind(q.label_id.clone())
            .bind(id.clone())
            .bind(comp.clone())
            .bind(ver.clone())
            .bind(i64::from(*kev))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks a product withdrawn and appends the withdrawal's leaf, in one transaction.
    pub async fn withdraw(
        &self,
        label_id: &str,
        reason: &str,
        index: u64,
        entry: &str,
        at: &str,
    ) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO reg_leaf (idx, entry, hash) VALUES ($1, $2, $3)")
            .bind(index as i64)
            .bind(entry.to_string())
            .bind(hex::encode(leaf_hash(entry.as_bytes())))
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query(
            "UPDATE reg_product SET withdrawn = $1, withdraw_reason = $2, withdraw_leaf = $3
             WHERE label_sha256 = $4 AND withdrawn IS NULL",
        )
        .bind(at.to_string())
        .bind(reason.to_string())
        .bind(index as i64)
        .bind(label_id.to_string())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(Error::Conflict("the label is already withdrawn".into()));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn product(&self, label_id: &str) -> Result<Option<Product>, Error> {
        let sql = format!("SELECT {PRODUCT_COLS} FROM reg_product WHERE label_sha256 = $1");
        Ok(
            match sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(label_id.to_string())
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Some(product_from(&r)?),
                None => None,
            },
        )
    }

    /// The stored label.json and assessment.json of a product.
    pub async fn documents(&self, label_id: &str) -> Result<Option<(String, String)>, Error> {
        Ok(
            sqlx::query("SELECT label, assessment FROM reg_product WHERE label_sha256 = $1")
                .bind(label_id.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(|r| (r.get(0), r.get(1))),
        )
    }

    /// Products whose label id, firmware SHA-256 or assessment SHA-256 is `sha`.
    pub async fn by_sha(&self, sha: &str) -> Result<Vec<Product>, Error> {
        let sql = format!(
            "SELECT {PRODUCT_COLS} FROM reg_product WHERE label_sha256 = $1 OR firmware_sha256 = $1
             OR assessment_sha256 = $1 ORDER BY leaf_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(sha.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| product_from(r).map_err(Error::from))
            .collect()
    }

    /// Products matching every word of `q` (manufacturer, product, model, firmware
    /// version) or whose firmware SHA-256 is `q`; newest first.
    pub async fn search(&self, q: &str, limit: u32) -> Result<Vec<Product>, Error> {
        let q = q.trim().to_lowercase();
        if is_sha256(&q) {
            return self.by_sha(&q).await;
        }
        let words: Vec<String> = q.split_whitespace().take(8).map(String::from).collect();
        let mut sql = format!("SELECT {PRODUCT_COLS} FROM reg_product WHERE 1=1");
        for i in 0..words.len() {
            sql.push_str(&format!(" AND search LIKE ${} ESCAPE '!'", i + 1));
        }
        sql.push_str(&format!(
            " ORDER BY leaf_index DESC LIMIT {}",
            limit.min(500)
        ));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for w in &words {
            let escaped = w.replace('!', "!!").replace('%', "!%").replace('_', "!_");
            query = query.bind(format!("%{escaped}%"));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| product_from(r).map_err(Error::from))
            .collect()
    }

    /// Other publications of the same manufacturer and model (or product), oldest first.
    pub async fn history(&self, p: &Product) -> Result<Vec<Product>, Error> {
        let sql = format!(
            "SELECT {PRODUCT_COLS} FROM reg_product WHERE family = $1 ORDER BY leaf_index LIMIT 200"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(family(p))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| product_from(r).map_err(Error::from))
            .collect()
    }

    /// Products containing component `name` (exact, case-insensitive), with the version found.
    pub async fn with_component(&self, name: &str) -> Result<Vec<(Product, String)>, Error> {
        let cols = PRODUCT_COLS
            .split(',')
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, c.version AS cversion FROM reg_product p JOIN reg_component c
             ON c.label_sha256 = p.label_sha256 WHERE LOWER(c.name) = $1 ORDER BY p.leaf_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(name.to_lowercase())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((product_from(r)?, r.try_get::<String, _>("cversion")?)))
            .collect()
    }

    /// Products with vulnerability `id` (CVE, GHSA, ...) matched.
    pub async fn with_vuln(&self, id: &str) -> Result<Vec<Product>, Error> {
        let sql = format!(
            "SELECT {PRODUCT_COLS} FROM reg_product WHERE label_sha256 IN
             (SELECT label_sha256 FROM reg_vuln WHERE UPPER(id) = $1) ORDER BY leaf_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.to_uppercase())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| product_from(r).map_err(Error::from))
            .collect()
    }

    /// Vulnerabilities stored for a product: (id, component, version, kev).
    pub async fn vulns(
        &self,
        label_id: &str,
    ) -> Result<Vec<(String, String, String, bool)>, Error> {
        Ok(sqlx::query(
            "SELECT id, component, version, kev FROM reg_vuln WHERE label_sha256 = $1 ORDER BY id",
        )
        .bind(label_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) != 0))
        .collect())
    }

    /// Every product's label id and stored assessment (for re-matching).
    pub async fn all_ids(&self) -> Result<Vec<String>, Error> {
        Ok(
            sqlx::query("SELECT label_sha256 FROM reg_product ORDER BY leaf_index")
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
        )
    }

    /// Replaces a product's matched vulnerabilities after a re-match and records the
    /// known-exploited ones it gained.
    pub async fn replace_vulns(
        &self,
        label_id: &str,
        vulns: &[(String, String, String, bool)],
        kev_gained: &[String],
    ) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM reg_vuln WHERE label_sha256 = $1")
            .bind(label_id.to_string())
            .execute(&mut *tx)
            .await?;
        for (id, comp, ver, kev) in vulns {
            sqlx::query(
                "INSERT INTO reg_vuln (label_sha256, id, component, version, kev) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
            )
            .bind(label_id.to_string())
            .bind(id.clone())
            .bind(comp.clone())
            .bind(ver.clone())
            .bind(i64::from(*kev))
            .execute(&mut *tx)
            .await?;
        }
        if !kev_gained.is_empty() {
            sqlx::query("UPDATE reg_product SET kev_gained = $1 WHERE label_sha256 = $2")
                .bind(kev_gained.join(","))
                .bind(label_id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What changes whenever stored answers may change: the log's size (publications,
    /// withdrawals) and the data generation a re-match bumps.
    pub async fn generation(&self) -> Result<(i64, Option<String>), Error> {
        let leaves: i64 = sqlx::query("SELECT COUNT(*) FROM reg_leaf")
            .fetch_one(&self.pool)
            .await?
            .get(0);
        Ok((leaves, self.meta("generation").await?))
    }

    /// Records that derived data (matched vulnerabilities) changed.
    pub async fn bump_generation(&self) -> Result<(), Error> {
        sqlx::query("INSERT INTO reg_meta (k, v) VALUES ('generation', $1) ON CONFLICT (k) DO UPDATE SET v = excluded.v")
            .bind(format!("{} {}", now(), random_hex(8)?))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts of products and log leaves (for tests and the front page).
    pub async fn counts(&self) -> Result<(u64, u64), Error> {
        let p: i64 = sqlx::query("SELECT COUNT(*) FROM reg_product")
            .fetch_one(&self.pool)
            .await?
            .get(0);
        let l: i64 = sqlx::query("SELECT COUNT(*) FROM reg_leaf")
            .fetch_one(&self.pool)
            .await?
            .get(0);
        Ok((p as u64, l as u64))
    }
}

/// A URL with any password replaced, for error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
