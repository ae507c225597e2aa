//! The fast solver path, decided by measurement (`docs/performance.md`, "The fast solver path:
//! measured choice"). The same problems on slice right-hand sides, integrated by each candidate:
//!
//! - `ode_continuous`: ode_solvers 0.6.2 `Dopri5` as the engine uses it today (continuous
//!   output model, sampled afterwards), with today's largest step (1.5 / spectral radius) and
//!   without it;
//! - `ode_sparse_hermite`: ode_solvers' `Dopri5` driven differently: `SVector` state, `Sparse`
//!   output and a `solout` that samples each step by cubic Hermite interpolation (the only dense
//!   information `solout` gets is the state and its derivative at the step's end);
//! - `diffsol_tsit45`: diffsol 0.18's explicit `tsit45` driven by `step()`, sampled with its
//!   in-place `interpolate_inplace`;
//! - `erk`: `engine::erk::DormandPrince`, the allocation-free Dormand–Prince driver.
//!
//! Problems: Lemaire 2004 (BIOMD0000000278 initial values, bundled parameters) for 1000 days at
//! rtol 1e-8 / atol 1e-12, with 1001 daily samples or the final state only, and the 1000-run OPG
//! x RANKL sweep of `params/analyses/sweep_lemaire_opg_rankl.toml` on one thread; a 17-state
//! synthetic bone-like system (below) for 3650 days with weekly samples. Before the timings,
//! `main` prints every candidate's steps, right-hand sides and largest difference from `erk`.
//!
//! Run with `cargo bench --bench stepper`. Compare numbers only within one session.

use immunoporosis::config;
use immunoporosis::engine::erk::{Atol, DormandPrince, ErkSettings, Step};
use immunoporosis::engine::{self, InitialState};
use immunoporosis::model::ModelId;
use std::cell::Cell;
use std::path::PathBuf;

fn main() {
    report();
    divan::main();
}

/// Counts heap allocations on this thread, so that the report can show each candidate's per run.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the heap allocations it made.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

// ---------------------------------------------------------------------------------------------
// Problems

/// Lemaire 2004 on slices: the equations of `src/model/lemaire2004.rs`, parameters from the
/// bundled file, constant inputs I_O and I_L (I_P = 0).
#[derive(Clone, Copy)]
struct Lemaire {
    p: [f64; 20],
    i_o: f64,
    i_l: f64,
}

impl Lemaire {
    fn bundled() -> Self {
        let ps = config::bundled_params(ModelId::Lemaire2004).expect("bundled parameters");
        let names = [
            "osteoblast.D_R",
            "osteoblast.d_B",
            "osteoblast.k_B",
            "osteoclast.D_C",
            "osteoclast.D_A",
            "tgfb.f0",
            "tgfb.C_s",
            "rankl.K_L_P",
            "rankl.r_L",
            "rankl.k3",
            "rankl.k4",
            "rankl.K",
            "opg.k1",
            "opg.k2",
            "opg.kO",
            "opg.K_O_P",
            "pth.k5",
            "pth.k6",
            "pth.k_P",
            "pth.S_P",
        ];
        let mut p = [0.0; 20];
        for (v, n) in p.iter_mut().zip(names) {
            *v = ps.value(n);
        }
        Lemaire {
            p,
            i_o: 0.0,
            i_l: 0.0,
        }
    }

    #[inline]
    fn rhs(&self, y: &[f64], dy: &mut [f64]) {
        let [
            d_r,
            d_b_rate,
            k_b,
            d_c,
            d_a,
            f0,
            c_s,
            k_l_p,
            r_l,
            k3,
            k4,
            rank,
            k1,
            k2,
            k_o,
            k_o_p,
            k5,
            k6,
            k_p,
            s_p,
        ] = self.p;
        let (r, b, c) = (y[0], y[1], y[2]);
        let pi_c = (c + f0 * c_s) / (c + c_s);
        let pi_p = (s_p / k_p) / (k6 / k5);
        let opg = self.i_o + k_o_p * r / pi_p;
        let pi_l = k3 / k4 * k_l_p * pi_p * b / (1.0 + k3 * rank / k4 + k1 / (k2 * k_o) * opg)
            * (1.0 + self.i_l / r_l);
        let d_b = f0 * d_b_rate;
        dy[0] = d_r * pi_c - d_b / pi_c * r;
        dy[1] = d_b / pi_c * r - k_b * b;
        dy[2] = d_c * pi_l - d_a * pi_c * c;
    }
}

