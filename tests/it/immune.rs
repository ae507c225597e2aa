//! The immune module: neutral at baseline, couplings with their documented signs, calibration.

use crate::util::{root, run, run_text};
use immunoporosis::calibration;
use immunoporosis::config::{self, bundled_params, load_calibration};
use immunoporosis::engine;
use immunoporosis::model::ModelId;
use immunoporosis::model::bone::Attachments;
use immunoporosis::model::immune::{self, Cells, Drives, Factors, Handle, ImmuneParams};

const NEUTRAL_DRIVES: Drives = Drives {
    estrogen: 1.0,
    disease_activity: 0.0,
    glucocorticoid: 0.0,
    aging_years: 0.0,
    factors: Factors::NEUTRAL,
    ctla4: 0.0,
};

const BASELINE_CELLS: Cells = Cells {
    th1: 1.0,
    th2: 1.0,
    th17: 1.0,
    treg: 1.0,
    cd8treg: 1.0,
    b: 1.0,
    m: 1.0,
};

fn with_factor(h: Handle, value: f64) -> Drives {
    let mut d = NEUTRAL_DRIVES;
    d.factors[h] = value;
    d
}

fn params() -> ImmuneParams {
    ImmuneParams::from_params(&bundled_params(ModelId::Immunoporosis).unwrap())
}

#[test]
fn every_modifier_equals_one_at_baseline() {
    let im = immune::evaluate(&params(), &BASELINE_CELLS, &NEUTRAL_DRIVES, 1.0, 1.0);
    let neutral = Attachments::NEUTRAL.to_array();
    for ((name, f), n) in Attachments::NAMES
        .iter()
        .zip(im.core.to_array())
        .zip(neutral)
    {
        assert!((f - n).abs() < 1e-15, "{name} = {f}, neutral {n}");
    }
    assert!(im.lymph_rankl.abs() < 1e-15);
    for (name, v) in [
        ("TNF", im.tnf),
        ("IL1", im.il1),
        ("IL2", im.il2),
        ("IL3", im.il3),
        ("IL4", im.il4),
        ("IL6", im.il6),
        ("IL7", im.il7),
        ("IL10", im.il10),
        ("IL12", im.il12),
        ("IL17", im.il17),
        ("IFNg", im.ifng),
        ("OSM", im.osm),
        ("sIL6R", im.sil6r),
        ("TGFb", im.tgfb),
        ("STAT3", im.stat3),
        ("STAT5", im.stat5),
        ("DKK1", im.dkk1),
        ("sclerostin", im.sclerostin),
        ("Wnt10b", im.wnt10b),
        ("wnt", im.wnt),
    ] {
        assert!((v - 1.0).abs() < 1e-15, "{name} = {v}");
    }
    let d = im.d_cells;
    for v in [d.th1, d.th2, d.th17, d.treg, d.b, d.m] {
        assert!(v.abs() < 1e-15);
    }
}

#[test]
fn the_module_keeps_the_core_steady_state() {
    let core =
        engine::steady_state(ModelId::Bone, &bundled_params(ModelId::Bone).unwrap()).unwrap();
    let full = engine::steady_state(
        ModelId::Immunoporosis,
        &bundled_params(ModelId::Immunoporosis).unwrap(),
    )
    .unwrap();
    let n_core = core.state.len();
    for i in 0..n_core {
        let (a, b) = (full.state[i], core.state[i]);
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "state {i}: {a} vs {b}"
        );
    }
    assert!(
        full.state[n_core..n_core + 7]
            .iter()
            .all(|v| (v - 1.0).abs() < 1e-12),
        "{:?}",
        &full.state[n_core..]
    );
    // The PTH survival programme sits at its basal signal; the drug compartments are empty.
    assert!(full.state[n_core + 7] > 0.0 && full.state[n_core + 7] < 0.01);
    assert!(
        full.state[n_core + 8..].iter().all(|v| *v == 0.0),
        "drug compartments are empty"
    );
    assert!(full.stable, "{:?}", full.eigenvalues);
    assert_eq!(full.jacobian_states.len(), n_core - 3 + 8);
}

