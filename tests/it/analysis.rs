//! Analyses: Sobol indices against the Ishigami function, determinism of sweeps, local
//! sensitivities against finite differences, populations, bad analysis files.

use crate::util::root;
use immunoporosis::analysis::sampling::{Range, Scale};
use immunoporosis::analysis::{self, population, sensitivity, sweep};
use immunoporosis::config;
use std::f64::consts::PI;

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

#[test]
fn sobol_indices_of_the_ishigami_function_match_the_analytic_values() {
    let eval = |pts: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
        pts.iter().map(|x| Ok(vec![ishigami(x)])).collect()
    };
    let r = Range {
        min: -PI,
        max: PI,
        scale: Scale::Linear,
    };
    let s = sensitivity::sobol(&eval, &[r, r, r], 4096, 200, 42).unwrap();
    // Analytic values for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2008).
    let (a, b) = (7.0f64, 0.1f64);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    let first = [v1 / v, v2 / v, 0.0];
    let total = [(v1 + v13) / v, v2 / v, v13 / v];
    assert!(
        (first[0] - 0.3139).abs() < 1e-3 && (total[2] - 0.2437).abs() < 1e-3,
        "analytic values"
    );
    for i in 0..3 {
        let (s1, st) = (s[i][0].first, s[i][0].total);
        assert!(
            (s1.value - first[i]).abs() < 0.02,
            "S{}: {} vs {}",
            i + 1,
            s1.value,
            first[i]
        );
        assert!(
            (st.value - total[i]).abs() < 0.02,
            "ST{}: {} vs {}",
            i + 1,
            st.value,
            total[i]
        );
        assert!(
            s1.low <= s1.value && s1.value <= s1.high && st.low <= st.value && st.value <= st.high
        );
        assert!(
            st.high - st.low < 0.1,
            "bootstrap interval too wide: {st:?}"
        );
    }
}

#[test]
fn morris_recovers_the_effects_of_a_linear_function() {
    // y = 3 x1 - 2 x2 + 0 x3 on [0, 1] (linear scale): elementary effects are exact.
    let eval = |pts: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
        pts.iter()
            .map(|x| Ok(vec![3.0 * x[0] - 2.0 * x[1]]))
            .collect()
    };
    let r = Range {
        min: 0.0,
        max: 1.0,
        scale: Scale::Linear,
    };
    let m = sensitivity::morris(&eval, &[r, r, r], 10, 4, 3).unwrap();
    assert!((m[0][0].mu - 3.0).abs() < 1e-12 && m[0][0].sigma < 1e-12);
    assert!((m[1][0].mu + 2.0).abs() < 1e-12 && (m[1][0].mu_star - 2.0).abs() < 1e-12);
    assert!(m[2][0].mu_star.abs() < 1e-12);
}

#[test]
fn local_sensitivities_match_analytic_and_finite_difference_values() {
    // y = p1^2 p2: normalised coefficients are exactly 2 and 1.
    let eval = |pts: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
        pts.iter().map(|x| Ok(vec![x[0] * x[0] * x[1]])).collect()
    };
    let l = sensitivity::local(&eval, &[1.5, 4.0], 1e-4).unwrap();
    assert!((l.normalised[0][0] - 2.0).abs() < 1e-6 && (l.normalised[1][0] - 1.0).abs() < 1e-6);

    // On the model: the coefficient of the bundled analysis equals an independent one-sided
    // finite difference with a smaller step.
    let s = config::load_sensitivity(&root().join("params/analyses/sensitivity_menopause.toml"))
        .unwrap();
    let base = s.header.scenario.spec.clone();
    let run = |x: &[f64]| -> Vec<f64> {
        let spec = analysis::apply(&base, &s.variables, x);
        analysis::simulate_one(&spec, &s.header.endpoints, false)
            .endpoints
            .unwrap()
    };
    let eval = |pts: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
        pts.iter().map(|x| Ok(run(x))).collect()
    };
    let l = sensitivity::local(&eval, &s.nominal, 1e-3).unwrap();
    let y0 = run(&s.nominal);
    for i in [0, 2] {
        let mut x = s.nominal.clone();
        let h = 1e-5;
        x[i] *= 1.0 + h;
        let y = run(&x);
        for j in 0..y0.len() {
            let fd = (y[j] - y0[j]) / h / y0[j];
            let got = l.normalised[i][j];
            assert!(
                (got - fd).abs() <= 1e-3 * fd.abs().max(1e-3),
                "{} / {}: central {got} vs forward {fd}",
                s.variables[i].name,
                s.header.endpoints[j].name
            );
        }
    }
}

