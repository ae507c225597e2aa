//! Glue between the command line and the library: load, validate, simulate, write, report.

use crate::config::{self, Scenario};
use crate::engine::{self, SteadyStateReport};
use crate::error::{ConfigError, SimError};
use crate::model::ModelId;
use crate::output::{self, OutputDirError, OutputError};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub mod merge;
pub mod shard;
pub mod slurm;

pub use merge::merge;
pub use shard::ShardRun;

use crate::analysis::shard::Shard;

/// Any failure of a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input (exit code 2).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The simulation failed (exit code 1).
    #[error("simulation failed: {0}")]
    Sim(#[from] SimError),
    /// Outputs could not be written (exit code 1).
    #[error("{0}")]
    Output(#[from] OutputError),
    /// The output folder was refused (exit code 2), is being written by another process or
    /// could not be written (exit code 1).
    #[error("{0}")]
    OutputDir(#[from] OutputDirError),
}

impl AppError {
    /// Process exit code: 2 for bad input, 1 for a failed run.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(_) => 2,
            AppError::Sim(_) | AppError::Output(_) => 1,
            AppError::OutputDir(e) => e.exit_code(),
        }
    }
}

/// What `run` produced.
#[derive(Debug)]
pub struct RunSummary {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Files written, relative to the folder.
    pub files: Vec<String>,
    /// Lines to print.
    pub report: String,
}

/// Default output folder of a scenario: `output/<name>`.
pub fn default_out_dir(scenario: &Scenario) -> PathBuf {
    Path::new("output").join(&scenario.name)
}

/// `immunoporosis run`: simulate a scenario and write CSV, manifest and plots. `force` allows
/// replacing a previous result to which files were added (see [`output::dir`]).
pub fn run(path: &Path, out: Option<&Path>, force: bool) -> Result<RunSummary, AppError> {
    let scenario = config::load_scenario(path)?;
    warn(&scenario.warnings);
    let out_dir = out.map_or_else(|| default_out_dir(&scenario), Path::to_path_buf);
    output::check_target(&out_dir, force)?;
    let started = Instant::now();
    let result = engine::simulate(&scenario.spec)?;
    let wall = started.elapsed().as_secs_f64();
    let manifest = output::manifest::build(&scenario, &result, wall);
    let spec = scenario.spec.layout();
    let summary = output::manifest::summary(&scenario, &result);
    let mut files = vec!["timeseries.csv".to_string(), "manifest.json".to_string()];
    if summary.is_some() {
        files.push("summary.json".to_string());
    }
    let published = config::published_points(&scenario.path);
    let cx = output::figures::run_context(&scenario, &published);
    let mut skipped = Vec::new();
    output::write_dir(&out_dir, force, |dir| {
        output::csv::write(&dir.join("timeseries.csv"), &result.trajectory)?;
        output::manifest::write(&dir.join("manifest.json"), &manifest)?;
        if let Some(summary) = &summary {
            output::manifest::write(&dir.join("summary.json"), summary)?;
        }
        let figures = output::figures::write_run_figures(
            dir,
            &result.trajectory,
            spec.plots,
            &cx,
            &scenario.figure,
        )?;
        files.extend(figures.files);
        skipped = figures.skipped;
        files.push(output::report::FILE.to_string());
        output::report::run(
            dir,
            &output::report::RunReport {
                scenario: &scenario,
                result: &result,
                summary: summary.as_ref(),
                wall_seconds: wall,
            },
        )
    })?;
    warn(&skipped);
    let p = &scenario.spec.protocol;
    let report = format!(
        "scenario      {} (model {}): {} days{}, output every {} day\n{}\nsolver        {}: {} steps ({} rejected), {} evaluations over {} segment(s), {:.3} s\nwrote         {}/ ({})",
        scenario.name,
        spec.name,
        p.duration,
        if p.start < 0.0 {
            format!(
                " after a {} day run-in (relative columns restart at day 0)",
                -p.start
            )
        } else {
            String::new()
        },
        p.output_interval,
        steady_lines(&result.steady_state),
        solvers_used(&result.segments),
        result.stats.accepted_steps,
        result.stats.rejected_steps,
        result.stats.evaluations,
        result.segments.len(),
        wall,
        out_dir.display(),
        files.join(", "),
    );
    Ok(RunSummary {
        out_dir,
        files,
        report,
    })
}

