//! The fast explicit path: an allocation-free Dormand–Prince 5(4) driver on slices.
//!
//! Why it exists (measured in `benches/stepper.rs`, `docs/performance.md` section "The fast
//! solver path: measured choice"): ode_solvers' `Dopri5` allocates per step in its
//! continuous-output mode, gives `solout` no interpolation coefficients, and needs a
//! compile-time `SVector` state to be fast (a runtime-sized `DVector` allocates in every stage);
//! diffsol's `tsit45` samples slowly through its interpolation and has no stiffness test and no
//! largest step. Neither gives a step loop with dense output inside it at the speed needed.
//!
//! The method is Hairer's DOPRI5 exactly as ode_solvers 0.6.2 computes it (same tableau, same
//! PI controller with beta 0.04 and safety 0.9, same initial-step guess, same error norm, same
//! dense output of order 4, same stiffness test, and the same order of floating-point
//! operations), so on the same problem both give the same steps and the same numbers to the last
//! bit (`tests/it/stepper.rs` checks it). What differs is the driver: every buffer lives in the
//! [`DormandPrince`] object and is reused across calls; each accepted step is handed to a
//! callback as a [`Step`] that interpolates in place; and sampling at ascending times happens
//! inside the step loop ([`DormandPrince::integrate_sampled`]).
//!
//! No I/O, no allocation per step, no allocation per call once the object has seen the
//! dimension.

use std::fmt;

/// Dormand–Prince 5(4) nodes.
const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
/// Fifth-order weights (the last row of A; the seventh stage is the first of the next step).
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
/// Error weights (fifth minus fourth order).
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];
/// Dense-output weights (Hairer's CONTD5, order 4).
const D: [f64; 7] = [
    -12715105075.0 / 11282082432.0,
    0.0,
    87487479700.0 / 32700410799.0,
    -10690763975.0 / 1880347072.0,
    701980252875.0 / 199316789632.0,
    -1453857185.0 / 822651844.0,
    69997945.0 / 29380423.0,
];

/// Step-size controller (Hairer's DOPRI5 defaults, as in ode_solvers 0.6.2).
const SAFETY: f64 = 0.9;
const BETA: f64 = 0.04;
const ALPHA: f64 = 0.2 - BETA * 0.75;
const FAC_MIN: f64 = 0.2;
const FAC_MAX: f64 = 10.0;
/// Hairer's stiffness test: h|lambda| above this, this many accepted steps in a row, is a report;
/// this many non-stiff estimates in a row clear the count.
const STIFF_THRESHOLD: f64 = 3.25;
const STIFF_REPORTS: u32 = 15;
const NON_STIFF_RESET: u32 = 6;

/// Absolute tolerance: one for all states, or one per state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Atol<'a> {
    /// The same for every state.
    Scalar(f64),
    /// One per state, in state order (length = dimension).
    PerState(&'a [f64]),
}

impl Atol<'_> {
    #[inline(always)]
    fn get(&self, i: usize) -> f64 {
        match self {
            Atol::Scalar(a) => *a,
            Atol::PerState(a) => a[i],
        }
    }
}

/// Settings of one integration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErkSettings {
    /// Relative tolerance.
    pub rtol: f64,
    /// Largest step; `None`: the error control alone chooses (up to the interval's length).
    pub max_step: Option<f64>,
    /// Most step attempts (accepted and rejected) in one call.
    pub max_steps: u64,
    /// Hairer's stiffness test every this many accepted steps (and after every step once it
    /// fired); `None` turns it off. Hairer's default is 1000.
    pub stiffness_every: Option<u32>,
    /// First step; `None`: Hairer's initial-step guess (two right-hand sides).
    pub initial_step: Option<f64>,
}

impl Default for ErkSettings {
    fn default() -> Self {
        ErkSettings {
            rtol: 1e-8,
            max_step: None,
            max_steps: 1_000_000,
            stiffness_every: Some(1000),
            initial_step: None,
        }
    }
}

/// Work done by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErkStats {
    /// Accepted steps.
    pub accepted: u64,
    /// Rejected steps (those after the first accepted one, as Hairer and ode_solvers count).
    pub rejected: u64,
    /// Right-hand-side evaluations (including the initial-step guess).
    pub evaluations: u64,
}

