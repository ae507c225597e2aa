//! The `immunoporosis` binary: parse arguments, call the library, map errors to exit codes
//! (0 success, 1 simulation or output failure, 2 bad input).

use clap::Parser;
use immunoporosis::app;
use immunoporosis::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic is a bug in this program: say so plainly, without a backtrace (RUST_BACKTRACE may be
    // set in the user's environment); exit code 101 as for any Rust panic.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error (a bug in immunoporosis, please report it): {info}");
    }));
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run { scenario, out } => app::run(scenario, out.as_deref()).map(|s| s.report),
        Command::Check { scenario } => app::check(scenario),
        Command::List { scenarios } => app::list(scenarios),
        Command::Steady { model, params } => app::steady(model, params.as_deref()),
        Command::Calibrate {
            calibration,
            out,
            write_params,
        } => app::calibrate(calibration, out.as_deref(), *write_params),
        Command::Compare { scenarios, out } => app::compare(scenarios, out.as_deref()),
        Command::Sweep {
            sweep,
            out,
            threads,
        } => app::sweep(sweep, out.as_deref(), *threads),
        Command::Sensitivity {
            sensitivity,
            out,
            threads,
            seed,
        } => app::sensitivity(sensitivity, out.as_deref(), *threads, *seed),
        Command::Population {
            population,
            out,
            threads,
        } => app::population(population, out.as_deref(), *threads),
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
