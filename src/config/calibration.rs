//! Calibration files (`params/calibration/*.toml`): which parameters to fit, within which bounds,
//! against which targets (scenario, output column, time, wanted value, tolerance).

use super::interventions::{Fit, InterventionSet, Measure, load_interventions};
use super::limits::MAX_CALIBRATION_ITERATIONS;
use super::params_file::{bundled_params, load_params};
use super::scenario::{Scenario, load_scenario};
use super::{check_name, file_problem, line, num, read, suggest, toml_error};
use crate::error::ConfigError;
use crate::model::ModelId;
use crate::params::ParamSet;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    name: Option<Spanned<String>>,
    description: Option<String>,
    model: Option<Spanned<String>>,
    parameter_set: Option<Spanned<String>>,
    max_iterations: Option<Spanned<u64>>,
    tolerance: Option<Spanned<f64>>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    parameter: Vec<Spanned<RawParameter>>,
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
    #[serde(default)]
    interventions: Vec<Spanned<String>>,
    intervention_weight: Option<Spanned<f64>>,
    measured_intervention_weight: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: Spanned<String>,
    initial: Spanned<f64>,
    lower: Spanned<f64>,
    upper: Spanned<f64>,
    prior: Option<Spanned<[f64; 2]>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Option<String>,
    scenario: Spanned<String>,
    minus_scenario: Option<Spanned<String>>,
    column: Spanned<String>,
    time_days: Spanned<f64>,
    value: Spanned<f64>,
    tolerance: Spanned<f64>,
    fit: Option<Spanned<String>>,
    weight: Option<Spanned<f64>>,
    wall: Option<Spanned<f64>>,
    source: Option<String>,
}

/// A parameter to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitParameter {
    /// Dotted name.
    pub name: String,
    /// Starting value.
    pub initial: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// A log-normal prior (median, factor per standard deviation): the fit adds the residual
    /// ln(value / median) / ln(factor), which keeps a coupling seen in the literature from being
    /// fitted away where the targets say little about it. `None`: only the bounds.
    pub prior: Option<(f64, f64)>,
}

/// A value the model should reproduce.
#[derive(Debug, Clone)]
pub struct Target {
    /// Label for reports.
    pub name: String,
    /// Index into [`Calibration::scenarios`].
    pub scenario: usize,
    /// A comparator arm (index into [`Calibration::scenarios`]): the target is then the
    /// difference scenario minus comparator (for example treatment over placebo).
    pub minus: Option<usize>,
    /// Output column.
    pub column: String,
    /// Output time (days); an output time of the scenario.
    pub time_days: f64,
    /// Wanted value.
    pub value: f64,
    /// Acceptable deviation; the residual is (got - wanted) / tolerance.
    pub tolerance: f64,
    /// The band the value must lie in: `value - tolerance` to `value + tolerance` for a target
    /// of the calibration file, the published band for an intervention (it may be asymmetric;
    /// the residual is then scaled by the distance from the value to the band's edge on its side).
    pub band: (f64, f64),
    /// Weight of the residual in the cost (1 for the calibration file's own targets; for an
    /// intervention, the file's `measured_intervention_weight` with `fit = "value"`, its
    /// `intervention_weight` with `fit = "band"`).
    pub weight: f64,
    /// Only the band counts (an intervention with `fit = "band"`, a qualitative result): the
    /// residual is 0 inside the band and a steep wall outside it
    /// (`calibration::scaled_residuals`). False for the calibration file's own targets.
    pub band_only: bool,
    /// For a band-only target, the distance outside its band (in the column's unit) at which its
    /// residual reaches sqrt(weight), as a measured target's does at its band's edge: the file's
    /// `wall` for a calibration-file target (a percentage point of BMD is not a fraction
    /// prevented), `calibration::BAND_WALL` x min(band width, 1) for an intervention.
    pub wall: f64,
    /// For an intervention: the untreated pair (disease, control). The target is then the
    /// fraction prevented, 1 - (scenario - minus) / (disease - control).
    pub prevented: Option<(usize, usize)>,
    /// Where the wanted value comes from.
    pub source: String,
}

/// The optimiser of a calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitMethod {
    /// Nelder-Mead simplex on the cost (argmin): no derivatives; slow beyond a dozen parameters.
    NelderMead,
    /// Levenberg-Marquardt on the residuals, with a forward-difference Jacobian evaluated in
    /// parallel: for many parameters and targets.
    LevenbergMarquardt,
}

