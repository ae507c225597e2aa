//! Outputs of the analyses: CSV tables, JSON summaries and plots.

use super::OutputError;
use super::figures::{column_label, column_unit};
use super::plot::{self, Plotted};
use crate::analysis::population::{Patient, PopulationResult, PopulationSummary};
use crate::analysis::sampling::{Design, Scale};
use crate::analysis::sensitivity::{Local, MorrisStat, SobolStat};
use crate::analysis::sweep::{Sweep, SweepResult};
use crate::analysis::{Endpoint, RunOutcome, Variable};
use crate::config::{AnalysisHeader, PopulationStudy, Sensitivity};
use serde_json::json;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

pub(super) fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    std::fs::write(path, text).map_err(|e| OutputError::at(path, e))
}

pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What an analysis writer produced: files (relative to the folder) and warnings for the user
/// (plots that could not be drawn), which the command prints on standard error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// Files written.
    pub files: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl Written {
    /// Draws a figure through `draw`; a figure that cannot be drawn becomes a warning (its partial
    /// files are removed), never an error: the tables are what matters.
    pub(super) fn plot(
        &mut self,
        dir: &Path,
        stem: &str,
        opts: &plot::FigureOptions,
        draw: impl FnOnce() -> Result<Plotted, OutputError>,
    ) {
        match draw() {
            Ok(Plotted::Drawn) => self.files.extend(opts.files(stem)),
            Ok(Plotted::Skipped(why)) => self.skip(stem, &why),
            Err(e) => {
                for ext in ["png", "svg"] {
                    let _ = std::fs::remove_file(dir.join(format!("{stem}.{ext}")));
                }
                self.skip(stem, &e.source.to_string());
            }
        }
    }

    fn skip(&mut self, stem: &str, why: &str) {
        self.warnings.push(format!(
            "plot `{stem}` not drawn: {why}; the tables are complete"
        ));
    }
}

fn create(dir: &Path, name: &str) -> Result<(PathBuf, BufWriter<File>), OutputError> {
    let path = dir.join(name);
    let file = File::create(&path).map_err(|e| OutputError::at(&path, e))?;
    Ok((path, BufWriter::new(file)))
}

fn put(path: &Path, w: &mut BufWriter<File>, text: &str) -> Result<(), OutputError> {
    w.write_all(text.as_bytes())
        .map_err(|e| OutputError::at(path, e))
}

fn close(path: &Path, w: BufWriter<File>) -> Result<(), OutputError> {
    w.into_inner()
        .map(drop)
        .map_err(|e| OutputError::at(path, e.into_error()))
}

/// Points of a line plot with a finite x and y.
fn finite_points(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// Heat map data: grid values along x and y, endpoint values `[endpoint][i * ny + j]`.
type Heat = (Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

/// A bar chart to draw: stem, title, x label, bars.
/// A bar figure to draw: file stem and plot.
type BarFigure = (String, plot::BarPlot);

/// An endpoint for a title: its description, else its name (`spine_bmd_10y` -> "spine bmd
/// 10y").
fn human(e: &Endpoint) -> String {
    if e.description.is_empty() {
        e.name.replace('_', " ")
    } else {
        e.description.clone()
    }
}

/// The subtitle of an analysis's figures: its description, else its scenario's, else its name.
fn subtitle(h: &AnalysisHeader) -> String {
    [&h.description, &h.scenario.description, &h.name]
        .into_iter()
        .find(|d| !d.is_empty())
        .cloned()
        .unwrap_or_default()
}

/// A bar chart of one value per variable (named by `names`) for an endpoint.
fn bar_plot(
    h: &AnalysisHeader,
    title: String,
    x_label: String,
    kind: plot::BarKind,
    bars: Vec<plot::Bar>,
) -> plot::BarPlot {
    plot::BarPlot {
        title,
        subtitle: subtitle(h),
        x_label,
        bars,
        kind,
        names: None,
    }
}

/// Writes a sweep while it runs: `sweep.csv` (one row per run, failures with their reason),
/// optionally `trajectories.csv`, and at [`SweepWriter::finish`] the plots: endpoint against the
/// parameter for one varied parameter, heat maps for a two-parameter grid (a line plot when one
/// of the two has a single point). Keeps only what the plots need (a few numbers per run).
pub struct SweepWriter<'a> {
    dir: PathBuf,
    h: &'a AnalysisHeader,
    sweep: &'a Sweep,
    table: (PathBuf, BufWriter<File>),
    trajectories: Option<(PathBuf, BufWriter<File>, bool)>,
    line: String,
    /// The variable the line plots run along, if any.
    line_variable: Option<usize>,
    /// Line plot points per endpoint.
    lines: Vec<Vec<(f64, f64)>>,
    /// Heat map: grid values along x and y and endpoint values `[endpoint][i * ny + j]`.
    heat: Option<Heat>,
    /// Why no plot is kept, when the sweep is too large to plot.
    plot_note: Option<String>,
    runs: usize,
    failed: usize,
}

/// The header line of a per-run table: the leading columns, the variables, the endpoints, then
/// `tail` (already starting with a comma, or empty).
fn table_header<'v>(
    lead: &[&str],
    variables: impl Iterator<Item = &'v Variable>,
    endpoints: &[Endpoint],
    tail: &str,
) -> String {
    let mut names: Vec<&str> = lead.to_vec();
    names.extend(variables.map(|v| v.name.as_str()));
    names.extend(endpoints.iter().map(|e| e.name.as_str()));
    format!("{}{tail}\n", names.join(","))
}

