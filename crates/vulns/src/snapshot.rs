//! Knowledge-base snapshots: one machine runs `db update`, a fleet of CI runners or
//! bulk workers imports the same file.
//!
//! A snapshot is a consistent copy of the SQLite file (`VACUUM INTO`), gzip-compressed,
//! behind a text header:
//!
//! ```text
//! baseliner-kb-snapshot 1
//! {"format":1,"id":"…","created":"…","schema":"2","kb_version":"…",
//!  "database_bytes":N,"database_sha256":"…","payload_bytes":M,"payload_sha256":"…"}
//! ed25519 PUBLIC-KEY-HEX SIGNATURE-HEX        (or: unsigned)
//! <gzip of the database>
//! ```
//!
//! The manifest line carries the SHA-256 of the compressed payload and of the
//! database; the optional ed25519 signature covers the manifest line's exact bytes,
//! so it covers both. Import checks sizes and both hashes while it unpacks, and the
//! signature when a public key is given (a snapshot without one is then refused).
//! The database replaces the old one only once everything checked out, by rename.
//! The snapshot's `id` (the first 16 hex digits of the database's SHA-256) is kept
//! in the knowledge base and shown in [`Kb::version_string`] until the next write, so
//! every assessment records which snapshot it used.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Kb, Result, store};

const MAGIC: &str = "baseliner-kb-snapshot 1";
/// Longest manifest line read.
const MAX_MANIFEST: u64 = 1 << 20;
/// Largest database a snapshot may unpack to.
pub const MAX_DATABASE_BYTES: u64 = 64 << 30;

/// What a snapshot says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// First 16 hex digits of `database_sha256`.
    pub id: String,
    /// When it was made (UTC, RFC 3339).
    pub created: String,
    /// Knowledge-base schema.
    pub schema: String,
    /// [`Kb::version_string`] of the knowledge base exported.
    pub kb_version: String,
    pub database_bytes: u64,
    pub database_sha256: String,
    pub payload_bytes: u64,
    pub payload_sha256: String,
}

/// A snapshot written or imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub manifest: Manifest,
    /// The public key (hex) of a valid signature; `None` for an unsigned snapshot.
    pub signed_by: Option<String>,
    /// The signature was checked against a key the caller trusts (not only the one
    /// the snapshot names).
    pub key_trusted: bool,
}

fn err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Snapshot {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A temporary path beside `path`.
fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{what}.{}.tmp", std::process::id()))
}

/// Removes a file when dropped (unless kept).
struct TempFile(PathBuf);
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Counts and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }
    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hash.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Whether `path` starts like a snapshot.
pub fn is_snapshot(path: &Path) -> bool {
    let mut head = [0u8; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == *MAGIC.as_bytes())
}

