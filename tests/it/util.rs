//! Shared helpers: paths, running scenarios, reading CSV, closeness checks.

use immunoporosis::config::{self, Scenario};
use immunoporosis::engine::{self, RunResult};
use std::path::{Path, PathBuf};

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled scenario by file stem.
pub fn scenario_path(stem: &str) -> PathBuf {
    root().join("params/scenarios").join(format!("{stem}.toml"))
}

/// Loads a bundled scenario.
pub fn load(stem: &str) -> Scenario {
    config::load_scenario(&scenario_path(stem)).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a bundled scenario.
pub fn run(stem: &str) -> RunResult {
    engine::simulate(&load(stem).spec).unwrap_or_else(|e| panic!("{stem}: {e}"))
}

/// Parses a scenario from text (as if it were at `params/scenarios/test.toml`).
pub fn parse(text: &str) -> Result<Scenario, immunoporosis::error::ConfigError> {
    config::parse_scenario(&root().join("params/scenarios/test.toml"), text)
}

/// Runs a scenario given as text.
pub fn run_text(text: &str) -> RunResult {
    let s = parse(text).unwrap_or_else(|e| panic!("{e}"));
    engine::simulate(&s.spec).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads a numeric CSV with a header: (columns, rows).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    (header, rows)
}

/// |got - want| <= rtol |want|, with a message naming what is compared.
#[track_caller]
pub fn assert_rel(got: f64, want: f64, rtol: f64, what: &str) {
    let err = (got - want).abs() / want.abs();
    assert!(
        err <= rtol,
        "{what}: got {got:e}, want {want:e}, relative error {err:e} > {rtol:e}"
    );
}

/// The largest value of a column and the time it is reached: (time in days, value).
pub fn peak(r: &RunResult, column: &str) -> (f64, f64) {
    let c = r.trajectory.column(column).expect("column");
    let t = r.trajectory.column("t_day").expect("t_day");
    c.iter().zip(t).fold((0.0, f64::NEG_INFINITY), |a, (v, t)| {
        if *v > a.1 { (*t, *v) } else { a }
    })
}

/// A temporary copy of the repository's `params/` layout, so that tests edit copies and never
/// write into the source tree: `params/<folder>` is a real folder holding copies of the bundled
/// files of that folder (edits go there), and every other folder of `params/` is a symbolic link
/// to the bundled one, so relative paths (`../scenarios/x.toml`) resolve as they do in the
/// repository. Removed with the value.
pub struct ParamsCopy {
    _dir: tempfile::TempDir,
    /// The copied folder, `<tmp>/params/<folder>`.
    pub folder: PathBuf,
}

/// Copies `params/<folder>` into a temporary `params/` layout (see [`ParamsCopy`]).
pub fn params_copy(folder: &str) -> ParamsCopy {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params");
    std::fs::create_dir(&params).unwrap();
    for entry in std::fs::read_dir(root().join("params")).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap();
        if name == folder {
            let copy = params.join(name);
            std::fs::create_dir(&copy).unwrap();
            for f in std::fs::read_dir(&path).unwrap() {
                let f = f.unwrap().path();
                if f.is_file() {
                    std::fs::copy(&f, copy.join(f.file_name().unwrap())).unwrap();
                }
            }
        } else {
            std::os::unix::fs::symlink(&path, params.join(name)).unwrap();
        }
    }
    let folder = params.join(folder);
    assert!(folder.is_dir(), "no folder params/{}", folder.display());
    ParamsCopy { _dir: dir, folder }
}

/// The error of loading an edited copy of the bundled file `params/<folder>/<file>`. The copy
/// takes the original's place in a temporary copy of `params/` ([`params_copy`]), so that its
/// relative paths resolve; the source tree is not written.
pub fn error_of_edited<T>(
    folder: &str,
    file: &str,
    edit: impl Fn(&str) -> String,
    load: impl Fn(&Path) -> Result<T, immunoporosis::error::ConfigError>,
) -> String {
    let copy = params_copy(folder);
    let path = copy.folder.join(file);
    let src = std::fs::read_to_string(&path).unwrap();
    let changed = edit(&src);
    assert_ne!(changed, src, "edit did not apply to {file}");
    std::fs::write(&path, changed).unwrap();
    match load(&path) {
        Ok(_) => panic!("the edited {file} loaded without error"),
        Err(e) => e.to_string(),
    }
}