fn lemaire_initial() -> [f64; 3] {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("params/scenarios/lemaire2004_baseline.toml");
    let s = config::load_scenario(&path).expect("bundled scenario");
    match s.spec.initial {
        InitialState::Explicit(v) => [v[0], v[1], v[2]],
        InitialState::SteadyState => unreachable!("the baseline starts from the SBML values"),
    }
}

/// Today's automatic largest step for Lemaire (1.5 / spectral radius at its steady state).
fn lemaire_cap() -> f64 {
    let params = config::bundled_params(ModelId::Lemaire2004).expect("params");
    let ss = engine::steady_state(ModelId::Lemaire2004, &params).expect("steady state");
    engine::solver::automatic_max_step(&ss.eigenvalues).expect("a finite cap")
}

/// The sweep's 1000 input pairs (40 x 25 grid, run k: I_O index k / 25, I_L index k % 25).
fn sweep_inputs() -> Vec<(f64, f64)> {
    (0..1000)
        .map(|k| {
            let (i, j) = (k / 25, k % 25);
            (2.0e5 * i as f64 / 39.0, 1.0e4 * j as f64 / 24.0)
        })
        .collect()
}

/// A 17-state synthetic bone-like system: a chain of cell populations with feedback through
/// saturating (Hill) terms, turnover rates from 0.005 to 0.4 /day and an estrogen-like decline
/// E(t) that enters through four powers (one logarithm, four exponentials per evaluation, as in
/// the immunoporosis model). Benchmark-only numbers, not model parameters.
#[derive(Clone, Copy)]
struct Chain {
    d: [f64; 17],
}

const CHAIN_N: usize = 17;

