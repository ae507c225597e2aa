//! The simulation engine: steady state, then integration segment by segment, sampled on the
//! output grid. No I/O happens here; the result is plain data.

pub mod erk;
pub mod protocol;
pub mod solver;
pub mod steady_state;
pub mod window;

use crate::error::SimError;
use crate::model::{Domain, DrugId, Layout, Model, ModelId, StateKind};
use crate::params::ParamSet;
pub use protocol::{Dose, Profile, Protocol, Segment, Window};
pub use solver::{Method, SolverSettings, SolverStats};
pub use steady_state::{SteadyMethod, SteadyStateReport};

/// Where a run starts.
#[derive(Debug, Clone, PartialEq)]
pub enum InitialState {
    /// The model's steady state computed from its parameters (the default).
    SteadyState,
    /// Explicit values for every state, in the order of the run's layout ([`RunSpec::layout`]).
    Explicit(Vec<f64>),
}

/// Everything needed to run a simulation: validated, unit-checked, ready.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Which model.
    pub model: ModelId,
    /// The drugs the run doses, in registry order: their compartments are the only drug states
    /// of the run's layout ([`RunSpec::layout`]).
    pub drugs: Vec<DrugId>,
    /// Its parameters, overrides applied.
    pub params: ParamSet,
    /// Duration, output grid and inputs.
    pub protocol: Protocol,
    /// Initial state.
    pub initial: InitialState,
    /// Solver settings.
    pub solver: SolverSettings,
    /// Absolute tolerances of single states (state index in the run's layout, tolerance in the
    /// state's unit) that
    /// differ from `solver.atol`. BDF takes them per state; Dopri5 (one scalar tolerance) uses
    /// the smallest of all.
    pub atol_states: Vec<(usize, f64)>,
}

impl RunSpec {
    /// The state layout of this run: the model's states and the dosed drugs' compartments.
    pub fn layout(&self) -> Layout {
        self.model.layout(&self.drugs)
    }
}

/// The sampled trajectory: column-major, first column `t_day`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Column names, `<quantity>_<unit>`.
    pub columns: Vec<String>,
    /// One vector per column, all the same length.
    pub data: Vec<Vec<f64>>,
}

impl Trajectory {
    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|i| self.data[i].as_slice())
    }

    /// Number of output times.
    pub fn len(&self) -> usize {
        self.data.first().map_or(0, Vec::len)
    }

    /// True when there are no output times.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Solver work on one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentReport {
    /// The segment.
    pub start: f64,
    /// Its end.
    pub end: f64,
    /// Inputs that are not at their neutral value: (name, value).
    pub active_inputs: Vec<(String, f64)>,
    /// Which solver integrated the segment, and why.
    pub solver: String,
    /// Work.
    pub stats: SolverStats,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Sampled outputs.
    pub trajectory: Trajectory,
    /// The model's steady state (computed for every run, whatever the initial state).
    pub steady_state: SteadyStateReport,
    /// The state the run started from.
    pub initial_state: Vec<f64>,
    /// Total solver work.
    pub stats: SolverStats,
    /// Per-segment work.
    pub segments: Vec<SegmentReport>,
    /// Largest step the solver was allowed (days): the scenario's, or the automatic one.
    pub max_step_days: Option<f64>,
}

/// Runs a simulation: builds the model with the run's drugs and runs it.
pub fn simulate(spec: &RunSpec) -> Result<RunResult, SimError> {
    simulate_model(spec.model.build(&spec.params, &spec.drugs), spec)
}

/// Computes a model's steady state from a parameter set, with neutral inputs (drug compartments
/// are empty at the steady state, so none are included).
pub fn steady_state(model: ModelId, params: &ParamSet) -> Result<SteadyStateReport, SimError> {
    steady_state::find(&model.build(params, &[])).map(|(_, report)| report)
}

