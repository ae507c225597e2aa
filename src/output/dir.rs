//! Output folders that are never destructive, appear whole or not at all, have one writer at a
//! time and leave nothing behind when the process is interrupted.
//!
//! Rules (README, "Output folders"):
//! - Every output folder carries a marker file, [`MARKER`] (`.immunoporosis.json`: program,
//!   version and the entries the program wrote). A folder is this program's previous result only
//!   if it holds a valid marker.
//! - The target of a write may be absent, an empty folder, or a previous result: a previous
//!   result that holds nothing but what the marker lists is replaced; one to which files were
//!   added since is replaced only with `--force`. Anything else (a folder without the marker, a
//!   file, a symbolic link, a device, a pipe) is refused, `--force` or not, and left untouched.
//! - The results are written into a hidden folder beside the target, `.NAME.tmp-PID`, which then
//!   takes the target's place in one step (Linux `renameat2` exchange); the previous result is
//!   deleted afterwards.
//! - One writer at a time: a lock file `.NAME.lock` beside the target, held (`flock`) from
//!   [`OutputDir::create`] to the end of [`OutputDir::commit`] and removed then. A second writer
//!   fails at once with [`OutputDirError::Busy`].
//! - The binary installs [`install_signal_cleanup`]: on SIGINT or SIGTERM the temporary folders
//!   and lock files of this process are removed and the process exits with 130 or 143.
//! - Hidden `.NAME.tmp-PID` and `.NAME.old-PID` folders beside the target whose process is no
//!   longer alive (no `/proc/PID`) are removed by the next write to that target, with their
//!   contents, if they are empty, hold nothing but marker files, or hold the marker: they are this
//!   program's working folders (a killed run leaves its partial results in them), so anything in
//!   them is taken to be the program's. No other folder or file is ever removed.

use super::OutputError;
use serde::{Deserialize, Serialize};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Name of the marker file in every output folder.
pub const MARKER: &str = ".immunoporosis.json";

/// The marker while it is being written, renamed to [`MARKER`] when complete.
const MARKER_NEW: &str = ".immunoporosis.json.new";

/// Longest last component of an output folder's path, in bytes: the hidden working names beside
/// it (`.NAME.tmp-PID`) must stay below the usual limit of 255 bytes.
pub const MAX_FOLDER_NAME_BYTES: usize = 200;

/// The program name written into (and required in) the marker.
const PROGRAM: &str = "immunoporosis";

/// Largest marker file that is read (a real one is well below 10 KB).
const MAX_MARKER_BYTES: u64 = 1 << 20;

/// Why an output folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputDirError {
    /// The path holds something this program must not replace (exit code 2).
    #[error("refusing to write `{}`: {reason}; nothing was changed", shown(path))]
    Refused {
        /// The output folder.
        path: PathBuf,
        /// What is there and what to do.
        reason: String,
    },
    /// Another process is writing the same folder (exit code 1).
    #[error(
        "`{}` is being written by another immunoporosis process{}; nothing was written, run again when it has finished",
        shown(path),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Busy {
        /// The output folder.
        path: PathBuf,
        /// The other process, if known.
        pid: Option<u32>,
    },
    /// Writing failed (exit code 1).
    #[error(transparent)]
    Write(#[from] OutputError),
}

impl OutputDirError {
    /// Process exit code: 2 for a refused path, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            OutputDirError::Refused { .. } => 2,
            OutputDirError::Busy { .. } | OutputDirError::Write(_) => 1,
        }
    }
}

