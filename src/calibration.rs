//! Least-squares calibration: Nelder-Mead (argmin) or Levenberg-Marquardt on bounded parameters,
//! each cost evaluation running the calibration's scenarios in parallel (rayon). No I/O: progress
//! goes to a callback.
//!
//! Cost: the sum over targets of their squared residuals scaled by their bands ([`scaled_residuals`]),
//! plus the parameters' log-normal priors ([`prior_residuals`]). Bounds are enforced by a logistic
//! transform, x = lower + (upper - lower) / (1 + exp(-z)), so the simplex moves freely in z.
//!
//! Two kinds of target:
//! - a measured target (the calibration file's `[[target]]`, an intervention with
//!   `fit = "value"`) pulls towards its value: residual sqrt(w) (got - wanted) / h, with h the
//!   half-width of its band on the side of `got`;
//! - a band-only target (an intervention with `fit = "band"`: a qualitative result, whose value is
//!   only the middle of its band) costs nothing inside its band and rises steeply outside it:
//!   residual sqrt(w) d / ([`BAND_WALL`] min(hi - lo, 1)), with d the distance from `got` to the
//!   band shrunk by [`BAND_MARGIN`] of its width on each side. So the fit is not pulled towards an arbitrary middle, and a value one tenth of
//!   the band's width outside costs as much as a measured target at its band's edge.

use crate::analysis::{ValueAtError, value_at};
use crate::config::{Calibration, FitMethod};
use crate::engine::{self, Observation};
use crate::error::SimError;
use crate::params::Replaced;
use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::neldermead::NelderMead;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Cost of a parameter vector whose simulations fail: far above any real cost.
const FAILED_COST: f64 = 1e30;

/// Smallest difference between a disease arm and its control (in the read-out's unit) of which an
/// intervention's fraction prevented is taken.
const NO_EFFECT: f64 = 1e-9;

/// Why the targets of a parameter vector could not be evaluated. The fit branches on it: a
/// failed simulation is a region of parameter space to avoid (a very high cost); a target that
/// cannot be read is a mistake in the calibration, and the fit stops before it starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluateError {
    /// A scenario's simulation failed at these parameter values.
    #[error("scenario `{scenario}`: {source}")]
    Simulation {
        /// Scenario name.
        scenario: String,
        /// Why.
        source: SimError,
    },
    /// An intervention's disease arm does not differ from its control: no fraction of its effect
    /// can be prevented (a failed region of parameter space during a fit; refused at the start).
    #[error(
        "target `{target}`: the disease arm differs from its control by {effect:e}, so no fraction of it can be prevented"
    )]
    NoEffect {
        /// Target name.
        target: String,
        /// Disease minus control.
        effect: f64,
    },
    /// A target's column or time is not in a scenario's output.
    #[error("scenario `{scenario}`: {source}")]
    Target {
        /// Scenario name.
        scenario: String,
        /// Why.
        source: ValueAtError,
    },
}

/// Why a calibration could not be completed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// The optimiser could not be set up or stopped with an error (its message).
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
    /// The optimiser returned no parameters.
    #[error("the optimiser returned no parameters")]
    NoParameters,
    /// The targets at the fitted values could not be evaluated.
    #[error(transparent)]
    Evaluate(#[from] EvaluateError),
}

/// One fitted parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParameter {
    /// Dotted name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Starting value.
    pub initial: f64,
    /// Fitted value.
    pub value: f64,
    /// Bounds.
    pub lower: f64,
    /// Bounds.
    pub upper: f64,
}

/// How well one target is met.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResult {
    /// Label.
    pub name: String,
    /// Scenario name; `A minus B` for a difference between two arms.
    pub scenario: String,
    /// Output column.
    pub column: String,
    /// Output time (days).
    pub time_days: f64,
    /// Wanted value.
    pub wanted: f64,
    /// Value of the fitted model.
    pub got: f64,
    /// got - wanted.
    pub residual: f64,
    /// Acceptable |residual|.
    pub tolerance: f64,
    /// The band the value must lie in (wanted +/- tolerance, or an intervention's band).
    pub band: (f64, f64),
    /// The value lies in its band.
    pub met: bool,
    /// Where the wanted value comes from.
    pub source: String,
}