/// Why an integration stopped before its end. Each carries the time reached: the state slice
/// holds the solution there, and every step up to it has been passed to the callback, so the
/// caller can resume from it (or hand the rest to another method).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErkError {
    /// Hairer's stiffness test fired 15 times in a row; `h` is the step size in use.
    Stiff {
        /// Time reached.
        t: f64,
        /// Step size in use at the report.
        h: f64,
    },
    /// `max_steps` attempts without reaching the end.
    MaxSteps {
        /// Time reached.
        t: f64,
    },
    /// The step fell below round-off of the time (a singularity, or a non-finite right-hand side).
    StepSizeUnderflow {
        /// Time reached.
        t: f64,
    },
}

impl ErkError {
    /// The time reached.
    pub fn t(&self) -> f64 {
        match self {
            ErkError::Stiff { t, .. }
            | ErkError::MaxSteps { t }
            | ErkError::StepSizeUnderflow { t } => *t,
        }
    }
}

impl fmt::Display for ErkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErkError::Stiff { t, h } => write!(f, "stiffness detected at t = {t} (step {h})"),
            ErkError::MaxSteps { t } => write!(f, "step limit reached at t = {t}"),
            ErkError::StepSizeUnderflow { t } => write!(f, "step size underflow at t = {t}"),
        }
    }
}

impl std::error::Error for ErkError {}

/// One accepted step, as the callback sees it: both ends and the dense interpolant between them.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// Start of the step.
    pub t_prev: f64,
    /// End of the step.
    pub t_new: f64,
    /// State at `t_prev`.
    pub y_prev: &'a [f64],
    /// State at `t_new`.
    pub y_new: &'a [f64],
    /// Interpolation coefficients (Hairer's rcont1..5), five rows of the dimension.
    cont: &'a [f64],
    /// The step size the coefficients were computed with (`t_new - t_prev` up to rounding).
    h: f64,
}

impl Step<'_> {
    /// The dense solution (order 4) at `t` in `[t_prev, t_new]`, written into `out`. At the ends
    /// it returns the step's own states exactly.
    #[inline]
    pub fn eval(&self, t: f64, out: &mut [f64]) {
        if t >= self.t_new {
            out.copy_from_slice(self.y_new);
            return;
        }
        if t <= self.t_prev {
            out.copy_from_slice(self.y_prev);
            return;
        }
        let n = out.len();
        let theta = (t - self.t_prev) / self.h;
        let theta1 = 1.0 - theta;
        let (r1, rest) = self.cont.split_at(n);
        let (r2, rest) = rest.split_at(n);
        let (r3, rest) = rest.split_at(n);
        let (r4, r5) = rest.split_at(n);
        let r5 = &r5[..n];
        for i in 0..n {
            out[i] = r1[i] + theta * (r2[i] + theta1 * (r3[i] + theta * (r4[i] + theta1 * r5[i])));
        }
    }

    /// Length of the step.
    pub fn len(&self) -> f64 {
        self.t_new - self.t_prev
    }

    /// True for a step of zero length (never passed to a callback).
    pub fn is_empty(&self) -> bool {
        self.t_new <= self.t_prev
    }
}

/// The integrator: Dormand–Prince 5(4) with every buffer preallocated for one dimension.
/// Reuse one object per thread: after the first call for a dimension, nothing is allocated.
#[derive(Debug, Clone, Default)]
pub struct DormandPrince {
    n: usize,
    /// Stages k1..k7, then y_new, the sixth stage's argument (for the stiffness test) and the
    /// stage argument: 10 rows of n.
    work: Vec<f64>,
    /// Dense-output coefficients: 5 rows of n.
    cont: Vec<f64>,
    /// The state at the start of the current step.
    y_prev: Vec<f64>,
    /// Scratch row for sampling and the stiffness guard.
    sample: Vec<f64>,
    stats: ErkStats,
    h_last: f64,
}

const ROWS: usize = 10;

impl DormandPrince {
    /// An integrator for systems of `n` states.
    pub fn new(n: usize) -> Self {
        let mut s = DormandPrince::default();
        s.resize(n);
        s
    }

    /// Makes the buffers fit `n` states (allocates only when `n` changes).
    pub fn resize(&mut self, n: usize) {
        if self.n != n || self.work.len() != ROWS * n {
            self.n = n;
            self.work = vec![0.0; ROWS * n];
            self.cont = vec![0.0; 5 * n];
            self.y_prev = vec![0.0; n];
            self.sample = vec![0.0; n];
        }
    }

    /// Work of the last call (also after an error).
    pub fn stats(&self) -> ErkStats {
        self.stats
    }

