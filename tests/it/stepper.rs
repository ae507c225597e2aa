//! The fast explicit path (`engine::erk`) and exact window statistics (`engine::window`):
//! against analytic solutions, against ode_solvers' Dopri5 (the same method: the same steps and
//! the same numbers to the last bit), no allocation after the first call, stiffness reports with the time
//! reached, and window statistics that do not depend on the output grid.

use crate::util;
use immunoporosis::config;
use immunoporosis::engine::InitialState;
use immunoporosis::engine::erk::{Atol, DormandPrince, ErkError, ErkSettings, RestGuard, Step};
use immunoporosis::engine::window::WindowAccumulator;
use immunoporosis::model::ModelId;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations per thread (tests run in parallel threads).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Lemaire 2004 on slices, with the bundled parameter values (read from the parameter file).
struct Lemaire {
    p: [f64; 20],
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
        Lemaire { p }
    }

    /// The equations of `src/model/lemaire2004.rs` with all inputs zero.
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
            _r_l,
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
        let opg = k_o_p * r / pi_p;
        let pi_l = k3 / k4 * k_l_p * pi_p * b / (1.0 + k3 * rank / k4 + k1 / (k2 * k_o) * opg);
        let d_b = f0 * d_b_rate;
        dy[0] = d_r * pi_c - d_b / pi_c * r;
        dy[1] = d_b / pi_c * r - k_b * b;
        dy[2] = d_c * pi_l - d_a * pi_c * c;
    }
}

fn lemaire_initial() -> Vec<f64> {
    match util::load("lemaire2004_baseline").spec.initial {
        InitialState::Explicit(v) => v,
        InitialState::SteadyState => panic!("the baseline scenario starts from the SBML values"),
    }
}

fn settings(rtol: f64) -> ErkSettings {
    ErkSettings {
        rtol,
        ..ErkSettings::default()
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn the_stepper_matches_analytic_solutions() {
    // Non-autonomous scalar: y' = cos(t) y, y = exp(sin t).
    let mut s = DormandPrince::new(1);
    let mut y = [1.0];
    let times: Vec<f64> = (0..=200).map(|i| i as f64 * 0.1).collect();
    let mut worst: f64 = 0.0;
    s.integrate_sampled(
        &mut |t: f64, y: &[f64], dy: &mut [f64]| dy[0] = t.cos() * y[0],
        0.0,
        20.0,
        &mut y,
        Atol::Scalar(1e-14),
        &settings(1e-11),
        &times,
        &mut |_, t, y| worst = worst.max(rel(y[0], t.sin().exp())),
        &mut |_: &Step<'_>| {},
    )
    .expect("integrates");
    assert!(rel(y[0], 20f64.sin().exp()) < 1e-9, "end {}", y[0]);
    assert!(worst < 1e-9, "dense output error {worst}");
    // Rotation: y = (cos t, -sin t) over ten periods, per-state tolerances.
    let mut y = [1.0, 0.0];
    let t1 = 20.0 * std::f64::consts::PI;
    s.integrate(
        &mut |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[1];
            dy[1] = -y[0];
        },
        0.0,
        t1,
        &mut y,
        Atol::PerState(&[1e-13, 1e-13]),
        &settings(1e-11),
        &mut |_: &Step<'_>| {},
    )
    .expect("integrates");
    assert!((y[0] - 1.0).abs() < 1e-8 && y[1].abs() < 1e-8, "{y:?}");
}

/// ode_solvers' Dopri5 on the same Lemaire problem, with its continuous output.
struct OdeLemaire<'a>(&'a Lemaire);

impl ode_solvers::System<f64, ode_solvers::SVector<f64, 3>> for OdeLemaire<'_> {
    fn system(
        &self,
        _t: f64,
        y: &ode_solvers::SVector<f64, 3>,
        dy: &mut ode_solvers::SVector<f64, 3>,
    ) {
        self.0.rhs(y.as_slice(), dy.as_mut_slice());
    }
}