fn small_sweep(design: &str) -> sweep::Sweep {
    let copy = crate::util::params_copy("analyses");
    let text = format!(
        "name = \"t\"\nscenario = \"../scenarios/rheumatoid_arthritis.toml\"\nendpoints = \"../endpoints/bone_mass.toml\"\ndesign = \"{design}\"\nsamples = 12\nseed = 5\n\n[[parameter]]\nname = \"innate.g_disease\"\nmin = 0.5\nmax = 2.0\n\n[[parameter]]\nname = \"input.disease_activity\"\nmin = 0.2\nmax = 1.5\nscale = \"log\"\n"
    );
    let path = copy.folder.join("sweep.toml");
    std::fs::write(&path, text).unwrap();
    config::load_sweep(&path).unwrap().1
}

#[test]
fn sweeps_are_identical_with_one_and_two_threads_and_with_the_same_seed() {
    for design in ["lhs", "random", "sobol"] {
        let s = small_sweep(design);
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| sweep::run(&s, &|| {}));
        let two = pool(2).install(|| sweep::run(&s, &|| {}));
        let again = pool(2).install(|| sweep::run(&s, &|| {}));
        assert_eq!(one, two, "{design}: 1 vs 2 threads");
        assert_eq!(two, again, "{design}: same seed twice");
        assert_eq!(one.points.len(), 12);
        // The input variable really reached the model: more disease activity, more hip loss.
        let hip: Vec<(f64, f64)> = one
            .points
            .iter()
            .zip(&one.outcomes)
            .map(|(x, o)| (x[0] * x[1], o.endpoints.as_ref().unwrap()[3]))
            .collect();
        let (lo, hi) = (
            hip.iter().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap(),
            hip.iter().max_by(|a, b| a.0.total_cmp(&b.0)).unwrap(),
        );
        assert!(hi.1 < lo.1, "{design}: {hip:?}");
        let mut other = s.clone();
        other.seed = 6;
        assert_ne!(
            sweep::run(&other, &|| {}).points,
            one.points,
            "{design}: another seed, other points"
        );
    }
}

#[test]
fn a_failed_run_is_reported_in_its_row_and_the_sweep_goes_on() {
    let mut s = small_sweep("lhs");
    s.base.solver.max_steps = 20; // too few for 5 years: every run fails at a time it names
    s.samples = 3;
    let r = sweep::run(&s, &|| {});
    assert_eq!(r.outcomes.len(), 3);
    for o in &r.outcomes {
        let e = o.endpoints.as_ref().unwrap_err();
        assert!(e.contains("step limit") && e.contains("at t = "), "{e}");
    }
}

#[test]
fn a_population_of_one_without_variability_equals_the_plain_scenario() {
    let study =
        config::load_population(&root().join("params/analyses/population_menopause.toml")).unwrap();
    let mut pop = study.population.clone();
    pop.patients = 1;
    for v in &mut pop.variables {
        v.1 = 0.0;
    }
    let r = population::run(&pop, &|_, _| {}).unwrap();
    assert_eq!(r.patients.len(), 1);
    let plain = immunoporosis::engine::simulate(&study.header.scenario.spec).unwrap();
    let endpoints = analysis::simulate_one(&study.header.scenario.spec, &pop.endpoints, false)
        .endpoints
        .unwrap();
    for (j, e) in pop.endpoints.iter().enumerate() {
        assert_eq!(r.patients[0].2[j], endpoints[j], "{}", e.name);
    }
    assert_eq!(r.patients[0].1, pop.nominal);
    let ls = &r.bands[0];
    let col = plain.trajectory.column(&ls.column).unwrap();
    for p in [&ls.p05, &ls.p25, &ls.p50, &ls.p75, &ls.p95] {
        assert_eq!(p, col);
    }
}