impl Chain {
    fn new() -> Self {
        let mut d = [0.0; CHAIN_N];
        for (i, di) in d.iter_mut().enumerate() {
            *di = 0.005 * (0.4f64 / 0.005).powf(i as f64 / (CHAIN_N - 1) as f64);
        }
        Chain { d }
    }

    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        let e = 1.0 - 0.3 * (1.0 - (-t / 400.0).exp());
        let ln_e = e.ln();
        let g = [
            (0.5 * ln_e).exp(),
            (1.3 * ln_e).exp(),
            (-0.7 * ln_e).exp(),
            (2.1 * ln_e).exp(),
        ];
        for i in 0..CHAIN_N {
            let x = y[(i + 5) % CHAIN_N];
            let hill = x * x / (1.0 + x * x);
            let source = if i == 0 {
                self.d[0]
            } else {
                self.d[i] * y[i - 1]
            };
            dy[i] = source * (0.6 + 0.8 * hill) * g[i % 4] - self.d[i] * y[i] * (0.6 + 0.8 * hill);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Candidates. Each returns (sum of sampled values, accepted steps, right-hand sides) so that the
// work cannot be optimised away and the report can compare them.

type Out = (f64, u64, u64);

struct OdeSys<'a, F> {
    f: &'a F,
    evals: Cell<u64>,
}

impl<const N: usize, F: Fn(f64, &[f64], &mut [f64])>
    ode_solvers::System<f64, ode_solvers::SVector<f64, N>> for OdeSys<'_, F>
{
    #[inline]
    fn system(
        &self,
        t: f64,
        y: &ode_solvers::SVector<f64, N>,
        dy: &mut ode_solvers::SVector<f64, N>,
    ) {
        self.evals.set(self.evals.get() + 1);
        (self.f)(t, y.as_slice(), dy.as_mut_slice());
    }
}

/// ode_solvers' Dopri5 as the engine uses it: continuous output model, then sampling.
fn ode_continuous<const N: usize, F: Fn(f64, &[f64], &mut [f64])>(
    f: &F,
    y0: &[f64],
    t1: f64,
    rtol: f64,
    atol: f64,
    h_max: f64,
    times: &[f64],
) -> Out {
    use ode_solvers::continuous_output_model::ContinuousOutputModel;
    use ode_solvers::dop_shared::OutputType;
    let sys = OdeSys {
        f,
        evals: Cell::new(0),
    };
    let y = ode_solvers::SVector::<f64, N>::from_column_slice(y0);
    let mut s = ode_solvers::dopri5::Dopri5::from_param(
        sys,
        0.0,
        t1,
        t1,
        y,
        rtol,
        atol,
        0.9,
        0.04,
        0.2,
        10.0,
        h_max,
        0.0,
        1_000_000,
        1000,
        OutputType::Continuous,
    );
    let mut dense = ContinuousOutputModel::new();
    let stats = s
        .integrate_with_continuous_output_model(&mut dense)
        .expect("integrates");
    let end = *s.y_out().last().expect("end");
    let mut sum = 0.0;
    for &t in times {
        let v = if t >= t1 {
            end
        } else {
            dense.evaluate(t).unwrap_or(end)
        };
        sum += v[N - 1];
    }
    if times.is_empty() {
        sum = end[N - 1];
    }
    (
        sum,
        u64::from(stats.accepted_steps),
        u64::from(stats.num_eval),
    )
}

/// ode_solvers' Dopri5, Sparse output, sampling in `solout` by cubic Hermite interpolation.
struct Hermite<'a, F, const N: usize> {
    f: &'a F,
    evals: Cell<u64>,
    times: &'a [f64],
    next: usize,
    t_prev: f64,
    y_prev: ode_solvers::SVector<f64, N>,
    f_prev: ode_solvers::SVector<f64, N>,
    /// ode_solvers keeps the system; the samples' sum comes back through this cell.
    sum: &'a Cell<f64>,
}

impl<const N: usize, F: Fn(f64, &[f64], &mut [f64])>
    ode_solvers::System<f64, ode_solvers::SVector<f64, N>> for Hermite<'_, F, N>
{
    #[inline]
    fn system(
        &self,
        t: f64,
        y: &ode_solvers::SVector<f64, N>,
        dy: &mut ode_solvers::SVector<f64, N>,
    ) {
        self.evals.set(self.evals.get() + 1);
        (self.f)(t, y.as_slice(), dy.as_mut_slice());
    }

    fn solout(
        &mut self,
        t: f64,
        y: &ode_solvers::SVector<f64, N>,
        dy: &ode_solvers::SVector<f64, N>,
    ) -> bool {
        let h = t - self.t_prev;
        while self.next < self.times.len() && self.times[self.next] <= t {
            let s = (self.times[self.next] - self.t_prev) / h;
            let (h00, h10) = (
                (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s),
                s * (1.0 - s) * (1.0 - s),
            );
            let (h01, h11) = (s * s * (3.0 - 2.0 * s), s * s * (s - 1.0));
            let i = N - 1;
            self.sum.set(
                self.sum.get()
                    + h00 * self.y_prev[i]
                    + h10 * h * self.f_prev[i]
                    + h01 * y[i]
                    + h11 * h * dy[i],
            );
            self.next += 1;
        }
        self.t_prev = t;
        self.y_prev = *y;
        self.f_prev = *dy;
        false
    }
}