impl Kb {
    /// Writes a snapshot of the knowledge base to `out` (replaced by rename when
    /// complete), signed with `key` when given.
    pub fn export_snapshot(&self, out: &Path, key: Option<&SigningKey>) -> Result<SnapshotInfo> {
        let copy = TempFile(beside(out, "db"));
        let _ = std::fs::remove_file(&copy.0);
        let target = copy.0.to_string_lossy().into_owned();
        let kb_version = self.version_string()?;
        // A consistent copy, even while another process writes (WAL readers see one
        // committed state).
        self.with_conn(async |c| {
            sqlx::query("VACUUM INTO ?")
                .bind(&target)
                .execute(&mut *c)
                .await
                .map(|_| ())
        })?;
        // Compress while hashing the database (read side) and the payload (write side).
        let payload = TempFile(beside(out, "gz"));
        let (database_sha256, database_bytes, payload_sha256, payload_bytes) = {
            let src = std::fs::File::open(&copy.0).map_err(io_err(&copy.0))?;
            let mut reader = Hashing::new(BufReader::new(src));
            let dst = std::fs::File::create(&payload.0).map_err(io_err(&payload.0))?;
            let mut gz = flate2::write::GzEncoder::new(
                Hashing::new(std::io::BufWriter::new(dst)),
                flate2::Compression::default(),
            );
            std::io::copy(&mut reader, &mut gz).map_err(io_err(&payload.0))?;
            let (mut w, psha, pbytes) = gz.finish().map_err(io_err(&payload.0))?.finish();
            w.flush().map_err(io_err(&payload.0))?;
            let (_, dsha, dbytes) = reader.finish();
            (dsha, dbytes, psha, pbytes)
        };
        let manifest = Manifest {
            format: 1,
            id: database_sha256.get(..16).unwrap_or_default().to_string(),
            created: crate::now_rfc3339(),
            schema: store::SCHEMA_VERSION.into(),
            kb_version,
            database_bytes,
            database_sha256,
            payload_bytes,
            payload_sha256,
        };
        let line = serde_json::to_string(&manifest).map_err(|e| err(out, e.to_string()))?;
        let sig_line = match key {
            Some(k) => format!(
                "ed25519 {} {}",
                hex::encode(k.verifying_key().to_bytes()),
                hex::encode(k.sign(line.as_bytes()).to_bytes())
            ),
            None => "unsigned".into(),
        };
        let tmp_out = TempFile(beside(out, "snapshot"));
        {
            let f = std::fs::File::create(&tmp_out.0).map_err(io_err(&tmp_out.0))?;
            let mut w = std::io::BufWriter::new(f);
            write!(w, "{MAGIC}\n{line}\n{sig_line}\n").map_err(io_err(&tmp_out.0))?;
            let mut p = std::fs::File::open(&payload.0).map_err(io_err(&payload.0))?;
            std::io::copy(&mut p, &mut w).map_err(io_err(&tmp_out.0))?;
            w.flush().map_err(io_err(&tmp_out.0))?;
            w.get_ref().sync_all().map_err(io_err(&tmp_out.0))?;
        }
        std::fs::rename(&tmp_out.0, out).map_err(io_err(out))?;
        std::mem::forget(tmp_out);
        // Until its next write, this knowledge base is the snapshot too.
        let (id, created) = (manifest.id.clone(), manifest.created.clone());
        self.with_conn(async |c| store::set_snapshot(c, Some((&id, &created))).await)?;
        Ok(SnapshotInfo {
            signed_by: key.map(|k| hex::encode(k.verifying_key().to_bytes())),
            key_trusted: key.is_some(),
            manifest,
        })
    }
}

/// Reads a line of at most `max` bytes (without its newline).
fn read_line(r: &mut impl BufRead, max: u64, path: &Path, what: &str) -> Result<String> {
    let mut buf = Vec::new();
    r.take(max + 1)
        .read_until(b'\n', &mut buf)
        .map_err(io_err(path))?;
    if buf.last() != Some(&b'\n') {
        return Err(err(
            path,
            format!("{what}: missing or longer than {max} bytes"),
        ));
    }
    buf.pop();
    String::from_utf8(buf).map_err(|_| err(path, format!("{what}: not UTF-8")))
}

