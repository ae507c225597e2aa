//! Parameter sweeps: a design of points over chosen variables, each point one run.

use super::sampling::{self, Design, Range};
use super::{CHUNK, Endpoint, RunOutcome, TRAJECTORY_CHUNK, Variable, run_chunks, simulate_point};
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
    /// Number of runs: the grid's size, or `samples`.
    pub fn runs(&self) -> usize {
        match self.design {
            Design::Grid => self.points.iter().fold(1usize, |a, &b| a.saturating_mul(b)),
            _ => self.samples,
        }
    }

    /// The design's points in physical units, in run order, one at a time (only a Latin
    /// hypercube keeps its `runs x variables` unit coordinates).
    pub fn point_iter(&self) -> Box<dyn Iterator<Item = Vec<f64>> + Send + '_> {
        let k = self.variables.len();
        let n = self.runs();
        let unit: Box<dyn Iterator<Item = Vec<f64>> + Send + '_> = match self.design {
            Design::Grid => Box::new((0..n).map(|i| sampling::grid_point(&self.points, i))),
            Design::Random => Box::new(sampling::random_points(k, self.seed).take(n)),
            Design::LatinHypercube => Box::new(sampling::latin_hypercube_points(n, k, self.seed)),
            Design::Sobol => {
                assert!(n <= sampling::MAX_SOBOL_POINTS && k <= sampling::MAX_SOBOL_DIMENSIONS);
                let seed = self.seed;
                Box::new((0..n).map(move |i| sampling::sobol_point(i, k, 0, seed)))
            }
        };
        Box::new(unit.map(|u| u.iter().zip(&self.ranges).map(|(u, r)| r.map(*u)).collect()))
    }

    /// The design's points in physical units, in run order.
    pub fn points(&self) -> Vec<Vec<f64>> {
        self.point_iter().collect()
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

/// Runs the sweep in parallel (in the current rayon pool) and hands every run to `sink` in run
/// order: `(run index, variable values, outcome)`. Specifications are built per run inside the
/// parallel loop; at most one chunk of runs ([`CHUNK`], or [`TRAJECTORY_CHUNK`] when
/// trajectories are kept) exists at once. `progress()` after each run; the first error of `sink`
/// stops the sweep.
pub fn stream<E>(
    sweep: &Sweep,
    progress: &(impl Fn() + Sync),
    sink: impl FnMut(usize, Vec<f64>, RunOutcome) -> Result<(), E>,
) -> Result<(), E> {
    stream_block(sweep, 0..sweep.runs(), progress, sink)
}

/// [`stream`] for the runs with an index in `block` only (a shard's, `shard::Shard::block`):
/// the same points and outcomes, with the same run indices, as the whole sweep gives them.
pub fn stream_block<E>(
    sweep: &Sweep,
    block: std::ops::Range<usize>,
    progress: &(impl Fn() + Sync),
    mut sink: impl FnMut(usize, Vec<f64>, RunOutcome) -> Result<(), E>,
) -> Result<(), E> {
    let chunk = if sweep.trajectories {
        TRAJECTORY_CHUNK
    } else {
        CHUNK
    };
    let run = |(_, x): &(usize, Vec<f64>)| {
        let outcome = simulate_point(
            &sweep.base,
            &sweep.variables,
            x,
            &sweep.endpoints,
            sweep.trajectories,
        );
        progress();
        outcome
    };
    // Points before the block are drawn and dropped (a random design is one stream).
    let points = sweep
        .point_iter()
        .enumerate()
        .skip(block.start)
        .take(block.len());
    run_chunks(points, chunk, &run, |(k, x), o| sink(k, x, o))
}

/// Runs the sweep in parallel (in the current rayon pool) and collects every run;
/// `progress()` after each run. [`stream`] does the same without keeping the runs.
pub fn run(sweep: &Sweep, progress: &(impl Fn() + Sync)) -> SweepResult {
    let mut result = SweepResult {
        points: Vec::new(),
        outcomes: Vec::new(),
    };
    let kept: Result<(), std::convert::Infallible> = stream(sweep, progress, |_, x, o| {
        result.points.push(x);
        result.outcomes.push(o);
        Ok(())
    });
    let Ok(()) = kept;
    result
}
