//! Outputs of the analyses: CSV tables, JSON summaries and plots.

use super::OutputError;
use super::plot::{self, Series};
use crate::analysis::population::PopulationResult;
use crate::analysis::sampling::Design;
use crate::analysis::sensitivity::{Local, MorrisStat, SobolStat};
use crate::analysis::sweep::{Sweep, SweepResult};
use crate::config::{AnalysisHeader, PopulationStudy, Sensitivity};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    std::fs::write(path, text).map_err(|e| OutputError::at(path, e))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `sweep.csv` (one row per run), optionally `trajectories.csv`, and plots: endpoint
/// against the parameter for one parameter, heat maps for a two-parameter grid. Returns files.
pub fn write_sweep(
    dir: &Path,
    h: &AnalysisHeader,
    sweep: &Sweep,
    result: &SweepResult,
) -> Result<Vec<String>, OutputError> {
    let mut files = Vec::new();
    let mut text = String::from("run");
    for v in &sweep.variables {
        text.push(',');
        text.push_str(&v.name);
    }
    for e in &sweep.endpoints {
        text.push(',');
        text.push_str(&e.name);
    }
    text.push_str(",status,error\n");
    for (k, (x, o)) in result.points.iter().zip(&result.outcomes).enumerate() {
        let _ = write!(text, "{k}");
        for v in x {
            let _ = write!(text, ",{v:e}");
        }
        match &o.endpoints {
            Ok(e) => {
                for v in e {
                    let _ = write!(text, ",{v:e}");
                }
                text.push_str(",ok,\n");
            }
            Err(reason) => {
                text.push_str(&",".repeat(sweep.endpoints.len()));
                let _ = writeln!(text, ",failed,{}", csv_field(reason));
            }
        }
    }
    write_text(&dir.join("sweep.csv"), &text)?;
    files.push("sweep.csv".to_string());
    if sweep.trajectories {
        let mut t = String::new();
        let mut header = false;
        for (k, o) in result.outcomes.iter().enumerate() {
            if let Some(traj) = &o.trajectory {
                if !header {
                    let _ = writeln!(t, "run,{}", traj.columns.join(","));
                    header = true;
                }
                for row in 0..traj.len() {
                    let _ = write!(t, "{k}");
                    for col in &traj.data {
                        let _ = write!(t, ",{:e}", col[row]);
                    }
                    t.push('\n');
                }
            }
        }
        write_text(&dir.join("trajectories.csv"), &t)?;
        files.push("trajectories.csv".to_string());
    }
    let ok = |k: usize, j: usize| result.outcomes[k].endpoints.as_ref().ok().map(|e| e[j]);
    if sweep.variables.len() == 1 {
        for (j, e) in sweep.endpoints.iter().enumerate() {
            let mut points: Vec<(f64, f64)> = (0..result.points.len())
                .filter_map(|k| ok(k, j).map(|y| (result.points[k][0], y)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let stem = format!("sweep_{}", e.name);
            let series: Vec<Series> = vec![(e.name.clone(), points)];
            let x_label = format!("{} ({})", sweep.variables[0].name, sweep.variables[0].unit);
            plot::draw_lines(
                dir,
                &stem,
                &format!("{} - {}", e.name, h.name),
                &x_label,
                &e.column,
                &series,
            )?;
            files.push(format!("{stem}.png"));
            files.push(format!("{stem}.svg"));
        }
    } else if sweep.variables.len() == 2 && sweep.design == Design::Grid {
        let (nx, ny) = (sweep.points[0], sweep.points[1]);
        let xs: Vec<f64> = (0..nx).map(|i| result.points[i * ny][0]).collect();
        let ys: Vec<f64> = (0..ny).map(|j| result.points[j][1]).collect();
        for (jj, e) in sweep.endpoints.iter().enumerate() {
            let z: Vec<Vec<f64>> = (0..nx)
                .map(|i| {
                    (0..ny)
                        .map(|j| ok(i * ny + j, jj).unwrap_or(f64::NAN))
                        .collect()
                })
                .collect();
            let stem = format!("heatmap_{}", e.name);
            let (vx, vy) = (&sweep.variables[0], &sweep.variables[1]);
            plot::draw_heatmap(
                dir,
                &stem,
                &format!("{} - {}", e.name, h.name),
                &format!("{} ({})", vx.name, vx.unit),
                &format!("{} ({})", vy.name, vy.unit),
                &xs,
                &ys,
                &z,
            )?;
            files.push(format!("{stem}.png"));
            files.push(format!("{stem}.svg"));
        }
    }
    Ok(files)
}

/// The sensitivity results of one analysis.
#[derive(Debug, Clone, Default)]
pub struct SensitivityResults {
    /// Local coefficients.
    pub local: Option<Local>,
    /// Morris statistics `[variable][endpoint]`.
    pub morris: Option<Vec<Vec<MorrisStat>>>,
    /// Sobol indices `[variable][endpoint]`.
    pub sobol: Option<Vec<Vec<SobolStat>>>,
}

/// Writes `local.csv`, `morris.csv`, `sobol.csv`, `sensitivity.json` and tornado/bar plots.
pub fn write_sensitivity(
    dir: &Path,
    s: &Sensitivity,
    r: &SensitivityResults,
) -> Result<Vec<String>, OutputError> {
    let mut files = Vec::new();
    let endpoints = &s.header.endpoints;
    if let Some(l) = &r.local {
        let mut t =
            String::from("parameter,nominal,endpoint,endpoint_nominal,dy_dlnp,normalised\n");
        for (i, v) in s.variables.iter().enumerate() {
            for (j, e) in endpoints.iter().enumerate() {
                let _ = writeln!(
                    t,
                    "{},{:e},{},{:e},{:e},{:e}",
                    v.name,
                    s.nominal[i],
                    e.name,
                    l.nominal_endpoints[j],
                    l.dy_dlnp[i][j],
                    l.normalised[i][j]
                );
            }
        }
        write_text(&dir.join("local.csv"), &t)?;
        files.push("local.csv".into());
        for (j, e) in endpoints.iter().enumerate() {
            // Tornado: semi-normalised effects (change of the endpoint per relative change of the
            // parameter), which stay defined where the endpoint is 0 at nominal.
            let mut bars: Vec<(String, f64)> = s
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.clone(), l.dy_dlnp[i][j]))
                .collect();
            bars.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            let stem = format!("tornado_{}", e.name);
            plot::draw_bars(
                dir,
                &stem,
                &format!("Local sensitivity of {}", e.name),
                &format!("d {} / d ln(parameter)", e.column),
                &bars,
            )?;
            files.push(format!("{stem}.png"));
            files.push(format!("{stem}.svg"));
        }
    }
    if let Some(m) = &r.morris {
        let mut t = String::from("parameter,endpoint,mu,mu_star,sigma\n");
        for (i, v) in s.variables.iter().enumerate() {
            for (j, e) in endpoints.iter().enumerate() {
                let st = m[i][j];
                let _ = writeln!(
                    t,
                    "{},{},{:e},{:e},{:e}",
                    v.name, e.name, st.mu, st.mu_star, st.sigma
                );
            }
        }
        write_text(&dir.join("morris.csv"), &t)?;
        files.push("morris.csv".into());
    }
    if let Some(so) = &r.sobol {
        let mut t = String::from("parameter,endpoint,S1,S1_low,S1_high,ST,ST_low,ST_high\n");
        for (i, v) in s.variables.iter().enumerate() {
            for (j, e) in endpoints.iter().enumerate() {
                let st = so[i][j];
                let _ = writeln!(
                    t,
                    "{},{},{:e},{:e},{:e},{:e},{:e},{:e}",
                    v.name,
                    e.name,
                    st.first.value,
                    st.first.low,
                    st.first.high,
                    st.total.value,
                    st.total.low,
                    st.total.high
                );
            }
        }
        write_text(&dir.join("sobol.csv"), &t)?;
        files.push("sobol.csv".into());
        for (j, e) in endpoints.iter().enumerate() {
            let mut bars: Vec<(String, f64)> = s
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.clone(), so[i][j].total.value))
                .collect();
            bars.sort_by(|a, b| b.1.total_cmp(&a.1));
            let stem = format!("sobol_total_{}", e.name);
            plot::draw_bars(
                dir,
                &stem,
                &format!("Sobol total indices of {}", e.name),
                "total-order index S_T",
                &bars,
            )?;
            files.push(format!("{stem}.png"));
            files.push(format!("{stem}.svg"));
        }
    }
    let summary = json!({
        "analysis": s.header.name,
        "file": s.header.path.display().to_string(),
        "scenario": s.header.scenario.name,
        "seed": s.header.seed,
        "parameters": s.variables.iter().enumerate().map(|(i, v)| json!({
            "name": v.name, "unit": v.unit, "nominal": s.nominal[i],
            "range": s.ranges.get(i).map(|r| json!({"min": r.min, "max": r.max, "scale": format!("{:?}", r.scale).to_lowercase()})),
        })).collect::<Vec<_>>(),
        "endpoints": endpoints.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
        "local_relative_step": s.local,
        "morris": s.morris.map(|(r, p)| json!({"trajectories": r, "levels": p})),
        "sobol": s.sobol.map(|(n, b)| json!({"base_samples": n, "bootstrap": b, "runs": crate::analysis::sensitivity::sobol_runs(n, s.variables.len())})),
    });
    write_text(
        &dir.join("sensitivity.json"),
        &(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"),
    )?;
    files.push("sensitivity.json".into());
    Ok(files)
}

