//! Calibration outputs: the parameter file with the fitted values written in, and the fit report
//! (JSON for programs, Markdown for people).

use super::OutputError;
use crate::calibration::Fit;
use crate::config::{Calibration, ParamsEdit};
use crate::error::ConfigError;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The parameter files with each fitted parameter's `value` replaced (shortest exact form), as
/// (path, text): the model's file always, and each drug file holding a fitted parameter; every
/// other byte (units, sources, comments, layout) is kept (`config::ParamsEdit`).
pub fn fitted_params_files(
    cal: &Calibration,
    fit: &Fit,
) -> Result<Vec<(PathBuf, String)>, ConfigError> {
    let mut files: Vec<(PathBuf, ParamsEdit, bool)> =
        std::iter::once((cal.params_path.as_path(), cal.params_text.as_str()))
            .chain(
                cal.drug_files
                    .iter()
                    .map(|(p, t)| (p.as_path(), t.as_str())),
            )
            .map(|(p, t)| Ok((p.to_path_buf(), ParamsEdit::parse(p, t)?, false)))
            .collect::<Result<_, ConfigError>>()?;
    files[0].2 = true;
    for p in &fit.parameters {
        let changed = files
            .iter_mut()
            .find_map(|(_, edit, changed)| edit.set_value(&p.name, p.value).then_some(changed))
            .ok_or_else(|| {
                ConfigError::key(
                    &cal.params_path,
                    None,
                    format!("parameters.{}.value", p.name),
                    format!(
                        "no `value` of parameter `{}` in the model's file or its drug files",
                        p.name
                    ),
                )
            })?;
        *changed = true;
    }
    Ok(files
        .into_iter()
        .filter(|(_, _, changed)| *changed)
        .map(|(path, edit, _)| (path, edit.text()))
        .collect())
}

/// The fit report as JSON.
pub fn report_json(cal: &Calibration, fit: &Fit) -> serde_json::Value {
    json!({
        "calibration": cal.name,
        "description": cal.description,
        "file": cal.path.display().to_string(),
        "model": cal.model.name(),
        "parameter_set": cal.params_path.display().to_string(),
        "method": "argmin 0.11 Nelder-Mead on logistic-transformed bounded parameters; cost = sum(((got - wanted) / tolerance)^2)",
        "cost": fit.cost,
        "iterations": fit.iterations,
        "evaluations": fit.evaluations,
        "termination": fit.termination,
        "all_targets_met": fit.targets.iter().all(|t| t.met),
        "parameters": fit.parameters.iter().map(|p| json!({
            "name": p.name, "unit": p.unit, "initial": p.initial, "fitted": p.value,
            "lower": p.lower, "upper": p.upper,
        })).collect::<Vec<_>>(),
        "targets": fit.targets.iter().map(|t| json!({
            "name": t.name, "scenario": t.scenario, "column": t.column, "time_days": t.time_days,
            "wanted": t.wanted, "got": t.got, "residual": t.residual, "tolerance": t.tolerance,
            "met": t.met, "source": t.source,
        })).collect::<Vec<_>>(),
    })
}

/// The fit report as a Markdown table.
pub fn report_markdown(cal: &Calibration, fit: &Fit) -> String {
    let mut s = format!(
        "# Calibration `{}`\n\n{}\n\nModel `{}`, parameters from `{}`. Nelder-Mead: {} iterations, {} cost evaluations, stopped because: {}. Final cost {:.6e}.\n\n",
        cal.name,
        cal.description,
        cal.model.name(),
        cal.params_path.display(),
        fit.iterations,
        fit.evaluations,
        fit.termination,
        fit.cost
    );
    s.push_str("| parameter | unit | initial | fitted | bounds |\n|---|---|---|---|---|\n");
    for p in &fit.parameters {
        s.push_str(&format!(
            "| `{}` | {} | {} | {:.6} | [{}, {}] |\n",
            p.name, p.unit, p.initial, p.value, p.lower, p.upper
        ));
    }
    s.push_str("\n| target | scenario | column | day | wanted | got | residual | tolerance | met |\n|---|---|---|---|---|---|---|---|---|\n");
    for t in &fit.targets {
        s.push_str(&format!(
            "| {} | {} | `{}` | {} | {} | {:.4} | {:+.4} | {} | {} |\n",
            t.name,
            t.scenario,
            t.column,
            t.time_days,
            t.wanted,
            t.got,
            t.residual,
            t.tolerance,
            if t.met { "yes" } else { "**no**" }
        ));
    }
    s
}

/// Writes the fitted parameter files (from [`fitted_params_files`], under their own names),
/// `fit_report.json` and `fit_report.md` into `dir`.
pub fn write(
    dir: &Path,
    cal: &Calibration,
    fit: &Fit,
    files: &[(PathBuf, String)],
) -> Result<(), OutputError> {
    for (path, text) in files {
        let target = dir.join(path.file_name().unwrap_or("parameters.toml".as_ref()));
        std::fs::write(&target, text).map_err(|e| OutputError::at(&target, e))?;
    }
    let json_path = dir.join("fit_report.json");
    let json = serde_json::to_string_pretty(&report_json(cal, fit))
        .map_err(|e| OutputError::at(&json_path, e.into()))?;
    std::fs::write(&json_path, json + "\n").map_err(|e| OutputError::at(&json_path, e))?;
    let md_path = dir.join("fit_report.md");
    std::fs::write(&md_path, report_markdown(cal, fit)).map_err(|e| OutputError::at(&md_path, e))
}