/// `immunoporosis check`: validate a scenario without running it.
pub fn check(path: &Path) -> Result<String, AppError> {
    let s = config::load_scenario(path)?;
    warn(&s.warnings);
    let spec = s.spec.layout();
    let segments = s.spec.protocol.segments(spec.inputs);
    let mut out = format!(
        "{}: ok\nscenario   {} (model {}, parameters from {})\nduration   {} days, output every {} day ({} rows)\nsegments   {}\n",
        path.display(),
        s.name,
        spec.name,
        s.spec.params.origin,
        s.spec.protocol.duration,
        s.spec.protocol.output_interval,
        s.spec.protocol.output_times().len(),
        segments.len()
    );
    if s.spec.protocol.start < 0.0 {
        out.push_str(&format!(
            "run-in     {} days from the steady state before day 0 (not written; relative columns restart at day 0)\n",
            -s.spec.protocol.start
        ));
    }
    for (name, v) in &s.overrides {
        let unit = &s.spec.params.params[name].unit;
        out.push_str(&format!("override   {name} = {} {unit}\n", config::num(*v)));
    }
    for (name, unit, v, a, b, shape) in &s.inputs {
        out.push_str(&format!(
            "input      {name} = {} {unit} for {} < t <= {} day ({shape}){}\n",
            config::num(*v),
            config::num(*a),
            config::num(*b),
            handle_note(name, *v)
        ));
    }
    for t in &s.treatments {
        out.push_str(&format!("treatment  {t}\n"));
    }
    Ok(out)
}

/// `immunoporosis steady`: a model's steady state, residual and eigenvalues.
pub fn steady(model: &str, params: Option<&Path>) -> Result<String, AppError> {
    let id = ModelId::from_name(model).ok_or_else(|| {
        ConfigError::key(
            "<command line>",
            None,
            "MODEL",
            format!("unknown model `{model}`"),
        )
        .with_help(config::suggest_model(model))
    })?;
    let set = match params {
        Some(p) => config::load_params(id, p)?,
        None => config::bundled_params(id)?,
    };
    let report = engine::steady_state(id, &set)?;
    let spec = id.layout(&[]);
    let mut out = format!(
        "model         {} ({})\nparameters    {}\n",
        id.name(),
        id.title(),
        set.origin
    );
    for (s, v) in spec.states.iter().zip(&report.state) {
        out.push_str(&format!("  {:<8} = {:<24e} {}\n", s.name, v, s.unit));
    }
    out.push_str(&steady_lines(&report));
    out.push('\n');
    Ok(out)
}

/// The distinct solvers of a run's segments, e.g. `Dopri5` or `Dopri5 and BDF`.
fn solvers_used(segments: &[engine::SegmentReport]) -> String {
    let bdf = segments
        .iter()
        .filter(|s| s.solver.starts_with("bdf"))
        .count();
    match (bdf, segments.len() - bdf) {
        (0, _) => "Dopri5".to_string(),
        (_, 0) => "BDF".to_string(),
        (b, d) => format!("Dopri5 ({d} segments) and BDF ({b}, see manifest)"),
    }
}

fn steady_lines(r: &SteadyStateReport) -> String {
    let eig: Vec<String> = r
        .eigenvalues
        .iter()
        .map(|(re, im)| {
            if *im == 0.0 {
                format!("{re:.4e}")
            } else {
                format!("{re:.4e}{im:+.4e}i")
            }
        })
        .collect();
    format!(
        "steady state  {} in {} iteration(s); residual max |dy/dt| = {:.3e} (relative {:.3e} /day)\nstability     Jacobian eigenvalues over ({}) [1/day]: {} -> {}",
        r.method.as_str(),
        r.iterations,
        r.residual,
        r.relative_residual,
        r.jacobian_states.join(", "),
        eig.join(", "),
        if r.stable { "stable" } else { "NOT stable" }
    )
}

/// For an input that is a handle of the immune module: which element, and whether the value
/// knocks it out.
fn handle_note(input: &str, value: f64) -> String {
    let Some(h) = crate::model::immune::HANDLES
        .iter()
        .find(|h| h.input == input)
    else {
        return String::new();
    };
    let what = if value == 0.0 { "knock-out" } else { h.meaning };
    format!(" [handle {} ({}): {what}]", h.name, h.kind)
}

/// The immune module's handles: one scenario input per element, with its unit and meaning.
fn handles_listing() -> String {
    let mut out = String::from(
        "\nHANDLES of the immunoporosis model (scenario inputs `<element>_factor` [1]: 1 untouched, 0 knock-out, 2 twice healthy; drugs act through the same factors)\n",
    );
    for h in &crate::model::immune::HANDLES {
        out.push_str(&format!(
            "  {:<20} [1] {:<13} {}\n",
            h.input, h.kind, h.meaning
        ));
    }
    out
}

