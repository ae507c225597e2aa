//! The solver adapter: the only module that calls `ode_solvers` and `diffsol`.
//!
//! One call integrates one segment (inputs constant or smooth in time), with ode_solvers'
//! Dopri5 (Dormand-Prince 5(4); Dop853 is not used: its stage nodes are wrong for
//! non-autonomous systems in 0.6.2) or, for stiff problems, diffsol's BDF. Output is sampled at
//! exact requested times from the solvers' dense output, so output times never drift and never
//! force small steps.

use crate::error::SimError;
use crate::model::StateKind;
use nalgebra::DVector;
use ode_solvers::continuous_output_model::ContinuousOutputModel;
use ode_solvers::dop_shared::{IntegrationError, OutputType, System};
use ode_solvers::dopri5::Dopri5;

/// Which integrator runs a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Dopri5; a segment on which Dopri5 reports stiffness is rerun with BDF (the default).
    Auto,
    /// Dopri5 only; stiffness is an error.
    Dopri5,
    /// diffsol's BDF only.
    Bdf,
}

/// Solver settings, with the defaults documented in the README.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    /// Integrator. Default [`Method::Auto`].
    pub method: Method,
    /// Relative tolerance. Default 1e-8.
    pub rtol: f64,
    /// Absolute tolerance, in each state's unit (pM for cells). Default 1e-14.
    pub atol: f64,
    /// Largest step in days. `None` (the default) means automatic: the engine sets it to
    /// [`STABILITY_FRACTION`] divided by the spectral radius of the steady-state Jacobian, so
    /// that on long quiet stretches, where an unlimited step would grow until stability rather
    /// than accuracy limits it and the stiffness test fires, h|lambda| stays near 1.5, under half
    /// of Dopri5's stability limit (about 3.3 on the negative real axis).
    pub max_step_days: Option<f64>,
    /// Most steps in one segment. Default 1,000,000.
    pub max_steps: u32,
}

impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings {
            method: Method::Auto,
            rtol: 1e-8,
            atol: 1e-14,
            max_step_days: None,
            max_steps: 1_000_000,
        }
    }
}

/// A state is at rest when one largest step changes it by less than this fraction.
const AT_REST: f64 = 1e-10;

/// Stiffness reports per segment (while the solution moves) after which a report is final.
pub const STIFFNESS_RESUMES: u32 = 10;

/// Automatic largest step: this many time constants of the fastest steady-state mode.
pub const STABILITY_FRACTION: f64 = 1.5;

/// The automatic largest step (days) for a steady state whose Jacobian has these eigenvalues.
pub fn automatic_max_step(eigenvalues: &[(f64, f64)]) -> Option<f64> {
    let radius = eigenvalues
        .iter()
        .map(|(re, im)| re.hypot(*im))
        .fold(0.0, f64::max);
    (radius > 0.0).then(|| STABILITY_FRACTION / radius)
}

/// Work done by the solver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolverStats {
    /// Accepted steps.
    pub accepted_steps: u64,
    /// Rejected steps.
    pub rejected_steps: u64,
    /// Right-hand-side evaluations.
    pub evaluations: u64,
    /// Stiffness reports after which the integration resumed (see `integrate`).
    pub stiffness_resumes: u32,
}

impl SolverStats {
    /// Adds another segment's work.
    pub fn add(&mut self, other: SolverStats) {
        self.accepted_steps += other.accepted_steps;
        self.rejected_steps += other.rejected_steps;
        self.evaluations += other.evaluations;
        self.stiffness_resumes += other.stiffness_resumes;
    }
}

/// Name of the method, as recorded in manifests.
pub const METHOD: &str =
    "ode_solvers 0.6.2 Dopri5 (Dormand-Prince 5(4), PI step control, dense output)";

/// A right-hand side `rhs(t, y, dy)`: writes dy/dt at time `t` and state `y` into `dy`
/// (the model with its inputs on one segment; it must not allocate).
pub trait Rhs: Fn(f64, &[f64], &mut [f64]) {}

impl<F: Fn(f64, &[f64], &mut [f64]) + ?Sized> Rhs for F {}

/// A stretch of one segment integrated without restart: its start time and state, and the
/// dense output over it.
type Piece = (f64, DVector<f64>, ContinuousOutputModel<f64, DVector<f64>>);

