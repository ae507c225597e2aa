//! Calibration outputs: the parameter file with the fitted values written in, the fit report
//! (JSON for programs, Markdown for people) with the identifiability of the fitted parameters, and
//! their correlation matrix (`identifiability.csv`).

use super::OutputError;
use crate::calibration::Fit;
use crate::config::{Calibration, ParamsEdit};
use crate::error::ConfigError;
use crate::identifiability::{self, Identifiability};
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

/// What a fit report shows: the fit (or the targets at the parameter file's values, `--no-fit`)
/// and the identifiability of its parameters there.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The calibration.
    pub cal: &'a Calibration,
    /// The fit; with `optimised` false, zero iterations at the parameter file's values.
    pub fit: &'a Fit,
    /// The identifiability at the fit's values (same parameter order), or why the analysis
    /// failed (a perturbed point the solver could not integrate, say): a finished fit is
    /// reported and written either way.
    pub identifiability: Result<&'a Identifiability, &'a str>,
    /// Whether the optimiser ran (false for `calibrate --no-fit`).
    pub optimised: bool,
}

/// The optimiser and cost, for the report.
fn method(cal: &crate::config::Calibration) -> &'static str {
    match cal.method {
        crate::config::FitMethod::NelderMead => {
            "argmin 0.11 Nelder-Mead on logistic-transformed bounded parameters; cost = sum of squared residuals scaled by each target's band (half-width on the residual's side; a band-only intervention: 0 inside its band, the distance to its edge / (0.1 min(width, 1)) outside) plus the priors' (ln(value / median) / ln(factor))^2"
        }
        crate::config::FitMethod::LevenbergMarquardt => {
            "Levenberg-Marquardt (Marquardt scaling, forward-difference Jacobian) on logistic-transformed bounded parameters; cost = sum of squared residuals scaled by each target's band (half-width on the residual's side; a band-only intervention: 0 inside its band, the distance to its edge / (0.1 min(width, 1)) outside) plus the priors' (ln(value / median) / ln(factor))^2"
        }
    }
}
const NOT_OPTIMISED: &str = "not fitted (--no-fit): zero iterations; the targets and the identifiability at the parameter file's values";
const IDENTIFIABILITY_METHOD: &str = "Fisher information F = J^T J of the scaled residuals (got - wanted) / half-width of the band on the residual's side (a band-only intervention: 0 inside its band, the distance to its edge / (0.1 min(width, 1)) outside), each half-width read as one standard deviation (the priors are left out: what the targets alone determine); J by finite differences (central, one-sided second order at a bound) in ln(theta) for a positive parameter with a positive lower bound, in theta otherwise; covariance = F^-1 (pseudo-inverse over the informed directions); local and linearised";

/// The fit report as JSON.
pub fn report_json(r: &Report<'_>) -> serde_json::Value {
    let (cal, fit) = (r.cal, r.fit);
    json!({
        "calibration": cal.name,
        "description": cal.description,
        "file": cal.path.display().to_string(),
        "model": cal.model.name(),
        "parameter_set": cal.params_path.display().to_string(),
        "optimised": r.optimised,
        "method": if r.optimised { method(r.cal) } else { NOT_OPTIMISED },
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
            "wanted": t.wanted, "got": t.got, "residual": t.residual, "tolerance": t.tolerance, "band": [t.band.0, t.band.1],
            "met": t.met, "source": t.source,
        })).collect::<Vec<_>>(),
        "identifiability": identifiability_json(r),
    })
}