/// A path as shown in a message: control characters escaped.
fn shown(path: &Path) -> String {
    path.display()
        .to_string()
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn refused(path: &Path, reason: impl Into<String>) -> OutputDirError {
    OutputDirError::Refused {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The marker file's content.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    program: String,
    version: String,
    /// What the marker is for, for a person who opens it.
    #[serde(default)]
    note: String,
    /// Top-level entries the program wrote into the folder (the marker itself excluded).
    #[serde(default)]
    entries: Vec<String>,
}

/// Reads `dir/MARKER`: `Some` if it is a regular file written by this program.
fn read_marker(dir: &Path) -> Option<Marker> {
    let path = dir.join(MARKER);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_MARKER_BYTES {
        return None;
    }
    let mut text = String::new();
    File::open(&path)
        .ok()?
        .take(MAX_MARKER_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let marker: Marker = serde_json::from_str(&text).ok()?;
    (marker.program == PROGRAM).then_some(marker)
}

fn write_marker(dir: &Path, entries: Vec<String>) -> Result<(), OutputError> {
    let path = dir.join(MARKER);
    let marker = Marker {
        program: PROGRAM.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        note: "written by immunoporosis: marks this folder as its result, which a later run with the same output folder replaces whole".into(),
        entries,
    };
    let text =
        serde_json::to_string_pretty(&marker).map_err(|e| OutputError::at(&path, e.into()))?;
    // Written beside, then renamed over: a process killed at any moment leaves a valid marker,
    // or (only while a new working folder is being made) nothing but marker files.
    let new = dir.join(MARKER_NEW);
    fs::write(&new, text + "\n").map_err(|e| OutputError::at(&new, e))?;
    fs::rename(&new, &path).map_err(|e| OutputError::at(&path, e))
}

/// What is at an output folder's path.
enum Existing {
    /// Nothing.
    Absent,
    /// An empty folder, or a previous result of this program (replaced).
    Replaceable,
}

fn list_names(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for e in fs::read_dir(dir)? {
        names.push(e?.file_name());
    }
    names.sort();
    Ok(names)
}

/// Decides whether `target` may be written, without changing anything.
fn classify(target: &Path, force: bool) -> Result<Existing, OutputDirError> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(refused(target, format!("it cannot be inspected ({e})"))),
    };
    let t = meta.file_type();
    if t.is_symlink() {
        return Err(refused(
            target,
            "it is a symbolic link, which is never replaced; give a new folder",
        ));
    }
    if t.is_file() {
        return Err(refused(
            target,
            "it is a file, not a folder written by immunoporosis; give a new folder",
        ));
    }
    if !t.is_dir() {
        return Err(refused(
            target,
            "it is a device, pipe or socket, not a folder written by immunoporosis; give a new folder",
        ));
    }
    let names = list_names(target)
        .map_err(|e| refused(target, format!("the folder cannot be read ({e})")))?;
    if names.is_empty() {
        return Ok(Existing::Replaceable);
    }
    let Some(marker) = read_marker(target) else {
        return Err(refused(
            target,
            format!(
                "it is a folder that was not written by immunoporosis (it has no {MARKER}), which is never replaced, even with --force; give a new or empty folder"
            ),
        ));
    };
    let extras: Vec<String> = names
        .iter()
        .filter(|n| n.as_os_str() != MARKER && !marker.entries.iter().any(|e| OsStr::new(e) == *n))
        .map(|n| shown(Path::new(n)))
        .collect();
    if !extras.is_empty() && !force {
        let mut list = extras
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if extras.len() > 5 {
            list.push_str(&format!(" and {} more", extras.len() - 5));
        }
        return Err(refused(
            target,
            format!(
                "it holds a previous result of immunoporosis and files that immunoporosis did not write ({list}); move them away, or use --force to replace the folder with everything in it"
            ),
        ));
    }
    Ok(Existing::Replaceable)
}

/// The hidden sibling `.NAME<suffix>` of `target`.
fn sibling(parent: &Path, stem: &OsStr, suffix: &str) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(stem);
    name.push(suffix);
    parent.join(name)
}

/// Parent folder and last component of an output folder, checked.
fn split(target: &Path) -> Result<(PathBuf, OsString), OutputDirError> {
    let Some(stem) = target.file_name() else {
        return Err(refused(
            target,
            "it does not name a folder (it ends in `.`, `..` or `/`); give a folder name such as results/run1",
        ));
    };
    if stem.len() > MAX_FOLDER_NAME_BYTES {
        return Err(refused(
            target,
            format!(
                "its last part is {} bytes long; at most {MAX_FOLDER_NAME_BYTES} are allowed",
                stem.len()
            ),
        ));
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, stem.to_os_string()))
}

/// Checks, without changing anything, that `target` may be written (see the module rules).
/// Commands call it before computing, so that a refusal comes before the work; the write
/// checks again.
pub fn check_target(target: &Path, force: bool) -> Result<(), OutputDirError> {
    split(target)?;
    classify(target, force).map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Paths to remove on SIGINT/SIGTERM.

enum Cleanup {
    Dir(PathBuf),
    File(PathBuf),
}

static CLEANUP: Mutex<Vec<Cleanup>> = Mutex::new(Vec::new());

fn cleanup_list() -> MutexGuard<'static, Vec<Cleanup>> {
    CLEANUP.lock().unwrap_or_else(|e| e.into_inner())
}

