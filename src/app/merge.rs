//! `immunoporosis merge DIR...`: the parts of a sharded analysis, checked to be every shard
//! `0..N` once and of one computation, turned into exactly the outputs of the one-machine run.

use super::shard::{recorded, sensitivity_points};
use super::{AppError, analysis_out, warn};
use crate::analysis::population::{self, Patient, Tally, Verdict};
use crate::config::{self, AnalysisHeader};
use crate::error::{ConfigError, SimError};
use crate::output::shard::{self as part, PartHeader, PartTable};
use crate::output::{self, OutputDir};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// A part folder with its header.
type Part = (PathBuf, PartHeader);

fn refuse(message: String, help: &str) -> AppError {
    ConfigError::key("<command line>", None, "DIR", message)
        .with_help(help)
        .into()
}

fn list(indices: &[usize]) -> String {
    indices
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the headers and checks that the folders are shards `0..N` of one computation, each
/// once; returns them in shard order. Nothing is written on a refusal (exit 2).
pub fn check_parts(dirs: &[PathBuf]) -> Result<Vec<Part>, AppError> {
    let mut parts = Vec::with_capacity(dirs.len());
    for d in dirs {
        parts.push((d.clone(), part::read_header(d)?));
    }
    // The computation most parts share is the job's; the others are foreign.
    let mut count: std::collections::HashMap<String, usize> = Default::default();
    for (_, h) in &parts {
        *count.entry(h.signature()).or_default() += 1;
    }
    let Some((first_dir, first)) = parts
        .iter()
        .max_by_key(|(_, h)| (count[&h.signature()], std::cmp::Reverse(h.shard)))
        .cloned()
    else {
        return Err(refuse(
            "no part folder given".into(),
            "give every shard's folder",
        ));
    };
    let mut problems = Vec::new();
    for (d, h) in &parts {
        if let Some(key) = h.differs_from(&first) {
            problems.push(format!(
                "shard {} ({}) is foreign: its `{key}` differs from that of shard {} ({})",
                h.shard,
                d.display(),
                first.shard,
                first_dir.display()
            ));
        }
    }
    if !problems.is_empty() {
        return Err(refuse(
            problems.join("; "),
            "merge the parts of one job: the same analysis file and inputs, program version, seed and number of shards",
        ));
    }
    let n = first.shards;
    let mut seen: Vec<Vec<&Path>> = vec![Vec::new(); n];
    for (d, h) in &parts {
        if h.shard >= n {
            return Err(refuse(
                format!("shard {} ({}) is not below {n}", h.shard, d.display()),
                "the part's header is damaged",
            ));
        }
        seen[h.shard].push(d);
    }
    let missing: Vec<usize> = (0..n).filter(|i| seen[*i].is_empty()).collect();
    let doubled: Vec<String> = (0..n)
        .filter(|i| seen[*i].len() > 1)
        .map(|i| {
            let dirs: Vec<String> = seen[i].iter().map(|d| d.display().to_string()).collect();
            format!("{i} ({})", dirs.join(", "))
        })
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing shards: {} (of {n})", list(&missing)));
    }
    if !doubled.is_empty() {
        problems.push(format!(
            "shards given more than once: {}",
            doubled.join("; ")
        ));
    }
    if !problems.is_empty() {
        return Err(refuse(
            problems.join("; "),
            "give each shard's folder once; run a missing shard again with --shard I/N (`sbatch --array=I` resubmits one task)",
        ));
    }
    parts.sort_by_key(|(_, h)| h.shard);
    Ok(parts)
}