#[test]
fn population_variability_spreads_the_bands_and_the_acceptance_window_rejects() {
    let study =
        config::load_population(&root().join("params/analyses/population_menopause.toml")).unwrap();
    let mut pop = study.population.clone();
    pop.patients = 40;
    let r = population::run(&pop, &|_, _| {}).unwrap();
    assert_eq!(r.patients.len(), 40);
    let band = &r.bands[0];
    let last = band.t.len() - 1;
    let at = [
        band.p05[last],
        band.p25[last],
        band.p50[last],
        band.p75[last],
        band.p95[last],
    ];
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    // A window that excludes the nominal baseline RANKL rejects every candidate whose RANKL does
    // not vary (only BMD-related parameters vary here), so no patient is accepted.
    let mut strict = pop.clone();
    if let Some(a) = &mut strict.acceptance {
        a.min = 10.0;
        a.max = 20.0;
    }
    strict.max_candidates = 50;
    let e = population::run(&strict, &|_, _| {}).unwrap_err();
    assert!(
        e.contains("no patient accepted out of 50 candidates (50 rejected"),
        "{e}"
    );
}

fn bad(
    file: &str,
    edit: impl Fn(&str) -> String,
    load: impl Fn(&std::path::Path) -> Result<(), immunoporosis::error::ConfigError>,
) -> String {
    crate::util::error_of_edited("analyses", file, edit, load)
}

#[test]
fn bad_analysis_files_get_clear_errors_with_file_key_and_line() {
    let sweep = |p: &std::path::Path| config::load_sweep(p).map(|_| ());
    let sens = |p: &std::path::Path| config::load_sensitivity(p).map(|_| ());
    let pop = |p: &std::path::Path| config::load_population(p).map(|_| ());
    let e = bad(
        "sweep_lemaire_opg_rankl.toml",
        |s| s.replace("points = 25", "points = 25\nstep = 1"),
        sweep,
    );
    assert!(
        e.contains(".toml:") && e.contains("unknown field `step`"),
        "{e}"
    );
    let e = bad(
        "sweep_lemaire_opg_rankl.toml",
        |s| s.replace("input.I_L", "input.I_X"),
        sweep,
    );
    assert!(
        e.contains(":16: key `parameter[1].name`: model `lemaire2004` has no input `I_X`")
            && e.contains("did you mean `I_"),
        "{e}"
    );
    let e = bad(
        "sweep_lemaire_opg_rankl.toml",
        |s| s.replace("design = \"grid\"", "design = \"gird\""),
        sweep,
    );
    assert!(
        e.contains(":7: key `design`: unknown design `gird`") && e.contains("did you mean `grid`?"),
        "{e}"
    );
    let e = bad(
        "sweep_lemaire_opg_rankl.toml",
        |s| s.replace("max = 1.0e4", "max = -1.0"),
        sweep,
    );
    assert!(e.contains("need finite 0 <= min < max"), "{e}");
    let e = bad(
        "sweep_lemaire_opg_rankl.toml",
        |s| s.replace("../endpoints/lemaire2004.toml", "../endpoints/nope.toml"),
        sweep,
    );
    assert!(
        e.contains(":6: key `endpoints`: file") && e.contains("does not exist"),
        "{e}"
    );
    let e = bad(
        "sensitivity_menopause.toml",
        |s| s.replace("name = \"rankl.phi_lymph\"", "name = \"rankl.phi_lymf\""),
        sens,
    );
    assert!(
        e.contains("has no parameter `rankl.phi_lymf`")
            && e.contains("did you mean `rankl.phi_lymph`?"),
        "{e}"
    );
    let e = bad(
        "sensitivity_menopause.toml",
        |s| s.replace("levels = 4", "levels = 3"),
        sens,
    );
    assert!(e.contains("even number of levels"), "{e}");
    let e = bad(
        "sensitivity_menopause.toml",
        |s| s.replace("\"local\", \"morris\"", "\"local\", \"moris\""),
        sens,
    );
    assert!(
        e.contains("unknown method `moris`") && e.contains("did you mean `morris`?"),
        "{e}"
    );
    let e = bad(
        "population_menopause.toml",
        |s| s.replace("cv = 0.2\n", "cv = -0.2\n"),
        pop,
    );
    assert!(e.contains("cv must be a number >= 0"), "{e}");
    let e = bad(
        "population_menopause.toml",
        |s| s.replace("endpoint = \"ls_bmd_10y\"", "endpoint = \"ls_10y\""),
        pop,
    );
    assert!(
        e.contains("key `responder.endpoint`: no endpoint `ls_10y`"),
        "{e}"
    );
    let e = bad(
        "population_menopause.toml",
        |s| s.replace("patients = 200", "patients = \"many\""),
        pop,
    );
    assert!(e.contains(":7") && e.contains("invalid type"), "{e}");
}