#[test]
fn immunoporosis_shares_the_core_parameter_values() {
    let core = bundled_params(ModelId::Bone).unwrap();
    let full = bundled_params(ModelId::Immunoporosis).unwrap();
    for (name, p) in &core.params {
        let q = &full.params[name];
        assert_eq!(
            (q.value, &q.unit),
            (p.value, &p.unit),
            "{name} differs between bone.toml and immunoporosis.toml"
        );
    }
}

#[test]
fn direct_coupling_signs() {
    let p = params();
    let tnf_up = with_factor(Handle::Tnf, 3.0);
    let im = immune::evaluate(&p, &BASELINE_CELLS, &tnf_up, 1.0, 1.0);
    // [rankl_production, opg_production, ocp_supply, oc_differentiation, oc_apoptosis,
    //  ob_differentiation, ob_apoptosis, obu_supply, resorption LS, resorption TH]
    assert!(
        im.core.rankl_production > 1.0
            && im.core.ocp_supply > 1.0
            && im.core.oc_differentiation > 1.0,
        "TNF raises RANKL and osteoclastogenesis"
    );
    assert!(im.core.opg_production < 1.0, "TNF lowers OPG");
    assert!(
        im.core.ob_differentiation < 1.0 && im.core.obu_supply < 1.0,
        "TNF lowers osteoblast differentiation and (via DKK1) commitment"
    );
    assert!(
        im.core.ob_apoptosis > 1.0,
        "TNF raises osteoblast apoptosis"
    );
    assert!(im.dkk1 > 1.0);

    let low_e = Drives {
        estrogen: 0.2,
        ..NEUTRAL_DRIVES
    };
    let im = immune::evaluate(&p, &BASELINE_CELLS, &low_e, 1.0, 1.0);
    assert!(
        im.lymph_rankl > 0.0,
        "estrogen loss raises lymphocyte RANKL"
    );
    assert!(
        im.core.oc_apoptosis < 1.0,
        "estrogen loss lowers osteoclast apoptosis"
    );
    assert!(im.core.opg_production < 1.0, "estrogen loss lowers OPG");
    assert!(im.sclerostin > 1.0 && im.il6 > 1.0 && im.il7 > 1.0 && im.tnf > 1.0);

    let cells = Cells {
        treg: 2.0,
        ..BASELINE_CELLS
    };
    let im = immune::evaluate(&p, &cells, &NEUTRAL_DRIVES, 1.0, 1.0);
    assert!(
        im.core.oc_differentiation < 1.0,
        "Treg lower osteoclast differentiation"
    );
    assert!(
        im.wnt10b > 1.0 && im.core.obu_supply > 1.0,
        "Treg -> TGF-beta -> Wnt10b raises osteoblast commitment"
    );

    let jak = with_factor(Handle::Jak, 0.3);
    let im = immune::evaluate(&p, &BASELINE_CELLS, &jak, 1.0, 1.0);
    assert!(
        im.stat3 < 1.0 && im.stat5 < 1.0 && im.core.rankl_production < 1.0,
        "JAK inhibition lowers STAT3/5 and RANKL"
    );
}

const ONE_YEAR: &str = r#"
name = "t"
model = "immunoporosis"
duration_days = 365.25
output_interval_days = 7.609375
"#;

fn last(r: &engine::RunResult, column: &str) -> f64 {
    *r.trajectory.column(column).unwrap().last().unwrap()
}

fn with_input(name: &str, value: f64, unit: &str) -> engine::RunResult {
    run_text(&format!(
        "{ONE_YEAR}[[input]]\nname = \"{name}\"\nvalue = {value}\nunit = \"{unit}\"\n"
    ))
}