/// Writes `patients.csv`, `bands.csv`, `summary.json` and band plots.
pub fn write_population(
    dir: &Path,
    study: &PopulationStudy,
    r: &PopulationResult,
) -> Result<Vec<String>, OutputError> {
    let pop = &study.population;
    let mut files = Vec::new();
    let mut t = String::from("patient,candidate");
    for (v, _) in &pop.variables {
        t.push(',');
        t.push_str(&v.name);
    }
    for e in &pop.endpoints {
        t.push(',');
        t.push_str(&e.name);
    }
    t.push('\n');
    for (k, (c, x, e)) in r.patients.iter().enumerate() {
        let _ = write!(t, "{k},{c}");
        for v in x.iter().chain(e) {
            let _ = write!(t, ",{v:e}");
        }
        t.push('\n');
    }
    write_text(&dir.join("patients.csv"), &t)?;
    files.push("patients.csv".into());
    let mut b = String::from("column,t_day,p05,p50,p95\n");
    for band in &r.bands {
        for k in 0..band.t.len() {
            let _ = writeln!(
                b,
                "{},{},{:e},{:e},{:e}",
                band.column, band.t[k], band.p05[k], band.p50[k], band.p95[k]
            );
        }
        let pts = |v: &[f64]| {
            band.t
                .iter()
                .zip(v)
                .map(|(t, y)| (*t, *y))
                .collect::<Vec<_>>()
        };
        let series: Vec<Series> = vec![
            ("5th percentile".into(), pts(&band.p05)),
            ("median".into(), pts(&band.p50)),
            ("95th percentile".into(), pts(&band.p95)),
        ];
        let stem = format!("band_{}", band.column);
        plot::draw_series(
            dir,
            &stem,
            &format!("{} - {} patients", band.column, r.patients.len()),
            &band.column,
            &series,
        )?;
        files.push(format!("{stem}.png"));
        files.push(format!("{stem}.svg"));
    }
    write_text(&dir.join("bands.csv"), &b)?;
    files.push("bands.csv".into());
    let dist = |j: usize| {
        let mut v: Vec<f64> = r.patients.iter().map(|p| p.2[j]).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (v.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
        };
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        json!({"mean": mean, "p05": q(0.05), "p50": q(0.5), "p95": q(0.95), "min": v[0], "max": v[v.len() - 1]})
    };
    let responders = study.responder.as_ref().map(|resp| {
        let n = r
            .patients
            .iter()
            .filter(|p| {
                let v = p.2[resp.endpoint];
                if resp.below {
                    v < resp.threshold
                } else {
                    v > resp.threshold
                }
            })
            .count();
        json!({
            "endpoint": pop.endpoints[resp.endpoint].name,
            "rule": format!("{} {}", if resp.below { "below" } else { "above" }, resp.threshold),
            "count": n,
            "fraction": n as f64 / r.patients.len() as f64,
        })
    });
    let summary = json!({
        "population": study.header.name,
        "scenario": study.header.scenario.name,
        "seed": pop.seed,
        "patients": r.patients.len(),
        "candidates_rejected": r.rejected,
        "candidates_failed": r.failed.iter().map(|(c, e)| json!({"candidate": c, "reason": e})).collect::<Vec<_>>(),
        "variability": pop.variables.iter().zip(&pop.nominal).map(|((v, cv), x0)| json!({"name": v.name, "unit": v.unit, "median": x0, "cv": cv})).collect::<Vec<_>>(),
        "endpoints": pop.endpoints.iter().enumerate().map(|(j, e)| json!({"name": e.name, "distribution": dist(j)})).collect::<Vec<_>>(),
        "responders": responders,
    });
    write_text(
        &dir.join("summary.json"),
        &(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"),
    )?;
    files.push("summary.json".into());
    Ok(files)
}