    /// The step size in use at the end of the last call (the last accepted step).
    pub fn last_step(&self) -> f64 {
        self.h_last
    }

    /// Integrates `y' = rhs(t, y)` from `t0` to `t1` (> `t0`), `y` in and out, calling
    /// `on_step` after every accepted step. On error `y` holds the state at the time reached.
    #[allow(clippy::too_many_arguments)]
    pub fn integrate<F, S>(
        &mut self,
        rhs: &mut F,
        t0: f64,
        t1: f64,
        y: &mut [f64],
        atol: Atol<'_>,
        settings: &ErkSettings,
        on_step: &mut S,
    ) -> Result<ErkStats, ErkError>
    where
        F: FnMut(f64, &[f64], &mut [f64]),
        S: FnMut(&Step<'_>),
    {
        let n = y.len();
        self.resize(n);
        if let Atol::PerState(a) = atol {
            assert_eq!(a.len(), n, "one absolute tolerance per state");
        }
        self.stats = ErkStats::default();
        if t1 <= t0 {
            return Ok(self.stats);
        }
        let h_max = settings.max_step.unwrap_or(t1 - t0).min(t1 - t0).abs();
        let mut ctl = Controller::new(h_max);
        let (work, cont, y_prev) = (&mut self.work, &mut self.cont, &mut self.y_prev);
        let (k, rest) = work.split_at_mut(7 * n);
        let (y_new, rest) = rest.split_at_mut(n);
        let (y_stiff, rest) = rest.split_at_mut(n);
        let (y_stage, _) = rest.split_at_mut(n);
        let mut t = t0;
        rhs(t, y, &mut k[..n]);
        self.stats.evaluations += 1;
        let mut h = match settings.initial_step {
            Some(h0) => h0.min(h_max),
            None => {
                self.stats.evaluations += 1;
                let (f0, f1) = k.split_at_mut(n);
                initial_step(
                    rhs,
                    t,
                    y,
                    f0,
                    y_stage,
                    &mut f1[..n],
                    atol,
                    settings.rtol,
                    h_max,
                )
            }
        };
        let (mut stiff_count, mut non_stiff) = (0u32, 0u32);
        // Accepted steps until the next scheduled stiffness test (a countdown, not a division).
        let every = settings.stiffness_every.map(|e| e.max(1));
        let mut until_test = every.unwrap_or(u32::MAX);
        let mut attempts = 0u64;
        let mut last = false;
        loop {
            if attempts >= settings.max_steps {
                self.h_last = h;
                return Err(ErkError::MaxSteps { t });
            }
            if 0.1 * h.abs() <= f64::EPSILON * t.abs() || !h.is_finite() || h <= 0.0 {
                self.h_last = h;
                return Err(ErkError::StepSizeUnderflow { t });
            }
            if t + 1.01 * h - t1 > 0.0 {
                h = t1 - t;
                last = true;
            }
            attempts += 1;
            stages(rhs, t, h, y, k, y_new, y_stiff, y_stage);
            self.stats.evaluations += 6;
            let err = error_norm(h, k, y, y_new, atol, settings.rtol);
            let (accepted, h_new) = ctl.accept(err, h);
            if !accepted {
                last = false;
                if self.stats.accepted >= 1 {
                    self.stats.rejected += 1;
                }
                h = h_new;
                continue;
            }
            self.stats.accepted += 1;
            if let Some(every) = every {
                until_test -= 1;
                let scheduled = until_test == 0;
                if scheduled {
                    until_test = every;
                }
                if scheduled || stiff_count > 0 {
                    if stiffness_estimate(h, k, y_new, y_stiff, n) > STIFF_THRESHOLD {
                        non_stiff = 0;
                        stiff_count += 1;
                        if stiff_count == STIFF_REPORTS {
                            self.h_last = h;
                            return Err(ErkError::Stiff { t, h });
                        }
                    } else {
                        non_stiff += 1;
                        if non_stiff == NON_STIFF_RESET {
                            stiff_count = 0;
                        }
                    }
                }
            }
            dense_coefficients(h, k, y, y_new, cont);
            y_prev.copy_from_slice(y);
            y.copy_from_slice(y_new);
            let t_prev = t;
            t = if last { t1 } else { t + h };
            // FSAL: the seventh stage is the first of the next step.
            k.copy_within(6 * n..7 * n, 0);
            on_step(&Step {
                t_prev,
                t_new: t,
                y_prev,
                y_new: y,
                cont,
                h,
            });
            self.h_last = h;
            if last {
                return Ok(self.stats);
            }
            h = h_new;
        }
    }

    /// As [`integrate`](Self::integrate), and calls `emit(i, t, y)` at each of the ascending
    /// `times[i]` from the dense output inside the step loop: times at or before `t0` see the
    /// initial state, times at or after `t1` the final state. Sampling never changes the steps.
    #[allow(clippy::too_many_arguments)]
    pub fn integrate_sampled<F, S, E>(
        &mut self,
        rhs: &mut F,
        t0: f64,
        t1: f64,
        y: &mut [f64],
        atol: Atol<'_>,
        settings: &ErkSettings,
        times: &[f64],
        emit: &mut E,
        on_step: &mut S,
    ) -> Result<ErkStats, ErkError>
    where
        F: FnMut(f64, &[f64], &mut [f64]),
        S: FnMut(&Step<'_>),
        E: FnMut(usize, f64, &[f64]),
    {
        let mut next = 0;
        while next < times.len() && (times[next] <= t0 || t1 <= t0) {
            emit(next, times[next], y);
            next += 1;
        }
        let n = y.len();
        self.resize(n);
        // The sampling row is taken out for the call (no allocation: a moved Vec).
        let mut buf = std::mem::take(&mut self.sample);
        let out = self.integrate(rhs, t0, t1, y, atol, settings, &mut |step: &Step<'_>| {
            while next < times.len() && times[next] < step.t_new {
                step.eval(times[next], &mut buf);
                emit(next, times[next], &buf);
                next += 1;
            }
            on_step(step);
        });
        self.sample = buf;
        out?;
        while next < times.len() {
            emit(next, times[next], y);
            next += 1;
        }
        Ok(self.stats)
    }

    /// Resumes after stiffness reports on a solution at rest (see [`RestGuard`]); any other
    /// error, a report at the start, or more than `guard.max_reports` reports while the solution
    /// moves, is returned. Returns the work of all attempts and the number of reports resumed.
    #[allow(clippy::too_many_arguments)]
    pub fn integrate_guarded<F, S>(
        &mut self,
        rhs: &mut F,
        t0: f64,
        t1: f64,
        y: &mut [f64],
        atol: Atol<'_>,
        settings: &ErkSettings,
        guard: &RestGuard<'_>,
        on_step: &mut S,
    ) -> Result<(ErkStats, u32), (ErkError, ErkStats)>
    where
        F: FnMut(f64, &[f64], &mut [f64]),
        S: FnMut(&Step<'_>),
    {
        let mut total = ErkStats::default();
        let mut resumed = 0u32;
        let mut start = t0;
        loop {
            let outcome = self.integrate(rhs, start, t1, y, atol, settings, on_step);
            let s = self.stats;
            total.accepted += s.accepted;
            total.rejected += s.rejected;
            total.evaluations += s.evaluations;
            match outcome {
                Ok(_) => return Ok((total, resumed)),
                Err(ErkError::Stiff { t, h }) => {
                    let h_ref = settings.max_step.unwrap_or(h);
                    let mut f = std::mem::take(&mut self.sample);
                    rhs(t, y, &mut f);
                    total.evaluations += 1;
                    let at_rest = guard.at_rest(&f, y, h_ref, atol);
                    self.sample = f;
                    if t <= start || (!at_rest && resumed_moving(guard, resumed)) {
                        return Err((ErkError::Stiff { t, h }, total));
                    }
                    if !at_rest {
                        resumed += 1;
                    }
                    start = t;
                }
                Err(e) => return Err((e, total)),
            }
        }
    }
}

fn resumed_moving(guard: &RestGuard<'_>, resumed: u32) -> bool {
    resumed >= guard.max_reports
}

/// The "at rest" guard against false stiffness alarms (the idea of `solver::integrate`): on a
/// solution at rest the stiffness estimate is round-off noise that can pass the threshold. A
/// report where one step changes every dynamic state by less than `fraction` of its size (or
/// of its absolute tolerance) is resumed without counting; other reports count, and the
/// `max_reports + 1`-th is returned as stiffness.
#[derive(Debug, Clone, Copy)]
pub struct RestGuard<'a> {
    /// Which states count (accumulators integrate round-off and do not); empty: all.
    pub dynamic: &'a [bool],
    /// A state is at rest when one step changes it by less than this fraction (1e-10 today).
    pub fraction: f64,
    /// Reports resumed while the solution moves before the next one is final (10 today).
    pub max_reports: u32,
}

impl RestGuard<'_> {
    /// True when one step of size `h` changes every dynamic state by less than the fraction.
    pub fn at_rest(&self, f: &[f64], y: &[f64], h: f64, atol: Atol<'_>) -> bool {
        (0..y.len()).all(|i| {
            let counts = self.dynamic.get(i).copied().unwrap_or(true);
            !counts || (f[i] * h).abs() <= self.fraction * y[i].abs().max(atol.get(i))
        })
    }
}