fn ode_sparse_hermite<const N: usize, F: Fn(f64, &[f64], &mut [f64])>(
    f: &F,
    y0: &[f64],
    t1: f64,
    rtol: f64,
    atol: f64,
    times: &[f64],
) -> Out {
    use ode_solvers::dop_shared::OutputType;
    let y = ode_solvers::SVector::<f64, N>::from_column_slice(y0);
    let mut f0 = ode_solvers::SVector::<f64, N>::zeros();
    f(0.0, y.as_slice(), f0.as_mut_slice());
    let mut next = 0;
    let sum = Cell::new(0.0);
    while next < times.len() && times[next] <= 0.0 {
        sum.set(sum.get() + y[N - 1]);
        next += 1;
    }
    let sys = Hermite {
        f,
        evals: Cell::new(1),
        times,
        next,
        t_prev: 0.0,
        y_prev: y,
        f_prev: f0,
        sum: &sum,
    };
    let mut s = ode_solvers::dopri5::Dopri5::from_param(
        sys,
        0.0,
        t1,
        t1,
        y,
        rtol,
        atol,
        0.9,
        0.04,
        0.2,
        10.0,
        t1,
        0.0,
        1_000_000,
        1000,
        OutputType::Sparse,
    );
    let stats = s.integrate().expect("integrates");
    let end = *s.y_out().last().expect("end");
    // The solver owns the system; its sampling state is read back through the results.
    let sum = if times.is_empty() {
        end[N - 1]
    } else {
        sum.get()
    };
    (
        sum,
        u64::from(stats.accepted_steps),
        u64::from(stats.num_eval),
    )
}

/// The same with a runtime-sized `DVector` state (what a per-scenario layout would need without
/// one monomorphised copy per state count).
struct HermiteDyn<'a, F> {
    f: &'a F,
    times: &'a [f64],
    next: usize,
    t_prev: f64,
    y_prev: ode_solvers::DVector<f64>,
    f_prev: ode_solvers::DVector<f64>,
    sum: &'a Cell<f64>,
    evals: Cell<u64>,
}

impl<F: Fn(f64, &[f64], &mut [f64])> ode_solvers::System<f64, ode_solvers::DVector<f64>>
    for HermiteDyn<'_, F>
{
    #[inline]
    fn system(&self, t: f64, y: &ode_solvers::DVector<f64>, dy: &mut ode_solvers::DVector<f64>) {
        self.evals.set(self.evals.get() + 1);
        (self.f)(t, y.as_slice(), dy.as_mut_slice());
    }

    fn solout(
        &mut self,
        t: f64,
        y: &ode_solvers::DVector<f64>,
        dy: &ode_solvers::DVector<f64>,
    ) -> bool {
        let h = t - self.t_prev;
        let i = y.len() - 1;
        while self.next < self.times.len() && self.times[self.next] <= t {
            let s = (self.times[self.next] - self.t_prev) / h;
            let (h00, h10) = (
                (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s),
                s * (1.0 - s) * (1.0 - s),
            );
            let (h01, h11) = (s * s * (3.0 - 2.0 * s), s * s * (s - 1.0));
            self.sum.set(
                self.sum.get()
                    + h00 * self.y_prev[i]
                    + h10 * h * self.f_prev[i]
                    + h01 * y[i]
                    + h11 * h * dy[i],
            );
            self.next += 1;
        }
        self.t_prev = t;
        self.y_prev.copy_from(y);
        self.f_prev.copy_from(dy);
        false
    }
}

