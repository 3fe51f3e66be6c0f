//! The output folder of an assessment: which files a run owns in it, so a re-run
//! replaces exactly those and never deletes anything it did not write.

use std::path::{Path, PathBuf};

use crate::Error;

/// Marks a folder as written by an assessment run.
pub const MARKER: &str = ".baseliner-assess";
/// The unpacked tree's folder inside an output folder.
pub const UNPACKED: &str = "unpacked";

fn io(path: &Path, what: &str, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        what: what.to_string(),
        source,
    }
}

/// Prepares `out` for a run and returns where the unpacked tree goes.
///
/// A folder holding the marker of a previous run is reused: its outputs (every file
/// the output table lists) and `unpacked/` are removed. Any other non-empty folder is
/// refused, so user data is never deleted.
pub fn prepare(out: &Path) -> Result<PathBuf, Error> {
    let unpacked = out.join(UNPACKED);
    if out.exists() {
        let previous = out.join(MARKER).is_file();
        let empty = std::fs::read_dir(out)
            .map_err(|e| io(out, "reading", e))?
            .next()
            .is_none();
        if !empty && !previous {
            return Err(Error::ForeignOutput(out.to_path_buf()));
        }
        if previous {
            // remove_dir_all removes a symlink itself, never what it points at.
            if std::fs::symlink_metadata(&unpacked).is_ok() {
                std::fs::remove_dir_all(&unpacked)
                    .or_else(|_| std::fs::remove_file(&unpacked))
                    .map_err(|e| io(&unpacked, "removing old", e))?;
            }
            for o in baseliner_report::OUTPUTS {
                let p = out.join(o.file);
                if std::fs::symlink_metadata(&p).is_ok() {
                    std::fs::remove_file(&p).map_err(|e| io(&p, "removing old", e))?;
                }
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|e| io(out, "creating", e))?;
    std::fs::write(out.join(MARKER), b"output folder of baseliner assess\n")
        .map_err(|e| io(out, "writing into", e))?;
    Ok(unpacked)
}
