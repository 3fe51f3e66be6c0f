//! The SQLite knowledge base (through sqlx, the project's database layer).
//!
//! Records are stored in the crate's own compact form (see `record`), with an index
//! from CPE `vendor:product` to CVE so matching reads only candidate records.
//! Writes are batched into multi-row statements inside one transaction per file:
//! per-statement overhead, not SQLite, is what limits import speed.

use std::collections::HashMap;

use sqlx::sqlite::{SqliteConnection, SqliteRow};
// Dynamic SQL below is built only from placeholders and fixed table names.
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::record::{Config, CveRecord, KernelFix, KevEntry, OsvPackage, OsvRecord};

pub(crate) type DbResult<T> = std::result::Result<T, sqlx::Error>;

/// Schema version written to `meta`; bump on incompatible change.
pub const SCHEMA_VERSION: &str = "2";

/// The stored upper bound of an unbounded range: above every
/// [`Version::sort_key`](crate::version::Version::sort_key), which starts with a byte below 0xff.
pub(crate) const NO_UPPER: &[u8] = &[0xff];

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    // Keyed by `record::cve_key`: an integer seek is cheaper than a text one, and
    // matching seeks one row per matched record.
    "CREATE TABLE IF NOT EXISTS cve (k INTEGER PRIMARY KEY, id TEXT NOT NULL, \
     modified TEXT NOT NULL, published TEXT NOT NULL, score REAL, severity TEXT, \
     summary TEXT NOT NULL)",
    // Configurations apart, so the rows read for every match stay small and dense.
    "CREATE TABLE IF NOT EXISTS cve_config (k INTEGER PRIMARY KEY, configs TEXT NOT NULL)",
    // One row per vulnerable criterion, clustered by CPE key and then upper bound;
    // versions as order-preserving BLOBs so SQLite itself drops rows whose range
    // excludes the component's version, and seeks past every row whose upper bound is
    // below it (no upper bound is stored as [`NO_UPPER`]). `decisive` rows (plain-OR
    // configurations) decide a match alone; `context` lists the products an AND
    // configuration needs.
    "CREATE TABLE IF NOT EXISTS cpe_match (key TEXT NOT NULL, hi BLOB NOT NULL, \
     cve INTEGER NOT NULL, n INTEGER NOT NULL, lo BLOB, lo_incl INTEGER NOT NULL, \
     hi_incl INTEGER NOT NULL, decisive INTEGER NOT NULL, context TEXT NOT NULL, \
     no_version INTEGER NOT NULL, rule TEXT NOT NULL, \
     PRIMARY KEY (key, hi, cve, n)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS osv (id TEXT PRIMARY KEY, modified TEXT NOT NULL, \
     aliases TEXT NOT NULL, summary TEXT NOT NULL, severity TEXT, affected TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS osv_index (ecosystem TEXT NOT NULL, name TEXT NOT NULL, \
     id TEXT NOT NULL, PRIMARY KEY (ecosystem, name, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, date_added TEXT NOT NULL, \
     name TEXT NOT NULL, ransomware TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kernel_fix (cve TEXT NOT NULL, stream TEXT NOT NULL, \
     fixed TEXT NOT NULL, PRIMARY KEY (cve, stream)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS source (kind TEXT PRIMARY KEY, file TEXT NOT NULL, \
     imported_at TEXT NOT NULL, newest TEXT)",
    // `db update`'s cursors and refresh times (JSON or RFC 3339 per key), written in
    // the same transaction as the records they describe.
    "CREATE TABLE IF NOT EXISTS update_state (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
];

/// Rows per multi-row statement (SQLite allows 32,766 bound values).
const BATCH: usize = 400;