fn ode_sparse_hermite_dyn<F: Fn(f64, &[f64], &mut [f64])>(
    f: &F,
    y0: &[f64],
    t1: f64,
    rtol: f64,
    atol: f64,
    times: &[f64],
) -> Out {
    use ode_solvers::dop_shared::OutputType;
    let n = y0.len();
    let y = ode_solvers::DVector::<f64>::from_column_slice(y0);
    let mut f0 = ode_solvers::DVector::<f64>::zeros(n);
    f(0.0, y.as_slice(), f0.as_mut_slice());
    let mut next = 0;
    let sum = Cell::new(0.0);
    while next < times.len() && times[next] <= 0.0 {
        sum.set(sum.get() + y[n - 1]);
        next += 1;
    }
    let sys = HermiteDyn {
        f,
        times,
        next,
        t_prev: 0.0,
        y_prev: y.clone(),
        f_prev: f0,
        sum: &sum,
        evals: Cell::new(1),
    };
    let mut s = ode_solvers::dopri5::Dopri5::from_param(
        sys,
        0.0,
        t1,
        t1,
        y,
        rtol,
        atol,
        0.9,
        0.04,
        0.2,
        10.0,
        t1,
        0.0,
        1_000_000,
        1000,
        OutputType::Sparse,
    );
    let stats = s.integrate().expect("integrates");
    let end = s.y_out().last().expect("end")[n - 1];
    let sum = if times.is_empty() { end } else { sum.get() };
    (
        sum,
        u64::from(stats.accepted_steps),
        u64::from(stats.num_eval),
    )
}

/// diffsol 0.18's tsit45, stepped, sampled with `interpolate_inplace`.
fn diffsol_tsit45<F: Fn(f64, &[f64], &mut [f64])>(
    f: &F,
    y0: &[f64],
    t1: f64,
    rtol: f64,
    atol: f64,
    times: &[f64],
) -> Out {
    use diffsol::{NalgebraMat, OdeBuilder, OdeSolverMethod, OdeSolverStopReason};
    let n = y0.len();
    let evals = Cell::new(0u64);
    let y_init = y0.to_vec();
    let problem = OdeBuilder::<NalgebraMat<f64>>::new()
        .rtol(rtol)
        .atol(vec![atol; n])
        .rhs(|x: &[f64], _p: &[f64], t: f64, out: &mut [f64]| {
            evals.set(evals.get() + 1);
            f(t, x, out);
        })
        .init(
            move |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(&y_init),
            n,
        )
        .build()
        .expect("problem");
    let mut s = problem.tsit45().expect("solver");
    s.set_stop_time(t1).expect("stop time");
    let mut buf = s.state().y.clone();
    let mut next = 0;
    let mut sum = 0.0;
    while next < times.len() && times[next] <= 0.0 {
        sum += y0[n - 1];
        next += 1;
    }
    loop {
        let reason = s.step().expect("step");
        let t_now = s.state().t;
        let done = matches!(reason, OdeSolverStopReason::TstopReached);
        while next < times.len() && (times[next] <= t_now || done) {
            if done && times[next] >= t_now {
                sum += s.state().y[n - 1];
            } else {
                s.interpolate_inplace(times[next], &mut buf)
                    .expect("interpolates");
                sum += buf[n - 1];
            }
            next += 1;
        }
        if done {
            break;
        }
    }
    if times.is_empty() {
        sum = s.state().y[n - 1];
    }
    let steps = s.get_statistics().number_of_steps as u64;
    (sum, steps, evals.get())
}

/// The allocation-free Dormand–Prince driver (one object reused across runs).
#[allow(clippy::too_many_arguments)]
fn erk<F: Fn(f64, &[f64], &mut [f64])>(
    s: &mut DormandPrince,
    f: &F,
    y0: &[f64],
    t1: f64,
    rtol: f64,
    atol: f64,
    h_max: Option<f64>,
    times: &[f64],
) -> Out {
    let mut y = [0.0; CHAIN_N];
    let y = &mut y[..y0.len()];
    y.copy_from_slice(y0);
    let n = y.len();
    let mut sum = 0.0;
    let settings = ErkSettings {
        rtol,
        max_step: h_max,
        ..ErkSettings::default()
    };
    let stats = s
        .integrate_sampled(
            &mut |t: f64, y: &[f64], dy: &mut [f64]| f(t, y, dy),
            0.0,
            t1,
            y,
            Atol::Scalar(atol),
            &settings,
            times,
            &mut |_, _, v: &[f64]| sum += v[n - 1],
            &mut |_: &Step<'_>| {},
        )
        .expect("integrates");
    if times.is_empty() {
        sum = y[n - 1];
    }
    (sum, stats.accepted, stats.evaluations)
}