/// The six new stages of one step; `k[0..n]` holds f(t, y) on entry, `k[6n..7n]` f(t+h, y_new)
/// on exit. Each argument is summed as ode_solvers does (`y + (k1 h) a1 + (k2 h) a2 + ...`, left
/// to right, the zero weight of k2 in the last row included), so that both give the same
/// numbers to the last bit.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn stages<F: FnMut(f64, &[f64], &mut [f64])>(
    rhs: &mut F,
    t: f64,
    h: f64,
    y: &[f64],
    k: &mut [f64],
    y_new: &mut [f64],
    y_stiff: &mut [f64],
    ys: &mut [f64],
) {
    let n = y.len();
    let (k1, r) = k.split_at_mut(n);
    let (k2, r) = r.split_at_mut(n);
    let (k3, r) = r.split_at_mut(n);
    let (k4, r) = r.split_at_mut(n);
    let (k5, r) = r.split_at_mut(n);
    let (k6, k7) = r.split_at_mut(n);
    let (k1, k7) = (&*k1, &mut k7[..n]);
    // Equal lengths, stated once, so that the loops below carry no bounds checks.
    let (y, y_new, y_stiff, ys) = (&y[..n], &mut y_new[..n], &mut y_stiff[..n], &mut ys[..n]);
    for i in 0..n {
        ys[i] = y[i] + k1[i] * h * A21;
    }
    rhs(t + h * C[1], ys, k2);
    for i in 0..n {
        ys[i] = y[i] + k1[i] * h * A31 + k2[i] * h * A32;
    }
    rhs(t + h * C[2], ys, k3);
    for i in 0..n {
        ys[i] = y[i] + k1[i] * h * A41 + k2[i] * h * A42 + k3[i] * h * A43;
    }
    rhs(t + h * C[3], ys, k4);
    for i in 0..n {
        ys[i] = y[i] + k1[i] * h * A51 + k2[i] * h * A52 + k3[i] * h * A53 + k4[i] * h * A54;
    }
    rhs(t + h * C[4], ys, k5);
    for i in 0..n {
        y_stiff[i] = y[i]
            + k1[i] * h * A61
            + k2[i] * h * A62
            + k3[i] * h * A63
            + k4[i] * h * A64
            + k5[i] * h * A65;
    }
    rhs(t + h * C[5], y_stiff, k6);
    for i in 0..n {
        y_new[i] = y[i]
            + k1[i] * h * B1
            + k2[i] * h * 0.0
            + k3[i] * h * B3
            + k4[i] * h * B4
            + k5[i] * h * B5
            + k6[i] * h * B6;
    }
    rhs(t + h * C[6], y_new, k7);
}

