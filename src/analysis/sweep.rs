//! Parameter sweeps: a design of points over chosen variables, each point one run.

use super::sampling::{self, Design, Range};
use super::{Endpoint, RunOutcome, Variable, apply, run_batch};
use crate::engine::RunSpec;

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The scenario every run starts from.
    pub base: RunSpec,
    /// Swept variables.
    pub variables: Vec<Variable>,
    /// Their ranges.
    pub ranges: Vec<Range>,
    /// Grid points per variable (grid design).
    pub points: Vec<usize>,
    /// Design.
    pub design: Design,
    /// Number of samples (random, Latin hypercube, Sobol designs).
    pub samples: usize,
    /// Seed of the random designs.
    pub seed: u64,
    /// Endpoints read from every run.
    pub endpoints: Vec<Endpoint>,
    /// Keep every run's trajectory.
    pub trajectories: bool,
}

impl Sweep {
    /// The design's points in physical units, in run order.
    pub fn points(&self) -> Vec<Vec<f64>> {
        let k = self.variables.len();
        let unit = match self.design {
            Design::Grid => sampling::grid(&self.points),
            Design::Random => sampling::random(self.samples, k, self.seed),
            Design::LatinHypercube => sampling::latin_hypercube(self.samples, k, self.seed),
            Design::Sobol => sampling::sobol(self.samples, k, 0, self.seed),
        };
        unit.iter()
            .map(|u| u.iter().zip(&self.ranges).map(|(u, r)| r.map(*u)).collect())
            .collect()
    }
}

/// The runs of a sweep: each point with its outcome, in run order.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepResult {
    /// Variable values per run.
    pub points: Vec<Vec<f64>>,
    /// Outcome per run.
    pub outcomes: Vec<RunOutcome>,
}

/// Runs the sweep in parallel (in the current rayon pool); `progress()` after each run.
pub fn run(sweep: &Sweep, progress: &(impl Fn() + Sync)) -> SweepResult {
    let points = sweep.points();
    let specs: Vec<RunSpec> = points
        .iter()
        .map(|x| apply(&sweep.base, &sweep.variables, x))
        .collect();
    let outcomes = run_batch(&specs, &sweep.endpoints, sweep.trajectories, progress);
    SweepResult { points, outcomes }
}