// ---------------------------------------------------------------------------------------------
// Settings shared by the report and the timings.

const RTOL: f64 = 1e-8;
const LEMAIRE_ATOL: f64 = 1e-12;
const LEMAIRE_DAYS: f64 = 1000.0;
const CHAIN_ATOL: f64 = 1e-12;
const CHAIN_DAYS: f64 = 3650.0;

fn daily() -> Vec<f64> {
    (0..=1000).map(f64::from).collect()
}

fn weekly() -> Vec<f64> {
    (0..=521).map(|k| 7.0 * f64::from(k)).collect()
}

fn print_rows(rows: &[(&str, (Out, u64))]) {
    let reference = rows[0].1.0.0;
    for (name, ((sum, steps, evals), allocs)) in rows {
        let rel = (sum - reference).abs() / reference;
        println!(
            "  {name:40} steps {steps:6} rhs {evals:7} allocations {allocs:6} sum {sum:.12e} rel. to erk {rel:.1e}"
        );
    }
}

/// Mean accepted steps and right-hand sides per run of the 1000-run sweep.
fn sweep_work(run: impl Fn(Lemaire) -> Out) -> (f64, f64) {
    let base = Lemaire::bundled();
    let (mut steps, mut evals) = (0, 0);
    for (i_o, i_l) in sweep_inputs() {
        let (_, s, e) = run(Lemaire { i_o, i_l, ..base });
        steps += s;
        evals += e;
    }
    (steps as f64 / 1000.0, evals as f64 / 1000.0)
}

fn report() {
    let lem = Lemaire::bundled();
    let lf = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let cap = lemaire_cap();
    let (l_days, l_atol) = (LEMAIRE_DAYS, LEMAIRE_ATOL);
    let times = daily();
    let mut s = DormandPrince::new(3);
    // One run before counting: the erk object allocates its buffers once.
    erk(&mut s, &lf, &y0, l_days, RTOL, l_atol, None, &times);
    let rows = [
        (
            "erk (no cap)",
            counted(|| erk(&mut s, &lf, &y0, l_days, RTOL, l_atol, None, &times)),
        ),
        (
            "erk (today's cap)",
            counted(|| erk(&mut s, &lf, &y0, l_days, RTOL, l_atol, Some(cap), &times)),
        ),
        (
            "ode_solvers continuous (today's cap)",
            counted(|| ode_continuous::<3, _>(&lf, &y0, l_days, RTOL, l_atol, cap, &times)),
        ),
        (
            "ode_solvers continuous (no cap)",
            counted(|| ode_continuous::<3, _>(&lf, &y0, l_days, RTOL, l_atol, l_days, &times)),
        ),
        (
            "ode_solvers sparse + Hermite",
            counted(|| ode_sparse_hermite::<3, _>(&lf, &y0, l_days, RTOL, l_atol, &times)),
        ),
        (
            "ode_solvers sparse + Hermite, DVector",
            counted(|| ode_sparse_hermite_dyn(&lf, &y0, l_days, RTOL, l_atol, &times)),
        ),
        (
            "diffsol tsit45",
            counted(|| diffsol_tsit45(&lf, &y0, l_days, RTOL, l_atol, &times)),
        ),
    ];
    println!(
        "Lemaire 2004, 1000 days, 1001 samples (sum of C over the samples; cap = {cap:.4} day)"
    );
    print_rows(&rows);
    let (steps, evals) = sweep_work(|lem| {
        let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
        erk(
            &mut DormandPrince::new(3),
            &f,
            &y0,
            l_days,
            RTOL,
            l_atol,
            None,
            &[],
        )
    });
    println!("sweep, 1000 runs, erk: {steps:.1} steps and {evals:.1} right-hand sides per run");
    let (steps, evals) = sweep_work(|lem| {
        let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
        ode_continuous::<3, _>(&f, &y0, l_days, RTOL, l_atol, cap, &[])
    });
    println!(
        "sweep, 1000 runs, ode_solvers, today's cap: {steps:.1} steps and {evals:.1} right-hand sides per run"
    );
    let ch = Chain::new();
    let cf = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let y0 = [1.0; CHAIN_N];
    let (c_days, c_atol) = (CHAIN_DAYS, CHAIN_ATOL);
    let times = weekly();
    let mut s = DormandPrince::new(CHAIN_N);
    erk(&mut s, &cf, &y0, c_days, RTOL, c_atol, None, &times);
    let rows = [
        (
            "erk (no cap)",
            counted(|| erk(&mut s, &cf, &y0, c_days, RTOL, c_atol, None, &times)),
        ),
        (
            "ode_solvers continuous (no cap)",
            counted(|| {
                ode_continuous::<CHAIN_N, _>(&cf, &y0, c_days, RTOL, c_atol, c_days, &times)
            }),
        ),
        (
            "ode_solvers sparse + Hermite",
            counted(|| ode_sparse_hermite::<CHAIN_N, _>(&cf, &y0, c_days, RTOL, c_atol, &times)),
        ),
        (
            "ode_solvers sparse + Hermite, DVector",
            counted(|| ode_sparse_hermite_dyn(&cf, &y0, c_days, RTOL, c_atol, &times)),
        ),
        (
            "diffsol tsit45",
            counted(|| diffsol_tsit45(&cf, &y0, c_days, RTOL, c_atol, &times)),
        ),
    ];
    println!("17-state chain, 3650 days, 522 weekly samples (sum of the last state)");
    print_rows(&rows);
}