#[test]
fn raising_tnf_raises_rankl_and_osteoclasts_and_lowers_formation_per_osteoclast() {
    let base = run_text(ONE_YEAR);
    let r = with_input("TNF_factor", 2.0, "1");
    assert!(last(&r, "TNF_rel") > 1.5);
    assert!(last(&r, "RANKL_pM") > last(&base, "RANKL_pM"));
    assert!(last(&r, "OCa_pM") > last(&base, "OCa_pM"));
    // Formation does not keep up with resorption at first: the balance turns negative and bone
    // is lost (within the year the mechanostat brings formation level with resorption again).
    let quarter = |c: &str| {
        let t = r.trajectory.column("t_day").unwrap();
        let k = t.iter().position(|t| *t >= 91.3).unwrap();
        r.trajectory.column(c).unwrap()[k]
    };
    assert!(quarter("p1np_change_pct") < quarter("ctx_change_pct") - 5.0);
    assert!(last(&r, "bv_lumbar_spine_change_pct") < -0.5);
    assert!(last(&r, "bmd_lumbar_spine_change_pct") < -0.1);
}

#[test]
fn raising_treg_lowers_osteoclasts_and_gains_bone() {
    let base = run_text(ONE_YEAR);
    let r = with_input("Treg_factor", 2.0, "1");
    assert!(last(&r, "Treg_rel") > 1.3);
    assert!(last(&r, "Th17_Treg_ratio_rel") < 1.0);
    assert!(last(&r, "OCa_pM") < last(&base, "OCa_pM"));
    assert!(last(&r, "bmd_lumbar_spine_change_pct") > 0.0);
}

#[test]
fn lowering_estrogen_lowers_bmd_and_raises_turnover() {
    let r = with_input("estrogen", 0.5, "1");
    assert!(last(&r, "bmd_lumbar_spine_change_pct") < -0.5);
    assert!(last(&r, "bmd_total_hip_change_pct") < -0.2);
    assert!(last(&r, "ctx_change_pct") > 5.0);
    assert!(last(&r, "sclerostin_rel") > 1.0);
}

#[test]
fn inflammation_raises_th17_and_cytokines() {
    let r = with_input("disease_activity", 1.0, "1");
    for c in [
        "TNF_rel",
        "IL1_rel",
        "IL6_rel",
        "STAT3_rel",
        "Th17_rel",
        "macrophage_rel",
    ] {
        assert!(last(&r, c) > 1.05, "{c} = {}", last(&r, c));
    }
}

#[test]
fn surgical_menopause_loses_bone_faster_than_natural_at_first() {
    let at = |r: &engine::RunResult, day: f64, c: &str| {
        let t = r.trajectory.column("t_day").unwrap();
        let k = t.iter().position(|x| (*x - day).abs() < 1e-9).unwrap();
        r.trajectory.column(c).unwrap()[k]
    };
    let natural = run("menopause_natural");
    let surgical = run("menopause_surgical");
    let (n1, s1) = (
        at(&natural, 365.25, "bmd_lumbar_spine_change_pct"),
        at(&surgical, 365.25, "bmd_lumbar_spine_change_pct"),
    );
    assert!(
        s1 < n1 - 1.0,
        "year 1: surgical {s1:.2} % vs natural {n1:.2} %"
    );
    assert!(at(&surgical, 3652.5, "bmd_lumbar_spine_change_pct") < 0.0);
}