#[test]
fn the_stepper_takes_ode_solvers_steps_and_gives_its_numbers_to_the_last_bit() {
    use ode_solvers::continuous_output_model::ContinuousOutputModel;
    use ode_solvers::dop_shared::OutputType;
    let model = Lemaire::bundled();
    let y0 = lemaire_initial();
    let (rtol, atol, t1) = (1e-8, 1e-12, 1000.0);
    let mut reference = ode_solvers::dopri5::Dopri5::from_param(
        OdeLemaire(&model),
        0.0,
        t1,
        t1,
        ode_solvers::SVector::<f64, 3>::from_column_slice(&y0),
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
        OutputType::Continuous,
    );
    let mut dense = ContinuousOutputModel::new();
    let ref_stats = reference
        .integrate_with_continuous_output_model(&mut dense)
        .expect("ode_solvers integrates");
    let ref_end = *reference.y_out().last().expect("end state");

    let mut s = DormandPrince::new(3);
    let mut y = y0.clone();
    let times: Vec<f64> = (0..=1000).map(f64::from).collect();
    let mut worst: f64 = 0.0;
    let stats = s
        .integrate_sampled(
            &mut |_t: f64, y: &[f64], dy: &mut [f64]| model.rhs(y, dy),
            0.0,
            t1,
            &mut y,
            Atol::Scalar(atol),
            &settings(rtol),
            &times,
            &mut |_, t, y| {
                let r = dense.evaluate(t).unwrap_or(ref_end);
                for i in 0..3 {
                    worst = worst.max(rel(y[i], r[i]));
                }
            },
            &mut |_: &Step<'_>| {},
        )
        .expect("integrates");
    assert_eq!(stats.accepted, u64::from(ref_stats.accepted_steps));
    assert_eq!(stats.rejected, u64::from(ref_stats.rejected_steps));
    // ode_solvers evaluates f(t0, y0) twice (in its initial-step guess and again for the first
    // stage); this driver reuses it.
    assert_eq!(stats.evaluations + 1, u64::from(ref_stats.num_eval));
    println!("Lemaire 1000 days: {stats:?} (ode_solvers {ref_stats:?})");
    for i in 0..3 {
        assert!(
            rel(y[i], ref_end[i]) < 1e-10,
            "state {i}: {} vs {}",
            y[i],
            ref_end[i]
        );
    }
    assert!(worst < 1e-10, "sampled values differ by {worst}");
    // Error control alone takes far fewer steps than the capped 236 of the engine today.
    assert!(stats.accepted < 160, "{} steps", stats.accepted);
}

#[test]
fn after_the_first_call_nothing_is_allocated() {
    let model = Lemaire::bundled();
    let y0 = lemaire_initial();
    let times: Vec<f64> = (0..=1000).map(f64::from).collect();
    let mut s = DormandPrince::new(3);
    let mut acc = WindowAccumulator::new(100.0, 900.0, 3);
    let run = |s: &mut DormandPrince, acc: &mut WindowAccumulator| {
        let mut y = [y0[0], y0[1], y0[2]];
        let mut sum = 0.0;
        s.integrate_sampled(
            &mut |_t: f64, y: &[f64], dy: &mut [f64]| model.rhs(y, dy),
            0.0,
            1000.0,
            &mut y,
            Atol::Scalar(1e-12),
            &settings(1e-8),
            &times,
            &mut |_, _, y| sum += y[2],
            &mut |step: &Step<'_>| acc.on_step(step, &mut |_, y| y[2]),
        )
        .expect("integrates");
        sum
    };
    let first = run(&mut s, &mut acc);
    let before = allocations();
    let second = run(&mut s, &mut acc);
    assert_eq!(allocations(), before, "a second run allocated");
    assert_eq!(first, second);
}