// ---------------------------------------------------------------------------------------------
// Timings

/// Today's whole path for one Lemaire run (steady state, integration, sampling, domain checks).
#[divan::bench]
fn lemaire_engine_today(bencher: divan::Bencher) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("params/scenarios/lemaire2004_baseline.toml");
    let s = config::load_scenario(&path).expect("scenario");
    bencher.bench(|| engine::simulate(divan::black_box(&s.spec)).expect("runs"));
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_ode_continuous_today_cap(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let (y0, cap) = (lemaire_initial(), lemaire_cap());
    let times = if out == "daily" { daily() } else { vec![] };
    bencher.bench_local(|| {
        ode_continuous::<3, _>(
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            cap,
            &times,
        )
    });
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_ode_continuous_no_cap(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    bencher.bench_local(|| {
        ode_continuous::<3, _>(
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            LEMAIRE_DAYS,
            &times,
        )
    });
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_ode_sparse_hermite(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    bencher.bench_local(|| {
        ode_sparse_hermite::<3, _>(
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            &times,
        )
    });
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_diffsol_tsit45(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    bencher.bench_local(|| {
        diffsol_tsit45(
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            &times,
        )
    });
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_erk(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    let mut s = DormandPrince::new(3);
    bencher.bench_local(|| {
        erk(
            &mut s,
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            None,
            &times,
        )
    });
}

/// The 1000-run sweep on one thread, endpoints only (day 1000) or daily samples.
#[divan::bench(args = ["daily", "final"], sample_count = 10)]
fn sweep_1000_erk(bencher: divan::Bencher, out: &str) {
    let base = Lemaire::bundled();
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    let inputs = sweep_inputs();
    let mut s = DormandPrince::new(3);
    bencher.bench_local(|| {
        let mut total = 0.0;
        for &(i_o, i_l) in &inputs {
            let lem = Lemaire { i_o, i_l, ..base };
            let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
            total += erk(
                &mut s,
                &f,
                &y0,
                LEMAIRE_DAYS,
                RTOL,
                LEMAIRE_ATOL,
                None,
                &times,
            )
            .0;
        }
        total
    });
}

#[divan::bench(args = ["daily", "final"], sample_count = 10)]
fn sweep_1000_ode_continuous_today_cap(bencher: divan::Bencher, out: &str) {
    let base = Lemaire::bundled();
    let (y0, cap) = (lemaire_initial(), lemaire_cap());
    let times = if out == "daily" { daily() } else { vec![] };
    let inputs = sweep_inputs();
    bencher.bench_local(|| {
        let mut total = 0.0;
        for &(i_o, i_l) in &inputs {
            let lem = Lemaire { i_o, i_l, ..base };
            let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
            total +=
                ode_continuous::<3, _>(&f, &y0, LEMAIRE_DAYS, RTOL, LEMAIRE_ATOL, cap, &times).0;
        }
        total
    });
}

#[divan::bench]
fn chain_rhs(bencher: divan::Bencher) {
    let ch = Chain::new();
    let y = [1.0; CHAIN_N];
    let mut dy = [0.0; CHAIN_N];
    bencher.bench_local(|| {
        ch.rhs(divan::black_box(100.0), divan::black_box(&y), &mut dy);
        dy[0]
    });
}

#[divan::bench]
fn chain_ode_continuous(bencher: divan::Bencher) {
    let ch = Chain::new();
    let f = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let (y0, times) = ([1.0; CHAIN_N], weekly());
    bencher.bench_local(|| {
        ode_continuous::<CHAIN_N, _>(
            &f,
            divan::black_box(&y0),
            CHAIN_DAYS,
            RTOL,
            CHAIN_ATOL,
            CHAIN_DAYS,
            &times,
        )
    });
}

#[divan::bench]
fn chain_ode_sparse_hermite(bencher: divan::Bencher) {
    let ch = Chain::new();
    let f = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let (y0, times) = ([1.0; CHAIN_N], weekly());
    bencher.bench_local(|| {
        ode_sparse_hermite::<CHAIN_N, _>(
            &f,
            divan::black_box(&y0),
            CHAIN_DAYS,
            RTOL,
            CHAIN_ATOL,
            &times,
        )
    });
}

#[divan::bench]
fn chain_diffsol_tsit45(bencher: divan::Bencher) {
    let ch = Chain::new();
    let f = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let (y0, times) = ([1.0; CHAIN_N], weekly());
    bencher.bench_local(|| {
        diffsol_tsit45(
            &f,
            divan::black_box(&y0),
            CHAIN_DAYS,
            RTOL,
            CHAIN_ATOL,
            &times,
        )
    });
}

#[divan::bench]
fn chain_erk(bencher: divan::Bencher) {
    let ch = Chain::new();
    let f = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let (y0, times) = ([1.0; CHAIN_N], weekly());
    let mut s = DormandPrince::new(CHAIN_N);
    bencher.bench_local(|| {
        erk(
            &mut s,
            &f,
            divan::black_box(&y0),
            CHAIN_DAYS,
            RTOL,
            CHAIN_ATOL,
            None,
            &times,
        )
    });
}

#[divan::bench(args = ["daily", "final"])]
fn lemaire_ode_sparse_hermite_dvector(bencher: divan::Bencher, out: &str) {
    let lem = Lemaire::bundled();
    let f = move |_t: f64, y: &[f64], dy: &mut [f64]| lem.rhs(y, dy);
    let y0 = lemaire_initial();
    let times = if out == "daily" { daily() } else { vec![] };
    bencher.bench_local(|| {
        ode_sparse_hermite_dyn(
            &f,
            divan::black_box(&y0),
            LEMAIRE_DAYS,
            RTOL,
            LEMAIRE_ATOL,
            &times,
        )
    });
}

#[divan::bench]
fn chain_ode_sparse_hermite_dvector(bencher: divan::Bencher) {
    let ch = Chain::new();
    let f = move |t: f64, y: &[f64], dy: &mut [f64]| ch.rhs(t, y, dy);
    let (y0, times) = ([1.0; CHAIN_N], weekly());
    bencher.bench_local(|| {
        ode_sparse_hermite_dyn(
            &f,
            divan::black_box(&y0),
            CHAIN_DAYS,
            RTOL,
            CHAIN_ATOL,
            &times,
        )
    });
}
