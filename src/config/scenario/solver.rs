//! `[solver]`: method, tolerances (with per-state absolute tolerances), step limits.

use super::Ctx;
use super::raw::RawSolver;
use crate::config::{num, suggest};
use crate::engine::{Method, SolverSettings};
use crate::error::ConfigError;
use crate::model::Layout;

/// The solver settings (defaults where not given) and the per-state absolute tolerances as
/// (state index, atol).
pub(super) fn parse(
    cx: &Ctx,
    spec: &Layout,
    raw: Option<&RawSolver>,
) -> Result<(SolverSettings, Vec<(usize, f64)>), ConfigError> {
    let mut solver = SolverSettings::default();
    let mut atol_states: Vec<(usize, f64)> = Vec::new();
    let Some(s) = raw else {
        return Ok((solver, atol_states));
    };
    if let Some(m) = &s.method {
        solver.method = match m.get_ref().as_str() {
            "auto" => Method::Auto,
            "dopri5" => Method::Dopri5,
            "bdf" => Method::Bdf,
            "ode_solvers" => Method::OdeSolvers,
            other => {
                return Err(cx
                    .err(
                        cx.line(m),
                        "solver.method",
                        format!("unknown solver `{other}`"),
                    )
                    .with_help(suggest(other, ["auto", "dopri5", "bdf", "ode_solvers"])));
            }
        };
    }
    if let Some(v) = &s.rtol {
        let x = *v.get_ref();
        if !(x > 0.0 && x < 1.0) {
            return Err(cx.err(
                cx.line(v),
                "solver.rtol",
                format!("rtol must be in (0, 1), got {}", num(x)),
            ));
        }
        solver.rtol = x;
    }
    if let Some(v) = &s.atol {
        solver.atol = cx.positive(v, "solver.atol")?;
    }
    for (key, v) in s.atol_states.iter().flatten() {
        let k = format!("solver.atol_states.{}", key.get_ref());
        let i = cx.state_index(spec, key, &k)?;
        atol_states.push((i, cx.positive(v, &k)?));
    }
    if let Some(v) = &s.max_step_days {
        solver.max_step_days = Some(cx.positive(v, "solver.max_step_days")?);
    }
    if let Some(v) = &s.max_steps {
        if *v.get_ref() == 0 {
            return Err(cx.err(
                cx.line(v),
                "solver.max_steps",
                "max_steps must be at least 1",
            ));
        }
        solver.max_steps = *v.get_ref();
    }
    Ok((solver, atol_states))
}
