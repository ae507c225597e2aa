//! Analysis files: endpoints (`params/endpoints/*.toml`, `endpoints.rs`), sweeps (`sweep.rs`),
//! sensitivity analyses (`sensitivity.rs`), virtual populations (`population.rs`) and knock-out
//! tables (`knockout.rs`)
//! (`params/analyses/*.toml`). Every error names file, key and line.
//!
//! This file holds what the three kinds of analysis file share: the header (name, scenario,
//! endpoints, seed), variables and their ranges, and the reading of a file of one kind.

use super::limits::MAX_RUNS;
use super::scenario::{Scenario, load_scenario};
use super::{check_name, file_problem, line, num, read, suggest, toml_error};
use crate::analysis::sampling::{Range, Scale};
use crate::analysis::{Endpoint, Statistic, Target, Variable};
use crate::error::ConfigError;
use std::path::{Path, PathBuf};
use toml::Spanned;

// One raw struct per kind of analysis file, each with `deny_unknown_fields`: a key of another
// kind (`[sobol]` in a sweep, `patients` in a sensitivity file) is an error naming its line. The
// shared keys (`name`, `description`, `scenario`, `endpoints`, `seed`) are repeated in each
// struct, not flattened in: `#[serde(flatten)]` would disable `deny_unknown_fields`.

/// The keys every analysis file shares, borrowed from its raw struct.
struct Common<'a> {
    name: Option<&'a Spanned<String>>,
    description: Option<&'a String>,
    scenario: Option<&'a Spanned<String>>,
    endpoints: Option<&'a Spanned<String>>,
    seed: Option<&'a Spanned<u64>>,
    /// `[figure]`.
    figure: Option<&'a super::figure::RawFigure>,
    /// Number of `[[parameter]]` entries.
    parameters: usize,
}

/// A kind of analysis file.
trait AnalysisFile: serde::de::DeserializeOwned {
    /// What the file is, for messages ("sweep").
    const KIND: &'static str;
    /// Its shared keys.
    fn common(&self) -> Common<'_>;
}

macro_rules! common {
    ($raw:ident, $kind:literal) => {
        impl AnalysisFile for $raw {
            const KIND: &'static str = $kind;
            fn common(&self) -> Common<'_> {
                Common {
                    name: self.name.as_ref(),
                    description: self.description.as_ref(),
                    scenario: self.scenario.as_ref(),
                    endpoints: self.endpoints.as_ref(),
                    seed: self.seed.as_ref(),
                    figure: self.figure.as_ref(),
                    parameters: self.parameter.len(),
                }
            }
        }
    };
}

mod endpoints;
mod knockout;
mod population;
mod sensitivity;
mod sweep;

pub use endpoints::load_endpoints;
pub use knockout::{KnockoutStudy, load_knockout};
pub use population::{PopulationStudy, Responder, load_population, parse_population};
pub use sensitivity::{Sensitivity, load_sensitivity, parse_sensitivity};
pub use sweep::{load_sweep, parse_sweep};

/// Keys that belong to some kinds of analysis file only (top-level keys and `[[parameter]]`
/// keys), with those kinds: the help under an unknown key says where it belongs.
const KIND_KEYS: [(&str, &[&str]); 21] = [
    ("design", &["sweep"]),
    ("samples", &["sweep"]),
    ("trajectories", &["sweep"]),
    ("points", &["sweep"]),
    ("methods", &["sensitivity"]),
    ("local", &["sensitivity"]),
    ("morris", &["sensitivity"]),
    ("sobol", &["sensitivity"]),
    ("patients", &["population"]),
    ("max_candidates", &["population"]),
    ("bands", &["population"]),
    ("acceptance", &["population"]),
    ("responder", &["population"]),
    ("cv", &["population"]),
    ("min", &["sweep", "sensitivity"]),
    ("max", &["sweep", "sensitivity"]),
    ("scale", &["sweep", "sensitivity"]),
    ("context", &["knockout"]),
    ("handles", &["knockout"]),
    ("factors", &["knockout"]),
    ("sort_by", &["knockout"]),
];