struct OdeSystem<'a, R: ?Sized> {
    rhs: &'a R,
    /// Right-hand-side evaluations (also of attempts that end in a stiffness report).
    evaluations: &'a std::cell::Cell<u64>,
}

impl<R: Rhs + ?Sized> System<f64, DVector<f64>> for OdeSystem<'_, R> {
    #[inline]
    fn system(&self, t: f64, y: &DVector<f64>, dy: &mut DVector<f64>) {
        self.evaluations.set(self.evaluations.get() + 1);
        (self.rhs)(t, y.as_slice(), dy.as_mut_slice());
    }
}

/// A segment of zero length (or one that rounding made empty): every sample sees `y0`. The
/// common first step of both integrators.
fn hold(
    t0: f64,
    t1: f64,
    y0: &[f64],
    sample_times: &[f64],
    emit: &mut dyn FnMut(f64, &[f64]),
) -> Option<(Vec<f64>, SolverStats)> {
    if t1 > t0 && !super::protocol::same_time(t0, t1) {
        return None;
    }
    for &t in sample_times {
        emit(t, y0);
    }
    Some((y0.to_vec(), SolverStats::default()))
}

/// Integrates `rhs` with Dopri5 from `y0` at `t0` to `t1` and calls `emit(t, y)` at each of
/// `sample_times` (which must lie in `[t0, t1]`, ascending). `kinds` says which states are
/// dynamic (only those count in the at-rest test of a stiffness report). Returns the state at
/// `t1`.
#[allow(clippy::too_many_arguments)]
pub fn integrate<R: Rhs + ?Sized>(
    rhs: &R,
    kinds: &[StateKind],
    t0: f64,
    t1: f64,
    y0: &[f64],
    settings: &SolverSettings,
    sample_times: &[f64],
    emit: &mut dyn FnMut(f64, &[f64]),
) -> Result<(Vec<f64>, SolverStats), SimError> {
    if let Some(held) = hold(t0, t1, y0, sample_times, emit) {
        return Ok(held);
    }
    let n = y0.len();
    // Dopri5's stiffness test (Hairer) estimates h|lambda| from stage differences and aborts
    // after 15 positive estimates in a row. On a solution at rest those differences are
    // round-off, and the estimate is noise that can pass the threshold: a false alarm (seen on
    // the 50-year healthy run at largest steps of 0.6 to 2.5 days). A report therefore resumes
    // the integration where it stopped (a restart, as at an input edge). A genuinely stiff
    // problem reports again within about a thousand steps each time and fails after
    // STIFFNESS_RESUMES reports, naming the time reached.
    let h_max = settings.max_step_days.unwrap_or(t1 - t0).min(t1 - t0);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut total = SolverStats::default();
    let evaluations = std::cell::Cell::new(0u64);
    let (mut start, mut y_start) = (t0, DVector::from_column_slice(y0));
    let y_end = loop {
        let mut stepper = Dopri5::from_param(
            OdeSystem {
                rhs,
                evaluations: &evaluations,
            },
            start,
            t1,
            t1 - start,
            y_start.clone(),
            settings.rtol,
            settings.atol,
            0.9,
            0.04,
            0.2,
            10.0,
            h_max.min(t1 - start),
            0.0,
            settings.max_steps,
            1000,
            OutputType::Continuous,
        );
        let mut dense = ContinuousOutputModel::new();
        let outcome = stepper.integrate_with_continuous_output_model(&mut dense);
        let y_last = stepper.y_out().last().unwrap_or(&y_start).clone();
        match outcome {
            Ok(stats) => {
                total.add(SolverStats {
                    accepted_steps: u64::from(stats.accepted_steps),
                    rejected_steps: u64::from(stats.rejected_steps),
                    evaluations: 0,
                    stiffness_resumes: 0,
                });
                pieces.push((start, y_start, dense));
                break y_last;
            }
            Err(IntegrationError::StiffnessDetected { x }) => {
                // At rest (each step changes every state by less than round-off scale) the
                // report is noise and does not count towards the limit.
                let mut dy = vec![0.0; n];
                rhs(x, y_last.as_slice(), &mut dy);
                // Only the dynamic states count: accumulators (bone, BMD) integrate round-off.
                let at_rest =
                    kinds
                        .iter()
                        .zip(dy.iter().zip(y_last.iter()))
                        .all(|(kind, (f, y))| {
                            *kind != StateKind::Dynamic
                                || (f * h_max).abs() <= AT_REST * y.abs().max(settings.atol)
                        });
                if x <= start || (!at_rest && total.stiffness_resumes == STIFFNESS_RESUMES) {
                    return Err(SimError::Stiff {
                        t_day: x,
                        method: settings.method,
                    });
                }
                if !at_rest {
                    total.stiffness_resumes += 1;
                }
                // The work up to the report is not in the error; count the steps it kept.
                total.accepted_steps += stepper.y_out().len() as u64;
                pieces.push((start, y_start, dense));
                start = x;
                y_start = y_last;
            }
            Err(IntegrationError::MaxNumStepReached { x, .. }) => {
                // ode_solvers counts the attempt past the limit; the user set the limit.
                return Err(SimError::MaxSteps {
                    t_day: x,
                    limit: settings.max_steps,
                });
            }
            Err(IntegrationError::StepSizeUnderflow { x }) => {
                return Err(SimError::StepSizeUnderflow { t_day: x });
            }
        }
    };
    for &t in sample_times {
        // The last breakpoint may sit an ulp away from t1: the end state is exact there.
        if t >= t1 {
            emit(t, y_end.as_slice());
        } else if t <= t0 {
            emit(t, y0);
        } else {
            let k = pieces.partition_point(|(s, _, _)| *s < t).saturating_sub(1);
            let (s, ys, dense) = &pieces[k];
            if t <= *s {
                emit(t, ys.as_slice());
            } else {
                match dense.evaluate(t) {
                    Some(y) => emit(t, y.as_slice()),
                    None => emit(t, y_end.as_slice()),
                }
            }
        }
    }
    total.evaluations = evaluations.get();
    Ok((y_end.as_slice().to_vec(), total))
}

