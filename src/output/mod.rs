//! Output: the only module that writes files. A run's folder appears whole or not at all:
//! everything is written to a hidden temporary folder beside the target, then renamed into place.

pub mod analysis;
pub mod calibration;
pub mod compare;
pub mod csv;
pub mod manifest;
pub mod plot;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A failure to write outputs, naming the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{path}`: {source}")]
pub struct OutputError {
    /// Path that failed.
    pub path: PathBuf,
    /// Underlying error.
    #[source]
    pub source: io::Error,
}

impl OutputError {
    /// Wraps an I/O error with its path.
    pub fn at(path: &Path, source: io::Error) -> Self {
        OutputError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes a file atomically: a temporary file beside it, then a rename.
pub fn write_file_atomically(target: &Path, text: &str) -> Result<(), OutputError> {
    let name = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, text).map_err(|e| OutputError::at(&tmp, e))?;
    fs::rename(&tmp, target).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        OutputError::at(target, e)
    })
}

/// Writes a folder atomically: `fill` writes into a temporary folder beside `target`, which then
/// replaces `target`. On any error the temporary folder is removed and `target` is untouched.
pub fn write_dir_atomically(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| OutputError::at(&parent, e))?;
    let stem = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".{stem}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{stem}.old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir(&tmp).map_err(|e| OutputError::at(&tmp, e))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if target.exists() {
        if let Err(e) = fs::rename(target, &old) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(OutputError::at(target, e));
        }
    }
    if let Err(e) = fs::rename(&tmp, target) {
        // Put the previous results back.
        let _ = fs::rename(&old, target);
        let _ = fs::remove_dir_all(&tmp);
        return Err(OutputError::at(target, e));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(())
}