#[test]
fn endpoints_are_read_from_the_solution_not_the_output_grid() {
    // Lemaire 2004 under a PTH window (20 < t <= 80 day): endpoints with the bundled daily
    // grid, against the trajectory sampled every 0.01 day.
    let mut spec = crate::util::load("lemaire2004_pth").spec;
    let e = |s| analysis::Endpoint {
        name: "e".into(),
        column: "B_pM".into(),
        statistic: s,
        description: String::new(),
    };
    use analysis::Statistic::*;
    let endpoints = [
        e(At(50.0)),
        e(At(50.005)),
        e(Min(10.0, 100.0)),
        e(Max(10.0, 100.0)),
        e(Mean(10.0, 100.0)),
        e(Auc(10.0, 100.0)),
        e(Mean(30.0, 30.0)),
    ];
    let got = analysis::simulate_one(&spec, &endpoints, false)
        .endpoints
        .unwrap();
    spec.protocol.output_interval = 0.005;
    let fine = immunoporosis::engine::simulate(&spec).unwrap().trajectory;
    let t = fine.column("t_day").unwrap();
    let b = fine.column("B_pM").unwrap();
    let row = |day: f64| b[(day / 0.005).round() as usize];
    // A value at a day is the dense solution there, on or off the bundled grid.
    assert_eq!(got[0], row(50.0));
    assert_eq!(got[1], row(50.005));
    let inside: Vec<(f64, f64)> = t
        .iter()
        .zip(b)
        .filter(|(x, _)| **x >= 10.0 && **x <= 100.0)
        .map(|(x, v)| (*x, *v))
        .collect();
    let min = inside.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max = inside.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let area: f64 = inside
        .windows(2)
        .map(|w| 0.5 * (w[0].1 + w[1].1) * (w[1].0 - w[0].0))
        .sum();
    // The extremes lie between the fine grid's and the fine grid's within its resolution; the
    // trapezoid rule on the fine grid is within 1e-6 of the exact area.
    assert!(
        got[2] <= min && (min - got[2]) <= 1e-6 * min.abs(),
        "{} {min}",
        got[2]
    );
    assert!(
        got[3] >= max && (got[3] - max) <= 1e-6 * max.abs(),
        "{} {max}",
        got[3]
    );
    crate::util::assert_rel(got[5], area, 1e-6, "AUC");
    crate::util::assert_rel(got[4], area / 90.0, 1e-6, "mean");
    // A window of no length reads the value at its day.
    assert_eq!(got[6], row(30.0));
    // A value after the run is an error naming the endpoint.
    let late = analysis::simulate_one(&spec, &[e(At(1e4))], false).endpoints;
    assert!(
        late.unwrap_err()
            .contains("endpoint `e`: day 10000 is outside the run")
    );
}

#[test]
fn input_variables_use_the_neutral_value_and_refuse_time_courses() {
    let copy = crate::util::params_copy("analyses");
    let write = |name: &str, text: &str| {
        let p = copy.folder.join(format!("{name}.toml"));
        std::fs::write(&p, text).unwrap();
        p
    };
    let p = write(
        "pop",
        "name = \"t\"\nscenario = \"../scenarios/rheumatoid_arthritis.toml\"\nendpoints = \"../endpoints/bone_mass.toml\"\npatients = 1\n[[parameter]]\nname = \"input.ocp_supply\"\ncv = 0.0\n",
    );
    let study = config::load_population(&p);
    assert_eq!(
        study.unwrap().population.nominal,
        [1.0],
        "a factor without a window is at its neutral value 1"
    );
    let p = write(
        "pop2",
        "name = \"t\"\nscenario = \"../scenarios/menopause_natural.toml\"\nendpoints = \"../endpoints/bone_mass.toml\"\npatients = 1\n[[parameter]]\nname = \"input.estrogen\"\ncv = 0.1\n",
    );
    let e = config::load_population(&p).unwrap_err().to_string();
    assert!(e.contains("time course"), "{e}");
}