/// Integrates one segment with `settings.method`: Dopri5, diffsol's BDF (with one absolute
/// tolerance per state, `atol`), or under [`Method::Auto`] Dopri5 and, where it reports
/// stiffness, BDF. `rhs(t, y, dy)` is the model with the segment's inputs; `kinds` the role of
/// each state (length of the state). Calls `emit(t, y)` at each of `sample_times` (in
/// `[t0, t1]`, ascending); Dopri5 emits nothing unless it succeeds, so `emit` sees one solution.
/// Returns the state at `t1`, the work, and which solver ran and why (for manifests).
#[allow(clippy::too_many_arguments)]
pub fn integrate_segment<R: Rhs + ?Sized>(
    rhs: &R,
    kinds: &[StateKind],
    t0: f64,
    t1: f64,
    y0: &[f64],
    settings: &SolverSettings,
    atol: &[f64],
    sample_times: &[f64],
    emit: &mut dyn FnMut(f64, &[f64]),
) -> Result<(Vec<f64>, SolverStats, String), SimError> {
    let stiff = |emit: &mut dyn FnMut(f64, &[f64])| {
        integrate_stiff(rhs, t0, t1, y0, settings, atol, sample_times, emit)
    };
    let dopri5 = |emit: &mut dyn FnMut(f64, &[f64])| {
        integrate(rhs, kinds, t0, t1, y0, settings, sample_times, emit)
    };
    match settings.method {
        Method::Bdf => {
            let (y, s) = stiff(emit)?;
            Ok((y, s, "bdf (chosen in the scenario)".to_string()))
        }
        Method::Dopri5 => {
            let (y, s) = dopri5(emit)?;
            Ok((y, s, "dopri5".to_string()))
        }
        Method::Auto => match dopri5(emit) {
            Ok((y, s)) => Ok((y, s, "dopri5".to_string())),
            Err(SimError::Stiff { t_day, .. }) => {
                let (y, s) = stiff(emit)?;
                Ok((
                    y,
                    s,
                    format!("bdf (Dopri5 reported stiffness at t = {t_day} day)"),
                ))
            }
            Err(e) => Err(e),
        },
    }
}

/// Name of the stiff method, as recorded in manifests.
pub const STIFF_METHOD: &str =
    "diffsol 0.18 BDF (variable order, nalgebra LU, finite-difference Jacobian-vector products)";

