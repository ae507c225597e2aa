//! The reports of `sweep`, `sensitivity`, `population` and `knockout`: what was varied, the
//! tables (their first rows, read back from the CSV files written while the runs went on) and
//! the figures.

use super::{Block, Fact, Input, Provenance, Report, Section, Table, Tone, fact, num};
use crate::analysis::{Endpoint, Statistic};
use crate::config::{AnalysisHeader, KnockoutStudy, PopulationStudy, Sensitivity};
use crate::output::OutputError;
use serde_json::Value;
use std::path::Path;

/// What an endpoint reads, in words: `bmd_lumbar_spine_change_pct at day 730`.
fn endpoint_text(e: &Endpoint) -> String {
    let window = |what: &str, a: f64, b: f64| {
        format!("{what} of {} over days {} to {}", e.column, num(a), num(b))
    };
    match e.statistic {
        Statistic::At(d) => format!("{} at day {}", e.column, num(d)),
        Statistic::Min(a, b) => window("minimum", a, b),
        Statistic::Max(a, b) => window("maximum", a, b),
        Statistic::Mean(a, b) => window("mean", a, b),
        Statistic::Auc(a, b) => window("area under the curve", a, b),
        Statistic::Trough(a, b) => window("trough", a, b),
    }
}

/// The CSV tables of an analysis that are in `dir`, each previewed: (file, caption).
fn tables(dir: &Path, files: &[(&str, &str)]) -> Result<Vec<Block>, OutputError> {
    files
        .iter()
        .filter(|(f, _)| dir.join(f).is_file())
        .map(|(f, caption)| {
            super::csv_preview(dir, f, caption, super::PREVIEW_ROWS).map(Block::Table)
        })
        .collect()
}

/// The parts every analysis report has: the endpoints, tables, figures, the scenario's file.
fn analysis_report(
    dir: &Path,
    h: &AnalysisHeader,
    command: &str,
    mut lead: Vec<Fact>,
    results: Vec<Block>,
    figures_first: &[&str],
) -> Result<(), OutputError> {
    lead.insert(0, fact("Scenario", &h.scenario.name));
    let mut endpoints = Table::new("", &["Endpoint", "What it reads"]);
    for e in &h.endpoints {
        endpoints.push(vec![e.name.as_str().into(), endpoint_text(e).into()]);
    }
    let mut sections = vec![];
    if !results.is_empty() {
        sections.push(Section::new("results", "Results", results));
    }
    sections.push(Section::new(
        "figures",
        "Figures",
        vec![Block::Figures {
            figures: super::figures(dir, figures_first, &super::stem_caption)?,
        }],
    ));
    sections.push(Section::new(
        "endpoints",
        "Endpoints",
        vec![Block::Table(endpoints)],
    ));
    sections.push(Section::new(
        "scenario",
        "Scenario",
        vec![
            Block::Text {
                text: format!(
                    "Every run starts from scenario {} ({}): {}",
                    h.scenario.name,
                    h.scenario.path.display(),
                    h.scenario.description
                ),
            },
            Block::Code {
                title: format!("The scenario file as given ({})", h.scenario.path.display()),
                text: h.scenario.source.clone(),
            },
            Block::Code {
                title: format!("The {command} file as given ({})", h.path.display()),
                text: h.source.clone(),
            },
        ],
    ));
    let inputs = vec![
        Input::new(command, &h.path, &h.source),
        Input::new("scenario", &h.scenario.path, &h.scenario.source),
    ];
    super::write(
        dir,
        Report {
            title: h.name.clone(),
            command: command.into(),
            description: h.description.clone(),
            lead,
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}

/// Writes `report.html` of a `sweep` into `dir`.
pub fn sweep(
    dir: &Path,
    h: &AnalysisHeader,
    runs: usize,
    failed: usize,
) -> Result<(), OutputError> {
    let results = tables(
        dir,
        &[("sweep.csv", "Every run: the values set and the endpoints")],
    )?;
    let lead = vec![fact("Runs", runs), fact("Failed", failed)];
    analysis_report(dir, h, "sweep", lead, results, &["sweep_*"])
}

/// Writes `report.html` of a `sensitivity` analysis into `dir`.
pub fn sensitivity(dir: &Path, s: &Sensitivity, runs: usize) -> Result<(), OutputError> {
    let results = tables(
        dir,
        &[
            (
                "sobol.csv",
                "Sobol indices: first-order (S1) and total (ST), with bootstrap 95 % intervals",
            ),
            (
                "morris.csv",
                "Morris elementary effects: mean (mu), mean of absolute values (mu_star), standard deviation (sigma)",
            ),
            (
                "local.csv",
                "Local sensitivities: d endpoint / d ln parameter, and normalised",
            ),
        ],
    )?;
    let lead = vec![
        fact("Parameters varied", s.variables.len()),
        fact("Runs", runs),
    ];
    analysis_report(
        dir,
        &s.header,
        "sensitivity",
        lead,
        results,
        &["tornado_*", "sobol_*"],
    )
}

/// Writes `report.html` of a `population` into `dir`, from the `summary.json` written there.
pub fn population(dir: &Path, study: &PopulationStudy) -> Result<(), OutputError> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| OutputError::at(&path, e))?;
    let summary: &Value = &serde_json::from_str(&text)
        .map_err(|e| OutputError::at(&path, std::io::Error::other(e)))?;
    let mut results = vec![];
    if let Some(r) = summary.get("responders").filter(|r| !r.is_null()) {
        results.push(Block::Note {
            text: format!(
                "Responders ({} {}): {} of {} patients ({:.1} %).",
                r["endpoint"].as_str().unwrap_or_default(),
                r["rule"].as_str().unwrap_or_default(),
                r["count"],
                summary["patients"],
                100.0 * r["fraction"].as_f64().unwrap_or(f64::NAN)
            ),
            tone: Tone::Plain,
        });
    }
    let mut t = Table::new(
        "Endpoints across the population",
        &[
            "Endpoint",
            "5th percentile",
            "25th percentile",
            "Median",
            "75th percentile",
            "95th percentile",
            "Mean",
            "Min",
            "Max",
        ],
    );
    for e in summary["endpoints"].as_array().into_iter().flatten() {
        let d = &e["distribution"];
        let mut row = vec![e["name"].as_str().unwrap_or_default().into()];
        for k in ["p05", "p25", "p50", "p75", "p95", "mean", "min", "max"] {
            row.push(d[k].as_f64().map_or("–".into(), num).into());
        }
        t.push(row);
    }
    results.push(Block::Table(t));
    let mut v = Table::new(
        "Variability: log-normal, median = the scenario's value",
        &["Parameter", "Median", "Unit", "CV"],
    );
    for p in summary["variability"].as_array().into_iter().flatten() {
        v.push(vec![
            p["name"].as_str().unwrap_or_default().into(),
            p["median"].as_f64().map_or("–".into(), num).into(),
            p["unit"].as_str().unwrap_or_default().into(),
            p["cv"].as_f64().map_or("–".into(), num).into(),
        ]);
    }
    results.push(Block::Table(v));
    results.extend(tables(
        dir,
        &[("patients.csv", "Patients: parameter values and endpoints")],
    )?);
    let lead = vec![
        fact("Patients", &summary["patients"]),
        fact("Rejected candidates", &summary["candidates_rejected"]),
        fact("Seed", study.header.seed),
    ];
    analysis_report(dir, &study.header, "population", lead, results, &["band_*"])
}