pub(crate) async fn init(conn: &mut SqliteConnection) -> DbResult<()> {
    // Refuse a database that is not ours (or of another schema) instead of reading
    // columns of unexpected types later.
    let tables: i64 = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let has_meta: i64 =
        sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    if tables > 0 && has_meta == 0 {
        return Err(sqlx::Error::Protocol(
            "not a baseliner knowledge base (no meta table)".into(),
        ));
    }
    if has_meta == 1 {
        let schema: Option<String> = sqlx::query("SELECT v FROM meta WHERE k = 'schema'")
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if schema.as_deref().is_some_and(|v| v != SCHEMA_VERSION) {
            return Err(sqlx::Error::Protocol(format!(
                "knowledge base schema {} is not the supported {SCHEMA_VERSION}: re-import into a new file",
                schema.unwrap_or_default()
            )));
        }
    }
    for s in SCHEMA {
        sqlx::query(*s).execute(&mut *conn).await?;
    }
    sqlx::query("INSERT OR IGNORE INTO meta (k, v) VALUES ('schema', ?)")
        .bind(SCHEMA_VERSION)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A fresh generation token: renewed by every write, so an index built from an earlier
/// state of the knowledge base is recognised as stale (see `memindex`).
pub(crate) fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let mut out = String::with_capacity(32);
    for round in 0..2u64 {
        // `RandomState` is seeded from the operating system's random source.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(now);
        h.write_u32(std::process::id());
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(round);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Renews the generation token (inside the caller's transaction). The knowledge
/// base is then no longer the snapshot it was imported from or exported as.
pub(crate) async fn bump_generation(conn: &mut SqliteConnection) -> DbResult<()> {
    sqlx::query("INSERT OR REPLACE INTO meta (k, v) VALUES ('generation', ?)")
        .bind(new_token())
        .execute(&mut *conn)
        .await?;
    set_snapshot(conn, None).await
}

/// Records (or with `None` forgets) the snapshot `(id, created)` the knowledge base is.
pub(crate) async fn set_snapshot(
    conn: &mut SqliteConnection,
    snap: Option<(&str, &str)>,
) -> DbResult<()> {
    match snap {
        Some((id, created)) => {
            for (k, v) in [("snapshot", id), ("snapshot_created", created)] {
                sqlx::query("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)")
                    .bind(k)
                    .bind(v)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        None => {
            sqlx::query("DELETE FROM meta WHERE k IN ('snapshot', 'snapshot_created')")
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// The snapshot `(id, created)` the knowledge base is, if it is one.
pub(crate) async fn snapshot(conn: &mut SqliteConnection) -> DbResult<Option<(String, String)>> {
    let rows = sqlx::query("SELECT k, v FROM meta WHERE k IN ('snapshot', 'snapshot_created')")
        .fetch_all(&mut *conn)
        .await?;
    let get = |k: &str| {
        rows.iter()
            .find(|r| r.get::<String, _>(0) == k)
            .map(|r| r.get::<String, _>(1))
    };
    Ok(get("snapshot").map(|id| (id, get("snapshot_created").unwrap_or_default())))
}

fn placeholders(rows: usize, cols: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    vec![one; rows].join(",")
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub added: u64,
    pub replaced: u64,
    pub unchanged: u64,
}

async fn existing_modified(
    conn: &mut SqliteConnection,
    table: &str,
    ids: &[&str],
) -> DbResult<HashMap<String, String>> {
    let sql = format!(
        "SELECT id, modified FROM {table} WHERE id IN ({})",
        vec!["?"; ids.len()].join(",")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect())
}

/// Stored `lastModified` per id of `recs` (by integer key: `cve` has no text index).
async fn cve_modified(
    conn: &mut SqliteConnection,
    recs: &[CveRecord],
) -> DbResult<HashMap<String, String>> {
    let sql = format!(
        "SELECT id, modified FROM cve WHERE k IN ({})",
        vec!["?"; recs.len()].join(",")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for r in recs {
        q = q.bind(r.key());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect())
}

/// Writes NVD records; a record replaces a stored one only when its `lastModified` is newer.
pub(crate) async fn put_cves(conn: &mut SqliteConnection, recs: &[CveRecord]) -> DbResult<Counts> {
    let mut tx = conn.begin().await?;
    let c = put_cves_in(&mut tx, recs).await?;
    // A file that changed nothing leaves the generation (and the index) as it was.
    if c.added + c.replaced > 0 {
        bump_generation(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(c)
}

/// [`put_cves`] inside the caller's transaction (which must renew the generation).
pub(crate) async fn put_cves_in(
    conn: &mut SqliteConnection,
    recs: &[CveRecord],
) -> DbResult<Counts> {
    let mut counts = Counts::default();
    for chunk in recs.chunks(BATCH) {
        let old = cve_modified(&mut *conn, chunk).await?;
        // Later duplicates in one file win only if newer, like separate imports.
        let mut newest: HashMap<&str, &CveRecord> = HashMap::new();
        for r in chunk {
            match newest.get(r.id.as_str()) {
                Some(prev) if prev.last_modified >= r.last_modified => {}
                _ => {
                    newest.insert(r.id.as_str(), r);
                }
            }
        }
        let distinct = newest.len() as u64;
        counts.unchanged += (chunk.len() as u64).saturating_sub(distinct);
        let mut write: Vec<&CveRecord> = Vec::new();
        for r in newest.into_values() {
            match old.get(&r.id) {
                Some(m) if *m >= r.last_modified => counts.unchanged += 1,
                Some(_) => {
                    counts.replaced += 1;
                    drop_index(&mut *conn, r).await?;
                    write.push(r);
                }
                None => {
                    counts.added += 1;
                    write.push(r);
                }
            }
        }
        if write.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT OR REPLACE INTO cve (k, id, modified, published, score, severity, summary) VALUES {}",
            placeholders(write.len(), 7)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in &write {
            q = q
                .bind(r.key())
                .bind(&r.id)
                .bind(&r.last_modified)
                .bind(&r.published)
                .bind(r.cvss_score)
                .bind(&r.cvss_severity)
                .bind(&r.summary);
        }
        q.execute(&mut *conn).await?;
        let sql = format!(
            "INSERT OR REPLACE INTO cve_config (k, configs) VALUES {}",
            placeholders(write.len(), 2)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in &write {
            let configs = serde_json::to_string(&r.configs).unwrap_or_else(|_| "[]".into());
            q = q.bind(r.key()).bind(configs);
        }
        q.execute(&mut *conn).await?;
        let rows: Vec<(crate::record::IndexRow, i64)> = write
            .iter()
            .flat_map(|r| r.index_rows().into_iter().map(move |x| (x, r.key())))
            .collect();
        for p in rows.chunks(BATCH * 2) {
            let sql = format!(
                "INSERT OR REPLACE INTO cpe_match (key, hi, cve, n, lo, lo_incl, hi_incl, decisive, context, no_version, rule) VALUES {}",
                placeholders(p.len(), 11)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (x, k) in p {
                let (hi, hi_incl) = match &x.hi {
                    Some(h) => (h.as_slice(), x.hi_incl),
                    None => (NO_UPPER, true),
                };
                q = q
                    .bind(&x.key)
                    .bind(hi)
                    .bind(*k)
                    .bind(x.n)
                    .bind(&x.lo)
                    .bind(x.lo_incl)
                    .bind(hi_incl)
                    .bind(x.decisive)
                    .bind(&x.context)
                    .bind(x.no_version)
                    .bind(&x.rule);
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(counts)
}

/// Removes the index entries of the stored version of `id` (before it is replaced),
/// by primary key, so no scan of the index is needed.
async fn drop_index(conn: &mut SqliteConnection, rec: &CveRecord) -> DbResult<()> {
    let old = get_cves(conn, &[rec.key()]).await?;
    for o in old {
        for key in o.vulnerable_keys() {
            sqlx::query("DELETE FROM cpe_match WHERE key = ? AND cve = ?")
                .bind(key)
                .bind(rec.key())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Writes OSV records; newer `modified` replaces older.
pub(crate) async fn put_osv(conn: &mut SqliteConnection, recs: &[OsvRecord]) -> DbResult<Counts> {
    let mut tx = conn.begin().await?;
    let c = put_osv_in(&mut tx, recs).await?;
    // A file that changed nothing leaves the generation (and the index) as it was.
    if c.added + c.replaced > 0 {
        bump_generation(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(c)
}

/// [`put_osv`] inside the caller's transaction (which must renew the generation).
pub(crate) async fn put_osv_in(
    conn: &mut SqliteConnection,
    recs: &[OsvRecord],
) -> DbResult<Counts> {
    let mut counts = Counts::default();
    for chunk in recs.chunks(BATCH) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        let old = existing_modified(&mut *conn, "osv", &ids).await?;
        let mut seen = std::collections::HashSet::new();
        for r in chunk {
            if !seen.insert(r.id.as_str()) {
                counts.unchanged += 1;
                continue;
            }
            match old.get(&r.id) {
                Some(m) if *m >= r.modified => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.replaced += 1,
                None => counts.added += 1,
            }
            sqlx::query("DELETE FROM osv_index WHERE id = ?")
                .bind(&r.id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT OR REPLACE INTO osv (id, modified, aliases, summary, severity, affected) VALUES (?,?,?,?,?,?)",
            )
            .bind(&r.id)
            .bind(&r.modified)
            .bind(serde_json::to_string(&r.aliases).unwrap_or_else(|_| "[]".into()))
            .bind(&r.summary)
            .bind(&r.severity)
            .bind(serde_json::to_string(&r.affected).unwrap_or_else(|_| "[]".into()))
            .execute(&mut *conn)
            .await?;
            for a in &r.affected {
                sqlx::query("INSERT OR IGNORE INTO osv_index (ecosystem, name, id) VALUES (?,?,?)")
                    .bind(&a.ecosystem)
                    .bind(&a.name)
                    .bind(&r.id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(counts)
}

/// Writes KEV entries (the catalogue has no per-entry date of change: latest import wins).
pub(crate) async fn put_kev(conn: &mut SqliteConnection, rows: &[KevEntry]) -> DbResult<Counts> {
    let mut tx = conn.begin().await?;
    let c = put_kev_in(&mut tx, rows).await?;
    bump_generation(&mut tx).await?;
    tx.commit().await?;
    Ok(c)
}

/// [`put_kev`] inside the caller's transaction (which must renew the generation).
pub(crate) async fn put_kev_in(conn: &mut SqliteConnection, rows: &[KevEntry]) -> DbResult<Counts> {
    let mut counts = Counts::default();
    for chunk in rows.chunks(BATCH) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.cve.as_str()).collect();
        let sql = format!(
            "SELECT cve FROM kev WHERE cve IN ({})",
            vec!["?"; ids.len()].join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(*id);
        }
        let have: std::collections::HashSet<String> = q
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
        for r in chunk {
            if have.contains(&r.cve) {
                counts.unchanged += 1;
            } else {
                counts.added += 1;
            }
        }
        let sql = format!(
            "INSERT OR REPLACE INTO kev (cve, date_added, name, ransomware) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(&r.cve)
                .bind(&r.date_added)
                .bind(&r.name)
                .bind(&r.ransomware);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(counts)
}

/// Writes kernel stream fixes (a re-import of the same data changes nothing).
pub(crate) async fn put_kernel(
    conn: &mut SqliteConnection,
    rows: &[KernelFix],
) -> DbResult<Counts> {
    let before = count(conn, "kernel_fix").await?;
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(BATCH) {
        let sql = format!(
            "INSERT OR REPLACE INTO kernel_fix (cve, stream, fixed) VALUES {}",
            placeholders(chunk.len(), 3)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q.bind(&r.cve).bind(&r.stream).bind(&r.fixed);
        }
        q.execute(&mut *tx).await?;
    }
    bump_generation(&mut tx).await?;
    tx.commit().await?;
    let after = count(conn, "kernel_fix").await?;
    let added = after.saturating_sub(before);
    Ok(Counts {
        added,
        replaced: 0,
        unchanged: (rows.len() as u64).saturating_sub(added),
    })
}

pub(crate) async fn count(conn: &mut SqliteConnection, table: &str) -> DbResult<u64> {
    let n: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut *conn)
        .await?
        .get(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn note_source(
    conn: &mut SqliteConnection,
    kind: &str,
    file: &str,
    imported_at: &str,
    newest: Option<&str>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO source (kind, file, imported_at, newest) VALUES (?,?,?,?) \
         ON CONFLICT(kind) DO UPDATE SET file = excluded.file, imported_at = excluded.imported_at, \
         newest = CASE WHEN source.newest IS NULL OR excluded.newest > source.newest \
         THEN excluded.newest ELSE source.newest END",
    )
    .bind(kind)
    .bind(file)
    .bind(imported_at)
    .bind(newest)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `(kind, last file, imported at, newest record date)` per source.
pub(crate) async fn sources(
    conn: &mut SqliteConnection,
) -> DbResult<Vec<(String, String, String, Option<String>)>> {
    let rows = sqlx::query("SELECT kind, file, imported_at, newest FROM source ORDER BY kind")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}

/// Score, severity and summary of a record.
pub(crate) type Details = (Option<f64>, Option<String>, String);

fn cve_from_row(r: &SqliteRow) -> CveRecord {
    let configs: String = r.get(6);
    CveRecord {
        id: r.get(0),
        last_modified: r.get(1),
        published: r.get(2),
        cvss_score: r.get(3),
        cvss_severity: r.get(4),
        summary: r.get(5),
        configs: serde_json::from_str::<Vec<Config>>(&configs).unwrap_or_default(),
    }
}

/// Whole records by `record::cve_key`.
pub(crate) async fn get_cves(
    conn: &mut SqliteConnection,
    keys: &[i64],
) -> DbResult<Vec<CveRecord>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(BATCH * 4) {
        let sql = format!(
            "SELECT c.id, c.modified, c.published, c.score, c.severity, c.summary, g.configs \
             FROM cve c JOIN cve_config g ON g.k = c.k WHERE c.k IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(k);
        }
        out.extend(q.fetch_all(&mut *conn).await?.iter().map(cve_from_row));
    }
    Ok(out)
}

/// Publication dates (`published` as stored) of the records with these keys.
pub(crate) async fn published(
    conn: &mut SqliteConnection,
    keys: &[i64],
) -> DbResult<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in keys.chunks(BATCH * 4) {
        let sql = format!(
            "SELECT k, published FROM cve WHERE k IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(k);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(r.get::<i64, _>(0), r.get::<String, _>(1));
        }
    }
    Ok(out)
}

/// Whether any OSV advisory of `ecosystem` (lowercased, such as `debian`) is loaded.
pub(crate) async fn has_osv_ecosystem(
    conn: &mut SqliteConnection,
    ecosystem: &str,
) -> DbResult<bool> {
    let row = sqlx::query("SELECT 1 FROM osv_index WHERE ecosystem = ? LIMIT 1")
        .bind(ecosystem)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// OSV records indexed under `(ecosystem, name)`.
pub(crate) async fn osv_for(
    conn: &mut SqliteConnection,
    ecosystem: &str,
    name: &str,
) -> DbResult<Vec<OsvRecord>> {
    let rows = sqlx::query(
        "SELECT o.id, o.modified, o.aliases, o.summary, o.severity, o.affected FROM osv o \
         JOIN osv_index i ON i.id = o.id WHERE i.ecosystem = ? AND i.name = ?",
    )
    .bind(ecosystem)
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| OsvRecord {
            id: r.get(0),
            modified: r.get(1),
            aliases: serde_json::from_str(&r.get::<String, _>(2)).unwrap_or_default(),
            summary: r.get(3),
            severity: r.get(4),
            affected: serde_json::from_str::<Vec<OsvPackage>>(&r.get::<String, _>(5))
                .unwrap_or_default(),
        })
        .collect())
}

/// A value of `update_state`.
pub(crate) async fn get_state(conn: &mut SqliteConnection, k: &str) -> DbResult<Option<String>> {
    sqlx::query("SELECT v FROM update_state WHERE k = ?")
        .bind(k)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Sets (or with `None` removes) a value of `update_state`.
#[cfg_attr(not(feature = "update"), allow(dead_code))]
pub(crate) async fn set_state(
    conn: &mut SqliteConnection,
    k: &str,
    v: Option<&str>,
) -> DbResult<()> {
    match v {
        Some(v) => {
            sqlx::query("INSERT OR REPLACE INTO update_state (k, v) VALUES (?, ?)")
                .bind(k)
                .bind(v)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM update_state WHERE k = ?")
                .bind(k)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(())
}

/// Removes KEV entries not in `rows` (the catalogue as CISA publishes it now).
#[cfg_attr(not(feature = "update"), allow(dead_code))]
pub(crate) async fn kev_retain(conn: &mut SqliteConnection, rows: &[KevEntry]) -> DbResult<u64> {
    let keep: std::collections::HashSet<&str> = rows.iter().map(|r| r.cve.as_str()).collect();
    let have: Vec<String> = sqlx::query("SELECT cve FROM kev")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut removed = 0;
    for cve in have.iter().filter(|c| !keep.contains(c.as_str())) {
        sqlx::query("DELETE FROM kev WHERE cve = ?")
            .bind(cve)
            .execute(&mut *conn)
            .await?;
        removed += 1;
    }
    Ok(removed)
}