#[test]
fn stiffness_is_reported_with_the_time_reached_and_the_state_there() {
    // y' = -1e4 (y - cos t): stiff once the transient has decayed.
    let mut f = |t: f64, y: &[f64], dy: &mut [f64]| dy[0] = -1e4 * (y[0] - t.cos());
    let mut s = DormandPrince::new(1);
    let mut y = [0.0];
    let mut last_t = 0.0;
    let e = s
        .integrate(
            &mut f,
            0.0,
            10.0,
            &mut y,
            Atol::Scalar(1e-10),
            &ErkSettings {
                rtol: 1e-6,
                stiffness_every: Some(1),
                ..ErkSettings::default()
            },
            &mut |step: &Step<'_>| last_t = step.t_new,
        )
        .expect_err("stiff");
    let ErkError::Stiff { t, h } = e else {
        panic!("expected stiffness, got {e}");
    };
    assert!(
        t > 0.0 && t < 10.0 && t == last_t,
        "t = {t}, last step at {last_t}"
    );
    assert!(h * 1e4 > 2.0, "h|lambda| = {}", h * 1e4);
    assert!(
        (y[0] - t.cos()).abs() < 1e-3,
        "state at the report {} vs {}",
        y[0],
        t.cos()
    );
    // The guard does not resume a moving stiff solution forever: after 3 reports it gives up.
    let mut y = [0.0];
    let guard = RestGuard {
        dynamic: &[true],
        fraction: 1e-10,
        max_reports: 3,
    };
    let (e, stats) = s
        .integrate_guarded(
            &mut f,
            0.0,
            10.0,
            &mut y,
            Atol::Scalar(1e-10),
            &ErkSettings {
                rtol: 1e-6,
                stiffness_every: Some(1),
                ..ErkSettings::default()
            },
            &guard,
            &mut |_: &Step<'_>| {},
        )
        .expect_err("still stiff");
    assert!(matches!(e, ErkError::Stiff { .. }));
    assert!(e.t() > t, "resumed past the first report: {} vs {t}", e.t());
    assert!(stats.accepted > 4 * 15, "{stats:?}");
    // At rest: f h far below the fraction of the state.
    assert!(guard.at_rest(&[1e-20], &[1.0], 10.0, Atol::Scalar(1e-12)));
    assert!(!guard.at_rest(&[1e-3], &[1.0], 10.0, Atol::Scalar(1e-12)));
}

#[test]
fn the_step_limit_is_an_error_with_the_time_reached() {
    let mut s = DormandPrince::new(1);
    let mut y = [1.0];
    let e = s
        .integrate(
            &mut |t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = (10.0 * t).cos(),
            0.0,
            100.0,
            &mut y,
            Atol::Scalar(1e-12),
            &ErkSettings {
                rtol: 1e-10,
                max_steps: 50,
                ..ErkSettings::default()
            },
            &mut |_: &Step<'_>| {},
        )
        .expect_err("limit");
    assert!(
        matches!(e, ErkError::MaxSteps { t } if t > 0.0 && t < 100.0),
        "{e}"
    );
    assert_eq!(s.stats().accepted + s.stats().rejected, 50);
}

/// Twice-daily oral dosing, one compartment: gut `g' = -ka g`, central `c' = ka g - kel c`.
const KA: f64 = 10.0;
const KEL: f64 = 0.5;
const DOSE: f64 = 100.0;
const TAU: f64 = 0.5;
const DOSES: usize = 60; // days 0 to 29.5

/// The analytic central amount at t (doses at k TAU, k < DOSES, t_k <= t; a dose at t counts).
fn central(t: f64) -> f64 {
    (0..DOSES)
        .map(|k| k as f64 * TAU)
        .filter(|&tk| tk <= t)
        .map(|tk| DOSE * KA / (KA - KEL) * ((-KEL * (t - tk)).exp() - (-KA * (t - tk)).exp()))
        .sum()
}

/// The analytic AUC of the central amount over (a, b].
fn central_auc(a: f64, b: f64) -> f64 {
    let prim = |s: f64| -> f64 {
        // Integral of one dose's term from 0 to s.
        DOSE * KA / (KA - KEL) * ((1.0 - (-KEL * s).exp()) / KEL - (1.0 - (-KA * s).exp()) / KA)
    };
    (0..DOSES)
        .map(|k| k as f64 * TAU)
        .filter(|&tk| tk < b)
        .map(|tk| prim(b - tk) - prim((a - tk).max(0.0)))
        .sum()
}