/// `immunoporosis list`: models, bundled scenarios, parameters with units and sources.
pub fn list(scenario_dir: &Path) -> Result<String, AppError> {
    let mut out = String::from("MODELS\n");
    for id in ModelId::ALL {
        let spec = id.layout(&[]);
        out.push_str(&format!("  {:<12} {}\n", id.name(), id.title()));
        let states: Vec<String> = spec
            .states
            .iter()
            .map(|s| format!("{} [{}]", s.name, s.unit))
            .collect();
        out.push_str(&format!("               states: {}\n", states.join(", ")));
        let inputs: Vec<String> = spec
            .inputs
            .iter()
            .map(|s| format!("{} [{}]", s.name, s.unit))
            .collect();
        out.push_str(&format!("               inputs: {}\n", inputs.join(", ")));
        // A run has the compartments of the drugs it doses, after the model's own states.
        for drug in id.drugs() {
            let compartments: Vec<String> = drug
                .compartments
                .iter()
                .map(|c| format!("{} [mg]", c.symbol))
                .collect();
            let routes: Vec<&str> = drug.routes.iter().map(|r| r.route).collect();
            out.push_str(&format!(
                "               drug {}: {} (routes {})\n",
                drug.name,
                compartments.join(", "),
                routes.join(", ")
            ));
        }
    }
    out.push_str(&handles_listing());
    out.push_str(&format!(
        "\nBUNDLED SCENARIOS ({})\n",
        scenario_dir.display()
    ));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(scenario_dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    entries.sort();
    for p in entries {
        match config::load_scenario(&p) {
            Ok(s) => out.push_str(&format!(
                "  {:<26} [{}] {}\n",
                s.name,
                s.spec.model.name(),
                s.description
            )),
            Err(e) => out.push_str(&format!("  {:<26} INVALID: {e}\n", p.display())),
        }
    }
    for id in ModelId::ALL {
        let set = config::bundled_params(id)?;
        out.push_str(&format!("\nPARAMETERS of {} ({})\n", id.name(), set.origin));
        for p in set.params.values() {
            out.push_str(&format!(
                "  {:<24} = {:<12e} {:<14} {:<44} [{}]\n",
                p.name, p.value, p.unit, p.description, p.source
            ));
        }
        out.push_str("  sources:\n");
        for (k, v) in &set.sources {
            out.push_str(&format!("    {k}: {v}\n"));
        }
    }
    Ok(out)
}

/// `immunoporosis calibrate`: fit (or, with `no_fit`, take the parameter file's values), analyse
/// the identifiability of the parameters there, write the fitted parameter file and the report.
pub fn calibrate(
    path: &Path,
    out: Option<&Path>,
    write_params: bool,
    force: bool,
    no_fit: bool,
) -> Result<String, AppError> {
    let cal = config::load_calibration(path)?;
    let out_dir = out.map_or_else(
        || Path::new("output").join("calibration").join(&cal.name),
        Path::to_path_buf,
    );
    output::check_target(&out_dir, force)?;
    let failed = |what: &str, e: &dyn std::fmt::Display| SimError::Calibration {
        reason: format!("{what}{e}"),
    };
    let started = Instant::now();
    let fit = if no_fit {
        let values: Vec<f64> = cal
            .parameters
            .iter()
            .map(|p| cal.params.params[&p.name].value)
            .collect();
        crate::calibration::fit_at(&cal, &values, 0, 1, "not fitted (--no-fit)".into())
            .map_err(|e| failed("at the parameter file's values: ", &e))?
    } else {
        let bar = spinner("calibrating");
        let log = LogLines::new("calibrate");
        log.say(&format!(
            "fitting {} to {} ({}, at most {} iterations)",
            counted(cal.parameters.len(), "parameter"),
            counted(cal.targets.len(), "target"),
            cal.method.name(),
            cal.max_iterations
        ));
        let fit = crate::calibration::calibrate(&cal, &|n, best| {
            let what = format!("{n} evaluations, best cost {best:.4e}");
            log.every(&what);
            bar.set_message(what);
            bar.tick();
        })
        .map_err(|e| failed("", &e))?;
        bar.finish_and_clear();
        log.say(&format!(
            "fit done: cost {:.4e} after {} evaluations; identifiability analysis ({} evaluations)",
            fit.cost,
            fit.evaluations,
            1 + 2 * fit.parameters.len()
        ));
        fit
    };
    // A finished fit is too costly to lose: when the analysis fails, the fit is still written
    // and the report says why the analysis is missing.
    let identifiability = identifiability_at(&cal, &fit).map_err(|e| e.to_string());
    let report = output::calibration::Report {
        cal: &cal,
        fit: &fit,
        identifiability: identifiability.as_ref().map_err(String::as_str),
        optimised: !no_fit,
    };
    let files = output::calibration::fitted_params_files(&cal, &fit)
        .map_err(|e| OutputError::at(&cal.params_path, std::io::Error::other(e)))?;
    output::write_dir(&out_dir, force, |dir| {
        output::calibration::write(dir, &report, &files)?;
        output::report::calibrate(dir, &report)
    })?;
    let mut text = output::calibration::report_markdown(&report);
    if write_params {
        // A bundled file is rewritten only where it is the copy this program was built from:
        // never over newer edits, and never a stray `params/` below another folder.
        let mut bundled: Vec<(&Path, &str)> = cal
            .drug_files
            .iter()
            .map(|(p, t)| (p.as_path(), t.as_str()))
            .collect();
        let bundled_model = cal.params_path == Path::new(cal.model.bundled_params().0);
        if bundled_model {
            bundled.push((cal.params_path.as_path(), cal.params_text.as_str()));
        }
        for (path, text) in &bundled {
            if !files.iter().any(|(p, _)| p.as_path() == *path) {
                continue;
            }
            let on_disk = std::fs::read_to_string(path).map_err(|e| {
                OutputError::at(
                    path,
                    std::io::Error::other(format!(
                        "{e}; --write-params rewrites the bundled files in place, so run it from the repository root"
                    )),
                )
            })?;
            if on_disk != *text {
                return Err(OutputError::at(
                    path,
                    std::io::Error::other(
                        "this file differs from the copy compiled into the program (edited since the last build?); rebuild (cargo build --release) and calibrate again, nothing was written",
                    ),
                )
                .into());
            }
        }
        for (path, text) in &files {
            output::write_file_atomically(path, text)?;
        }
        text.push_str(&format!(
            "\nwrote the fitted values into {}\n",
            files
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if bundled_model
            || files
                .iter()
                .any(|(p, _)| cal.drug_files.iter().any(|(d, _)| d == p))
        {
            text.push_str("rebuild the program (cargo build --release) for the new values of bundled files to take effect\n");
        }
    }
    let written: Vec<String> = files
        .iter()
        .filter_map(|(p, _)| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    text.push_str(&format!(
        "\n{:.1} s; wrote {}/ (fit_report.md, fit_report.json, {}report.html, {})\n",
        started.elapsed().as_secs_f64(),
        out_dir.display(),
        if identifiability.is_ok() {
            "identifiability.csv, "
        } else {
            ""
        },
        written.join(", ")
    ));
    if let Err(reason) = &identifiability {
        text.push_str(&format!(
            "warning: the identifiability analysis failed ({reason}); the fit is written without it\n"
        ));
    }
    if !fit.targets.iter().all(|t| t.met) {
        text.push_str("warning: not every target is met within its tolerance\n");
    }
    Ok(text)
}

/// Progress as plain lines on stderr for a long command whose stderr is not a terminal (a log
/// file, a batch job), where the spinner is hidden: a line at each stage and at most one a
/// minute while it works, each with the time since the start.
struct LogLines {
    what: &'static str,
    on: bool,
    started: Instant,
    last: std::sync::Mutex<Instant>,
}

impl LogLines {
    /// Seconds between two progress lines.
    const INTERVAL_S: u64 = 60;

    fn new(what: &'static str) -> Self {
        use std::io::IsTerminal;
        let now = Instant::now();
        LogLines {
            what,
            on: !std::io::stderr().is_terminal(),
            started: now,
            last: std::sync::Mutex::new(now),
        }
    }

    /// A stage: always written (when stderr is not a terminal).
    fn say(&self, text: &str) {
        if self.on {
            let s = self.started.elapsed().as_secs();
            eprintln!(
                "{} [{:02}:{:02}:{:02}] {text}",
                self.what,
                s / 3600,
                s / 60 % 60,
                s % 60
            );
        }
    }

    /// Progress: written when a minute has passed since the last line.
    fn every(&self, text: &str) {
        if !self.on {
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.elapsed().as_secs() >= Self::INTERVAL_S {
            *last = Instant::now();
            drop(last);
            self.say(text);
        }
    }
}

/// `n thing` or `n things`.
fn counted(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// A spinner on stderr (hidden when stderr is not a terminal).
fn spinner(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{elapsed_precise}}] {{msg}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar
}

/// The identifiability of the fit's parameter values (1 + 2 evaluations per parameter, in
/// parallel, with a spinner).
fn identifiability_at(
    cal: &config::Calibration,
    fit: &crate::calibration::Fit,
) -> Result<
    crate::identifiability::Identifiability,
    crate::identifiability::AnalyseError<crate::calibration::EvaluateError>,
> {
    use crate::calibration::{evaluate, scaled_residuals};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let values: Vec<f64> = fit.parameters.iter().map(|p| p.value).collect();
    let (lower, upper): (Vec<f64>, Vec<f64>) =
        cal.parameters.iter().map(|p| (p.lower, p.upper)).unzip();
    let total = 1 + 2 * values.len();
    let bar = spinner("identifiability");
    let done = AtomicUsize::new(0);
    let result = crate::identifiability::analyse(
        |v: &[f64]| {
            let r = evaluate(cal, v).map(|got| scaled_residuals(cal, &got));
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n}/{total} evaluations"));
            bar.tick();
            r
        },
        &values,
        &lower,
        &upper,
    );
    bar.finish_and_clear();
    result
}

/// `immunoporosis compare`: run scenarios, overlay their bone-mass curves, write one CSV.
pub fn compare(paths: &[PathBuf], out: Option<&Path>, force: bool) -> Result<String, AppError> {
    let scenarios = paths
        .iter()
        .map(|p| config::load_scenario(p))
        .collect::<Result<Vec<_>, _>>()?;
    let out_dir = out.map_or_else(|| Path::new("output").join("compare"), Path::to_path_buf);
    output::check_target(&out_dir, force)?;
    for s in &scenarios {
        warn(&s.warnings);
    }
    // What can be compared is known from the models: decided before simulating.
    let models: Vec<_> = scenarios.iter().map(|s| s.spec.layout()).collect();
    let plan = output::compare::plan(&models)
        .map_err(|reason| ConfigError::file("<command line>", reason))?;
    warn(&plan.warnings);
    let results = scenarios
        .iter()
        .map(|s| engine::simulate(&s.spec).map_err(AppError::from))
        .collect::<Result<Vec<_>, _>>()?;
    let runs: Vec<output::compare::Arm> = scenarios
        .iter()
        .zip(&results)
        .map(|(s, r)| {
            let doses = s.spec.protocol.doses.iter().map(|d| d.time).collect();
            (s.name.as_str(), &r.trajectory, doses)
        })
        .collect();
    let mut written = None;
    output::write_dir(&out_dir, force, |dir| {
        let opts = scenarios
            .first()
            .map(|s| s.figure.clone())
            .unwrap_or_default();
        let mut w = output::compare::write(dir, &runs, &plan, &opts)?;
        w.files.push(output::report::FILE.into());
        written = Some(w);
        output::report::compare(dir, &scenarios, &results)
    })?;
    let written = written.map_or_else(Vec::new, |w| {
        warn(&w.warnings);
        w.files
    });
    Ok(format!(
        "compared {} scenarios: {}\nwrote {}/ ({})",
        runs.len(),
        runs.iter().map(|(n, ..)| *n).collect::<Vec<_>>().join(", "),
        out_dir.display(),
        written.join(", ")
    ))
}

/// Prints warnings on stderr, one per line.
fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    // Drawn on stderr; indicatif hides it when stderr is not a terminal.
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{what} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} runs ({{per_sec}}, eta {{eta}})"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Runs `work` in a rayon pool of `threads` threads (the global pool when `None`).
fn in_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> T {
    match threads {
        None => work(),
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
    }
}

/// Refuses a thread count whose runs in flight, one trajectory each, would take more memory than
/// [`config::limits::IN_FLIGHT_BYTES`]: checked before any run starts.
fn check_threads(threads: Option<usize>, spec: &engine::RunSpec) -> Result<(), ConfigError> {
    let n = threads.unwrap_or_else(rayon::current_num_threads);
    let model = spec.layout();
    let columns = 1 + model.states.len() + model.derived.len();
    let p = &spec.protocol;
    let rows = config::limits::output_rows(p.duration, p.output_interval);
    match config::limits::threads_problem(n, rows, columns) {
        None => Ok(()),
        Some(why) => Err(ConfigError::key("<command line>", None, "--threads", why)
            .with_help("use fewer threads, or raise output_interval_days in the scenario")),
    }
}

/// The shard run of an analysis command given `--shard` (or a job array's environment).
fn sharded<'a>(
    shard: Option<Shard>,
    out: Option<&'a Path>,
    threads: Option<usize>,
    force: bool,
) -> Option<ShardRun<'a>> {
    shard.map(|shard| ShardRun {
        shard,
        out,
        threads,
        force,
    })
}

fn analysis_out(kind: &str, name: &str, out: Option<&Path>) -> PathBuf {
    out.map_or_else(
        || Path::new("output").join(kind).join(name),
        Path::to_path_buf,
    )
}

/// `immunoporosis sweep`: run a scenario over a design of parameter values.
pub fn sweep(
    path: &Path,
    out: Option<&Path>,
    threads: Option<usize>,
    force: bool,
    shard: Option<Shard>,
) -> Result<String, AppError> {
    if let Some(run) = sharded(shard, out, threads, force) {
        return shard::sweep(path, &run);
    }
    let (h, sweep) = config::load_sweep(path)?;
    check_threads(threads, &sweep.base)?;
    let out_dir = analysis_out("sweep", &h.name, out);
    output::check_target(&out_dir, force)?;
    let runs = sweep.runs();
    let bar = progress_bar(runs as u64, "sweep");
    let started = Instant::now();
    // Rows are written into the output folder's temporary folder while the runs go on; it takes
    // its place whole at the commit (on any error it is removed: nothing is left behind).
    let dir = output::OutputDir::create(&out_dir, force)?;
    let mut w = output::analysis::SweepWriter::create(dir.path(), &h, &sweep)?;
    in_pool(threads, || {
        crate::analysis::sweep::stream(&sweep, &|| bar.inc(1), |k, x, o| w.row(k, &x, &o))
    })?;
    bar.finish_and_clear();
    let failed = w.failed();
    let mut written = w.finish()?;
    output::report::sweep(dir.path(), &h, runs, failed)?;
    written.files.push(output::report::FILE.into());
    dir.commit()?;
    let seconds = started.elapsed().as_secs_f64();
    warn(&written.warnings);
    Ok(format!(
        "sweep {}: {runs} runs of scenario `{}` ({} failed) in {seconds:.2} s, {:.0} runs/s\nwrote {}/ ({})",
        h.name,
        h.scenario.name,
        failed,
        runs as f64 / seconds.max(1e-9),
        out_dir.display(),
        written.files.join(", ")
    ))
}

/// `immunoporosis sensitivity`: local, Morris and Sobol sensitivities of the endpoints.
pub fn sensitivity(
    path: &Path,
    out: Option<&Path>,
    threads: Option<usize>,
    seed: Option<u64>,
    force: bool,
    shard: Option<Shard>,
) -> Result<String, AppError> {
    if let Some(run) = sharded(shard, out, threads, force) {
        return shard::sensitivity(path, seed, &run);
    }
    let mut s = config::load_sensitivity(path)?;
    check_threads(threads, &s.header.scenario.spec)?;
    let out_dir = analysis_out("sensitivity", &s.header.name, out);
    output::check_target(&out_dir, force)?;
    if let Some(seed) = seed {
        s.header.seed = seed;
    }
    let base = s.header.scenario.spec.clone();
    let k = s.variables.len();
    let total = s.local.map_or(0, |_| 1 + 2 * k)
        + s.morris.map_or(0, |(r, _)| r * (k + 1))
        + s.sobol
            .map_or(0, |(n, _)| crate::analysis::sensitivity::sobol_runs(n, k));
    let bar = progress_bar(total as u64, "sensitivity");
    let started = Instant::now();
    // One run specification per run, built inside the parallel loop: memory holds the points
    // and endpoint values (a few numbers per run), not the runs.
    let eval = |points: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
        crate::analysis::run_points(&base, &s.variables, points, &s.header.endpoints, &|| {
            bar.inc(1)
        })
    };
    let fail = |reason: String| AppError::Sim(SimError::Analysis { reason });
    let results = in_pool(
        threads,
        || -> Result<output::analysis::SensitivityResults, AppError> {
            use crate::analysis::sensitivity;
            Ok(output::analysis::SensitivityResults {
                local: s
                    .local
                    .map(|h| sensitivity::local(&eval, &s.nominal, h))
                    .transpose()
                    .map_err(fail)?,
                morris: s
                    .morris
                    .map(|(r, p)| sensitivity::morris(&eval, &s.ranges, r, p, s.header.seed))
                    .transpose()
                    .map_err(fail)?,
                sobol: s
                    .sobol
                    .map(|(n, b)| sensitivity::sobol(&eval, &s.ranges, n, b, s.header.seed))
                    .transpose()
                    .map_err(fail)?,
            })
        },
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let mut written = output::analysis::Written::default();
    output::write_dir(&out_dir, force, |dir| {
        written = output::analysis::write_sensitivity(dir, &s, &results)?;
        written.files.push(output::report::FILE.into());
        output::report::sensitivity(dir, &s, total)
    })?;
    warn(&written.warnings);
    Ok(format!(
        "sensitivity {}: {total} runs of scenario `{}` in {seconds:.2} s\n{}wrote {}/ ({})",
        s.header.name,
        s.header.scenario.name,
        sobol_ranking(&s, &results),
        out_dir.display(),
        written.files.join(", ")
    ))
}

/// The three largest total Sobol indices of each endpoint, a line each (empty without Sobol).
fn sobol_ranking(
    s: &config::Sensitivity,
    results: &output::analysis::SensitivityResults,
) -> String {
    let mut report = String::new();
    let k = s.variables.len();
    if let Some(so) = &results.sobol {
        for (j, e) in s.header.endpoints.iter().enumerate() {
            let mut rank: Vec<(usize, f64)> = (0..k).map(|i| (i, so[i][j].total.value)).collect();
            rank.sort_by(|a, b| b.1.total_cmp(&a.1));
            let top: Vec<String> = rank
                .iter()
                .take(3)
                .map(|(i, v)| format!("{} {v:.3}", s.variables[*i].name))
                .collect();
            report.push_str(&format!(
                "  {}: largest total Sobol indices: {}\n",
                e.name,
                top.join(", ")
            ));
        }
    }
    report
}

/// `immunoporosis population`: a virtual population with percentile bands.
pub fn population(
    path: &Path,
    out: Option<&Path>,
    threads: Option<usize>,
    force: bool,
    shard: Option<Shard>,
) -> Result<String, AppError> {
    use crate::analysis::population::{self, PopulationError};
    if let Some(run) = sharded(shard, out, threads, force) {
        return shard::population(path, &run);
    }
    let study = config::load_population(path)?;
    check_threads(threads, &study.population.base)?;
    let out_dir = analysis_out("population", &study.header.name, out);
    output::check_target(&out_dir, force)?;
    let bar = progress_bar(study.population.patients as u64, "population");
    let started = Instant::now();
    // Patients are written into the output folder's temporary folder while the runs go on; it
    // takes its place whole at the commit (on any error it is removed: nothing is left behind).
    let dir = output::OutputDir::create(&out_dir, force)?;
    let published = config::published_points(&study.header.scenario.path);
    let mut w = output::analysis::PopulationWriter::create(dir.path(), &study, &published)?;
    let result = in_pool(threads, || {
        population::stream(
            &study.population,
            population::BAND_EXACT_BYTES,
            &|done, _| bar.set_position(done as u64),
            |p| w.patient(&p),
        )
    });
    bar.finish_and_clear();
    let result = match result {
        Ok(result) => result,
        Err(PopulationError::Sink(e)) => return Err(e.into()),
        Err(PopulationError::Analysis(reason)) => {
            return Err(SimError::Analysis { reason }.into());
        }
    };
    let mut written = w.finish(&result)?;
    output::report::population(dir.path(), &study)?;
    written.files.push(output::report::FILE.into());
    dir.commit()?;
    let seconds = started.elapsed().as_secs_f64();
    warn(&written.warnings);
    Ok(population_report(
        &study,
        &result,
        &out_dir,
        &written,
        Some(seconds),
    ))
}

/// What a population (run or merged) reports: patients, rejected and failed candidates, a
/// warning when fewer patients than wanted were accepted, the files written.
fn population_report(
    study: &config::PopulationStudy,
    result: &crate::analysis::population::PopulationSummary,
    out_dir: &Path,
    written: &output::analysis::Written,
    seconds: Option<f64>,
) -> String {
    let mut report = format!(
        "population {}: {} patients of scenario `{}` ({} candidates rejected, {} failed){}\n",
        study.header.name,
        result.accepted,
        study.header.scenario.name,
        result.rejected,
        result.failed_count,
        seconds.map_or_else(String::new, |s| format!(" in {s:.2} s"))
    );
    if result.accepted < study.population.patients {
        report.push_str(&format!(
            "warning: only {} of {} patients accepted within {} candidates\n",
            result.accepted, study.population.patients, study.population.max_candidates
        ));
    }
    report.push_str(&format!(
        "wrote {}/ ({})",
        out_dir.display(),
        written.files.join(", ")
    ));
    report
}

/// `immunoporosis knockout`: every handle of the immune module at a few factors in a few
/// contexts; writes the table, summary and figure, and returns the text table.
pub fn knockout(
    path: &Path,
    out: Option<&Path>,
    threads: Option<usize>,
    force: bool,
) -> Result<String, AppError> {
    let study = config::load_knockout(path)?;
    for c in &study.knockout.contexts {
        check_threads(threads, &c.base)?;
    }
    let out_dir = analysis_out("knockout", &study.name, out);
    output::check_target(&out_dir, force)?;
    warn(&study.warnings);
    let k = &study.knockout;
    let bar = progress_bar(k.runs() as u64, "knockout");
    let started = Instant::now();
    let result = in_pool(threads, || {
        crate::analysis::knockout::run(k, &|| bar.inc(1))
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let mut written = output::analysis::Written::default();
    output::write_dir(&out_dir, force, |dir| {
        written = output::knockout::write_knockout(dir, &study, &result)?;
        written.files.push(output::report::FILE.into());
        output::report::knockout(dir, &study, k.runs(), result.failed())
    })?;
    warn(&written.warnings);
    Ok(format!(
        "knockout {}: {} runs ({} handles x {} factors in {} contexts, plus each context untouched; {} failed) in {seconds:.2} s\n{}wrote {}/ ({})",
        study.name,
        k.runs(),
        k.handles.len(),
        k.factors.len(),
        k.contexts.len(),
        result.failed(),
        output::knockout::text_table(&study, &result),
        out_dir.display(),
        written.files.join(", ")
    ))
}

/// Options of `immunoporosis validate`.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions<'a> {
    /// Output folder [default: output/validation].
    pub out: Option<&'a Path>,
    /// Replace a previous result to which files were added.
    pub force: bool,
    /// Calibration files whose targets no outcome may repeat (empty: the repository's).
    pub calibrations: &'a [PathBuf],
    /// Also regenerate `docs/validation.md`.
    pub write_docs: bool,
    /// Worker threads.
    pub threads: Option<usize>,
}

/// `immunoporosis validate`: run each scenario of the validation files once, judge every outcome
/// against its band, write the tables and figures; returns the one-line summary (the files
/// written go to stderr).
pub fn validate(files: &[PathBuf], opt: &ValidateOptions) -> Result<String, AppError> {
    let files = if files.is_empty() {
        config::toml_files(Path::new("params/validation"))
    } else {
        files.to_vec()
    };
    let v = config::load_validation(&files, opt.calibrations)?;
    for s in &v.scenarios {
        check_threads(opt.threads, &s.spec)?;
    }
    let out_dir = opt
        .out
        .map_or_else(|| Path::new("output").join("validation"), Path::to_path_buf);
    output::check_target(&out_dir, opt.force)?;
    for s in &v.scenarios {
        warn(&s.warnings);
    }
    let docs = if opt.write_docs {
        Some(docs_path(&files[0])?)
    } else {
        None
    };
    let bar = progress_bar(v.scenarios.len() as u64, "validate");
    let result = in_pool(opt.threads, || {
        crate::validation::evaluate(&v, &|| bar.inc(1))
    });
    bar.finish_and_clear();
    let e = result?;
    let mut written = output::analysis::Written::default();
    output::write_dir(&out_dir, opt.force, |dir| {
        written = output::validation::write(dir, &v, &e)?;
        written.files.push(output::report::FILE.into());
        output::report::validate(dir, &v, &e)
    })?;
    warn(&written.warnings);
    eprintln!(
        "validate: {} outcomes from {} studies, {} scenarios; wrote {}/ ({})",
        v.outcomes.len(),
        v.studies.len(),
        v.scenarios.len(),
        out_dir.display(),
        written.files.join(", ")
    );
    if let Some(docs) = docs {
        write_docs(&docs, &output::validation::docs_markdown(&v, &e))?;
        eprintln!("validate: wrote {}", docs.display());
    }
    Ok(output::validation::summary_line(&e))
}

/// `docs/validation.md` of the repository holding `file` (the folder above `params/`).
fn docs_path(file: &Path) -> Result<PathBuf, ConfigError> {
    let root = config::repository_root(file).ok_or_else(|| {
        ConfigError::key(
            file,
            None,
            "--write-docs",
            "no repository (a folder holding params/calibration/) above this file, so no docs/validation.md to regenerate",
        )
    })?;
    Ok(root.join("docs").join("validation.md"))
}

fn write_docs(path: &Path, text: &str) -> Result<(), OutputError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| OutputError::at(dir, e))?;
    }
    output::write_file_atomically(path, text)
}
