//! Duration, run-in and output grid, and the size of the run they imply (simulated span and
//! output rows), checked before anything is built.

use super::Ctx;
use super::raw::RawScenario;
use crate::config::limits::{self, MAX_SIMULATED_DAYS, MIN_DURATION_DAYS};
use crate::config::num;
use crate::error::ConfigError;
use crate::model::Layout;
use toml::Spanned;

/// Default output interval (days).
const DEFAULT_OUTPUT_INTERVAL_DAYS: f64 = 1.0;

/// The run's time frame.
pub(super) struct Grid {
    /// Start of the run (day): `-run_in_days`, or 0.
    pub start: f64,
    /// End of the run (day).
    pub duration: f64,
    /// Output interval (days).
    pub output_interval: f64,
}

/// Validates `duration_days`, `output_interval_days` and `run_in_days`, and the size of the run.
pub(super) fn parse(cx: &Ctx, spec: &Layout, raw: &RawScenario) -> Result<Grid, ConfigError> {
    let duration = raw
        .duration_days
        .as_ref()
        .ok_or_else(|| cx.required("duration_days", "duration_days = 3650.0"))?;
    let duration_days = duration_days(cx, duration)?;
    let output_interval = output_interval(cx, raw.output_interval_days.as_ref(), duration_days)?;
    // Run-in: the run starts from the steady state at day -run_in_days; outputs start at day 0.
    let run_in = run_in(cx, raw.run_in_days.as_ref())?;
    check_span(cx, duration, raw.run_in_days.as_ref(), run_in)?;
    check_rows(
        cx,
        spec,
        duration,
        raw.output_interval_days.as_ref(),
        output_interval,
    )?;
    Ok(Grid {
        start: if run_in > 0.0 { -run_in } else { 0.0 },
        duration: duration_days,
        output_interval,
    })
}

fn duration_days(cx: &Ctx, duration: &Spanned<f64>) -> Result<f64, ConfigError> {
    let days = cx.positive(duration, "duration_days")?;
    if days < MIN_DURATION_DAYS {
        return Err(cx.err(
            cx.line(duration),
            "duration_days",
            format!(
                "a run of {} day is too short to simulate; at least {} day",
                num(days),
                num(MIN_DURATION_DAYS)
            ),
        ));
    }
    Ok(days)
}

fn output_interval(
    cx: &Ctx,
    given: Option<&Spanned<f64>>,
    duration_days: f64,
) -> Result<f64, ConfigError> {
    let interval = match given {
        Some(v) => cx.positive(v, "output_interval_days")?,
        None => DEFAULT_OUTPUT_INTERVAL_DAYS.min(duration_days),
    };
    if interval > duration_days {
        return Err(cx.err(
            cx.line_of(given),
            "output_interval_days",
            format!(
                "output interval {} day is longer than the run ({} day)",
                num(interval),
                num(duration_days)
            ),
        ));
    }
    Ok(interval)
}

fn run_in(cx: &Ctx, given: Option<&Spanned<f64>>) -> Result<f64, ConfigError> {
    let Some(v) = given else {
        return Ok(0.0);
    };
    let x = *v.get_ref();
    if !(x.is_finite() && x >= 0.0) {
        return Err(cx.err(
            cx.line(v),
            "run_in_days",
            format!("must be a number of days >= 0, got {}", num(x)),
        ));
    }
    if x > 0.0 && x < MIN_DURATION_DAYS {
        return Err(cx.err(
            cx.line(v),
            "run_in_days",
            format!(
                "a run-in of {} day is too short to simulate; give 0 or at least {} day",
                num(x),
                num(MIN_DURATION_DAYS)
            ),
        ));
    }
    Ok(x)
}

/// The simulated span (time) is bounded.
fn check_span(
    cx: &Ctx,
    duration: &Spanned<f64>,
    run_in_key: Option<&Spanned<f64>>,
    run_in: f64,
) -> Result<(), ConfigError> {
    let duration_days = *duration.get_ref();
    if duration_days + run_in <= MAX_SIMULATED_DAYS {
        return Ok(());
    }
    let (at, key) = match run_in_key {
        Some(v) if duration_days <= MAX_SIMULATED_DAYS => (cx.line(v), "run_in_days"),
        _ => (cx.line(duration), "duration_days"),
    };
    Err(cx
        .err(
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
        .with_help("shorten duration_days or run_in_days"))
}

/// The output rows (memory) are bounded.
fn check_rows(
    cx: &Ctx,
    spec: &Layout,
    duration: &Spanned<f64>,
    interval_key: Option<&Spanned<f64>>,
    output_interval: f64,
) -> Result<(), ConfigError> {
    let duration_days = *duration.get_ref();
    let columns = 1 + spec.states.len() + spec.derived.len();
    let rows = limits::output_rows(duration_days, output_interval);
    let max_rows = limits::max_output_rows(columns);
    if rows <= max_rows as f64 {
        return Ok(());
    }
    let at = interval_key.map_or_else(|| cx.line(duration), |v| cx.line(v));
    Err(cx
        .err(
            at,
            "output_interval_days",
            format!(
                "the run would write {} output rows of {columns} columns ({} in memory); model `{}` allows at most {max_rows} rows ({})",
                if rows.is_finite() {
                    format!("about {}", limits::count(rows))
                } else {
                    limits::count(rows)
                },
                limits::bytes(rows * limits::row_bytes(columns) as f64),
                spec.name,
                limits::bytes(limits::TRAJECTORY_BYTES as f64)
            ),
        )
        .with_help(format!(
            "raise output_interval_days to at least {} day, or shorten duration_days",
            num(duration_days / (max_rows as f64 - 2.0))
        )))
}
