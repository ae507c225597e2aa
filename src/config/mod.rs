//! Configuration: the only module that knows TOML.
//!
//! Two stages: serde structs that mirror the files one to one (`deny_unknown_fields`, so a typo
//! is an error with its line), then validation into the engine's types, with file, key and line
//! in every message.

mod analysis;
mod calibration;
mod params_file;
mod scenario;

pub use analysis::{
    AnalysisHeader, PopulationStudy, Responder, Sensitivity, load_endpoints, load_population,
    load_sensitivity, load_sweep,
};
pub use calibration::{Calibration, FitParameter, Target, load_calibration};
pub use params_file::{bundled_params, load_params, parse_params};
pub use scenario::{Scenario, load_scenario, parse_scenario};

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

/// Reads a file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| ConfigError::file(path, format!("cannot read the file: {e}")))
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
