//! Configuration: the only module that knows TOML.
//!
//! Two stages: serde structs that mirror the files one to one (`deny_unknown_fields`, so a typo
//! is an error with its line), then validation into the engine's types, with file, key and line
//! in every message.

mod analysis;
mod calibration;
mod figure;
mod interventions;
pub mod limits;
mod params_edit;
mod params_file;
mod scenario;
mod validation;

pub use analysis::{
    AnalysisHeader, AnalysisText, KnockoutStudy, PopulationStudy, Responder, Sensitivity,
    load_endpoints, load_knockout, load_population, load_sensitivity, load_sweep, parse_population,
    parse_sensitivity, parse_sweep,
};
pub use calibration::{
    Calibration, CalibrationTarget, FitMethod, FitParameter, Target, calibration_targets,
    load_calibration, parse_calibration,
};
pub use figure::{FigureOptions, sized as figure_sized};
pub use interventions::{
    Context as InterventionContext, Fit as InterventionFit, Intervention, InterventionSet, Measure,
    load_interventions,
};
pub use params_edit::ParamsEdit;
pub use params_file::{bundled_params, load_params, parse_params};
pub use scenario::{Scenario, load_scenario, parse_scenario};
pub use validation::{
    PublishedPoint, bundled_calibrations, load_validation, published_points, repository_root,
    toml_files,
};

use crate::error::ConfigError;
use std::path::Path;
use toml::Spanned;

/// 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// 1-based line where a spanned value starts.
pub(crate) fn line<T>(src: &str, v: &Spanned<T>) -> Option<usize> {
    Some(line_of(src, v.span().start))
}

/// Turns a TOML parse or type error into a [`ConfigError`] that keeps toml's caret display.
pub(crate) fn toml_error(file: &Path, src: &str, e: &toml::de::Error) -> ConfigError {
    let line = e.span().map(|s| line_of(src, s.start));
    // toml's Display already shows line, column and a caret under the offending text.
    let mut err = ConfigError::file(file, format!("invalid TOML\n{e}"));
    err.line = line;
    err
}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // No name is this long, and the edit distance is quadratic in the lengths (a name of
    // 100,000 characters took seconds against every parameter name).
    if name.len() > 256 {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::levenshtein(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Help text naming the closest candidate, or listing them all.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    match closest(name, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            format!("known names: {}", all.join(", "))
        }
    }
}

/// Why `path` cannot be read as an input file, if it cannot: it does not exist, is a folder, is
/// not a regular file (a FIFO, a device such as `/dev/zero`, a socket), or is larger than
/// [`limits::MAX_FILE_BYTES`]. Symbolic links are followed. Only metadata is read: a FIFO is
/// never opened (opening one blocks until a writer appears). The reason reads after the path:
/// "`x` is a folder, not a file".
pub(crate) fn file_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("does not exist".into()),
        Err(e) => Some(format!("cannot be read: {e}")),
        Ok(m) => metadata_problem(&m),
    }
}

fn metadata_problem(m: &std::fs::Metadata) -> Option<String> {
    if m.is_dir() {
        return Some("is a folder, not a file".into());
    }
    if !m.is_file() {
        return Some(format!(
            "is not a regular file ({})",
            special_kind(&m.file_type())
        ));
    }
    if m.len() > limits::MAX_FILE_BYTES {
        return Some(format!(
            "is {} bytes, more than the {} bytes ({}) an input file may have",
            m.len(),
            limits::MAX_FILE_BYTES,
            limits::bytes(limits::MAX_FILE_BYTES as f64)
        ));
    }
    None
}

/// Longest name, in characters, that becomes part of a path: scenario, analysis, calibration and
/// endpoint names. Short enough that the hidden working folders beside an output folder
/// (`.NAME.tmp-PID`) stay far below the 255-byte limit of a file name.
pub const MAX_NAME_LEN: usize = 100;

