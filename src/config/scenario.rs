//! Scenario files (`params/scenarios/*.toml`): model, duration, output grid, parameter overrides,
//! time-windowed inputs, initial state and solver settings.

use super::limits::{
    self, MAX_DOSES, MAX_PROFILED_WINDOWS, MAX_SIMULATED_DAYS, MAX_WINDOWS, MIN_DURATION_DAYS,
};
use super::params_file::{bundled_params, check_value, load_params};
use super::{check_name, file_problem, line, num, read, suggest, toml_error};
use crate::engine::{
    Dose, InitialState, Method, Profile, Protocol, RunSpec, SolverSettings, Window,
};
use crate::error::ConfigError;
use crate::model::{ModelId, StateKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Default output interval (days).
pub const DEFAULT_OUTPUT_INTERVAL_DAYS: f64 = 1.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    description: Option<String>,
    model: Option<Spanned<String>>,
    parameter_set: Option<Spanned<String>>,
    duration_days: Option<Spanned<f64>>,
    run_in_days: Option<Spanned<f64>>,
    output_interval_days: Option<Spanned<f64>>,
    #[serde(default)]
    parameters: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    input: Vec<Spanned<RawInput>>,
    #[serde(default)]
    treatment: Vec<Spanned<RawTreatment>>,
    initial_state: Option<Spanned<BTreeMap<Spanned<String>, Spanned<f64>>>>,
    solver: Option<RawSolver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: Spanned<String>,
    value: Spanned<f64>,
    unit: Option<Spanned<String>>,
    start_day: Option<Spanned<f64>>,
    end_day: Option<Spanned<f64>>,
    profile: Option<Spanned<String>>,
    tau_days: Option<Spanned<f64>>,
    rate_per_day: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTreatment {
    drug: Spanned<String>,
    dose: Spanned<f64>,
    unit: Spanned<String>,
    route: Spanned<String>,
    first_day: Option<Spanned<f64>>,
    interval_days: Option<Spanned<f64>>,
    doses: Option<Spanned<u32>>,
    last_day: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    method: Option<Spanned<String>>,
    rtol: Option<Spanned<f64>>,
    atol: Option<Spanned<f64>>,
    atol_states: Option<BTreeMap<Spanned<String>, Spanned<f64>>>,
    max_step_days: Option<Spanned<f64>>,
    max_steps: Option<Spanned<u32>>,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File it came from.
    pub path: PathBuf,
    /// Name (also the default output folder).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Parameter overrides applied: (dotted name, value).
    pub overrides: Vec<(String, f64)>,
    /// The run, ready for the engine.
    pub spec: RunSpec,
    /// Input windows as written: (name, unit, value, start, end, profile).
    pub inputs: Vec<(String, String, f64, f64, f64, String)>,
    /// Treatments as written, one line each (drug, dose, route, schedule).
    pub treatments: Vec<String>,
    /// Inputs and doses far outside their plausible ranges, one line each (not errors).
    pub warnings: Vec<String>,
}

/// Loads and validates a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, ConfigError> {
    parse_scenario(path, &read(path)?)
}

