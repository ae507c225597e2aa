//! The aliasing warning: an output grid coarser than the shortest dosing interval or the
//! shortest pharmacokinetic half-life of the dosed drugs samples the concentration curves (and
//! everything that follows them within hours) too rarely, so `timeseries.csv` and the plots show
//! a false picture: peaks fall between output times, and a repeated dose shows as a flat line or
//! a false slow oscillation. Probes (analysis endpoints, window statistics) are computed from the
//! solution itself (`engine::observe`) and are not affected.
//!
//! One warning per cause (the shortest dosing interval, the shortest half-life), each naming the
//! drug, the interval or half-life, the output interval and an output interval that resolves
//! both (`docs/drugs.md`, "Half-lives and the output grid").

use crate::config::limits;
use crate::config::num;
use crate::engine::Dose;
use crate::model::Layout;
use crate::model::drugs::{self, DrugId, HalfLife};
use crate::params::ParamSet;

/// Relative margin below which an output interval equal to a dosing interval or half-life is
/// not "coarser" (rounding of the numbers as written).
const MARGIN: f64 = 1e-9;

/// Output samples per dosing interval that the suggested output interval gives at least.
const SAMPLES_PER_DOSING_INTERVAL: f64 = 4.0;

/// What the output grid must resolve in a run: its shortest dosing interval and its shortest
/// half-life, each with its drug.
#[derive(Debug, Default)]
struct Scales {
    dosing: Option<(DrugId, f64)>,
    half_life: Option<(DrugId, HalfLife)>,
}

/// The warnings of a run with `output_interval` (day) and `duration` (day): one when the output
/// interval is coarser than the shortest dosing interval, one when it is coarser than the
/// shortest half-life.
pub(super) fn warnings(
    spec: &Layout,
    params: &ParamSet,
    doses: &[Dose],
    output_interval: f64,
    duration: f64,
) -> Vec<String> {
    let scales = scales(spec, params, doses);
    let Some(suggested) = suggestion(&scales) else {
        return Vec::new();
    };
    let resolve = resolution(spec, suggested, duration);
    let coarser = |scale: f64| output_interval > scale * (1.0 + MARGIN);
    let mut out = Vec::new();
    if let Some((drug, gap)) = scales.dosing.filter(|&(_, gap)| coarser(gap)) {
        out.push(dosing_warning(drug, gap, output_interval, &resolve));
    }
    if let Some((drug, h)) = scales.half_life.filter(|(_, h)| coarser(h.days)) {
        out.push(half_life_warning(drug, &h, output_interval, &resolve));
    }
    out
}

/// The shortest dosing interval and the shortest half-life over the dosed drugs.
fn scales(spec: &Layout, params: &ParamSet, doses: &[Dose]) -> Scales {
    let mut scales = Scales::default();
    for &(id, first) in &spec.drugs {
        let own: Vec<&Dose> = doses
            .iter()
            .filter(|d| (first..first + id.drug().pk.compartments()).contains(&d.state))
            .collect();
        if let Some(gap) = shortest_gap(&own)
            && scales.dosing.is_none_or(|(_, g)| gap < g)
        {
            scales.dosing = Some((id, gap));
        }
        let Some(dosed) = own.iter().map(|d| d.state - first).min() else {
            continue;
        };
        // A process matters when its compartment receives drug: the dosed one or one after it
        // (an intravenous dose never passes the depot).
        for h in drugs::half_lives(id, params) {
            if h.compartment >= dosed && scales.half_life.is_none_or(|(_, s)| h.days < s.days) {
                scales.half_life = Some((id, h));
            }
        }
    }
    scales
}

/// The shortest time between two consecutive doses of one drug (doses on the same day, such as
/// an intravenous and a subcutaneous loading dose, are one administration).
fn shortest_gap(doses: &[&Dose]) -> Option<f64> {
    let mut times: Vec<f64> = doses.iter().map(|d| d.time).collect();
    times.sort_by(f64::total_cmp);
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|&gap| gap > 0.0)
        .min_by(f64::total_cmp)
}

/// The output interval to suggest: the largest power of two (an exact binary number, so the
/// output times stay exact) that is at most the shortest half-life and a quarter of the shortest
/// dosing interval. `None` without doses.
fn suggestion(scales: &Scales) -> Option<f64> {
    let dosing = scales
        .dosing
        .map(|(_, gap)| gap / SAMPLES_PER_DOSING_INTERVAL);
    let half_life = scales.half_life.map(|(_, h)| h.days);
    let bound = match (dosing, half_life) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    (bound.is_finite() && bound > 0.0).then(|| 2f64.powf(bound.log2().floor()))
}