fn identifiability_json(r: &Report<'_>) -> serde_json::Value {
    let id = match r.identifiability {
        Ok(id) => id,
        Err(reason) => return json!({ "method": IDENTIFIABILITY_METHOD, "failed": reason }),
    };
    let names: Vec<&str> = r.fit.parameters.iter().map(|p| p.name.as_str()).collect();
    json!({
        "method": IDENTIFIABILITY_METHOD,
        "evaluations": id.evaluations,
        "thresholds": {
            "pinned_relative_se": identifiability::PINNED_RELATIVE_SE,
            "max_correlation": identifiability::MAX_CORRELATION,
            "null_eigenvalue_ratio": identifiability::NULL_EIGENVALUE_RATIO,
            "null_loading": identifiability::NULL_LOADING,
            "informs": identifiability::INFORMS,
            "step": identifiability::STEP,
        },
        "parameters": r.fit.parameters.iter().zip(&id.parameters).map(|(p, q)| json!({
            "name": p.name, "unit": p.unit, "value": q.value,
            "space": q.space.name(), "stencil": q.stencil.name(), "step": q.step,
            "se": q.se, "relative_se": q.relative_se,
            "interval_95": q.interval.map(|(lo, hi)| [lo, hi]),
            "verdict": q.verdict.text(),
            "partner": q.partner.map(|(j, _)| names[j]),
            "partner_correlation": q.partner.map(|(_, c)| c),
            "informing_targets": q.informing_targets,
        })).collect::<Vec<_>>(),
        "eigenvalues": id.eigenvalues,
        "null_directions": id.null_directions.iter().map(|d| json!({
            "eigenvalue": d.eigenvalue,
            "loadings": names.iter().zip(&d.loadings).map(|(n, l)| (n.to_string(), json!(l))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "correlation": (0..names.len()).map(|i| id.correlation.row(i).iter().copied().collect::<Vec<f64>>()).collect::<Vec<_>>(),
    })
}

/// The fit report as a Markdown table.
pub fn report_markdown(r: &Report<'_>) -> String {
    let (cal, fit) = (r.cal, r.fit);
    let how = if r.optimised {
        format!(
            "{}: {} iterations, {} cost evaluations, stopped because: {}.",
            cal.method.name(),
            fit.iterations,
            fit.evaluations,
            fit.termination
        )
    } else {
        "**Not fitted** (`--no-fit`): zero iterations; the targets and the identifiability at the values of the parameter file.".to_string()
    };
    let mut s = format!(
        "# Calibration `{}`\n\n{}\n\nModel `{}`, parameters from `{}`. {how} {} cost {:.6e}.\n\n",
        cal.name,
        cal.description,
        cal.model.name(),
        cal.params_path.display(),
        if r.optimised { "Final" } else { "Cost" },
        fit.cost
    );
    s.push_str(if r.optimised {
        "| parameter | unit | initial | fitted | bounds |\n|---|---|---|---|---|\n"
    } else {
        "| parameter | unit | calibration start | value (parameter file) | bounds |\n|---|---|---|---|---|\n"
    });
    for p in &fit.parameters {
        s.push_str(&format!(
            "| `{}` | {} | {} | {:.6} | [{}, {}] |\n",
            p.name, p.unit, p.initial, p.value, p.lower, p.upper
        ));
    }
    s.push_str("\n| target | scenario | column | day | wanted | got | residual | band | met |\n|---|---|---|---|---|---|---|---|---|\n");
    for t in &fit.targets {
        s.push_str(&format!(
            "| {} | {} | `{}` | {} | {} | {:.4} | {:+.4} | [{}, {}] | {} |\n",
            t.name,
            t.scenario,
            t.column,
            t.time_days,
            t.wanted,
            t.got,
            t.residual,
            crate::config::num(t.band.0),
            crate::config::num(t.band.1),
            if t.met { "yes" } else { "**no**" }
        ));
    }
    s.push_str(&identifiability_markdown(r));
    s
}

/// A number in 4 significant digits.
fn sig(x: f64) -> String {
    if x == 0.0 || (1e-3..1e5).contains(&x.abs()) {
        let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

fn se_text(q: &identifiability::Parameter) -> String {
    match (q.relative_se, q.se) {
        (Some(rel), _) => format!("{:.1} %", 100.0 * rel),
        (None, Some(se)) => format!("± {} (absolute)", sig(se)),
        (None, None) => "unbounded".into(),
    }
}

fn identifiability_markdown(r: &Report<'_>) -> String {
    let id = match r.identifiability {
        Ok(id) => id,
        Err(reason) => return failed_markdown(reason),
    };
    let names: Vec<&str> = r.fit.parameters.iter().map(|p| p.name.as_str()).collect();
    let mut s = format!(
        "\n## Identifiability\n\nFisher information of the scaled residuals (got - wanted) / band half-width at the {} values, each half-width read as one standard deviation of its target, without the priors ({} evaluations; derivatives in ln θ for a positive parameter with a positive lower bound, in θ otherwise). Local and linearised: what the targets determine near these values. SE is relative (SE of ln θ, or SE / |θ|); the 95 % interval is θ·exp(±1.96 SE) in log space, θ ± 1.96 SE in linear space, not clipped to the bounds. Pinned: relative SE below {} %; not identifiable: no target depends on it, it lies in a direction whose information is below {:e} × the largest, or |correlation| > {} with its partner while not pinned.\n\n",
        if r.optimised {
            "fitted"
        } else {
            "parameter file's"
        },
        id.evaluations,
        100.0 * identifiability::PINNED_RELATIVE_SE,
        identifiability::NULL_EIGENVALUE_RATIO,
        identifiability::MAX_CORRELATION,
    );
    s.push_str("| parameter | value | unit | SE | 95 % interval | verdict | most correlated with | correlation | informing targets |\n|---|---|---|---|---|---|---|---|---|\n");
    for (p, q) in r.fit.parameters.iter().zip(&id.parameters) {
        let interval = q.interval.map_or("—".into(), |(lo, hi)| {
            format!("[{}, {}]", sig(lo), sig(hi))
        });
        let (partner, corr) = q.partner.map_or(("—".into(), "—".into()), |(j, c)| {
            (format!("`{}`", names[j]), format!("{c:+.3}"))
        });
        s.push_str(&format!(
            "| `{}` | {} | {} | {} ({}) | {interval} | {} | {partner} | {corr} | {} of {} |\n",
            p.name,
            sig(q.value),
            p.unit,
            se_text(q),
            q.space.name(),
            q.verdict.text(),
            q.informing_targets,
            id.residuals.len()
        ));
    }
    s.push_str(&spectrum_markdown(id, &names));
    s
}

fn failed_markdown(reason: &str) -> String {
    format!(
        "\n## Identifiability\n\n**The analysis failed**: {reason}.\n\nThe fit above is complete and its parameter files are written; no correlation matrix (`identifiability.csv`) was written. To retry the analysis at these values, calibrate again with `--no-fit` on the written parameter file.\n"
    )
}

fn spectrum_markdown(id: &Identifiability, names: &[&str]) -> String {
    let (largest, smallest) = (
        id.eigenvalues.first().copied().unwrap_or(0.0),
        id.eigenvalues.last().copied().unwrap_or(0.0),
    );
    let mut s = format!(
        "\nEigenvalues of F: largest {}, smallest {}, ratio {}; {} of {} directions of zero information.\n",
        sig(largest),
        sig(smallest),
        if smallest > 0.0 {
            sig(largest / smallest)
        } else {
            "∞".into()
        },
        id.null_directions.len(),
        id.eigenvalues.len()
    );
    for d in &id.null_directions {
        let loadings: Vec<String> = names
            .iter()
            .zip(&d.loadings)
            .filter(|(_, l)| l.abs() > identifiability::NULL_LOADING)
            .map(|(n, l)| format!("{l:+.3} `{n}`"))
            .collect();
        s.push_str(&format!(
            "- eigenvalue {}: moving along {} leaves every target unchanged (to first order)\n",
            sig(d.eigenvalue),
            loadings.join(", ")
        ));
    }
    s
}

/// `identifiability.csv`: the parameters' correlation matrix, a header row and a first column of
/// parameter names, numbers in shortest round-trip form.
pub fn correlation_csv(r: &Report<'_>, id: &Identifiability) -> String {
    let names: Vec<&str> = r.fit.parameters.iter().map(|p| p.name.as_str()).collect();
    let mut s = format!("parameter,{}\n", names.join(","));
    for (i, n) in names.iter().enumerate() {
        let row: Vec<String> = id
            .correlation
            .row(i)
            .iter()
            .map(|c| format!("{c}"))
            .collect();
        s.push_str(&format!("{n},{}\n", row.join(",")));
    }
    s
}

/// Writes the fitted parameter files (from [`fitted_params_files`], under their own names),
/// `fit_report.json`, `fit_report.md` and, when the identifiability analysis succeeded,
/// `identifiability.csv` into `dir`.
pub fn write(dir: &Path, r: &Report<'_>, files: &[(PathBuf, String)]) -> Result<(), OutputError> {
    for (path, text) in files {
        let target = dir.join(path.file_name().unwrap_or("parameters.toml".as_ref()));
        std::fs::write(&target, text).map_err(|e| OutputError::at(&target, e))?;
    }
    let json_path = dir.join("fit_report.json");
    let json = serde_json::to_string_pretty(&report_json(r))
        .map_err(|e| OutputError::at(&json_path, e.into()))?;
    std::fs::write(&json_path, json + "\n").map_err(|e| OutputError::at(&json_path, e))?;
    let md_path = dir.join("fit_report.md");
    std::fs::write(&md_path, report_markdown(r)).map_err(|e| OutputError::at(&md_path, e))?;
    let Ok(id) = r.identifiability else {
        return Ok(());
    };
    let csv_path = dir.join("identifiability.csv");
    std::fs::write(&csv_path, correlation_csv(r, id)).map_err(|e| OutputError::at(&csv_path, e))
}
