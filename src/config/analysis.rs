//! Analysis files: endpoints (`params/endpoints/*.toml`), sweeps, sensitivity analyses and
//! virtual populations (`params/analyses/*.toml`). Every error names file, key and line.

use super::limits::{self, MAX_MORRIS_LEVELS, MAX_RUNS, SENSITIVITY_BYTES};
use super::scenario::{Scenario, load_scenario};
use super::{check_name, file_problem, line, num, read, suggest, toml_error};
use crate::analysis::population::{Acceptance, Population};
use crate::analysis::sampling::{Design, MAX_SOBOL_DIMENSIONS, MAX_SOBOL_POINTS, Range, Scale};
use crate::analysis::sensitivity::sobol_runs;
use crate::analysis::sweep::Sweep;
use crate::analysis::{Endpoint, Statistic, Target, Variable, nominal};
use crate::error::ConfigError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoints {
    #[serde(default)]
    endpoint: Vec<Spanned<RawEndpoint>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    name: Spanned<String>,
    column: Spanned<String>,
    at_day: Option<Spanned<f64>>,
    stat: Option<Spanned<String>>,
    from_day: Option<Spanned<f64>>,
    to_day: Option<Spanned<f64>>,
    #[allow(dead_code)]
    description: Option<String>,
}

// One raw struct per kind of analysis file, each with `deny_unknown_fields`: a key of another
// kind (`[sobol]` in a sweep, `patients` in a sensitivity file) is an error naming its line. The
// shared keys (`name`, `description`, `scenario`, `endpoints`, `seed`) are repeated in each
// struct, not flattened in: `#[serde(flatten)]` would disable `deny_unknown_fields`.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    design: Option<Spanned<String>>,
    samples: Option<Spanned<usize>>,
    trajectories: Option<Spanned<bool>>,
    #[serde(default)]
    parameter: Vec<Spanned<RawSweepVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensitivity {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    methods: Option<Spanned<Vec<String>>>,
    local: Option<RawLocal>,
    morris: Option<RawMorris>,
    sobol: Option<RawSobol>,
    #[serde(default)]
    parameter: Vec<Spanned<RawRangeVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    patients: Option<Spanned<usize>>,
    max_candidates: Option<Spanned<usize>>,
    bands: Option<Vec<String>>,
    acceptance: Option<Spanned<RawAcceptance>>,
    responder: Option<Spanned<RawResponder>>,
    #[serde(default)]
    parameter: Vec<Spanned<RawPopulationVariable>>,
}

/// The keys every analysis file shares, borrowed from its raw struct.
struct Common<'a> {
    name: Option<&'a Spanned<String>>,
    description: Option<&'a String>,
    scenario: Option<&'a Spanned<String>>,
    endpoints: Option<&'a Spanned<String>>,
    seed: Option<&'a Spanned<u64>>,
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
                    parameters: self.parameter.len(),
                }
            }
        }
    };
}
common!(RawSweep, "sweep");
common!(RawSensitivity, "sensitivity");
common!(RawPopulation, "population");

/// Keys that belong to some kinds of analysis file only (top-level keys and `[[parameter]]`
/// keys), with those kinds: the help under an unknown key says where it belongs.
const KIND_KEYS: [(&str, &[&str]); 17] = [
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
];

/// A `[[parameter]]` of a sweep: a range, and its number of grid points.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweepVariable {
    name: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    scale: Option<Spanned<String>>,
    points: Option<Spanned<usize>>,
}

/// A `[[parameter]]` of a sensitivity analysis: a range.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRangeVariable {
    name: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    scale: Option<Spanned<String>>,
}

/// A `[[parameter]]` of a population: a coefficient of variation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulationVariable {
    name: Spanned<String>,
    cv: Option<Spanned<f64>>,
}

/// The range keys of a `[[parameter]]` (sweeps and sensitivity analyses).
struct RangeKeys<'a> {
    name: &'a Spanned<String>,
    min: Option<&'a Spanned<f64>>,
    max: Option<&'a Spanned<f64>>,
    scale: Option<&'a Spanned<String>>,
}

impl RawSweepVariable {
    fn range_keys(&self) -> RangeKeys<'_> {
        RangeKeys {
            name: &self.name,
            min: self.min.as_ref(),
            max: self.max.as_ref(),
            scale: self.scale.as_ref(),
        }
    }
}