/// Most runs of a sweep that its plots show (one number per run and endpoint in memory).
pub const PLOT_RUNS_MAX: usize = 1_000_000;

impl<'a> SweepWriter<'a> {
    /// Opens `sweep.csv` (and `trajectories.csv` if the sweep keeps trajectories) in `dir` and
    /// writes the header.
    pub fn create(
        dir: &Path,
        h: &'a AnalysisHeader,
        sweep: &'a Sweep,
    ) -> Result<Self, OutputError> {
        let mut table = create(dir, "sweep.csv")?;
        let header = table_header(
            &["run"],
            sweep.variables.iter(),
            &sweep.endpoints,
            ",status,error",
        );
        put(&table.0, &mut table.1, &header)?;
        let trajectories = if sweep.trajectories {
            let (p, w) = create(dir, "trajectories.csv")?;
            Some((p, w, false))
        } else {
            None
        };
        let grid2 = sweep.variables.len() == 2 && sweep.design == Design::Grid;
        // The plots keep one number per run and endpoint: beyond PLOT_RUNS_MAX runs they are
        // not drawn (the table has every run), so memory stays bounded however large the sweep.
        let runs = sweep.runs();
        let plot_note = (runs > PLOT_RUNS_MAX).then(|| {
            format!(
                "{runs} runs are more than a plot shows ({PLOT_RUNS_MAX} at most): see sweep.csv"
            )
        });
        let (line_variable, heat) = if plot_note.is_some() {
            (None, None)
        } else if sweep.variables.len() == 1 {
            (Some(0), None)
        } else if grid2 {
            let (nx, ny) = (sweep.points[0], sweep.points[1]);
            match (nx >= 2, ny >= 2) {
                (true, true) => (
                    None,
                    Some((
                        vec![f64::NAN; nx],
                        vec![f64::NAN; ny],
                        vec![vec![f64::NAN; nx * ny]; sweep.endpoints.len()],
                    )),
                ),
                (true, false) => (Some(0), None),
                (false, true) => (Some(1), None),
                (false, false) => (None, None),
            }
        } else {
            (None, None)
        };
        Ok(SweepWriter {
            dir: dir.to_path_buf(),
            h,
            sweep,
            table,
            trajectories,
            line: String::new(),
            line_variable,
            lines: vec![Vec::new(); sweep.endpoints.len()],
            heat,
            plot_note,
            runs: 0,
            failed: 0,
        })
    }