impl FitMethod {
    /// The optimiser's name, for reports and progress lines.
    pub fn name(self) -> &'static str {
        match self {
            FitMethod::NelderMead => "Nelder-Mead",
            FitMethod::LevenbergMarquardt => "Levenberg-Marquardt",
        }
    }
}

/// A validated calibration.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// File it came from.
    pub path: PathBuf,
    /// The file's text as read and validated (hashed in `report.html`).
    pub source: String,
    /// Name (the output folder).
    pub name: String,
    /// What it fits.
    pub description: String,
    /// Model whose parameters are fitted.
    pub model: ModelId,
    /// Parameter set the fit starts from (also the file the fitted values are written into).
    pub params: ParamSet,
    /// Where `params` was read from (bundled path or user file).
    pub params_path: PathBuf,
    /// The text of that file, to write the fitted values into.
    pub params_text: String,
    /// The drug parameter files merged into the set (path, text): a fitted drug parameter is
    /// written into its drug's file.
    pub drug_files: Vec<(PathBuf, String)>,
    /// Parameters to fit.
    pub parameters: Vec<FitParameter>,
    /// Scenarios the targets refer to, each loaded once.
    pub scenarios: Vec<Scenario>,
    /// Targets.
    pub targets: Vec<Target>,
    /// Most Nelder-Mead iterations.
    pub max_iterations: u64,
    /// The optimiser.
    pub method: FitMethod,
    /// Stop when the standard deviation of the simplex costs falls below this.
    pub tolerance: f64,
}

/// Loads and validates a calibration file.
pub fn load_calibration(path: &Path) -> Result<Calibration, ConfigError> {
    parse_calibration(path, read(path)?)
}

