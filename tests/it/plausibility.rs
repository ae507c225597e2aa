//! Plausibility (issue 9, items 6-8): physical domains of states and read-outs, plausible ranges
//! of inputs and doses, plots that cannot be drawn, `compare` of models without bone mass, and
//! the solver's messages.

use crate::util::{parse, root, scenario_path};
use immunoporosis::engine::solver::NoObserver;
use immunoporosis::engine::{self, Method, SolverSettings, solver};
use immunoporosis::error::SimError;
use immunoporosis::model::neutral_inputs;
use immunoporosis::model::{AnyModel, Domain, DoseRoute, DrugId, Model, ModelId, StateKind};
use immunoporosis::output::plot::{self, Plotted};
use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run the binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file below `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

const OBU_SUPPLY_1E9: &str = "name = \"e\"\nmodel = \"immunoporosis\"\nduration_days = 100.0\n\n[[input]]\nname = \"obu_supply\"\nvalue = 1e9\nunit = \"1\"\n";

#[test]
fn a_billionfold_osteoblast_supply_stops_the_run_naming_the_time() {
    // A billionfold supply of uncommitted osteoblasts floods formation: the run stops within
    // days, either when a state leaves its physical domain (the message names the state, its
    // column and the time) or when the solver's step underflows (it names the time). (Estrogen at
    // 1e300 no longer does: its actions saturate in the Hill modifiers of order 2, issue 11.)
    let s = parse(OBU_SUPPLY_1E9).unwrap();
    let e = engine::simulate(&s.spec).unwrap_err();
    let m = e.to_string();
    match &e {
        SimError::OutOfDomain { .. } => {
            assert!(m.contains("`BV`") && m.contains("bone_volume_pct"), "{m}");
        }
        SimError::StepSizeUnderflow { .. } => assert!(m.contains("step size"), "{m}"),
        other => panic!("expected the run to stop, got {other:?}"),
    }
    let t = e.time_reached().unwrap();
    assert!(t > 0.0 && t < 10.0, "{m}");
    assert!(m.contains("t = "), "{m}");
    // The binary: exit 1, the message on stderr, nothing written.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e.toml"), OBU_SUPPLY_1E9).unwrap();
    let before = listing(dir.path());
    let out = bin(&["run", "e.toml", "--out", "out"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("t = "), "{err}");
    assert_eq!(listing(dir.path()), before, "something was written");
}

#[test]
fn a_negative_read_out_stops_the_run() {
    // Free RANKL went negative in most rows of the estrogen = 1e300 run before any state check
    // existed; the read-outs have domains of their own, checked at every row.
    let spec = ModelId::Immunoporosis.layout(&[]);
    let rankl = spec
        .derived
        .iter()
        .find(|d| d.column == "RANKL_pM")
        .unwrap();
    assert_eq!(rankl.domain, Domain::NonNegative);
    let tol = Domain::tolerance(1e-14, 1e-8, 0.55);
    assert!(!rankl.domain.contains(-2.7e-6, tol));
    assert!(rankl.domain.contains(-1e-12, tol));
}

#[test]
fn domains_allow_the_solver_tolerance_and_nothing_more() {
    let tol = Domain::tolerance(1e-14, 1e-8, 1.0);
    assert_eq!(tol, Domain::TOLERANCE_MULTIPLE * (1e-14 + 1e-8));
    assert!(Domain::NonNegative.contains(-0.5 * tol, tol));
    assert!(!Domain::NonNegative.contains(-2.0 * tol, tol));
    let bv = Domain::Range(0.0, 400.0);
    assert!(bv.contains(400.0, 0.0) && !bv.contains(400.1, 0.0) && !bv.contains(-0.1, 0.0));
    assert!(!bv.contains(f64::NAN, 1.0));
    assert!(Domain::Any.contains(-1e300, 0.0));
}

#[test]
fn every_state_and_read_out_has_a_domain_that_holds_at_the_steady_state() {
    // Every drug's compartments and columns too (the steady state has none: they are empty).
    let drugs: Vec<DrugId> = DrugId::all().collect();
    for id in ModelId::ALL {
        let spec = id.layout(&drugs);
        let set = immunoporosis::config::bundled_params(id).unwrap();
        let ss = engine::steady_state(id, &set).unwrap();
        for (s, v) in spec.states.iter().zip(&ss.state) {
            assert!(
                s.domain.contains(*v, 0.0),
                "{}: {} = {v} outside {:?}",
                id.name(),
                s.name,
                s.domain
            );
        }
        // Cell populations and concentrations are never negative; bone volume is bounded.
        for s in &spec.states {
            if s.unit == "pM" || s.unit == "mg" {
                assert_eq!(s.domain, Domain::NonNegative, "{}", s.name);
            }
            if s.name == "BV" {
                assert!(matches!(s.domain, Domain::Range(lo, hi) if lo == 0.0 && hi.is_finite()));
            }
        }
        for d in &spec.derived {
            if d.column.ends_with("_pM") || d.column.ends_with("_ng_per_mL") {
                assert_eq!(d.domain, Domain::NonNegative, "{}", d.column);
            }
        }
    }
}

#[test]
fn every_bundled_scenario_runs_inside_the_domains_without_warnings() {
    let mut paths: Vec<_> = std::fs::read_dir(root().join("params/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() > 20);
    for p in paths {
        let s = immunoporosis::config::load_scenario(&p).unwrap();
        // Output grids too coarse for the dosed drugs are warned about (tests/it/aliasing.rs);
        // no input or dose is implausible.
        let implausible: Vec<_> = s
            .warnings
            .iter()
            .filter(|w| !w.starts_with("output_interval_days:"))
            .collect();
        assert!(implausible.is_empty(), "{}: {implausible:?}", p.display());
        if let Err(e) = engine::simulate(&s.spec) {
            panic!("{}: {e}", p.display());
        }
    }
}

#[test]
fn inputs_and_doses_have_documented_plausible_ranges() {
    let doc = std::fs::read_to_string(root().join("docs/model.md")).unwrap();
    let drugs: Vec<DrugId> = DrugId::all().collect();
    for id in ModelId::ALL {
        let spec = id.layout(&drugs);
        for (i, input) in spec.inputs.iter().enumerate() {
            let (lo, hi) = input.range;
            assert!(lo <= hi, "{}: {}", id.name(), input.name);
            let neutral = input.kind.neutral();
            assert!(
                (lo..=hi).contains(&neutral),
                "{}: the neutral value of {} is implausible",
                id.name(),
                input.name
            );
            assert!(
                doc.contains(&format!("`{}`", input.name)),
                "docs/model.md does not list input {} ({i})",
                input.name
            );
        }
        for r in &spec.dose_routes {
            assert!(r.labelled_mg > 0.0, "{} {}", r.drug, r.route);
            assert!(
                doc.contains(&format!("| {} | {} |", r.drug, r.route)),
                "docs/model.md does not list the labelled dose of {} {}",
                r.drug,
                r.route
            );
        }
    }
}

#[test]
fn an_implausible_input_or_dose_gives_a_warning_naming_the_range() {
    let s = parse(&OBU_SUPPLY_1E9.replace("obu_supply", "estrogen")).unwrap();
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("input[0]") && s.warnings[0].contains("estrogen"));
    assert!(
        s.warnings[0].contains("plausible range 0 to 10"),
        "{}",
        s.warnings[0]
    );

    let dose = |amount: &str| {
        parse(&format!(
            "name = \"d\"\nmodel = \"immunoporosis\"\nduration_days = 30.0\n\n[[treatment]]\ndrug = \"denosumab\"\ndose = {amount}\nunit = \"mg\"\nroute = \"SC\"\n"
        ))
        .unwrap()
        .warnings
    };
    let w = dose("1e12");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("treatment[0]") && w[0].contains("denosumab"),
        "{}",
        w[0]
    );
    assert!(w[0].contains("plausible range 0 to 12000 mg"), "{}", w[0]);
    assert!(dose("60.0").is_empty());
    assert!(dose("12000.0").is_empty());
    assert_eq!(dose("12001.0").len(), 1);

    // A linear ramp is judged at its end within the run: aging from 50 by 100 years.
    let ramp = parse("name = \"a\"\nmodel = \"immunoporosis\"\nduration_days = 36525.0\noutput_interval_days = 365.25\n\n[[input]]\nname = \"aging_years\"\nvalue = 0.0\nunit = \"year\"\nprofile = \"linear\"\nrate_per_day = 0.0027378507871321013\n").unwrap();
    assert_eq!(ramp.warnings.len(), 1, "{:?}", ramp.warnings);
    assert!(
        ramp.warnings[0].contains("0 to 60 year"),
        "{}",
        ramp.warnings[0]
    );
}

#[test]
fn run_and_check_print_the_warnings_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let big = "name = \"d\"\nmodel = \"immunoporosis\"\nduration_days = 30.0\noutput_interval_days = 5.0\n\n[[treatment]]\ndrug = \"adalimumab\"\ndose = 1e12\nunit = \"mg\"\nroute = \"SC\"\n";
    std::fs::write(dir.path().join("d.toml"), big).unwrap();
    for args in [
        vec!["check", "d.toml"],
        vec!["run", "d.toml", "--out", "out"],
    ] {
        let out = bin(&args, dir.path());
        let err = text(&out.stderr);
        assert!(
            err.contains("warning: treatment[0]") && err.contains("plausible range 0 to 16000 mg"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn max_steps_message_reports_the_limit_set() {
    let s = parse(
        "name = \"m\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n\n[solver]\nmax_steps = 1\n",
    )
    .unwrap();
    let e = engine::simulate(&s.spec).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, SimError::MaxSteps { limit: 1, .. }), "{m}");
    assert!(m.contains("max_steps = 1 "), "{m}");
    assert!(!m.contains("2 steps"), "{m}");
}

/// A Lemaire model made stiff: osteoclasts removed 10,000 times a day.
fn stiff_lemaire() -> AnyModel {
    let s = parse("name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 100.0\n\n[parameters]\n\"osteoclast.D_A\" = 1e4\n").unwrap();
    ModelId::Lemaire2004.build(&s.spec.params, &[])
}

#[test]
fn stiffness_advice_depends_on_the_method_in_force() {
    let model = stiff_lemaire();
    let u = neutral_inputs(model.layout().inputs);
    let rhs = |t: f64, y: &[f64], dy: &mut [f64]| model.rhs(t, y, &u, dy);
    let kinds = [StateKind::Dynamic; 3];
    let y0 = [1e-3; 3];
    let settings = |method| SolverSettings {
        method,
        max_step_days: Some(10.0),
        ..SolverSettings::default()
    };
    let advice = "use `[solver] method = \"auto\"`";
    // Dopri5 chosen: the advice is to switch.
    let dopri = settings(Method::Dopri5);
    let e = solver::integrate(&rhs, &kinds, 0.0, 100.0, &y0, &dopri, &mut NoObserver).unwrap_err();
    assert!(matches!(e, SimError::Stiff { .. }), "{e}");
    assert!(e.to_string().contains(advice), "{e}");
    // Under auto the same report must not advise auto, and auto integrates it with BDF.
    let auto = settings(Method::Auto);
    let e = solver::integrate(&rhs, &kinds, 0.0, 100.0, &y0, &auto, &mut NoObserver).unwrap_err();
    assert!(!e.to_string().contains(advice), "{e}");
    assert!(
        e.to_string().contains("stiff solver (BDF) takes over"),
        "{e}"
    );
    let atol = [auto.atol; 3];
    let (y, ..) =
        solver::integrate_segment(&rhs, &kinds, 0.0, 100.0, &y0, &auto, &atol, &mut NoObserver)
            .unwrap();
    assert!(y.iter().all(|v| v.is_finite() && *v >= 0.0), "{y:?}");
}