#[test]
fn chunked_runs_hold_at_most_one_chunk_at_once_and_keep_the_input_order() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let chunk = 16;
    let taken = AtomicUsize::new(0);
    let mut sunk = 0;
    let mut most_in_flight = 0;
    let mut seen = Vec::new();
    let inputs = (0..1000usize).inspect(|_| {
        taken.fetch_add(1, Ordering::SeqCst);
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        analysis::run_chunks(inputs, chunk, &|i: &usize| i * i, |i, o| {
            // Inputs taken from the iterator but not yet handed back: the runs held at once.
            most_in_flight = most_in_flight.max(taken.load(Ordering::SeqCst) - sunk);
            sunk += 1;
            seen.push((i, o));
            Ok::<(), ()>(())
        })
    })
    .unwrap();
    assert!(
        most_in_flight <= chunk,
        "{most_in_flight} runs held at once, chunk {chunk}"
    );
    assert_eq!(seen, (0..1000).map(|i| (i, i * i)).collect::<Vec<_>>());
    // The first error of the sink stops the stream: no further chunk is taken.
    let taken = AtomicUsize::new(0);
    let r = analysis::run_chunks(
        (0..1000usize).inspect(|_| {
            taken.fetch_add(1, Ordering::SeqCst);
        }),
        chunk,
        &|i: &usize| *i,
        |i, _| if i == 20 { Err(i) } else { Ok(()) },
    );
    assert_eq!(r, Err(20));
    assert_eq!(taken.load(Ordering::SeqCst), 2 * chunk);
}

/// Runs the binary with `args` in `dir` under an address-space limit of `kib` KiB (`ulimit -v`)
/// and asserts it succeeds: a process that needs more aborts on a failed allocation.
fn under_address_limit(dir: &std::path::Path, kib: u64, args: &str) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {kib} && exec '{}' {args}",
            env!("CARGO_BIN_EXE_immunoporosis")
        ))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args}: {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_sweep_of_100000_runs_fits_in_half_a_gigabyte_of_address_space() {
    // Memory does not grow with the number of runs: 100,000 short Lemaire runs under an address
    // space limit of 512 MB (before streaming, every run's specification was built up front:
    // about 14 kB per run, 1.4 GB for this sweep, and the process aborted under the limit).
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("s.toml"),
        "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\noutput_interval_days = 10.0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("ep.toml"),
        "[[endpoint]]\nname = \"C_end\"\ncolumn = \"C_pM\"\nat_day = 10.0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("big.toml"),
        "name = \"big\"\nscenario = \"s.toml\"\nendpoints = \"ep.toml\"\ndesign = \"lhs\"\nsamples = 100000\n[[parameter]]\nname = \"input.I_O\"\nmin = 0.0\nmax = 1.0\n[[parameter]]\nname = \"input.I_L\"\nmin = 0.0\nmax = 1.0\n",
    )
    .unwrap();
    under_address_limit(d, 512_000, "sweep big.toml --out out --threads 2");
    let table = std::fs::read_to_string(d.join("out/sweep.csv")).unwrap();
    assert_eq!(table.lines().count(), 100_001);
    assert!(table.lines().skip(1).all(|l| l.ends_with(",ok,")));
}

fn percentile_of(sorted: &[f64], q: f64) -> (f64, f64, f64) {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    (
        sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo]),
        sorted[lo],
        sorted[hi],
    )
}