/// `immunoporosis merge`.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<&Path>,
    threads: Option<usize>,
    force: bool,
) -> Result<String, AppError> {
    let parts = check_parts(dirs)?;
    let first = parts[0].1.clone();
    let version = env!("CARGO_PKG_VERSION");
    if first.version != version {
        return Err(refuse(
            format!(
                "the parts were written by immunoporosis {}; this is {version}",
                first.version
            ),
            "merge with the program that ran the shards",
        ));
    }
    let file = Path::new(&first.working_directory).join(&first.file);
    let merged = |kind: &str, name: &str| {
        let out_dir = analysis_out(kind, name, out);
        output::check_target(&out_dir, force).map(|()| out_dir)
    };
    let report = match first.kind.as_str() {
        "sweep" => {
            let ((mut h, sweep), inputs) = recorded(|| config::load_sweep(&file))?;
            same_inputs(&first, &inputs)?;
            h.path = PathBuf::from(&first.file);
            h.scenario.path = as_given(&h.scenario.path, &first);
            let out_dir = merged("sweep", &h.name)?;
            merge_sweep(&parts, &h, &sweep, &out_dir, force)?
        }
        "sensitivity" => {
            let (mut s, inputs) = recorded(|| config::load_sensitivity(&file))?;
            same_inputs(&first, &inputs)?;
            s.header.path = PathBuf::from(&first.file);
            s.header.scenario.path = as_given(&s.header.scenario.path, &first);
            s.header.seed = first.seed;
            let out_dir = merged("sensitivity", &s.header.name)?;
            merge_sensitivity(&parts, &s, &out_dir, force)?
        }
        "population" => {
            let (mut study, inputs) = recorded(|| config::load_population(&file))?;
            same_inputs(&first, &inputs)?;
            study.header.path = PathBuf::from(&first.file);
            study.header.scenario.path = as_given(&study.header.scenario.path, &first);
            let out_dir = merged("population", &study.header.name)?;
            super::in_pool(threads, || {
                merge_population(&parts, &study, &out_dir, force)
            })?
        }
        other => {
            return Err(refuse(
                format!("unknown kind of part `{other}`"),
                "merge reads sweep, sensitivity and population parts",
            ));
        }
    };
    Ok(format!(
        "merged {} shards of {}\n{report}",
        parts.len(),
        first.file
    ))
}

fn same_inputs(first: &PartHeader, inputs: &config::Inputs) -> Result<(), AppError> {
    if inputs.sha256 == first.inputs_sha256 {
        return Ok(());
    }
    Err(refuse(
        format!(
            "the input files changed since the shards ran ({}): their hash is {}, the parts' {}",
            inputs.files.join(", "),
            inputs.sha256,
            first.inputs_sha256
        ),
        "run the shards again with the files as they are now, or restore the files",
    ))
}

fn incomplete(path: &Path, message: String) -> AppError {
    ConfigError::file(path, message)
        .with_help("the part is damaged or incomplete: run its shard again")
        .into()
}