#[test]
fn compare_of_models_without_bone_mass_writes_the_shared_columns_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let a = scenario_path("lemaire2004_baseline");
    let b = scenario_path("lemaire2004_opg");
    let out = bin(
        &[
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            "cmp",
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning:") && err.contains("no bone mass"),
        "{err}"
    );
    assert!(!err.contains("tmp"), "{err}");
    let csv = std::fs::read_to_string(dir.path().join("cmp/compare.csv")).unwrap();
    assert!(csv.starts_with("scenario,t_day,R_pM,B_pM,C_pM\n"), "{csv}");
    assert!(csv.contains("lemaire2004_opg,"));
    // compare.csv, the report and the output-folder marker, nothing else: no plot file was started.
    assert_eq!(
        listing(&dir.path().join("cmp")),
        vec![".immunoporosis.json", "compare.csv", "report.html"]
    );
    assert!(text(&out.stdout).contains("(compare.csv, report.html)"));

    // Models that share nothing: refused before simulating, exit 2, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let p = scenario_path("pivonka2008_pth");
    let out = bin(
        &[
            "compare",
            a.to_str().unwrap(),
            p.to_str().unwrap(),
            "--out",
            "cmp",
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing to compare"), "{err}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn compare_plan_is_decided_from_the_models() {
    use immunoporosis::output::compare::plan;
    let bone = plan(&[
        ModelId::Bone.layout(&[]),
        ModelId::Immunoporosis.layout(&[]),
    ])
    .unwrap();
    assert_eq!(bone.plots.len(), 3);
    assert!(bone.warnings.is_empty());
    let shared = plan(&[ModelId::Bone.layout(&[]), ModelId::Pivonka2008.layout(&[])]).unwrap();
    assert!(shared.plots.is_empty());
    assert!(shared.columns.contains(&"OCa_pM".to_string()));
    assert_eq!(shared.warnings.len(), 1);
    assert!(plan(&[ModelId::Lemaire2004.layout(&[]), ModelId::Bone.layout(&[])]).is_err());
}

/// Runs `f` on another thread and fails if it takes longer than `secs` (a hang).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("the plot did not finish (a hang)")
}

fn opts() -> plot::FigureOptions {
    plot::FigureOptions::default()
}

fn heat(xs: &[f64], ys: &[f64], z: Vec<Vec<f64>>) -> plot::HeatPlot {
    plot::HeatPlot {
        title: "t".into(),
        xs: xs.to_vec(),
        ys: ys.to_vec(),
        z,
        ..Default::default()
    }
}

fn lines(series: Vec<plot::Series>) -> plot::LinePlot {
    plot::LinePlot {
        title: "t".into(),
        series,
        ..Default::default()
    }
}

#[test]
fn plots_that_cannot_be_drawn_are_skipped_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let skipped = |p: Plotted| match p {
        Plotted::Skipped(why) => why,
        Plotted::Drawn => panic!("drawn"),
    };
    // A grid sweep whose runs all failed: every value NaN (the colour range was inf..inf: a hang).
    let nan = vec![vec![f64::NAN; 3]; 3];
    let d2 = d.clone();
    let why = within(60, move || {
        plot::draw_heatmap(
            &d2,
            "h",
            &heat(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], nan),
            &opts(),
        )
    })
    .unwrap();
    assert!(skipped(why).contains("no grid point has a finite value"));
    // One parameter at points = 1.
    let why = plot::draw_heatmap(
        &d,
        "h1",
        &heat(&[1.0], &[1.0, 2.0], vec![vec![1.0, 2.0]]),
        &opts(),
    );
    assert!(skipped(why.unwrap()).contains("2 x 2"));
    // Infinite values only; a degenerate grid.
    let inf = vec![vec![f64::INFINITY; 2]; 2];
    assert!(matches!(
        plot::draw_heatmap(&d, "h2", &heat(&[1.0, 2.0], &[1.0, 2.0], inf), &opts()).unwrap(),
        Plotted::Skipped(_)
    ));
    let z = vec![vec![1.0, 2.0]; 2];
    assert!(matches!(
        plot::draw_heatmap(&d, "h3", &heat(&[1.0, 1.0], &[1.0, 2.0], z), &opts()).unwrap(),
        Plotted::Skipped(_)
    ));
    // Lines: no finite point, no series, an infinite axis range.
    let nan_line = vec![("a".to_string(), vec![(0.0, f64::NAN), (1.0, f64::NAN)])];
    assert!(matches!(
        plot::draw_lines(&d, "l1", &lines(nan_line.clone()), &opts()).unwrap(),
        Plotted::Skipped(_)
    ));
    assert!(matches!(
        plot::draw_lines(&d, "l2", &lines(Vec::new()), &opts()).unwrap(),
        Plotted::Skipped(_)
    ));
    let huge = vec![("a".to_string(), vec![(0.0, -1e308), (1.0, 1e308)])];
    assert!(matches!(
        plot::draw_lines(&d, "l3", &lines(huge.clone()), &opts()).unwrap(),
        Plotted::Skipped(_)
    ));
    // Bars: none.
    assert!(matches!(
        plot::draw_bars(
            &d,
            "b",
            &plot::BarPlot {
                title: "t".into(),
                subtitle: String::new(),
                x_label: "x".into(),
                bars: Vec::new(),
                kind: plot::BarKind::Signed,
                names: None,
            },
            &opts(),
        )
        .unwrap(),
        Plotted::Skipped(_)
    ));
    assert!(listing(&d).is_empty(), "{:?}", listing(&d));
    // A drawable figure with a few non-finite points is drawn from the finite ones.
    let some = vec![(
        "a".to_string(),
        vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)],
    )];
    assert_eq!(
        plot::draw_lines(&d, "ok", &lines(some.clone()), &opts()).unwrap(),
        Plotted::Drawn
    );
    assert_eq!(listing(&d), vec!["ok.png", "ok.svg"]);
}