/// Hairer's error norm: RMS of the embedded error over `atol + rtol max(|y|, |y_new|)`.
#[inline(always)]
fn error_norm(h: f64, k: &[f64], y: &[f64], y_new: &[f64], atol: Atol<'_>, rtol: f64) -> f64 {
    let n = y.len();
    let [k1, k3, k4, k5, k6, k7] = stage_rows(k, n);
    let y_new = &y_new[..n];
    let mut sum = 0.0;
    for i in 0..n {
        let e = h
            * (E[0] * k1[i]
                + E[2] * k3[i]
                + E[3] * k4[i]
                + E[4] * k5[i]
                + E[5] * k6[i]
                + E[6] * k7[i]);
        let sc = atol.get(i) + y[i].abs().max(y_new[i].abs()) * rtol;
        sum += (e / sc) * (e / sc);
    }
    (sum / n as f64).sqrt()
}

/// The stage rows k1, k3..k7 (k2 enters neither the error nor the dense output), each of length n.
#[inline(always)]
fn stage_rows(k: &[f64], n: usize) -> [&[f64]; 6] {
    let row = |j: usize| &k[j * n..(j + 1) * n];
    [row(0), row(2), row(3), row(4), row(5), row(6)]
}

/// Hairer's estimate of h|lambda| from the last two stages.
fn stiffness_estimate(h: f64, k: &[f64], y_new: &[f64], y_stiff: &[f64], n: usize) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..n {
        let dk = k[6 * n + i] - k[5 * n + i];
        let dy = y_new[i] - y_stiff[i];
        num += dk * dk;
        den += dy * dy;
    }
    if den > 0.0 {
        h * (num / den).sqrt()
    } else {
        0.0
    }
}