/// The run of a built model: steady state, reference, then segment by segment.
pub fn simulate_model<M: Model>(mut model: M, spec: &RunSpec) -> Result<RunResult, SimError> {
    let (y_ss, steady) = steady_state::find(&model)?;
    model.set_reference(&y_ss);
    let layout = model.layout();
    let n = layout.states.len();
    let kinds: Vec<StateKind> = layout.states.iter().map(|s| s.kind).collect();
    let mut settings = spec.solver;
    let mut atol = vec![settings.atol; n];
    for &(i, a) in &spec.atol_states {
        atol[i] = a;
    }
    settings.atol = atol.iter().copied().fold(f64::INFINITY, f64::min);
    if settings.max_step_days.is_none() {
        settings.max_step_days = solver::automatic_max_step(&steady.eigenvalues);
    }
    let mut y = match &spec.initial {
        InitialState::SteadyState => y_ss,
        InitialState::Explicit(values) => values.clone(),
    };
    let initial_state = y.clone();

    let mut columns = vec!["t_day".to_string()];
    columns.extend(layout.columns().map(str::to_string));
    let times = spec.protocol.output_times();
    let mut data: Vec<Vec<f64>> = vec![Vec::with_capacity(times.len()); columns.len()];
    let mut derived = vec![0.0; layout.derived.len()];

    let segments = spec.protocol.segments(layout.inputs);
    let neutral = crate::model::neutral_inputs(layout.inputs);
    let tolerance = 1e-9 * spec.protocol.output_interval;
    let mut total = SolverStats::default();
    let mut reports = Vec::with_capacity(segments.len());
    let mut domains = DomainCheck::new(layout, &atol, settings.atol, settings.rtol);
    let mut next = 0; // index of the next output time to emit
    for (k, seg) in segments.iter().enumerate() {
        // An output time on a boundary belongs to the segment that ends there: inputs act on (start, end].
        // Doses at the segment start act after any row at that time (only t = 0 can have one).
        if !seg.doses.is_empty() {
            while next < times.len() && times[next] <= seg.start + tolerance {
                model.derived(&y, &neutral, &mut derived);
                if let Some(e) = domains.row(times[next], &y, &derived) {
                    return Err(e);
                }
                data[0].push(times[next]);
                for (i, v) in y.iter().chain(derived.iter()).enumerate() {
                    data[i + 1].push(*v);
                }
                next += 1;
            }
            for d in &seg.doses {
                y[d.state] += d.amount;
            }
        }
        let first = next;
        while next < times.len() && (times[next] <= seg.end + tolerance || k + 1 == segments.len())
        {
            next += 1;
        }
        let samples: Vec<f64> = times[first..next]
            .iter()
            .map(|t| t.clamp(seg.start, seg.end))
            .collect();
        let mut failure = None;
        let inputs = |t: f64| seg.inputs_at(t, layout.inputs);
        let mut emit = |t: f64, state: &[f64]| {
            if failure.is_none() {
                failure = first_non_finite(layout, t, state);
            }
            // Inputs act on (start, end]: the row at t = 0 shows the unperturbed state.
            let u = if t <= seg.start { neutral } else { inputs(t) };
            model.derived(state, &u, &mut derived);
            if failure.is_none() {
                failure = domains.row(t, state, &derived);
            }
            data[0].push(t);
            for (i, v) in state.iter().chain(derived.iter()).enumerate() {
                data[i + 1].push(*v);
            }
        };
        let rhs = |t: f64, y: &[f64], dy: &mut [f64]| model.rhs(t, y, &inputs(t), dy);
        let (y_end, stats, used) = solver::integrate_segment(
            &rhs, &kinds, seg.start, seg.end, &y, &settings, &atol, &samples, &mut emit,
        )?;
        if let Some(e) = failure
            .or_else(|| first_non_finite(layout, seg.end, &y_end))
            .or_else(|| domains.states(seg.end, &y_end))
        {
            return Err(e);
        }
        y = y_end;
        total.add(stats);
        reports.push(SegmentReport {
            start: seg.start,
            end: seg.end,
            solver: used,
            active_inputs: layout
                .inputs
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    seg.inputs[*i] != s.kind.neutral() || seg.profiled.iter().any(|w| w.input == *i)
                })
                .map(|(i, s)| (s.name.to_string(), seg.inputs[i]))
                .collect(),
            stats,
        });
    }
    // Output times are taken from the grid, not from the solver's clamped copies.
    data[0] = times;
    let mut trajectory = Trajectory { columns, data };
    if spec.protocol.start < 0.0 {
        rebaseline(&mut trajectory);
    }
    Ok(RunResult {
        max_step_days: settings.max_step_days,
        trajectory,
        steady_state: steady,
        initial_state,
        stats: total,
        segments: reports,
    })
}