impl RawRangeVariable {
    fn range_keys(&self) -> RangeKeys<'_> {
        RangeKeys {
            name: &self.name,
            min: self.min.as_ref(),
            max: self.max.as_ref(),
            scale: self.scale.as_ref(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    relative_step: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMorris {
    trajectories: Option<Spanned<usize>>,
    levels: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSobol {
    base_samples: Option<Spanned<usize>>,
    bootstrap: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcceptance {
    column: Spanned<String>,
    at_day: Spanned<f64>,
    min: Spanned<f64>,
    max: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponder {
    endpoint: Spanned<String>,
    below: Option<f64>,
    above: Option<f64>,
}

/// What every analysis file shares.
#[derive(Debug, Clone)]
pub struct AnalysisHeader {
    /// File.
    pub path: PathBuf,
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
}

/// A validated sensitivity analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    /// Shared settings.
    pub header: AnalysisHeader,
    /// Variables with their ranges (Morris, Sobol) and nominal values (local).
    pub variables: Vec<Variable>,
    /// Ranges.
    pub ranges: Vec<Range>,
    /// Nominal values (from the scenario).
    pub nominal: Vec<f64>,
    /// Which methods to run.
    pub local: Option<f64>,
    /// Morris (trajectories, levels).
    pub morris: Option<(usize, usize)>,
    /// Sobol (base samples, bootstrap resamples).
    pub sobol: Option<(usize, usize)>,
}

/// A responder definition: an endpoint below or above a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Responder {
    /// Index of the endpoint.
    pub endpoint: usize,
    /// Threshold.
    pub threshold: f64,
    /// True: responders are below the threshold; false: above.
    pub below: bool,
}

/// A validated population study with its shared settings.
#[derive(Debug, Clone)]
pub struct PopulationStudy {
    /// Shared settings.
    pub header: AnalysisHeader,
    /// The study.
    pub population: Population,
    /// Optional responder definition.
    pub responder: Option<Responder>,
}

/// Loads an endpoints file.
pub fn load_endpoints(path: &Path) -> Result<Vec<Endpoint>, ConfigError> {
    let src = read(path)?;
    let raw: RawEndpoints = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    if raw.endpoint.is_empty() {
        return Err(ConfigError::key(
            path,
            None,
            "endpoint",
            "no `[[endpoint]]` defined".to_string(),
        ));
    }
    let mut out: Vec<Endpoint> = Vec::new();
    for (k, e) in raw.endpoint.iter().enumerate() {
        let e = e.get_ref();
        let key = format!("endpoint[{k}]");
        let err = |at: Option<usize>, field: &str, msg: String| {
            ConfigError::key(path, at, format!("{key}.{field}"), msg)
        };
        check_name(
            path,
            &src,
            &e.name,
            &format!("{key}.name"),
            "endpoint name",
            "plot files",
        )?;
        if out.iter().any(|x| x.name == *e.name.get_ref()) {
            return Err(err(
                line(&src, &e.name),
                "name",
                format!("endpoint `{}` is defined twice", e.name.get_ref()),
            ));
        }
        let day = |v: &Option<Spanned<f64>>, field: &str| -> Result<f64, ConfigError> {
            let v = v.as_ref().ok_or_else(|| {
                err(
                    line(&src, &e.name),
                    field,
                    format!("`{field}` is required for this statistic"),
                )
            })?;
            if v.get_ref().is_finite() && *v.get_ref() >= 0.0 {
                Ok(*v.get_ref())
            } else {
                Err(err(
                    line(&src, v),
                    field,
                    format!("must be a day >= 0, got {}", num(*v.get_ref())),
                ))
            }
        };
        let stat = e.stat.as_ref().map_or("at", |s| s.get_ref().as_str());
        let statistic = match stat {
            "at" => Statistic::At(day(&e.at_day, "at_day")?),
            "min" | "max" | "mean" => {
                let (a, b) = (day(&e.from_day, "from_day")?, day(&e.to_day, "to_day")?);
                if b < a {
                    return Err(err(
                        line(&src, e.to_day.as_ref().expect("checked")),
                        "to_day",
                        format!("to_day ({}) is before from_day ({})", num(b), num(a)),
                    ));
                }
                match stat {
                    "min" => Statistic::Min(a, b),
                    "max" => Statistic::Max(a, b),
                    _ => Statistic::Mean(a, b),
                }
            }
            other => {
                let s = e.stat.as_ref().expect("matched Some");
                return Err(err(
                    line(&src, s),
                    "stat",
                    format!("unknown statistic `{other}`"),
                )
                .with_help(suggest(other, ["at", "min", "max", "mean"])));
            }
        };
        out.push(Endpoint {
            name: e.name.get_ref().clone(),
            column: e.column.get_ref().clone(),
            statistic,
        });
    }
    Ok(out)
}

fn header(path: &Path, src: &str, raw: &Common) -> Result<AnalysisHeader, ConfigError> {
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
    let dir = path.parent().unwrap_or(Path::new("."));
    let file = |key: &str, v: Option<&Spanned<String>>| -> Result<PathBuf, ConfigError> {
        let v = v.ok_or_else(|| required(key))?;
        let p = dir.join(v.get_ref());
        match file_problem(&p) {
            None => Ok(p),
            Some(problem) => Err(ConfigError::key(
                path,
                line(src, v),
                key,
                format!("file `{}` {problem}", p.display()),
            )),
        }
    };
    let scenario = load_scenario(&file("scenario", raw.scenario)?)?;
    let endpoints_path = file("endpoints", raw.endpoints)?;
    let endpoints = load_endpoints(&endpoints_path)?;
    let spec = scenario.spec.model.spec();
    let columns: Vec<&str> = spec
        .states
        .iter()
        .map(|s| s.column)
        .chain(spec.derived.iter().map(|d| d.column))
        .collect();
    for e in &endpoints {
        if !columns.contains(&e.column.as_str()) {
            return Err(ConfigError::key(
                &endpoints_path,
                None,
                format!("endpoint `{}`", e.name),
                format!(
                    "model `{}` (scenario `{}`) has no column `{}`",
                    spec.name, scenario.name, e.column
                ),
            )
            .with_help(suggest(&e.column, columns.iter().copied())));
        }
        let last = match e.statistic {
            Statistic::At(d) => d,
            Statistic::Min(_, b) | Statistic::Max(_, b) | Statistic::Mean(_, b) => b,
        };
        if last > scenario.spec.protocol.duration + 1e-9 {
            return Err(ConfigError::key(
                &endpoints_path,
                None,
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
    Ok(AnalysisHeader {
        path: path.to_path_buf(),
        name: name.get_ref().clone(),
        description: raw.description.cloned().unwrap_or_default(),
        scenario,
        endpoints,
        seed: raw.seed.map_or(1, |s| *s.get_ref()),
    })
}

fn variable(
    path: &Path,
    src: &str,
    h: &AnalysisHeader,
    k: usize,
    v: &Spanned<String>,
) -> Result<Variable, ConfigError> {
    let name = v.get_ref();
    let spec = h.scenario.spec.model.spec();
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
        // Varying an input replaces its windows by one constant over the whole run; refuse it
        // where the scenario gives the input a time course that would be lost.
        let windows: Vec<_> = h
            .scenario
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
        if !windows.is_empty() && !whole_run_constant {
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

/// Refuses a Morris or Sobol analysis with more runs than [`MAX_RUNS`] or whose points and
/// endpoints would not fit in [`SENSITIVITY_BYTES`].
#[allow(clippy::too_many_arguments)]
fn check_sensitivity_runs(
    path: &Path,
    at: Option<usize>,
    key: &str,
    runs: u64,
    parameters: usize,
    endpoints: usize,
    product: &str,
    help: &str,
) -> Result<(), ConfigError> {
    let bytes = runs as f64 * limits::sensitivity_run_bytes(parameters, endpoints) as f64;
    let problem = if runs > MAX_RUNS {
        runs_limit()
    } else if bytes > SENSITIVITY_BYTES as f64 {
        format!(
            "their points and endpoints need {} in memory, at most {}",
            limits::bytes(bytes),
            limits::bytes(SENSITIVITY_BYTES as f64)
        )
    } else {
        return Ok(());
    };
    Err(
        ConfigError::key(path, at, key, format!("{product} = {runs} runs; {problem}"))
            .with_help(help.to_string()),
    )
}

/// Reads an analysis file of kind `R`. A key of another kind is an unknown key; the help says
/// which kind of file it belongs to.
fn parse<R: AnalysisFile>(path: &Path) -> Result<(String, R), ConfigError> {
    let src = read(path)?;
    let raw: R = toml::from_str(&src).map_err(|e| {
        let err = toml_error(path, &src, &e);
        match foreign_key(e.message(), R::KIND) {
            Some((key, kinds)) => err.with_help(format!(
                "`{key}` belongs in a {} file, not in a {} file",
                kinds.join(" or "),
                R::KIND
            )),
            None => err,
        }
    })?;
    Ok((src, raw))
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
    path: &Path,
    needs: Option<&str>,
) -> Result<(String, R, AnalysisHeader), ConfigError> {
    let (src, raw) = parse::<R>(path)?;
    let common = raw.common();
    let h = header(path, &src, &common)?;
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

/// Loads and validates a sweep file.
pub fn load_sweep(path: &Path) -> Result<(AnalysisHeader, Sweep), ConfigError> {
    let (src, raw, h) = open::<RawSweep>(path, Some("sweep"))?;
    let design = match raw.design.as_ref().map(|d| d.get_ref().as_str()) {
        None | Some("grid") => Design::Grid,
        Some("random") => Design::Random,
        Some("lhs") => Design::LatinHypercube,
        Some("sobol") => Design::Sobol,
        Some(other) => {
            let d = raw.design.as_ref().expect("matched Some");
            return Err(ConfigError::key(
                path,
                line(&src, d),
                "design",
                format!("unknown design `{other}`"),
            )
            .with_help(suggest(other, ["grid", "random", "lhs", "sobol"])));
        }
    };
    let mut variables = Vec::new();
    let mut ranges = Vec::new();
    let mut points = Vec::new();
    for (k, v) in raw.parameter.iter().enumerate() {
        variables.push(variable(path, &src, &h, k, &v.get_ref().name)?);
        ranges.push(range(path, &src, k, v.get_ref().range_keys())?);
        let n = match (&v.get_ref().points, design) {
            (Some(p), Design::Grid) if *p.get_ref() >= 1 => *p.get_ref(),
            (Some(p), Design::Grid) => {
                return Err(ConfigError::key(
                    path,
                    line(&src, p),
                    format!("parameter[{k}].points"),
                    "points must be at least 1".to_string(),
                ));
            }
            (None, Design::Grid) => {
                return Err(ConfigError::key(
                    path,
                    line(&src, v),
                    format!("parameter[{k}].points"),
                    "a grid needs `points` for every parameter".to_string(),
                ));
            }
            (Some(p), _) => {
                return Err(ConfigError::key(
                    path,
                    line(&src, p),
                    format!("parameter[{k}].points"),
                    "`points` is for grid designs; use `samples` for the others".to_string(),
                ));
            }
            (None, _) => 0,
        };
        points.push(n);
    }
    if design == Design::Grid {
        // Checked product: two dimensions of 2^32 points must not wrap around to zero.
        let mut total = Some(1u64);
        for (k, (n, v)) in points.iter().zip(&raw.parameter).enumerate() {
            total = total.and_then(|t| t.checked_mul(*n as u64));
            if total.is_none_or(|t| t > MAX_RUNS) {
                let product: f64 = points.iter().map(|p| *p as f64).product();
                let factors: Vec<String> = points.iter().map(|p| p.to_string()).collect();
                return Err(ConfigError::key(
                    path,
                    v.get_ref().points.as_ref().and_then(|p| line(&src, p)),
                    format!("parameter[{k}].points"),
                    format!(
                        "the grid has {} points ({}), each a run; {}",
                        limits::count(product),
                        factors.join(" x "),
                        runs_limit()
                    ),
                )
                .with_help(
                    "use fewer points per parameter, or a random, lhs or sobol design with `samples`",
                ));
            }
        }
    }
    let samples = match (design, &raw.samples) {
        (Design::Grid, Some(s)) => {
            return Err(ConfigError::key(
                path,
                line(&src, s),
                "samples",
                "a grid's size comes from `points`; `samples` is for random, lhs and sobol"
                    .to_string(),
            ));
        }
        (Design::Grid, None) => points.iter().product(),
        (_, None) => {
            return Err(ConfigError::key(
                path,
                None,
                "samples",
                "random, lhs and sobol designs need `samples`".to_string(),
            ));
        }
        (_, Some(s)) if *s.get_ref() == 0 => {
            return Err(ConfigError::key(
                path,
                line(&src, s),
                "samples",
                "samples must be at least 1".to_string(),
            ));
        }
        (Design::Sobol, Some(s)) if *s.get_ref() > MAX_SOBOL_POINTS => {
            return Err(ConfigError::key(
                path,
                line(&src, s),
                "samples",
                format!("a Sobol design has at most {MAX_SOBOL_POINTS} points"),
            ));
        }
        (_, Some(s)) => *s.get_ref(),
    };
    if let Some(s) = &raw.samples
        && samples as u64 > MAX_RUNS
    {
        return Err(ConfigError::key(
            path,
            line(&src, s),
            "samples",
            format!("{} samples, each a run; {}", s.get_ref(), runs_limit()),
        )
        .with_help("use fewer samples"));
    }
    // A Latin hypercube is a joint property of all its points: its strata are drawn up front, one
    // number per point and parameter (analysis::sampling::latin_hypercube_points).
    let design_bytes = (samples as f64) * (variables.len() as f64 + 1.0) * 8.0;
    if design == Design::LatinHypercube && design_bytes > SENSITIVITY_BYTES as f64 {
        return Err(ConfigError::key(
            path,
            raw.samples.as_ref().and_then(|s| line(&src, s)),
            "samples",
            format!(
                "a Latin hypercube of {samples} samples in {} parameters holds {} of strata in memory; at most {}",
                variables.len(),
                limits::bytes(design_bytes),
                limits::bytes(SENSITIVITY_BYTES as f64)
            ),
        )
        .with_help("use fewer samples, or a random or sobol design (generated point by point)"));
    }
    let keep = raw.trajectories.as_ref().is_some_and(|t| *t.get_ref());
    if keep {
        // Every run's trajectory goes to trajectories.csv (and a chunk of them is in memory at
        // once: fewer numbers than the whole file).
        let p = &h.scenario.spec.protocol;
        let model = h.scenario.spec.model.spec();
        let columns = 1 + model.states.len() + model.derived.len();
        let rows = limits::output_rows(p.duration, p.output_interval);
        let values = samples as f64 * rows * columns as f64;
        if values > limits::MAX_TRAJECTORY_VALUES as f64 {
            return Err(ConfigError::key(
                path,
                raw.trajectories.as_ref().and_then(|t| line(&src, t)),
                "trajectories",
                format!(
                    "trajectories.csv would hold {samples} runs x {} rows x {columns} columns = {} numbers (about {} of text); at most {} numbers",
                    limits::count(rows),
                    limits::count(values),
                    limits::bytes(values * 20.0),
                    limits::MAX_TRAJECTORY_VALUES
                ),
            )
            .with_help(format!(
                "drop `trajectories`, use fewer runs, or raise output_interval_days in scenario `{}`",
                h.scenario.name
            )));
        }
    }
    if design == Design::Sobol && variables.len() > MAX_SOBOL_DIMENSIONS {
        return Err(ConfigError::key(
            path,
            None,
            "parameter",
            format!("a Sobol design has at most {MAX_SOBOL_DIMENSIONS} parameters"),
        ));
    }
    let sweep = Sweep {
        base: h.scenario.spec.clone(),
        variables,
        ranges,
        points,
        design,
        samples,
        seed: h.seed,
        endpoints: h.endpoints.clone(),
        trajectories: keep,
    };
    Ok((h, sweep))
}

/// Loads and validates a sensitivity file.
pub fn load_sensitivity(path: &Path) -> Result<Sensitivity, ConfigError> {
    let (src, raw, h) = open::<RawSensitivity>(path, Some("analyse"))?;
    let methods: Vec<String> = raw.methods.as_ref().map_or_else(
        || vec!["local".into(), "morris".into(), "sobol".into()],
        |m| m.get_ref().clone(),
    );
    if methods.is_empty() {
        return Err(ConfigError::key(
            path,
            raw.methods.as_ref().and_then(|v| line(&src, v)),
            "methods",
            "no method listed: the analysis would compute nothing".to_string(),
        )
        .with_help(
            "list at least one of \"local\", \"morris\", \"sobol\", or drop `methods` to run all three",
        ));
    }
    for m in &methods {
        if !["local", "morris", "sobol"].contains(&m.as_str()) {
            return Err(ConfigError::key(
                path,
                raw.methods.as_ref().and_then(|v| line(&src, v)),
                "methods",
                format!("unknown method `{m}`"),
            )
            .with_help(suggest(m, ["local", "morris", "sobol"])));
        }
    }
    let mut variables = Vec::new();
    let mut ranges = Vec::new();
    let mut nominals = Vec::new();
    for (k, v) in raw.parameter.iter().enumerate() {
        let var = variable(path, &src, &h, k, &v.get_ref().name)?;
        let x0 = nominal(&h.scenario.spec, &var).unwrap_or(0.0);
        if methods.iter().any(|m| m == "local") && x0 == 0.0 {
            return Err(ConfigError::key(
                path,
                line(&src, v),
                format!("parameter[{k}].name"),
                format!(
                    "`{}` is 0 in the scenario: a normalised local sensitivity needs a nonzero nominal value",
                    var.name
                ),
            ));
        }
        if methods.iter().any(|m| m != "local") {
            ranges.push(range(path, &src, k, v.get_ref().range_keys())?);
        }
        variables.push(var);
        nominals.push(x0);
    }
    let has = |m: &str| methods.iter().any(|x| x == m);
    let local = has("local").then(|| {
        raw.local
            .as_ref()
            .and_then(|l| l.relative_step.as_ref())
            .map_or(1e-3, |s| *s.get_ref())
    });
    if let Some(h) = local
        && !(h > 0.0 && h < 0.5)
    {
        return Err(ConfigError::key(
            path,
            None,
            "local.relative_step",
            format!("must be in (0, 0.5), got {}", num(h)),
        ));
    }
    let morris = has("morris").then(|| {
        let m = raw.morris.as_ref();
        (
            m.and_then(|m| m.trajectories.as_ref())
                .map_or(20, |v| *v.get_ref()),
            m.and_then(|m| m.levels.as_ref())
                .map_or(4, |v| *v.get_ref()),
        )
    });
    if let Some((r, p)) = morris
        && (r < 2 || p < 2 || p % 2 == 1)
    {
        return Err(ConfigError::key(
            path,
            None,
            "morris",
            format!(
                "need at least 2 trajectories and an even number of levels >= 2, got {r} and {p}"
            ),
        ));
    }
    let (k, m) = (variables.len(), h.endpoints.len());
    let morris_line = |f: fn(&RawMorris) -> &Option<Spanned<usize>>| {
        raw.morris
            .as_ref()
            .and_then(|x| f(x).as_ref())
            .and_then(|v| line(&src, v))
    };
    if let Some((_, p)) = morris
        && p > MAX_MORRIS_LEVELS
    {
        return Err(ConfigError::key(
            path,
            morris_line(|x| &x.levels),
            "morris.levels",
            format!("{p} levels; at most {MAX_MORRIS_LEVELS} (the method uses 4 to 10)"),
        ));
    }
    if let Some((r, _)) = morris {
        // Morris runs trajectories x (parameters + 1) points and keeps them all with their
        // endpoints.
        let runs = (r as u64).saturating_mul(k as u64 + 1);
        check_sensitivity_runs(
            path,
            morris_line(|x| &x.trajectories),
            "morris.trajectories",
            runs,
            k,
            m,
            &format!("{r} trajectories x ({k} parameters + 1)"),
            "use fewer trajectories",
        )?;
    }
    let sobol_line = |f: fn(&RawSobol) -> &Option<Spanned<usize>>| {
        raw.sobol
            .as_ref()
            .and_then(|x| f(x).as_ref())
            .and_then(|v| line(&src, v))
    };
    let sobol = has("sobol").then(|| {
        let s = raw.sobol.as_ref();
        (
            s.and_then(|s| s.base_samples.as_ref())
                .map_or(1024, |v| *v.get_ref()),
            s.and_then(|s| s.bootstrap.as_ref())
                .map_or(200, |v| *v.get_ref()),
        )
    });
    if let Some((n, _)) = sobol
        && (!(2..=MAX_SOBOL_POINTS).contains(&n) || 2 * variables.len() > MAX_SOBOL_DIMENSIONS)
    {
        return Err(ConfigError::key(
            path,
            None,
            "sobol.base_samples",
            format!(
                "need 2 <= base_samples <= {MAX_SOBOL_POINTS} and at most {} parameters",
                MAX_SOBOL_DIMENSIONS / 2
            ),
        ));
    }
    if let Some((n, bootstrap)) = sobol {
        // Saltelli's scheme runs base_samples x (parameters + 2) points and keeps them all with
        // their endpoints; the bootstrap keeps bootstrap x base_samples resample indices.
        let runs = sobol_runs(n, k) as u64;
        check_sensitivity_runs(
            path,
            sobol_line(|x| &x.base_samples),
            "sobol.base_samples",
            runs,
            k,
            m,
            &format!("{n} base samples x ({k} parameters + 2)"),
            "use fewer base samples",
        )?;
        let indices = (bootstrap as u64)
            .saturating_mul(n as u64)
            .saturating_mul(8);
        if indices > SENSITIVITY_BYTES {
            return Err(ConfigError::key(
                path,
                sobol_line(|x| &x.bootstrap),
                "sobol.bootstrap",
                format!(
                    "{bootstrap} bootstrap resamples of {n} base samples need {} in memory; at most {}",
                    limits::bytes(bootstrap as f64 * n as f64 * 8.0),
                    limits::bytes(SENSITIVITY_BYTES as f64)
                ),
            )
            .with_help(format!(
                "use at most {} resamples with {n} base samples (a few hundred give 95 % intervals)",
                SENSITIVITY_BYTES / 8 / n as u64
            )));
        }
    }
    Ok(Sensitivity {
        header: h,
        variables,
        ranges,
        nominal: nominals,
        local,
        morris,
        sobol,
    })
}

/// Loads and validates a population file.
pub fn load_population(path: &Path) -> Result<PopulationStudy, ConfigError> {
    let (src, raw, h) = open::<RawPopulation>(path, None)?;
    let patients = raw.patients.as_ref().ok_or_else(|| {
        ConfigError::key(
            path,
            None,
            "patients",
            "missing required key `patients`".to_string(),
        )
    })?;
    if *patients.get_ref() == 0 {
        return Err(ConfigError::key(
            path,
            line(&src, patients),
            "patients",
            "must be at least 1".to_string(),
        ));
    }
    if *patients.get_ref() as u64 > MAX_RUNS {
        return Err(ConfigError::key(
            path,
            line(&src, patients),
            "patients",
            format!(
                "{} patients, each at least one run; {}",
                patients.get_ref(),
                runs_limit()
            ),
        )
        .with_help("use fewer patients"));
    }
    if let Some(m) = &raw.max_candidates
        && *m.get_ref() as u64 > MAX_RUNS
    {
        return Err(ConfigError::key(
            path,
            line(&src, m),
            "max_candidates",
            format!("{} candidates, each a run; {}", m.get_ref(), runs_limit()),
        )
        .with_help("use fewer candidates"));
    }
    let mut variables = Vec::new();
    let mut nominals = Vec::new();
    for (k, v) in raw.parameter.iter().enumerate() {
        let var = variable(path, &src, &h, k, &v.get_ref().name)?;
        let cv = v.get_ref().cv.as_ref().ok_or_else(|| {
            ConfigError::key(
                path,
                line(&src, v),
                format!("parameter[{k}].cv"),
                "`cv` (coefficient of variation) is required".to_string(),
            )
        })?;
        if !(cv.get_ref().is_finite() && *cv.get_ref() >= 0.0) {
            return Err(ConfigError::key(
                path,
                line(&src, cv),
                format!("parameter[{k}].cv"),
                format!("cv must be a number >= 0, got {}", num(*cv.get_ref())),
            ));
        }
        let x0 = nominal(&h.scenario.spec, &var).unwrap_or(0.0);
        if x0 <= 0.0 {
            return Err(ConfigError::key(
                path,
                line(&src, v),
                format!("parameter[{k}].name"),
                format!(
                    "`{}` is {} in the scenario: log-normal variability needs a positive nominal value",
                    var.name,
                    num(x0)
                ),
            ));
        }
        variables.push((var, *cv.get_ref()));
        nominals.push(x0);
    }
    let spec = h.scenario.spec.model.spec();
    let columns: Vec<&str> = spec
        .states
        .iter()
        .map(|s| s.column)
        .chain(spec.derived.iter().map(|d| d.column))
        .collect();
    let bands = raw.bands.clone().unwrap_or_else(|| {
        ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"]
            .iter()
            .filter(|c| columns.contains(c))
            .map(|c| c.to_string())
            .collect()
    });
    for b in &bands {
        if !columns.contains(&b.as_str()) {
            return Err(ConfigError::key(
                path,
                None,
                "bands",
                format!("model `{}` has no column `{b}`", spec.name),
            )
            .with_help(suggest(b, columns.iter().copied())));
        }
    }
    let acceptance = match &raw.acceptance {
        None => None,
        Some(a) => {
            let at = line(&src, a);
            let a = a.get_ref();
            if !columns.contains(&a.column.get_ref().as_str()) {
                return Err(ConfigError::key(
                    path,
                    line(&src, &a.column),
                    "acceptance.column",
                    format!(
                        "model `{}` has no column `{}`",
                        spec.name,
                        a.column.get_ref()
                    ),
                )
                .with_help(suggest(a.column.get_ref(), columns.iter().copied())));
            }
            let day = *a.at_day.get_ref();
            if !(day.is_finite() && day >= 0.0 && day <= h.scenario.spec.protocol.duration) {
                return Err(ConfigError::key(
                    path,
                    line(&src, &a.at_day),
                    "acceptance.at_day",
                    format!(
                        "at_day must lie within the run (0 to {} day), got {}",
                        num(h.scenario.spec.protocol.duration),
                        num(day)
                    ),
                ));
            }
            if a.min.get_ref() > a.max.get_ref()
                || a.min.get_ref().is_nan()
                || a.max.get_ref().is_nan()
            {
                return Err(ConfigError::key(
                    path,
                    at,
                    "acceptance.min",
                    "min must not exceed max".to_string(),
                ));
            }
            Some(Acceptance {
                reading: Endpoint {
                    name: "acceptance".into(),
                    column: a.column.get_ref().clone(),
                    statistic: Statistic::At(*a.at_day.get_ref()),
                },
                min: *a.min.get_ref(),
                max: *a.max.get_ref(),
            })
        }
    };
    let responder = match &raw.responder {
        None => None,
        Some(r) => {
            let at = line(&src, r);
            let r = r.get_ref();
            let endpoint = h
                .endpoints
                .iter()
                .position(|e| e.name == *r.endpoint.get_ref())
                .ok_or_else(|| {
                    ConfigError::key(
                        path,
                        line(&src, &r.endpoint),
                        "responder.endpoint",
                        format!("no endpoint `{}`", r.endpoint.get_ref()),
                    )
                    .with_help(suggest(
                        r.endpoint.get_ref(),
                        h.endpoints.iter().map(|e| e.name.as_str()),
                    ))
                })?;
            let (threshold, below) = match (r.below, r.above) {
                (Some(t), None) => (t, true),
                (None, Some(t)) => (t, false),
                _ => {
                    return Err(ConfigError::key(
                        path,
                        at,
                        "responder",
                        "give exactly one of `below` and `above`".to_string(),
                    ));
                }
            };
            Some(Responder {
                endpoint,
                threshold,
                below,
            })
        }
    };
    let n = *patients.get_ref();
    let max_candidates = raw
        .max_candidates
        .as_ref()
        .map_or(n.saturating_mul(10).min(MAX_RUNS as usize), |m| {
            *m.get_ref()
        })
        .max(n);
    // Bands beyond the exact budget take one quantile sketch per column and output time, each
    // up to SKETCH_MAX_BINS bins: bounded here, before any run.
    {
        use crate::analysis::population::{BAND_EXACT_BYTES, SKETCH_MAX_BINS};
        let p = &h.scenario.spec.protocol;
        let values = bands.len() as f64 * limits::output_rows(p.duration, p.output_interval);
        let sketch = values * SKETCH_MAX_BINS as f64 * limits::SKETCH_BIN_BYTES as f64;
        if n as f64 * values * 8.0 > BAND_EXACT_BYTES as f64 && sketch > limits::SKETCH_BYTES as f64
        {
            return Err(ConfigError::key(
                path,
                None,
                "bands",
                format!(
                    "{} band values (columns x output times) need up to {} of quantile sketches; at most {}",
                    limits::count(values),
                    limits::bytes(sketch),
                    limits::bytes(limits::SKETCH_BYTES as f64)
                ),
            )
            .with_help(format!(
                "band fewer columns, or raise output_interval_days in scenario `{}`",
                h.scenario.name
            )));
        }
    }
    let population = Population {
        base: h.scenario.spec.clone(),
        variables,
        nominal: nominals,
        patients: n,
        max_candidates,
        seed: h.seed,
        acceptance,
        endpoints: h.endpoints.clone(),
        band_columns: bands,
    };
    Ok(PopulationStudy {
        header: h,
        population,
        responder,
    })
}