/// Writes `report.html` of a `knockout` into `dir`.
pub fn knockout(
    dir: &Path,
    study: &KnockoutStudy,
    runs: usize,
    failed: usize,
) -> Result<(), OutputError> {
    let k = &study.knockout;
    let mut contexts = Table::new("Contexts", &["Context", "Scenario"]);
    let mut inputs = vec![];
    for c in &k.contexts {
        contexts.push(vec![c.label.as_str().into(), c.scenario.as_str().into()]);
    }
    inputs.push(Input::new("knockout", &study.path, &study.source));
    let mut results = vec![Block::Text {
        text: "Each handle of the immune module (a cytokine, a cell population, a signalling element) is set to each factor in each context; an effect is the run's endpoint minus the untouched context's, in percentage points.".into(),
    }];
    results.extend(tables(
        dir,
        &[(
            "knockout.csv",
            "Every run: context, handle, factor, endpoints and effects",
        )],
    )?);
    let sections = vec![
        Section::new("results", "Results", results),
        Section::new(
            "figures",
            "Figures",
            vec![Block::Figures {
                figures: super::figures(dir, &["knockout"], &super::stem_caption)?,
            }],
        ),
        Section::new("contexts", "Contexts", vec![Block::Table(contexts)]),
    ];
    let factors: Vec<String> = k.factors.iter().map(|f| num(*f)).collect();
    super::write(
        dir,
        Report {
            title: study.name.clone(),
            command: "knockout".into(),
            description: study.description.clone(),
            lead: vec![
                fact("Handles", k.handles.len()),
                fact("Factors", factors.join(", ")),
                fact("Runs", runs),
                fact("Failed", failed),
            ],
            sections,
            provenance: Provenance::new(inputs),
        },
    )
}