/// The range keys of a `[[parameter]]` (sweeps and sensitivity analyses).
struct RangeKeys<'a> {
    name: &'a Spanned<String>,
    min: Option<&'a Spanned<f64>>,
    max: Option<&'a Spanned<f64>>,
    scale: Option<&'a Spanned<String>>,
}

/// What every analysis file shares.
#[derive(Debug, Clone)]
pub struct AnalysisHeader {
    /// File.
    pub path: PathBuf,
    /// The file's text as read and validated (hashed in `report.html`).
    pub source: String,
    /// Name (output folder).
    pub name: String,
    /// What it asks.
    pub description: String,
    /// The scenario every run starts from.
    pub scenario: Scenario,
    /// Endpoints read from every run.
    pub endpoints: Vec<Endpoint>,
    /// Seed.
    pub seed: u64,
    /// How its figures are drawn: its own `[figure]`, else the scenario's.
    pub figure: super::FigureOptions,
}

/// An analysis file's text, read from its file or given in memory (the Python package's dicts),
/// and optionally its scenario already loaded, which replaces the one the `scenario` key names
/// (the key may then be left out).
/// Relative paths in it are resolved against `file`'s folder (the working folder for a name
/// without one, such as `<dict>`).
#[derive(Debug, Clone)]
pub struct AnalysisText<'a> {
    /// File named in messages; its folder resolves relative paths.
    pub file: &'a Path,
    /// The file's text.
    pub src: String,
    /// The scenario every run starts from, when given in place of the `scenario` key.
    pub scenario: Option<Scenario>,
}

impl<'a> AnalysisText<'a> {
    /// The text of the analysis file at `path`, with its own scenario.
    pub fn read(path: &'a Path) -> Result<Self, ConfigError> {
        Ok(AnalysisText {
            file: path,
            src: read(path)?,
            scenario: None,
        })
    }
}

fn header(
    path: &Path,
    src: &str,
    raw: &Common,
    given: Option<Scenario>,
) -> Result<AnalysisHeader, ConfigError> {
    let required =
        |key: &str| ConfigError::key(path, None, key, format!("missing required key `{key}`"));
    let name = raw.name.ok_or_else(|| required("name"))?;
    check_name(
        path,
        src,
        name,
        "name",
        "analysis name",
        "the output folder output/<kind>/<name>",
    )?;
    let file = |key: &str, v: Option<&Spanned<String>>| -> Result<PathBuf, ConfigError> {
        referenced_file(path, src, key, v.ok_or_else(|| required(key))?)
    };
    let scenario = match given {
        None => load_scenario(&file("scenario", raw.scenario)?)?,
        Some(s) => s,
    };
    let endpoints_path = file("endpoints", raw.endpoints)?;
    let (endpoints, lines) = endpoints::load_endpoints_with_lines(&endpoints_path)?;
    check_endpoints(&endpoints_path, &endpoints, &lines, &scenario)?;
    Ok(AnalysisHeader {
        path: path.to_path_buf(),
        source: src.to_string(),
        name: name.get_ref().clone(),
        description: raw.description.cloned().unwrap_or_default(),
        endpoints,
        seed: raw.seed.map_or(1, |s| *s.get_ref()),
        figure: match raw.figure {
            Some(f) => super::figure::parse_figure(path, src, Some(f))?,
            None => scenario.figure.clone(),
        },
        scenario,
    })
}

/// The file a key of an analysis file names, relative to that file's folder, if it can be read.
fn referenced_file(
    path: &Path,
    src: &str,
    key: &str,
    v: &Spanned<String>,
) -> Result<PathBuf, ConfigError> {
    let p = path.parent().unwrap_or(Path::new(".")).join(v.get_ref());
    match file_problem(&p) {
        None => Ok(p),
        Some(problem) => Err(ConfigError::key(
            path,
            line(src, v),
            key,
            format!("file `{}` {problem}", p.display()),
        )),
    }
}

