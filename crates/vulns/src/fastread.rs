//! A read-only rusqlite connection beside sqlx's, for the reads that step through many
//! rows: building the matcher's index ([`crate::memindex`]) reads every index row, and
//! sqlx hands each row over a channel from its worker thread, which costs more per row
//! than SQLite's own work. The same bundled SQLite serves both: rusqlite 0.39 and sqlx
//! 0.9 share libsqlite3-sys 0.37. WAL lets this connection read beside the writer.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

type Res<T> = rusqlite::Result<T>;

/// A read-only connection to the knowledge base.
pub(crate) struct Reader {
    pub(crate) conn: Connection,
}

impl Reader {
    pub(crate) fn open(path: &Path) -> Res<Reader> {
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Reads through mmap: building the index reads the whole index table.
        c.pragma_update(None, "mmap_size", 1_073_741_824_i64)?;
        c.pragma_update(None, "cache_size", -65_536_i64)?;
        Ok(Reader { conn: c })
    }

    /// The knowledge base's generation token (renewed by every write), empty for a
    /// knowledge base never written since tokens exist.
    pub(crate) fn token(&self) -> Res<String> {
        Ok(self
            .conn
            .prepare_cached("SELECT v FROM meta WHERE k = 'generation'")?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or_default())
    }

    /// Whole records by `record::cve_key` (one statement over a JSON list of keys):
    /// the records matching evaluates whole, read without the sqlx runtime's hop.
    pub(crate) fn records(&self, keys: &[i64]) -> Res<Vec<crate::record::CveRecord>> {
        let list = serde_json::to_string(keys)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.modified, c.published, c.score, c.severity, c.summary, g.configs \
             FROM json_each(?1) j JOIN cve c ON c.k = j.value JOIN cve_config g ON g.k = c.k",
        )?;
        let mut rows = stmt.query([list])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let configs = r.get_ref(6)?.as_str()?;
            out.push(crate::record::CveRecord {
                id: r.get(0)?,
                last_modified: r.get(1)?,
                published: r.get(2)?,
                cvss_score: r.get(3)?,
                cvss_severity: r.get(4)?,
                summary: r.get(5)?,
                configs: serde_json::from_str(configs).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
