//! The matcher's two bulk reads (index hits and record details) through rusqlite.
//!
//! sqlx runs each SQLite connection on its own worker thread and hands rows over a
//! channel, which costs more per row than SQLite's own work; the earlier workaround
//! (one JSON array per query) spent half the time building and parsing JSON. Matching
//! 1,000 components reads about 30,000 rows, so these reads step SQLite directly. The
//! same bundled SQLite serves both: rusqlite 0.39 and sqlx 0.9 share libsqlite3-sys 0.37.
//!
//! Two read connections, each on its own thread, split the work (WAL lets them read
//! beside the writer).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use crate::store::{Details, IndexHit, sort_hits};

type Res<T> = rusqlite::Result<T>;

// `hi >= ?2` lets SQLite seek past every row whose upper bound is below the version.
const HITS_SQL: &str = "SELECT cve, n, decisive, CASE WHEN decisive THEN rule ELSE context END, \
     no_version FROM cpe_match WHERE key = ?1 AND hi >= ?2 AND (hi > ?2 OR hi_incl) \
     AND (lo IS NULL OR lo < ?2 OR (lo_incl AND lo = ?2))";

// One statement for a whole list (a JSON array of keys): SQLite's own loop over the
// seeks costs half what a reset, bind and step per key does.
const DETAILS_SQL: &str = "SELECT c.k, c.score, c.severity, c.summary FROM json_each(?1) j \
     JOIN cve c ON c.k = j.value";

/// Two read-only connections to the knowledge base.
pub(crate) struct Readers {
    conns: [Connection; 2],
}

fn open_one(path: &Path) -> Res<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Reads through mmap: matching touches scattered pages, and a syscall per page
    // read dominated its time.
    c.pragma_update(None, "mmap_size", 1_073_741_824_i64)?;
    c.pragma_update(None, "cache_size", -65_536_i64)?;
    Ok(c)
}

/// Runs `f` on both halves of `items` (cut where `same` says neighbours belong
/// together), one connection and thread each, and returns both results in order.
fn split2<'a, I: Sync, T: Send>(
    conns: &mut [Connection; 2],
    items: &'a [I],
    same: impl Fn(&I, &I) -> bool,
    f: impl Fn(&Connection, &'a [I]) -> Res<T> + Sync,
) -> Res<(T, T)> {
    let mut cut = items.len() / 2;
    while cut > 0 && same(&items[cut - 1], &items[cut]) {
        cut -= 1;
    }
    let (first, second) = items.split_at(cut);
    let [a, b] = conns;
    // Small inputs are not worth a thread.
    if items.len() < 64 {
        return Ok((f(a, first)?, f(a, second)?));
    }
    std::thread::scope(|s| {
        let f = &f;
        let other = s.spawn(move || f(b, second));
        let mine = f(a, first);
        let theirs = other
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        Ok((mine?, theirs?))
    })
}

impl Readers {
    pub(crate) fn open(path: &Path) -> Res<Readers> {
        Ok(Readers {
            conns: [open_one(path)?, open_one(path)?],
        })
    }

    /// Index rows whose key and version interval admit one of `probes`
    /// (`(subject, key, Version::sort_key)`, sorted by key), sorted as [`sort_hits`] does.
    pub(crate) fn index_hits(&mut self, probes: &[(usize, String, Vec<u8>)]) -> Res<Vec<IndexHit>> {
        let (mut a, b) = split2(
            &mut self.conns,
            probes,
            |x, y| x.1 == y.1,
            |conn, part| {
                let mut stmt = conn.prepare_cached(HITS_SQL)?;
                let mut out = Vec::new();
                for (subject, key, v) in part {
                    let mut rows = stmt.query(params![key, v])?;
                    while let Some(r) = rows.next()? {
                        let decisive = r.get::<_, i64>(2)? != 0;
                        let text: String = r.get(3)?;
                        let (rule, context) = if decisive {
                            (text, String::new())
                        } else {
                            (String::new(), text)
                        };
                        out.push(IndexHit {
                            subject: *subject,
                            cve: r.get(0)?,
                            n: r.get(1)?,
                            decisive,
                            context,
                            no_version: r.get::<_, i64>(4)? != 0,
                            rule,
                        });
                    }
                }
                Ok(out)
            },
        )?;
        a.extend(b);
        sort_hits(&mut a);
        Ok(a)
    }

    /// Every record with a vulnerable criterion under one of `keys`.
    pub(crate) fn records_of(&mut self, keys: &[String]) -> Res<Vec<i64>> {
        let mut stmt =
            self.conns[0].prepare_cached("SELECT DISTINCT cve FROM cpe_match WHERE key = ?1")?;
        let mut out = Vec::new();
        for k in keys {
            let mut rows = stmt.query([k])?;
            while let Some(r) = rows.next()? {
                out.push(r.get(0)?);
            }
        }
        Ok(out)
    }

    /// Score, severity and summary per record key, for sorted, distinct `keys`.
    pub(crate) fn details(&mut self, keys: &[i64]) -> Res<HashMap<i64, Details>> {
        let (a, b) = split2(
            &mut self.conns,
            keys,
            |_, _| false,
            |conn, part| {
                let list = serde_json::to_string(part)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                let mut stmt = conn.prepare_cached(DETAILS_SQL)?;
                let mut rows = stmt.query([list])?;
                let mut out = Vec::with_capacity(part.len());
                while let Some(r) = rows.next()? {
                    out.push((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)));
                }
                Ok(out)
            },
        )?;
        let mut out = HashMap::with_capacity(keys.len());
        out.extend(a);
        out.extend(b);
        Ok(out)
    }
}