#[test]
fn a_plot_write_error_is_plain_text_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A full disk: the PNG goes to /dev/full.
    std::os::unix::fs::symlink("/dev/full", dir.path().join("full.png")).unwrap();
    let line = vec![("a".to_string(), vec![(0.0, 1.0), (1.0, 2.0)])];
    let e = plot::draw_lines(dir.path(), "full", &lines(line.clone()), &opts()).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("full.png"), "{m}");
    assert!(m.contains("No space left on device"), "{m}");
    for debug in ["IOError(", "IoError(", "Os {", "kind:"] {
        assert!(!m.contains(debug), "debug text in {m}");
    }
}

#[test]
fn dose_routes_know_their_labelled_dose() {
    let denosumab = DrugId::from_name("denosumab").unwrap();
    let routes = ModelId::Immunoporosis.layout(&[denosumab]).dose_routes;
    let den = routes
        .iter()
        .find(|r| r.drug == "denosumab" && r.route == "SC")
        .unwrap();
    assert_eq!(den.labelled_mg * DoseRoute::PLAUSIBLE_MULTIPLE, 12000.0);
}

#[test]
fn a_run_that_keeps_no_trajectory_fails_where_a_run_that_keeps_one_does() {
    // An osteoblast supply far outside its plausible range drives the model out of its domain
    // early; an analysis run (probes only, no rows kept) must stop at the same output row as `run`.
    let s = parse(
        "name = \"s\"\nmodel = \"immunoporosis\"\nduration_days = 100.0\noutput_interval_days = 1.0\n\n[[input]]\nname = \"obu_supply\"\nvalue = 1e9\nunit = \"1\"\n",
    )
    .unwrap();
    let full = engine::simulate(&s.spec).unwrap_err();
    let probes = [engine::Probe {
        column: "OCa_pM".into(),
        statistic: engine::Statistic::At(50.0),
    }];
    let observation = engine::Observation {
        trajectory: false,
        probes: &probes,
    };
    let bare = engine::simulate_observed(&s.spec, &observation).unwrap_err();
    assert!(full.time_reached().unwrap() < 100.0, "{full}");
    assert_eq!(full, bare);
}