    /// Runs written so far.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Failed runs written so far.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Writes run `k` (runs come in order) with its variable values and outcome.
    pub fn row(&mut self, k: usize, x: &[f64], o: &RunOutcome) -> Result<(), OutputError> {
        let t = &mut self.line;
        t.clear();
        let _ = write!(t, "{k}");
        for v in x {
            let _ = write!(t, ",{v:e}");
        }
        match &o.endpoints {
            Ok(e) => {
                for v in e {
                    let _ = write!(t, ",{v:e}");
                }
                t.push_str(",ok,\n");
            }
            Err(reason) => {
                self.failed += 1;
                t.push_str(&",".repeat(self.sweep.endpoints.len()));
                let _ = writeln!(t, ",failed,{}", csv_field(reason));
            }
        }
        put(&self.table.0, &mut self.table.1, t)?;
        self.runs += 1;
        if let (Some((path, w, header)), Some(traj)) = (&mut self.trajectories, &o.trajectory) {
            let t = &mut self.line;
            t.clear();
            if !*header {
                let _ = writeln!(t, "run,{}", traj.columns.join(","));
                *header = true;
            }
            for row in 0..traj.len() {
                let _ = write!(t, "{k}");
                for col in &traj.data {
                    let _ = write!(t, ",{:e}", col[row]);
                }
                t.push('\n');
            }
            put(path, w, t)?;
        }
        if let Ok(e) = &o.endpoints {
            if let Some(v) = self.line_variable {
                for (j, y) in e.iter().enumerate() {
                    self.lines[j].push((x[v], *y));
                }
            }
            if let Some((_, _, z)) = &mut self.heat {
                for (j, y) in e.iter().enumerate() {
                    if let Some(cell) = z[j].get_mut(k) {
                        *cell = *y;
                    }
                }
            }
        }
        if let Some((xs, ys, _)) = &mut self.heat {
            let ny = ys.len();
            if k.is_multiple_of(ny) && k / ny < xs.len() {
                xs[k / ny] = x[0];
            }
            if k < ny {
                ys[k] = x[1];
            }
        }
        Ok(())
    }

    /// The header line of `sweep.csv` (without its line end).
    pub fn header(sweep: &Sweep) -> String {
        table_header(
            &["run"],
            sweep.variables.iter(),
            &sweep.endpoints,
            ",status,error",
        )
        .trim_end()
        .to_string()
    }

    /// Appends the trajectories of a shard's part (`trajectories.csv`, its rows in run order),
    /// writing the header line once, as the whole sweep does before its first trajectory.
    pub fn append_trajectories(&mut self, part: &Path) -> Result<(), OutputError> {
        use std::io::BufRead as _;
        let Some((path, w, header)) = &mut self.trajectories else {
            return Ok(());
        };
        let file = File::open(part).map_err(|e| OutputError::at(part, e))?;
        let mut lines = std::io::BufReader::new(file).split(b'\n');
        let Some(first) = lines.next() else {
            return Ok(());
        };
        let first = first.map_err(|e| OutputError::at(part, e))?;
        for line in (!*header).then_some(Ok(first)).into_iter().chain(lines) {
            let mut line = line.map_err(|e| OutputError::at(part, e))?;
            line.push(b'\n');
            w.write_all(&line).map_err(|e| OutputError::at(path, e))?;
        }
        *header = true;
        Ok(())
    }

    /// Closes the tables of a shard's part folder (its plots are drawn by the merge).
    pub fn finish_part(self) -> Result<Vec<String>, OutputError> {
        close(&self.table.0, self.table.1)?;
        let mut files = vec!["sweep.csv".to_string()];
        if let Some((path, w, _)) = self.trajectories {
            close(&path, w)?;
            files.push("trajectories.csv".to_string());
        }
        Ok(files)
    }

