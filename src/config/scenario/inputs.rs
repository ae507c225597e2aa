//! `[[input]]`: time-windowed inputs, each with a unit, a window and a time profile.

use super::Ctx;
use super::grid::Grid;
use super::raw::RawInput;
use crate::config::limits::{MAX_PROFILED_WINDOWS, MAX_WINDOWS};
use crate::config::params_file::check_value;
use crate::config::{num, suggest};
use crate::engine::{Profile, Window};
use crate::error::ConfigError;
use crate::model::{InputSpec, Layout};
use toml::Spanned;

/// The validated windows.
pub(super) struct Inputs {
    /// For the engine.
    pub windows: Vec<Window>,
    /// As written: (name, unit, value, start, end, profile).
    pub described: Vec<(String, String, f64, f64, f64, String)>,
    /// Values outside an input's plausible range.
    pub warnings: Vec<String>,
}

/// Validates every window.
pub(super) fn parse(
    cx: &Ctx,
    spec: &Layout,
    grid: &Grid,
    entries: &[Spanned<RawInput>],
) -> Result<Inputs, ConfigError> {
    check_counts(cx, entries)?;
    let mut out = Inputs {
        windows: Vec::new(),
        described: Vec::new(),
        warnings: Vec::new(),
    };
    for (k, entry) in entries.iter().enumerate() {
        let key = format!("input[{k}]");
        let (window, input) = window(cx, spec, grid, &key, entry)?;
        out.warnings.extend(implausible_input(
            &key,
            &input,
            window.value,
            window.profile,
            window.start,
            window.end.min(grid.duration),
        ));
        out.described.push((
            input.name.to_string(),
            input.unit.to_string(),
            window.value,
            window.start,
            window.end,
            shape(&input, window.profile),
        ));
        out.windows.push(window);
    }
    Ok(out)
}

/// The number of windows, and of windows with a time profile, is bounded.
fn check_counts(cx: &Ctx, entries: &[Spanned<RawInput>]) -> Result<(), ConfigError> {
    if entries.len() > MAX_WINDOWS {
        return Err(cx
            .err(
                cx.line(&entries[MAX_WINDOWS]),
                &format!("input[{MAX_WINDOWS}]"),
                format!(
                    "{} `[[input]]` windows; a scenario may have at most {MAX_WINDOWS}",
                    entries.len()
                ),
            )
            .with_help("merge windows of the same value, or use a time profile (`profile`)"));
    }
    let profiled: Vec<_> = entries
        .iter()
        .filter(|w| {
            w.get_ref()
                .profile
                .as_ref()
                .is_some_and(|p| p.get_ref() != "constant")
        })
        .collect();
    if profiled.len() > MAX_PROFILED_WINDOWS {
        return Err(cx
            .err(
                cx.line(profiled[MAX_PROFILED_WINDOWS]),
                "input",
                format!(
                    "{} `[[input]]` windows with a time profile; a scenario may have at most {MAX_PROFILED_WINDOWS}",
                    profiled.len()
                ),
            )
            .with_help("use fewer windows with a `profile`, or constant windows"));
    }
    Ok(())
}

/// One window: its input (name and unit), value, start, end and profile.
fn window(
    cx: &Ctx,
    spec: &Layout,
    grid: &Grid,
    key: &str,
    entry: &Spanned<RawInput>,
) -> Result<(Window, InputSpec), ConfigError> {
    let at = cx.line(entry);
    let entry = entry.get_ref();
    let (index, input) = input_of(cx, spec, key, at, entry)?;
    let value = *entry.value.get_ref();
    check_value(
        cx.file,
        cx.line(&entry.value),
        &format!("{key}.value"),
        value,
    )?;
    let (start, end) = span(cx, grid, key, entry)?;
    let profile = profile(cx, key, at, entry)?;
    Ok((
        Window {
            input: index,
            value,
            start,
            end,
            profile,
        },
        input,
    ))
}

/// The input a window sets, by name, with its unit checked.
fn input_of(
    cx: &Ctx,
    spec: &Layout,
    key: &str,
    at: Option<usize>,
    entry: &RawInput,
) -> Result<(usize, InputSpec), ConfigError> {
    let name = entry.name.get_ref();
    let Some(index) = spec.inputs.iter().position(|s| s.name == name) else {
        return Err(cx
            .err(
                cx.line(&entry.name),
                &format!("{key}.name"),
                format!("model `{}` has no input `{name}`", spec.name),
            )
            .with_help(
                renamed(name).unwrap_or_else(|| suggest(name, spec.inputs.iter().map(|s| s.name))),
            ));
    };
    let input = spec.inputs[index];
    let Some(unit) = &entry.unit else {
        return Err(cx
            .err(
                at,
                &format!("{key}.unit"),
                format!("input `{name}` needs a unit"),
            )
            .with_help(format!("add `unit = \"{}\"`", input.unit)));
    };
    if unit.get_ref().trim() != input.unit {
        return Err(cx.err(
            cx.line(unit),
            &format!("{key}.unit"),
            format!(
                "unit `{}` does not match input `{name}`, which is in `{}`",
                unit.get_ref(),
                input.unit
            ),
        ));
    }
    Ok((index, input))
}

