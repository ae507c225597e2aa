//! `sweep`, `sensitivity` and `population` with `--shard I/N`: run the samples shard I owns and
//! write a part folder (`output::shard`), which `merge` turns into the one-machine result.

use super::{AppError, check_threads, in_pool, progress_bar};
use crate::analysis::shard::Shard;
use crate::config::{self, Inputs};
use crate::error::{ConfigError, SimError};
use crate::output::{self, OutputDir, shard::PartHeader};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a shard runs: which shard, where its part folder goes, threads, `--force`.
#[derive(Debug, Clone, Copy)]
pub struct ShardRun<'a> {
    /// The shard.
    pub shard: Shard,
    /// Part folder [default: `output/<kind>/<name>.shards/<I>`].
    pub out: Option<&'a Path>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Replace a previous part to which files were added.
    pub force: bool,
}

/// Where the random streams of each kind of analysis come from: nothing but the seed and the
/// sample's index, so a part carries no generator state.
fn random_streams(kind: &str) -> &'static str {
    match kind {
        "sweep" => {
            "random and Latin-hypercube designs: one ChaCha8 stream from the seed, drawn from its start by every shard; Sobol and grid designs: by run index"
        }
        "sensitivity" => {
            "Morris paths and Sobol bootstrap resamples: ChaCha8 streams from the seed, drawn whole by the merge; Sobol points by index"
        }
        _ => "patient candidate c: ChaCha8 stream c of the seed",
    }
}

/// Default part folder of shard I: `output/<kind>/<name>.shards/<I>`.
fn part_out(kind: &str, name: &str, run: &ShardRun) -> PathBuf {
    run.out.map_or_else(
        || {
            Path::new("output")
                .join(kind)
                .join(format!("{name}.shards"))
                .join(run.shard.index.to_string())
        },
        Path::to_path_buf,
    )
}

/// The header of a part of analysis `file` (as given) with the given inputs and seed.
#[allow(clippy::too_many_arguments)]
fn header(
    kind: &str,
    name: &str,
    file: &Path,
    inputs: Inputs,
    seed: u64,
    shard: Shard,
    total: usize,
    block: std::ops::Range<usize>,
) -> PartHeader {
    PartHeader {
        program: "immunoporosis".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: kind.into(),
        name: name.into(),
        file: file.display().to_string(),
        working_directory: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        inputs: inputs.files,
        inputs_sha256: inputs.sha256,
        seed,
        random_streams: random_streams(kind).into(),
        shard: shard.index,
        shards: shard.count,
        total,
        first: block.start,
        end: block.end,
        population: None,
    }
}

/// Loads an analysis, recording the files read.
pub(super) fn recorded<T>(
    load: impl FnOnce() -> Result<T, ConfigError>,
) -> Result<(T, Inputs), ConfigError> {
    let (value, inputs) = config::recording_inputs(load);
    value.map(|v| (v, inputs))
}

fn done(kind: &str, name: &str, shard: Shard, runs: usize, started: Instant, out: &Path) -> String {
    format!(
        "{kind} {name}: shard {shard}, {runs} runs in {:.2} s\nwrote {}/ (merge every shard's folder with `immunoporosis merge`)",
        started.elapsed().as_secs_f64(),
        out.display()
    )
}

/// `sweep --shard I/N`: the runs of block I.
pub fn sweep(path: &Path, run: &ShardRun) -> Result<String, AppError> {
    let ((h, sweep), inputs) = recorded(|| config::load_sweep(path))?;
    check_threads(run.threads, &sweep.base)?;
    let out_dir = part_out("sweep", &h.name, run);
    output::check_target(&out_dir, run.force)?;
    let block = run.shard.block(sweep.runs());
    let bar = progress_bar(block.len() as u64, "sweep");
    let started = Instant::now();
    let dir = OutputDir::create(&out_dir, run.force)?;
    let mut w = output::analysis::SweepWriter::create(dir.path(), &h, &sweep)?;
    in_pool(run.threads, || {
        crate::analysis::sweep::stream_block(&sweep, block.clone(), &|| bar.inc(1), |k, x, o| {
            w.row(k, &x, &o)
        })
    })?;
    bar.finish_and_clear();
    w.finish_part()?;
    let head = header(
        "sweep",
        &h.name,
        path,
        inputs,
        sweep.seed,
        run.shard,
        sweep.runs(),
        block.clone(),
    );
    output::shard::write_header(dir.path(), &head)?;
    dir.commit()?;
    Ok(done(
        "sweep",
        &h.name,
        run.shard,
        block.len(),
        started,
        &out_dir,
    ))
}