    /// Closes the tables and draws the plots. Plots that cannot be drawn (no finite value, a
    /// degenerate grid) are skipped with a warning.
    pub fn finish(self) -> Result<Written, OutputError> {
        let SweepWriter {
            dir,
            h,
            sweep,
            table,
            trajectories,
            line_variable,
            mut lines,
            heat,
            plot_note,
            ..
        } = self;
        close(&table.0, table.1)?;
        let mut out = Written {
            files: vec!["sweep.csv".to_string()],
            warnings: plot_note.into_iter().collect(),
        };
        if let Some((path, w, _)) = trajectories {
            close(&path, w)?;
            out.files.push("trajectories.csv".to_string());
        }
        if let Some(v) = line_variable {
            let var = &sweep.variables[v];
            for (j, e) in sweep.endpoints.iter().enumerate() {
                let stem = format!("sweep_{}", e.name);
                let mut points = finite_points(&std::mem::take(&mut lines[j]));
                if points.is_empty() {
                    out.skip(&stem, &format!("no run gave a finite `{}`", e.name));
                    continue;
                }
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let plot = plot::LinePlot {
                    title: format!("{} across {}", human(e), var.name),
                    subtitle: subtitle(h),
                    x_label: format!("{} ({})", var.name, var.unit),
                    y_label: column_label(&e.column),
                    series: vec![(human(e), points)],
                    log_x: sweep.ranges[v].scale == Scale::Log,
                    markers: true,
                    ..plot::LinePlot::default()
                };
                out.plot(&dir, &stem, &h.figure, || {
                    plot::draw_lines(&dir, &stem, &plot, &h.figure)
                });
            }
        } else if let Some((xs, ys, z)) = heat {
            let (vx, vy) = (&sweep.variables[0], &sweep.variables[1]);
            let ny = ys.len();
            for (jj, e) in sweep.endpoints.iter().enumerate() {
                let stem = format!("heatmap_{}", e.name);
                if !z[jj].iter().any(|v| v.is_finite()) {
                    out.skip(&stem, &format!("no run gave a finite `{}`", e.name));
                    continue;
                }
                if !(xs.iter().chain(&ys).all(|v| v.is_finite())) {
                    out.skip(&stem, "the grid is incomplete");
                    continue;
                }
                let plot = plot::HeatPlot {
                    title: human(e),
                    subtitle: subtitle(h),
                    x_label: format!("{} ({})", vx.name, vx.unit),
                    y_label: format!("{} ({})", vy.name, vy.unit),
                    z_label: column_label(&e.column),
                    xs: xs.clone(),
                    ys: ys.clone(),
                    z: z[jj].chunks(ny).map(<[f64]>::to_vec).collect(),
                    log_x: sweep.ranges[0].scale == Scale::Log,
                    log_y: sweep.ranges[1].scale == Scale::Log,
                };
                out.plot(&dir, &stem, &h.figure, || {
                    plot::draw_heatmap(&dir, &stem, &plot, &h.figure)
                });
            }
        } else if out.warnings.is_empty()
            && sweep.variables.len() == 2
            && sweep.design == Design::Grid
        {
            out.warnings.push(
                "no plot: both grid parameters have a single point; the table is complete"
                    .to_string(),
            );
        }
        Ok(out)
    }
}

/// Writes `sweep.csv` (one row per run), optionally `trajectories.csv`, and plots of a sweep
/// already run (see [`SweepWriter`] to write while running).
pub fn write_sweep(
    dir: &Path,
    h: &AnalysisHeader,
    sweep: &Sweep,
    result: &SweepResult,
) -> Result<Written, OutputError> {
    let mut w = SweepWriter::create(dir, h, sweep)?;
    for (k, (x, o)) in result.points.iter().zip(&result.outcomes).enumerate() {
        w.row(k, x, o)?;
    }
    w.finish()
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
) -> Result<Written, OutputError> {
    let mut out = Written::default();
    let files = &mut out.files;
    let mut figures: Vec<BarFigure> = Vec::new();
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
            let bars = s
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| plot::Bar {
                    label: v.name.clone(),
                    value: l.dy_dlnp[i][j],
                    ci: None,
                    second: None,
                })
                .collect();
            figures.push((
                format!("tornado_{}", e.name),
                bar_plot(
                    &s.header,
                    format!("Local sensitivity of {}", human(e)),
                    format!(
                        "endpoint change per unit change of ln(parameter) {}",
                        column_unit(&e.column)
                    ),
                    plot::BarKind::Signed,
                    bars,
                ),
            ));
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
        for (j, e) in endpoints.iter().enumerate() {
            let bars = s
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| plot::Bar {
                    label: v.name.clone(),
                    value: m[i][j].mu_star,
                    ci: None,
                    second: None,
                })
                .collect();
            figures.push((
                format!("morris_{}", e.name),
                bar_plot(
                    &s.header,
                    format!("Morris screening of {}", human(e)),
                    format!(
                        "mu*, mean absolute elementary effect {}",
                        column_unit(&e.column)
                    ),
                    plot::BarKind::NonNegative,
                    bars,
                ),
            ));
        }
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
            let bars = s
                .variables
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let st = so[i][j];
                    plot::Bar {
                        label: v.name.clone(),
                        value: st.total.value,
                        ci: Some((st.total.low, st.total.high)),
                        second: Some((st.first.value, Some((st.first.low, st.first.high)))),
                    }
                })
                .collect();
            let mut p = bar_plot(
                &s.header,
                format!("Sobol indices of {}", human(e)),
                "Sobol index (bars: 95% bootstrap CI)".into(),
                plot::BarKind::NonNegative,
                bars,
            );
            p.names = Some(("total-order S_T".into(), "first-order S_1".into()));
            figures.push((format!("sobol_total_{}", e.name), p));
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
    // Plots last, so that a figure that cannot be drawn never costs a table.
    for (stem, bars) in figures {
        if !bars.bars.iter().any(|b| b.value.is_finite()) {
            out.skip(&stem, "no finite value");
            continue;
        }
        let opts = &s.header.figure;
        out.plot(dir, &stem, opts, || {
            plot::draw_bars(dir, &stem, &bars, opts)
        });
    }
    Ok(out)
}

