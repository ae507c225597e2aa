//! Time-windowed inputs and the integration segments they cut the run into.
//!
//! An input switching on or off, or a dose, is an integration boundary: the solver restarts
//! there, and the right-hand side never tests the time. On each segment every input is constant
//! or a smooth profile of time.

use crate::model::{InputKind, InputSpec, InputValues, neutral_inputs};
use std::collections::BTreeSet;
use std::sync::Arc;

/// True when two times differ only by rounding (relative 1e-12, at least 1e-12 day).
pub fn same_time(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// How an input's value evolves within its window. Every profile is smooth in time, so a window
/// still needs solver restarts only at its edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Profile {
    /// The window's value throughout.
    Constant,
    /// From the input's neutral value at the window start towards the window's value:
    /// `value + (neutral - value) / (1 + (t - start) / tau_days)` (e.g. a natural decline of
    /// estrogen after menopause, Nelson et al. 2026).
    Hyperbolic {
        /// Time to go halfway (days).
        tau_days: f64,
    },
    /// The window's value at the start, then rising linearly: `value + rate_per_day (t - start)`
    /// (e.g. age).
    Linear {
        /// Slope (input unit per day).
        rate_per_day: f64,
    },
}

impl Profile {
    /// Value at `dt` days into the window, for an input whose neutral value is `neutral`.
    #[inline]
    pub fn value(self, value: f64, neutral: f64, dt: f64) -> f64 {
        match self {
            Profile::Constant => value,
            Profile::Hyperbolic { tau_days } => value + (neutral - value) / (1.0 + dt / tau_days),
            Profile::Linear { rate_per_day } => value + rate_per_day * dt,
        }
    }
}

/// An input over a time window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Index of the input in the model's input list.
    pub input: usize,
    /// Value in the input's unit.
    pub value: f64,
    /// Start (day). The input is on for `start < t <= end`.
    pub start: f64,
    /// End (day); `f64::INFINITY` for an open-ended window.
    pub end: f64,
    /// Time course within the window.
    pub profile: Profile,
}

/// Duration, output grid and inputs of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Start of the run (day, <= 0): the run starts from the steady state here. A negative start
    /// is a run-in (for example the years between menopause and the start of a treatment):
    /// simulated, but not written; outputs start at t = 0, and relative read-outs are re-expressed
    /// relative to t = 0 (see `engine::rebaseline`).
    pub start: f64,
    /// End of the run (day); outputs cover `[0, duration]`.
    pub duration: f64,
    /// Output interval (days).
    pub output_interval: f64,
    /// Input windows.
    pub windows: Vec<Window>,
    /// Doses: instantaneous additions to a state (a bolus into a drug compartment).
    pub doses: Vec<Dose>,
}

/// An instantaneous addition to a state at a time (a drug dose into its compartment).
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    /// Time (day). The dose acts at this time: an output row at exactly this time shows the
    /// state just before it.
    pub time: f64,
    /// Index of the state that receives it.
    pub state: usize,
    /// Amount, in the state's unit.
    pub amount: f64,
    /// Label for reports (drug, route, dose).
    pub label: String,
}

/// When a treatment's doses fall: dose `i` (from 0) is on day `first + interval * i`, a
/// nondecreasing function of `i`. The schedule's length and the doses before a day are counted by
/// bisection, and only the doses within a run are generated: a schedule may be far longer than the
/// run, and its cost does not grow with its length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// One dose on `day`.
    Once {
        /// Day of the dose.
        day: f64,
    },
    /// `doses` doses, `interval` days apart, from `first`.
    Count {
        /// Day of the first dose.
        first: f64,
        /// Days between doses (> 0).
        interval: f64,
        /// Number of doses (>= 1).
        doses: u64,
    },
    /// Doses `interval` days apart from `first` up to `last_day` (a dose on the last day, up to
    /// rounding, is given).
    Until {
        /// Day of the first dose.
        first: f64,
        /// Days between doses (> 0).
        interval: f64,
        /// Last day a dose may fall on (>= `first`).
        last_day: f64,
    },
}

impl Schedule {
    /// Day of dose `i`.
    pub fn day(&self, i: u64) -> f64 {
        match *self {
            Schedule::Once { day } => day,
            Schedule::Count {
                first, interval, ..
            }
            | Schedule::Until {
                first, interval, ..
            } => first + interval * i as f64,
        }
    }

    /// Number of doses in the schedule; `u64::MAX` when it does not fit in a `u64`.
    pub fn len(&self) -> u64 {
        match *self {
            Schedule::Once { .. } => 1,
            Schedule::Count { doses, .. } => doses,
            Schedule::Until {
                interval, last_day, ..
            } => leading(u64::MAX, |i| self.day(i) <= last_day + 1e-9 * interval),
        }
    }

