//! Properties every run must have.

use crate::util::{load, root, run, run_text};
use immunoporosis::config;
use immunoporosis::engine;
use immunoporosis::model::{ModelId, StateKind};

#[test]
fn healthy_stays_at_steady_state_for_50_years() {
    let r = run("healthy");
    let traj = &r.trajectory;
    assert!((traj.data[0].last().unwrap() - 50.0 * 365.25).abs() < 1e-9);
    for (c, name) in traj.columns.iter().enumerate().skip(1) {
        let col = &traj.data[c];
        let start = col[0];
        for (k, v) in col.iter().enumerate() {
            let drift = if start.abs() > 1e-12 {
                (v - start).abs() / start.abs()
            } else {
                // Columns that start at 0 % change: drift in percentage points, relative to 100 %.
                (v - start).abs() / 100.0
            };
            assert!(
                drift < 1e-6,
                "{name} drifted by {drift:e} at t = {} day",
                traj.data[0][k]
            );
        }
    }
}

#[test]
fn every_population_stays_non_negative_in_every_bundled_scenario() {
    let dir = root().join("params/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let s = config::load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
        let r = engine::simulate(&s.spec).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let spec = s.spec.layout();
        for st in spec
            .states
            .iter()
            .filter(|st| st.kind == StateKind::Dynamic)
        {
            let col = r.trajectory.column(st.column).unwrap();
            let min = col.iter().copied().fold(f64::INFINITY, f64::min);
            assert!(min > 0.0, "{}: {} reaches {min:e}", s.name, st.name);
        }
        for c in ["RANKL_pM", "OPG_pM", "PTH_pM", "TGFb_pM"] {
            if let Some(col) = r.trajectory.column(c) {
                assert!(col.iter().all(|v| *v >= 0.0), "{}: {c} negative", s.name);
            }
        }
        n += 1;
    }
    assert!(n >= 6, "only {n} bundled scenarios found");
}

const CORE_HEADER: &str = r#"
name = "t"
model = "bone"
duration_days = 730.0
output_interval_days = 5.0
"#;