#[test]
fn population_bands_are_exact_within_the_budget_and_within_the_sketch_accuracy_beyond_it() {
    let study =
        config::load_population(&root().join("params/analyses/population_menopause.toml")).unwrap();
    let mut pop = study.population.clone();
    pop.patients = 150;
    let exact = population::run(&pop, &|_, _| {}).unwrap();
    // Budget 0: every (column, time) goes through the quantile sketch.
    let sketched = population::run_with_budget(&pop, 0, &|_, _| {}).unwrap();
    assert_eq!(exact.patients, sketched.patients);
    // Independent percentiles: every accepted patient simulated again, its columns sorted.
    let vars: Vec<_> = pop.variables.iter().map(|(v, _)| v.clone()).collect();
    let trajectories: Vec<_> = exact
        .patients
        .iter()
        .map(|(_, x, _)| {
            immunoporosis::engine::simulate(&analysis::apply(&pop.base, &vars, x))
                .unwrap()
                .trajectory
        })
        .collect();
    let mut sketch_differs = false;
    for (e, s) in exact.bands.iter().zip(&sketched.bands) {
        assert_eq!(
            e.relative_accuracy, None,
            "{}: exact within budget",
            e.column
        );
        let a = s.relative_accuracy.expect("sketch beyond the budget");
        assert!(
            a <= population::SKETCH_ACCURACY * (1.0 + 1e-9),
            "{}: {a}",
            s.column
        );
        assert_eq!(e.t, s.t);
        for k in 0..e.t.len() {
            let mut at: Vec<f64> = trajectories
                .iter()
                .map(|t| t.column(&e.column).unwrap()[k])
                .collect();
            at.sort_by(f64::total_cmp);
            for (q, ev, sv) in [
                (0.05, e.p05[k], s.p05[k]),
                (0.25, e.p25[k], s.p25[k]),
                (0.5, e.p50[k], s.p50[k]),
                (0.75, e.p75[k], s.p75[k]),
                (0.95, e.p95[k], s.p95[k]),
            ] {
                let (want, lo, hi) = percentile_of(&at, q);
                assert_eq!(ev, want, "{} exact p{q} at {}", e.column, e.t[k]);
                let bound = a * lo.abs().max(hi.abs()) * (1.0 + 1e-9);
                assert!(
                    (sv - want).abs() <= bound,
                    "{} sketch p{q} at {}: {sv} vs {want} (bound {bound})",
                    e.column,
                    e.t[k]
                );
                sketch_differs |= sv != want;
            }
        }
    }
    assert!(sketch_differs, "the sketch path was not taken");
}

#[test]
fn the_quantile_sketch_merges_bins_to_bound_memory_and_keeps_its_stated_accuracy() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    // Values of both signs over 24 decades, zeros and a few duplicates: more bins than allowed at
    // 0.1 %, so bins are merged.
    let mut values: Vec<f64> = (0..20_000)
        .map(|i| {
            let m = 10f64.powf(rng.random_range(-12.0..12.0));
            match i % 10 {
                0 => 0.0,
                1..=3 => -m,
                _ => m,
            }
        })
        .collect();
    values.extend([1.5; 50]);
    let mut sketch = population::QuantileSketch::new();
    let mut reversed = population::QuantileSketch::new();
    for v in &values {
        sketch.add(*v);
    }
    for v in values.iter().rev() {
        reversed.add(*v);
    }
    assert_eq!(sketch, reversed, "the sketch does not depend on the order");
    assert!(sketch.bins() <= population::SKETCH_MAX_BINS);
    let a = sketch.relative_accuracy();
    assert!(
        a > population::SKETCH_ACCURACY,
        "bins were merged: accuracy {a}"
    );
    assert!(a < 0.05, "{a}");
    values.sort_by(f64::total_cmp);
    for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0] {
        let (want, lo, hi) = percentile_of(&values, q);
        let got = sketch.quantile(q);
        assert!(
            (got - want).abs() <= a * lo.abs().max(hi.abs()) * (1.0 + 1e-9),
            "q = {q}: {got} vs {want}"
        );
    }
    for r in [0, 1, 1999, 2000, 2001, 10_000, 20_049] {
        let got = sketch.value_at_rank(r as u64);
        let want = values[r];
        assert!(
            (got - want).abs() <= a * want.abs() * (1.0 + 1e-9),
            "rank {r}: {got} vs {want}"
        );
    }
}