#[test]
fn glucocorticoids_raise_resorption_transiently_and_suppress_formation() {
    let r = run("glucocorticoid");
    let ctx = r.trajectory.column("ctx_change_pct").unwrap();
    let p1np = r.trajectory.column("p1np_change_pct").unwrap();
    let peak = ctx.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let t = r.trajectory.column("t_day").unwrap();
    let t_peak = t[ctx.iter().position(|v| *v == peak).unwrap()];
    assert!(
        peak > 10.0 && t_peak < 90.0,
        "CTX peaks early: {peak:.1} % on day {t_peak}"
    );
    assert!(
        *ctx.last().unwrap() < 0.5 * peak,
        "the resorption rise is transient"
    );
    assert!(
        p1np[1..].iter().all(|v| *v < 0.0),
        "formation stays below baseline"
    );
    // Year 1: 6 to 12 % of trabecular bone ([M] classical figures, docs/immune.md 5.2), scaled to
    // a lumbar spine that is about half trabecular.
    let year1 = r.trajectory.column("bmd_lumbar_spine_change_pct").unwrap()
        [t.iter().position(|d| *d >= 365.25).unwrap()];
    assert!(
        (-6.0..=-3.0).contains(&year1),
        "spine at 1 year {year1:.2} %"
    );
    assert!(last(&r, "bmd_lumbar_spine_change_pct") < year1);
}

/// The clinical targets the committed fit misses, with the reason (docs/immune.md section 4.5).
/// The test fails when one of them comes within its tolerance (then remove it here and in the
/// docs) and when any other leaves it: the list is the fit's record, not an exemption.
const KNOWN_CLINICAL_MISSES: [(&str, &str); 4] = [
    (
        "FREEDOM denosumab: CTX just before the second dose (6 months)",
        "resorption recovers too far by the end of the dosing interval (-47 % against -55 %)",
    ),
    (
        "Alendronate 70 mg/week: CTX at 1 year",
        "alendronate suppresses resorption 3.5 points more than the band allows",
    ),
    (
        "alendronate: degree of mineralisation over placebo, 2 years",
        "one mean mineral content per site at the spine's mixed turnover; the primary fraction at its bound",
    ),
    (
        "alendronate: degree of mineralisation over placebo, 3 years",
        "as at 2 years: +6.2 % against +11.4 %",
    ),
];

#[test]
fn calibration_targets_are_met_by_the_committed_parameters_except_the_documented_misses() {
    let cal = load_calibration(&root().join("params/calibration/immunoporosis.toml")).unwrap();
    let values: Vec<f64> = cal
        .parameters
        .iter()
        .map(|p| cal.params.params[&p.name].value)
        .collect();
    let got = calibration::evaluate(&cal, &values).unwrap();
    // The clinical targets (the interventions, with their own bands, are in `interventions.rs`).
    let mut missed = Vec::new();
    for (t, g) in cal
        .targets
        .iter()
        .zip(&got)
        .filter(|(t, _)| t.prevented.is_none() && t.weight == 1.0)
    {
        let inside = (g - t.value).abs() <= t.tolerance;
        let known = KNOWN_CLINICAL_MISSES.iter().any(|(n, _)| *n == t.name);
        assert!(
            inside != known,
            "{}: got {g:.4}, wanted {} +/- {} ({})",
            t.name,
            t.value,
            t.tolerance,
            if known {
                "now met: remove it from KNOWN_CLINICAL_MISSES and docs/immune.md 4.5"
            } else {
                "not met"
            }
        );
        if known {
            missed.push(t.name.as_str());
        }
    }
    assert_eq!(missed.len(), KNOWN_CLINICAL_MISSES.len(), "{missed:?}");
}

#[test]
fn the_committed_values_are_a_converged_fit() {
    // Rerunning the whole calibration from its initial values takes minutes (each evaluation
    // simulates every scenario and intervention arm); `immunoporosis calibrate
    // params/calibration/immunoporosis.toml` does it. Here Levenberg-Marquardt restarts from the
    // committed values for two iterations (two Jacobians): a converged fit cannot be improved by
    // more than 1 %.
    let mut cal = load_calibration(&root().join("params/calibration/immunoporosis.toml")).unwrap();
    let committed: Vec<f64> = cal
        .parameters
        .iter()
        .map(|p| cal.params.params[&p.name].value)
        .collect();
    let committed_cost = calibration::cost(&cal, &committed).unwrap();
    for (p, v) in cal.parameters.iter_mut().zip(&committed) {
        let margin = 1e-3 * (p.upper - p.lower);
        p.initial = v.clamp(p.lower + margin, p.upper - margin);
    }
    cal.max_iterations = 2;
    let fit = calibration::calibrate(&cal, &|_, _| {}).unwrap();
    assert!(
        fit.cost >= committed_cost * (1.0 - 0.01) - 1e-9,
        "the restarted fit improved the cost from {committed_cost} to {}: the committed values are not converged",
        fit.cost
    );
}

