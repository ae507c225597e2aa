//! Every bundled scenario against its reference outputs (`tests/data/reference_outputs/`),
//! written by the program before a structural change (issue 10: the per-scenario state layout
//! and the fast solver path). A change that is meant to leave the model alone must reproduce
//! them within 1e-6 relative; work that changes the model on purpose rewrites them in its own
//! commit (`IMMUNOPOROSIS_WRITE_REFERENCE=1 cargo test --release --test it -- --ignored
//! write_reference_outputs`), saying why.
//!
//! Each file holds at most [`ROWS`] rows of `timeseries.csv` (evenly spaced over the run, and the
//! last) and every column, each number in Rust's shortest round-trip form. A value may differ by
//! 1e-6 of itself, or of 1e-3 of its column's largest value where it is smaller (near zero), or,
//! for a state, by ten times its absolute tolerance (what the solver does not resolve). A column of the
//! reference that a run no longer writes must have been zero throughout (a drug that the scenario
//! does not give); every column a run writes must be in the reference.

use crate::util::{read_csv, root, run};
use immunoporosis::engine::Trajectory;
use std::path::PathBuf;

/// Largest number of rows kept per scenario.
const ROWS: usize = 60;

/// Allowed difference: `RTOL * max(|reference|, FLOOR * largest |reference| of the column)`.
const RTOL: f64 = 1e-6;
/// Below this fraction of a column's scale, a value counts as near zero (a change in % crossing
/// zero, a drug concentration between doses): there the difference is relative to the scale.
const FLOOR: f64 = 1e-3;
/// A state's values below its absolute tolerance are not resolved by the solver (a drug amount
/// of 1e-15 mg weeks after a dose): a state may also differ by this many absolute tolerances.
const ATOL_MULTIPLE: f64 = 10.0;

fn reference_dir() -> PathBuf {
    root().join("tests/data/reference_outputs")
}

/// File stems of every bundled scenario.
fn bundled_scenarios() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(root().join("params/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    stems
}

/// Indices of the rows kept: evenly spaced, always the first and the last.
fn kept_rows(len: usize) -> Vec<usize> {
    let step = len.div_ceil(ROWS).max(1);
    let mut rows: Vec<usize> = (0..len).step_by(step).collect();
    if rows.last() != Some(&(len - 1)) {
        rows.push(len - 1);
    }
    rows
}

fn reference_text(t: &Trajectory) -> String {
    let mut text = t.columns.join(",");
    text.push('\n');
    for i in kept_rows(t.len()) {
        let row: Vec<String> = t.data.iter().map(|c| format!("{}", c[i])).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

/// Writes the reference files (only on request: it replaces the committed references).
#[test]
#[ignore = "writes tests/data/reference_outputs; run on purpose when the model changes"]
fn write_reference_outputs() {
    if std::env::var_os("IMMUNOPOROSIS_WRITE_REFERENCE").is_none() {
        panic!("set IMMUNOPOROSIS_WRITE_REFERENCE=1 to replace the reference outputs");
    }
    std::fs::create_dir_all(reference_dir()).unwrap();
    for stem in bundled_scenarios() {
        let r = run(&stem);
        let path = reference_dir().join(format!("{stem}.csv"));
        std::fs::write(&path, reference_text(&r.trajectory)).unwrap();
    }
}

/// The differences of one scenario, as messages (empty when it reproduces its reference).
fn differences(stem: &str) -> Vec<String> {
    let (columns, rows) = read_csv(&reference_dir().join(format!("{stem}.csv")));
    compare(stem, &columns, &rows)
}

/// The differences between a scenario's run and reference rows.
fn compare(stem: &str, columns: &[String], rows: &[Vec<f64>]) -> Vec<String> {
    let scenario = crate::util::load(stem);
    let got = run(stem).trajectory;
    let layout = scenario.spec.layout();
    let atol = |name: &str| -> f64 {
        let Some(i) = layout.states.iter().position(|s| s.column == name) else {
            return 0.0;
        };
        let own = scenario.spec.atol_states.iter().find(|(k, _)| *k == i);
        own.map_or(scenario.spec.solver.atol, |(_, a)| *a)
    };
    let times = got.column("t_day").unwrap();
    let mut problems = Vec::new();
    for name in &got.columns {
        if !columns.contains(name) {
            problems.push(format!("{stem}: column {name} is not in the reference"));
        }
    }
    for (j, name) in columns.iter().enumerate() {
        let want: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let Some(column) = got.column(name) else {
            if scale != 0.0 {
                problems.push(format!("{stem}: column {name} is missing but was not zero"));
            }
            continue;
        };
        for (row, w) in rows.iter().zip(&want) {
            let t = row[0];
            let Some(i) = times
                .iter()
                .position(|x| (x - t).abs() <= 1e-9 * t.abs().max(1.0))
            else {
                problems.push(format!("{stem}: no output row at t = {t} day"));
                break;
            };
            let allowed = (RTOL * w.abs().max(FLOOR * scale)).max(ATOL_MULTIPLE * atol(name));
            if (column[i] - w).abs() > allowed {
                problems.push(format!(
                    "{stem}: {name} at t = {t} day is {}, reference {w} (allowed difference {allowed:e})",
                    column[i]
                ));
                break;
            }
        }
    }
    problems
}

#[test]
fn every_bundled_scenario_reproduces_its_reference_outputs() {
    let stems = bundled_scenarios();
    assert!(stems.len() >= 29, "bundled scenarios: {}", stems.len());
    let problems: Vec<String> = stems.iter().flat_map(|s| differences(s)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reference_comparison_detects_a_change_of_one_part_in_a_hundred_thousand() {
    // The comparison itself must be able to fail: the same run against a reference copy with
    // one value changed by 1e-5 of itself, and with a drug column that was not zero.
    let (columns, mut rows) = read_csv(&reference_dir().join("menopause_natural.csv"));
    assert!(compare("menopause_natural", &columns, &rows).is_empty());
    let j = columns.iter().position(|c| c == "OCa_pM").unwrap();
    let last = rows.len() - 1;
    rows[last][j] *= 1.0 + 1e-5;
    let problems = compare("menopause_natural", &columns, &rows);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("OCa_pM at t = 3652.5 day"),
        "{problems:?}"
    );
    rows[last][j] /= 1.0 + 1e-5;
    let mut with_drug = columns.clone();
    with_drug.push("denosumab_central_mg".into());
    for r in &mut rows {
        r.push(1.0);
    }
    let problems = compare("menopause_natural", &with_drug, &rows);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("denosumab_central_mg is missing")),
        "{problems:?}"
    );
}
