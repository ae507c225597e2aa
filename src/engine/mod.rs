//! The simulation engine: steady state, then integration segment by segment, sampled on the
//! output grid. No I/O happens here; the result is plain data.

pub mod erk;
pub mod observe;
pub mod protocol;
pub mod solver;
pub mod steady_state;
pub mod window;

use crate::error::SimError;
use crate::model::{DrugId, Layout, Model, ModelId, StateKind};
use crate::params::{ParamSet, ParamValues};
pub use observe::{Observation, Probe, ProbeError, Statistic};
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
    /// state's unit) that differ from `solver.atol`. Dormand–Prince and BDF take them per state;
    /// the `ode_solvers` reference method (one scalar tolerance) uses the smallest of all.
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
    /// Sampled outputs (no rows when the observation did not ask for them).
    pub trajectory: Trajectory,
    /// The probes' values, in the order asked for.
    pub probes: Vec<Result<f64, ProbeError>>,
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

/// Runs a simulation and samples its trajectory: builds the model with the run's drugs and
/// runs it.
pub fn simulate(spec: &RunSpec) -> Result<RunResult, SimError> {
    simulate_observed(spec, &Observation::TRAJECTORY)
}

/// Runs a simulation and records what `observation` asks for: the trajectory on the output grid
/// or not, and probes (values and window statistics from the solution itself).
pub fn simulate_observed(
    spec: &RunSpec,
    observation: &Observation<'_>,
) -> Result<RunResult, SimError> {
    simulate_model(
        spec.model.build(&spec.params, &spec.drugs),
        spec,
        observation,
    )
}

/// A run of `spec` with the parameter values `params` (the spec's set with some values replaced,
/// `params::Replaced`) and the protocol `protocol` in place of the spec's own: how an analysis
/// runs each point without copying the specification.
pub fn simulate_varied(
    spec: &RunSpec,
    params: &impl ParamValues,
    protocol: &Protocol,
    observation: &Observation<'_>,
) -> Result<RunResult, SimError> {
    let model = spec.model.build(params, &spec.drugs);
    run(model, spec, protocol, observation)
}

/// Computes a model's steady state from a parameter set, with neutral inputs (drug compartments
/// are empty at the steady state, so none are included).
pub fn steady_state(model: ModelId, params: &ParamSet) -> Result<SteadyStateReport, SimError> {
    steady_state::find(&model.build(params, &[])).map(|(_, report)| report)
}

/// The solver settings of a run and the absolute tolerance of each state: the scenario's, with
/// the automatic largest step from the steady state's eigenvalues when none is set.
fn run_settings(
    spec: &RunSpec,
    kinds: &[StateKind],
    steady: &SteadyStateReport,
) -> (SolverSettings, Vec<f64>) {
    let mut settings = spec.solver;
    let mut atol = vec![settings.atol; kinds.len()];
    for &(i, a) in &spec.atol_states {
        atol[i] = a;
    }
    settings.atol = atol.iter().copied().fold(f64::INFINITY, f64::min);
    if settings.max_step_days.is_none() && kinds.iter().any(|k| *k != StateKind::Dynamic) {
        settings.max_step_days = solver::automatic_max_step(&steady.eigenvalues);
    }
    (settings, atol)
}

/// The run of a built model: steady state, reference, then segment by segment, with every
/// accepted step handed to the recorder (`observe::Recorder`).
pub fn simulate_model<M: Model>(
    model: M,
    spec: &RunSpec,
    observation: &Observation<'_>,
) -> Result<RunResult, SimError> {
    run(model, spec, &spec.protocol, observation)
}

