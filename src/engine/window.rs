//! Exact window statistics: mean, AUC, minimum, maximum and trough of a scalar read-out over a
//! window `(a, b]`, computed from the solver's dense output step by step, never from the output
//! grid (which the accumulator never sees).
//!
//! Feed every accepted step of every segment to [`WindowAccumulator::on_step`] (the callback of
//! [`super::erk::DormandPrince::integrate`]) and the value just before each dose to
//! [`WindowAccumulator::pre_dose`]. On each step's part inside the window:
//!
//! - AUC: 5-point Gauss–Legendre quadrature of q on the dense interpolant (exact for a state or
//!   any linear read-out, since the interpolant is a polynomial of degree 4 in t);
//! - minimum and maximum: q at the piece's ends and at the quadrature nodes, and, where three
//!   consecutive of these seven values bracket an interior extremum, a golden-section search on
//!   the interpolant down to a millionth of the piece;
//! - trough: the smallest pre-dose value in the window.
//!
//! No allocation per step: one scratch row of the state's dimension is allocated with the
//! accumulator.

use super::erk::Step;

/// One step of a solver with dense output: what the accumulator reads. Implemented by
/// [`Step`]; a stiff solver's step (diffsol's BDF with `interpolate_inplace` between its last
/// two times) can implement it too, so a segment handed to BDF feeds the same accumulators.
pub trait DenseStep {
    /// Start of the step.
    fn t_prev(&self) -> f64;
    /// End of the step.
    fn t_new(&self) -> f64;
    /// State at the start.
    fn y_prev(&self) -> &[f64];
    /// State at the end.
    fn y_new(&self) -> &[f64];
    /// The dense solution at `t` in `[t_prev, t_new]`, into `out`, without allocating.
    fn eval(&self, t: f64, out: &mut [f64]);
}

impl DenseStep for Step<'_> {
    fn t_prev(&self) -> f64 {
        self.t_prev
    }
    fn t_new(&self) -> f64 {
        self.t_new
    }
    fn y_prev(&self) -> &[f64] {
        self.y_prev
    }
    fn y_new(&self) -> &[f64] {
        self.y_new
    }
    fn eval(&self, t: f64, out: &mut [f64]) {
        Step::eval(self, t, out)
    }
}

/// 5-point Gauss–Legendre nodes on [-1, 1] and their weights (Abramowitz & Stegun 25.4.30).
#[allow(clippy::excessive_precision)]
const GL_NODES: [f64; 5] = [
    -0.9061798459386639927976269,
    -0.5384693101056830910363144,
    0.0,
    0.5384693101056830910363144,
    0.9061798459386639927976269,
];
#[allow(clippy::excessive_precision)]
const GL_WEIGHTS: [f64; 5] = [
    0.2369268850561890875142640,
    0.4786286704993664680412915,
    128.0 / 225.0,
    0.4786286704993664680412915,
    0.2369268850561890875142640,
];
/// Golden-section search stops when its bracket is this fraction of the piece: the value of a
/// smooth extremum is then exact to about the square of it.
const EXTREMUM_BRACKET: f64 = 1e-6;
const INV_PHI: f64 = 0.618_033_988_749_894_8;
/// Most golden-section iterations: 29 shrink a bracket to `EXTREMUM_BRACKET` of itself
/// (0.618^29 < 1e-6). The cap ends the search where floating point cannot shrink the bracket
/// further: a bracket of a few ulps late in a run (t ~ 3000 days, ulp ~ 5e-13 day) around a
/// short step would otherwise never reach its tolerance, and the run would hang.
const GOLDEN_ITERATIONS: usize = 40;