/// Every endpoint reads a column of the scenario's model, within the scenario's run (a trough
/// needs a dose in its window); errors name the endpoint's line (`lines`, one per endpoint).
fn check_endpoints(
    endpoints_path: &Path,
    endpoints: &[Endpoint],
    lines: &[Option<usize>],
    scenario: &Scenario,
) -> Result<(), ConfigError> {
    let spec = scenario.spec.layout();
    let columns: Vec<&str> = spec.columns().collect();
    for (e, &at) in endpoints.iter().zip(lines) {
        if !columns.contains(&e.column.as_str()) {
            return Err(ConfigError::key(
                endpoints_path,
                at,
                format!("endpoint `{}`", e.name),
                format!(
                    "model `{}` (scenario `{}`) has no column `{}`",
                    spec.name, scenario.name, e.column
                ),
            )
            .with_help(suggest(&e.column, columns.iter().copied())));
        }
        let last = e.statistic.last_day();
        if let Statistic::Trough(a, b) = e.statistic {
            trough_has_a_dose(endpoints_path, at, e, scenario, (a, b))?;
        }
        if last > scenario.spec.protocol.duration + 1e-9 {
            return Err(ConfigError::key(
                endpoints_path,
                at,
                format!("endpoint `{}`", e.name),
                format!(
                    "day {} is after the end of scenario `{}` ({} day)",
                    num(last),
                    scenario.name,
                    num(scenario.spec.protocol.duration)
                ),
            ));
        }
    }
    Ok(())
}

/// Whether the scenario gives input `index` a time course: any window other than one constant
/// over the whole run. An analysis that varies the input replaces its windows by one constant
/// over the whole run, so such a time course would be lost.
fn has_time_course(scenario: &Scenario, index: usize) -> bool {
    let windows: Vec<_> = scenario
        .spec
        .protocol
        .windows
        .iter()
        .filter(|w| w.input == index)
        .collect();
    let whole_run_constant = windows.len() == 1
        && windows[0].profile == crate::engine::Profile::Constant
        && windows[0].start == 0.0
        && windows[0].end.is_infinite();
    !windows.is_empty() && !whole_run_constant
}

fn variable(
    path: &Path,
    src: &str,
    h: &AnalysisHeader,
    k: usize,
    v: &Spanned<String>,
) -> Result<Variable, ConfigError> {
    let name = v.get_ref();
    let spec = h.scenario.spec.layout();
    let at = line(src, v);
    let key = format!("parameter[{k}].name");
    if let Some(input) = name.strip_prefix("input.") {
        let index = spec
            .inputs
            .iter()
            .position(|s| s.name == input)
            .ok_or_else(|| {
                ConfigError::key(
                    path,
                    at,
                    &key,
                    format!("model `{}` has no input `{input}`", spec.name),
                )
                .with_help(suggest(input, spec.inputs.iter().map(|s| s.name)))
            })?;
        if has_time_course(&h.scenario, index) {
            return Err(ConfigError::key(
                path,
                at,
                &key,
                format!(
                    "scenario `{}` gives input `{input}` a time course (a window that is not constant over the whole run); varying it would replace that time course by a constant",
                    h.scenario.name
                ),
            ));
        }
        return Ok(Variable {
            name: name.clone(),
            target: Target::Input(index, input.to_string()),
            unit: spec.inputs[index].unit.to_string(),
        });
    }
    let p = h.scenario.spec.params.params.get(name).ok_or_else(|| {
        ConfigError::key(
            path,
            at,
            &key,
            format!(
                "model `{}` has no parameter `{name}` (inputs are written `input.<name>`)",
                spec.name
            ),
        )
        .with_help(suggest(name, spec.params.iter().map(|p| p.name)))
    })?;
    Ok(Variable {
        name: name.clone(),
        target: Target::Parameter(name.clone()),
        unit: p.unit.clone(),
    })
}