/// Validates scenario text; `file` is used in messages and to resolve relative paths.
pub fn parse_scenario(file: &Path, src: &str) -> Result<Scenario, ConfigError> {
    let raw: RawScenario = toml::from_str(src).map_err(|e| toml_error(file, src, &e))?;
    let err = |v: Option<usize>, key: &str, msg: String| ConfigError::key(file, v, key, msg);
    // A state named in a table key (`[initial_state]`, `[solver] atol_states`): its index.
    let state_index = |spec: &crate::model::Layout, key: &Spanned<String>, k: &str| {
        spec.states
            .iter()
            .position(|s| s.name == key.get_ref())
            .ok_or_else(|| {
                err(
                    line(src, key),
                    k,
                    format!("model `{}` has no state `{}`", spec.name, key.get_ref()),
                )
                .with_help(
                    spec.undosed_compartment(key.get_ref()).unwrap_or_else(|| {
                        suggest(key.get_ref(), spec.states.iter().map(|s| s.name))
                    }),
                )
            })
    };
    let required = |what: &str, example: &str| {
        ConfigError::key(file, None, what, format!("missing required key `{what}`"))
            .with_help(format!("add e.g. `{example}`"))
    };

    let name = raw
        .name
        .ok_or_else(|| required("name", "name = \"my_scenario\""))?;
    check_name(
        file,
        src,
        &name,
        "name",
        "scenario name",
        "the output folder output/<name>",
    )?;
    let model_name = raw
        .model
        .ok_or_else(|| required("model", "model = \"bone\""))?;
    let model = ModelId::from_name(model_name.get_ref()).ok_or_else(|| {
        err(
            line(src, &model_name),
            "model",
            format!("unknown model `{}`", model_name.get_ref()),
        )
        .with_help(suggest(
            model_name.get_ref(),
            ModelId::ALL.iter().map(|m| m.name()),
        ))
    })?;
    // The drugs the scenario doses decide its state layout (a drug the model cannot be given is
    // reported with its treatment below).
    let drugs = model.drugs_named(
        raw.treatment
            .iter()
            .map(|t| t.get_ref().drug.get_ref().as_str()),
    );
    let spec = model.layout(&drugs);

    let mut params = match &raw.parameter_set {
        None => bundled_params(model)?,
        Some(p) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(p.get_ref());
            if let Some(problem) = file_problem(&path) {
                return Err(err(
                    line(src, p),
                    "parameter_set",
                    format!("parameter file `{}` {problem}", path.display()),
                ));
            }
            load_params(model, &path)?
        }
    };

    // Parameter overrides, by dotted name; nested tables are joined with dots.
    let mut overrides = Vec::new();
    let mut flat = Vec::new();
    for (key, value) in &raw.parameters {
        flatten(key.get_ref(), value.get_ref(), line(src, key), &mut flat);
    }
    for (name, value, at) in flat {
        let key = format!("parameters.\"{name}\"");
        let Some(v) = value else {
            return Err(err(at, &key, "wrong type: expected a number".to_string()));
        };
        let Some(p) = params.params.get_mut(&name) else {
            return Err(err(
                at,
                &key,
                format!("model `{}` has no parameter `{name}`", spec.name),
            )
            .with_help(suggest(&name, spec.params.iter().map(|p| p.name))));
        };
        check_value(file, at, &key, v)?;
        if p.overridden_from.is_some() {
            return Err(err(
                at,
                &key,
                format!("parameter `{name}` is overridden twice"),
            ));
        }
        p.overridden_from = Some(p.value);
        p.value = v;
        overrides.push((name, v));
    }

    let duration = raw
        .duration_days
        .ok_or_else(|| required("duration_days", "duration_days = 3650.0"))?;
    let positive = |v: &Spanned<f64>, key: &str| -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(err(
                line(src, v),
                key,
                format!("must be a positive number, got {}", num(x)),
            ))
        }
    };
    let duration_days = positive(&duration, "duration_days")?;
    if duration_days < MIN_DURATION_DAYS {
        return Err(err(
            line(src, &duration),
            "duration_days",
            format!(
                "a run of {} day is too short to simulate; at least {} day",
                num(duration_days),
                num(MIN_DURATION_DAYS)
            ),
        ));
    }
    let output_interval = match &raw.output_interval_days {
        Some(v) => positive(v, "output_interval_days")?,
        None => DEFAULT_OUTPUT_INTERVAL_DAYS.min(duration_days),
    };
    if output_interval > duration_days {
        return Err(err(
            raw.output_interval_days.as_ref().and_then(|v| line(src, v)),
            "output_interval_days",
            format!(
                "output interval {} day is longer than the run ({} day)",
                num(output_interval),
                num(duration_days)
            ),
        ));
    }

    // Run-in: the run starts from the steady state at day -run_in_days; outputs start at day 0.
    let run_in = match &raw.run_in_days {
        None => 0.0,
        Some(v) => {
            let x = *v.get_ref();
            if !(x.is_finite() && x >= 0.0) {
                return Err(err(
                    line(src, v),
                    "run_in_days",
                    format!("must be a number of days >= 0, got {}", num(x)),
                ));
            }
            if x > 0.0 && x < MIN_DURATION_DAYS {
                return Err(err(
                    line(src, v),
                    "run_in_days",
                    format!(
                        "a run-in of {} day is too short to simulate; give 0 or at least {} day",
                        num(x),
                        num(MIN_DURATION_DAYS)
                    ),
                ));
            }
            x
        }
    };
    let start_of_run = if run_in > 0.0 { -run_in } else { 0.0 };

    // Size of the run: simulated span (time) and output rows (memory), before anything is built.
    if duration_days + run_in > MAX_SIMULATED_DAYS {
        let (at, key) = match &raw.run_in_days {
            Some(v) if duration_days <= MAX_SIMULATED_DAYS => (line(src, v), "run_in_days"),
            _ => (line(src, &duration), "duration_days"),
        };
        return Err(err(
            at,
            key,
            format!(
                "the run would simulate {} days (run-in {} + duration {}); at most {} days ({} years) can be simulated",
                num(duration_days + run_in),
                num(run_in),
                num(duration_days),
                num(MAX_SIMULATED_DAYS),
                num(MAX_SIMULATED_DAYS / 365.25)
            ),
        )
        .with_help("shorten duration_days or run_in_days"));
    }
    let columns = 1 + spec.states.len() + spec.derived.len();
    let rows = limits::output_rows(duration_days, output_interval);
    let max_rows = limits::max_output_rows(columns);
    if rows > max_rows as f64 {
        let at = raw
            .output_interval_days
            .as_ref()
            .map_or_else(|| line(src, &duration), |v| line(src, v));
        return Err(err(
            at,
            "output_interval_days",
            format!(
                "the run would write {} output rows of {columns} columns ({} in memory); model `{}` allows at most {max_rows} rows ({})",
                if rows.is_finite() { format!("about {}", limits::count(rows)) } else { limits::count(rows) },
                limits::bytes(rows * limits::row_bytes(columns) as f64),
                spec.name,
                limits::bytes(limits::TRAJECTORY_BYTES as f64)
            ),
        )
        .with_help(format!(
            "raise output_interval_days to at least {} day, or shorten duration_days",
            num(duration_days / (max_rows as f64 - 2.0))
        )));
    }

    // Time-windowed inputs.
    if raw.input.len() > MAX_WINDOWS {
        return Err(err(
            line(src, &raw.input[MAX_WINDOWS]),
            &format!("input[{MAX_WINDOWS}]"),
            format!(
                "{} `[[input]]` windows; a scenario may have at most {MAX_WINDOWS}",
                raw.input.len()
            ),
        )
        .with_help("merge windows of the same value, or use a time profile (`profile`)"));
    }
    let profiled: Vec<_> = raw
        .input
        .iter()
        .filter(|w| {
            w.get_ref()
                .profile
                .as_ref()
                .is_some_and(|p| p.get_ref() != "constant")
        })
        .collect();
    if profiled.len() > MAX_PROFILED_WINDOWS {
        return Err(err(
            line(src, profiled[MAX_PROFILED_WINDOWS]),
            "input",
            format!(
                "{} `[[input]]` windows with a time profile; a scenario may have at most {MAX_PROFILED_WINDOWS}",
                profiled.len()
            ),
        )
        .with_help("use fewer windows with a `profile`, or constant windows"));
    }
    let mut windows = Vec::new();
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    for (k, entry) in raw.input.iter().enumerate() {
        let at = line(src, entry);
        let entry = entry.get_ref();
        let key = format!("input[{k}]");
        let name = entry.name.get_ref();
        let Some(index) = spec.inputs.iter().position(|s| s.name == name) else {
            return Err(err(
                line(src, &entry.name),
                &format!("{key}.name"),
                format!("model `{}` has no input `{name}`", spec.name),
            )
            .with_help(suggest(name, spec.inputs.iter().map(|s| s.name))));
        };
        let input = spec.inputs[index];
        let Some(unit) = &entry.unit else {
            return Err(err(
                at,
                &format!("{key}.unit"),
                format!("input `{name}` needs a unit"),
            )
            .with_help(format!("add `unit = \"{}\"`", input.unit)));
        };
        if unit.get_ref().trim() != input.unit {
            return Err(err(
                line(src, unit),
                &format!("{key}.unit"),
                format!(
                    "unit `{}` does not match input `{name}`, which is in `{}`",
                    unit.get_ref(),
                    input.unit
                ),
            ));
        }
        let value = *entry.value.get_ref();
        check_value(
            file,
            line(src, &entry.value),
            &format!("{key}.value"),
            value,
        )?;
        let start = entry.start_day.as_ref().map_or(0.0, |v| *v.get_ref());
        let end = entry
            .end_day
            .as_ref()
            .map_or(f64::INFINITY, |v| *v.get_ref());
        if !(start.is_finite() && start >= start_of_run) {
            return Err(err(
                entry.start_day.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.start_day"),
                format!(
                    "start_day must be a number >= {} (the run starts on day -run_in_days), got {}",
                    num(start_of_run),
                    num(start)
                ),
            ));
        }
        if start >= duration_days {
            return Err(err(
                entry.start_day.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.start_day"),
                format!(
                    "the window starts on day {}, at or after the end of the run (day {}): it would never act",
                    num(start),
                    num(duration_days)
                ),
            ));
        }
        if end.is_nan() || end <= start {
            return Err(err(
                entry.end_day.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.end_day"),
                format!(
                    "end_day ({}) must be after start_day ({})",
                    num(end),
                    num(start)
                ),
            ));
        }
        let profile = match entry.profile.as_ref().map(|p| p.get_ref().as_str()) {
            None | Some("constant") => Profile::Constant,
            Some("hyperbolic") => {
                let tau = entry.tau_days.as_ref().ok_or_else(|| {
                    err(
                        at,
                        &format!("{key}.tau_days"),
                        "profile \"hyperbolic\" needs `tau_days` (days to go halfway)".to_string(),
                    )
                })?;
                Profile::Hyperbolic {
                    tau_days: positive(tau, &format!("{key}.tau_days"))?,
                }
            }
            Some("linear") => {
                let rate = entry.rate_per_day.as_ref().ok_or_else(|| {
                    err(
                        at,
                        &format!("{key}.rate_per_day"),
                        "profile \"linear\" needs `rate_per_day` (input unit per day)".to_string(),
                    )
                })?;
                check_value(
                    file,
                    line(src, rate),
                    &format!("{key}.rate_per_day"),
                    *rate.get_ref(),
                )?;
                Profile::Linear {
                    rate_per_day: *rate.get_ref(),
                }
            }
            Some(other) => {
                let p = entry.profile.as_ref().expect("matched Some");
                return Err(err(
                    line(src, p),
                    &format!("{key}.profile"),
                    format!("unknown profile `{other}`"),
                )
                .with_help(suggest(other, ["constant", "hyperbolic", "linear"])));
            }
        };
        for (given, field, needed) in [
            (
                entry.tau_days.as_ref(),
                "tau_days",
                matches!(profile, Profile::Hyperbolic { .. }),
            ),
            (
                entry.rate_per_day.as_ref(),
                "rate_per_day",
                matches!(profile, Profile::Linear { .. }),
            ),
        ] {
            if let (Some(v), false) = (given, needed) {
                return Err(err(
                    line(src, v),
                    &format!("{key}.{field}"),
                    format!("`{field}` does not apply to this window's profile"),
                ));
            }
        }
        warnings.extend(implausible_input(
            &key,
            &input,
            value,
            profile,
            start,
            end.min(duration_days),
        ));
        windows.push(Window {
            input: index,
            value,
            start,
            end,
            profile,
        });
        let shape = match profile {
            Profile::Constant => "constant".to_string(),
            Profile::Hyperbolic { tau_days } => format!(
                "hyperbolic from {} towards it, halfway after {} day",
                input.kind.neutral(),
                num(tau_days)
            ),
            Profile::Linear { rate_per_day } => {
                format!(
                    "linear, rising by {} {} per day",
                    num(rate_per_day),
                    input.unit
                )
            }
        };
        inputs.push((
            name.clone(),
            input.unit.to_string(),
            value,
            start,
            end,
            shape,
        ));
    }

    // Treatments: dosing schedules become dose events (each an integration boundary).
    let mut doses = Vec::new();
    let mut treatments = Vec::new();
    for (k, entry) in raw.treatment.iter().enumerate() {
        let t = entry.get_ref();
        let key = format!("treatment[{k}]");
        let drug = t.drug.get_ref();
        let routes: Vec<_> = spec.dose_routes.iter().filter(|r| r.drug == drug).collect();
        if routes.is_empty() {
            let known: Vec<&str> = model.drugs().iter().map(|d| d.name).collect();
            let help = if known.is_empty() {
                format!("model `{}` takes no drugs", spec.name)
            } else {
                suggest(drug, known.iter().copied())
            };
            return Err(err(
                line(src, &t.drug),
                &format!("{key}.drug"),
                format!("model `{}` cannot be given `{drug}`", spec.name),
            )
            .with_help(help));
        }
        let route = t.route.get_ref();
        let Some(target) = routes.iter().find(|r| r.route == route) else {
            return Err(err(
                line(src, &t.route),
                &format!("{key}.route"),
                format!("`{drug}` cannot be given by route `{route}`"),
            )
            .with_help(format!(
                "routes: {}",
                routes
                    .iter()
                    .map(|r| r.route)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let dose = *t.dose.get_ref();
        check_value(file, line(src, &t.dose), &format!("{key}.dose"), dose)?;
        let mg_per_unit = match t.unit.get_ref().as_str() {
            "mg" => 1.0,
            "ug" | "µg" => 1e-3,
            "mg/kg" => match params.params.get(&format!("{drug}.body_weight")) {
                Some(bw) => bw.value,
                None => {
                    return Err(err(
                        line(src, &t.unit),
                        &format!("{key}.unit"),
                        format!("`{drug}` has no body weight to convert mg/kg"),
                    ));
                }
            },
            other => {
                return Err(err(
                    line(src, &t.unit),
                    &format!("{key}.unit"),
                    format!("unknown dose unit `{other}`"),
                )
                .with_help("use mg, ug (or µg) or mg/kg"));
            }
        };
        warnings.extend(implausible_dose(&key, target, dose * mg_per_unit));
        let first = t.first_day.as_ref().map_or(0.0, |v| *v.get_ref());
        if !(first.is_finite() && first >= start_of_run) {
            return Err(err(
                t.first_day.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.first_day"),
                format!(
                    "first_day must be a day >= {} (the run starts on day -run_in_days), got {}",
                    num(start_of_run),
                    num(first)
                ),
            ));
        }
        let interval = match &t.interval_days {
            None => None,
            Some(v) => Some(positive(v, &format!("{key}.interval_days"))?),
        };
        let count = t.doses.as_ref().map(|v| *v.get_ref());
        let last = t.last_day.as_ref().map(|v| *v.get_ref());
        if count == Some(0) {
            return Err(err(
                t.doses.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.doses"),
                "doses must be at least 1".to_string(),
            ));
        }
        if let Some(l) = last
            && !(l.is_finite() && l >= first)
        {
            return Err(err(
                t.last_day.as_ref().and_then(|v| line(src, v)),
                &format!("{key}.last_day"),
                format!(
                    "last_day must be a finite day >= first_day ({}), got {}",
                    num(first),
                    num(l)
                ),
            ));
        }
        let step = match (interval, count, last) {
            (None, None | Some(1), None) => None,
            (None, _, _) => {
                return Err(err(
                    line(src, entry),
                    &format!("{key}.interval_days"),
                    "repeated doses need `interval_days`".to_string(),
                ));
            }
            (Some(_), None, None) => {
                return Err(err(
                    line(src, entry),
                    &format!("{key}.doses"),
                    "give `doses` (a count) or `last_day` with `interval_days`".to_string(),
                ));
            }
            (Some(_), Some(_), Some(_)) => {
                return Err(err(
                    line(src, entry),
                    &format!("{key}.last_day"),
                    "give either `doses` or `last_day`, not both".to_string(),
                ));
            }
            (Some(dt), _, _) => Some(dt),
        };
        // Dose i is on day first + step * i, a nondecreasing function of i: the schedule's
        // length and the doses within the run are counted by bisection, and only the doses within
        // the run are generated (a schedule may be far longer than the run).
        let day = |i: u64| first + step.unwrap_or(0.0) * i as f64;
        let scheduled = match (step, count, last) {
            (None, _, _) => 1,
            (Some(_), Some(n), _) => u64::from(n),
            (Some(dt), None, Some(l)) => leading(u64::MAX, |i| day(i) <= l + 1e-9 * dt),
            (Some(_), None, None) => unreachable!("refused above"),
        };
        let within = leading(scheduled, |i| day(i) < duration_days);
        if within == 0 {
            return Err(err(
                line(src, entry),
                &format!("{key}.first_day"),
                format!(
                    "no dose of this treatment falls within the run (first dose on day {}, the run ends on day {})",
                    num(first),
                    num(duration_days)
                ),
            ));
        }
        if within > (MAX_DOSES - doses.len()) as u64 {
            let earlier = if doses.is_empty() {
                String::new()
            } else {
                format!(" (with {} from the treatments above)", doses.len())
            };
            return Err(err(
                line(src, entry),
                &key,
                format!(
                    "{within} doses of this treatment fall within the run{earlier}; a run may have at most {MAX_DOSES} doses (each is a solver restart and takes memory)"
                ),
            )
            .with_help("lengthen interval_days, give fewer doses, or shorten the run"));
        }
        let times: Vec<f64> = (0..within).map(day).collect();
        let given = times.len();
        let dose_text = num(dose);
        let scheduled = if scheduled == u64::MAX {
            format!("more than {}", u64::MAX - 1)
        } else {
            scheduled.to_string()
        };
        treatments.push(format!(
            "{drug} {dose_text} {} {route}: {scheduled} dose(s) from day {}{} ({given} within the run)",
            t.unit.get_ref(),
            num(first),
            interval.map_or(String::new(), |dt| format!(" every {} days", num(dt))),
        ));
        for x in times {
            doses.push(Dose {
                time: x,
                state: target.state,
                amount: dose * mg_per_unit,
                label: format!("{drug} {dose_text} {} {route}", t.unit.get_ref()),
            });
        }
    }

    // Initial state: the steady state unless every cell state is given.
    let initial = match &raw.initial_state {
        None => InitialState::SteadyState,
        Some(table) => {
            let mut values: Vec<Option<f64>> = vec![None; spec.states.len()];
            for (key, value) in table.get_ref() {
                let k = format!("initial_state.{}", key.get_ref());
                let i = state_index(&spec, key, &k)?;
                check_value(file, line(src, value), &k, *value.get_ref())?;
                values[i] = Some(*value.get_ref());
            }
            let mut full = Vec::with_capacity(values.len());
            for (v, s) in values.iter().zip(&spec.states) {
                match (v, s.kind) {
                    (Some(x), _) => full.push(*x),
                    (None, StateKind::Accumulator { reference }) => full.push(reference),
                    (None, StateKind::Dynamic) => {
                        return Err(err(
                            line(src, table),
                            "initial_state",
                            format!(
                                "explicit initial state lacks `{}` ({}); give every cell state, or drop [initial_state] to start from the steady state",
                                s.name, s.unit
                            ),
                        ));
                    }
                }
            }
            InitialState::Explicit(full)
        }
    };

    let mut atol_states: Vec<(usize, f64)> = Vec::new();
    let mut solver = SolverSettings::default();
    if let Some(s) = &raw.solver {
        if let Some(m) = &s.method {
            solver.method = match m.get_ref().as_str() {
                "auto" => Method::Auto,
                "dopri5" => Method::Dopri5,
                "bdf" => Method::Bdf,
                other => {
                    return Err(err(
                        line(src, m),
                        "solver.method",
                        format!("unknown solver `{other}`"),
                    )
                    .with_help(suggest(other, ["auto", "dopri5", "bdf"])));
                }
            };
        }
        if let Some(v) = &s.rtol {
            let x = *v.get_ref();
            if !(x > 0.0 && x < 1.0) {
                return Err(err(
                    line(src, v),
                    "solver.rtol",
                    format!("rtol must be in (0, 1), got {}", num(x)),
                ));
            }
            solver.rtol = x;
        }
        if let Some(v) = &s.atol {
            solver.atol = positive(v, "solver.atol")?;
        }
        for (key, v) in s.atol_states.iter().flatten() {
            let k = format!("solver.atol_states.{}", key.get_ref());
            let i = state_index(&spec, key, &k)?;
            atol_states.push((i, positive(v, &k)?));
        }
        if let Some(v) = &s.max_step_days {
            solver.max_step_days = Some(positive(v, "solver.max_step_days")?);
        }
        if let Some(v) = &s.max_steps {
            if *v.get_ref() == 0 {
                return Err(err(
                    line(src, v),
                    "solver.max_steps",
                    "max_steps must be at least 1".to_string(),
                ));
            }
            solver.max_steps = *v.get_ref();
        }
    }

    Ok(Scenario {
        path: file.to_path_buf(),
        name: name.into_inner(),
        description: raw.description.unwrap_or_default(),
        overrides,
        inputs,
        treatments,
        warnings,
        spec: RunSpec {
            model,
            drugs,
            params,
            protocol: Protocol {
                start: start_of_run,
                duration: duration_days,
                output_interval,
                windows,
                doses,
            },
            initial,
            solver,
            atol_states,
        },
    })
}

/// How many of `0..n` satisfy `pred`, for a `pred` that holds on a prefix of `0..n` and nowhere
/// after (bisection: about 64 evaluations whatever `n`).
fn leading(n: u64, pred: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Flattens nested override tables into (dotted name, number, line).
fn flatten(
    prefix: &str,
    value: &toml::Value,
    at: Option<usize>,
    out: &mut Vec<(String, Option<f64>, Option<usize>)>,
) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{prefix}.{k}"), v, at, out);
            }
        }
        toml::Value::Float(x) => out.push((prefix.to_string(), Some(*x), at)),
        toml::Value::Integer(i) => out.push((prefix.to_string(), Some(*i as f64), at)),
        _ => out.push((prefix.to_string(), None, at)),
    }
}