/// Validates a calibration file's text; `path` is named in messages and its folder resolves
/// the relative paths in it.
pub fn parse_calibration(path: &Path, src: String) -> Result<Calibration, ConfigError> {
    let raw: RawCalibration = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    let err = |at: Option<usize>, key: &str, msg: String| ConfigError::key(path, at, key, msg);
    let required =
        |key: &str| ConfigError::key(path, None, key, format!("missing required key `{key}`"));
    let name = raw.name.ok_or_else(|| required("name"))?;
    check_name(
        path,
        &src,
        &name,
        "name",
        "calibration name",
        "the output folder output/calibration/<name>",
    )?;
    let model_name = raw.model.ok_or_else(|| required("model"))?;
    let model = ModelId::from_name(model_name.get_ref()).ok_or_else(|| {
        err(
            line(&src, &model_name),
            "model",
            format!("unknown model `{}`", model_name.get_ref()),
        )
        .with_help(super::suggest_model(model_name.get_ref()))
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let (params, params_path, params_text) = match &raw.parameter_set {
        None => {
            let (p, text) = model.bundled_params();
            (bundled_params(model)?, PathBuf::from(p), text.to_string())
        }
        Some(p) => {
            let file = dir.join(p.get_ref());
            if let Some(problem) = file_problem(&file) {
                return Err(err(
                    line(&src, p),
                    "parameter_set",
                    format!("parameter file `{}` {problem}", file.display()),
                ));
            }
            (load_params(model, &file)?, file.clone(), read(&file)?)
        }
    };
    let drug_files: Vec<(PathBuf, String)> = model
        .bundled_drugs()
        .into_iter()
        .map(|(_, path, text)| (PathBuf::from(path), text.to_string()))
        .collect();
    if raw.parameter.is_empty() {
        return Err(err(
            None,
            "parameter",
            "no `[[parameter]]` to fit".to_string(),
        ));
    }
    let mut parameters = Vec::new();
    for (k, entry) in raw.parameter.iter().enumerate() {
        let e = entry.get_ref();
        let key = format!("parameter[{k}]");
        let name = e.name.get_ref();
        if !params.params.contains_key(name) {
            return Err(err(
                line(&src, &e.name),
                &format!("{key}.name"),
                format!("model `{}` has no parameter `{name}`", model.name()),
            )
            .with_help(suggest(name, params.params.keys().map(String::as_str))));
        }
        let header = format!("[parameters.{name}]");
        let in_text = |text: &str| text.lines().any(|l| l.trim() == header);
        if !in_text(&params_text) && !drug_files.iter().any(|(_, t)| in_text(t)) {
            return Err(err(
                line(&src, &e.name),
                &format!("{key}.name"),
                format!(
                    "`{name}` is not in `{}` nor in a drug file, so its fitted value could not be written",
                    params_path.display()
                ),
            ));
        }
        if !in_text(&params_text) && raw.parameter_set.is_some() {
            return Err(err(
                line(&src, &e.name),
                &format!("{key}.name"),
                format!(
                    "`{name}` comes from a drug file, which is compiled into the program; a calibration with its own `parameter_set` can fit only parameters of that file"
                ),
            )
            .with_help("drop `parameter_set` to fit drug parameters on the bundled set"));
        }
        if parameters.iter().any(|p: &FitParameter| &p.name == name) {
            return Err(err(
                line(&src, &e.name),
                &format!("{key}.name"),
                format!("parameter `{name}` is listed twice"),
            ));
        }
        let (lo, hi, x0) = (*e.lower.get_ref(), *e.upper.get_ref(), *e.initial.get_ref());
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo < hi) {
            return Err(err(
                line(&src, &e.lower),
                &format!("{key}.lower"),
                format!(
                    "bounds must be finite with 0 <= lower < upper, got [{}, {}]",
                    num(lo),
                    num(hi)
                ),
            ));
        }
        if !(x0 > lo && x0 < hi) {
            return Err(err(
                line(&src, &e.initial),
                &format!("{key}.initial"),
                format!(
                    "initial value {} must lie strictly inside [{}, {}]",
                    num(x0),
                    num(lo),
                    num(hi)
                ),
            ));
        }
        let prior = match &e.prior {
            None => None,
            Some(p) => {
                let [median, factor] = *p.get_ref();
                if !(median > 0.0 && median.is_finite() && factor > 1.0 && factor.is_finite()) {
                    return Err(err(
                        line(&src, p),
                        &format!("{key}.prior"),
                        format!(
                            "a prior is [median, factor per standard deviation] with median > 0 and factor > 1, got [{}, {}]",
                            num(median),
                            num(factor)
                        ),
                    ));
                }
                Some((median, factor))
            }
        };
        parameters.push(FitParameter {
            name: name.clone(),
            initial: x0,
            lower: lo,
            upper: hi,
            prior,
        });
    }
    if raw.target.is_empty() && raw.interventions.is_empty() {
        return Err(err(
            None,
            "target",
            "no `[[target]]` to fit against".to_string(),
        ));
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut targets = Vec::new();
    for (k, entry) in raw.target.iter().enumerate() {
        let t = entry.get_ref();
        let key = format!("target[{k}]");
        let mut scenario_index = |path: &Spanned<String>, field: &str| {
            let file = dir.join(path.get_ref());
            if let Some(problem) = file_problem(&file) {
                return Err(err(
                    line(&src, path),
                    &format!("{key}.{field}"),
                    format!("scenario file `{}` {problem}", file.display()),
                ));
            }
            Ok(match scenarios.iter().position(|s| s.path == file) {
                Some(i) => i,
                None => {
                    let s = load_scenario(&file)?;
                    if s.spec.model != model {
                        return Err(err(
                            line(&src, path),
                            &format!("{key}.{field}"),
                            format!(
                                "scenario `{}` uses model `{}`, but this calibration fits model `{}`",
                                s.name,
                                s.spec.model.name(),
                                model.name()
                            ),
                        ));
                    }
                    scenarios.push(s);
                    scenarios.len() - 1
                }
            })
        };
        let index = scenario_index(&t.scenario, "scenario")?;
        let minus = match &t.minus_scenario {
            Some(path) => Some(scenario_index(path, "minus_scenario")?),
            None => None,
        };
        if let (Some(m), Some(path)) = (minus, &t.minus_scenario) {
            if m == index {
                return Err(err(
                    line(&src, path),
                    &format!("{key}.minus_scenario"),
                    "the comparator is the scenario itself: the difference would always be 0"
                        .to_string(),
                ));
            }
            let (a, b) = (
                scenarios[index].spec.protocol.start,
                scenarios[m].spec.protocol.start,
            );
            if a != b {
                return Err(err(
                    line(&src, path),
                    &format!("{key}.minus_scenario"),
                    format!(
                        "the comparator has a different run-in ({} days against {} days): changes from day 0 of the two arms would not share a baseline",
                        -b, -a
                    ),
                ));
            }
        }
        let scenario = &scenarios[index];
        let spec = scenario.spec.layout();
        let columns: Vec<&str> = spec.columns().collect();
        if !columns.contains(&t.column.get_ref().as_str()) {
            return Err(err(
                line(&src, &t.column),
                &format!("{key}.column"),
                format!(
                    "model `{}` has no output column `{}`",
                    model.name(),
                    t.column.get_ref()
                ),
            )
            .with_help(suggest(t.column.get_ref(), columns.iter().copied())));
        }
        let time = *t.time_days.get_ref();
        let protocol = &scenario.spec.protocol;
        let on_grid = |protocol: &crate::engine::Protocol| {
            protocol
                .output_times()
                .iter()
                .any(|x| (x - time).abs() <= 1e-9 * protocol.output_interval)
        };
        if let Some(m) = minus.filter(|m| !on_grid(&scenarios[*m].spec.protocol)) {
            let other = &scenarios[m];
            return Err(err(
                line(&src, &t.time_days),
                &format!("{key}.time_days"),
                format!(
                    "{} day is not an output time of the comparator scenario `{}` (0 to {} day, every {} day)",
                    num(time),
                    other.name,
                    num(other.spec.protocol.duration),
                    num(other.spec.protocol.output_interval)
                ),
            ));
        }
        if !on_grid(protocol) {
            return Err(err(
                line(&src, &t.time_days),
                &format!("{key}.time_days"),
                format!(
                    "{} day is not an output time of scenario `{}` (0 to {} day, every {} day)",
                    num(time),
                    scenario.name,
                    num(protocol.duration),
                    num(protocol.output_interval)
                ),
            ));
        }
        let tol = *t.tolerance.get_ref();
        if !(tol.is_finite() && tol > 0.0) {
            return Err(err(
                line(&src, &t.tolerance),
                &format!("{key}.tolerance"),
                format!("tolerance must be a positive number, got {}", num(tol)),
            ));
        }
        if !t.value.get_ref().is_finite() {
            return Err(err(
                line(&src, &t.value),
                &format!("{key}.value"),
                "value must be a finite number".to_string(),
            ));
        }
        targets.push(Target {
            name: t.name.clone().unwrap_or_else(|| match minus {
                None => format!("{} {} at {} day", scenario.name, t.column.get_ref(), time),
                Some(m) => format!(
                    "{} minus {} {} at {} day",
                    scenario.name,
                    scenarios[m].name,
                    t.column.get_ref(),
                    time
                ),
            }),
            scenario: index,
            minus,
            column: t.column.get_ref().clone(),
            time_days: time,
            value: *t.value.get_ref(),
            tolerance: tol,
            band: (*t.value.get_ref() - tol, *t.value.get_ref() + tol),
            weight: target_weight(&src, &key, t.weight.as_ref(), path)?,
            band_only: target_fit(&src, &key, t.fit.as_ref(), path)?,
            wall: target_wall(&src, &key, t.wall.as_ref(), 2.0 * tol, path)?,
            prevented: None,
            source: t.source.clone().unwrap_or_default(),
        });
    }
    let max_iterations = match &raw.max_iterations {
        Some(v) if *v.get_ref() == 0 => {
            return Err(err(
                line(&src, v),
                "max_iterations",
                "must be at least 1".to_string(),
            ));
        }
        Some(v) if *v.get_ref() > MAX_CALIBRATION_ITERATIONS => {
            return Err(err(
                line(&src, v),
                "max_iterations",
                format!(
                    "{} iterations, each running every target scenario; at most {MAX_CALIBRATION_ITERATIONS}",
                    v.get_ref()
                ),
            )
            .with_help("Nelder-Mead usually converges within a few thousand iterations"));
        }
        Some(v) => *v.get_ref(),
        None => 1000,
    };
    let tolerance = match &raw.tolerance {
        Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) => {
            return Err(err(
                line(&src, v),
                "tolerance",
                format!("must be a number >= 0, got {}", num(*v.get_ref())),
            ));
        }
        Some(v) => *v.get_ref(),
        None => 1e-10,
    };
    let weight = |w: &Option<Spanned<f64>>, key: &str| match w {
        None => Ok(None),
        Some(w) if w.get_ref().is_finite() && *w.get_ref() > 0.0 && *w.get_ref() <= 1.0 => {
            Ok(Some(*w.get_ref()))
        }
        Some(w) => Err(err(
            line(&src, w),
            key,
            format!("must lie in (0, 1], got {}", num(*w.get_ref())),
        )),
    };
    let intervention_weight =
        weight(&raw.intervention_weight, "intervention_weight")?.unwrap_or(1.0);
    let weights = InterventionWeights {
        band: intervention_weight,
        measured: weight(
            &raw.measured_intervention_weight,
            "measured_intervention_weight",
        )?
        .unwrap_or(intervention_weight),
    };
    for (k, file) in raw.interventions.iter().enumerate() {
        let at = line(&src, file);
        let key = format!("interventions[{k}]");
        let file = dir.join(file.get_ref());
        if let Some(problem) = file_problem(&file) {
            return Err(err(
                at,
                &key,
                format!("intervention file `{}` {problem}", file.display()),
            ));
        }
        let set = load_interventions(&file, model)?;
        add_interventions(&set, weights, &mut scenarios, &mut targets);
    }
    let method = match &raw.method {
        None => FitMethod::NelderMead,
        Some(m) => match m.get_ref().as_str() {
            "nelder_mead" => FitMethod::NelderMead,
            "levenberg_marquardt" => FitMethod::LevenbergMarquardt,
            other => {
                return Err(
                    err(line(&src, m), "method", format!("unknown method `{other}`"))
                        .with_help(suggest(other, ["nelder_mead", "levenberg_marquardt"])),
                );
            }
        },
    };
    Ok(Calibration {
        path: path.to_path_buf(),
        source: src.clone(),
        name: name.into_inner(),
        description: raw.description.unwrap_or_default(),
        model,
        params,
        params_path,
        params_text,
        drug_files,
        parameters,
        scenarios,
        targets,
        max_iterations,
        method,
        tolerance,
    })
}

/// The weights of the interventions' residuals in the cost.
#[derive(Debug, Clone, Copy)]
struct InterventionWeights {
    /// `fit = "value"` (a measured result): `measured_intervention_weight`, by default
    /// `intervention_weight`.
    measured: f64,
    /// `fit = "band"` (a qualitative result): `intervention_weight`.
    band: f64,
}

/// A calibration-file target's wall (`Target::wall`): `wall` > 0, or by default that of an
/// intervention with the same band width.
fn target_wall(
    src: &str,
    key: &str,
    wall: Option<&Spanned<f64>>,
    width: f64,
    path: &Path,
) -> Result<f64, ConfigError> {
    let default = crate::calibration::BAND_WALL * width.min(1.0);
    let valid = |w: f64| w.is_finite() && w > 0.0;
    optional_number(
        src,
        &format!("{key}.wall"),
        wall,
        default,
        valid,
        "must be a positive number",
        path,
    )
}

/// A calibration-file target's weight in the cost: `weight` in (0, 1], 1 when not given.
fn target_weight(
    src: &str,
    key: &str,
    weight: Option<&Spanned<f64>>,
    path: &Path,
) -> Result<f64, ConfigError> {
    let valid = |w: f64| w.is_finite() && w > 0.0 && w <= 1.0;
    optional_number(
        src,
        &format!("{key}.weight"),
        weight,
        1.0,
        valid,
        "must lie in (0, 1]",
        path,
    )
}

/// An optional number of a calibration-file target: `default` when not given, the value when
/// `valid`, otherwise an error at its line saying what it `must` be.
fn optional_number(
    src: &str,
    key: &str,
    value: Option<&Spanned<f64>>,
    default: f64,
    valid: impl Fn(f64) -> bool,
    must: &str,
    path: &Path,
) -> Result<f64, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if valid(*v.get_ref()) => Ok(*v.get_ref()),
        Some(v) => Err(ConfigError::key(
            path,
            line(src, v),
            key,
            format!("{must}, got {}", num(*v.get_ref())),
        )),
    }
}