/// Hairer's CONTD5 coefficients of the step.
#[inline(always)]
fn dense_coefficients(h: f64, k: &[f64], y: &[f64], y_new: &[f64], cont: &mut [f64]) {
    let n = y.len();
    let [k1, k3, k4, k5, k6, k7] = stage_rows(k, n);
    let y_new = &y_new[..n];
    let (r1, rest) = cont.split_at_mut(n);
    let (r2, rest) = rest.split_at_mut(n);
    let (r3, rest) = rest.split_at_mut(n);
    let (r4, r5) = rest.split_at_mut(n);
    let r5 = &mut r5[..n];
    for i in 0..n {
        let ydiff = y_new[i] - y[i];
        let bspl = h * k1[i] - ydiff;
        r1[i] = y[i];
        r2[i] = ydiff;
        r3[i] = bspl;
        r4[i] = ydiff - h * k7[i] - bspl;
        r5[i] = h
            * (D[0] * k1[i]
                + D[2] * k3[i]
                + D[3] * k4[i]
                + D[4] * k5[i]
                + D[5] * k6[i]
                + D[6] * k7[i]);
    }
}

/// Hairer's initial step guess (as ode_solvers 0.6.2 computes it). `f0` = f(t, y).
#[allow(clippy::too_many_arguments)]
fn initial_step<F: FnMut(f64, &[f64], &mut [f64])>(
    rhs: &mut F,
    t: f64,
    y: &[f64],
    f0: &[f64],
    y1: &mut [f64],
    f1: &mut [f64],
    atol: Atol<'_>,
    rtol: f64,
    h_max: f64,
) -> f64 {
    let n = y.len();
    let (mut d0, mut d1) = (0.0, 0.0);
    for i in 0..n {
        let sc = atol.get(i) + y[i].abs() * rtol;
        d0 += (y[i] / sc) * (y[i] / sc);
        d1 += (f0[i] / sc) * (f0[i] / sc);
    }
    let mut h0 = if d0 < 1e-10 || d1 < 1e-10 {
        1e-6
    } else {
        0.01 * (d0 / d1).sqrt()
    };
    h0 = h0.min(h_max);
    for i in 0..n {
        y1[i] = y[i] + f0[i] * h0;
    }
    rhs(t + h0, y1, f1);
    let mut d2 = 0.0;
    for i in 0..n {
        let sc = atol.get(i) + y[i].abs() * rtol;
        d2 += ((f1[i] - f0[i]) / sc) * ((f1[i] - f0[i]) / sc);
    }
    d2 = d2.sqrt() / h0;
    let h1 = if d1.sqrt().max(d2.abs()) <= 1e-15 {
        1e-6_f64.max(h0 * 1e-3)
    } else {
        (0.01 / d1.sqrt().max(d2)).powf(0.2)
    };
    (100.0 * h0).min(h1.min(h_max))
}

/// The PI controller of Hairer's DOPRI5, as ode_solvers' `Controller` computes it.
struct Controller {
    fac_old: f64,
    h_max: f64,
    reject: bool,
}

impl Controller {
    fn new(h_max: f64) -> Self {
        Controller {
            fac_old: 1e-4,
            h_max,
            reject: false,
        }
    }

    /// Whether a step of error `err` is accepted, and the next step size.
    #[inline(always)]
    fn accept(&mut self, err: f64, h: f64) -> (bool, f64) {
        let fac11 = err.powf(ALPHA);
        let fac = fac11 * self.fac_old.powf(-BETA);
        let fac = (1.0 / FAC_MAX).max((1.0 / FAC_MIN).min(fac / SAFETY));
        let mut h_new = h / fac;
        if err <= 1.0 {
            self.fac_old = err.max(1e-4);
            h_new = h_new.min(self.h_max);
            if self.reject {
                h_new = h_new.min(h);
            }
            self.reject = false;
            (true, h_new)
        } else {
            self.reject = true;
            (false, h / (1.0 / FAC_MIN).min(fac11 / SAFETY))
        }
    }
}