/// The window's start and end: within the run, end after start (open-ended by default).
fn span(cx: &Ctx, grid: &Grid, key: &str, entry: &RawInput) -> Result<(f64, f64), ConfigError> {
    let start = entry.start_day.as_ref().map_or(0.0, |v| *v.get_ref());
    let end = entry
        .end_day
        .as_ref()
        .map_or(f64::INFINITY, |v| *v.get_ref());
    let start_line = cx.line_of(entry.start_day.as_ref());
    if !(start.is_finite() && start >= grid.start) {
        return Err(cx.err(
            start_line,
            &format!("{key}.start_day"),
            format!(
                "start_day must be a number >= {} (the run starts on day -run_in_days), got {}",
                num(grid.start),
                num(start)
            ),
        ));
    }
    if start >= grid.duration {
        return Err(cx.err(
            start_line,
            &format!("{key}.start_day"),
            format!(
                "the window starts on day {}, at or after the end of the run (day {}): it would never act",
                num(start),
                num(grid.duration)
            ),
        ));
    }
    if end.is_nan() || end <= start {
        return Err(cx.err(
            cx.line_of(entry.end_day.as_ref()),
            &format!("{key}.end_day"),
            format!(
                "end_day ({}) must be after start_day ({})",
                num(end),
                num(start)
            ),
        ));
    }
    Ok((start, end))
}

/// The window's time profile with its own setting (`tau_days`, `rate_per_day`); a setting of
/// another profile is refused.
fn profile(
    cx: &Ctx,
    key: &str,
    at: Option<usize>,
    entry: &RawInput,
) -> Result<Profile, ConfigError> {
    let profile = match entry.profile.as_ref().map(|p| p.get_ref().as_str()) {
        None | Some("constant") => Profile::Constant,
        Some("hyperbolic") => {
            let tau = entry.tau_days.as_ref().ok_or_else(|| {
                cx.err(
                    at,
                    &format!("{key}.tau_days"),
                    "profile \"hyperbolic\" needs `tau_days` (days to go halfway)",
                )
            })?;
            Profile::Hyperbolic {
                tau_days: cx.positive(tau, &format!("{key}.tau_days"))?,
            }
        }
        Some("linear") => {
            let rate = entry.rate_per_day.as_ref().ok_or_else(|| {
                cx.err(
                    at,
                    &format!("{key}.rate_per_day"),
                    "profile \"linear\" needs `rate_per_day` (input unit per day)",
                )
            })?;
            check_value(
                cx.file,
                cx.line(rate),
                &format!("{key}.rate_per_day"),
                *rate.get_ref(),
            )?;
            Profile::Linear {
                rate_per_day: *rate.get_ref(),
            }
        }
        Some(other) => {
            let p = entry.profile.as_ref().expect("matched Some");
            return Err(cx
                .err(
                    cx.line(p),
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
            return Err(cx.err(
                cx.line(v),
                &format!("{key}.{field}"),
                format!("`{field}` does not apply to this window's profile"),
            ));
        }
    }
    Ok(profile)
}

/// A window's profile in words, for the manifest.
fn shape(input: &InputSpec, profile: Profile) -> String {
    match profile {
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
    }
}

/// A warning when a window takes an input outside its plausible range (`InputSpec::range`): at
/// its value, or at the end of a linear ramp (`end` is the window's end within the run).
fn implausible_input(
    key: &str,
    input: &InputSpec,
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

/// Inputs renamed when every element of the immune module got a handle `<element>_factor`.
const RENAMED_INPUTS: [(&str, &str); 2] = [
    ("jak_stat_factor", "JAK_factor"),
    ("treg_drive", "Treg_factor"),
];

/// The help for an input that was renamed, with the same meaning.
fn renamed(name: &str) -> Option<String> {
    RENAMED_INPUTS
        .iter()
        .find(|(old, _)| *old == name)
        .map(|(old, new)| format!("`{old}` is now `{new}` (the same factor; every handle of the immune module is `<element>_factor`, see `immunoporosis list`)"))
}
