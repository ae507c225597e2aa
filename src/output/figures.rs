//! The figures of a run: the model's own (`PlotSpec`s), a multi-panel "clinical" figure (spine
//! and hip BMD, CTX and P1NP, drug concentrations) and a "mechanism" figure (bone cells,
//! RANKL and OPG, key cytokines), each with the scenario's description as subtitle, published
//! points of the same scenario and column, and the doses as a strip of ticks, one row per drug.
//! Also the human labels of output columns.

use super::OutputError;
use super::plot::{self, DoseRow, FigureOptions, LinePlot, Plotted, Published, RunContext, Source};
use crate::config::{PublishedPoint, Scenario};
use crate::engine::Trajectory;

/// The context of a scenario's figures: its description, its doses by drug and `published`.
pub fn run_context(scenario: &Scenario, published: &[PublishedPoint]) -> RunContext {
    let layout = scenario.spec.layout();
    let mut doses: Vec<DoseRow> = Vec::new();
    for (id, first) in &layout.drugs {
        let states = *first..first + id.drug().compartments.len();
        let times: Vec<f64> = scenario
            .spec
            .protocol
            .doses
            .iter()
            .filter(|d| states.contains(&d.state))
            .map(|d| d.time)
            .collect();
        if !times.is_empty() {
            doses.push(DoseRow {
                label: id.name().to_string(),
                times,
                series: None,
            });
        }
    }
    let description = if scenario.description.is_empty() {
        scenario.name.clone()
    } else {
        scenario.description.clone()
    };
    RunContext {
        description,
        doses,
        published: published
            .iter()
            .map(|p| {
                (
                    p.column.clone(),
                    Published {
                        series: 0,
                        x: p.time_days,
                        value: p.value,
                        lo: p.lo,
                        hi: p.hi,
                        source: if p.calibration {
                            Source::Calibration
                        } else {
                            Source::Validation
                        },
                    },
                )
            })
            .collect(),
    }
}

/// What the figures of a run wrote: file names and the reasons of skipped figures.
#[derive(Debug, Default)]
pub struct RunFigures {
    /// Files written, relative to the folder.
    pub files: Vec<String>,
    /// Figures skipped, one line each.
    pub skipped: Vec<String>,
}

/// One figure of a run to draw.
enum Job<'a> {
    /// A model's own figure.
    Spec(&'a crate::model::PlotSpec),
    /// A multi-panel figure: stem, title, panels.
    Panels(&'static str, &'static str, Vec<LinePlot>),
}

/// Draws every figure of a run into `dir`, in parallel (each figure is independent and writes
/// its own files); the files and skipped figures are listed in the figures' order.
pub fn write_run_figures(
    dir: &std::path::Path,
    traj: &Trajectory,
    plots: &[crate::model::PlotSpec],
    cx: &RunContext,
    opts: &FigureOptions,
) -> Result<RunFigures, OutputError> {
    use rayon::prelude::*;
    let mut jobs: Vec<Job> = plots.iter().map(Job::Spec).collect();
    for (stem, title, panels) in [
        ("clinical", "Clinical read-outs", clinical(traj, cx)),
        ("mechanism", "Mechanism", mechanism(traj)),
    ] {
        // A model without these columns (Lemaire 2004) has no such figure: not a warning.
        if !panels.is_empty() {
            jobs.push(Job::Panels(stem, title, panels));
        }
    }
    let drawn: Vec<(&str, Result<Plotted, OutputError>)> = jobs
        .par_iter()
        .map(|job| match job {
            Job::Spec(p) => (p.file_stem, plot::draw(dir, traj, p, cx, opts)),
            Job::Panels(stem, title, panels) => (
                *stem,
                plot::draw_panels(dir, stem, title, &cx.description, panels, opts),
            ),
        })
        .collect();
    let mut out = RunFigures::default();
    for (stem, result) in drawn {
        match result? {
            Plotted::Drawn => out.files.extend(opts.files(stem)),
            Plotted::Skipped(why) => out.skipped.push(why),
        }
    }
    Ok(out)
}

/// A panel of `columns` (label, column, divide by the first value) against time, if the run has
/// every column.
fn panel(
    traj: &Trajectory,
    title: &str,
    y_label: &str,
    columns: &[(&str, &str)],
    relative: bool,
    cx: Option<&RunContext>,
) -> Option<LinePlot> {
    let t = traj.column("t_day")?;
    let mut p = LinePlot::over_time(title, "", y_label);
    for (k, (label, column)) in columns.iter().enumerate() {
        let y = traj.column(column)?;
        let base = if relative { y.first().copied()? } else { 1.0 };
        p.series.push((
            label.to_string(),
            t.iter().zip(y).map(|(t, y)| (*t, y / base)).collect(),
        ));
        if let Some(cx) = cx {
            for (c, q) in &cx.published {
                if c == column {
                    p.published.push(Published {
                        series: k,
                        ..q.clone()
                    });
                }
            }
        }
    }
    Some(p)
}

