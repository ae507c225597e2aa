//! Analyses over many runs: endpoints, sampling designs, parameter sweeps, sensitivity and
//! virtual populations. No I/O: results are plain data; progress goes to a callback.
//!
//! Every analysis varies *variables*: a model parameter (dotted name) or a constant input over
//! the whole run (`input.<name>`), and reads *endpoints* from each run's solution (engine probes:
//! exact values and window statistics, whatever the output grid).

pub mod knockout;
pub mod population;
pub mod sampling;
pub mod sensitivity;
pub mod shard;
pub mod sweep;
pub mod value_at;

pub use value_at::{ValueAtError, value_at};

use crate::engine::{self, Observation, Probe, Profile, Protocol, RunSpec, Trajectory, Window};
use crate::params::Replaced;
use rayon::prelude::*;
use std::borrow::Cow;

/// What one variable sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A model parameter by dotted name.
    Parameter(String),
    /// A model input (by index), held constant over the whole run; it replaces the scenario's
    /// windows of that input.
    Input(usize, String),
}

/// A variable with its name as written (`rankl.beta_RANKL`, `input.I_O`).
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Name as written in the analysis file.
    pub name: String,
    /// What it sets.
    pub target: Target,
    /// Unit (of the parameter or input).
    pub unit: String,
}

/// Sets the variables of a run specification to `values` (a copy of the whole specification;
/// the analyses run their points with [`simulate_point`], which copies nothing of it).
pub fn apply(base: &RunSpec, vars: &[Variable], values: &[f64]) -> RunSpec {
    let mut spec = base.clone();
    for (v, x) in vars.iter().zip(values) {
        if let Target::Parameter(name) = &v.target
            && let Some(p) = spec.params.params.get_mut(name)
        {
            p.value = *x;
        }
    }
    if let Cow::Owned(protocol) = with_inputs(&base.protocol, vars, values) {
        spec.protocol = protocol;
    }
    spec
}

/// The protocol with the input variables among `vars` held at their `values` over the whole
/// run (each replaces the protocol's windows of its input); borrowed when there are none.
fn with_inputs<'a>(protocol: &'a Protocol, vars: &[Variable], values: &[f64]) -> Cow<'a, Protocol> {
    let mut protocol = Cow::Borrowed(protocol);
    for (v, x) in vars.iter().zip(values) {
        if let Target::Input(index, _) = v.target {
            let windows = &mut protocol.to_mut().windows;
            windows.retain(|w| w.input != index);
            windows.push(Window {
                input: index,
                value: *x,
                start: 0.0,
                end: f64::INFINITY,
                profile: Profile::Constant,
            });
        }
    }
    protocol
}

/// Runs the base specification with its variables set to `values`, as
/// `simulate_one(&apply(base, vars, values), ..)` does, without copying the specification:
/// the model is built from the base parameter set with the varied values replaced
/// (`params::Replaced`), and only a protocol with varied inputs is copied.
pub fn simulate_point(
    base: &RunSpec,
    vars: &[Variable],
    values: &[f64],
    endpoints: &[Endpoint],
    keep_trajectory: bool,
) -> RunOutcome {
    let replaced: Vec<(&str, f64)> = vars
        .iter()
        .zip(values)
        .filter_map(|(v, x)| match &v.target {
            Target::Parameter(name) => Some((name.as_str(), *x)),
            Target::Input(..) => None,
        })
        .collect();
    let params = Replaced {
        base: &base.params,
        values: &replaced,
    };
    let protocol = with_inputs(&base.protocol, vars, values);
    simulate_with(endpoints, keep_trajectory, |observation| {
        engine::simulate_varied(base, &params, &protocol, observation)
    })
}

/// The value of a variable in a run specification (its nominal value).
pub fn nominal(base: &RunSpec, var: &Variable) -> Option<f64> {
    match &var.target {
        Target::Parameter(name) => base.params.params.get(name).map(|p| p.value),
        Target::Input(index, _) => Some(
            base.protocol
                .windows
                .iter()
                .find(|w| w.input == *index)
                .map_or_else(
                    || base.model.info().inputs[*index].kind.neutral(),
                    |w| w.value,
                ),
        ),
    }
}

/// How an endpoint reduces a column: the engine's probe statistics (a value at a day, or the
/// minimum, maximum, mean, area under the curve or trough over a window), computed from the
/// solution itself, never from the output grid.
pub use crate::engine::Statistic;

/// A named scalar read from a run, e.g. "lumbar spine BMD change at 10 years".
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Name (a CSV column of analysis outputs).
    pub name: String,
    /// Output column it reads.
    pub column: String,
    /// Reduction.
    pub statistic: Statistic,
    /// What it is, for figure titles (empty if the file gives none).
    pub description: String,
}