fn bad_calibration(edit: impl Fn(&str) -> String) -> String {
    crate::util::error_of_edited(
        "calibration",
        "immunoporosis.toml",
        edit,
        config::load_calibration,
    )
}

#[test]
fn bad_calibration_files_get_clear_errors() {
    let e =
        bad_calibration(|s| s.replace("name = \"innate.g_disease\"", "name = \"innate.g_diseas\""));
    assert!(
        e.contains("has no parameter `innate.g_diseas`")
            && e.contains("did you mean `innate.g_disease`?"),
        "{e}"
    );
    let e = bad_calibration(|s| {
        // The initial value of `innate.g_disease` (bounds [0, 10]) set outside its bounds.
        let at = s.find("name = \"innate.g_disease\"").unwrap();
        let start = at + s[at..].find("initial = ").unwrap();
        let end = start + s[start..].find('\n').unwrap();
        format!("{}initial = 11.0{}", &s[..start], &s[end..])
    });
    assert!(
        e.contains("initial value 11 must lie strictly inside [0, 10]"),
        "{e}"
    );
    let e = bad_calibration(|s| s.replace("upper = 80.0", "upper = -1.0"));
    assert!(e.contains("0 <= lower < upper"), "{e}");
    let e = bad_calibration(|s| s.replace("time_days = 730.5", "time_days = 730.0"));
    assert!(
        e.contains("730 day is not an output time of scenario `menopause_natural`"),
        "{e}"
    );
    let e = bad_calibration(|s| {
        s.replacen(
            "column = \"bmd_lumbar_spine_change_pct\"",
            "column = \"bmd_spine_change_pct\"",
            1,
        )
    });
    assert!(e.contains("no output column `bmd_spine_change_pct`"), "{e}");
    let e = bad_calibration(|s| {
        s.replacen(
            "../scenarios/menopause_natural.toml",
            "../scenarios/rankl_excess.toml",
            1,
        )
    });
    assert!(
        e.contains("uses model `bone`, but this calibration fits model `immunoporosis`"),
        "{e}"
    );
    let e = bad_calibration(|s| {
        s.replacen(
            "../scenarios/menopause_natural.toml",
            "../scenarios/nope.toml",
            1,
        )
    });
    assert!(e.contains("does not exist"), "{e}");
    let e = bad_calibration(|s| s.replace("tolerance = 0.4", "tolerance = 0.0"));
    assert!(e.contains("tolerance must be a positive number"), "{e}");
    let e = bad_calibration(|s| {
        s.replacen(
            "minus_scenario = \"../scenarios/placebo_pmo.toml\"",
            "minus_scenario = \"../scenarios/placebo.toml\"",
            1,
        )
    });
    assert!(
        e.contains("minus_scenario") && e.contains("does not exist"),
        "{e}"
    );
    let e = bad_calibration(|s| {
        s.replacen(
            "minus_scenario = \"../scenarios/placebo_pmo.toml\"",
            "minus_scenario = \"../scenarios/denosumab_freedom.toml\"",
            1,
        )
    });
    assert!(e.contains("the comparator is the scenario itself"), "{e}");
    let e = bad_calibration(|s| {
        s.replacen(
            "minus_scenario = \"../scenarios/placebo_pmo.toml\"",
            "minus_scenario = \"../scenarios/menopause_natural.toml\"",
            1,
        )
    });
    assert!(e.contains("different run-in"), "{e}");
    let e = bad_calibration(|s| s.replace("max_iterations = 60", "max_iteration = 60"));
    assert!(e.contains("unknown field `max_iteration`"), "{e}");
    let src =
        std::fs::read_to_string(root().join("params/calibration/immunoporosis.toml")).unwrap();
    let line = 1 + src
        .lines()
        .position(|l| l.starts_with("max_iterations"))
        .unwrap();
    assert!(
        e.contains(&format!(".toml:{line}:")),
        "line number {line}: {e}"
    );
}

