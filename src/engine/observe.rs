//! What a run records from its solution, inside the solver's step loop: the trajectory on the
//! output grid (when asked for), and probes, scalars read from the solution itself: a column's
//! value at a time, or its minimum, maximum, mean, area under the curve or trough over a window.
//!
//! Probes never see the output grid. A value at a time comes from the dense output of the step
//! that contains it; window statistics from [`super::window::WindowAccumulator`] on every step.
//! So the same run gives the same probes with a weekly, a daily or no output grid, and an
//! analysis that needs only probes samples nothing else.
//!
//! The rules of the output grid hold for probes too: an input acts on `(start, end]` of its
//! window, a time on a segment edge belongs to the segment that ends there (a value at a dose
//! time is the value just before the dose), and the value at the run's start shows the
//! unperturbed state.

use super::protocol::Segment;
use super::solver::SegmentObserver;
use super::window::{DenseStep, WindowAccumulator, WindowCheckpoint};
use crate::error::SimError;
use crate::model::{Domain, InputValues, Layout, Model};

/// How a probe reduces a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The value at a day (from the dense output: exact, whatever the output grid).
    At(f64),
    /// The minimum over the window `(from, to]`.
    Min(f64, f64),
    /// The maximum over `(from, to]`.
    Max(f64, f64),
    /// The time average over `(from, to]`: the area under the curve divided by the window's length.
    Mean(f64, f64),
    /// The area under the curve over `(from, to]` (column unit x day).
    Auc(f64, f64),
    /// The smallest value just before a dose in `(from, to]` (a trough concentration).
    Trough(f64, f64),
}

impl Statistic {
    /// The last day the statistic reads: its day, or its window's end.
    pub fn last_day(self) -> f64 {
        match (self, self.window()) {
            (_, Some((_, b))) => b,
            (Statistic::At(day), None) => day,
            (_, None) => unreachable!("only a value at a day has no window"),
        }
    }

    /// The window `(from, to]` of a window statistic.
    pub fn window(self) -> Option<(f64, f64)> {
        match self {
            Statistic::At(_) => None,
            Statistic::Min(a, b)
            | Statistic::Max(a, b)
            | Statistic::Mean(a, b)
            | Statistic::Auc(a, b)
            | Statistic::Trough(a, b) => Some((a, b)),
        }
    }
}

/// A scalar to read from a run: a column (a state's or a read-out's, as in `timeseries.csv`)
/// and its reduction.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Column name.
    pub column: String,
    /// Reduction.
    pub statistic: Statistic,
}

/// What a run records.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Whether to sample the whole trajectory on the output grid.
    pub trajectory: bool,
    /// Probes, in the order their values are returned.
    pub probes: &'a [Probe],
}

impl Observation<'static> {
    /// The trajectory and no probes (what `run` writes).
    pub const TRAJECTORY: Observation<'static> = Observation {
        trajectory: true,
        probes: &[],
    };
}

/// Why a probe has no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProbeError {
    /// The column is neither a state nor a read-out of the run.
    #[error("no column `{column}` in this run")]
    UnknownColumn {
        /// The name asked for.
        column: String,
    },
    /// The time or window lies outside the simulated span.
    #[error("day {day} is outside the run")]
    OutsideRun {
        /// The first day outside.
        day: f64,
    },
    /// A trough needs a dose in its window.
    #[error("no dose in the window ({from}, {to}] day, so there is no trough")]
    NoDose {
        /// Window start.
        from: f64,
        /// Window end.
        to: f64,
    },
}

/// Where a column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    State(usize),
    Derived(usize),
}

fn source(layout: &Layout, column: &str) -> Option<Source> {
    if let Some(i) = layout.states.iter().position(|s| s.column == column) {
        return Some(Source::State(i));
    }
    layout
        .derived
        .iter()
        .position(|d| d.column == column)
        .map(Source::Derived)
}

/// One probe while the run goes on.
#[derive(Debug, Clone)]
enum Tracker {
    /// Resolved at load to nothing (unknown column): its error.
    Failed(ProbeError),
    At {
        day: f64,
        source: Source,
        value: Option<f64>,
    },
    Window {
        statistic: Statistic,
        source: Source,
        acc: WindowAccumulator,
    },
}

/// What a tracker had gathered at the last mark.
#[derive(Debug, Clone, Copy)]
enum TrackerMark {
    None,
    At(Option<f64>),
    Window(WindowCheckpoint),
}