#[test]
fn a_sweep_whose_runs_all_fail_writes_its_failure_table_and_warns_instead_of_plotting() {
    for design in ["one", "grid"] {
        let mut s = small_sweep("lhs");
        s.base.solver.max_steps = 20;
        if design == "one" {
            s.variables.truncate(1);
            s.ranges.truncate(1);
            s.samples = 3;
        } else {
            s.design = immunoporosis::analysis::sampling::Design::Grid;
            s.points = vec![2, 2];
        }
        let (h, _) =
            config::load_sweep(&root().join("params/analyses/sweep_menopause_turnover.toml"))
                .unwrap();
        let r = sweep::run(&s, &|| {});
        let tmp = tempfile::tempdir().unwrap();
        let w = immunoporosis::output::analysis::write_sweep(tmp.path(), &h, &s, &r).unwrap();
        assert_eq!(w.files, ["sweep.csv"], "{design}");
        assert_eq!(
            w.warnings.len(),
            s.endpoints.len(),
            "{design}: {:?}",
            w.warnings
        );
        assert!(w.warnings[0].contains("not drawn"), "{:?}", w.warnings);
        let table = std::fs::read_to_string(tmp.path().join("sweep.csv")).unwrap();
        assert_eq!(table.lines().count(), 1 + r.outcomes.len());
        assert!(
            table
                .lines()
                .skip(1)
                .all(|l| l.contains(",failed,") && l.contains("step limit")),
            "{table}"
        );
    }
}

#[test]
fn a_sweep_too_large_to_plot_keeps_no_plot_data_and_says_so() {
    // Found in review: a 10000 x 10000 grid allocated its whole heat map (endpoints x cells) up
    // front, and a one-parameter sweep kept a point per run for its line plot, so memory grew
    // with the runs. Beyond PLOT_RUNS_MAX runs no plot data is kept; the table has every run.
    use immunoporosis::output::analysis::{PLOT_RUNS_MAX, SweepWriter};
    let (h, base) =
        config::load_sweep(&root().join("params/analyses/sweep_menopause_turnover.toml")).unwrap();
    for (design, points, samples) in [
        ("grid", vec![1001, 1000], 0),
        ("one", vec![], PLOT_RUNS_MAX + 1),
    ] {
        let mut s = base.clone();
        if design == "grid" {
            s = small_sweep("lhs");
            s.design = immunoporosis::analysis::sampling::Design::Grid;
            s.points = points;
        } else {
            s.design = immunoporosis::analysis::sampling::Design::Random;
            s.samples = samples;
        }
        assert!(s.runs() > PLOT_RUNS_MAX, "{design}");
        let tmp = tempfile::tempdir().unwrap();
        let w = SweepWriter::create(tmp.path(), &h, &s).unwrap();
        let written = w.finish().unwrap();
        assert_eq!(written.files, ["sweep.csv"], "{design}");
        assert_eq!(
            written.warnings.len(),
            1,
            "{design}: {:?}",
            written.warnings
        );
        assert!(
            written.warnings[0].contains("more than a plot shows"),
            "{design}: {:?}",
            written.warnings
        );
    }
}

#[test]
fn a_population_with_a_long_output_grid_fits_in_a_gigabyte_of_address_space() {
    // Found in review: a chunk of 1,024 candidates kept every candidate's band values, and the
    // bands of 4,000 patients over 10,000 output times took 1.4 GB (the binary before issue 9
    // aborts under this limit). The chunk now shrinks to CHUNK_BAND_BYTES of band values.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let files = [
        (
            "s.toml",
            "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 1000.0\noutput_interval_days = 0.1\n",
        ),
        (
            "ep.toml",
            "[[endpoint]]\nname = \"C_end\"\ncolumn = \"C_pM\"\nat_day = 1000.0\n",
        ),
        (
            "pop.toml",
            "name = \"p\"\nscenario = \"s.toml\"\nendpoints = \"ep.toml\"\npatients = 4000\nbands = [\"R_pM\"]\n[[parameter]]\nname = \"osteoblast.d_B\"\ncv = 0.2\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(d.join(name), text).unwrap();
    }
    under_address_limit(d, 1_000_000, "population pop.toml --out out --threads 2");
    let summary = std::fs::read_to_string(d.join("out/summary.json")).unwrap();
    assert!(summary.contains("\"sketch\""), "{summary}");
    let patients = std::fs::read_to_string(d.join("out/patients.csv")).unwrap();
    assert_eq!(patients.lines().count(), 4001);
}