/// The result of a calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Fitted parameters.
    pub parameters: Vec<FittedParameter>,
    /// Targets at the fitted parameters.
    pub targets: Vec<TargetResult>,
    /// Final cost.
    pub cost: f64,
    /// Iterations of the optimiser.
    pub iterations: u64,
    /// Cost evaluations (each runs every scenario once).
    pub evaluations: u64,
    /// Why the optimiser stopped.
    pub termination: String,
}

fn to_physical(z: &[f64], cal: &Calibration) -> Vec<f64> {
    z.iter()
        .zip(&cal.parameters)
        .map(|(z, p)| p.lower + (p.upper - p.lower) / (1.0 + (-z).exp()))
        .collect()
}

fn to_unbounded(x: f64, lower: f64, upper: f64) -> f64 {
    let s = (x - lower) / (upper - lower);
    (s / (1.0 - s)).ln()
}

/// Runs every scenario with the given parameter values and returns each target's value.
pub fn evaluate(cal: &Calibration, values: &[f64]) -> Result<Vec<f64>, EvaluateError> {
    let runs: Vec<Result<engine::RunResult, EvaluateError>> = cal
        .scenarios
        .par_iter()
        .map(|s| {
            // The calibration's parameter set, with the scenario's own overrides re-applied and
            // the trial values on top (the last replacement of a name wins), without a copy.
            let replaced: Vec<(&str, f64)> = s
                .overrides
                .iter()
                .map(|(name, v)| (name.as_str(), *v))
                .chain(
                    cal.parameters
                        .iter()
                        .map(|p| p.name.as_str())
                        .zip(values.iter().copied()),
                )
                .collect();
            let params = Replaced {
                base: &cal.params,
                values: &replaced,
            };
            engine::simulate_varied(&s.spec, &params, &s.spec.protocol, &Observation::TRAJECTORY)
                .map_err(|source| EvaluateError::Simulation {
                    scenario: s.name.clone(),
                    source,
                })
        })
        .collect();
    cal.targets
        .iter()
        .map(|t| {
            let value = |scenario: usize| -> Result<f64, EvaluateError> {
                let run = runs[scenario].as_ref().map_err(Clone::clone)?;
                value_at(&run.trajectory, &t.column, t.time_days).map_err(|source| {
                    EvaluateError::Target {
                        scenario: cal.scenarios[scenario].name.clone(),
                        source,
                    }
                })
            };
            let difference = match t.minus {
                None => value(t.scenario)?,
                Some(m) => value(t.scenario)? - value(m)?,
            };
            match t.prevented {
                None => Ok(difference),
                Some((disease, control)) => {
                    let effect = value(disease)? - value(control)?;
                    if effect.abs() < NO_EFFECT {
                        return Err(EvaluateError::NoEffect {
                            target: t.name.clone(),
                            effect,
                        });
                    }
                    Ok(1.0 - difference / effect)
                }
            }
        })
        .collect()
}

/// The width of the wall outside the band of a band-only target ([`scaled_residuals`]), as a
/// fraction of the band's width (of 1 for a band wider than 1, in the read-out's unit): a value
/// this far outside its band has a residual of 1 (times the square root of its weight), as a
/// measured target at its band's edge. Steep, so that a qualitative result is met where it can be,
/// and not so steep that the residual jumps (it is continuous, zero at the edge, and linear
/// outside: the least-squares fit and the identifiability analysis see a smooth cost).
pub const BAND_WALL: f64 = 0.1;

/// The margin inside a band-only target's band, as a fraction of the band's width, from which its
/// wall rises: the cost is 0 only in [lo + m, hi - m]. Without it the optimum of a fit that trades
/// a qualitative target against others lands exactly on the band's edge, where a rounding of the
/// committed parameters or a solver tolerance decides the verdict (stop 20: continuous PTH at
/// -0.0998 against the edge -0.1). With it the optimum lies inside the band by about the margin.
pub const BAND_MARGIN: f64 = 0.02;

/// Factor on a band-only residual when the value has the wrong sign: the band excludes 0 and the
/// value lies on the other side of 0 (issue 11: no intervention in the wrong direction). A
/// wrong direction is a qualitative failure, not a small miss, and costs nine times more.
pub const WRONG_DIRECTION: f64 = 3.0;