/// The statistics of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Window start (exclusive).
    pub a: f64,
    /// Window end (inclusive).
    pub b: f64,
    /// Integral of q over the window.
    pub auc: f64,
    /// `auc / (b - a)`.
    pub mean: f64,
    /// Smallest value of q in the window.
    pub min: f64,
    /// Largest value of q in the window.
    pub max: f64,
    /// Smallest value of q just before a dose in the window (`None` without doses in it).
    pub trough: Option<f64>,
    /// The last pre-dose value in the window.
    pub trough_last: Option<f64>,
    /// Length of the window the steps covered (equals `b - a` when the run covered it).
    pub covered: f64,
}

/// Accumulates one scalar read-out's statistics over `(a, b]`. The default is an empty window
/// that allocates nothing (a placeholder while an accumulator is taken out to be fed).
#[derive(Debug, Clone)]
pub struct WindowAccumulator {
    sums: WindowCheckpoint,
    scratch: Vec<f64>,
}

/// Everything an accumulator has gathered (`Copy`): taken before a segment is attempted and
/// restored if the attempt is abandoned (a Dormand–Prince attempt that reports stiffness and is
/// rerun with BDF), so that only the solution kept is counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowCheckpoint {
    a: f64,
    b: f64,
    auc: f64,
    min: f64,
    max: f64,
    trough: Option<f64>,
    trough_last: Option<f64>,
    covered: f64,
}

impl Default for WindowAccumulator {
    fn default() -> Self {
        WindowAccumulator::new(0.0, 0.0, 0)
    }
}

impl WindowAccumulator {
    /// An empty accumulator for the window `(a, b]` of a system of `n` states.
    pub fn new(a: f64, b: f64, n: usize) -> Self {
        WindowAccumulator {
            sums: WindowCheckpoint {
                a,
                b,
                auc: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                trough: None,
                trough_last: None,
                covered: 0.0,
            },
            scratch: vec![0.0; n],
        }
    }

    /// What has been gathered so far (to restore after an abandoned attempt).
    pub fn checkpoint(&self) -> WindowCheckpoint {
        self.sums
    }

    /// Forgets everything gathered after `checkpoint` was taken.
    pub fn restore(&mut self, checkpoint: WindowCheckpoint) {
        self.sums = checkpoint;
    }

    /// Takes in one accepted step; `q(t, y)` is the read-out (a state, or a derived quantity).
    pub fn on_step<S: DenseStep + ?Sized, Q: FnMut(f64, &[f64]) -> f64>(
        &mut self,
        step: &S,
        q: &mut Q,
    ) {
        let lo = step.t_prev().max(self.sums.a);
        let hi = step.t_new().min(self.sums.b);
        if hi <= lo {
            return;
        }
        let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
        // Times and values: the piece's ends and the quadrature nodes, in order.
        let mut ts = [0.0; 7];
        let mut vs = [0.0; 7];
        ts[0] = lo;
        ts[6] = hi;
        for (j, x) in GL_NODES.iter().enumerate() {
            ts[j + 1] = mid + half * x;
        }
        for j in 0..7 {
            vs[j] = self.value(step, ts[j], q);
        }
        let mut sum = 0.0;
        for j in 0..5 {
            sum += GL_WEIGHTS[j] * vs[j + 1];
        }
        self.sums.auc += half * sum;
        self.sums.covered += hi - lo;
        for &v in &vs {
            self.observe(v);
        }
        for j in 1..6 {
            if vs[j] < vs[j - 1] && vs[j] <= vs[j + 1] {
                let v = self.golden(step, q, ts[j - 1], ts[j + 1], 1.0);
                self.observe(v);
            }
            if vs[j] > vs[j - 1] && vs[j] >= vs[j + 1] {
                let v = self.golden(step, q, ts[j - 1], ts[j + 1], -1.0);
                self.observe(v);
            }
        }
    }

    /// The value `q` takes just before a dose at `t` (counted when `a < t <= b`).
    pub fn pre_dose(&mut self, t: f64, q: f64) {
        let s = &mut self.sums;
        if t > s.a && t <= s.b {
            s.trough = Some(s.trough.map_or(q, |m| m.min(q)));
            s.trough_last = Some(q);
            self.observe(q);
        }
    }

