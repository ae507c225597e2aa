//! The aliasing case of issue 10: tofacitinib 5 mg orally twice daily in the immunoporosis
//! model. Probes (value at a day, window minimum, maximum, mean, AUC, trough) come from the
//! solution itself, so a weekly and a daily output grid give the same numbers; a fine grid shows
//! they are the right numbers, and the weekly grid's own mean shows the aliasing they avoid.
//! `check` and `run` warn about the weekly grid (and not about a fine one); the half-lives the
//! warning quotes are those of the drugs' rate equations.

use crate::util::parse;
use immunoporosis::config::bundled_params;
use immunoporosis::engine::{self, Observation, Probe, RunResult, Statistic, Trajectory};
use immunoporosis::model::ModelId;
use immunoporosis::model::drugs::{self, DRUGS, Dosed, DrugId, Pk};
use std::f64::consts::LN_2;
use std::process::{Command, Output};

/// Tofacitinib 5 mg orally every 0.5 day for 120 days in active rheumatoid arthritis, with
/// output every `dt` days.
fn scenario(dt: &str) -> String {
    format!(
        r#"name = "tofacitinib_bid"
description = "Rheumatoid arthritis treated with tofacitinib 5 mg orally twice daily"
model = "immunoporosis"
duration_days = 120.0
output_interval_days = {dt}

[[input]]
name = "disease_activity"
value = 1.0
unit = "1"

[[treatment]]
drug = "tofacitinib"
dose = 5.0
unit = "mg"
route = "oral"
first_day = 0.0
interval_days = 0.5
doses = 240
"#
    )
}

/// The window of the statistics (steady dosing from day 56).
const WINDOW: (f64, f64) = (56.0, 112.0);

/// Weekly output: 7 days is 14 dosing intervals, so every output time is a dose time.
const WEEKLY: &str = "7.0";
/// Daily output.
const DAILY: &str = "1.0";
/// 1/256 day (5.6 min): finer than tofacitinib's absorption half-life (10 min), so it resolves
/// every peak and draws no warning (0.01 day, 14 min, would still be coarser).
const FINE: &str = "0.00390625";

const COLUMNS: [&str; 2] = ["tofacitinib_ng_per_mL", "STAT3_rel"];

fn probes() -> Vec<Probe> {
    let (a, b) = WINDOW;
    let mut probes = Vec::new();
    for column in COLUMNS {
        for statistic in [
            Statistic::Mean(a, b),
            Statistic::Min(a, b),
            Statistic::Max(a, b),
            Statistic::Auc(a, b),
            Statistic::Trough(a, b),
        ] {
            probes.push(Probe {
                column: column.to_string(),
                statistic,
            });
        }
    }
    for column in COLUMNS
        .into_iter()
        .chain(["OCa_pM", "bmd_lumbar_spine_change_pct"])
    {
        for day in [100.0, 100.2] {
            probes.push(Probe {
                column: column.to_string(),
                statistic: Statistic::At(day),
            });
        }
    }
    probes
}

