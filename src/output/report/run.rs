//! The reports of `run` and `compare`: key endpoints, figures, the scenario as given, the
//! parameters that differ from the bundled defaults, the steady state and the solver.

use super::{Block, Cell, Fact, Input, Provenance, Report, Section, Table, Tone, fact, num};
use crate::config::Scenario;
use crate::engine::{RunResult, SteadyStateReport};
use crate::output::OutputError;
use crate::params::ParamSet;
use serde_json::Value;
use std::path::Path;

/// What the report of one run is made of.
#[derive(Debug, Clone, Copy)]
pub struct RunReport<'a> {
    /// The scenario as loaded.
    pub scenario: &'a Scenario,
    /// The run.
    pub result: &'a RunResult,
    /// `summary.json` (BMD and markers at 1 to 10 years), for a model with those columns.
    pub summary: Option<&'a Value>,
    /// Wall-clock seconds of the simulation.
    pub wall_seconds: f64,
}

/// The columns of the key endpoints table: (column, heading).
const ENDPOINTS: [(&str, &str); 4] = [
    ("bmd_lumbar_spine_change_pct", "Lumbar spine BMD"),
    ("bmd_total_hip_change_pct", "Total hip BMD"),
    ("ctx_change_pct", "CTX (resorption)"),
    ("p1np_change_pct", "P1NP (formation)"),
];

/// Figures of a run first in this order (the multi-panel figures, when written, lead).
const RUN_FIGURES: [&str; 8] = [
    "clinical",
    "mechanism",
    "bone",
    "markers",
    "cells",
    "immune",
    "cytokines",
    "signalling",
];