/// The clinical panels: BMD, turnover markers, and one panel per dosed drug with its serum
/// concentration and its dose row (the rows of drugs without a concentration column under the
/// last panel).
pub fn clinical(traj: &Trajectory, cx: &RunContext) -> Vec<LinePlot> {
    let mut panels: Vec<LinePlot> = [
        panel(
            traj,
            "Bone mineral density",
            "change from baseline (%)",
            &[
                ("lumbar spine BMD", "bmd_lumbar_spine_change_pct"),
                ("total hip BMD", "bmd_total_hip_change_pct"),
            ],
            false,
            Some(cx),
        ),
        panel(
            traj,
            "Bone turnover markers",
            "change from baseline (%)",
            &[
                ("CTX (resorption)", "ctx_change_pct"),
                ("P1NP (formation)", "p1np_change_pct"),
            ],
            false,
            Some(cx),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if panels.is_empty() {
        return panels;
    }
    // One panel per drug: concentrations of different drugs differ by orders of magnitude
    // (denosumab in thousands of ng/mL, teriparatide in tenths), so each gets its own axis, and
    // its dose row under it. Doses of drugs without a concentration column go under the last.
    let mut unplaced: Vec<DoseRow> = Vec::new();
    for d in &cx.doses {
        let column = format!("{}_ng_per_mL", d.label);
        let title = format!("Serum {}", d.label);
        match panel(
            traj,
            &title,
            "concentration (ng/mL)",
            &[(d.label.as_str(), column.as_str())],
            false,
            None,
        ) {
            Some(mut p) => {
                p.doses = vec![d.clone()];
                panels.push(p);
            }
            None => unplaced.push(d.clone()),
        }
    }
    if let Some(last) = panels.last_mut() {
        last.doses.extend(unplaced);
    }
    panels
}

/// The mechanism panels: bone cells and RANKL/OPG relative to day 0, and the key cytokines
/// relative to healthy (immune models only).
pub fn mechanism(traj: &Trajectory) -> Vec<LinePlot> {
    let mut panels: Vec<LinePlot> = Vec::new();
    if let Some(p) = panel(
        traj,
        "Bone cells",
        "concentration (fold of day 0)",
        &[
            ("osteoblast precursors", "OBp_pM"),
            ("active osteoblasts", "OBa_pM"),
            ("osteoclast precursors", "OCp_pM"),
            ("active osteoclasts", "OCa_pM"),
        ],
        true,
        None,
    ) {
        panels.push(p);
    }
    if let Some(mut p) = panel(
        traj,
        "RANKL and OPG",
        "free concentration (fold of day 0)",
        &[("RANKL", "RANKL_pM"), ("OPG", "OPG_pM")],
        true,
        None,
    ) {
        if let (Some(r), Some(o)) = (traj.column("RANKL_pM"), traj.column("OPG_pM")) {
            let t = traj.column("t_day").unwrap_or(&[]);
            let r0 =
                r.first().copied().unwrap_or(f64::NAN) / o.first().copied().unwrap_or(f64::NAN);
            p.series.push((
                "RANKL/OPG ratio".into(),
                t.iter()
                    .zip(r.iter().zip(o))
                    .map(|(t, (r, o))| (*t, r / o / r0))
                    .collect(),
            ));
        }
        panels.push(p);
    }
    if let Some(p) = panel(
        traj,
        "Key cytokines",
        "concentration (fold of healthy)",
        &[
            ("TNF-alpha", "TNF_rel"),
            ("IL-1", "IL1_rel"),
            ("IL-6", "IL6_rel"),
            ("IL-17", "IL17_rel"),
            ("IFN-gamma", "IFNg_rel"),
            ("IL-10", "IL10_rel"),
        ],
        false,
        None,
    ) {
        panels.push(p);
    }
    panels
}

/// The unit of an output column in parentheses (`_change_pct` -> "(% points)").
pub fn column_unit(column: &str) -> &'static str {
    [
        ("_change_pct", "(% points)"),
        ("_pct", "(% points)"),
        ("_rel", "(fold of healthy)"),
        ("_ng_per_mL", "(ng/mL)"),
        ("_pM", "(pM)"),
        ("_mg", "(mg)"),
    ]
    .iter()
    .find(|(s, _)| column.ends_with(s))
    .map_or("", |(_, u)| u)
}

/// A human label of an output column: the quantity and its unit
/// (`bmd_total_hip_change_pct` -> "total hip BMD change (%)", a change from baseline).
pub fn column_label(column: &str) -> String {
    const KNOWN: [(&str, &str); 12] = [
        ("bmd_lumbar_spine", "lumbar spine BMD"),
        ("bmd_total_hip", "total hip BMD"),
        ("bv_lumbar_spine", "lumbar spine bone volume"),
        ("bv_total_hip", "total hip bone volume"),
        ("bone_volume", "bone volume"),
        ("ctx", "serum CTX"),
        ("p1np", "serum P1NP"),
        ("formation", "bone formation"),
        ("OBp", "osteoblast precursors"),
        ("OBa", "active osteoblasts"),
        ("OCp", "osteoclast precursors"),
        ("OCa", "active osteoclasts"),
    ];
    const UNITS: [(&str, &str); 7] = [
        ("_change_pct", "change (%)"),
        ("_pct", "(% of baseline)"),
        ("_rel", "(fold of healthy)"),
        ("_ng_per_mL", "(ng/mL)"),
        ("_pM", "(pM)"),
        ("_mg", "(mg)"),
        ("_day", "(days)"),
    ];
    let (stem, unit) = UNITS
        .iter()
        .find_map(|(suffix, unit)| column.strip_suffix(suffix).map(|s| (s, *unit)))
        .unwrap_or((column, ""));
    let name = KNOWN
        .iter()
        .find(|(k, _)| *k == stem)
        .map_or_else(|| stem.replace('_', " "), |(_, n)| n.to_string());
    let name = if unit.ends_with("(ng/mL)") {
        format!("serum {name}")
    } else {
        name
    };
    match unit {
        "" => name,
        u if u.starts_with('(') => format!("{name} {u}"),
        u => format!("{name} {u}"),
    }
}