    /// The statistics so far.
    pub fn stats(&self) -> WindowStats {
        let s = &self.sums;
        WindowStats {
            a: s.a,
            b: s.b,
            auc: s.auc,
            mean: s.auc / (s.b - s.a),
            min: s.min,
            max: s.max,
            trough: s.trough,
            trough_last: s.trough_last,
            covered: s.covered,
        }
    }

    fn observe(&mut self, v: f64) {
        self.sums.min = self.sums.min.min(v);
        self.sums.max = self.sums.max.max(v);
    }

    fn value<S: DenseStep + ?Sized, Q: FnMut(f64, &[f64]) -> f64>(
        &mut self,
        step: &S,
        t: f64,
        q: &mut Q,
    ) -> f64 {
        if t >= step.t_new() {
            return q(t, step.y_new());
        }
        if t <= step.t_prev() {
            return q(t, step.y_prev());
        }
        step.eval(t, &mut self.scratch);
        q(t, &self.scratch)
    }

    /// Golden-section search for the minimum of `sign * q` on `[lo, hi]`; returns q there.
    fn golden<S: DenseStep + ?Sized, Q: FnMut(f64, &[f64]) -> f64>(
        &mut self,
        step: &S,
        q: &mut Q,
        mut lo: f64,
        mut hi: f64,
        sign: f64,
    ) -> f64 {
        let tol = EXTREMUM_BRACKET * (hi - lo);
        let mut x1 = hi - INV_PHI * (hi - lo);
        let mut x2 = lo + INV_PHI * (hi - lo);
        let mut f1 = sign * self.value(step, x1, q);
        let mut f2 = sign * self.value(step, x2, q);
        for _ in 0..GOLDEN_ITERATIONS {
            if hi - lo <= tol {
                break;
            }
            if f1 <= f2 {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - INV_PHI * (hi - lo);
                f1 = sign * self.value(step, x1, q);
            } else {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + INV_PHI * (hi - lo);
                f2 = sign * self.value(step, x2, q);
            }
        }
        sign * f1.min(f2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step whose interpolant is the parabola (t - c)^2 in its one component.
    struct Parabola {
        t: (f64, f64),
        c: f64,
        y: [f64; 1],
    }

    impl DenseStep for Parabola {
        fn t_prev(&self) -> f64 {
            self.t.0
        }
        fn t_new(&self) -> f64 {
            self.t.1
        }
        fn y_prev(&self) -> &[f64] {
            &self.y
        }
        fn y_new(&self) -> &[f64] {
            &self.y
        }
        fn eval(&self, t: f64, out: &mut [f64]) {
            out[0] = (t - self.c) * (t - self.c);
        }
    }

    #[test]
    fn golden_section_ends_on_a_bracket_of_a_few_ulps() {
        // Late in a run a bracket can be narrower than the tolerance floating point can reach
        // (a step of 1e-12 day at t = 3000 days): the search must end, not spin.
        let (lo, hi) = (3000.0, 3000.0 + 4.0 * 3000f64 * f64::EPSILON);
        let step = Parabola {
            t: (lo, hi),
            c: 0.5 * (lo + hi),
            y: [0.0],
        };
        let mut acc = WindowAccumulator::new(0.0, 4000.0, 1);
        let v = acc.golden(&step, &mut |_, y: &[f64]| y[0], lo, hi, 1.0);
        assert!(v.is_finite() && v <= (hi - lo) * (hi - lo), "{v}");
    }

    #[test]
    fn golden_section_finds_a_smooth_minimum() {
        let step = Parabola {
            t: (0.0, 2.0),
            c: 0.7,
            y: [0.0],
        };
        let mut acc = WindowAccumulator::new(0.0, 2.0, 1);
        let v = acc.golden(&step, &mut |_, y: &[f64]| y[0] + 3.0, 0.0, 2.0, 1.0);
        assert!((v - 3.0).abs() < 1e-11, "{v}");
    }
}