/// A path the merge resolved from the shards' working directory, shown as the shards' command
/// line gave it (relative when the analysis file was given relative), so that the merged report
/// names the files as the one-machine run does.
fn as_given(path: &Path, first: &PartHeader) -> PathBuf {
    if Path::new(&first.file).is_absolute() {
        return path.to_path_buf();
    }
    path.strip_prefix(&first.working_directory)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

fn merge_sweep(
    parts: &[Part],
    h: &AnalysisHeader,
    sweep: &crate::analysis::sweep::Sweep,
    out_dir: &Path,
    force: bool,
) -> Result<String, AppError> {
    use output::analysis::SweepWriter;
    let dir = OutputDir::create(out_dir, force)?;
    let mut w = SweepWriter::create(dir.path(), h, sweep)?;
    let header = SweepWriter::header(sweep);
    let mut next = 0;
    for (d, ph) in parts {
        let mut t = PartTable::open(&d.join("sweep.csv"), &header, 1 << 16)?;
        while let Some((fields, line)) = t.record()? {
            let (k, x, o) = part::sweep_row(&t, line, &fields, sweep.variables.len())?;
            if k != next || k >= ph.end {
                return Err(incomplete(
                    t.path(),
                    format!("line {line}: run {k} where run {next} was expected"),
                ));
            }
            w.row(k, &x, &o)?;
            next += 1;
        }
        if next != ph.end {
            return Err(incomplete(
                t.path(),
                format!("ends at run {next}, not {}", ph.end),
            ));
        }
    }
    if sweep.trajectories {
        for (d, _) in parts {
            w.append_trajectories(&d.join("trajectories.csv"))?;
        }
    }
    let failed = w.failed();
    let mut written = w.finish()?;
    output::report::sweep(dir.path(), h, next, failed)?;
    written.files.push(output::report::FILE.into());
    dir.commit()?;
    warn(&written.warnings);
    Ok(format!(
        "sweep {}: {next} runs of scenario `{}` ({failed} failed)\nwrote {}/ ({})",
        h.name,
        h.scenario.name,
        out_dir.display(),
        written.files.join(", ")
    ))
}

fn merge_sensitivity(
    parts: &[Part],
    s: &config::Sensitivity,
    out_dir: &Path,
    force: bool,
) -> Result<String, AppError> {
    use crate::analysis::sensitivity;
    let total = sensitivity_points(s).len();
    let names: Vec<&str> = s.header.endpoints.iter().map(|e| e.name.as_str()).collect();
    let header = format!("run,{},status,error", names.join(","));
    let mut results: Vec<Result<Vec<f64>, String>> = Vec::with_capacity(total);
    for (d, ph) in parts {
        let mut t = PartTable::open(&d.join("results.csv"), &header, 1 << 16)?;
        while let Some((fields, line)) = t.record()? {
            if fields[0] != results.len().to_string() || results.len() >= ph.end {
                return Err(incomplete(
                    t.path(),
                    format!(
                        "line {line}: run {} where run {} was expected",
                        fields[0],
                        results.len()
                    ),
                ));
            }
            results.push(part::outcome(&t, line, &fields[1..], "ok")?);
        }
        if results.len() != ph.end {
            return Err(incomplete(
                t.path(),
                format!("ends at run {}, not {}", results.len(), ph.end),
            ));
        }
    }
    if results.len() != total {
        return Err(incomplete(
            &parts[parts.len() - 1].0,
            format!("{} runs, not the analysis's {total}", results.len()),
        ));
    }
    let k = s.variables.len();
    let fail = |reason: String| AppError::Sim(SimError::Analysis { reason });
    let mut rest = results.into_iter();
    let mut take = |n: usize| rest.by_ref().take(n).collect::<Vec<_>>();
    let local = match s.local {
        Some(h) => Some(sensitivity::local_from(take(1 + 2 * k), k, h).map_err(fail)?),
        None => None,
    };
    let morris = match s.morris {
        Some((r, p)) => {
            let design = sensitivity::morris_design(&s.ranges, r, p, s.header.seed);
            let n = design.points.len();
            Some(design.analyse(take(n)).map_err(fail)?)
        }
        None => None,
    };
    let sobol = match s.sobol {
        Some((n, b)) => Some(
            sensitivity::sobol_from(take(sensitivity::sobol_runs(n, k)), k, n, b, s.header.seed)
                .map_err(fail)?,
        ),
        None => None,
    };
    let results = output::analysis::SensitivityResults {
        local,
        morris,
        sobol,
    };
    let mut written = output::analysis::Written::default();
    output::write_dir(out_dir, force, |dir| {
        written = output::analysis::write_sensitivity(dir, s, &results)?;
        written.files.push(output::report::FILE.into());
        output::report::sensitivity(dir, s, total)
    })?;
    warn(&written.warnings);
    Ok(format!(
        "sensitivity {}: {total} runs of scenario `{}`\n{}wrote {}/ ({})",
        s.header.name,
        s.header.scenario.name,
        super::sobol_ranking(s, &results),
        out_dir.display(),
        written.files.join(", ")
    ))
}

/// Lets this process open `needed` files (raising its soft limit up to the hard one).
fn allow_open_files(needed: u64) -> Result<(), AppError> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct passed, nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if ok && lim.rlim_cur < needed as libc::rlim_t && lim.rlim_max >= needed as libc::rlim_t {
        lim.rlim_cur = needed as libc::rlim_t;
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    // SAFETY: as above.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if !ok || lim.rlim_cur >= needed as libc::rlim_t {
        return Ok(());
    }
    Err(refuse(
        format!(
            "merging these population shards reads them all at once: {needed} open files, but this process may open {}",
            lim.rlim_cur
        ),
        "raise the limit (`ulimit -n`), or run the population with fewer shards",
    ))
}

/// One population part being read in candidate order.
struct PartReader {
    table: PartTable,
    bands: BufReader<File>,
    bands_path: PathBuf,
    processed: usize,
    quota: usize,
}