/// After a run-in, re-expresses every relative read-out relative to its value at t = 0, the first
/// output row, as a clinical study does at its baseline visit: changes in % (`*_change_pct`) as
/// `100 ((1 + x/100) / (1 + x0/100) - 1)`, and levels in % of baseline (`*_pct` otherwise, such as
/// `bone_volume_pct`) as `100 x / x0`. Other columns (cells, concentrations) keep their units.
pub fn rebaseline(trajectory: &mut Trajectory) {
    for (name, column) in trajectory.columns.iter().zip(trajectory.data.iter_mut()) {
        let Some(&x0) = column.first() else { continue };
        if name.ends_with("_change_pct") {
            let base = 1.0 + x0 / 100.0;
            if base <= 0.0 {
                continue; // nothing left at day 0 to be relative to
            }
            for x in column.iter_mut() {
                *x = 100.0 * ((1.0 + *x / 100.0) / base - 1.0);
            }
        } else if name.ends_with("_pct") && x0 != 0.0 {
            // x / x0 is exactly 1 at day 0, so the first row is exactly 100.
            for x in column.iter_mut() {
                *x = 100.0 * (*x / x0);
            }
        }
    }
}

fn first_non_finite(layout: &Layout, t: f64, y: &[f64]) -> Option<SimError> {
    y.iter()
        .position(|v| !v.is_finite())
        .map(|i| SimError::NonFinite {
            t_day: t,
            state: layout.states[i].name.to_string(),
            value: y[i],
        })
}

/// The physical-domain check of a run (`Domain` in each state's and read-out's declaration):
/// a value outside its domain by more than the solver's tolerance ends the run. The tolerance of
/// a column is [`Domain::tolerance`] of its absolute tolerance (the state's own; the run's
/// smallest for read-outs), the relative tolerance, and the largest magnitude it has had so far.
struct DomainCheck<'a> {
    /// The states' and read-outs' declarations.
    layout: &'a Layout,
    /// Absolute tolerance per state.
    atol: Vec<f64>,
    /// Absolute tolerance of the read-outs.
    atol_derived: f64,
    rtol: f64,
    /// Largest magnitude so far: states, then read-outs.
    largest: Vec<f64>,
}

impl<'a> DomainCheck<'a> {
    fn new(layout: &'a Layout, atol: &[f64], atol_derived: f64, rtol: f64) -> Self {
        let n_derived = layout.derived.len();
        DomainCheck {
            layout,
            atol: atol.to_vec(),
            atol_derived,
            rtol,
            largest: vec![0.0; atol.len() + n_derived],
        }
    }

    /// Checks one value of column `k` (states first, then read-outs). The tolerance uses the
    /// largest magnitude before this value, so that a value never widens its own tolerance.
    fn value(&mut self, k: usize, x: f64, domain: Domain, atol: f64) -> bool {
        let largest = &mut self.largest[k];
        let inside = domain.contains(x, Domain::tolerance(atol, self.rtol, *largest));
        if x.is_finite() {
            *largest = largest.max(x.abs());
        }
        inside
    }

    /// Checks the states at time `t`.
    fn states(&mut self, t: f64, y: &[f64]) -> Option<SimError> {
        for (i, &x) in y.iter().enumerate() {
            let s = self.layout.states[i];
            if !self.value(i, x, s.domain, self.atol[i]) {
                return Some(SimError::OutOfDomain {
                    t_day: t,
                    what: format!("state `{}` (column {})", s.name, s.column),
                    value: x,
                    domain: format!("{} {}", s.domain.describe(), s.unit),
                });
            }
        }
        None
    }

    /// Checks an output row at time `t`: the states, then the read-outs.
    fn row(&mut self, t: f64, y: &[f64], derived: &[f64]) -> Option<SimError> {
        if let Some(e) = self.states(t, y) {
            return Some(e);
        }
        let n = y.len();
        for (j, x) in derived.iter().enumerate() {
            let d = self.layout.derived[j];
            if !self.value(n + j, *x, d.domain, self.atol_derived) {
                return Some(SimError::OutOfDomain {
                    t_day: t,
                    what: format!("read-out `{}`", d.column),
                    value: *x,
                    domain: d.domain.describe(),
                });
            }
        }
        None
    }
}