/// What is wrong with a name that becomes part of a path, if anything. Allowed: 1 to
/// [`MAX_NAME_LEN`] ASCII letters, digits, `_`, `-` and `.`, not starting with `.` and without
/// `..`; so a name can never be empty, absolute, hidden, climb out of its folder or hold
/// control characters.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    let n = name.chars().count();
    if n > MAX_NAME_LEN {
        return Some(format!(
            "is {n} characters long; at most {MAX_NAME_LEN} are allowed"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Some(format!("contains `{}`", c.escape_debug()));
    }
    if name.starts_with('.') {
        return Some("starts with `.`".into());
    }
    if name.contains("..") {
        return Some("contains `..`".into());
    }
    None
}

/// A name as shown in a message: control characters escaped, long names shortened.
pub(crate) fn shown_name(name: &str) -> String {
    const SHOW: usize = 40;
    let head: String = name.chars().take(SHOW).collect();
    let mut out = head.escape_debug().to_string();
    if name.chars().count() > SHOW {
        out.push_str("...");
    }
    out
}

/// Checks a `name` that becomes part of a path (see [`name_problem`]); the error names file, line
/// and key. `what` says what the name is (e.g. "scenario name"), `names` what it becomes.
pub(crate) fn check_name(
    file: &Path,
    src: &str,
    name: &Spanned<String>,
    key: &str,
    what: &str,
    names: &str,
) -> Result<(), ConfigError> {
    match name_problem(name.get_ref()) {
        None => Ok(()),
        Some(problem) => Err(ConfigError::key(
            file,
            line(src, name),
            key,
            format!(
                "{what} `{}` {problem} (it names {names})",
                shown_name(name.get_ref())
            ),
        )
        .with_help(format!(
            "use 1 to {MAX_NAME_LEN} letters, digits, `_`, `-` or `.` (not first, no `..`)"
        ))),
    }
}

#[cfg(unix)]
fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO, or named pipe"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Files read: path and SHA-256 of the contents.
type Reads = Vec<(String, [u8; 32])>;

thread_local! {
    /// The files [`read`] read on this thread while [`recording_inputs`] runs.
    static READS: std::cell::RefCell<Option<Reads>> =
        const { std::cell::RefCell::new(None) };
}

/// The input files a load read, and one hash of them all: what makes two runs of an analysis
/// (shards of one job) the same computation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Files read, in order, as their paths were written (relative to the working folder or to
    /// the file that named them).
    pub files: Vec<String>,
    /// SHA-256 (hex) over the SHA-256 of each file's contents, in read order. Paths do not
    /// enter it: the same files in another folder hash the same.
    pub sha256: String,
}

/// Runs `load` (on this thread) and returns its result with the files it read.
pub fn recording_inputs<T>(load: impl FnOnce() -> T) -> (T, Inputs) {
    use sha2::{Digest, Sha256};
    let outer = READS.with(|r| r.replace(Some(Vec::new())));
    let value = load();
    let reads = READS.with(|r| r.replace(outer)).unwrap_or_default();
    let mut all = Sha256::new();
    for (_, h) in &reads {
        all.update(h);
    }
    let hex = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let inputs = Inputs {
        files: reads.into_iter().map(|(p, _)| p).collect(),
        sha256: hex,
    };
    (value, inputs)
}

fn record_read(path: &Path, bytes: &[u8]) {
    use sha2::{Digest, Sha256};
    READS.with(|r| {
        if let Some(list) = r.borrow_mut().as_mut() {
            list.push((path.display().to_string(), Sha256::digest(bytes).into()));
        }
    });
}

/// The kind of analysis file at `path` (`sweep`, `sensitivity` or `population`), from its keys:
/// `patients` makes a population, `methods`, `local`, `morris` or `sobol` a sensitivity
/// analysis, anything else a sweep (whose loader then names what is wrong).
pub fn analysis_kind(path: &Path) -> Result<&'static str, ConfigError> {
    let src = read(path)?;
    let table: toml::Table = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    Ok(if table.contains_key("patients") {
        "population"
    } else if ["methods", "local", "morris", "sobol"]
        .iter()
        .any(|k| table.contains_key(*k))
    {
        "sensitivity"
    } else {
        "sweep"
    })
}

/// Reads an input file, naming it in the error: only a regular file (symbolic links followed) of
/// at most [`limits::MAX_FILE_BYTES`], in UTF-8. Every file the loaders read comes through here.
pub fn read(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let fail = |m: String| ConfigError::file(path, m);
    if let Some(problem) = file_problem(path) {
        return Err(fail(format!("cannot read the file: it {problem}")));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    // The file may have been replaced between the check and the opening: check what was opened.
    let m = file
        .metadata()
        .map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if let Some(problem) = metadata_problem(&m) {
        return Err(fail(format!("cannot read the file: it {problem}")));
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(fail(format!(
            "cannot read the file: it is more than the {} bytes ({}) an input file may have",
            limits::MAX_FILE_BYTES,
            limits::bytes(limits::MAX_FILE_BYTES as f64)
        )));
    }
    record_read(path, &bytes);
    String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "cannot read the file: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A number for messages, in its shortest exact form: `3652.5`, `0.1`, and in exponent form
/// when it would otherwise be long (`1e300`, not 301 digits; `1.5e-9`, not `0.0000000015`).
pub fn num(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() || a == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Help text for an unknown model name.
pub fn suggest_model(name: &str) -> String {
    suggest(name, crate::model::ModelId::ALL.iter().map(|m| m.name()))
}

#[cfg(test)]
mod tests {
    use super::name_problem;

    #[test]
    fn names_that_become_paths() {
        for ok in [
            "healthy",
            "run-1.2_b",
            "a",
            &"x".repeat(100),
            "a.b.c",
            "v1.",
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/some/folder",
            "../../x",
            "..",
            ".",
            ".hidden",
            "a..b",
            "a/b",
            "a\\b",
            "a b",
            "a\0b",
            "\u{1b}[31mred",
            "café",
            &"x".repeat(101),
            &"é".repeat(60),
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?} accepted");
        }
        assert!(
            name_problem(&"a".repeat(300))
                .unwrap()
                .contains("300 characters")
        );
    }
}