fn merge_population(
    parts: &[Part],
    study: &config::PopulationStudy,
    out_dir: &Path,
    force: bool,
) -> Result<String, AppError> {
    let pop = &study.population;
    let n = parts.len();
    allow_open_files(2 * n as u64 + 64)?;
    let buffer = ((64usize << 20) / (2 * n)).clamp(4096, 1 << 20);
    let mut names = vec!["candidate".to_string()];
    names.extend(pop.variables.iter().map(|(v, _)| v.name.clone()));
    names.extend(pop.endpoints.iter().map(|e| e.name.clone()));
    let header = format!("{},status,error", names.join(","));
    let mut readers = Vec::with_capacity(n);
    let mut t: Vec<f64> = Vec::new();
    for (d, ph) in parts {
        let stop = ph
            .population
            .clone()
            .ok_or_else(|| incomplete(&d.join(part::HEADER), "no `population` section".into()))?;
        if stop.accepted > 0 && t.is_empty() {
            let path = d.join("t_day.f64");
            let bytes =
                std::fs::read(&path).map_err(|e| incomplete(&path, format!("cannot read: {e}")))?;
            t = part::read_floats(&mut bytes.as_slice(), bytes.len() / 8, &path)?;
        }
        let bands_path = d.join("bands.f64");
        let bands = File::open(&bands_path)
            .map_err(|e| incomplete(&bands_path, format!("cannot read: {e}")))?;
        readers.push(PartReader {
            table: PartTable::open(&d.join("candidates.csv"), &header, buffer)?,
            bands: BufReader::with_capacity(buffer, bands),
            bands_path,
            processed: stop.processed,
            quota: stop.quota,
        });
    }
    let values = pop.band_columns.len() * t.len();
    let (nv, ne) = (pop.variables.len(), pop.endpoints.len());
    let dir = OutputDir::create(out_dir, force)?;
    let published = crate::config::published_points(&study.header.scenario.path);
    let mut w = output::analysis::PopulationWriter::create(dir.path(), study, &published)?;
    let mut tally = Tally::new(pop, population::BAND_EXACT_BYTES);
    for c in 0..pop.max_candidates {
        if tally.accepted() >= pop.patients {
            break;
        }
        let r = &mut readers[c % n];
        if c / n >= r.processed {
            return Err(refuse(
                format!(
                    "shard {} stopped at its quota of {} patients after {} candidates, but the population needs its candidate {c}: acceptance differed between shards more than the quota allows for",
                    c % n,
                    r.quota,
                    r.processed
                ),
                "run the population with fewer shards (each then has a larger margin), or on one machine",
            ));
        }
        let (fields, line) = r
            .table
            .record()?
            .ok_or_else(|| incomplete(r.table.path(), format!("ends before candidate {c}")))?;
        if fields[0] != c.to_string() {
            return Err(incomplete(
                r.table.path(),
                format!(
                    "line {line}: candidate {} where {c} was expected",
                    fields[0]
                ),
            ));
        }
        let number = |v: &String| part::number(&r.table, line, v);
        let status = fields[fields.len() - 2].as_str();
        let (x, verdict) = match status {
            "accepted" => {
                let x = fields[1..=nv]
                    .iter()
                    .map(number)
                    .collect::<Result<Vec<_>, _>>()?;
                let endpoints = fields[1 + nv..1 + nv + ne]
                    .iter()
                    .map(number)
                    .collect::<Result<Vec<_>, _>>()?;
                let bands = part::read_floats(&mut r.bands, values, &r.bands_path)?;
                (x, Verdict::Accepted { endpoints, bands })
            }
            "rejected" => (Vec::new(), Verdict::Rejected),
            "failed" => (
                Vec::new(),
                Verdict::Failed(fields[fields.len() - 1].clone()),
            ),
            other => {
                return Err(incomplete(
                    r.table.path(),
                    format!("line {line}: unknown status `{other}`"),
                ));
            }
        };
        if let Some((index, endpoints)) = tally.add(c, verdict, &t) {
            w.patient(&Patient {
                index,
                candidate: c,
                values: &x,
                endpoints: &endpoints,
            })?;
        }
    }
    let summary = tally
        .finish(&pop.band_columns)
        .map_err(|reason| SimError::Analysis { reason })?;
    let mut written = w.finish(&summary)?;
    output::report::population(dir.path(), study)?;
    written.files.push(output::report::FILE.into());
    dir.commit()?;
    warn(&written.warnings);
    Ok(super::population_report(
        study, &summary, out_dir, &written, None,
    ))
}
