//! `compare`: the bone-mass curves of several runs in one CSV (long format) and overlaid plots.
//!
//! What can be compared is decided from the models' declarations before anything is simulated
//! ([`plan`]): the bone-mass columns when every model has them; otherwise the columns all the
//! models share, in the CSV only (the bone-mass plots are skipped with a warning); and nothing at
//! all (an error, before simulating) when the models share no column.

use super::OutputError;
use super::plot::{self, Plotted, Series};
use crate::engine::Trajectory;
use crate::model::Layout;
use std::fmt::Write as _;
use std::path::Path;

/// Bone-mass columns, with the plot each gets: (column, file stem, title, offset).
const BONE_COLUMNS: [(&str, &str, &str, f64); 3] = [
    (
        "bmd_lumbar_spine_change_pct",
        "compare_lumbar_spine",
        "Lumbar spine BMD",
        0.0,
    ),
    (
        "bmd_total_hip_change_pct",
        "compare_total_hip",
        "Total hip BMD",
        0.0,
    ),
    (
        "bone_volume_pct",
        "compare_bone_volume",
        "Whole-skeleton bone volume",
        100.0,
    ),
];

/// One arm of a comparison: scenario name, trajectory, dose times (days).
pub type Arm<'a> = (&'a str, &'a Trajectory, Vec<f64>);

/// What a comparison writes, decided from the models alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Columns of `compare.csv` after `scenario,t_day`.
    pub columns: Vec<String>,
    /// Overlay plots: (column, file stem, title, offset).
    pub plots: Vec<(String, String, String, f64)>,
    /// Warnings for the user (plots that will not be drawn).
    pub warnings: Vec<String>,
}

/// Decides what the scenarios of these models can be compared on. `Err` (with the reason) when
/// the models share no output column.
pub fn plan(models: &[Layout]) -> Result<Plan, String> {
    let columns_of = |m: &Layout| -> Vec<&'static str> {
        m.states
            .iter()
            .map(|s| s.column)
            .chain(m.derived.iter().map(|d| d.column))
            .collect()
    };
    let all_have = |c: &str| models.iter().all(|m| columns_of(m).contains(&c));
    let bone: Vec<_> = BONE_COLUMNS.iter().filter(|(c, ..)| all_have(c)).collect();
    if !bone.is_empty() {
        return Ok(Plan {
            columns: bone.iter().map(|(c, ..)| c.to_string()).collect(),
            plots: bone
                .iter()
                .map(|(c, stem, title, offset)| {
                    (c.to_string(), stem.to_string(), title.to_string(), *offset)
                })
                .collect(),
            warnings: Vec::new(),
        });
    }
    let mut distinct: Vec<&str> = models.iter().map(|m| m.name).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let shared: Vec<String> = models
        .first()
        .map(columns_of)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| all_have(c))
        .map(str::to_string)
        .collect();
    let without: Vec<&str> = distinct
        .iter()
        .copied()
        .filter(|n| {
            let m = models.iter().find(|m| m.name == *n);
            m.is_some_and(|m| !columns_of(m).contains(&"bone_volume_pct"))
        })
        .collect();
    if shared.is_empty() {
        return Err(format!(
            "nothing to compare: the models {} share no output column (compare overlays bone mass, which only models bone and immunoporosis have)",
            distinct.join(", "),
        ));
    }
    Ok(Plan {
        warnings: vec![format!(
            "model {} has no bone mass: the bone-mass plots are skipped; compare.csv holds the columns the models share ({})",
            without.join(", "),
            shared.join(", ")
        )],
        columns: shared,
        plots: Vec::new(),
    })
}

/// What [`write`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// Files written, relative to the folder.
    pub files: Vec<String>,
    /// Plots that could not be drawn, one line each.
    pub warnings: Vec<String>,
}

/// Writes `compare.csv` (columns `scenario,t_day,<plan columns>`) and the plan's overlay plots,
/// with each arm's doses marked in its colour. A plot that cannot be drawn is skipped (its reason
/// in [`Written::warnings`]); the CSV is always written.
pub fn write(
    dir: &Path,
    runs: &[Arm],
    plan: &Plan,
    opts: &plot::FigureOptions,
) -> Result<Written, OutputError> {
    let csv_path = dir.join("compare.csv");
    let mut text = String::from("scenario,t_day");
    for c in &plan.columns {
        text.push(',');
        text.push_str(c);
    }
    text.push('\n');
    for (name, traj, _) in runs {
        let t = traj.column("t_day").unwrap_or(&[]);
        for (k, time) in t.iter().enumerate() {
            let _ = write!(text, "{name},{time}");
            for c in &plan.columns {
                let _ = write!(text, ",{:e}", traj.column(c).map_or(f64::NAN, |v| v[k]));
            }
            text.push('\n');
        }
    }
    std::fs::write(&csv_path, text).map_err(|e| OutputError::at(&csv_path, e))?;
    let mut written = Written {
        files: vec!["compare.csv".to_string()],
        warnings: Vec::new(),
    };
    for (column, stem, title, offset) in &plan.plots {
        let series: Vec<Series> = runs
            .iter()
            .map(|(name, traj, _)| {
                let t = traj.column("t_day").unwrap_or(&[]);
                let y = traj.column(column).unwrap_or(&[]);
                (
                    name.to_string(),
                    t.iter().zip(y).map(|(t, y)| (*t, y - offset)).collect(),
                )
            })
            .collect();
        let mut plot = plot::LinePlot::over_time(
            title,
            &format!("{} scenarios compared", runs.len()),
            &if *offset == 0.0 {
                super::figures::column_label(column)
            } else {
                "change from baseline (%)".to_string()
            },
        );
        plot.series = series;
        plot.doses = runs
            .iter()
            .enumerate()
            .filter(|(_, (_, _, doses))| !doses.is_empty())
            .map(|(k, (name, _, doses))| plot::DoseRow {
                label: name.to_string(),
                times: doses.clone(),
                series: Some(k),
            })
            .collect();
        match plot::draw_lines(dir, stem, &plot, opts)? {
            Plotted::Drawn => written.files.extend(opts.files(stem)),
            Plotted::Skipped(why) => written.warnings.push(why),
        }
    }
    Ok(written)
}