#[test]
fn a_fitted_drug_parameter_is_written_into_its_drug_file() {
    let cal = load_calibration(&root().join("params/calibration/immunoporosis.toml")).unwrap();
    let fit = calibration::Fit {
        parameters: vec![
            calibration::FittedParameter {
                name: "denosumab.chi".into(),
                unit: "1".into(),
                initial: 1.0,
                value: 0.123456,
                lower: 0.0,
                upper: 10.0,
            },
            calibration::FittedParameter {
                name: "innate.g_disease".into(),
                unit: "1".into(),
                initial: 1.0,
                value: 2.5,
                lower: 0.0,
                upper: 10.0,
            },
        ],
        targets: Vec::new(),
        cost: 0.0,
        iterations: 0,
        evaluations: 0,
        termination: String::new(),
    };
    let files = immunoporosis::output::calibration::fitted_params_files(&cal, &fit).unwrap();
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "params/models/immunoporosis.toml",
            "params/drugs/denosumab.toml"
        ]
    );
    let value_after = |text: &str, header: &str| {
        let rest = &text[text.find(header).unwrap()..];
        rest.lines()
            .find(|l| l.starts_with("value"))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        value_after(&files[1].1, "[parameters.denosumab.chi]"),
        "value = 0.123456"
    );
    assert_eq!(
        value_after(&files[0].1, "[parameters.innate.g_disease]"),
        "value = 2.5"
    );
    // Both files still load.
    immunoporosis::config::parse_params(
        ModelId::Immunoporosis,
        std::path::Path::new("params/models/immunoporosis.toml"),
        &files[0].1,
    )
    .unwrap();
}

#[test]
fn every_handle_is_neutral_at_one_and_knocking_it_out_changes_the_bone() {
    // Each handle is a scenario input `<element>_factor`: 1 leaves a 1-year healthy run exactly
    // as it is; 0 (a knock-out over the whole run) moves the core's cells.
    let base = run_text(ONE_YEAR);
    for h in &immune::HANDLES {
        let one = with_input(h.input, 1.0, "1");
        assert_eq!(
            one.trajectory.data, base.trajectory.data,
            "{} = 1 changes the run",
            h.input
        );
        let ko = with_input(h.input, 0.0, "1");
        let moved = ["OCa_pM", "OBa_pM", "bmd_lumbar_spine_change_pct"]
            .iter()
            .any(|c| (last(&ko, c) - last(&base, c)).abs() > 1e-6 * last(&base, c).abs().max(1e-3));
        assert!(moved, "knocking out {} changes nothing", h.name);
    }
}

#[test]
fn handles_are_listed_with_unit_and_meaning_and_old_input_names_point_to_them() {
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .arg("list")
        .current_dir(root())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&list.stdout);
    for h in &immune::HANDLES {
        assert!(
            listing.contains(&format!("{:<20} [1]", h.input)) && listing.contains(h.meaning),
            "`list` does not show {}",
            h.input
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.toml");
    std::fs::write(
        &file,
        format!("{ONE_YEAR}[[input]]\nname = \"treg_drive\"\nvalue = 2.0\nunit = \"1\"\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`treg_drive` is now `Treg_factor`"), "{err}");
}