/// Writes a population while it runs: `patients.csv` one row per accepted patient, and at
/// [`PopulationWriter::finish`] `bands.csv`, `summary.json` and the band plots.
pub struct PopulationWriter<'a> {
    dir: PathBuf,
    study: &'a PopulationStudy,
    table: (PathBuf, BufWriter<File>),
    line: String,
    /// Published points of the population's scenario, by column.
    published: Vec<(String, plot::Published)>,
}

impl<'a> PopulationWriter<'a> {
    /// Opens `patients.csv` in `dir` and writes its header; `published` (the scenario's
    /// published points, `config::published_points`) are drawn on the band plots.
    pub fn create(
        dir: &Path,
        study: &'a PopulationStudy,
        published: &[crate::config::PublishedPoint],
    ) -> Result<Self, OutputError> {
        let pop = &study.population;
        let mut table = create(dir, "patients.csv")?;
        let t = table_header(
            &["patient", "candidate"],
            pop.variables.iter().map(|(v, _)| v),
            &pop.endpoints,
            "",
        );
        put(&table.0, &mut table.1, &t)?;
        Ok(PopulationWriter {
            dir: dir.to_path_buf(),
            study,
            table,
            line: String::new(),
            published: super::figures::run_context(&study.header.scenario, published).published,
        })
    }

    /// Writes one accepted patient (patients come in order).
    pub fn patient(&mut self, p: &Patient) -> Result<(), OutputError> {
        let t = &mut self.line;
        t.clear();
        let _ = write!(t, "{},{}", p.index, p.candidate);
        for v in p.values.iter().chain(p.endpoints) {
            let _ = write!(t, ",{v:e}");
        }
        t.push('\n');
        put(&self.table.0, &mut self.table.1, t)
    }