/// Each target's scaled residual: the terms whose squares the fit minimises (and the rows of the
/// Jacobian in the identifiability analysis).
///
/// - A measured target: its residual in units of its band, (got - wanted) / (edge - wanted) with
///   the band's edge on the side of `got` (for a symmetric band, (got - wanted) / tolerance),
///   times the square root of its weight. A value inside the band has a residual of at most
///   sqrt(weight) in magnitude.
/// - A band-only target (`Target::band_only`, an intervention with `fit = "band"`): 0 inside the
///   band shrunk by its margin, [lo + m, hi - m] with m = [`BAND_MARGIN`] (hi - lo); outside,
///   sqrt(weight) d / wall (`Target::wall`: [`BAND_WALL`] min(hi - lo, 1)
///   for an intervention), with d the distance
///   from `got` to the nearest edge of the shrunk band, signed (negative below the band) so that the Jacobian
///   points back into the band; times [`WRONG_DIRECTION`] where the band excludes 0 and `got`
///   has the other sign.
pub fn scaled_residuals(cal: &Calibration, got: &[f64]) -> Vec<f64> {
    cal.targets
        .iter()
        .zip(got)
        .map(|(t, g)| {
            let (lo, hi) = t.band;
            if t.band_only {
                // Signed distance to the nearest edge, 0 inside; NaN stays NaN (a failed value
                // is not hidden inside the band).
                let m = BAND_MARGIN * (hi - lo);
                let outside = g - g.clamp(lo + m, hi - m);
                let wrong = (lo > 0.0 && *g < 0.0) || (hi < 0.0 && *g > 0.0);
                let factor = if wrong { WRONG_DIRECTION } else { 1.0 };
                return factor * t.weight.sqrt() * outside / t.wall;
            }
            let half = if *g >= t.value {
                hi - t.value
            } else {
                t.value - lo
            };
            t.weight.sqrt() * (g - t.value) / half
        })
        .collect()
}

/// The priors' residuals ln(value / median) / ln(factor), one per parameter with a prior.
pub fn prior_residuals(cal: &Calibration, values: &[f64]) -> Vec<f64> {
    cal.parameters
        .iter()
        .zip(values)
        .filter_map(|(p, v)| {
            p.prior
                .map(|(median, factor)| (v.max(f64::MIN_POSITIVE) / median).ln() / factor.ln())
        })
        .collect()
}

/// The fit's cost at `values`: the targets' squared scaled residuals plus the priors'.
pub fn cost(cal: &Calibration, values: &[f64]) -> Result<f64, EvaluateError> {
    Ok(cost_of(cal, values, &evaluate(cal, values)?))
}

/// The fit's cost: the targets' squared scaled residuals plus the priors'.
fn cost_of(cal: &Calibration, values: &[f64], got: &[f64]) -> f64 {
    sum_sq(&scaled_residuals(cal, got)) + sum_sq(&prior_residuals(cal, values))
}

struct Cost<'a, F> {
    cal: &'a Calibration,
    evaluations: AtomicU64,
    best: std::sync::Mutex<f64>,
    progress: &'a F,
}

impl<F: Fn(u64, f64) + Sync> CostFunction for Cost<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, z: &Self::Param) -> Result<f64, ArgminError> {
        let values = to_physical(z, self.cal);
        // argmin's Nelder-Mead cannot stop on an error from the cost (it unwraps it): every
        // failure is a prohibitive cost. A target that cannot be read was refused before the fit
        // started (it does not depend on the parameter values).
        let cost = match evaluate(self.cal, &values) {
            Ok(got) => match cost_of(self.cal, &values, &got) {
                c if c.is_finite() => c,
                _ => FAILED_COST,
            },
            Err(_) => FAILED_COST,
        };
        let n = self.evaluations.fetch_add(1, Ordering::Relaxed) + 1;
        let mut best = self.best.lock().unwrap_or_else(|e| e.into_inner());
        if cost < *best {
            *best = cost;
        }
        (self.progress)(n, *best);
        Ok(cost)
    }
}

