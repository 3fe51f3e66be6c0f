//! ed25519 key files: `PREFIX.key` (secret seed) and `PREFIX.pub`, both one line of hex,
//! so they can be inspected, copied into CI secrets and diffed without tools.

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::Error;

const SECRET_TAG: &str = "baseliner-ed25519-secret";
const PUBLIC_TAG: &str = "baseliner-ed25519-public";

/// A signing key and its public half.
pub struct KeyPair {
    pub signing: SigningKey,
}

impl KeyPair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<KeyPair, Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Key {
            path: "<os random source>".into(),
            message: e.to_string(),
        })?;
        Ok(KeyPair {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}

/// Writes `PREFIX.key` (mode 0600 on Unix) and `PREFIX.pub`; refuses to overwrite.
pub fn write_key_pair(pair: &KeyPair, prefix: &Path) -> Result<(PathBuf, PathBuf), Error> {
    let with_ext = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    let (key, public) = (with_ext(".key"), with_ext(".pub"));
    for p in [&key, &public] {
        if p.exists() {
            return Err(Error::Key {
                path: p.display().to_string(),
                message: "already exists; choose another prefix or remove it".into(),
            });
        }
    }
    let secret = format!("{SECRET_TAG} {}\n", hex::encode(pair.signing.to_bytes()));
    write_private(&key, secret.as_bytes())?;
    let pubtext = format!("{PUBLIC_TAG} {}\n", hex::encode(pair.public().to_bytes()));
    std::fs::write(&public, pubtext).map_err(|e| Error::Key {
        path: public.display().to_string(),
        message: e.to_string(),
    })?;
    Ok((key, public))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |e: std::io::Error| Error::Key {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    f.write_all(bytes).map_err(err)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Key {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn read_tagged(path: &Path, tag: &str) -> Result<[u8; 32], Error> {
    let err = |message: String| Error::Key {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > 4096 {
        return Err(err("too large to be a baseliner key file".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let hexpart = text
        .trim()
        .strip_prefix(tag)
        .map(str::trim)
        .ok_or_else(|| {
            err(format!(
                "not a baseliner key file (expected it to start with `{tag}`)"
            ))
        })?;
    let bytes = hex::decode(hexpart).map_err(|e| err(format!("bad hex: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| err("key must be 32 bytes".into()))
}

/// Reads a `PREFIX.key` file.
pub fn read_secret_key(path: &Path) -> Result<KeyPair, Error> {
    let seed = read_tagged(path, SECRET_TAG)?;
    Ok(KeyPair {
        signing: SigningKey::from_bytes(&seed),
    })
}

/// Reads a `PREFIX.pub` file.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, Error> {
    let bytes = read_tagged(path, PUBLIC_TAG)?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| Error::Key {
        path: path.display().to_string(),
        message: format!("not a valid ed25519 public key: {e}"),
    })
}