/// Whether a calibration-file target is band-only: `fit = "band"` (a qualitative result, the band
/// `value` +/- `tolerance`), or measured (`fit = "value"`, the default).
fn target_fit(
    src: &str,
    key: &str,
    fit: Option<&Spanned<String>>,
    path: &Path,
) -> Result<bool, ConfigError> {
    match fit.map(|f| (f, f.get_ref().as_str())) {
        None | Some((_, "value")) => Ok(false),
        Some((_, "band")) => Ok(true),
        Some((f, other)) => Err(ConfigError::key(
            path,
            line(src, f),
            format!("{key}.fit"),
            format!("unknown fit `{other}`"),
        )
        .with_help(suggest(other, ["value", "band"]))),
    }
}

/// Each intervention of `set` as a target: its treated arms and the context's untreated arms
/// (each context's pair added once) join `scenarios`. A measured intervention (`fit = "value"`)
/// weighs `weights.measured`, a qualitative one (`fit = "band"`) `weights.band` and counts only
/// outside its band.
fn add_interventions(
    set: &InterventionSet,
    weights: InterventionWeights,
    scenarios: &mut Vec<Scenario>,
    targets: &mut Vec<Target>,
) {
    let mut untreated = Vec::new();
    for c in &set.contexts {
        scenarios.push(c.disease.clone());
        scenarios.push(c.control.clone());
        untreated.push((scenarios.len() - 2, scenarios.len() - 1));
    }
    for i in &set.interventions {
        let c = &set.contexts[i.context];
        let (disease, control) = untreated[i.context];
        let mut arm = |base: &Scenario| {
            scenarios.push(i.apply(base, c.handles_from));
            scenarios.len() - 1
        };
        let (scenario, minus, prevented) = match c.measure {
            Measure::FractionPrevented => (
                arm(&c.disease),
                Some(arm(&c.control)),
                Some((disease, control)),
            ),
            Measure::FractionPreventedUntreatedControl => {
                (arm(&c.disease), Some(control), Some((disease, control)))
            }
            Measure::EffectInControl => (arm(&c.control), Some(control), None),
        };
        let (lo, hi) = i.band;
        targets.push(Target {
            name: i.name.clone(),
            scenario,
            minus,
            column: i.column.clone(),
            time_days: c.time_days,
            value: i.value,
            tolerance: (hi - i.value).max(i.value - lo),
            band: i.band,
            weight: match i.fit {
                Fit::Value => weights.measured,
                Fit::Band => weights.band,
            },
            band_only: i.fit == Fit::Band,
            wall: crate::calibration::BAND_WALL * (hi - lo).min(1.0),
            prevented,
            source: i.source.clone(),
        });
    }
}