/// Fits the calibration's parameters. `progress(evaluations, best cost)` is called after every
/// cost evaluation. Deterministic: the same file gives the same fit.
pub fn calibrate(
    cal: &Calibration,
    progress: &(impl Fn(u64, f64) + Sync),
) -> Result<Fit, CalibrationError> {
    // Every target must be readable at the start: a column or time the runs do not have is a
    // mistake in the calibration. A failed simulation at the start is only a high cost.
    if let Err(e @ (EvaluateError::Target { .. } | EvaluateError::NoEffect { .. })) = evaluate(
        cal,
        &cal.parameters.iter().map(|p| p.initial).collect::<Vec<_>>(),
    ) {
        return Err(e.into());
    }
    let z0: Vec<f64> = cal
        .parameters
        .iter()
        .map(|p| to_unbounded(p.initial, p.lower, p.upper))
        .collect();
    let (z_best, iterations, evaluations, termination) = match cal.method {
        FitMethod::NelderMead => nelder_mead(cal, z0, progress)?,
        FitMethod::LevenbergMarquardt => levenberg_marquardt(cal, z0, progress),
    };
    let values = to_physical(&z_best, cal);
    fit_at(cal, &values, iterations, evaluations, termination)
}

/// What an optimiser returns: the best point (logit space), iterations, cost evaluations and
/// why it stopped.
type Optimum = (Vec<f64>, u64, u64, String);

fn nelder_mead(
    cal: &Calibration,
    z0: Vec<f64>,
    progress: &(impl Fn(u64, f64) + Sync),
) -> Result<Optimum, CalibrationError> {
    // Initial simplex: the start and one step of 1 (in logit space) along each parameter.
    let mut simplex = vec![z0.clone()];
    for i in 0..z0.len() {
        let mut z = z0.clone();
        z[i] += 1.0;
        simplex.push(z);
    }
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(cal.tolerance)
        .map_err(|e| CalibrationError::Optimiser(e.to_string()))?;
    let cost = Cost {
        cal,
        evaluations: AtomicU64::new(0),
        best: std::sync::Mutex::new(f64::INFINITY),
        progress,
    };
    let result = Executor::new(cost, solver)
        .configure(|state| state.max_iters(cal.max_iterations))
        .run()
        .map_err(|e| CalibrationError::Optimiser(e.to_string()))?;
    let state = result.state();
    let z_best = state
        .get_best_param()
        .ok_or(CalibrationError::NoParameters)?
        .clone();
    let evaluations = result
        .problem
        .problem
        .as_ref()
        .map_or(0, |c| c.evaluations.load(Ordering::Relaxed));
    Ok((
        z_best,
        state.get_iter(),
        evaluations,
        state.get_termination_status().to_string(),
    ))
}

/// Largest damping before Levenberg-Marquardt gives up on a step.
const MAX_DAMPING: f64 = 1e10;
/// Forward-difference step in logit space.
const JACOBIAN_STEP: f64 = 1e-4;

/// The residual of every target where the simulations fail (or give a non-finite value).
const FAILED_RESIDUAL: f64 = 1e6;

/// Residuals at a logit-space point; a failed simulation gives residuals of `FAILED_RESIDUAL`.
fn residuals_at(cal: &Calibration, z: &[f64]) -> Vec<f64> {
    let values = to_physical(z, cal);
    let mut r = match evaluate(cal, &values) {
        Ok(got) => scaled_residuals(cal, &got),
        Err(_) => vec![FAILED_RESIDUAL; cal.targets.len()],
    };
    if r.iter().any(|x| !x.is_finite()) {
        r.fill(FAILED_RESIDUAL);
    }
    r.extend(prior_residuals(cal, &values));
    r
}

fn sum_sq(r: &[f64]) -> f64 {
    r.iter().map(|x| x * x).sum()
}