/// [`simulate_model`] with `protocol` in place of the spec's.
fn run<M: Model>(
    mut model: M,
    spec: &RunSpec,
    protocol: &Protocol,
    observation: &Observation<'_>,
) -> Result<RunResult, SimError> {
    let (y_ss, steady) = steady_state::find(&model)?;
    model.set_reference(&y_ss);
    let layout = model.layout();
    let kinds: Vec<StateKind> = layout.states.iter().map(|s| s.kind).collect();
    let (settings, atol) = run_settings(spec, &kinds, &steady);
    let mut y = match &spec.initial {
        InitialState::SteadyState => y_ss,
        InitialState::Explicit(values) => values.clone(),
    };
    let initial_state = y.clone();
    let (probes, day0) = with_day0_probes(protocol, observation.probes);
    let observed = Observation {
        trajectory: observation.trajectory,
        probes: &probes,
    };
    // Every run checks its rows on the output grid (so that a run fails the same way whether or
    // not it keeps its trajectory); only a kept trajectory stores them.
    let times = protocol.output_times();
    let span = (protocol.start, protocol.duration);
    let tolerances = (atol.as_slice(), settings.atol, settings.rtol);
    let mut recorder = observe::Recorder::new(&model, &observed, span, &times, tolerances);
    let segments = protocol.segments(layout.inputs);
    let tolerance = 1e-9 * protocol.output_interval;
    let mut total = SolverStats::default();
    let mut reports = Vec::with_capacity(segments.len());
    for (k, seg) in segments.iter().enumerate() {
        // An output time on a boundary belongs to the segment that ends there: inputs act on
        // (start, end]. Doses at the segment start act after any row at that time (only t = 0
        // can have one) and after the troughs are read.
        let limit = if k + 1 == segments.len() {
            f64::INFINITY
        } else {
            seg.end + tolerance
        };
        if !seg.doses.is_empty() {
            recorder.pre_dose(seg.start, &y);
        }
        recorder.begin(seg, limit);
        if !seg.doses.is_empty() {
            recorder.settle(seg.start + tolerance, &y);
            for d in &seg.doses {
                y[d.state] += d.amount;
            }
        }
        let inputs = |t: f64| seg.inputs_at(t, layout.inputs);
        let rhs = |t: f64, y: &[f64], dy: &mut [f64]| model.rhs(t, y, &inputs(t), dy);
        let (y_end, stats, used) = solver::integrate_segment(
            &rhs,
            &kinds,
            seg.start,
            seg.end,
            &y,
            &settings,
            &atol,
            &mut recorder,
        )?;
        recorder.settle(limit, &y_end);
        if let Some(e) = recorder
            .failure()
            .or_else(|| first_non_finite(layout, seg.end, &y_end))
            .or_else(|| recorder.check_states(seg.end, &y_end))
        {
            return Err(e);
        }
        y = y_end;
        total.add(stats);
        reports.push(segment_report(seg, layout, used, stats));
    }
    let (mut data, mut values) = recorder.finish();
    let mut columns = vec!["t_day".to_string()];
    columns.extend(layout.columns().map(str::to_string));
    if observation.trajectory {
        // Output times are taken from the grid, not from the solver's copies.
        data[0] = times;
    }
    let mut trajectory = Trajectory { columns, data };
    if protocol.start < 0.0 {
        rebaseline(&mut trajectory);
        rebaseline_probes(&probes, &mut values, &day0);
    }
    values.truncate(observation.probes.len());
    Ok(RunResult {
        max_step_days: settings.max_step_days,
        trajectory,
        probes: values,
        steady_state: steady,
        initial_state,
        stats: total,
        segments: reports,
    })
}

/// What the manifest says about one segment.
fn segment_report(
    seg: &Segment,
    layout: &Layout,
    used: String,
    stats: SolverStats,
) -> SegmentReport {
    SegmentReport {
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
    }
}

/// Whether [`rebaseline`] re-expresses a column after a run-in.
fn rebaselined(column: &str) -> bool {
    column.ends_with("_pct")
}

/// The probes with, after a run-in, a value at day 0 appended for every probe on a column that
/// is re-expressed relative to day 0; and for each probe the index of its day-0 value.
fn with_day0_probes(protocol: &Protocol, probes: &[Probe]) -> (Vec<Probe>, Vec<Option<usize>>) {
    let mut all = probes.to_vec();
    let mut day0 = vec![None; probes.len()];
    if protocol.start < 0.0 {
        for (k, p) in probes.iter().enumerate() {
            if rebaselined(&p.column) {
                day0[k] = Some(all.len());
                all.push(Probe {
                    column: p.column.clone(),
                    statistic: Statistic::At(0.0),
                });
            }
        }
    }
    (all, day0)
}

/// Re-expresses probe values relative to day 0 as [`rebaseline`] does the columns. Both maps
/// are increasing affine functions of the value, so a minimum stays a minimum; an area also
/// carries the offset over the window's length.
fn rebaseline_probes(
    probes: &[Probe],
    values: &mut [Result<f64, ProbeError>],
    day0: &[Option<usize>],
) {
    for (k, index) in day0.iter().enumerate() {
        let Some(i) = index else { continue };
        let Ok(x0) = values[*i].clone() else { continue };
        let Some((slope, offset)) = rebaseline_map(&probes[k].column, x0) else {
            continue;
        };
        let length = probes[k].statistic.window().map_or(1.0, |(a, b)| b - a);
        if let Ok(v) = &mut values[k] {
            *v = match probes[k].statistic {
                Statistic::Auc(..) => slope * *v + offset * length,
                _ => slope * *v + offset,
            };
        }
    }
}

/// The map `x -> slope x + offset` that [`rebaseline`] applies to a column with day-0 value
/// `x0`, or `None` where it leaves the column alone.
fn rebaseline_map(column: &str, x0: f64) -> Option<(f64, f64)> {
    if column.ends_with("_change_pct") {
        let base = 1.0 + x0 / 100.0;
        (base > 0.0).then(|| (1.0 / base, 100.0 * (1.0 / base - 1.0)))
    } else if column.ends_with("_pct") && x0 > 0.0 {
        Some((100.0 / x0, 0.0))
    } else {
        None
    }
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
        } else if name.ends_with("_pct") && x0 > 0.0 {
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
