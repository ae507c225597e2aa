//! The reports of `calibrate` (the fit against its targets, residuals, fitted parameters and
//! their identifiability) and `validate` (the parity figure, the per-study figures and the
//! verdict on every published outcome).

use super::{Bar, Bars, Block, Cell, Input, Provenance, Report, Section, Table, Tone, fact, num};
use crate::calibration::TargetResult;
use crate::output::OutputError;
use crate::output::calibration::Report as FitReport;
use crate::validation::{Evaluation, Validation, Verdict};
use std::path::Path;

/// Scaled residuals at or beyond this many band half-widths fill their bar.
const BAR_FULL: f64 = 3.0;

/// Writes `report.html` of a `calibrate` into `dir`.
pub fn calibrate(dir: &Path, r: &FitReport<'_>) -> Result<(), OutputError> {
    let (cal, fit) = (r.cal, r.fit);
    let met = fit.targets.iter().filter(|t| t.met).count();
    let verdict = Block::Note {
        text: format!(
            "{met} of {} targets met within their bands; cost {} ({}).",
            fit.targets.len(),
            num(fit.cost),
            if r.optimised {
                format!(
                    "{} iterations, {} evaluations: {}",
                    fit.iterations, fit.evaluations, fit.termination
                )
            } else {
                "not fitted (--no-fit): the parameter file's values".into()
            }
        ),
        tone: if met == fit.targets.len() {
            Tone::Good
        } else {
            Tone::Warn
        },
    };
    let sections = vec![
        Section::new(
            "targets",
            "Fit against the targets",
            vec![verdict, residual_bars(r), Block::Table(targets_table(r))],
        ),
        Section::new(
            "parameters",
            "Fitted parameters",
            vec![Block::Table(parameters_table(r)), identifiability_note(r)],
        ),
    ];
    let mut inputs = vec![
        Input::new("calibration", &cal.path, &cal.source),
        Input::new("parameter set", &cal.params_path, &cal.params_text),
    ];
    inputs.extend(
        cal.drug_files
            .iter()
            .map(|(p, t)| Input::new("drug parameters", p, t)),
    );
    inputs.extend(
        cal.scenarios
            .iter()
            .map(|s| Input::new("scenario", &s.path, &s.source)),
    );
    super::write(
        dir,
        Report {
            title: cal.name.clone(),
            command: "calibrate".into(),
            description: cal.description.clone(),
            lead: vec![
                fact("Model", cal.model.title()),
                fact("Parameters fitted", fit.parameters.len()),
                fact("Targets met", format!("{met} of {}", fit.targets.len())),
                fact("Cost", num(fit.cost)),
            ],
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}

/// A target's residual in half-widths of its band on the residual's side (within ±1: met).
fn scaled(t: &TargetResult) -> f64 {
    let half = if t.got >= t.wanted {
        t.band.1 - t.wanted
    } else {
        t.wanted - t.band.0
    };
    t.residual / half
}

fn residual_bars(r: &FitReport<'_>) -> Block {
    let bars = r
        .fit
        .targets
        .iter()
        .map(|t| Bar {
            label: t.name.clone(),
            value: format!("{:+.2}", scaled(t)),
            width: (scaled(t).abs() / BAR_FULL).min(1.0),
            negative: t.residual < 0.0,
            tone: if t.met { Tone::Good } else { Tone::Bad },
        })
        .collect();
    Block::Bars(Bars {
        caption: "Residuals, in band half-widths (model minus target; within ±1 the target is met)"
            .into(),
        scale: format!("A full bar is {BAR_FULL} half-widths or more; green: met, red: not met."),
        bars,
    })
}

fn targets_table(r: &FitReport<'_>) -> Table {
    let mut t = Table::new(
        "Every target",
        &[
            "Target",
            "Scenario",
            "Read-out",
            "Day",
            "Wanted",
            "Band",
            "Model",
            "Residual",
            "In half-widths",
            "Met",
            "Source",
        ],
    );
    for x in &r.fit.targets {
        let tone = if x.met { Tone::Good } else { Tone::Bad };
        t.push(vec![
            x.name.as_str().into(),
            x.scenario.as_str().into(),
            x.column.as_str().into(),
            num(x.time_days).into(),
            num(x.wanted).into(),
            format!("{} to {}", num(x.band.0), num(x.band.1)).into(),
            num(x.got).into(),
            num(x.residual).into(),
            format!("{:+.2}", scaled(x)).into(),
            Cell {
                text: if x.met { "yes" } else { "no" }.into(),
                tone,
            },
            x.source.as_str().into(),
        ]);
    }
    t
}

fn parameters_table(r: &FitReport<'_>) -> Table {
    let mut t = Table::new(
        "",
        &[
            "Parameter",
            "Unit",
            "Start",
            "Fitted",
            "Lower bound",
            "Upper bound",
            "Relative SE",
            "Identifiability",
        ],
    );
    for (k, p) in r.fit.parameters.iter().enumerate() {
        let (se, verdict) = identifiability_cells(r, k);
        t.push(vec![
            p.name.as_str().into(),
            p.unit.as_str().into(),
            num(p.initial).into(),
            num(p.value).into(),
            num(p.lower).into(),
            num(p.upper).into(),
            se.into(),
            verdict,
        ]);
    }
    t
}

/// The relative-SE and identifiability cells of parameter `k`.
fn identifiability_cells(r: &FitReport<'_>, k: usize) -> (String, Cell) {
    use crate::identifiability::Verdict;
    let Ok(id) = r.identifiability else {
        return (
            "–".into(),
            Cell {
                text: "analysis failed".into(),
                tone: Tone::Warn,
            },
        );
    };
    let q = &id.parameters[k];
    let tone = match q.verdict {
        Verdict::Pinned => Tone::Good,
        Verdict::WeaklyDetermined => Tone::Warn,
        Verdict::NotIdentifiable(_) => Tone::Bad,
    };
    let verdict = Cell {
        text: q.verdict.text().into(),
        tone,
    };
    (q.relative_se.map_or("–".into(), num), verdict)
}

/// What the identifiability column rests on, or why it is empty.
fn identifiability_note(r: &FitReport<'_>) -> Block {
    match r.identifiability {
        Ok(_) => Block::Text {
            text: "Identifiability: from the Fisher information of the scaled residuals at these values (fit_report.md explains the method; identifiability.csv holds the correlations).".into(),
        },
        Err(reason) => Block::Note {
            text: format!("The identifiability analysis failed: {reason}. The fit is complete and its parameter files are written; calibrate again with --no-fit on them to retry the analysis."),
            tone: Tone::Warn,
        },
    }
}

/// Writes `report.html` of a `validate` into `dir`.
pub fn validate(dir: &Path, v: &Validation, e: &Evaluation) -> Result<(), OutputError> {
    let (within, outside, wrong) = e.counts();
    let summary = Block::Note {
        text: format!(
            "{within} of {} published outcomes within their band, {outside} outside, {wrong} in the wrong direction. The band is the published mean ± the largest of 2 standard errors, 30 % of the mean and 1 percentage point.",
            e.outcomes.len()
        ),
        tone: if outside + wrong == 0 {
            Tone::Good
        } else {
            Tone::Warn
        },
    };
    let sections = vec![
        Section::new(
            "summary",
            "Verdict",
            vec![summary, Block::Table(verdict_table(v, e))],
        ),
        Section::new(
            "figures",
            "Figures",
            vec![Block::Figures {
                figures: super::figures(dir, &["parity", "timecourse_*"], &caption)?,
            }],
        ),
        Section::new("studies", "Studies", vec![Block::Table(studies_table(v))]),
    ];
    let mut inputs: Vec<Input> = v
        .files
        .iter()
        .map(|f| Input::new("validation", &f.path, &f.source))
        .collect();
    inputs.extend(
        v.scenarios
            .iter()
            .map(|s| Input::new("scenario", &s.path, &s.source)),
    );
    super::write(
        dir,
        Report {
            title: "Validation against published outcomes".into(),
            command: "validate".into(),
            description: "Each outcome is a published mean (BMD or a marker, a change over time or against a comparator arm) that no calibration fitted; the model's value at the same time is judged against a band around it.".into(),
            lead: vec![
                fact("Outcomes", e.outcomes.len()),
                fact("Studies", v.studies.len()),
                fact("Within band", within),
                fact("Outside", outside),
                fact("Wrong direction", wrong),
            ],
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}

fn caption(stem: &str) -> String {
    match stem.strip_prefix("timecourse_") {
        Some(rest) => format!("Time course: {}", rest.replace('_', " ")),
        None if stem == "parity" => "Parity: model against published, with the bands".into(),
        None => super::stem_caption(stem),
    }
}

fn verdict_table(v: &Validation, e: &Evaluation) -> Table {
    let mut t = Table::new(
        "Every outcome (change in %, or percentage points against the comparator)",
        &[
            "Study",
            "Outcome",
            "Read-out",
            "Day",
            "Published",
            "Band",
            "Model",
            "Verdict",
        ],
    );
    for (o, r) in v.outcomes.iter().zip(&e.outcomes) {
        let tone = match r.verdict {
            Verdict::Within => Tone::Good,
            Verdict::Outside => Tone::Warn,
            Verdict::WrongDirection => Tone::Bad,
        };
        t.push(vec![
            v.studies[o.study].id.as_str().into(),
            o.name.as_str().into(),
            o.column.as_str().into(),
            num(o.time_days).into(),
            num(o.value).into(),
            format!("{} to {}", num(r.band.0), num(r.band.1)).into(),
            num(r.model).into(),
            Cell {
                text: r.verdict.as_str().into(),
                tone,
            },
        ]);
    }
    t.footer = "All of them, with their scenarios and comparators, are in".into();
    t.link = "validation.csv".into();
    t
}

fn studies_table(v: &Validation) -> Table {
    let mut t = Table::new("", &["Study", "Category", "Population", "Citation"]);
    for s in &v.studies {
        t.push(vec![
            s.id.as_str().into(),
            s.category.name().into(),
            s.population.as_str().into(),
            s.citation.as_str().into(),
        ]);
    }
    t
}