#[test]
fn a_point_run_without_copying_the_specification_equals_the_run_of_the_applied_copy() {
    // One parameter and one input variable: the model is built from the shared parameter set
    // with the value replaced, the protocol copied with the input set.
    let s = small_sweep("lhs");
    assert_eq!(s.variables.len(), 2);
    for x in s.point_iter().take(3) {
        let copied = analysis::simulate_one(
            &analysis::apply(&s.base, &s.variables, &x),
            &s.endpoints,
            true,
        );
        let shared = analysis::simulate_point(&s.base, &s.variables, &x, &s.endpoints, true);
        assert!(copied.endpoints.is_ok(), "{:?}", copied.endpoints);
        assert_eq!(shared, copied, "point {x:?}");
    }
    // The varied values do act: the first point differs from the nominal run.
    let x: Vec<f64> = s.point_iter().next().unwrap();
    let nominal = analysis::simulate_one(&s.base, &s.endpoints, false);
    let varied = analysis::simulate_point(&s.base, &s.variables, &x, &s.endpoints, false);
    assert_ne!(nominal.endpoints, varied.endpoints);
}

#[test]
fn a_trough_needs_a_dose_in_its_window_and_the_error_names_the_endpoint_line() {
    let dir = tempfile::tempdir().unwrap();
    let endpoints = dir.path().join("ep.toml");
    std::fs::write(
        &endpoints,
        "[[endpoint]]\nname = \"tr\"\ncolumn = \"OCa_pM\"\nstat = \"trough\"\nfrom_day = 10.0\nto_day = 100.0\n",
    )
    .unwrap();
    let sweep = |scenario: &str| {
        let path = dir.path().join("sweep.toml");
        let text = format!(
            "name = \"s\"\nscenario = \"{}\"\nendpoints = \"ep.toml\"\ndesign = \"grid\"\n\n[[parameter]]\nname = \"mechanics.g_mech\"\nmin = 1.0\nmax = 2.0\npoints = 2\n",
            root().join("params/scenarios").join(scenario).display()
        );
        std::fs::write(&path, text).unwrap();
        config::load_sweep(&path)
    };
    let e = sweep("menopause_natural.toml").unwrap_err().to_string();
    assert!(
        e.contains("ep.toml:2") && e.contains("no dose in (10, 100] day"),
        "{e}"
    );
    // Denosumab every six months from day 0: no dose in (10, 100] either; from (0, 200] there is.
    let e = sweep("denosumab_freedom.toml").unwrap_err().to_string();
    assert!(e.contains("no dose in (10, 100] day"), "{e}");
    std::fs::write(
        &endpoints,
        "[[endpoint]]\nname = \"tr\"\ncolumn = \"denosumab_central_mg\"\nstat = \"trough\"\nfrom_day = 0.0\nto_day = 200.0\n\n[[endpoint]]\nname = \"pre\"\ncolumn = \"denosumab_central_mg\"\nat_day = 182.625\n",
    )
    .unwrap();
    let (header, s) = sweep("denosumab_freedom.toml").unwrap();
    let v = analysis::simulate_one(&s.base, &header.endpoints, false)
        .endpoints
        .unwrap();
    // The trough is the central amount just before the only dose in the window, at day 182.625
    // (a value at a dose time is the pre-dose value).
    assert!(v[0] > 0.0, "{v:?}");
    assert_eq!(v[0], v[1]);
}

/// The benchmark Sobol file's ranges are half to twice the committed values, as its header says,
/// so that a refit which moves a parameter cannot leave the analysis centred on the old values
/// (docs/immune.md section 5.3 reads its indices).
#[test]
fn the_sobol20_ranges_are_half_to_twice_the_committed_values() {
    let s =
        config::load_sensitivity(&root().join("params/analyses/sensitivity_sobol20.toml")).unwrap();
    assert_eq!(s.variables.len(), 20);
    for ((v, r), x) in s.variables.iter().zip(&s.ranges).zip(&s.nominal) {
        let ok = (r.min / (0.5 * x) - 1.0).abs() < 1e-9 && (r.max / (2.0 * x) - 1.0).abs() < 1e-9;
        assert!(
            ok,
            "{}: [{}, {}] against the committed {x}",
            v.name, r.min, r.max
        );
    }
}