/// The observer of one run: rows on the output grid, probes, and the physical-domain check of
/// every row.
pub(super) struct Recorder<'a, M: Model> {
    model: &'a M,
    layout: &'a Layout,
    neutral: InputValues,
    /// The segment being integrated (`None` before the first).
    segment: Option<&'a Segment>,
    /// Output and probe times up to this belong to the segment (infinite on the last).
    limit: f64,
    rows: Rows<'a>,
    trackers: Vec<Tracker>,
    marks: Vec<TrackerMark>,
    /// Scratch rows: a state and the read-outs.
    y: Vec<f64>,
    derived: Vec<f64>,
    /// Per tracker, the latest value a window read in this segment (a step's last value is the
    /// next step's first).
    latest: Vec<Latest>,
}

/// A value a window tracker read, with the time and state it was read at: within a segment a
/// read-out is a function of these alone, so the same time and state (to the bit) give it again.
#[derive(Debug, Clone, Default)]
struct Latest {
    t: Option<f64>,
    y: Vec<f64>,
    value: f64,
}

impl Latest {
    /// The value read at exactly `t` and `y`, if that is the latest read.
    fn get(&self, t: f64, y: &[f64]) -> Option<f64> {
        let same = self.t.is_some_and(|s| s.to_bits() == t.to_bits())
            && self.y.len() == y.len()
            && self
                .y
                .iter()
                .zip(y)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        same.then_some(self.value)
    }

    /// Keeps `value` read at `t` and `y` when `t` is not before the latest (a search inside a
    /// step does not replace the step's last value).
    fn keep(&mut self, t: f64, y: &[f64], value: f64) {
        if self.t.is_none_or(|s| t >= s) {
            self.t = Some(t);
            self.y.clear();
            self.y.extend_from_slice(y);
            self.value = value;
        }
    }
}

/// The sampled trajectory while it grows.
struct Rows<'a> {
    record: bool,
    times: &'a [f64],
    next: usize,
    data: Vec<Vec<f64>>,
    domains: DomainCheck<'a>,
    failure: Option<SimError>,
    /// What was recorded at the last mark: next output index and rows kept, the first failure,
    /// the domain check's largest magnitudes.
    mark: (usize, usize),
    failure_mark: Option<SimError>,
    largest_mark: Vec<f64>,
}

impl<'a, M: Model> Recorder<'a, M> {
    /// A recorder for `model`'s run with output `times` (sampled only if `observation`
    /// says so), absolute tolerances `atol` per state, `atol_derived` for read-outs, `rtol`.
    pub(super) fn new(
        model: &'a M,
        observation: &Observation<'_>,
        span: (f64, f64),
        times: &'a [f64],
        tolerances: (&[f64], f64, f64),
    ) -> Self {
        let layout = model.layout();
        let (atol, atol_derived, rtol) = tolerances;
        let columns = 1 + layout.states.len() + layout.derived.len();
        let capacity = if observation.trajectory {
            times.len()
        } else {
            0
        };
        let domains = DomainCheck::new(layout, atol, atol_derived, rtol);
        let largest_mark = domains.largest.clone();
        let trackers: Vec<Tracker> = observation
            .probes
            .iter()
            .map(|p| tracker(layout, p, span))
            .collect();
        Recorder {
            model,
            layout,
            neutral: crate::model::neutral_inputs(layout.inputs),
            segment: None,
            limit: f64::NEG_INFINITY,
            rows: Rows {
                record: observation.trajectory,
                times,
                next: 0,
                data: (0..columns).map(|_| Vec::with_capacity(capacity)).collect(),
                domains,
                failure: None,
                mark: (0, 0),
                failure_mark: None,
                largest_mark,
            },
            marks: vec![TrackerMark::None; trackers.len()],
            latest: vec![Latest::default(); trackers.len()],
            trackers,
            y: vec![0.0; layout.states.len()],
            derived: vec![0.0; layout.derived.len()],
        }
    }

    /// The inputs a value at `t` sees: the unperturbed ones at or before the segment's start
    /// (the run's first row), the segment's own after it.
    fn inputs(&self, t: f64) -> InputValues {
        match self.segment {
            Some(seg) if t > seg.start => seg.inputs_at(t.min(seg.end), self.layout.inputs),
            _ => self.neutral,
        }
    }

