//! Output: the only module that writes files. A run's folder appears whole or not at all:
//! everything is written to a hidden temporary folder beside the target, then put in its place
//! in one step; a folder that is not a previous result of this program is never replaced
//! (see [`dir`] for the rules).

pub mod analysis;
pub mod calibration;
pub mod compare;
pub mod csv;
pub mod dir;
pub mod figures;
pub mod knockout;
pub mod manifest;
pub mod plot;
pub mod report;
pub mod shard;
pub mod validation;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use dir::{MARKER, OutputDir, OutputDirError, check_target, install_signal_cleanup, write_dir};

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
    dir::register_file(&tmp);
    let result = fs::write(&tmp, text)
        .map_err(|e| OutputError::at(&tmp, e))
        .and_then(|()| fs::rename(&tmp, target).map_err(|e| OutputError::at(target, e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    dir::unregister_file(&tmp);
    result
}

/// Writes a folder atomically, without `--force`: [`write_dir`]`(target, false, fill)`.
pub fn write_dir_atomically(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputDirError> {
    write_dir(target, false, fill)
}

/// Writes text files into `dir` (`executable`: mode 755) and creates empty folders in it: a job
/// folder of scripts (`app::slurm`).
pub fn write_texts(
    dir: &Path,
    files: &[(&str, String, bool)],
    folders: &[&str],
) -> Result<(), OutputError> {
    use std::os::unix::fs::PermissionsExt;
    for (name, text, executable) in files {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| OutputError::at(&path, e))?;
        if *executable {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .map_err(|e| OutputError::at(&path, e))?;
        }
    }
    for f in folders {
        let path = dir.join(f);
        fs::create_dir(&path).map_err(|e| OutputError::at(&path, e))?;
    }
    Ok(())
}
