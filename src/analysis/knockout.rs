//! What each element of the immune module does: every handle (`model::immune::HANDLES`) set to
//! each of a few factors (0 a knock-out, 2 twice healthy) over the whole run, in each of a few
//! contexts (scenarios), with the endpoints compared to the context's own untouched run.
//!
//! A handle is an input variable (`input.<element>_factor`, [`Target::Input`]) of the analysis
//! machinery: the runs go through [`simulate_point`] and [`run_chunks`], in parallel, in a fixed
//! order, at most one chunk at a time.

use super::{CHUNK, Endpoint, RunOutcome, Variable, run_chunks, simulate_point};
use crate::engine::RunSpec;
use crate::model::immune::HandleSpec;

/// A context: a scenario in which every handle is tried.
#[derive(Debug, Clone)]
pub struct Context {
    /// Label (CSV, figure, table).
    pub label: String,
    /// Name of its scenario.
    pub scenario: String,
    /// The scenario's run, untouched.
    pub base: RunSpec,
    /// One variable per handle of the analysis (`input.<element>_factor`), in handle order.
    pub variables: Vec<Variable>,
}

/// A validated knock-out analysis.
#[derive(Debug, Clone)]
pub struct Knockout {
    /// Contexts, in file order.
    pub contexts: Vec<Context>,
    /// Handles tried, in `HANDLES` order.
    pub handles: Vec<HandleSpec>,
    /// Factors each handle is set to (the value of its input over the whole run).
    pub factors: Vec<f64>,
    /// Endpoints read from every run.
    pub endpoints: Vec<Endpoint>,
}

/// One run of the analysis: a context, untouched or with one handle at one factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    /// Context index.
    pub context: usize,
    /// Handle and factor indices; `None` for the context's untouched run.
    pub change: Option<(usize, usize)>,
}

impl Knockout {
    /// Runs per context: the untouched run, then every handle at every factor.
    pub fn runs_per_context(&self) -> usize {
        1 + self.handles.len() * self.factors.len()
    }

    /// Number of runs.
    pub fn runs(&self) -> usize {
        self.contexts.len() * self.runs_per_context()
    }

    /// The runs in order: context by context, its untouched run first, then handle by handle,
    /// factor by factor.
    pub fn run_ids(&self) -> impl Iterator<Item = RunId> + '_ {
        let (nh, nf) = (self.handles.len(), self.factors.len());
        (0..self.contexts.len()).flat_map(move |context| {
            std::iter::once(RunId {
                context,
                change: None,
            })
            .chain((0..nh * nf).map(move |k| RunId {
                context,
                change: Some((k / nf, k % nf)),
            }))
        })
    }

    /// Simulates one run.
    pub fn simulate(&self, id: RunId) -> RunOutcome {
        let c = &self.contexts[id.context];
        match id.change {
            None => simulate_point(&c.base, &[], &[], &self.endpoints, false),
            Some((h, f)) => simulate_point(
                &c.base,
                std::slice::from_ref(&c.variables[h]),
                &[self.factors[f]],
                &self.endpoints,
                false,
            ),
        }
    }
}

/// The endpoints of every run (or why it failed), and their effects.
#[derive(Debug, Clone, PartialEq)]
pub struct KnockoutResult {
    /// Per context, the untouched run's endpoints.
    pub untouched: Vec<Result<Vec<f64>, String>>,
    /// Per context, handle and factor (`[context][handle * factors + factor]`), the endpoints.
    pub changed: Vec<Vec<Result<Vec<f64>, String>>>,
    /// Number of factors (the stride of `changed`).
    factors: usize,
}

impl KnockoutResult {
    /// The endpoints of a handle at a factor in a context, or why the run failed.
    pub fn values(
        &self,
        context: usize,
        handle: usize,
        factor: usize,
    ) -> &Result<Vec<f64>, String> {
        &self.changed[context][handle * self.factors + factor]
    }

    /// The effect of a handle at a factor on an endpoint in a context: its value minus the
    /// context's untouched value (percentage points for an endpoint in percent). `None` when
    /// either run failed.
    pub fn effect(
        &self,
        context: usize,
        handle: usize,
        factor: usize,
        endpoint: usize,
    ) -> Option<f64> {
        let base = self.untouched[context].as_ref().ok()?;
        let v = self.values(context, handle, factor).as_ref().ok()?;
        Some(v[endpoint] - base[endpoint])
    }

    /// Number of failed runs.
    pub fn failed(&self) -> usize {
        self.untouched.iter().filter(|r| r.is_err()).count()
            + self.changed.iter().flatten().filter(|r| r.is_err()).count()
    }
}

/// Runs the analysis in parallel (current rayon pool) in chunks of [`CHUNK`] runs; results are in
/// run order whatever the number of threads. `progress()` after each run. The result holds a
/// few numbers per run; the number of runs is bounded at load (at most 8 contexts and 8 factors
/// of the 26 handles: 1672 runs).
pub fn run(k: &Knockout, progress: &(impl Fn() + Sync)) -> KnockoutResult {
    let mut result = KnockoutResult {
        untouched: Vec::with_capacity(k.contexts.len()),
        changed: vec![Vec::with_capacity(k.runs_per_context() - 1); k.contexts.len()],
        factors: k.factors.len(),
    };
    let simulate = |id: &RunId| {
        let outcome = k.simulate(*id);
        progress();
        outcome.endpoints
    };
    let kept: Result<(), std::convert::Infallible> =
        run_chunks(k.run_ids(), CHUNK, &simulate, |id, values| {
            match id.change {
                None => result.untouched.push(values),
                Some(_) => result.changed[id.context].push(values),
            }
            Ok(())
        });
    let Ok(()) = kept;
    result
}
