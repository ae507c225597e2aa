//! One integration-test binary. Table of contents:
//! - `analysis`: Sobol (Ishigami), Morris, local sensitivities, sweep determinism, populations.
//! - `steady`: published steady states, stability, the core model keeps Pivonka's steady state.
//! - `reference`: the Lemaire 2004 scenarios against an independent SBML solution (tests/data).
//! - `invariants`: no drift, non-negativity, neutral attachment points, windows and output grid.
//! - `config`: every kind of bad input gives a clear error with file, key and line.
//! - `couplings`: every coupling of the immune module, one row each: its literature direction on
//!   its target in `immune::evaluate` and its effect on 1-year BMD (docs/immune.md section 3).
//! - `docs`: every parameter value a docs table states is the committed one.
//! - `immune`: the immune module: neutral at baseline, coupling signs, calibration reproduced.
//! - `calibration`: failed runs and unreadable targets during a fit, fitted values written back.
//! - `identifiability`: Fisher-information standard errors, correlations and verdicts on analytic problems.
//! - `treatment`: dose events (none missed) and denosumab pharmacokinetics and effects.
//! - `drugs`: every drug against its control arm, intermittent vs continuous PTH, PK vs labels, run-ins.
//! - `layout`: the drug registry, the per-run state layout (drug columns only when dosed), the
//!   core's attachment points wired by name.
//! - `limits`: sizes checked at load (rows, doses, runs, threads), regular files only, linear
//!   segment building, short numbers and escaped control characters in messages.
//! - `cli`: the binary end to end in a temporary folder: outputs, exit codes, atomic writes.
//! - `plausibility`: physical domains, plausible input and dose ranges, skipped plots, messages.
//! - `catalogue`: every bad or hostile input of `tests/catalogue/*.toml` through the binary (issue 9).
//! - `safety`: output folders under races, SIGINT/SIGTERM, leftovers of dead processes, links.
//! - `regression`: every bundled scenario against its reference outputs (tests/data/reference_outputs).
//! - `stepper`: the fast Dormand–Prince path against analytic solutions and ode_solvers; exact
//!   window statistics (twice-daily oral dosing) independent of the output grid.
//! - `aliasing`: twice-daily tofacitinib on weekly, daily and fine output grids: the same probes
//!   (window statistics from the solution), the weekly grid's own aliasing, and its warning.
//! - `knockout`: the knock-out analysis end to end: untouched rows are a plain run, factor 1 has
//!   no effect, thread-independent tables, bad files with key and line.
//! - `validation`: `validate`: the band rule, SEs, verdicts, arm differences and changes against
//!   direct runs, calibration targets refused, bad files with key and line, the command end to end.
//! - `report`: `report.html` of every command: in the marker, self-contained, its scenario, hashes,
//!   endpoints and changed parameters; opened in headless Chromium (`browser`: the DevTools
//!   protocol on a pipe), every image loads and nothing reaches the console or the network.
//! - `shard`: `--shard I/N` parts merged are the one-machine sweep, population and sensitivity
//!   analysis byte for byte; bad merges refused; the Slurm job folder's scripts (issue 15).
//! - `fuzz`: hostile and random files for every loader and the protocol builder (docs/fuzzing.md).
//!
//! Run with `cargo test --release` (ODE code is about 75 times slower in debug builds).

mod aliasing;
mod analysis;
mod browser;
mod calibration;
mod catalogue;
mod cli;
mod config;
mod couplings;
mod docs;
mod drugs;
mod figures;
mod fuzz;
mod identifiability;
mod immune;
mod interventions;
mod invariants;
mod knockout;
mod layout;
mod limits;
mod plausibility;
mod reference;
mod regression;
mod report;
mod safety;
mod shard;
mod steady;
mod stepper;
mod treatment;
mod util;
mod validation;