    /// The inputs a window statistic sees at `t` in the segment (its own inputs, also at its
    /// start; before the first segment the unperturbed ones).
    fn inputs_within(&self, t: f64) -> InputValues {
        match self.segment {
            Some(seg) => seg.inputs_at(t.clamp(seg.start, seg.end), self.layout.inputs),
            None => self.neutral,
        }
    }

    /// Everything due at or before `t` with state `y` (a segment's start before its doses, or
    /// its end): rows and values at a time.
    pub(super) fn settle(&mut self, t: f64, y: &[f64]) {
        self.emit_due(t, &|_, out: &mut [f64]| out.copy_from_slice(y));
    }

    /// Rows and values at times `<= until` (and within the segment), with `eval(t, out)`.
    fn emit_due(&mut self, until: f64, eval: &dyn Fn(f64, &mut [f64])) {
        let until = until.min(self.limit);
        let mut y = std::mem::take(&mut self.y);
        while self.rows.next < self.rows.times.len() {
            let t = self.rows.times[self.rows.next];
            if t > until {
                break;
            }
            eval(t, &mut y);
            let u = self.inputs(t);
            self.model.derived(&y, &u, &mut self.derived);
            self.rows.push(t, &y, &self.derived);
        }
        for k in 0..self.trackers.len() {
            if let Tracker::At {
                day,
                source,
                value: None,
            } = self.trackers[k]
                && day <= until
            {
                eval(day, &mut y);
                let v = self.read(source, &y, self.inputs(day));
                self.trackers[k] = Tracker::At {
                    day,
                    source,
                    value: Some(v),
                };
            }
        }
        self.y = y;
    }

    /// The value of a column at state `y` and inputs `u`.
    fn read(&mut self, source: Source, y: &[f64], u: InputValues) -> f64 {
        match source {
            Source::State(i) => y[i],
            Source::Derived(j) => {
                self.model.derived(y, &u, &mut self.derived);
                self.derived[j]
            }
        }
    }

    /// Called just before doses at `t` are added to state `y` (before the segment they start
    /// begins): the troughs.
    pub(super) fn pre_dose(&mut self, t: f64, y: &[f64]) {
        let u = self.inputs_within(t);
        for k in 0..self.trackers.len() {
            if let Tracker::Window { source, .. } = self.trackers[k] {
                let q = self.read(source, y, u);
                if let Tracker::Window { acc, .. } = &mut self.trackers[k] {
                    acc.pre_dose(t, q);
                }
            }
        }
    }

    /// A segment begins; times up to `limit` belong to it.
    pub(super) fn begin(&mut self, segment: &'a Segment, limit: f64) {
        self.segment = Some(segment);
        self.limit = limit;
        // A new segment has its own inputs: values read in the previous one are not reused.
        for latest in &mut self.latest {
            latest.t = None;
        }
    }

    /// The first row that left its physical domain or was not finite.
    pub(super) fn failure(&mut self) -> Option<SimError> {
        self.rows.failure.take()
    }

    /// Checks the states at the end of a segment.
    pub(super) fn check_states(&mut self, t: f64, y: &[f64]) -> Option<SimError> {
        self.rows.domains.states(t, y)
    }

    /// The trajectory columns (empty unless recorded) and the probe values.
    pub(super) fn finish(self) -> (Vec<Vec<f64>>, Vec<Result<f64, ProbeError>>) {
        let values = self.trackers.into_iter().map(value).collect();
        (self.rows.data, values)
    }
}

/// A probe's tracker; `span` is the simulated `[start, end]` (a value at a day outside it fails).
fn tracker(layout: &Layout, probe: &Probe, span: (f64, f64)) -> Tracker {
    let Some(source) = source(layout, &probe.column) else {
        return Tracker::Failed(ProbeError::UnknownColumn {
            column: probe.column.clone(),
        });
    };
    let slack = 1e-9 * (span.1 - span.0).abs().max(1.0);
    match probe.statistic {
        Statistic::At(day) if day < span.0 - slack || day > span.1 + slack => {
            Tracker::Failed(ProbeError::OutsideRun { day })
        }
        Statistic::At(day) => Tracker::At {
            day,
            source,
            value: None,
        },
        statistic => {
            let (a, b) = statistic.window().unwrap_or((0.0, 0.0));
            Tracker::Window {
                statistic,
                source,
                acc: WindowAccumulator::new(a, b, layout.states.len()),
            }
        }
    }
}

