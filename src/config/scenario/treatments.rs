//! `[[treatment]]`: a drug, a dose with its unit, a route and a schedule. The schedule is
//! validated here and expanded into dose events by `engine::protocol::Schedule` (each dose is an
//! integration boundary).

use super::Ctx;
use super::grid::Grid;
use super::raw::RawTreatment;
use crate::config::limits::MAX_DOSES;
use crate::config::params_file::check_value;
use crate::config::{num, suggest};
use crate::engine::Dose;
use crate::engine::protocol::Schedule;
use crate::error::ConfigError;
use crate::model::{DoseRoute, Layout};
use crate::params::ParamSet;
use toml::Spanned;

/// The validated treatments.
pub(super) struct Treatments {
    /// Every dose within the run, in file order.
    pub doses: Vec<Dose>,
    /// One line per treatment (drug, dose, route, schedule).
    pub described: Vec<String>,
    /// Doses far above their labelled dose.
    pub warnings: Vec<String>,
}

/// Validates every treatment and expands its schedule.
pub(super) fn parse(
    cx: &Ctx,
    spec: &Layout,
    grid: &Grid,
    params: &ParamSet,
    entries: &[Spanned<RawTreatment>],
) -> Result<Treatments, ConfigError> {
    let mut out = Treatments {
        doses: Vec::new(),
        described: Vec::new(),
        warnings: Vec::new(),
    };
    for (k, entry) in entries.iter().enumerate() {
        let key = format!("treatment[{k}]");
        let t = entry.get_ref();
        let target = route(cx, spec, &key, t)?;
        let amount = amount_mg(cx, params, &key, t)?;
        out.warnings.extend(implausible_dose(&key, target, amount));
        let (schedule, interval) = schedule(cx, grid, &key, entry)?;
        let within = count_within(cx, grid, &key, entry, &schedule, out.doses.len())?;
        let drug = t.drug.get_ref();
        let route = t.route.get_ref();
        let unit = t.unit.get_ref();
        let dose_text = num(*t.dose.get_ref());
        let scheduled = match schedule.len() {
            u64::MAX => format!("more than {}", u64::MAX - 1),
            n => n.to_string(),
        };
        out.described.push(format!(
            "{drug} {dose_text} {unit} {route}: {scheduled} dose(s) from day {}{} ({within} within the run)",
            num(schedule.day(0)),
            interval.map_or(String::new(), |dt| format!(" every {} days", num(dt))),
        ));
        out.doses.extend(schedule.doses_before(
            grid.duration,
            target.state,
            amount,
            &format!("{drug} {dose_text} {unit} {route}"),
        ));
    }
    Ok(out)
}

/// The drug's dose route: the drug must be one the model takes, by a route it has.
fn route<'a>(
    cx: &Ctx,
    spec: &'a Layout,
    key: &str,
    t: &RawTreatment,
) -> Result<&'a DoseRoute, ConfigError> {
    let drug = t.drug.get_ref();
    let routes: Vec<_> = spec.dose_routes.iter().filter(|r| r.drug == drug).collect();
    if routes.is_empty() {
        let known: Vec<&str> = crate::model::ModelId::from_name(spec.name)
            .map(|m| m.drugs().iter().map(|d| d.name).collect())
            .unwrap_or_default();
        let help = if known.is_empty() {
            format!("model `{}` takes no drugs", spec.name)
        } else {
            suggest(drug, known.iter().copied())
        };
        return Err(cx
            .err(
                cx.line(&t.drug),
                &format!("{key}.drug"),
                format!("model `{}` cannot be given `{drug}`", spec.name),
            )
            .with_help(help));
    }
    let route = t.route.get_ref();
    routes
        .iter()
        .find(|r| r.route == route)
        .copied()
        .ok_or_else(|| {
            cx.err(
                cx.line(&t.route),
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
            ))
        })
}

/// The dose in mg (mg/kg through the drug's body weight).
fn amount_mg(cx: &Ctx, params: &ParamSet, key: &str, t: &RawTreatment) -> Result<f64, ConfigError> {
    let drug = t.drug.get_ref();
    let dose = *t.dose.get_ref();
    check_value(cx.file, cx.line(&t.dose), &format!("{key}.dose"), dose)?;
    let mg_per_unit = match t.unit.get_ref().as_str() {
        "mg" => 1.0,
        "ug" | "µg" => 1e-3,
        "mg/kg" => match params.params.get(&format!("{drug}.body_weight")) {
            Some(bw) => bw.value,
            None => {
                return Err(cx.err(
                    cx.line(&t.unit),
                    &format!("{key}.unit"),
                    format!("`{drug}` has no body weight to convert mg/kg"),
                ));
            }
        },
        other => {
            return Err(cx
                .err(
                    cx.line(&t.unit),
                    &format!("{key}.unit"),
                    format!("unknown dose unit `{other}`"),
                )
                .with_help("use mg, ug (or µg) or mg/kg"));
        }
    };
    Ok(dose * mg_per_unit)
}