impl Endpoint {
    /// The probe the engine computes for this endpoint. A window of no length reads the value
    /// at its day (its minimum, maximum and mean).
    pub fn probe(&self) -> Probe {
        let statistic = match self.statistic {
            Statistic::Min(a, b) | Statistic::Max(a, b) | Statistic::Mean(a, b) if b <= a => {
                Statistic::At(a)
            }
            s => s,
        };
        Probe {
            column: self.column.clone(),
            statistic,
        }
    }
}

/// One run of a batch: its endpoints, or why it failed; optionally its trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Endpoint values in the order given, or the failure reason.
    pub endpoints: Result<Vec<f64>, String>,
    /// The trajectory, when asked for.
    pub trajectory: Option<Trajectory>,
}

/// Runs processed at once by the analyses: their specifications and outcomes exist only for the
/// runs of one chunk, so memory does not grow with the number of runs.
pub const CHUNK: usize = 1024;

/// Runs per chunk when whole trajectories are kept (a trajectory can be a few hundred kB).
pub const TRAJECTORY_CHUNK: usize = 64;

/// Simulates one run and computes the endpoints from the solution (`engine::Probe`); samples
/// the trajectory on the output grid only if asked to keep it.
pub fn simulate_one(spec: &RunSpec, endpoints: &[Endpoint], keep_trajectory: bool) -> RunOutcome {
    simulate_with(endpoints, keep_trajectory, |observation| {
        engine::simulate_observed(spec, observation)
    })
}

/// The outcome of `simulate` observing the endpoints' probes (and the trajectory if kept).
fn simulate_with(
    endpoints: &[Endpoint],
    keep_trajectory: bool,
    simulate: impl FnOnce(&Observation<'_>) -> Result<engine::RunResult, crate::error::SimError>,
) -> RunOutcome {
    let probes: Vec<Probe> = endpoints.iter().map(Endpoint::probe).collect();
    let observation = Observation {
        trajectory: keep_trajectory,
        probes: &probes,
    };
    match simulate(&observation) {
        Ok(r) => RunOutcome {
            endpoints: endpoints
                .iter()
                .zip(r.probes)
                .map(|(e, v)| v.map_err(|err| format!("endpoint `{}`: {err}", e.name)))
                .collect(),
            trajectory: keep_trajectory.then_some(r.trajectory),
        },
        Err(e) => RunOutcome {
            endpoints: Err(e.to_string()),
            trajectory: None,
        },
    }
}

/// Streams `inputs` through `run` in chunks of `chunk` items: each chunk is taken from the
/// iterator, run in parallel (rayon, current pool), and handed to `sink` in input order before the
/// next chunk is taken. At most `chunk` inputs and outputs exist at once; the order in which
/// `sink` sees them does not depend on the number of threads. The first error of `sink` stops.
pub fn run_chunks<I, O, E>(
    inputs: impl IntoIterator<Item = I>,
    chunk: usize,
    run: &(impl Fn(&I) -> O + Sync),
    mut sink: impl FnMut(I, O) -> Result<(), E>,
) -> Result<(), E>
where
    I: Send + Sync,
    O: Send,
{
    let chunk = chunk.max(1);
    let mut inputs = inputs.into_iter();
    let mut buffer: Vec<I> = Vec::with_capacity(chunk);
    loop {
        buffer.extend(inputs.by_ref().take(chunk));
        if buffer.is_empty() {
            return Ok(());
        }
        let outputs: Vec<O> = buffer.par_iter().map(run).collect();
        for (input, output) in buffer.drain(..).zip(outputs) {
            sink(input, output)?;
        }
    }
}

/// Runs the base specification at each point (variables set by [`apply`], one specification per
/// run built inside the parallel loop and dropped after it) and returns the endpoints in input
/// order. `progress()` is called after each run.
pub fn run_points(
    base: &RunSpec,
    variables: &[Variable],
    points: &[Vec<f64>],
    endpoints: &[Endpoint],
    progress: &(impl Fn() + Sync),
) -> Vec<Result<Vec<f64>, String>> {
    points
        .par_iter()
        .map(|x| {
            let outcome = simulate_point(base, variables, x, endpoints, false);
            progress();
            outcome.endpoints
        })
        .collect()
}

/// Runs every specification in parallel (rayon, in the current thread pool) and evaluates the
/// endpoints. Results are in input order, whatever the number of threads. A failed run is
/// reported in its outcome and does not stop the others. `progress()` is called after each run.
/// Holds every specification and outcome at once: the analyses use [`run_chunks`] and
/// [`run_points`] instead.
pub fn run_batch(
    specs: &[RunSpec],
    endpoints: &[Endpoint],
    keep_trajectories: bool,
    progress: &(impl Fn() + Sync),
) -> Vec<RunOutcome> {
    specs
        .par_iter()
        .map(|spec| {
            let outcome = simulate_one(spec, endpoints, keep_trajectories);
            progress();
            outcome
        })
        .collect()
}
