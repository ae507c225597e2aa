//! Command-line arguments (clap). No science here.

use crate::analysis::shard::Shard;
use crate::config::limits::{MAX_SHARDS, MAX_THREADS};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Bone remodeling under immune control: bone-cell population models driven by scenario files.
#[derive(Debug, Parser)]
#[command(name = "immunoporosis", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario; write timeseries.csv, manifest.json and plots.
    Run {
        /// Scenario file (TOML), e.g. params/scenarios/healthy.toml.
        scenario: PathBuf,
        /// Output folder [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Validate a scenario without running it.
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// List models, bundled scenarios and every parameter with unit and source.
    List {
        /// Folder of bundled scenarios.
        #[arg(long, default_value = "params/scenarios")]
        scenarios: PathBuf,
    },
    /// Fit parameters to targets (Nelder-Mead, scenarios in parallel); write the fitted
    /// parameter file and a fit report with the parameters' identifiability.
    Calibrate {
        /// Calibration file (TOML), e.g. params/calibration/immunoporosis.toml.
        calibration: PathBuf,
        /// Output folder [default: output/calibration/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Also overwrite the calibration's parameter file with the fitted values.
        #[arg(long, conflicts_with = "no_fit")]
        write_params: bool,
        /// Skip the optimiser: report the targets and the identifiability at the parameter
        /// file's current values (a fit of zero iterations; the same report files).
        #[arg(long)]
        no_fit: bool,
    },
    /// Run several scenarios and overlay their bone-mass curves in one plot and one CSV.
    Compare {
        /// Scenario files (TOML).
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Output folder [default: output/compare].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Run a scenario over a grid or a random, Latin-hypercube or Sobol design of parameters.
    Sweep {
        /// Sweep file (TOML), e.g. params/analyses/sweep_menopause.toml.
        sweep: PathBuf,
        /// Output folder [default: output/sweep/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
        /// Shard options.
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// Local, Morris and Sobol sensitivities of the endpoints to the parameters.
    Sensitivity {
        /// Sensitivity file (TOML).
        sensitivity: PathBuf,
        /// Output folder [default: output/sensitivity/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
        /// Seed for the sampling (overrides the file's).
        #[arg(long)]
        seed: Option<u64>,
        /// Shard options.
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// A virtual population with log-normal parameter variability and percentile bands.
    Population {
        /// Population file (TOML).
        population: PathBuf,
        /// Output folder [default: output/population/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
        /// Shard options.
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// What each element of the immune module does: every handle at a knock-out and other factors
    /// in a few contexts, as a table and a figure of its effect on the endpoints.
    Knockout {
        /// Knock-out file (TOML), e.g. params/analyses/knockout.toml.
        knockout: PathBuf,
        /// Output folder [default: output/knockout/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
    },
    /// Check the model against published outcomes it was not fitted to: each outcome's model
    /// value against its band, published mean +/- max(2 SE, 30 % of |mean|, 1 percentage
    /// point); writes validation.csv, validation.json, parity.png and time-course figures, and
    /// prints `N within band, N outside, N wrong direction`.
    Validate {
        /// Validation files (TOML) [default: every params/validation/*.toml].
        files: Vec<PathBuf>,
        /// Output folder [default: output/validation].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Calibration file whose targets no outcome may repeat (repeatable) [default: every
        /// params/calibration/*.toml of the validation files' repository].
        #[arg(long)]
        calibration: Vec<PathBuf>,
        /// Also regenerate docs/validation.md (in the validation files' repository).
        #[arg(long)]
        write_docs: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
    },
    /// Merge the part folders of a sharded sweep, sensitivity analysis or population (`--shard
    /// I/N`) into the files a one-machine run writes, byte for byte. Refuses (exit 2, nothing
    /// written) a missing, duplicated or foreign shard.
    Merge {
        /// Part folders, one per shard 0 to N-1 (any order).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder [default: output/<kind>/<name>, as the one-machine run].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if files were added to it after immunoporosis wrote it
        /// (a folder immunoporosis did not write is never replaced).
        #[arg(long)]
        force: bool,
        /// Worker threads, 1 to 1024 [default: all cores].
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
    },
    /// Write a Slurm job folder for a sweep, sensitivity or population file: an array job of N
    /// shards, a merge job that depends on it (afterok), submit.sh and a README of the layout.
    Slurm {
        /// Sweep, sensitivity or population file (TOML).
        file: PathBuf,
        /// Number of shards (array tasks), 1 to 10000.
        #[arg(long, value_parser = shard_count)]
        shards: usize,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit of each task and of the merge (Slurm's format, e.g. 2:00:00).
        #[arg(long)]
        time: Option<String>,
        /// CPUs per task, also each shard's threads.
        #[arg(long, value_parser = threads, default_value = "1")]
        cpus_per_task: usize,
        /// Job folder [default: output/slurm/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the job folder even if files were added to it after immunoporosis wrote it.
        #[arg(long)]
        force: bool,
    },
    /// Print a model's steady state, residual and Jacobian eigenvalues.
    Steady {
        /// Model name: bone, pivonka2008 or lemaire2004.
        model: String,
        /// Parameter file to use instead of the bundled one.
        #[arg(long)]
        params: Option<PathBuf>,
    },
}

/// Which shard of an analysis to run (docs/cluster.md).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ShardArgs {
    /// Run only shard I of N (0 <= I < N <= 10000) and write its part folder
    /// [default: output/<kind>/<name>.shards/<I>]; `merge` joins the parts. Without it, a Slurm
    /// array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) runs
    /// its own shard.
    #[arg(long, value_parser = Shard::parse, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Number of shards N when the shard index comes from JOB_COMPLETION_INDEX or
    /// SLURM_ARRAY_TASK_ID (which is then the shard index itself).
    #[arg(long, value_parser = shard_count, value_name = "N")]
    pub shards: Option<usize>,
}

/// Parses a number of shards: 1 to [`MAX_SHARDS`].
fn shard_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {MAX_SHARDS}")),
    }
}

/// Parses `--threads`: 1 to [`MAX_THREADS`]; more threads than cores only cost memory.
fn threads(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| "not a whole number of threads".to_string())?;
    if (1..=MAX_THREADS).contains(&n) {
        Ok(n)
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        Err(format!(
            "must be between 1 and {MAX_THREADS} (this machine has {cores} cores; more threads than cores only add memory and switching)"
        ))
    }
}