/// The closing words of a warning: what to set, and whether the run can hold that many rows.
fn resolution(spec: &Layout, suggested: f64, duration: f64) -> String {
    let fraction = if suggested < 1.0 {
        format!(" (1/{} day)", num(1.0 / suggested))
    } else {
        String::new()
    };
    let mut text = format!(
        "output_interval_days = {}{fraction} or less resolves it",
        num(suggested)
    );
    let columns = 1 + spec.states.len() + spec.derived.len();
    let rows = limits::output_rows(duration, suggested);
    let max_rows = limits::max_output_rows(columns);
    if rows > max_rows as f64 {
        text.push_str(&format!(
            ", but a run of {} days would then write about {} rows, more than the {max_rows} allowed: shorten duration_days to see the doses one by one",
            num(duration),
            limits::count(rows)
        ));
    }
    text
}

/// What every aliasing warning says about its consequences.
const CONSEQUENCES: &str = "analysis endpoints and window statistics (value at a day, minimum, maximum, mean, AUC, trough) are computed from the solution itself and are not affected";

/// The warning for an output interval coarser than the shortest dosing interval `gap`.
fn dosing_warning(drug: DrugId, gap: f64, output_interval: f64, resolve: &str) -> String {
    format!(
        "output_interval_days: the output interval ({} day) is coarser than the shortest dosing interval, {} between doses of `{}`: the curves in timeseries.csv and the plots alias on this grid ({}); {CONSEQUENCES}; {resolve}",
        num(output_interval),
        duration(gap),
        drug.name(),
        alias(gap, output_interval),
    )
}

/// The warning for an output interval coarser than the shortest half-life `h`.
fn half_life_warning(drug: DrugId, h: &HalfLife, output_interval: f64, resolve: &str) -> String {
    format!(
        "output_interval_days: the output interval ({} day) is coarser than the shortest pharmacokinetic half-life of the dosed drugs, the {} half-life of `{}` ({}, {}): the curves in timeseries.csv and the plots cannot follow its concentration between output times and alias on this grid (peaks fall between output times, and repeated doses show as a flat line or a false slow oscillation); {CONSEQUENCES}; {resolve}",
        num(output_interval),
        h.process,
        drug.name(),
        duration(h.days),
        h.formula,
    )
}

/// What a drug dosed every `gap` days looks like sampled every `output_interval` days: each
/// sample advances the dosing cycle by the fractional part of `output_interval / gap`, so the
/// samples trace a false cycle of `output_interval / d` days, `d` the distance of that ratio from
/// the nearest whole number (none when it is whole: every sample falls at the same point).
fn alias(gap: f64, output_interval: f64) -> String {
    let ratio = output_interval / gap;
    let d = (ratio - ratio.round()).abs();
    let dosed = format!(
        "a drug dosed every {} and sampled every {} day",
        duration(gap),
        num(output_interval)
    );
    if d < MARGIN * ratio {
        format!(
            "{dosed} is seen at the same point of every dosing cycle: a flat line instead of its peaks and troughs"
        )
    } else {
        format!(
            "{dosed} shows a false slow oscillation with a period of {}",
            duration(output_interval / d)
        )
    }
}

/// A duration in days with three significant digits, and in hours or minutes below a day
/// (`0.5 day = 12 h`).
fn duration(days: f64) -> String {
    let hours = days * 24.0;
    let finer = if days >= 1.0 {
        String::new()
    } else if hours >= 1.0 {
        format!(" = {} h", significant(hours))
    } else {
        format!(" = {} min", significant(hours * 60.0))
    };
    format!("{} day{finer}", significant(days))
}

/// `x` with three significant digits, trailing zeros dropped.
fn significant(x: f64) -> String {
    if !(x.is_finite() && x > 0.0) {
        return num(x);
    }
    let decimals = (2 - x.log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{alias, duration, significant};

    #[test]
    fn durations_are_short_and_carry_units() {
        assert_eq!(significant(0.006931471805599453), "0.00693");
        assert_eq!(significant(7.2995), "7.3");
        assert_eq!(significant(182.625), "183");
        assert_eq!(duration(0.5), "0.5 day = 12 h");
        assert_eq!(duration(0.006931471805599453), "0.00693 day = 9.98 min");
        assert_eq!(duration(4.077), "4.08 day");
    }

    #[test]
    fn the_false_period_of_a_sampled_dosing_cycle() {
        // 7.609375 / 0.5 = 15.21875: each sample advances 0.21875 of a cycle.
        assert!(alias(0.5, 7.609375).contains("period of 34.8 day"));
        assert!(alias(0.5, 7.0).contains("flat line"));
        assert!(alias(1.0, 7.609375).contains("period of 19.5 day"));
    }
}
