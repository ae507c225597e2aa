//! The `immunoporosis` binary: parse arguments, call the library, map errors to exit codes
//! (0 success, 1 simulation or output failure, 2 bad input or a refused output folder,
//! 130/143 interrupted by SIGINT/SIGTERM).

use clap::Parser;
use immunoporosis::analysis::shard::{self, Shard};
use immunoporosis::app;
use immunoporosis::cli::{Cli, Command, ShardArgs};
use std::process::ExitCode;

/// The shard to run: `--shard I/N`, or a job array's from the environment (said on stderr).
fn shard_of(args: &ShardArgs) -> Result<Option<Shard>, app::AppError> {
    if args.shard.is_some() {
        return Ok(args.shard);
    }
    let from_env = shard::from_env(|k| std::env::var(k).ok(), args.shards)
        .map_err(|e| immunoporosis::error::ConfigError::key("<environment>", None, "--shard", e))?;
    Ok(from_env.map(|(s, var)| {
        eprintln!("shard {s} (from {var})");
        s
    }))
}

fn main() -> ExitCode {
    // A panic is a bug in this program: say so plainly, without a backtrace (RUST_BACKTRACE may be
    // set in the user's environment); exit code 101 as for any Rust panic.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error (a bug in immunoporosis, please report it): {info}");
    }));
    let cli = Cli::parse();
    // SIGINT/SIGTERM: remove this process's temporary output folders, exit 130/143.
    if let Err(e) = immunoporosis::output::install_signal_cleanup() {
        eprintln!(
            "warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted run may leave a hidden .NAME.tmp-PID folder, which the next run removes"
        );
    }
    let result = match &cli.command {
        Command::Run {
            scenario,
            out,
            force,
        } => app::run(scenario, out.as_deref(), *force).map(|s| s.report),
        Command::Check { scenario } => app::check(scenario),
        Command::List { scenarios } => app::list(scenarios),
        Command::Steady { model, params } => app::steady(model, params.as_deref()),
        Command::Calibrate {
            calibration,
            out,
            write_params,
            force,
            no_fit,
        } => app::calibrate(calibration, out.as_deref(), *write_params, *force, *no_fit),
        Command::Compare {
            scenarios,
            out,
            force,
        } => app::compare(scenarios, out.as_deref(), *force),
        Command::Sweep {
            sweep,
            out,
            threads,
            force,
            shard,
        } => shard_of(shard).and_then(|s| app::sweep(sweep, out.as_deref(), *threads, *force, s)),
        Command::Sensitivity {
            sensitivity,
            out,
            threads,
            seed,
            force,
            shard,
        } => shard_of(shard).and_then(|s| {
            app::sensitivity(sensitivity, out.as_deref(), *threads, *seed, *force, s)
        }),
        Command::Population {
            population,
            out,
            threads,
            force,
            shard,
        } => shard_of(shard)
            .and_then(|s| app::population(population, out.as_deref(), *threads, *force, s)),
        Command::Merge {
            dirs,
            out,
            force,
            threads,
        } => app::merge(dirs, out.as_deref(), *threads, *force),
        Command::Slurm {
            file,
            shards,
            partition,
            time,
            cpus_per_task,
            out,
            force,
        } => app::slurm::slurm(
            file,
            &app::slurm::SlurmOptions {
                shards: *shards,
                partition: partition.as_deref(),
                time: time.as_deref(),
                cpus_per_task: *cpus_per_task,
                out: out.as_deref(),
                force: *force,
            },
        ),
        Command::Knockout {
            knockout,
            out,
            threads,
            force,
        } => app::knockout(knockout, out.as_deref(), *threads, *force),
        Command::Validate {
            files,
            out,
            force,
            calibration,
            write_docs,
            threads,
        } => app::validate(
            files,
            &app::ValidateOptions {
                out: out.as_deref(),
                force: *force,
                calibrations: calibration,
                write_docs: *write_docs,
                threads: *threads,
            },
        ),
    };
    match result {
        Ok(text) => {
            println!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