/// The schedule (`first_day`, `interval_days`, and `doses` or `last_day`), with the interval as
/// given.
fn schedule(
    cx: &Ctx,
    grid: &Grid,
    key: &str,
    entry: &Spanned<RawTreatment>,
) -> Result<(Schedule, Option<f64>), ConfigError> {
    let t = entry.get_ref();
    let first = t.first_day.as_ref().map_or(0.0, |v| *v.get_ref());
    if !(first.is_finite() && first >= grid.start) {
        return Err(cx.err(
            cx.line_of(t.first_day.as_ref()),
            &format!("{key}.first_day"),
            format!(
                "first_day must be a day >= {} (the run starts on day -run_in_days), got {}",
                num(grid.start),
                num(first)
            ),
        ));
    }
    let interval = match &t.interval_days {
        None => None,
        Some(v) => Some(cx.positive(v, &format!("{key}.interval_days"))?),
    };
    let count = t.doses.as_ref().map(|v| u64::from(*v.get_ref()));
    let last = t.last_day.as_ref().map(|v| *v.get_ref());
    if count == Some(0) {
        return Err(cx.err(
            cx.line_of(t.doses.as_ref()),
            &format!("{key}.doses"),
            "doses must be at least 1",
        ));
    }
    if let Some(l) = last
        && !(l.is_finite() && l >= first)
    {
        return Err(cx.err(
            cx.line_of(t.last_day.as_ref()),
            &format!("{key}.last_day"),
            format!(
                "last_day must be a finite day >= first_day ({}), got {}",
                num(first),
                num(l)
            ),
        ));
    }
    let at = cx.line(entry);
    let schedule = match (interval, count, last) {
        (None, None | Some(1), None) => Schedule::Once { day: first },
        (None, _, _) => {
            return Err(cx.err(
                at,
                &format!("{key}.interval_days"),
                "repeated doses need `interval_days`",
            ));
        }
        (Some(_), None, None) => {
            return Err(cx.err(
                at,
                &format!("{key}.doses"),
                "give `doses` (a count) or `last_day` with `interval_days`",
            ));
        }
        (Some(_), Some(_), Some(_)) => {
            return Err(cx.err(
                at,
                &format!("{key}.last_day"),
                "give either `doses` or `last_day`, not both",
            ));
        }
        (Some(interval), Some(doses), None) => Schedule::Count {
            first,
            interval,
            doses,
        },
        (Some(interval), None, Some(last_day)) => Schedule::Until {
            first,
            interval,
            last_day,
        },
    };
    Ok((schedule, interval))
}

/// The number of the schedule's doses within the run: at least one, and with the doses of the
/// treatments above (`earlier`) at most [`MAX_DOSES`].
fn count_within(
    cx: &Ctx,
    grid: &Grid,
    key: &str,
    entry: &Spanned<RawTreatment>,
    schedule: &Schedule,
    earlier: usize,
) -> Result<u64, ConfigError> {
    let within = schedule.count_before(grid.duration);
    if within == 0 {
        return Err(cx.err(
            cx.line(entry),
            &format!("{key}.first_day"),
            format!(
                "no dose of this treatment falls within the run (first dose on day {}, the run ends on day {})",
                num(schedule.day(0)),
                num(grid.duration)
            ),
        ));
    }
    if within > (MAX_DOSES - earlier) as u64 {
        let with = if earlier == 0 {
            String::new()
        } else {
            format!(" (with {earlier} from the treatments above)")
        };
        return Err(cx
            .err(
                cx.line(entry),
                key,
                format!(
                    "{within} doses of this treatment fall within the run{with}; a run may have at most {MAX_DOSES} doses (each is a solver restart and takes memory)"
                ),
            )
            .with_help("lengthen interval_days, give fewer doses, or shorten the run"));
    }
    Ok(within)
}

/// A warning when a dose is above `DoseRoute::PLAUSIBLE_MULTIPLE` times the largest labelled
/// single dose of its drug and route.
fn implausible_dose(key: &str, route: &DoseRoute, mg: f64) -> Option<String> {
    let hi = DoseRoute::PLAUSIBLE_MULTIPLE * route.labelled_mg;
    (mg > hi).then(|| {
        format!(
            "{key}: a dose of {mg:e} mg of `{}` ({}) is outside its plausible range 0 to {hi} mg ({} times the largest labelled dose, {} mg; docs/model.md, \"Dose ranges\")",
            route.drug,
            route.route,
            DoseRoute::PLAUSIBLE_MULTIPLE,
            route.labelled_mg
        )
    })
}