/// Writes `report.html` of a `run` into `dir` (after every other output).
pub fn run(dir: &Path, r: &RunReport<'_>) -> Result<(), OutputError> {
    let s = r.scenario;
    let layout = s.spec.layout();
    // The defaults a scenario's parameters differ from: the compiled-in files (no file is read).
    let defaults = crate::config::bundled_params(s.spec.model)
        .map_err(|e| OutputError::at(&s.path, std::io::Error::other(e.to_string())))?;
    let caption = |stem: &str| {
        layout
            .plots
            .iter()
            .find(|p| p.file_stem == stem)
            .map_or_else(|| super::stem_caption(stem), |p| p.title.to_string())
    };
    let mut sections = vec![endpoints_section(r.summary.into_iter().map(|v| ("", v)))];
    sections.push(Section::new(
        "figures",
        "Figures",
        vec![Block::Figures {
            figures: super::figures(dir, &RUN_FIGURES, &caption)?,
        }],
    ));
    sections.push(scenario_section(s));
    sections.push(parameters_section(s, &defaults));
    sections.push(steady_section(&r.result.steady_state));
    sections.push(solver_section(r));
    let mut inputs = vec![Input::new("scenario", &s.path, &s.source)];
    inputs.extend(params_input(s));
    super::write(
        dir,
        Report {
            title: s.name.clone(),
            command: "run".into(),
            description: s.description.clone(),
            lead: lead(s),
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}

/// The parameter file's record: the embedded text for the bundled file, else the file as read
/// now (a scenario keeps the set it loaded, not its text).
fn params_input(s: &Scenario) -> Option<Input> {
    let (bundled_path, bundled_text) = s.spec.model.bundled_params();
    let origin = &s.spec.params.origin;
    if origin == bundled_path {
        return Some(Input::new(
            "bundled parameters (compiled in)",
            Path::new(bundled_path),
            bundled_text,
        ));
    }
    let text = crate::config::read(Path::new(origin)).ok()?;
    Some(Input::new(
        "parameter set (read after the run)",
        Path::new(origin),
        &text,
    ))
}

fn lead(s: &Scenario) -> Vec<Fact> {
    let p = &s.spec.protocol;
    let mut lead = vec![
        fact("Model", s.spec.model.title()),
        fact("Duration", years_days(p.duration)),
    ];
    if p.start < 0.0 {
        lead.push(fact("Run-in before day 0", years_days(-p.start)));
    }
    if !s.treatments.is_empty() {
        let drugs: Vec<&str> = s.spec.drugs.iter().map(|d| d.name()).collect();
        lead.push(fact("Drugs", drugs.join(", ")));
    }
    lead
}

fn years_days(days: f64) -> String {
    let years = days / crate::model::DAYS_PER_YEAR;
    if years >= 0.95 {
        format!("{} years ({} days)", num_short(years), num_short(days))
    } else {
        format!("{} days", num_short(days))
    }
}

/// A number with at most one decimal, without trailing zeros.
fn num_short(x: f64) -> String {
    let t = format!("{x:.1}");
    t.strip_suffix(".0").map_or(t.clone(), str::to_string)
}

/// The key endpoints table: one block per (label, `summary.json`); label empty for one run.
fn endpoints_section<'a>(summaries: impl Iterator<Item = (&'a str, &'a Value)>) -> Section {
    let mut blocks = Vec::new();
    let mut table: Option<Table> = None;
    let mut baseline = String::new();
    for (label, summary) in summaries {
        let t = table.get_or_insert_with(|| {
            let mut cols = if label.is_empty() {
                vec![]
            } else {
                vec!["Scenario"]
            };
            cols.push("Years");
            cols.extend(ENDPOINTS.iter().map(|(_, h)| *h));
            Table::new(
                "Change from baseline, % (negative: loss or suppression)",
                &cols,
            )
        });
        baseline = summary["baseline"].as_str().unwrap_or_default().to_string();
        for row in summary["endpoints"].as_array().into_iter().flatten() {
            let mut cells: Vec<Cell> = Vec::new();
            if !label.is_empty() {
                cells.push(label.into());
            }
            cells.push(num_short(row["years"].as_f64().unwrap_or(f64::NAN)).into());
            for (column, _) in ENDPOINTS {
                cells.push(
                    row[column]
                        .as_f64()
                        .map_or("–".into(), super::change)
                        .into(),
                );
            }
            t.push(cells);
        }
    }
    match table {
        Some(t) if !t.rows.is_empty() => {
            blocks.push(Block::Table(t));
            blocks.push(Block::Text {
                text: format!(
                    "Bone mineral density (BMD) and the bone-turnover markers CTX and P1NP: {baseline}. Years the run does not reach are left out; every output time is in timeseries.csv."
                ),
            });
        }
        _ => blocks.push(Block::Note {
            text: "This model has no BMD or bone-turnover-marker read-outs (they belong to the bone and immunoporosis models); the figures show its cell populations.".into(),
            tone: Tone::Plain,
        }),
    }
    Section::new("endpoints", "Key endpoints", blocks)
}

fn scenario_section(s: &Scenario) -> Section {
    let p = &s.spec.protocol;
    let mut facts = vec![
        fact("File", s.path.display()),
        fact(
            "Model",
            format!("{} ({})", s.spec.model.title(), s.spec.model.name()),
        ),
        fact("Parameter set", &s.spec.params.origin),
        fact("Duration", years_days(p.duration)),
        fact(
            "Output every",
            format!("{} day", num_short(p.output_interval)),
        ),
    ];
    if p.start < 0.0 {
        facts.push(fact("Run-in (not written)", years_days(-p.start)));
    }
    let mut blocks = vec![Block::Facts { facts }];
    if !s.inputs.is_empty() {
        let mut t = Table::new(
            "Inputs",
            &["Input", "Value", "Unit", "From day", "To day", "Profile"],
        );
        for (name, unit, v, a, b, shape) in &s.inputs {
            let end = if b.is_finite() {
                num(*b)
            } else {
                "open".into()
            };
            t.push(vec![
                name.as_str().into(),
                num(*v).into(),
                unit.as_str().into(),
                num(*a).into(),
                end.into(),
                shape.as_str().into(),
            ]);
        }
        blocks.push(Block::Table(t));
    }
    if !s.treatments.is_empty() {
        let mut t = Table::new("Treatments", &["Treatment"]);
        for line in &s.treatments {
            t.push(vec![line.as_str().into()]);
        }
        blocks.push(Block::Table(t));
    }
    blocks.push(Block::Code {
        title: format!("The scenario file as given ({})", s.path.display()),
        text: s.source.clone(),
    });
    Section::new("scenario", "Scenario", blocks)
}

/// Every parameter whose value differs from the bundled file's (or that the bundled file lacks).
fn parameters_section(s: &Scenario, defaults: &ParamSet) -> Section {
    let params = &s.spec.params;
    let mut t = Table::new(
        "",
        &[
            "Parameter",
            "Symbol",
            "Value",
            "Default",
            "Unit",
            "Set by",
            "Source",
        ],
    );
    for p in params.params.values() {
        let default = defaults.params.get(&p.name).map(|d| d.value);
        if default == Some(p.value) {
            continue;
        }
        let by = if p.overridden_from.is_some() {
            "scenario [parameters]".to_string()
        } else {
            params.origin.clone()
        };
        t.push(vec![
            p.name.as_str().into(),
            p.symbol.as_str().into(),
            num(p.value).into(),
            default.map_or("–".into(), num).into(),
            p.unit.as_str().into(),
            by.into(),
            params.citation(p).into(),
        ]);
    }
    let blocks = if t.rows.is_empty() {
        vec![Block::Note {
            text: format!(
                "Every parameter has its bundled value ({}); all of them, with units and sources, are in manifest.json.",
                s.spec.model.bundled_params().0
            ),
            tone: Tone::Plain,
        }]
    } else {
        vec![
            Block::Text {
                text: format!(
                    "{} parameter(s) differ from the bundled defaults ({}); all parameters, with units and sources, are in manifest.json.",
                    t.rows.len(),
                    s.spec.model.bundled_params().0
                ),
            },
            Block::Table(t),
        ]
    };
    Section::new(
        "parameters",
        "Parameters that differ from the defaults",
        blocks,
    )
}

fn steady_section(ss: &SteadyStateReport) -> Section {
    // The slowest mode sets how long the model takes to return to its steady state.
    let slowest = ss
        .eigenvalues
        .iter()
        .map(|(re, _)| *re)
        .filter(|re| *re < 0.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut facts = vec![
        fact(
            "Found by",
            format!("{} in {} iteration(s)", ss.method.as_str(), ss.iterations),
        ),
        fact("Residual max |dy/dt|", num(ss.residual)),
        fact(
            "Relative residual",
            format!("{} /day", num(ss.relative_residual)),
        ),
        fact("Jacobian states", ss.jacobian_states.len()),
    ];
    if slowest.is_finite() {
        facts.push(fact(
            "Slowest return (time constant)",
            format!(
                "{} days (eigenvalue {} /day)",
                num(-1.0 / slowest),
                num(slowest)
            ),
        ));
    }
    let verdict = if ss.stable {
        Block::Note {
            text: "Stable: every eigenvalue of the Jacobian at the steady state has a negative real part, so a small disturbance dies out.".into(),
            tone: Tone::Good,
        }
    } else {
        Block::Note {
            text: "Not stable: an eigenvalue of the Jacobian at the steady state has a real part of zero or more; results drift away from the baseline.".into(),
            tone: Tone::Bad,
        }
    };
    let mut t = Table::new(
        "Jacobian eigenvalues, 1/day",
        &["#", "Real part", "Imaginary part"],
    );
    for (k, (re, im)) in ss.eigenvalues.iter().enumerate() {
        t.push(vec![
            (k + 1).to_string().into(),
            num(*re).into(),
            num(*im).into(),
        ]);
    }
    let blocks = vec![
        verdict,
        Block::Facts { facts },
        Block::Text {
            text: format!("Over the states {}.", ss.jacobian_states.join(", ")),
        },
        Block::Table(t),
    ];
    Section::new("steady-state", "Steady state and stability", blocks)
}

fn solver_section(r: &RunReport<'_>) -> Section {
    let (spec, res) = (&r.scenario.spec, r.result);
    let facts = vec![
        fact("Method", format!("{:?}", spec.solver.method)),
        fact(
            "Tolerances",
            format!(
                "rtol {}, atol {}",
                num(spec.solver.rtol),
                num(spec.solver.atol)
            ),
        ),
        fact("Accepted steps", res.stats.accepted_steps),
        fact("Rejected steps", res.stats.rejected_steps),
        fact("Right-hand-side evaluations", res.stats.evaluations),
        fact(
            "Largest step",
            res.max_step_days
                .map_or("error control alone".into(), |h| format!("{} days", num(h))),
        ),
        fact("Wall time", format!("{:.3} s", r.wall_seconds)),
    ];
    let mut t = Table::new(
        "Integration segments (a segment ends where an input switches or a dose is given)",
        &[
            "From day",
            "To day",
            "Solver",
            "Accepted",
            "Rejected",
            "Evaluations",
        ],
    );
    for s in &res.segments {
        t.push(vec![
            num(s.start).into(),
            num(s.end).into(),
            s.solver.as_str().into(),
            s.stats.accepted_steps.to_string().into(),
            s.stats.rejected_steps.to_string().into(),
            s.stats.evaluations.to_string().into(),
        ]);
    }
    let rows = t.rows.len();
    if rows > super::PREVIEW_ROWS {
        t.rows.truncate(super::PREVIEW_ROWS);
        t.footer = format!(
            "First {} of {rows} segments; all of them are in",
            super::PREVIEW_ROWS
        );
        t.link = "manifest.json".into();
    }
    Section::new(
        "solver",
        "Solver statistics",
        vec![Block::Facts { facts }, Block::Table(t)],
    )
}

/// Writes `report.html` of a `compare` into `dir`: the scenarios, their key endpoints side by
/// side, the overlay figures and the combined table.
pub fn compare(
    dir: &Path,
    scenarios: &[Scenario],
    results: &[RunResult],
) -> Result<(), OutputError> {
    let summaries: Vec<Option<Value>> = scenarios
        .iter()
        .zip(results)
        .map(|(s, r)| crate::output::manifest::summary(s, r))
        .collect();
    let mut t = Table::new("", &["Scenario", "Model", "What it shows"]);
    for s in scenarios {
        t.push(vec![
            s.name.as_str().into(),
            s.spec.model.name().into(),
            s.description.as_str().into(),
        ]);
    }
    let labelled = scenarios
        .iter()
        .zip(&summaries)
        .filter_map(|(s, v)| v.as_ref().map(|v| (s.name.as_str(), v)));
    let sections = vec![
        Section::new("scenarios", "Scenarios", vec![Block::Table(t)]),
        endpoints_section(labelled),
        Section::new(
            "figures",
            "Figures",
            vec![Block::Figures {
                figures: super::figures(dir, &[], &super::stem_caption)?,
            }],
        ),
        Section::new(
            "table",
            "Combined table",
            vec![Block::Table(super::csv_preview(
                dir,
                "compare.csv",
                "",
                super::PREVIEW_ROWS,
            )?)],
        ),
    ];
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let inputs = scenarios
        .iter()
        .map(|s| Input::new("scenario", &s.path, &s.source))
        .collect();
    super::write(
        dir,
        Report {
            title: names.join(" vs "),
            command: "compare".into(),
            description: format!("{} scenarios side by side.", scenarios.len()),
            lead: vec![fact("Scenarios", scenarios.len())],
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}