    /// Closes `patients.csv`, writes `bands.csv` and `summary.json`, and draws the band plots
    /// (a band without finite values is skipped with a warning).
    pub fn finish(self, r: &PopulationSummary) -> Result<Written, OutputError> {
        let PopulationWriter {
            dir,
            study,
            table,
            published,
            ..
        } = self;
        let dir = dir.as_path();
        close(&table.0, table.1)?;
        let pop = &study.population;
        let mut out = Written {
            files: vec!["patients.csv".into()],
            warnings: Vec::new(),
        };
        let mut b = String::from("column,t_day,p05,p25,p50,p75,p95\n");
        for band in &r.bands {
            for k in 0..band.t.len() {
                let _ = writeln!(
                    b,
                    "{},{},{:e},{:e},{:e},{:e},{:e}",
                    band.column,
                    band.t[k],
                    band.p05[k],
                    band.p25[k],
                    band.p50[k],
                    band.p75[k],
                    band.p95[k]
                );
            }
        }
        write_text(&dir.join("bands.csv"), &b)?;
        let dist = |j: usize| {
            let mut v = r.endpoint_values[j].clone();
            v.sort_by(f64::total_cmp);
            let q = |p: f64| {
                let pos = p * (v.len() - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
            };
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            json!({"mean": mean, "p05": q(0.05), "p25": q(0.25), "p50": q(0.5), "p75": q(0.75), "p95": q(0.95), "min": v[0], "max": v[v.len() - 1]})
        };
        let responders = study.responder.as_ref().map(|resp| {
            let n = r.endpoint_values[resp.endpoint]
                .iter()
                .filter(|&&v| {
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
                "fraction": n as f64 / r.accepted as f64,
            })
        });
        let summary = json!({
            "population": study.header.name,
            "scenario": study.header.scenario.name,
            "seed": pop.seed,
            "patients": r.accepted,
            "candidates_rejected": r.rejected,
            "candidates_failed": r.failed.iter().map(|(c, e)| json!({"candidate": c, "reason": e})).collect::<Vec<_>>(),
            "candidates_failed_count": r.failed_count,
            "variability": pop.variables.iter().zip(&pop.nominal).map(|((v, cv), x0)| json!({"name": v.name, "unit": v.unit, "median": x0, "cv": cv})).collect::<Vec<_>>(),
            "endpoints": pop.endpoints.iter().enumerate().map(|(j, e)| json!({"name": e.name, "distribution": dist(j)})).collect::<Vec<_>>(),
            "responders": responders,
            "bands": r.bands.iter().map(|b| json!({
                "column": b.column,
                "method": if b.relative_accuracy.is_some() { "sketch" } else { "exact" },
                "relative_accuracy": b.relative_accuracy,
            })).collect::<Vec<_>>(),
        });
        write_text(
            &dir.join("summary.json"),
            &(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"),
        )?;
        for band in &r.bands {
            let stem = format!("band_{}", band.column);
            let pts = |v: &[f64]| {
                finite_points(
                    &band
                        .t
                        .iter()
                        .zip(v)
                        .map(|(t, y)| (*t, *y))
                        .collect::<Vec<_>>(),
                )
            };
            let median = pts(&band.p50);
            if median.is_empty() {
                out.skip(&stem, "no finite value");
                continue;
            }
            let mut plot = plot::LinePlot::over_time(
                &format!(
                    "{} in {} virtual patients",
                    column_label(&band.column),
                    r.accepted
                ),
                &subtitle(&study.header),
                &column_label(&band.column),
            );
            plot.series = vec![("median".into(), median)];
            let ribbon = |label: &str, lo: &[f64], hi: &[f64], alpha: f64| plot::Band {
                label: label.into(),
                series: 0,
                points: band
                    .t
                    .iter()
                    .zip(lo.iter().zip(hi))
                    .map(|(t, (lo, hi))| (*t, *lo, *hi))
                    .collect(),
                alpha,
            };
            plot.bands = vec![
                ribbon(
                    "5th to 95th percentile",
                    &band.p05,
                    &band.p95,
                    plot::BAND_ALPHA,
                ),
                ribbon(
                    "25th to 75th percentile",
                    &band.p25,
                    &band.p75,
                    plot::INNER_BAND_ALPHA,
                ),
            ];
            plot.published = published
                .iter()
                .filter(|(c, _)| *c == band.column)
                .map(|(_, p)| p.clone())
                .collect();
            let opts = &study.header.figure;
            out.plot(dir, &stem, opts, || {
                plot::draw_lines(dir, &stem, &plot, opts)
            });
        }
        out.files.push("bands.csv".into());
        out.files.push("summary.json".into());
        Ok(out)
    }
}

/// Writes `patients.csv`, `bands.csv`, `summary.json` and band plots of a population already
/// run (see [`PopulationWriter`] to write while running).
pub fn write_population(
    dir: &Path,
    study: &PopulationStudy,
    r: &PopulationResult,
) -> Result<Written, OutputError> {
    let mut w = PopulationWriter::create(dir, study, &[])?;
    let m = study.population.endpoints.len();
    let mut endpoint_values = vec![Vec::with_capacity(r.patients.len()); m];
    for (k, (c, x, e)) in r.patients.iter().enumerate() {
        w.patient(&Patient {
            index: k,
            candidate: *c,
            values: x,
            endpoints: e,
        })?;
        for (j, v) in e.iter().enumerate() {
            endpoint_values[j].push(*v);
        }
    }
    w.finish(&PopulationSummary {
        accepted: r.patients.len(),
        candidates: 0,
        rejected: r.rejected,
        failed_count: r.failed.len(),
        failed: r.failed.clone(),
        bands: r.bands.clone(),
        endpoint_values,
    })
}