fn unregister(list: &mut Vec<Cleanup>, path: &Path) {
    list.retain(|c| match c {
        Cleanup::Dir(p) | Cleanup::File(p) => p != path,
    });
}

/// Removes a folder and everything in it, retrying while another thread of this process may
/// still be creating files in it.
fn remove_tree(path: &Path) {
    for _ in 0..20 {
        match fs::remove_dir_all(path) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
}

/// Installs handlers for SIGINT and SIGTERM: they remove this process's temporary output
/// folders, temporary files and lock files, then exit with 128 + the signal number (130, 143).
/// Called once by the binary; the library alone installs nothing.
pub fn install_signal_cleanup() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signal-cleanup".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Held until the process ends: no write starts or commits after this point.
                let list = cleanup_list();
                for c in list.iter() {
                    match c {
                        Cleanup::Dir(p) => remove_tree(p),
                        Cleanup::File(p) => {
                            let _ = fs::remove_file(p);
                        }
                    }
                }
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                let _ = writeln!(
                    io::stderr(),
                    "interrupted by {name}; temporary output removed"
                );
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// Registers a temporary file to be removed on SIGINT/SIGTERM until [`unregister_file`].
pub(crate) fn register_file(tmp: &Path) {
    cleanup_list().push(Cleanup::File(tmp.to_path_buf()));
}

/// Forgets a path registered with [`register_file`].
pub(crate) fn unregister_file(tmp: &Path) {
    unregister(&mut cleanup_list(), tmp);
}

// ---------------------------------------------------------------------------------------------
// The lock file.

/// Why an opened `.NAME.lock` is not a lock file this program wrote, if it is not: it must be a
/// regular file with a single link, holding nothing (just created) or a process id.
fn foreign_lock(file: &mut File) -> Option<&'static str> {
    let Ok(meta) = file.metadata() else {
        return Some("cannot be examined");
    };
    if !meta.file_type().is_file() {
        return Some("is not a regular file");
    }
    if meta.nlink() != 1 {
        return Some("has other names (a hard link): it is not a lock file of immunoporosis");
    }
    let mut text = String::new();
    if meta.len() > 20 || (&*file).take(21).read_to_string(&mut text).is_err() {
        return Some("is not a lock file of immunoporosis");
    }
    let _ = file.seek(io::SeekFrom::Start(0));
    let digits = text.trim();
    (!digits.bytes().all(|b| b.is_ascii_digit())).then_some("is not a lock file of immunoporosis")
}

/// An exclusive `flock` on `.NAME.lock`; the file is removed when the lock is released.
struct Lock {
    path: PathBuf,
    file: File,
}