/// Integrates one segment with diffsol's BDF (for stiff problems), sampling at `sample_times`
/// and returning the state at `t1`, with one absolute tolerance per state (`atol`, length N).
/// Same contract as [`integrate`].
#[allow(clippy::too_many_arguments)]
pub fn integrate_stiff<R: Rhs + ?Sized>(
    rhs: &R,
    t0: f64,
    t1: f64,
    y0: &[f64],
    settings: &SolverSettings,
    atol: &[f64],
    sample_times: &[f64],
    emit: &mut dyn FnMut(f64, &[f64]),
) -> Result<(Vec<f64>, SolverStats), SimError> {
    use diffsol::{NalgebraLU, NalgebraMat, OdeBuilder, OdeSolverMethod, Vector};
    if let Some(held) = hold(t0, t1, y0, sample_times, emit) {
        return Ok(held);
    }
    let n = y0.len();
    let evaluations = std::cell::Cell::new(0u64);
    let f = |x: &[f64], t: f64, out: &mut [f64]| {
        evaluations.set(evaluations.get() + 1);
        rhs(t, x, out);
    };
    // Work space of the Jacobian-vector product: shifted state, f(x), f(shifted).
    let scratch = std::cell::RefCell::new([vec![0.0; n], vec![0.0; n], vec![0.0; n]]);
    let rhs = |x: &[f64], _p: &[f64], t: f64, out: &mut [f64]| f(x, t, out);
    // Jacobian-vector product by a forward difference along v.
    let jv = |x: &[f64], _p: &[f64], t: f64, v: &[f64], out: &mut [f64]| {
        let norm_v = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm_v == 0.0 {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        let norm_x = x.iter().map(|a| a * a).sum::<f64>().sqrt();
        let eps = f64::EPSILON.sqrt() * (1.0 + norm_x) / norm_v;
        let mut scratch = scratch.borrow_mut();
        let [shifted, f0, f1] = &mut *scratch;
        for ((s, xi), vi) in shifted.iter_mut().zip(x).zip(v) {
            *s = xi + eps * vi;
        }
        f(x, t, f0);
        f(shifted, t, f1);
        for ((o, a), b) in out.iter_mut().zip(f0.iter()).zip(f1.iter()) {
            *o = (b - a) / eps;
        }
    };
    let fail = |e: diffsol::DiffsolError| SimError::StiffSolver {
        t_day: t0,
        reason: e.to_string(),
    };
    let start = y0.to_vec();
    let problem = OdeBuilder::<NalgebraMat<f64>>::new()
        .t0(t0)
        .rtol(settings.rtol)
        .atol(atol.to_vec())
        .rhs_implicit(rhs, jv)
        .init(
            move |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(&start),
            n,
        )
        .build()
        .map_err(fail)?;
    let mut solver = problem.bdf::<NalgebraLU<f64>>().map_err(fail)?;
    // Step to the end of the segment and interpolate at the sample times ourselves: diffsol's
    // `solve_dense` asserts that its last step lands on the stop time, which rounding can miss
    // by an ulp on segments far from t = 0.
    let err = |e: diffsol::DiffsolError| SimError::StiffSolver {
        t_day: t0,
        reason: e.to_string(),
    };
    solver.set_stop_time(t1).map_err(err)?;
    let mut pending: Vec<f64> = sample_times.to_vec();
    pending.reverse();
    loop {
        let reason = solver.step().map_err(err)?;
        let t_now = solver.state().t;
        let finished = matches!(reason, diffsol::OdeSolverStopReason::TstopReached);
        while let Some(&t) = pending.last() {
            if t <= t0 {
                emit(t, y0);
            } else if t <= t_now {
                let y = solver.interpolate(t).map_err(err)?;
                emit(t, &y.clone_as_vec());
            } else if finished {
                emit(t, &solver.state().y.clone_as_vec());
            } else {
                break;
            }
            pending.pop();
        }
        if finished {
            break;
        }
    }
    let y_end = solver.state().y.clone_as_vec();
    let st = solver.get_statistics();
    Ok((
        y_end,
        SolverStats {
            accepted_steps: st.number_of_steps as u64,
            rejected_steps: st.number_of_error_test_failures as u64,
            evaluations: evaluations.get(),
            stiffness_resumes: 0,
        },
    ))
}