/// Runs the scenario with output every `dt` days: its trajectory and the probes' values.
fn run(dt: &str, probes: &[Probe]) -> (RunResult, Vec<f64>) {
    let s = parse(&scenario(dt)).unwrap_or_else(|e| panic!("{e}"));
    let observation = Observation {
        trajectory: true,
        probes,
    };
    let result = engine::simulate_observed(&s.spec, &observation).expect("runs");
    let values = result
        .probes
        .iter()
        .zip(probes)
        .map(|(v, p)| v.clone().unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .collect();
    (result, values)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// A column's (time, value) rows with time in the window `(a, b]`.
fn rows_in(t: &Trajectory, column: &str) -> Vec<(f64, f64)> {
    let (a, b) = WINDOW;
    let values = t.column(column).expect("column");
    let days = t.column("t_day").expect("time column");
    days.iter()
        .copied()
        .zip(values.iter().copied())
        .filter(|&(day, _)| day > a && day <= b)
        .collect()
}

/// The value of `statistic` in the probe list.
fn probe(probes: &[Probe], values: &[f64], column: &str, statistic: Statistic) -> f64 {
    let i = probes
        .iter()
        .position(|p| p.column == column && p.statistic == statistic)
        .expect("probe asked for");
    values[i]
}

#[test]
fn window_statistics_of_twice_daily_tofacitinib_do_not_depend_on_the_output_grid() {
    let probes = probes();
    let (weekly, w) = run(WEEKLY, &probes);
    let (_, d) = run(DAILY, &probes);
    let (fine, f) = run(FINE, &probes);
    assert_eq!(weekly.trajectory.len(), 19); // days 0, 7, ..., 119 and the end, 120

    // Weekly and daily: the same probes (the steps never see the grid).
    let mut largest = 0.0_f64;
    for ((p, &a), &b) in probes.iter().zip(&w).zip(&d) {
        assert!(a.is_finite() && a != 0.0, "{p:?} = {a}");
        assert!(rel(a, b) <= 1e-6, "{p:?}: weekly {a}, daily {b}");
        largest = largest.max(rel(a, b));
    }
    for ((p, &a), &c) in probes.iter().zip(&w).zip(&f) {
        assert!(rel(a, c) <= 1e-6, "{p:?}: weekly {a}, every 1/256 day {c}");
        largest = largest.max(rel(a, c));
    }
    println!("largest relative difference of a probe between the grids: {largest:e}");

    let (a, b) = WINDOW;
    let c = COLUMNS[0];
    let mean = probe(&probes, &w, c, Statistic::Mean(a, b));
    let auc = probe(&probes, &w, c, Statistic::Auc(a, b));
    let min = probe(&probes, &w, c, Statistic::Min(a, b));
    let max = probe(&probes, &w, c, Statistic::Max(a, b));
    let trough = probe(&probes, &w, c, Statistic::Trough(a, b));
    assert!(rel(mean * (b - a), auc) < 1e-12, "mean {mean}, AUC {auc}");

    // The fine grid resolves the curve: its extremes approach the probes' from inside, and its
    // trapezoidal mean approaches the probe's mean.
    let rows = rows_in(&fine.trajectory, c);
    let grid_max = rows.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
    let grid_min = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let trapezoid: f64 = rows
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum::<f64>()
        / (rows[rows.len() - 1].0 - rows[0].0);
    println!(
        "{c} over ({a}, {b}]: probes min {min}, max {max}, mean {mean}, trough {trough}; every 1/256 day the grid gives min {grid_min} ({:.1e}), max {grid_max} ({:.1e}), trapezoidal mean {trapezoid} ({:.1e})",
        rel(grid_min, min),
        rel(grid_max, max),
        rel(trapezoid, mean)
    );
    assert!(grid_max <= max * (1.0 + 1e-9) && rel(grid_max, max) < 1e-3);
    assert!(grid_min >= min * (1.0 - 1e-9) && rel(grid_min, min) < 1e-3);
    assert!(rel(trapezoid, mean) < 1e-3);
    let s = COLUMNS[1];
    let stat3 = rows_in(&fine.trajectory, s);
    let stat3_max = stat3.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
    let stat3_min = stat3.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let (s_min, s_max) = (
        probe(&probes, &w, s, Statistic::Min(a, b)),
        probe(&probes, &w, s, Statistic::Max(a, b)),
    );
    println!(
        "{s}: probes min {s_min}, max {s_max}; every 1/256 day the grid gives min {stat3_min} ({:.1e}), max {stat3_max} ({:.1e})",
        rel(stat3_min, s_min),
        rel(stat3_max, s_max)
    );
    assert!(stat3_max <= s_max * (1.0 + 1e-9) && rel(stat3_max, s_max) < 1e-3);
    assert!(stat3_min >= s_min * (1.0 - 1e-9) && rel(stat3_min, s_min) < 1e-3);
    assert!(
        max > 5.0 * min,
        "the twice-daily swing: {min} to {max} ng/mL"
    );

    // The weekly grid alone: every output time is a dose time, where a row shows the value just
    // before the dose, so its samples are troughs and their mean is far below the true mean.
    let samples = rows_in(&weekly.trajectory, c);
    assert_eq!(samples.len(), 8);
    let weekly_mean = samples.iter().map(|r| r.1).sum::<f64>() / samples.len() as f64;
    let stat3_weekly = rows_in(&weekly.trajectory, s);
    let stat3_weekly_mean = stat3_weekly.iter().map(|r| r.1).sum::<f64>() / 8.0;
    let stat3_mean = probe(&probes, &w, s, Statistic::Mean(a, b));
    println!(
        "the weekly grid's own mean {weekly_mean} ng/mL vs the probe's {mean} ng/mL ({:.0} % off); trough {trough}; {s}: weekly grid mean {stat3_weekly_mean} vs probe {stat3_mean} ({:.1} % off)",
        100.0 * rel(weekly_mean, mean),
        100.0 * rel(stat3_weekly_mean, stat3_mean)
    );
    assert!(rel(weekly_mean, mean) > 0.5, "{weekly_mean} vs {mean}");
    // The read-out's swing is damped by receptor saturation (K_STAT), so its weekly bias is
    // smaller than the concentration's, but still thirty times the probes' own error against
    // the 1/256-day grid (below 6e-4 above).
    assert!(
        rel(stat3_weekly_mean, stat3_mean) > 30.0 * 6e-4,
        "{stat3_weekly_mean} vs {stat3_mean}"
    );
    for (day, v) in samples {
        assert!(
            rel(v, trough) < 1e-9,
            "day {day}: {v} is not the trough {trough}"
        );
    }
}

#[test]
fn the_half_lives_are_those_of_the_rate_equations() {
    let p = bundled_params(ModelId::Immunoporosis).unwrap();
    for id in DrugId::all() {
        let drug = id.drug();
        let dosed = Dosed::new(id, 0, &p);
        let half_lives = drugs::half_lives(id, &p);
        // Every compartment but a bisphosphonate's bone-bound pool (released by resorption).
        let expected = match drug.pk {
            Pk::Bisphosphonate { .. } => drug.compartments.len() - 1,
            _ => drug.compartments.len(),
        };
        assert_eq!(half_lives.len(), expected, "{}", drug.name);
        for h in half_lives {
            // A small amount in the compartment alone: its outflow rate is first order (and
            // denosumab's Michaelis-Menten term linear, Km far above the concentration).
            let mut a = vec![0.0; dosed.len];
            a[h.compartment] = 1e-9;
            let mut da = vec![0.0; dosed.len];
            dosed.rates(&a, 0.0, &mut da);
            let from_rates = LN_2 / (-da[h.compartment] / a[h.compartment]);
            assert!(
                rel(h.days, from_rates) < 1e-6,
                "{} {}: {} vs {from_rates} day",
                drug.name,
                h.process,
                h.days
            );
        }
    }
    assert_eq!(DRUGS.len(), DrugId::all().count());
    // The numbers the bundled files give (ln 2 / ka; ln 2 V / CL from the label's 3.2 h).
    let tofa = drugs::half_lives(DrugId::from_name("tofacitinib").unwrap(), &p);
    assert!(rel(tofa[0].days, LN_2 / 100.0) < 1e-12);
    assert!(
        rel(tofa[1].days * 24.0, 3.2) < 0.01,
        "{}",
        tofa[1].days * 24.0
    );
}

fn bin(args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

#[test]
fn check_and_run_warn_about_the_weekly_grid_and_not_about_a_fine_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("weekly.toml"), scenario(WEEKLY)).unwrap();
    std::fs::write(dir.path().join("fine.toml"), scenario(FINE)).unwrap();
    for args in [
        vec!["check", "weekly.toml"],
        vec!["run", "weekly.toml", "--out", "weekly"],
    ] {
        let out = bin(&args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("warning: output_interval_days:"))
            .collect();
        assert_eq!(warnings.len(), 2, "one per cause: {err}");
        let (dosing, half_life) = (warnings[0], warnings[1]);
        for fragment in [
            "output interval (7 day) is coarser than the shortest dosing interval, 0.5 day = 12 h between doses of `tofacitinib`",
            "sampled every 7 day is seen at the same point of every dosing cycle: a flat line",
        ] {
            assert!(dosing.contains(fragment), "{args:?}: {dosing}");
        }
        for fragment in [
            "output interval (7 day) is coarser than the shortest pharmacokinetic half-life",
            "the absorption half-life of `tofacitinib` (0.00693 day = 9.98 min, ln 2 / ka)",
            "alias",
        ] {
            assert!(half_life.contains(fragment), "{args:?}: {half_life}");
        }
        for w in warnings {
            assert!(
                w.contains("window statistics")
                    && w.contains("computed from the solution itself and are not affected")
                    && w.ends_with(
                        "output_interval_days = 0.00390625 (1/256 day) or less resolves it"
                    ),
                "{args:?}: {w}"
            );
        }
    }
    for args in [
        vec!["check", "fine.toml"],
        vec!["run", "fine.toml", "--out", "fine"],
    ] {
        let out = bin(&args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(!err.contains("output_interval_days"), "{args:?}: {err}");
    }
    assert!(dir.path().join("fine/timeseries.csv").is_file());
}
