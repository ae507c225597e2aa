//! `compare`: the bone-mass curves of several runs in one CSV (long format) and overlaid plots.

use super::OutputError;
use super::plot::{self, Series};
use crate::engine::Trajectory;
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

/// Writes `compare.csv` (columns `scenario,t_day,<bone-mass columns>`) and one overlay plot per
/// bone-mass column that every run has, with each arm's doses marked in its colour. Returns the
/// files written.
pub fn write(dir: &Path, runs: &[Arm]) -> Result<Vec<String>, OutputError> {
    let csv_path = dir.join("compare.csv");
    let columns: Vec<&(&str, &str, &str, f64)> = BONE_COLUMNS
        .iter()
        .filter(|(c, ..)| runs.iter().all(|(_, t, _)| t.column(c).is_some()))
        .collect();
    if columns.is_empty() {
        return Err(OutputError::at(
            &csv_path,
            std::io::Error::other(
                "compare needs scenarios whose model has bone mass (models bone, immunoporosis)",
            ),
        ));
    }
    let mut text = String::from("scenario,t_day");
    for (c, ..) in &columns {
        text.push(',');
        text.push_str(c);
    }
    text.push('\n');
    for (name, traj, _) in runs {
        let t = traj.column("t_day").unwrap_or(&[]);
        for (k, time) in t.iter().enumerate() {
            let _ = write!(text, "{name},{time}");
            for (c, ..) in &columns {
                let _ = write!(text, ",{:e}", traj.column(c).map_or(f64::NAN, |v| v[k]));
            }
            text.push('\n');
        }
    }
    std::fs::write(&csv_path, text).map_err(|e| OutputError::at(&csv_path, e))?;
    let mut files = vec!["compare.csv".to_string()];
    for (column, stem, title, offset) in columns {
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
        let markers: Vec<plot::Marker> = runs
            .iter()
            .enumerate()
            .flat_map(|(k, (_, _, doses))| doses.iter().map(move |t| (*t, Some(k))))
            .collect();
        plot::draw_series_marked(
            dir,
            stem,
            title,
            "change from baseline (%)",
            &series,
            &markers,
        )?;
        files.push(format!("{stem}.png"));
        files.push(format!("{stem}.svg"));
    }
    Ok(files)
}
