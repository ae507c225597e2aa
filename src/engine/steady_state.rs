//! Steady states: Newton's method on the cell states (nalgebra LU, finite-difference Jacobian),
//! with a long integration as the fallback when Newton does not converge from the guess, and the
//! Jacobian's eigenvalues as the stability check.
//!
//! Accumulator states (bone volume, BMD) integrate the cells' imbalance; they have no isolated
//! steady state, so they are held at their reference values and left out of the problem.

use super::solver::{self, SolverSettings};
use crate::error::SimError;
use crate::model::{InputValues, Model, StateKind, neutral_inputs};
use nalgebra::{DMatrix, DVector};

/// How the steady state was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteadyMethod {
    /// Newton converged from the model's guess.
    Newton,
    /// Newton failed from the guess; a long integration, then Newton, succeeded.
    IntegrationThenNewton,
}

impl SteadyMethod {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SteadyMethod::Newton => "newton",
            SteadyMethod::IntegrationThenNewton => "integration+newton",
        }
    }
}

/// Everything a run reports about its steady state.
#[derive(Debug, Clone, PartialEq)]
pub struct SteadyStateReport {
    /// The steady state, every state in vector order.
    pub state: Vec<f64>,
    /// Method that succeeded.
    pub method: SteadyMethod,
    /// Newton iterations (of the successful attempt).
    pub iterations: usize,
    /// Largest |dy/dt| over the cell states (state unit per day).
    pub residual: f64,
    /// Largest |dy/dt| / y over the cell states (1/day).
    pub relative_residual: f64,
    /// Names of the states in the Jacobian (the cell states).
    pub jacobian_states: Vec<String>,
    /// Eigenvalues of the Jacobian at the steady state, (real, imaginary), in 1/day.
    pub eigenvalues: Vec<(f64, f64)>,
    /// True when every eigenvalue has a negative real part.
    pub stable: bool,
}

const MAX_NEWTON_ITERATIONS: usize = 100;
/// Newton stops when no cell state moves by more than this fraction.
const STEP_TOLERANCE: f64 = 1e-13;
/// Length of the fallback integration (days).
const FALLBACK_DAYS: f64 = 1e5;

struct Problem<'a, M> {
    model: &'a M,
    inputs: InputValues,
    dynamic: Vec<usize>,
    template: Vec<f64>,
}

impl<M: Model> Problem<'_, M> {
    fn full(&self, x: &DVector<f64>) -> Vec<f64> {
        let mut y = self.template.clone();
        for (k, &i) in self.dynamic.iter().enumerate() {
            y[i] = x[k];
        }
        y
    }

    fn residual(&self, x: &DVector<f64>) -> DVector<f64> {
        let mut dy = vec![0.0; self.template.len()];
        self.model.rhs(0.0, &self.full(x), &self.inputs, &mut dy);
        DVector::from_iterator(self.dynamic.len(), self.dynamic.iter().map(|&i| dy[i]))
    }

    /// Central-difference Jacobian of the cell subsystem.
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let n = x.len();
        let mut jac = DMatrix::zeros(n, n);
        for j in 0..n {
            let h = 1e-6 * x[j].abs().max(1e-300);
            let mut plus = x.clone();
            let mut minus = x.clone();
            plus[j] += h;
            minus[j] -= h;
            let column = (self.residual(&plus) - self.residual(&minus)) / (2.0 * h);
            jac.set_column(j, &column);
        }
        jac
    }

    /// Residual scaled by the state: a rate in 1/day, comparable across states.
    fn scaled_norm(&self, x: &DVector<f64>, f: &DVector<f64>) -> f64 {
        f.iter()
            .zip(x.iter())
            .map(|(fi, xi)| (fi / xi.abs().max(1e-300)).abs())
            .fold(0.0, f64::max)
    }

    /// Damped Newton from `x`; returns the root and the iteration count.
    fn newton(&self, mut x: DVector<f64>) -> Result<(DVector<f64>, usize), String> {
        for iteration in 1..=MAX_NEWTON_ITERATIONS {
            let f = self.residual(&x);
            let norm = self.scaled_norm(&x, &f);
            let step = self
                .jacobian(&x)
                .lu()
                .solve(&(-&f))
                .ok_or_else(|| format!("singular Jacobian at Newton iteration {iteration}"))?;
            let mut lambda = 1.0;
            let mut candidate = &x + &step * lambda;
            while lambda > 1e-6
                && (candidate.iter().any(|v| *v <= 0.0 || !v.is_finite())
                    || self.scaled_norm(&candidate, &self.residual(&candidate)) > norm)
            {
                lambda *= 0.5;
                candidate = &x + &step * lambda;
            }
            if candidate.iter().any(|v| *v <= 0.0 || !v.is_finite()) {
                return Err(format!(
                    "Newton left the positive orthant at iteration {iteration}"
                ));
            }
            let moved = step
                .iter()
                .zip(x.iter())
                .map(|(s, xi)| (lambda * s / xi.abs()).abs())
                .fold(0.0, f64::max);
            x = candidate;
            if moved < STEP_TOLERANCE {
                return Ok((x, iteration));
            }
        }
        Err(format!(
            "Newton did not converge in {MAX_NEWTON_ITERATIONS} iterations"
        ))
    }
}