/// A tracker's result once the run is over.
fn value(tracker: Tracker) -> Result<f64, ProbeError> {
    match tracker {
        Tracker::Failed(e) => Err(e),
        Tracker::At { day, value, .. } => value.ok_or(ProbeError::OutsideRun { day }),
        Tracker::Window { statistic, acc, .. } => {
            let s = acc.stats();
            // The run covered the window (up to rounding of the step ends).
            if s.covered < (s.b - s.a) * (1.0 - 1e-9) - 1e-9 {
                return Err(ProbeError::OutsideRun { day: s.b });
            }
            Ok(match statistic {
                Statistic::Min(..) => s.min,
                Statistic::Max(..) => s.max,
                Statistic::Mean(..) => s.mean,
                Statistic::Auc(..) => s.auc,
                Statistic::Trough(a, b) => s.trough.ok_or(ProbeError::NoDose { from: a, to: b })?,
                Statistic::At(day) => return Err(ProbeError::OutsideRun { day }),
            })
        }
    }
}

impl<M: Model> SegmentObserver for Recorder<'_, M> {
    fn on_step(&mut self, step: &dyn DenseStep) {
        let eval = |t: f64, out: &mut [f64]| step.eval(t, out);
        self.emit_due(step.t_new(), &eval);
        for k in 0..self.trackers.len() {
            let Tracker::Window { source, .. } = self.trackers[k] else {
                continue;
            };
            let mut acc = match &mut self.trackers[k] {
                Tracker::Window { acc, .. } => std::mem::take(acc),
                _ => continue,
            };
            let mut latest = std::mem::take(&mut self.latest[k]);
            acc.on_step(step, &mut |t, y| {
                if let Some(v) = latest.get(t, y) {
                    return v;
                }
                let u = self.inputs_within(t);
                let v = self.read(source, y, u);
                latest.keep(t, y, v);
                v
            });
            self.latest[k] = latest;
            if let Tracker::Window { acc: slot, .. } = &mut self.trackers[k] {
                *slot = acc;
            }
        }
    }

    fn mark(&mut self) {
        self.rows.mark = (self.rows.next, self.rows.data[0].len());
        self.rows.failure_mark = self.rows.failure.clone();
        let largest = &self.rows.domains.largest;
        self.rows.largest_mark.copy_from_slice(largest);
        for (m, t) in self.marks.iter_mut().zip(&self.trackers) {
            *m = match t {
                Tracker::Failed(_) => TrackerMark::None,
                Tracker::At { value, .. } => TrackerMark::At(*value),
                Tracker::Window { acc, .. } => TrackerMark::Window(acc.checkpoint()),
            };
        }
    }

    fn rollback(&mut self) {
        let (next, len) = self.rows.mark;
        self.rows.next = next;
        for c in &mut self.rows.data {
            c.truncate(len);
        }
        let mark = &self.rows.largest_mark;
        self.rows.domains.largest.copy_from_slice(mark);
        self.rows.failure = self.rows.failure_mark.clone();
        for (m, t) in self.marks.iter().zip(&mut self.trackers) {
            match (m, t) {
                (TrackerMark::At(v), Tracker::At { value, .. }) => *value = *v,
                (TrackerMark::Window(c), Tracker::Window { acc, .. }) => acc.restore(*c),
                _ => {}
            }
        }
    }
}

impl Rows<'_> {
    /// Appends the row at output time `t` and checks it.
    /// Checks the row at output time `t` (every run, so that a run fails the same way with or
    /// without a kept trajectory) and appends it if the trajectory is recorded.
    fn push(&mut self, t: f64, y: &[f64], derived: &[f64]) {
        if self.failure.is_none() {
            self.failure = super::first_non_finite(self.domains.layout, t, y)
                .or_else(|| self.domains.row(t, y, derived));
        }
        self.next += 1;
        if !self.record {
            return;
        }
        self.data[0].push(t);
        for (column, v) in self.data[1..].iter_mut().zip(y.iter().chain(derived)) {
            column.push(*v);
        }
    }
}

/// The physical-domain check of a run (`Domain` in each state's and read-out's declaration):
/// a value outside its domain by more than the solver's tolerance ends the run. The tolerance of
/// a column is [`Domain::tolerance`] of its absolute tolerance (the state's own; the run's
/// smallest for read-outs), the relative tolerance, and the largest magnitude it has had so far.
pub(super) struct DomainCheck<'a> {
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