/// Levenberg-Marquardt in logit space (Marquardt's diagonal scaling), Jacobian by forward
/// differences with the parameters' columns evaluated in parallel. Stops when a step lowers the
/// cost by less than the calibration's tolerance (relative), or after `max_iterations`.
fn levenberg_marquardt(
    cal: &Calibration,
    mut z: Vec<f64>,
    progress: &(impl Fn(u64, f64) + Sync),
) -> Optimum {
    let n = z.len();
    let evaluations = AtomicU64::new(0);
    let eval = |z: &[f64]| {
        evaluations.fetch_add(1, Ordering::Relaxed);
        residuals_at(cal, z)
    };
    let mut r = eval(&z);
    let mut cost = sum_sq(&r);
    if r[..cal.targets.len()].contains(&FAILED_RESIDUAL) {
        return (
            z,
            0,
            evaluations.into_inner(),
            "the simulations fail at the start point".to_string(),
        );
    }
    let mut lambda = 1e-2;
    let mut iterations = 0;
    let mut termination = format!("reached {} iterations", cal.max_iterations);
    while iterations < cal.max_iterations {
        iterations += 1;
        let columns: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|j| {
                // Forward difference, or backward where the forward probe's simulations fail.
                let probe = |h: f64| {
                    let mut zj = z.clone();
                    zj[j] += h;
                    let rj = eval(&zj);
                    (!rj[..cal.targets.len()].contains(&FAILED_RESIDUAL)).then_some(rj)
                };
                let (rj, h) = match probe(JACOBIAN_STEP) {
                    Some(rj) => (rj, JACOBIAN_STEP),
                    None => (
                        probe(-JACOBIAN_STEP).unwrap_or_else(|| r.clone()),
                        -JACOBIAN_STEP,
                    ),
                };
                rj.iter().zip(&r).map(|(a, b)| (a - b) / h).collect()
            })
            .collect();
        let jac = nalgebra::DMatrix::from_fn(r.len(), n, |i, j| columns[j][i]);
        let jtj = jac.transpose() * &jac;
        let g = jac.transpose() * nalgebra::DVector::from_column_slice(&r);
        let mut improved = false;
        let mut converged = false;
        while lambda < MAX_DAMPING {
            let mut a = jtj.clone();
            for k in 0..n {
                a[(k, k)] += lambda * jtj[(k, k)].max(1e-12);
            }
            let Some(step) = a.cholesky().map(|c| c.solve(&(-&g))) else {
                lambda *= 4.0;
                continue;
            };
            let trial: Vec<f64> = z.iter().zip(step.iter()).map(|(a, b)| a + b).collect();
            let rt = eval(&trial);
            let ct = sum_sq(&rt);
            progress(evaluations.load(Ordering::Relaxed), cost.min(ct));
            if ct < cost {
                let relative = (cost - ct) / cost.max(f64::MIN_POSITIVE);
                z = trial;
                r = rt;
                cost = ct;
                lambda = (lambda / 3.0).max(1e-9);
                improved = true;
                if relative < cal.tolerance {
                    termination = format!("relative cost decrease {relative:.1e} below tolerance");
                    converged = true;
                }
                break;
            }
            lambda *= 4.0;
        }
        if !improved {
            termination = "no step lowers the cost (damping at its limit)".to_string();
            break;
        }
        if converged {
            break;
        }
    }
    (z, iterations, evaluations.into_inner(), termination)
}

/// The fit's report at `values` (the fitted values, or the parameter file's for a report
/// without a fit), after `iterations` and `evaluations` of an optimiser that stopped for
/// `termination`.
pub fn fit_at(
    cal: &Calibration,
    values: &[f64],
    iterations: u64,
    evaluations: u64,
    termination: String,
) -> Result<Fit, CalibrationError> {
    let got = evaluate(cal, values)?;
    let targets = cal
        .targets
        .iter()
        .zip(&got)
        .map(|(t, g)| TargetResult {
            name: t.name.clone(),
            scenario: match t.minus {
                None => cal.scenarios[t.scenario].name.clone(),
                Some(m) => format!(
                    "{} minus {}",
                    cal.scenarios[t.scenario].name, cal.scenarios[m].name
                ),
            },
            column: t.column.clone(),
            time_days: t.time_days,
            wanted: t.value,
            got: *g,
            residual: g - t.value,
            tolerance: t.tolerance,
            band: t.band,
            met: (t.band.0..=t.band.1).contains(g),
            source: t.source.clone(),
        })
        .collect();
    let parameters = cal
        .parameters
        .iter()
        .zip(values)
        .map(|(p, v)| FittedParameter {
            name: p.name.clone(),
            unit: cal.params.params[&p.name].unit.clone(),
            initial: p.initial,
            value: *v,
            lower: p.lower,
            upper: p.upper,
        })
        .collect();
    Ok(Fit {
        parameters,
        targets,
        cost: cost_of(cal, values, &got),
        iterations,
        evaluations,
        termination,
    })
}