    /// True for a schedule without doses (`Count` with 0 doses).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of doses strictly before day `end` (the end of a run).
    pub fn count_before(&self, end: f64) -> u64 {
        leading(self.len(), |i| self.day(i) < end)
    }

    /// The doses strictly before day `end`, each adding `amount` to state `state`. Their number is
    /// [`Schedule::count_before`], which a caller bounds first.
    pub fn doses_before(&self, end: f64, state: usize, amount: f64, label: &str) -> Vec<Dose> {
        (0..self.count_before(end))
            .map(|i| Dose {
                time: self.day(i),
                state,
                amount,
                label: label.to_string(),
            })
            .collect()
    }
}

/// How many of `0..n` satisfy `pred`, for a `pred` that holds on a prefix of `0..n` and nowhere
/// after (bisection: about 64 evaluations whatever `n`).
fn leading(n: u64, pred: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A stretch of time with constant inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Start (day).
    pub start: f64,
    /// End (day).
    pub end: f64,
    /// Values of the inputs that are constant on `(start, end]`.
    pub inputs: InputValues,
    /// Windows with a time profile active on this segment, combined into `inputs` at each time
    /// (shared by consecutive segments with the same windows).
    pub profiled: Arc<[Window]>,
    /// Doses given at the segment's start.
    pub doses: Vec<Dose>,
}

impl Segment {
    /// Input values at time `t` within the segment.
    #[inline]
    pub fn inputs_at(&self, t: f64, specs: &[InputSpec]) -> InputValues {
        let mut u = self.inputs;
        for w in self.profiled.iter() {
            let kind = specs[w.input].kind;
            let v = w.profile.value(w.value, kind.neutral(), t - w.start);
            match kind {
                InputKind::Additive => u[w.input] += v,
                InputKind::Multiplier => u[w.input] *= v,
            }
        }
        u
    }
}