/// A calibration target as the validation loader sees it: what it reads, with the scenario files
/// canonical, so that a validation outcome on the same quantity can be refused.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationTarget {
    /// The calibration file.
    pub file: PathBuf,
    /// Line of the `[[target]]` in it.
    pub line: Option<usize>,
    /// Label.
    pub name: String,
    /// Scenario file (canonical where it exists).
    pub scenario: PathBuf,
    /// Comparator file (canonical where it exists).
    pub minus: Option<PathBuf>,
    /// Output column.
    pub column: String,
    /// Output time (days).
    pub time_days: f64,
    /// Wanted value.
    pub value: f64,
    /// Acceptable deviation (the band is value +- tolerance).
    pub tolerance: f64,
}

/// The `[[target]]`s of a calibration file, read without loading its scenarios, parameters or
/// intervention files (the interventions are published experiments on immune elements, not
/// clinical outcomes).
pub fn calibration_targets(path: &Path) -> Result<Vec<CalibrationTarget>, ConfigError> {
    let src = read(path)?;
    let raw: RawCalibration = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let canonical = |p: &Spanned<String>| {
        let file = dir.join(p.get_ref());
        std::fs::canonicalize(&file).unwrap_or(file)
    };
    Ok(raw
        .target
        .iter()
        .map(|entry| {
            let t = entry.get_ref();
            CalibrationTarget {
                file: path.to_path_buf(),
                line: line(&src, entry),
                name: t.name.clone().unwrap_or_else(|| {
                    format!(
                        "{} {} at {} day",
                        t.scenario.get_ref(),
                        t.column.get_ref(),
                        num(*t.time_days.get_ref())
                    )
                }),
                scenario: canonical(&t.scenario),
                minus: t.minus_scenario.as_ref().map(canonical),
                column: t.column.get_ref().clone(),
                time_days: *t.time_days.get_ref(),
                value: *t.value.get_ref(),
                tolerance: *t.tolerance.get_ref(),
            }
        })
        .collect())
}