/// A warning when a window takes an input outside its plausible range (`InputSpec::range`): at
/// its value, or at the end of a linear ramp (`end` is the window's end within the run).
fn implausible_input(
    key: &str,
    input: &crate::model::InputSpec,
    value: f64,
    profile: Profile,
    start: f64,
    end: f64,
) -> Option<String> {
    let (lo, hi) = input.range;
    let ramp_end = match profile {
        Profile::Linear { rate_per_day } => value + rate_per_day * (end - start),
        Profile::Constant | Profile::Hyperbolic { .. } => value,
    };
    let outside = [value, ramp_end]
        .into_iter()
        .find(|v| !(lo..=hi).contains(v))?;
    let unit = if input.unit == "1" {
        String::new()
    } else {
        format!(" {}", input.unit)
    };
    Some(format!(
        "{key}: input `{}` reaches {outside:e}{unit}, outside its plausible range {lo} to {hi}{unit} (docs/model.md, \"Input ranges\"); the model was not built for such values",
        input.name
    ))
}

/// A warning when a dose is above `DoseRoute::PLAUSIBLE_MULTIPLE` times the largest labelled
/// single dose of its drug and route.
fn implausible_dose(key: &str, route: &crate::model::DoseRoute, mg: f64) -> Option<String> {
    let hi = crate::model::DoseRoute::PLAUSIBLE_MULTIPLE * route.labelled_mg;
    (mg > hi).then(|| {
        format!(
            "{key}: a dose of {mg:e} mg of `{}` ({}) is outside its plausible range 0 to {hi} mg ({} times the largest labelled dose, {} mg; docs/model.md, \"Dose ranges\")",
            route.drug,
            route.route,
            crate::model::DoseRoute::PLAUSIBLE_MULTIPLE,
            route.labelled_mg
        )
    })
}