/// Checks the snapshot `file` and makes it the knowledge base at `db` (replacing what
/// is there, by rename, only once every check passed). With `key`, the snapshot must
/// carry a valid signature by that key. No process should have `db` open meanwhile.
pub fn import_snapshot(file: &Path, db: &Path, key: Option<&VerifyingKey>) -> Result<SnapshotInfo> {
    let f = std::fs::File::open(file).map_err(io_err(file))?;
    let mut r = BufReader::new(f);
    let magic = read_line(&mut r, 64, file, "header")?;
    if magic != MAGIC {
        return Err(err(file, "not a baseliner knowledge-base snapshot"));
    }
    let line = read_line(&mut r, MAX_MANIFEST, file, "manifest")?;
    let manifest: Manifest =
        serde_json::from_str(&line).map_err(|e| err(file, format!("manifest: {e}")))?;
    if manifest.format != 1 {
        return Err(err(
            file,
            format!("snapshot format {} is not 1", manifest.format),
        ));
    }
    if manifest.schema != store::SCHEMA_VERSION {
        return Err(err(
            file,
            format!(
                "knowledge base schema {} is not the supported {}",
                manifest.schema,
                store::SCHEMA_VERSION
            ),
        ));
    }
    if manifest.database_bytes > MAX_DATABASE_BYTES {
        return Err(err(file, "database larger than the limit"));
    }
    let sig_line = read_line(&mut r, 512, file, "signature")?;
    let signed_by = match sig_line.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["unsigned"] => None,
        ["ed25519", public, sig] => {
            let public: [u8; 32] = hex::decode(public)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| err(file, "signature: bad public key"))?;
            let public = VerifyingKey::from_bytes(&public)
                .map_err(|_| err(file, "signature: bad public key"))?;
            let sig: [u8; 64] = hex::decode(sig)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| err(file, "signature: malformed"))?;
            let sig = Signature::from_bytes(&sig);
            // The signature must hold for the key it names, and for the caller's key
            // when one is given.
            let check = key.unwrap_or(&public);
            check.verify(line.as_bytes(), &sig).map_err(|_| {
                err(
                    file,
                    "signature does not verify: tampered with, or signed by another key",
                )
            })?;
            Some(hex::encode(public.to_bytes()))
        }
        _ => {
            return Err(err(
                file,
                "signature line: neither `unsigned` nor `ed25519 KEY SIG`",
            ));
        }
    };
    if key.is_some() && signed_by.is_none() {
        return Err(err(
            file,
            "unsigned, but a public key was given: refusing it",
        ));
    }

    // Unpack beside the target, hashing both sides; nothing replaces `db` yet.
    let tmp = TempFile(beside(db, "import"));
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    {
        let payload = Hashing::new(r.take(manifest.payload_bytes.saturating_add(1)));
        let mut gz = flate2::read::GzDecoder::new(payload);
        let out = std::fs::File::create(&tmp.0).map_err(io_err(&tmp.0))?;
        let mut out = Hashing::new(std::io::BufWriter::new(out));
        let copied = std::io::copy(
            &mut (&mut gz).take(manifest.database_bytes.saturating_add(1)),
            &mut out,
        )
        .map_err(|e| err(file, format!("payload: {e} (damaged or tampered with)")))?;
        // Whatever follows the gzip stream is read too, so trailing bytes count.
        let mut rest = gz.into_inner();
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(io_err(file))?;
        let (_, psha, pbytes) = rest.finish();
        let (w, dsha, _) = out.finish();
        let f = w.into_inner().map_err(|e| io_err(&tmp.0)(e.into_error()))?;
        f.sync_all().map_err(io_err(&tmp.0))?;
        if pbytes != manifest.payload_bytes || psha != manifest.payload_sha256 {
            return Err(err(
                file,
                "payload checksum mismatch: the snapshot is damaged or was tampered with",
            ));
        }
        if copied != manifest.database_bytes || dsha != manifest.database_sha256 {
            return Err(err(
                file,
                "database checksum mismatch: the snapshot is damaged or was tampered with",
            ));
        }
    }
    // It opens as a knowledge base of our schema; it records which snapshot it is.
    {
        let kb = Kb::open(&tmp.0)?;
        let (id, created) = (manifest.id.clone(), manifest.created.clone());
        kb.with_conn(async |c| {
            store::bump_generation(c).await?;
            store::set_snapshot(c, Some((&id, &created))).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *c)
                .await?;
            Ok(())
        })?;
    }
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", tmp.0.display()));
    }
    // The old knowledge base's write-ahead log is folded in and removed first, so it
    // can never be replayed onto the new file.
    if db.exists() {
        let old = Kb::open(db)?;
        old.with_conn(async |c| {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *c)
                .await
                .map(|_| ())
        })?;
    }
    for ext in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{ext}", db.display()));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(&p)(e)),
            _ => {}
        }
    }
    std::fs::rename(&tmp.0, db).map_err(io_err(db))?;
    std::mem::forget(tmp);
    // The old index file names another generation; remove it rather than leave it.
    let mut idx = db.as_os_str().to_owned();
    idx.push(".idx");
    let _ = std::fs::remove_file(PathBuf::from(idx));
    Ok(SnapshotInfo {
        manifest,
        key_trusted: key.is_some(),
        signed_by,
    })
}
