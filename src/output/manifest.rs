//! `manifest.json`: what was run and how, so that a result can be traced and reproduced.

use super::OutputError;
use crate::analysis::value_at;
use crate::config::Scenario;
use crate::engine::{InitialState, RunResult, solver};
use serde_json::{Value, json};
use std::path::Path;

/// Builds the manifest of a run.
pub fn build(scenario: &Scenario, result: &RunResult, wall_seconds: f64) -> Value {
    let spec = &scenario.spec;
    let model = spec.layout();
    let params = &spec.params;
    let parameters: Vec<Value> = params
        .params
        .values()
        .map(|p| {
            json!({
                "name": p.name,
                "symbol": p.symbol,
                "value": p.value,
                "unit": p.unit,
                "source": p.source,
                "citation": params.citation(p),
                "description": p.description,
                "note": p.note,
                "overridden_from": p.overridden_from,
            })
        })
        .collect();
    let states: Vec<Value> = model
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "name": s.name,
                "unit": s.unit,
                "steady_state": result.steady_state.state[i],
                "initial": result.initial_state[i],
            })
        })
        .collect();
    let ss = &result.steady_state;
    json!({
        "program": "immunoporosis",
        "version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "file": scenario.path.display().to_string(),
            "model": model.name,
            "model_title": spec.model.title(),
            "parameter_set": params.origin,
            "duration_days": spec.protocol.duration,
            "run_in_days": -spec.protocol.start,
            "relative_columns": baseline_text(scenario),
            "output_interval_days": spec.protocol.output_interval,
            "parameter_overrides": scenario.overrides.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "inputs": scenario.inputs.iter().map(|(n, u, v, s, e, shape)| json!({
                "name": n, "unit": u, "value": v, "start_day": s, "profile": shape,
                "end_day": if e.is_finite() { json!(e) } else { json!("open") },
            })).collect::<Vec<_>>(),
            "treatments": scenario.treatments,
            "dosed_drugs": spec.drugs.iter().map(|d| d.name()).collect::<Vec<_>>(),
            "dose_events": spec.protocol.doses.iter().map(|d| json!({
                "day": d.time, "dose": d.label, "state": model.states[d.state].name,
                "amount": d.amount, "unit": model.states[d.state].unit,
            })).collect::<Vec<_>>(),
            "initial_state": match spec.initial {
                InitialState::SteadyState => "steady_state",
                InitialState::Explicit(_) => "explicit",
            },
        },
        "states": states,
        "parameters": parameters,
        "solver": {
            "method": match spec.solver.method {
                crate::engine::Method::Auto => "auto: Dopri5, and BDF on a segment where Dopri5 reports stiffness",
                crate::engine::Method::Dopri5 => "dopri5",
                crate::engine::Method::Bdf => "bdf",
                crate::engine::Method::OdeSolvers => "ode_solvers",
            },
            "methods": {"non_stiff": solver::METHOD, "stiff": solver::STIFF_METHOD, "reference": solver::REFERENCE_METHOD},
            "rtol": spec.solver.rtol,
            "atol": spec.solver.atol,
            "atol_states": spec.atol_states.iter().map(|(i, a)| json!({"state": model.states[*i].name, "atol": a})).collect::<Vec<_>>(),
            "atol_dopri5": spec.atol_states.iter().map(|(_, a)| *a).fold(spec.solver.atol, f64::min),
            "max_step_days": result.max_step_days,
            "max_step_rule": match (spec.solver.max_step_days, result.max_step_days) {
                (Some(_), _) => "scenario",
                (None, Some(_)) => "automatic: 1.5 / spectral radius of the steady-state Jacobian (a model with accumulator states)",
                (None, None) => "none: the error control alone (a model without accumulator states)",
            },
            "max_steps_per_segment": spec.solver.max_steps,
            "accepted_steps": result.stats.accepted_steps,
            "rejected_steps": result.stats.rejected_steps,
            "rhs_evaluations": result.stats.evaluations,
            "stiffness_resumes": result.stats.stiffness_resumes,
            "segments": result.segments.iter().map(|s| json!({
                "start_day": s.start,
                "solver": s.solver,
                "end_day": s.end,
                "active_inputs": s.active_inputs.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
                "accepted_steps": s.stats.accepted_steps,
                "rejected_steps": s.stats.rejected_steps,
                "rhs_evaluations": s.stats.evaluations,
            })).collect::<Vec<_>>(),
            "wall_seconds": wall_seconds,
        },
        "steady_state": {
            "method": ss.method.as_str(),
            "iterations": ss.iterations,
            "residual_max_abs": ss.residual,
            "residual_max_relative_per_day": ss.relative_residual,
            "jacobian_states": ss.jacobian_states,
            "eigenvalues_per_day": ss.eigenvalues.iter().map(|(re, im)| json!({"re": re, "im": im})).collect::<Vec<_>>(),
            "stable": ss.stable,
        },
        "outputs": {
            "rows": result.trajectory.len(),
            "columns": result.trajectory.columns,
        },
    })
}

/// Writes the manifest as pretty JSON.
pub fn write(path: &Path, manifest: &Value) -> Result<(), OutputError> {
    let text =
        serde_json::to_string_pretty(manifest).map_err(|e| OutputError::at(path, e.into()))?;
    std::fs::write(path, text + "\n").map_err(|e| OutputError::at(path, e))
}

/// Endpoint times of `summary.json` (years).
pub const SUMMARY_YEARS: [f64; 5] = [1.0, 2.0, 3.0, 5.0, 10.0];

/// Columns of `summary.json`, when the model has them.
const SUMMARY_COLUMNS: [&str; 4] = [
    "bmd_lumbar_spine_change_pct",
    "bmd_total_hip_change_pct",
    "ctx_change_pct",
    "p1np_change_pct",
];

/// `summary.json`: BMD change per site and CTX and P1NP change at 1, 2, 3, 5 and 10 years, for
/// the years the run reaches (linear interpolation between output times). `None` for a model
/// without these columns.
pub fn summary(scenario: &Scenario, result: &RunResult) -> Option<Value> {
    let traj = &result.trajectory;
    let t = traj.column("t_day")?;
    let columns: Vec<&str> = SUMMARY_COLUMNS
        .iter()
        .copied()
        .filter(|c| traj.column(c).is_some())
        .collect();
    if columns.is_empty() {
        return None;
    }
    let end = *t.last()?;
    let mut rows = Vec::new();
    for years in SUMMARY_YEARS {
        let day = years * crate::model::DAYS_PER_YEAR;
        if day > end + 1e-9 {
            continue;
        }
        // The columns exist and the day lies within the run: never NaN (null in the JSON).
        let value = |c: &str| value_at(traj, c, day).unwrap_or(f64::NAN);
        let mut row = serde_json::Map::new();
        row.insert("years".into(), json!(years));
        for c in &columns {
            row.insert((*c).into(), json!(value(c)));
        }
        rows.push(Value::Object(row));
    }
    Some(json!({
        "scenario": scenario.name,
        "model": scenario.spec.model.name(),
        "baseline": baseline_text(scenario),
        "endpoints": rows,
    }))
}

/// What the relative columns are relative to.
fn baseline_text(scenario: &Scenario) -> String {
    let start = scenario.spec.protocol.start;
    if start < 0.0 {
        format!(
            "change in % relative to day 0, the end of a {} day run-in (which started from the initial state: the model's steady state unless [initial_state] is given)",
            -start
        )
    } else {
        "change in % relative to the model's steady state, as in the columns (the start of the run unless [initial_state] is given)".to_string()
    }
}