/// The analytic peak (time, amount) after the dose at tk: bisection on the derivative.
fn central_peak(tk: f64) -> (f64, f64) {
    let d = |t: f64| KA * gut(t) - KEL * central(t);
    let (mut lo, mut hi) = (tk, tk + 0.999 * TAU);
    assert!(d(lo) > 0.0 && d(hi) < 0.0, "no peak after the dose at {tk}");
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if d(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    (lo, central(lo))
}

fn gut(t: f64) -> f64 {
    (0..DOSES)
        .map(|k| k as f64 * TAU)
        .filter(|&tk| tk <= t)
        .map(|tk| DOSE * (-KA * (t - tk)).exp())
        .sum()
}

/// Integrates the dosing run segment by segment, feeding the accumulator; returns its stats and
/// the number of samples emitted.
fn pk_run(a: f64, b: f64, times: &[f64]) -> (immunoporosis::engine::window::WindowStats, usize) {
    let mut s = DormandPrince::new(2);
    let mut acc = WindowAccumulator::new(a, b, 2);
    let mut y = [0.0, 0.0];
    let mut emitted = 0;
    let mut next = 0;
    let end = DOSES as f64 * TAU;
    for k in 0..DOSES {
        let (t0, t1) = (k as f64 * TAU, (k + 1) as f64 * TAU);
        acc.pre_dose(t0, y[1]);
        y[0] += DOSE;
        let first = next;
        while next < times.len() && (times[next] <= t1 || t1 >= end) {
            next += 1;
        }
        s.integrate_sampled(
            &mut |_t: f64, y: &[f64], dy: &mut [f64]| {
                dy[0] = -KA * y[0];
                dy[1] = KA * y[0] - KEL * y[1];
            },
            t0,
            t1,
            &mut y,
            Atol::Scalar(1e-12),
            &settings(1e-10),
            &times[first..next],
            &mut |_, _, _| emitted += 1,
            &mut |step: &Step<'_>| acc.on_step(step, &mut |_, y| y[1]),
        )
        .expect("integrates");
    }
    (acc.stats(), emitted)
}

#[test]
fn window_statistics_of_twice_daily_dosing_are_exact_and_ignore_the_output_grid() {
    for (a, b) in [(20.0, 29.0), (20.3, 28.8), (0.0, 29.5)] {
        let weekly: Vec<f64> = (0..=4).map(|i| 7.0 * f64::from(i)).collect();
        let hourly: Vec<f64> = (0..=708).map(|i| f64::from(i) / 24.0).collect();
        let (plain, n0) = pk_run(a, b, &[]);
        let (w, n1) = pk_run(a, b, &weekly);
        let (h, n2) = pk_run(a, b, &hourly);
        assert_eq!((n0, n1, n2), (0, weekly.len(), hourly.len()));
        // The grid never reaches the statistics: identical to the last bit.
        assert_eq!(plain, w);
        assert_eq!(plain, h);
        assert!(
            rel(plain.covered, b - a) < 1e-12,
            "covered {}",
            plain.covered
        );
        let auc = central_auc(a, b);
        assert!(rel(plain.auc, auc) < 1e-7, "AUC {} vs {auc}", plain.auc);
        assert!(rel(plain.mean, auc / (b - a)) < 1e-7);
        // Minimum: at a dose time (the amount falls until the dose's absorption takes over), or
        // at a window edge.
        let doses_in = (0..DOSES)
            .map(|k| k as f64 * TAU)
            .filter(|&t| t > a && t <= b);
        let min = doses_in
            .clone()
            .map(central)
            .chain([central(a), central(b)])
            .fold(f64::INFINITY, f64::min);
        assert!(rel(plain.min, min) < 1e-7, "min {} vs {min}", plain.min);
        // Maximum: the peak after one of the doses (all inside these windows) or an edge.
        let max = (0..DOSES - 1)
            .map(|k| k as f64 * TAU)
            .map(central_peak)
            .filter(|&(t, _)| t > a && t <= b)
            .map(|(_, c)| c)
            .chain([central(a), central(b)])
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(rel(plain.max, max) < 1e-7, "max {} vs {max}", plain.max);
        // Trough: the smallest pre-dose amount in the window.
        let trough = doses_in.map(central).fold(f64::INFINITY, f64::min);
        if trough.is_finite() {
            let got = plain.trough.expect("doses in the window");
            assert!(rel(got, trough) < 1e-7, "trough {got} vs {trough}");
        }
        println!(
            "window ({a}, {b}]: relative errors AUC {:.1e}, min {:.1e}, max {:.1e}",
            rel(plain.auc, auc),
            rel(plain.min, min),
            rel(plain.max, max)
        );
    }
    // The weekly grid alone is wrong by 7 %: it samples only troughs (days 21 and 28).
    let weekly_mean: f64 = [21.0, 28.0].iter().map(|&t| central(t)).sum::<f64>() / 2.0;
    let exact = central_auc(20.0, 29.0) / 9.0;
    assert!(rel(weekly_mean, exact) > 0.05, "{weekly_mean} vs {exact}");
}

#[test]
fn an_abandoned_attempt_leaves_no_trace_in_window_statistics() {
    // y' = 2t from y = 0: y = t^2, so over (0.5, 1.5]: AUC (1.5^3 - 0.5^3)/3, min 0.25, max 2.25.
    let mut s = DormandPrince::new(1);
    let mut acc = WindowAccumulator::new(0.5, 1.5, 1);
    let mut y = [0.0];
    let mut feed = |acc: &mut WindowAccumulator, y: &mut [f64], t0: f64, t1: f64, slope: f64| {
        s.integrate(
            &mut |t: f64, _y: &[f64], dy: &mut [f64]| dy[0] = slope * t,
            t0,
            t1,
            y,
            Atol::Scalar(1e-12),
            &settings(1e-10),
            &mut |step: &Step<'_>| acc.on_step(step, &mut |_, y| y[0]),
        )
        .expect("integrates");
    };
    feed(&mut acc, &mut y, 0.0, 1.0, 2.0);
    let kept = acc.checkpoint();
    let mut abandoned = y;
    feed(&mut acc, &mut abandoned, 1.0, 2.0, -7.0);
    assert_ne!(
        acc.checkpoint(),
        kept,
        "the abandoned attempt was counted before the restore"
    );
    acc.restore(kept);
    feed(&mut acc, &mut y, 1.0, 2.0, 2.0);
    let w = acc.stats();
    let auc = (1.5f64.powi(3) - 0.5f64.powi(3)) / 3.0;
    assert!(rel(w.auc, auc) < 1e-12, "AUC {} vs {auc}", w.auc);
    assert!(
        rel(w.min, 0.25) < 1e-12 && rel(w.max, 2.25) < 1e-12,
        "{w:?}"
    );
    assert!(rel(w.covered, 1.0) < 1e-12);
    assert_eq!(w.trough, None);
}

/// Lemaire 2004 made stiff (osteoclasts removed 100,000 times a day) under a RANKL input that
/// rises from day 10, so that the solution moves and Dormand–Prince's stiffness reports are
/// final: under `method = "auto"` each segment is abandoned part-way and rerun with BDF.
fn stiff_moving_lemaire(method: &str, output_interval: f64) -> String {
    format!(
        "name = \"t\"\nmodel = \"lemaire2004\"\nduration_days = 30.0\noutput_interval_days = {output_interval}\n\n[parameters]\n\"osteoclast.D_A\" = 1e5\n\n[[input]]\nname = \"I_L\"\nvalue = 1.0e4\nunit = \"pM/day\"\nprofile = \"hyperbolic\"\ntau_days = 30.0\nstart_day = 10.0\n\n[solver]\nmethod = \"{method}\"\n"
    )
}

/// Window statistics and values at a day of `text`'s run, with its segment reports.
fn probed(
    text: &str,
    probes: &[immunoporosis::engine::Probe],
) -> (Vec<f64>, Vec<immunoporosis::engine::SegmentReport>) {
    let s = util::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let observation = immunoporosis::engine::Observation {
        trajectory: true,
        probes,
    };
    let r = immunoporosis::engine::simulate_observed(&s.spec, &observation)
        .unwrap_or_else(|e| panic!("{e}"));
    let values = r.probes.into_iter().map(|p| p.expect("probe")).collect();
    (values, r.segments)
}

#[test]
fn window_statistics_of_a_run_handed_to_bdf_ignore_the_abandoned_attempt_and_the_grid() {
    use immunoporosis::engine::{Probe, Statistic};
    let window = (5.0, 25.0);
    let probes: Vec<Probe> = [
        Statistic::Mean(window.0, window.1),
        Statistic::Auc(window.0, window.1),
        Statistic::Min(window.0, window.1),
        Statistic::Max(window.0, window.1),
        Statistic::At(17.3),
    ]
    .into_iter()
    .flat_map(|statistic| {
        ["C_pM", "B_pM"].map(|column| Probe {
            column: column.to_string(),
            statistic,
        })
    })
    .collect();
    let (coarse, segments) = probed(&stiff_moving_lemaire("auto", 10.0), &probes);
    // The run does switch: Dormand–Prince got part-way through each segment (the observer saw
    // those steps) before its report, and BDF reran the segment.
    assert_eq!(segments.len(), 2);
    for s in &segments {
        assert!(
            s.solver
                .starts_with("bdf (Dopri5 reported stiffness at t = "),
            "{}",
            s.solver
        );
    }
    // A finer output grid does not change a window statistic: they come from the steps, not the
    // grid, to the last bit.
    let (fine, _) = probed(&stiff_moving_lemaire("auto", 0.125), &probes);
    assert_eq!(coarse, fine);
    // Nothing of the abandoned Dormand–Prince attempts remains: the same as BDF alone.
    let (bdf, _) = probed(&stiff_moving_lemaire("bdf", 10.0), &probes);
    assert_eq!(coarse, bdf);
    // And the statistics are those of the solution: the mean is the AUC over the window's
    // length, the minimum and maximum bracket the mean and the value at a day inside.
    let len = window.1 - window.0;
    for (j, column) in ["C_pM", "B_pM"].iter().enumerate() {
        let [mean, auc, min, max, at] = [0, 1, 2, 3, 4].map(|k| coarse[2 * k + j]);
        assert!(rel(mean, auc / len) < 1e-12, "{column}: {mean} vs {auc}");
        assert!(min < mean && mean < max, "{column}: {min} {mean} {max}");
        assert!(min <= at && at <= max, "{column}: {min} {at} {max}");
    }
}

/// Denosumab 60 mg SC every six months for a year, natural menopause, with Dormand–Prince and
/// the given `[solver]` lines.
fn denosumab_year(solver: &str) -> String {
    format!(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 365.25\noutput_interval_days = 7.609375\n\n[[input]]\nname = \"estrogen\"\nvalue = 0.1\nunit = \"1\"\nprofile = \"hyperbolic\"\ntau_days = 91.3125\n\n[[treatment]]\ndrug = \"denosumab\"\ndose = 60.0\nunit = \"mg\"\nroute = \"SC\"\ninterval_days = 182.625\ndoses = 2\n\n[solver]\nmethod = \"dopri5\"\n{solver}"
    )
}

#[test]
fn dormand_prince_takes_one_absolute_tolerance_per_state() {
    let plain = util::run_text(&denosumab_year(""));
    // The same tolerance named per state: the same steps and numbers, to the last bit.
    let same = util::run_text(&denosumab_year(
        "atol_states = { Den_depot = 1e-14, Den_central = 1e-14 }\n",
    ));
    assert_eq!(same.stats, plain.stats);
    assert_eq!(same.trajectory, plain.trajectory);
    // Looser on the drug amounts (mg): the depot, a decaying exponential tracked down to 1e-12 mg,
    // no longer sets the step (most steps of a denosumab run are its), and the run takes far fewer
    // steps; before per-state tolerances reached Dormand–Prince, it took the smallest and this
    // changed nothing.
    let loose = util::run_text(&denosumab_year(
        "atol_states = { Den_depot = 1e-8, Den_central = 1e-8 }\n",
    ));
    assert!(
        (loose.stats.accepted_steps as f64) < 0.8 * plain.stats.accepted_steps as f64,
        "{} vs {} steps",
        loose.stats.accepted_steps,
        plain.stats.accepted_steps
    );
    // The bone, the cells and the markers stay within a millionth (the reference outputs'
    // tolerance): the drug amounts are resolved to a hundred-millionth of a milligram instead of
    // 1e-14 mg.
    for c in [
        "OBa_pM",
        "OCa_pM",
        "bmd_lumbar_spine_change_pct",
        "ctx_change_pct",
        "denosumab_ng_per_mL",
    ] {
        let (a, b) = (
            plain.trajectory.column(c).unwrap(),
            loose.trajectory.column(c).unwrap(),
        );
        let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-6 * x.abs().max(1e-3 * scale),
                "{c}: {y} vs {x}"
            );
        }
    }
    // Tighter on one state than `atol`: more steps (the depot is tracked further down).
    let tight = util::run_text(&denosumab_year("atol_states = { Den_depot = 1e-18 }\n"));
    assert!(
        tight.stats.accepted_steps > plain.stats.accepted_steps,
        "{} vs {} steps",
        tight.stats.accepted_steps,
        plain.stats.accepted_steps
    );
}
