//! The solver adapter: the only module that calls `ode_solvers`.
//!
//! One call integrates one segment on which the inputs are constant, with ode_solvers' Dopri5
//! (Dormand-Prince 5(4); Dop853 is not used: its stage nodes are wrong for non-autonomous
//! systems in 0.6.2). Output is sampled at exact requested times from Dopri5's continuous
//! (dense, 4th-order) output, so output times never drift and never force small steps.

use crate::error::SimError;
use crate::model::{InputValues, Model};
use nalgebra::SVector;
use ode_solvers::continuous_output_model::ContinuousOutputModel;
use ode_solvers::dop_shared::{IntegrationError, OutputType, System};
use ode_solvers::dopri5::Dopri5;

/// Solver settings, with the defaults documented in the README.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    /// Relative tolerance. Default 1e-8.
    pub rtol: f64,
    /// Absolute tolerance, in each state's unit (pM for cells). Default 1e-14.
    pub atol: f64,
    /// Largest step in days; `None` lets the step grow to the segment length. Default 2 days:
    /// the fastest steady-state eigenvalue of the bundled models is about 0.4/day, so h|lambda|
    /// stays far inside Dopri5's stability region on long quiet stretches, where an unlimited
    /// step would grow until stability, not accuracy, limits it and the stiffness test fires.
    pub max_step_days: Option<f64>,
    /// Most steps in one segment. Default 1,000,000.
    pub max_steps: u32,
}

impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings {
            rtol: 1e-8,
            atol: 1e-14,
            max_step_days: Some(DEFAULT_MAX_STEP_DAYS),
            max_steps: 1_000_000,
        }
    }
}

/// Default largest step (days).
pub const DEFAULT_MAX_STEP_DAYS: f64 = 2.0;

/// Work done by the solver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolverStats {
    /// Accepted steps.
    pub accepted_steps: u64,
    /// Rejected steps.
    pub rejected_steps: u64,
    /// Right-hand-side evaluations.
    pub evaluations: u64,
}

impl SolverStats {
    /// Adds another segment's work.
    pub fn add(&mut self, other: SolverStats) {
        self.accepted_steps += other.accepted_steps;
        self.rejected_steps += other.rejected_steps;
        self.evaluations += other.evaluations;
    }
}

/// Name of the method, as recorded in manifests.
pub const METHOD: &str =
    "ode_solvers 0.6.2 Dopri5 (Dormand-Prince 5(4), PI step control, dense output)";

struct OdeSystem<'a, M, U> {
    model: &'a M,
    inputs: &'a U,
}

impl<const N: usize, M: Model<N>, U: Fn(f64) -> InputValues> System<f64, SVector<f64, N>>
    for OdeSystem<'_, M, U>
{
    #[inline]
    fn system(&self, t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>) {
        self.model.rhs(t, y, &(self.inputs)(t), dy);
    }
}

/// Integrates `model` with inputs `inputs(t)` from `y0` at `t0` to `t1` and calls `emit(t, y)`
/// at each of `sample_times` (which must lie in `[t0, t1]`, ascending). Returns the state at `t1`.
#[allow(clippy::too_many_arguments)]
pub fn integrate<const N: usize, M: Model<N>, U: Fn(f64) -> InputValues>(
    model: &M,
    inputs: &U,
    t0: f64,
    t1: f64,
    y0: SVector<f64, N>,
    settings: &SolverSettings,
    sample_times: &[f64],
    mut emit: impl FnMut(f64, &SVector<f64, N>),
) -> Result<(SVector<f64, N>, SolverStats), SimError> {
    if t1 <= t0 {
        for &t in sample_times {
            emit(t, &y0);
        }
        return Ok((y0, SolverStats::default()));
    }
    let h_max = settings.max_step_days.unwrap_or(t1 - t0).min(t1 - t0);
    let mut stepper = Dopri5::from_param(
        OdeSystem { model, inputs },
        t0,
        t1,
        t1 - t0,
        y0,
        settings.rtol,
        settings.atol,
        0.9,
        0.04,
        0.2,
        10.0,
        h_max,
        0.0,
        settings.max_steps,
        1000,
        OutputType::Continuous,
    );
    let mut dense = ContinuousOutputModel::new();
    let stats = stepper
        .integrate_with_continuous_output_model(&mut dense)
        .map_err(|e| match e {
            IntegrationError::StiffnessDetected { x } => SimError::Stiff { t_day: x },
            IntegrationError::MaxNumStepReached { x, n_step } => SimError::MaxSteps {
                t_day: x,
                steps: n_step,
            },
            IntegrationError::StepSizeUnderflow { x } => SimError::StepSizeUnderflow { t_day: x },
        })?;
    let y_end = *stepper.y_out().last().unwrap_or(&y0);
    for &t in sample_times {
        // The last breakpoint may sit an ulp away from t1: the end state is exact there.
        let y = if t >= t1 {
            y_end
        } else if t <= t0 {
            y0
        } else {
            dense.evaluate(t).unwrap_or(y_end)
        };
        emit(t, &y);
    }
    Ok((
        y_end,
        SolverStats {
            accepted_steps: u64::from(stats.accepted_steps),
            rejected_steps: u64::from(stats.rejected_steps),
            evaluations: u64::from(stats.num_eval),
        },
    ))
}