/// Finds the steady state of `model` with every input at its neutral value.
pub fn find<M: Model>(model: &M) -> Result<(Vec<f64>, SteadyStateReport), SimError> {
    let layout = model.layout();
    let guess = model.steady_state_guess();
    let kinds: Vec<StateKind> = layout.states.iter().map(|s| s.kind).collect();
    let dynamic: Vec<usize> = (0..kinds.len())
        .filter(|&i| kinds[i] == StateKind::Dynamic)
        .collect();
    let inputs = neutral_inputs(layout.inputs);
    let problem = Problem {
        model,
        inputs,
        dynamic: dynamic.clone(),
        template: guess.clone(),
    };
    let x0 = DVector::from_iterator(dynamic.len(), dynamic.iter().map(|&i| guess[i]));
    let fail = |reason: String| SimError::SteadyState {
        model: layout.name.to_string(),
        reason,
    };
    let (x, iterations, method) = match problem.newton(x0) {
        Ok((x, it)) => (x, it, SteadyMethod::Newton),
        Err(first) => {
            let settings = SolverSettings::default();
            // Read-outs relative to the steady state (bone, BMD) need a reference to be finite;
            // the guess serves during this search, and the accumulators are discarded anyway.
            // Accumulators are held at their reference, as in the Newton problem.
            let mut searching = model.clone();
            searching.set_reference(&guess);
            let frozen = |t: f64, y: &[f64], dy: &mut [f64]| {
                searching.rhs(t, y, &inputs, dy);
                for (d, kind) in dy.iter_mut().zip(&kinds) {
                    if *kind != StateKind::Dynamic {
                        *d = 0.0;
                    }
                }
            };
            let (y_long, ..) = solver::integrate_segment(
                &frozen,
                &kinds,
                0.0,
                FALLBACK_DAYS,
                &guess,
                &settings,
                &vec![settings.atol; kinds.len()],
                &mut solver::NoObserver,
            )
            .map_err(|e| fail(format!("{first}; the fallback integration failed: {e}")))?;
            let x1 = DVector::from_iterator(dynamic.len(), dynamic.iter().map(|&i| y_long[i]));
            let (x, it) = problem.newton(x1).map_err(|second| {
                fail(format!(
                    "{first}; after {FALLBACK_DAYS} days of integration: {second}"
                ))
            })?;
            (x, it, SteadyMethod::IntegrationThenNewton)
        }
    };
    // Residual and stability of the model as it will run: with its reference set at this state.
    let mut referenced = model.clone();
    referenced.set_reference(&problem.full(&x));
    let problem = Problem {
        model: &referenced,
        inputs,
        dynamic: dynamic.clone(),
        template: guess,
    };
    let f = problem.residual(&x);
    let jac = problem.jacobian(&x);
    let eigenvalues: Vec<(f64, f64)> = jac
        .complex_eigenvalues()
        .iter()
        .map(|c| (c.re, c.im))
        .collect();
    let stable = eigenvalues.iter().all(|(re, _)| *re < 0.0);
    let y = problem.full(&x);
    let report = SteadyStateReport {
        state: y.clone(),
        method,
        iterations,
        residual: f.amax(),
        relative_residual: problem.scaled_norm(&x, &f),
        jacobian_states: dynamic
            .iter()
            .map(|&i| layout.states[i].name.to_string())
            .collect(),
        eigenvalues,
        stable,
    };
    Ok((y, report))
}