#[test]
fn neutral_attachment_points_leave_the_steady_state_unchanged() {
    let mut text = CORE_HEADER.to_string();
    for m in [
        "rankl_production",
        "opg_production",
        "ocp_supply",
        "oc_differentiation",
        "oc_apoptosis",
        "ob_differentiation",
        "ob_apoptosis",
    ] {
        text.push_str(&format!("[[input]]\nname = \"{m}\"\nvalue = 1.0\nunit = \"1\"\nstart_day = 100.0\nend_day = 400.0\n"));
    }
    for s in ["P_RANKL_d", "P_OPG_d", "P_PTH_d", "P_TGFb_d"] {
        text.push_str(&format!(
            "[[input]]\nname = \"{s}\"\nvalue = 0.0\nunit = \"pM/day\"\nstart_day = 50.0\n"
        ));
    }
    let with = run_text(&text);
    let without = run_text(CORE_HEADER);
    for (c, name) in with.trajectory.columns.iter().enumerate() {
        // Percent columns are compared in percentage points of the 100 % baseline.
        let scale = |b: f64| {
            if name.ends_with("_pct") {
                100.0
            } else {
                b.abs()
            }
        };
        for (a, b) in with.trajectory.data[c]
            .iter()
            .zip(&without.trajectory.data[c])
        {
            assert!((a - b).abs() <= 1e-12 * scale(*b), "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn every_attachment_point_moves_the_core_model_in_its_known_direction() {
    // (input, value, expected sign of the lumbar-spine BMD change after 2 years)
    let cases = [
        ("rankl_production", 2.0, -1.0),
        ("opg_production", 2.0, 1.0),
        ("ocp_supply", 2.0, -1.0),
        ("oc_differentiation", 2.0, -1.0),
        ("oc_apoptosis", 2.0, 1.0),
        ("ob_differentiation", 2.0, 1.0),
        ("ob_apoptosis", 2.0, -1.0),
    ];
    for (name, value, sign) in cases {
        let text =
            format!("{CORE_HEADER}[[input]]\nname = \"{name}\"\nvalue = {value}\nunit = \"1\"\n");
        let r = run_text(&text);
        let bmd = *r
            .trajectory
            .column("bmd_lumbar_spine_change_pct")
            .unwrap()
            .last()
            .unwrap();
        assert!(
            bmd * sign > 0.01,
            "{name} x{value}: lumbar spine BMD change {bmd:.4} %"
        );
    }
    let text =
        format!("{CORE_HEADER}[[input]]\nname = \"P_RANKL_d\"\nvalue = 200.0\nunit = \"pM/day\"\n");
    let r = run_text(&text);
    let ctx = r.trajectory.column("ctx_change_pct").unwrap();
    assert!(
        *ctx.last().unwrap() > 5.0,
        "CTX should rise with RANKL: {}",
        ctx.last().unwrap()
    );
}

#[test]
fn blocked_osteoclast_differentiation_builds_up_precursors() {
    let text = format!(
        "{CORE_HEADER}[[input]]\nname = \"oc_differentiation\"\nvalue = 0.1\nunit = \"1\"\nstart_day = 100.0\nend_day = 500.0\n"
    );
    let r = run_text(&text);
    let t = r.trajectory.column("t_day").unwrap();
    let ocp = r.trajectory.column("OCp_pM").unwrap();
    let oca = r.trajectory.column("OCa_pM").unwrap();
    let at = |day: f64| t.iter().position(|x| (*x - day).abs() < 1e-9).unwrap();
    assert!(
        ocp[at(500.0)] > 1.5 * ocp[0],
        "precursors {} -> {}",
        ocp[0],
        ocp[at(500.0)]
    );
    assert!(oca[at(500.0)] < 0.5 * oca[0]);
    // After the block ends, the accumulated precursors drive osteoclasts above baseline (rebound).
    let peak = oca[at(500.0)..].iter().copied().fold(0.0, f64::max);
    assert!(
        peak > oca[0],
        "no osteoclast overshoot after release: peak {peak:e} vs baseline {:e}",
        oca[0]
    );
}

#[test]
fn inputs_switch_exactly_at_window_edges() {
    // An input on for 20 < t <= 80 cannot affect any output at t <= 20 and must affect t = 20.1.
    let r = run("lemaire2004_pth");
    let t = r.trajectory.column("t_day").unwrap();
    let c = r.trajectory.column("C_pM").unwrap();
    let k20 = t.iter().position(|x| *x == 20.0).unwrap();
    let quiet = run_text(
        &std::fs::read_to_string(crate::util::scenario_path("lemaire2004_pth"))
            .unwrap()
            .replace("value = 1000.0", "value = 0.0"),
    );
    let c0 = quiet.trajectory.column("C_pM").unwrap();
    for k in 0..=k20 {
        assert_eq!(c[k], c0[k], "t = {}", t[k]);
    }
    assert!(c[k20 + 1] > c0[k20 + 1] * 1.01);
}

#[test]
fn output_times_are_exact_and_windows_off_the_grid_still_restart_the_solver() {
    let text = r#"
name = "t"
model = "lemaire2004"
duration_days = 10.0
output_interval_days = 0.1
[[input]]
name = "I_P"
value = 1000.0
unit = "pM/day"
start_day = 3.33
end_day = 7.77
"#;
    let r = run_text(text);
    let t = r.trajectory.column("t_day").unwrap();
    assert_eq!(t.len(), 101);
    assert_eq!(t[3], 0.3);
    assert_eq!(t[100], 10.0);
    assert_eq!(r.segments.len(), 3);
    assert_eq!((r.segments[1].start, r.segments[1].end), (3.33, 7.77));
    // The same run with a coarse grid gives the same state at shared output times.
    let coarse =
        run_text(&text.replace("output_interval_days = 0.1", "output_interval_days = 2.5"));
    let tc = coarse.trajectory.column("t_day").unwrap();
    assert_eq!(tc, [0.0, 2.5, 5.0, 7.5, 10.0]);
    let fine = r.trajectory.column("C_pM").unwrap();
    let c = coarse.trajectory.column("C_pM").unwrap();
    assert!((c[4] - fine[100]).abs() < 1e-7 * fine[100]);
}

#[test]
fn explicit_initial_state_is_used_and_steady_state_is_still_reported() {
    let s = load("lemaire2004_opg");
    let r = engine::simulate(&s.spec).unwrap();
    assert_eq!(r.initial_state, vec![7.734e-4, 7.282e-4, 9.127e-4]);
    assert_eq!(r.trajectory.column("B_pM").unwrap()[0], 7.282e-4);
    assert!((r.steady_state.state[1] - 7.2834e-4).abs() < 1e-8);
}

#[test]
fn every_model_reads_only_declared_parameters() {
    for id in ModelId::ALL {
        let set = config::bundled_params(id).unwrap();
        // from_params panics on an undeclared name; steady_state calls it.
        engine::steady_state(id, &set).unwrap();
        assert_eq!(
            set.params.len(),
            id.layout(&[]).params.len(),
            "{}",
            id.name()
        );
    }
}

#[test]
fn stiff_and_non_stiff_solvers_agree() {
    // Lemaire 2004 with BDF against the independent SBML solution.
    let text = std::fs::read_to_string(crate::util::scenario_path("lemaire2004_pth"))
        .unwrap()
        .replace("rtol = 1e-10", "method = \"bdf\"\nrtol = 1e-10");
    let bdf = run_text(&text);
    let (_, reference) = crate::util::read_csv(&root().join("tests/data/lemaire2004_pth.csv"));
    for (k, want) in reference.iter().enumerate() {
        for (c, name) in ["R_pM", "B_pM", "C_pM"].iter().enumerate() {
            let got = bdf.trajectory.column(name).unwrap()[k];
            assert!(
                (got - want[c + 1]).abs() <= 1e-6 * want[c + 1].abs(),
                "{name} at row {k}: {got} vs {}",
                want[c + 1]
            );
        }
    }
    assert!(bdf.segments.iter().all(|s| s.solver.starts_with("bdf")));
    // Ten years of the full model after a natural menopause: BDF against Dopri5.
    let base = std::fs::read_to_string(crate::util::scenario_path("menopause_natural")).unwrap();
    let dopri = run_text(&format!("{base}\n[solver]\nmethod = \"dopri5\"\n"));
    let bdf = run_text(&format!("{base}\n[solver]\nmethod = \"bdf\"\n"));
    for c in [
        "bmd_lumbar_spine_change_pct",
        "ctx_change_pct",
        "OCa_pM",
        "Th17_rel",
    ] {
        let (a, b) = (
            dopri.trajectory.column(c).unwrap(),
            bdf.trajectory.column(c).unwrap(),
        );
        let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-5 * scale, "{c}: dopri5 {x} vs bdf {y}");
        }
    }
}