impl Protocol {
    /// Cuts `[start, duration]` at every window edge and dose, and at t = 0 (the start of the
    /// outputs), and sets each piece's inputs.
    ///
    /// O((doses + windows) log(doses + windows)) plus the overlap of windows on one input: the
    /// edges are sorted once; each window's segments are found by bisection and applied in one
    /// sweep over the segments (the value of an input is recomputed, in file order, only where
    /// one of its windows starts or ends); each dose finds its segment by bisection.
    pub fn segments(&self, specs: &[InputSpec]) -> Vec<Segment> {
        let edges = self.edges();
        let n = edges.len().saturating_sub(1);
        if n == 0 {
            return Vec::new();
        }
        // A window acts on a segment when the segment's midpoint lies in [start, end): the
        // midpoints increase, so those segments are one contiguous range.
        let mids: Vec<f64> = edges.windows(2).map(|p| 0.5 * (p[0] + p[1])).collect();
        let mut events: Vec<(usize, usize)> = Vec::with_capacity(2 * self.windows.len());
        for (k, w) in self.windows.iter().enumerate() {
            let first = mids.partition_point(|m| *m < w.start);
            let past = mids.partition_point(|m| *m < w.end);
            if first < past {
                events.push((first, k));
                events.push((past, k));
            }
        }
        events.sort_unstable();

        let neutral = neutral_inputs(specs);
        let mut inputs = neutral;
        // Active windows, by index (file order): constant ones per input, profiled ones together.
        let mut constant: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); specs.len()];
        let mut profiled_set: BTreeSet<usize> = BTreeSet::new();
        let mut profiled: Arc<[Window]> = Arc::from(Vec::new());
        let mut changed: Vec<usize> = Vec::new();
        let mut next_event = 0;
        let mut segments = Vec::with_capacity(n);
        for (j, pair) in edges.windows(2).enumerate() {
            let mut profiled_changed = false;
            changed.clear();
            while next_event < events.len() && events[next_event].0 == j {
                let k = events[next_event].1;
                next_event += 1;
                let w = &self.windows[k];
                let set = if w.profile == Profile::Constant {
                    changed.push(w.input);
                    &mut constant[w.input]
                } else {
                    profiled_changed = true;
                    &mut profiled_set
                };
                // A window's start event comes before its end event (first < past).
                if !set.remove(&k) {
                    set.insert(k);
                }
            }
            for &i in &changed {
                let mut u = neutral[i];
                for &k in &constant[i] {
                    let v = self.windows[k].value;
                    match specs[i].kind {
                        InputKind::Additive => u += v,
                        InputKind::Multiplier => u *= v,
                    }
                }
                inputs[i] = u;
            }
            if profiled_changed {
                profiled = profiled_set
                    .iter()
                    .map(|&k| self.windows[k].clone())
                    .collect();
            }
            segments.push(Segment {
                start: pair[0],
                end: pair[1],
                inputs,
                profiled: Arc::clone(&profiled),
                doses: Vec::new(),
            });
        }

        // A dose is given at the start of the segment that starts at its time (up to rounding),
        // and doses at or before the start of the run at the first segment.
        let starts = &edges[..n];
        for d in &self.doses {
            let at = starts.partition_point(|e| *e < d.time);
            let mut first = at;
            while first > 0 && same_time(d.time, starts[first - 1]) {
                first -= 1;
            }
            let mut past = at;
            while past < n && same_time(d.time, starts[past]) {
                past += 1;
            }
            // Doses at or before the start of the run go to the first segment.
            let in_first_segment = first == 0 && past > 0;
            if d.time <= self.start && !in_first_segment {
                segments[0].doses.push(d.clone());
            }
            for seg in &mut segments[first..past] {
                seg.doses.push(d.clone());
            }
        }
        segments
    }

    /// The segment boundaries: start, end, t = 0 after a run-in, every window edge and dose within
    /// the run; sorted, with edges that differ only by rounding merged.
    fn edges(&self) -> Vec<f64> {
        let mut edges = vec![self.start, self.duration];
        if self.start < 0.0 {
            edges.push(0.0);
        }
        for w in &self.windows {
            for edge in [w.start, w.end] {
                if edge > self.start && edge < self.duration {
                    edges.push(edge);
                }
            }
        }
        // Every dose time is a boundary: the solver restarts there, so no dose can be missed.
        edges.extend(
            self.doses
                .iter()
                .map(|d| d.time)
                .filter(|t| *t > self.start && *t < self.duration),
        );
        edges.sort_by(f64::total_cmp);
        // Edges that differ only by rounding (a dose at 3.3000000000000003 and a window edge at
        // 3.3) are one edge: a segment shorter than that would underflow the step size.
        edges.dedup_by(|later, earlier| same_time(*later, *earlier));
        edges
    }

    /// The output times: multiples of the output interval from 0, plus the end if it is off-grid.
    /// When the interval is 1/m for a whole m (0.1, 0.5, 1), times are computed as k/m so that
    /// they print exactly (0.3, not 0.30000000000000004).
    pub fn output_times(&self) -> Vec<f64> {
        let dt = self.output_interval;
        let per_day = (1.0 / dt).round();
        let exact = per_day >= 1.0 && ((1.0 / dt) - per_day).abs() < 1e-9 * per_day;
        let time = |k: usize| {
            if exact {
                k as f64 / per_day
            } else {
                k as f64 * dt
            }
        };
        let n = (self.duration / dt * (1.0 + 1e-12)).floor() as usize;
        let mut times: Vec<f64> = (0..=n).map(time).collect();
        if let Some(last) = times.last_mut() {
            *last = last.min(self.duration);
        }
        if self.duration - times[times.len() - 1] > 1e-9 * dt {
            times.push(self.duration);
        }
        times
    }
}

#[cfg(test)]
mod tests {
    use super::Schedule;

    #[test]
    fn a_schedule_counts_and_generates_only_the_doses_within_the_run() {
        let every_week = Schedule::Count {
            first: 3.0,
            interval: 7.0,
            doses: 10,
        };
        assert_eq!(every_week.len(), 10);
        // Days 3, 10, 17, 24 are before 30; the dose on day 31 is not.
        assert_eq!(every_week.count_before(30.0), 4);
        let doses = every_week.doses_before(30.0, 5, 2.5, "x");
        let days: Vec<f64> = doses.iter().map(|d| d.time).collect();
        assert_eq!(days, [3.0, 10.0, 17.0, 24.0]);
        assert!(doses.iter().all(|d| d.state == 5 && d.amount == 2.5));
        // A dose exactly at the end of the run is after it.
        assert_eq!(every_week.count_before(24.0), 3);
        assert_eq!(Schedule::Once { day: 0.0 }.count_before(1.0), 1);
        assert_eq!(Schedule::Once { day: 1.0 }.count_before(1.0), 0);
    }

    #[test]
    fn a_schedule_until_a_day_includes_a_dose_on_that_day_up_to_rounding() {
        let s = Schedule::Until {
            first: 0.0,
            interval: 0.1,
            last_day: 0.3,
        };
        // 0.1 * 3 = 0.30000000000000004 is the dose on the last day.
        assert_eq!(s.len(), 4);
        let long = Schedule::Until {
            first: 0.0,
            interval: 1.0,
            last_day: 1e300,
        };
        assert_eq!(long.len(), u64::MAX);
        assert_eq!(long.count_before(3650.0), 3650);
    }
}