fn range(path: &Path, src: &str, k: usize, v: RangeKeys) -> Result<Range, ConfigError> {
    let key = |f: &str| format!("parameter[{k}].{f}");
    let get = |f: &str, x: Option<&Spanned<f64>>| -> Result<(f64, Option<usize>), ConfigError> {
        let x = x.ok_or_else(|| {
            ConfigError::key(
                path,
                line(src, v.name),
                key(f),
                format!("`{f}` is required"),
            )
        })?;
        Ok((*x.get_ref(), line(src, x)))
    };
    let (min, at) = get("min", v.min)?;
    let (max, _) = get("max", v.max)?;
    if !(min.is_finite() && max.is_finite() && min < max && min >= 0.0) {
        return Err(ConfigError::key(
            path,
            at,
            key("min"),
            format!(
                "need finite 0 <= min < max, got [{}, {}]",
                num(min),
                num(max)
            ),
        ));
    }
    let scale = match v.scale.map(|s| s.get_ref().as_str()) {
        None | Some("linear") => Scale::Linear,
        Some("log") => {
            if min <= 0.0 {
                return Err(ConfigError::key(
                    path,
                    at,
                    key("min"),
                    "a log scale needs min > 0".to_string(),
                ));
            }
            Scale::Log
        }
        Some(other) => {
            let s = v.scale.expect("matched Some");
            return Err(ConfigError::key(
                path,
                line(src, s),
                key("scale"),
                format!("unknown scale `{other}`"),
            )
            .with_help(suggest(other, ["linear", "log"])));
        }
    };
    Ok(Range { min, max, scale })
}

/// The sentence that states the limit on runs.
fn runs_limit() -> String {
    format!(
        "an analysis may have at most {MAX_RUNS} runs (a run takes milliseconds to a second: 10^8 runs are days to years of computing)"
    )
}

/// Reads an analysis file of kind `R`. A key of another kind is an unknown key; the help says
/// which kind of file it belongs to.
fn parse<R: AnalysisFile>(path: &Path) -> Result<(String, R), ConfigError> {
    let src = read(path)?;
    let raw = parse_text::<R>(path, &src)?;
    Ok((src, raw))
}

/// [`parse`] of text already read.
fn parse_text<R: AnalysisFile>(path: &Path, src: &str) -> Result<R, ConfigError> {
    let raw: R = toml::from_str(src).map_err(|e| {
        let err = toml_error(path, src, &e);
        match foreign_key(e.message(), R::KIND) {
            Some((key, kinds)) => err.with_help(format!(
                "`{key}` belongs in a {} file, not in a {} file",
                kinds.join(" or "),
                R::KIND
            )),
            None => err,
        }
    })?;
    Ok(raw)
}

/// The key named by an "unknown field" message, when it belongs to other kinds of analysis
/// file than `kind`, with those kinds.
fn foreign_key(message: &str, kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    let rest = message.strip_prefix("unknown field `")?;
    let key = &rest[..rest.find('`')?];
    KIND_KEYS
        .iter()
        .find(|(k, owners)| *k == key && !owners.contains(&kind))
        .copied()
}

/// Parses an analysis file of one kind and reads the shared header; where `needs` is given,
/// requires at least one `[[parameter]]`.
fn open<R: AnalysisFile>(
    text: AnalysisText,
    needs: Option<&str>,
) -> Result<(String, R, AnalysisHeader), ConfigError> {
    let (path, src) = (text.file, text.src);
    let raw = parse_text::<R>(path, &src)?;
    let common = raw.common();
    let h = header(path, &src, &common, text.scenario)?;
    if let Some(purpose) = needs
        && common.parameters == 0
    {
        return Err(ConfigError::key(
            path,
            None,
            "parameter",
            format!("no `[[parameter]]` to {purpose}"),
        ));
    }
    Ok((src, raw, h))
}

/// A trough is the value just before a dose: its window must hold one of the scenario's doses.
fn trough_has_a_dose(
    file: &Path,
    at: Option<usize>,
    e: &crate::analysis::Endpoint,
    scenario: &crate::config::Scenario,
    (a, b): (f64, f64),
) -> Result<(), ConfigError> {
    let doses = &scenario.spec.protocol.doses;
    if doses.iter().any(|d| d.time > a && d.time <= b) {
        return Ok(());
    }
    Err(ConfigError::key(
        file,
        at,
        format!("endpoint `{}`", e.name),
        format!(
            "stat = \"trough\" is the value just before a dose, but scenario `{}` gives no dose in ({}, {}] day",
            scenario.name,
            num(a),
            num(b)
        ),
    )
    .with_help("widen the window to hold a dose, or use stat = \"min\"".to_string()))
}