impl Lock {
    fn acquire(path: &Path, target: &Path) -> Result<Lock, OutputDirError> {
        for _ in 0..20 {
            let mut list = cleanup_list();
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(path)
                .map_err(|e| {
                    if e.raw_os_error() == Some(libc::ELOOP) {
                        refused(target, format!("`{}` is a symbolic link", shown(path)))
                    } else {
                        OutputError::at(path, e).into()
                    }
                })?;
            // Only a lock file of this program is ever taken over (and later truncated and
            // removed): a regular file with one link holding nothing or a process id. A file
            // of someone else's at this name, or a hard link to one, is refused untouched.
            if let Some(why) = foreign_lock(&mut file) {
                return Err(refused(
                    target,
                    format!("`{}` exists and {why}", shown(path)),
                ));
            }
            // SAFETY: flock on a file descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                    let mut text = String::new();
                    let _ = (&file).take(32).read_to_string(&mut text);
                    return Err(OutputDirError::Busy {
                        path: target.to_path_buf(),
                        pid: text.trim().parse().ok(),
                    });
                }
                return Err(OutputError::at(path, e).into());
            }
            // The holder before us may have removed the file after we opened it: then our lock is
            // on a file no one else will find, and we start over.
            let ours = file.metadata().map_err(|e| OutputError::at(path, e))?;
            match fs::symlink_metadata(path) {
                Ok(m) if m.dev() == ours.dev() && m.ino() == ours.ino() => {
                    list.push(Cleanup::File(path.to_path_buf()));
                    drop(list);
                    let _ = file.set_len(0);
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(Lock {
                        path: path.to_path_buf(),
                        file,
                    });
                }
                _ => continue,
            }
        }
        Err(OutputDirError::Busy {
            path: target.to_path_buf(),
            pid: None,
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so that no one else holds a lock on a removed file
        // and believes it is the only writer (the acquirer checks the inode).
        let mut list = cleanup_list();
        let _ = fs::remove_file(&self.path);
        unregister(&mut list, &self.path);
        // SAFETY: unlock the descriptor this value owns (closing it would too).
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

// ---------------------------------------------------------------------------------------------
// Stale leftovers of dead processes.

fn pid_alive(pid: u32) -> bool {
    // Without /proc we cannot tell; then nothing is treated as stale.
    !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// The process id in a hidden working name `.STEM.tmp-PID` or `.STEM.old-PID`, if `name` is one.
fn working_pid(name: &OsStr, stem: &OsStr) -> Option<u32> {
    let name = name.as_bytes();
    let rest = name.strip_prefix(b".")?.strip_prefix(stem.as_bytes())?;
    let digits = rest
        .strip_prefix(b".tmp-")
        .or_else(|| rest.strip_prefix(b".old-"))?;
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Removes working folders of `stem` in `parent` left by processes that are no longer alive,
/// if they are empty, hold nothing but a (possibly cut short) marker file, or hold this
/// program's marker. Called with the target's lock held.
fn remove_stale(parent: &Path, stem: &OsStr) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let Some(pid) = working_pid(&e.file_name(), stem) else {
            continue;
        };
        // With the lock held no live writer of this target exists; a folder with our own id
        // is left by an earlier process that had it.
        if pid != me && pid_alive(pid) {
            continue;
        }
        let path = e.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.file_type().is_dir() {
            continue;
        }
        // Empty, or nothing but a marker file (a process killed while writing the marker of a
        // new working folder leaves it cut short), or a valid marker.
        let only_marker = list_names(&path).is_ok_and(|names| {
            names.iter().all(|n| {
                (n.as_os_str() == MARKER || n.as_os_str() == MARKER_NEW)
                    && fs::symlink_metadata(path.join(n)).is_ok_and(|m| m.file_type().is_file())
            })
        });
        if only_marker || read_marker(&path).is_some() {
            remove_tree(&path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Moving the finished folder into place.

/// `renameat2(from, to, flags)`; `Ok(false)` if the file system or kernel does not support it.
#[cfg(target_os = "linux")]
fn rename2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<bool> {
    use std::ffi::CString;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))
    };
    let (a, b) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths relative to the working directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename2(_from: &Path, _to: &Path, _flags: u32) -> io::Result<bool> {
    Ok(false)
}

#[cfg(target_os = "linux")]
const NOREPLACE: libc::c_uint = libc::RENAME_NOREPLACE;
#[cfg(target_os = "linux")]
const EXCHANGE: libc::c_uint = libc::RENAME_EXCHANGE;
#[cfg(not(target_os = "linux"))]
const NOREPLACE: u32 = 1;
#[cfg(not(target_os = "linux"))]
const EXCHANGE: u32 = 2;

// ---------------------------------------------------------------------------------------------

/// A temporary output folder that becomes `target` on [`commit`](OutputDir::commit).
///
/// ```no_run
/// # use immunoporosis::output::{OutputDir, OutputDirError};
/// # fn f() -> Result<(), OutputDirError> {
/// let dir = OutputDir::create("output/run1".as_ref(), false)?; // checks, locks, creates
/// std::fs::write(dir.path().join("table.csv"), "a,b\n").map_err(|e| {
///     immunoporosis::output::OutputError::at(&dir.path().join("table.csv"), e)
/// })?;
/// dir.commit()?; // output/run1 now holds table.csv (and the marker), whole
/// # Ok(()) }
/// ```
///
/// Dropped without `commit` (an error, a panic), it removes the temporary folder and leaves
/// `target` as it was. While it lives, no other process can write `target`.
pub struct OutputDir {
    target: PathBuf,
    tmp: PathBuf,
    force: bool,
    done: bool,
    // Released (and its file removed) after the temporary folder is gone.
    _lock: Lock,
}

impl std::fmt::Debug for OutputDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputDir")
            .field("target", &self.target)
            .field("tmp", &self.tmp)
            .finish()
    }
}

impl OutputDir {
    /// Checks that `target` may be written (refused: [`OutputDirError::Refused`], exit 2), takes
    /// its lock (another writer: [`OutputDirError::Busy`]), removes stale working folders of dead
    /// processes and creates the hidden temporary folder `.NAME.tmp-PID` beside `target`, with
    /// the marker in it. `force` allows replacing a previous result to which files were added.
    pub fn create(target: &Path, force: bool) -> Result<OutputDir, OutputDirError> {
        let (parent, stem) = split(target)?;
        classify(target, force)?;
        fs::create_dir_all(&parent).map_err(|e| OutputError::at(&parent, e))?;
        let lock = Lock::acquire(&sibling(&parent, &stem, ".lock"), target)?;
        // Checked again now that no other writer can change it.
        classify(target, force)?;
        remove_stale(&parent, &stem);
        let tmp = sibling(&parent, &stem, &format!(".tmp-{}", std::process::id()));
        {
            let mut list = cleanup_list();
            fs::create_dir(&tmp).map_err(|e| OutputError::at(&tmp, e))?;
            list.push(Cleanup::Dir(tmp.clone()));
        }
        let dir = OutputDir {
            target: target.to_path_buf(),
            tmp,
            force,
            done: false,
            _lock: lock,
        };
        write_marker(&dir.tmp, Vec::new())?;
        Ok(dir)
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The output folder this becomes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes the marker (listing what is in the folder), checks `target` once more, and puts the
    /// folder in its place in one step; the previous result, if any, is then deleted. On error
    /// the temporary folder is removed and `target` is unchanged.
    pub fn commit(mut self) -> Result<(), OutputDirError> {
        let entries = list_names(&self.tmp)
            .map_err(|e| OutputError::at(&self.tmp, e))?
            .into_iter()
            .filter(|n| n.as_os_str() != MARKER)
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        write_marker(&self.tmp, entries)?;
        let old = {
            // No signal cleanup runs between the check and the rename.
            let mut list = cleanup_list();
            let existing = classify(&self.target, self.force)?;
            match existing {
                Existing::Absent => {
                    let moved = rename2(&self.tmp, &self.target, NOREPLACE).map_err(|e| {
                        if e.kind() == io::ErrorKind::AlreadyExists {
                            refused(
                                &self.target,
                                "something appeared there while the results were being written",
                            )
                        } else {
                            OutputError::at(&self.target, e).into()
                        }
                    })?;
                    if !moved {
                        fs::rename(&self.tmp, &self.target)
                            .map_err(|e| OutputError::at(&self.target, e))?;
                    }
                    unregister(&mut list, &self.tmp);
                    None
                }
                Existing::Replaceable => {
                    if rename2(&self.tmp, &self.target, EXCHANGE)
                        .map_err(|e| OutputError::at(&self.target, e))?
                    {
                        // The temporary name now holds the previous result (still registered).
                        Some(self.tmp.clone())
                    } else {
                        // No exchange on this file system: move the previous result aside first.
                        let (parent, stem) = split(&self.target)?;
                        let old = sibling(&parent, &stem, &format!(".old-{}", std::process::id()));
                        fs::rename(&self.target, &old)
                            .map_err(|e| OutputError::at(&self.target, e))?;
                        list.push(Cleanup::Dir(old.clone()));
                        if let Err(e) = fs::rename(&self.tmp, &self.target) {
                            let _ = fs::rename(&old, &self.target);
                            unregister(&mut list, &old);
                            return Err(OutputError::at(&self.target, e).into());
                        }
                        unregister(&mut list, &self.tmp);
                        Some(old)
                    }
                }
            }
        };
        self.done = true;
        if let Some(old) = old {
            remove_tree(&old);
            unregister(&mut cleanup_list(), &old);
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.done {
            remove_tree(&self.tmp);
            unregister(&mut cleanup_list(), &self.tmp);
        }
    }
}

/// Writes an output folder whole: [`OutputDir::create`], `fill` into its temporary folder,
/// [`OutputDir::commit`]. On any error `target` is unchanged and nothing is left behind.
pub fn write_dir(
    target: &Path,
    force: bool,
    fill: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputDirError> {
    let dir = OutputDir::create(target, force)?;
    fill(dir.path())?;
    dir.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_names_are_recognised_only_in_full() {
        let stem = OsStr::new("run");
        assert_eq!(working_pid(OsStr::new(".run.tmp-123"), stem), Some(123));
        assert_eq!(working_pid(OsStr::new(".run.old-7"), stem), Some(7));
        for other in [
            ".run.tmp-",
            ".run.tmp-12a",
            ".run.lock",
            "run.tmp-1",
            ".runx.tmp-1",
            ".run.tmp-12345678901",
            ".run2.tmp-1",
        ] {
            assert_eq!(working_pid(OsStr::new(other), stem), None, "{other}");
        }
    }
}