/// The points of a sensitivity analysis, method by method (local, Morris, Sobol), each with the
/// number of its runs: the order in which a sharded analysis numbers its runs.
pub(super) fn sensitivity_points(s: &config::Sensitivity) -> Vec<Vec<f64>> {
    use crate::analysis::sensitivity;
    let mut points = Vec::new();
    if let Some(h) = s.local {
        points.extend(sensitivity::local_points(&s.nominal, h));
    }
    if let Some((r, p)) = s.morris {
        points.extend(sensitivity::morris_design(&s.ranges, r, p, s.header.seed).points);
    }
    if let Some((n, _)) = s.sobol {
        points.extend(sensitivity::sobol_points(&s.ranges, n, s.header.seed));
    }
    points
}

/// `sensitivity --shard I/N`: the runs of block I of the analysis's points.
pub fn sensitivity(path: &Path, seed: Option<u64>, run: &ShardRun) -> Result<String, AppError> {
    let (mut s, inputs) = recorded(|| config::load_sensitivity(path))?;
    check_threads(run.threads, &s.header.scenario.spec)?;
    if let Some(seed) = seed {
        s.header.seed = seed;
    }
    let out_dir = part_out("sensitivity", &s.header.name, run);
    output::check_target(&out_dir, run.force)?;
    let points = sensitivity_points(&s);
    let total = points.len();
    let block = run.shard.block(total);
    let mine = &points[block.clone()];
    let bar = progress_bar(mine.len() as u64, "sensitivity");
    let started = Instant::now();
    let base = &s.header.scenario.spec;
    let results = in_pool(run.threads, || {
        crate::analysis::run_points(base, &s.variables, mine, &s.header.endpoints, &|| {
            bar.inc(1)
        })
    });
    bar.finish_and_clear();
    let names: Vec<String> = s.header.endpoints.iter().map(|e| e.name.clone()).collect();
    let head = header(
        "sensitivity",
        &s.header.name,
        path,
        inputs,
        s.header.seed,
        run.shard,
        total,
        block.clone(),
    );
    output::write_dir(&out_dir, run.force, |dir| {
        let mut w = output::shard::ResultsWriter::create(dir, &names)?;
        for (k, r) in block.clone().zip(&results) {
            w.row(k, r, names.len())?;
        }
        w.finish()?;
        output::shard::write_header(dir, &head)
    })?;
    Ok(done(
        "sensitivity",
        &s.header.name,
        run.shard,
        mine.len(),
        started,
        &out_dir,
    ))
}

/// `population --shard I/N`: candidates `I, I + N, ...` until the shard's quota of patients
/// (`population::shard_quota`) is accepted or its candidates run out.
pub fn population(path: &Path, run: &ShardRun) -> Result<String, AppError> {
    use crate::analysis::population::{self, PopulationError};
    let (study, inputs) = recorded(|| config::load_population(path))?;
    let pop = &study.population;
    check_threads(run.threads, &pop.base)?;
    let out_dir = part_out("population", &study.header.name, run);
    output::check_target(&out_dir, run.force)?;
    let quota = population::shard_quota(pop.patients, run.shard.count);
    let bar = progress_bar(quota as u64, "population");
    let started = Instant::now();
    let dir = OutputDir::create(&out_dir, run.force)?;
    let variables: Vec<String> = pop.variables.iter().map(|(v, _)| v.name.clone()).collect();
    let endpoints: Vec<String> = pop.endpoints.iter().map(|e| e.name.clone()).collect();
    let mut w = output::shard::CandidatesWriter::create(dir.path(), &variables, &endpoints)?;
    let stop = in_pool(run.threads, || {
        population::stream_candidates(
            pop,
            run.shard,
            quota,
            &|done, _| bar.set_position(done as u64),
            |c, verdict, _| {
                let x = population::candidate(pop, c);
                w.candidate(c, &x, &verdict).map_err(PopulationError::Sink)
            },
        )
    });
    bar.finish_and_clear();
    let stop = match stop {
        Ok(stop) => stop,
        Err(PopulationError::Sink(e)) => return Err(e.into()),
        Err(PopulationError::Analysis(reason)) => {
            return Err(SimError::Analysis { reason }.into());
        }
    };
    w.finish(&stop.t)?;
    let mut head = header(
        "population",
        &study.header.name,
        path,
        inputs,
        pop.seed,
        run.shard,
        pop.patients,
        0..0,
    );
    head.population = Some(output::shard::PopulationPart {
        quota,
        processed: stop.processed,
        accepted: stop.accepted,
    });
    output::shard::write_header(dir.path(), &head)?;
    dir.commit()?;
    Ok(done(
        "population",
        &study.header.name,
        run.shard,
        stop.processed,
        started,
        &out_dir,
    ))
}
