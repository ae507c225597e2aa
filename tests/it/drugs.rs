//! The drug library: every drug moves bone and turnover in its known direction against its
//! control arm, intermittent and continuous PTH have opposite signs, pharmacokinetics against the
//! labels, run-ins and re-baselined read-outs.

use crate::util::{peak, run, run_text};
use immunoporosis::config::bundled_params;
use immunoporosis::engine::RunResult;
use immunoporosis::model::ModelId;

fn column<'a>(r: &'a RunResult, c: &str) -> &'a [f64] {
    r.trajectory
        .column(c)
        .unwrap_or_else(|| panic!("no column {c}"))
}

/// Value of a column at the output time nearest to `day`.
fn at(r: &RunResult, c: &str, day: f64) -> f64 {
    let t = column(r, "t_day");
    let k = t
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - day).abs().total_cmp(&(b.1 - day).abs()))
        .map(|(k, _)| k)
        .unwrap();
    column(r, c)[k]
}

/// Mean of a column over `[from, to]` days.
fn mean(r: &RunResult, c: &str, from: f64, to: f64) -> f64 {
    let t = column(r, "t_day");
    let v: Vec<f64> = column(r, c)
        .iter()
        .zip(t)
        .filter(|(_, t)| **t >= from && **t <= to)
        .map(|(v, _)| *v)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// Treatment arm against control: BMD at both sites at least 0.1 percentage points higher at
/// `day` (whatever the turnover markers do).
fn gains_bone(label: &str, treated: &RunResult, control: &RunResult, day: f64) {
    for site in ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"] {
        let (a, b) = (at(treated, site, day), at(control, site, day));
        assert!(
            a > b + 0.1,
            "{label}: {site} at day {day}: {a:.3} vs control {b:.3}"
        );
    }
}

/// Treatment arm against control: BMD at both sites higher at `day`, and the turnover marker
/// `marker` (averaged over the first `window` days) moved in the direction `sign`.
fn check_arm(
    label: &str,
    treated: &RunResult,
    control: &RunResult,
    day: f64,
    marker: &str,
    window: (f64, f64),
    sign: f64,
) {
    for site in ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"] {
        let (a, b) = (at(treated, site, day), at(control, site, day));
        assert!(
            a > b + 0.1,
            "{label}: {site} at day {day}: {a:.3} vs control {b:.3}"
        );
    }
    let (a, b) = (
        mean(treated, marker, window.0, window.1),
        mean(control, marker, window.0, window.1),
    );
    assert!(
        sign * (a - b) > 0.1,
        "{label}: {marker} over days {window:?}: {a:.2} vs control {b:.2} (expected sign {sign})"
    );
}

#[test]
fn antiresorptives_raise_bmd_and_lower_resorption_in_postmenopausal_osteoporosis() {
    let placebo = run("placebo_pmo");
    for (stem, days) in [
        ("denosumab_freedom", 1095.75),
        ("zoledronate", 1095.75),
        ("alendronate", 1095.75),
    ] {
        let r = run(stem);
        check_arm(
            stem,
            &r,
            &placebo,
            days,
            "ctx_change_pct",
            (30.0, 365.0),
            -1.0,
        );
        // Formation follows resorption down (coupling).
        assert!(
            mean(&r, "p1np_change_pct", 90.0, 365.0) < -5.0,
            "{stem}: P1NP"
        );
    }
}

#[test]
fn anabolic_drugs_raise_bmd_and_formation_first() {
    let placebo = run("placebo_pmo");
    let teri = run("teriparatide");
    check_arm(
        "teriparatide",
        &teri,
        &placebo,
        730.5,
        "p1np_change_pct",
        (30.0, 365.0),
        1.0,
    );
    // P1NP rises before CTX (the anabolic window).
    let p1np_3m = at(&teri, "p1np_change_pct", 91.3) - at(&placebo, "p1np_change_pct", 91.3);
    let ctx_3m = at(&teri, "ctx_change_pct", 91.3) - at(&placebo, "ctx_change_pct", 91.3);
    assert!(
        p1np_3m > ctx_3m,
        "P1NP {p1np_3m:.2} vs CTX {ctx_3m:.2} at 3 months"
    );

    let romo = run("romosozumab_then_denosumab");
    check_arm(
        "romosozumab",
        &romo,
        &placebo,
        365.25,
        "p1np_change_pct",
        (14.0, 120.0),
        1.0,
    );
    assert!(
        mean(&romo, "ctx_change_pct", 30.0, 365.0) < mean(&placebo, "ctx_change_pct", 30.0, 365.0),
        "romosozumab also lowers resorption"
    );
    assert!(at(&romo, "sclerostin_rel", 30.0) < 0.6 * at(&placebo, "sclerostin_rel", 30.0));
}

#[test]
fn hormone_therapy_reduces_postmenopausal_loss() {
    let ht = run("pmo_hormone_therapy");
    let untreated = run("menopause_natural");
    check_arm(
        "estradiol",
        &ht,
        &untreated,
        1826.25,
        "ctx_change_pct",
        (90.0, 730.0),
        -1.0,
    );
    // Serum estradiol on 1 mg/day oral: about 30-50 pg/mL on average (helper table, literature).
    let e2 = mean(&ht, "estradiol_ng_per_mL", 365.0, 730.0) * 1000.0;
    assert!((25.0..=55.0).contains(&e2), "mean estradiol {e2:.1} pg/mL");
}

#[test]
fn immune_drugs_protect_bone_in_rheumatoid_arthritis() {
    let untreated = run("rheumatoid_arthritis");
    for stem in ["ra_anti_tnf", "ra_anti_il17", "ra_anti_il6r"] {
        let r = run(stem);
        check_arm(
            stem,
            &r,
            &untreated,
            365.25,
            "ctx_change_pct",
            (60.0, 365.0),
            -1.0,
        );
    }
    // JAK inhibition protects bone in arthritis (Adam 2020 Sci Transl Med 12:eaay4447): its
    // STAT3 arm lowers RANKL, it lifts IL-6's brake on osteoblasts (gp130/JAK1) and it calms the
    // cytokine cascade, and with it the hip's disuse.
    gains_bone(
        "ra_jak_inhibitor",
        &run("ra_jak_inhibitor"),
        &untreated,
        365.25,
    );
    // Low-dose IL-2 gains bone; its Treg inhibit osteoclast formation (Zaiss 2007 Arthritis
    // Rheum 56:4104) while raising Wnt10b and with it formation, so CTX falls below untreated
    // arthritis (since the cascade refit of issue 11; before it, coupled resorption followed
    // formation and CTX stayed within a point).
    // Abatacept's CTLA-4 gains spine bone; at the hip, where active disease adds resorption
    // through disuse (`coupling.g_hip_disuse`, which no immune drug reaches), within 0.1 point.
    let abatacept = run("ra_abatacept");
    let spine = "bmd_lumbar_spine_change_pct";
    assert!(at(&abatacept, spine, 365.25) > at(&untreated, spine, 365.25) + 0.1);
    let hip = "bmd_total_hip_change_pct";
    assert!(at(&abatacept, hip, 365.25) > at(&untreated, hip, 365.25));
    let il2 = run("ra_treg_expansion");
    for site in ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"] {
        assert!(
            at(&il2, site, 365.25) > at(&untreated, site, 365.25) + 0.1,
            "{site}"
        );
    }
    let ctx = |r: &RunResult| mean(r, "ctx_change_pct", 60.0, 365.0);
    assert!(
        ctx(&il2) < ctx(&untreated),
        "CTX {} on low-dose IL-2 against {} untreated",
        ctx(&il2),
        ctx(&untreated)
    );
    // Each acts on its own target.
    let target = |stem: &str, c: &str| mean(&run(stem), c, 60.0, 365.0);
    let control = |c: &str| mean(&untreated, c, 60.0, 365.0);
    assert!(target("ra_anti_tnf", "TNF_rel") < 0.5 * control("TNF_rel"));
    assert!(target("ra_anti_il17", "IL17_rel") < 0.5 * control("IL17_rel"));
    assert!(target("ra_anti_il6r", "STAT3_rel") < control("STAT3_rel"));
    assert!(target("ra_jak_inhibitor", "STAT3_rel") < control("STAT3_rel"));
    assert!(target("ra_jak_inhibitor", "STAT5_rel") < control("STAT5_rel"));
    assert!(target("ra_treg_expansion", "Treg_rel") > 1.2 * control("Treg_rel"));
    assert!(target("ra_abatacept", "Th17_rel") < control("Th17_rel"));
}

/// A rheumatoid-arthritis scenario text with one treatment.
fn ra_with(treatment: &str) -> String {
    format!(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 365.25\noutput_interval_days = 7.609375\n\n[[input]]\nname = \"disease_activity\"\nvalue = 1.0\nunit = \"1\"\n\n[[treatment]]\n{treatment}"
    )
}

#[test]
fn infliximab_and_tofacitinib_act_like_their_class() {
    let untreated = run("rheumatoid_arthritis");
    let ifx = run_text(&ra_with(
        "drug = \"infliximab\"\ndose = 210.0\nunit = \"mg\"\nroute = \"IV\"\ninterval_days = 56.0\nlast_day = 365.25",
    ));
    let tofa = run_text(&ra_with(
        "drug = \"tofacitinib\"\ndose = 5.0\nunit = \"mg\"\nroute = \"oral\"\ninterval_days = 0.5\nlast_day = 365.25",
    ));
    check_arm(
        "infliximab",
        &ifx,
        &untreated,
        365.25,
        "ctx_change_pct",
        (60.0, 365.0),
        -1.0,
    );
    // As baricitinib's `ra_jak_inhibitor`: it protects bone (Adam 2020).
    gains_bone("tofacitinib", &tofa, &untreated, 365.25);
    assert!(mean(&tofa, "STAT3_rel", 60.0, 365.0) < mean(&untreated, "STAT3_rel", 60.0, 365.0));
    assert!(mean(&ifx, "TNF_rel", 60.0, 365.0) < mean(&untreated, "TNF_rel", 60.0, 365.0));
}

/// The healthy adult with a PTH treatment added, sampled 64 times a day (daily means of PTH
/// need the injection peaks).
fn healthy_with(extra: &str) -> RunResult {
    run_text(&format!(
        "name = \"pth\"\nmodel = \"immunoporosis\"\nduration_days = 365.25\noutput_interval_days = 0.015625\n\n{extra}"
    ))
}

#[test]
fn intermittent_pth_is_anabolic_and_continuous_pth_catabolic() {
    // The same daily amount of teriparatide, as one 20 ug injection a day or spread evenly:
    // the continuous form is the steady concentration F dose / CL added to PTH as a source
    // D_PTH C (the form the core model's PTH source takes).
    let p = bundled_params(ModelId::Immunoporosis).unwrap();
    let pmol_per_day = 20e-6 / p.value("teriparatide.molar_mass") * 1e12;
    let c_mean_pm = p.value("teriparatide.F") * pmol_per_day / p.value("teriparatide.CL");
    let source = p.value("pth.D_PTH") * c_mean_pm;
    let intermittent = healthy_with(
        "[[treatment]]\ndrug = \"teriparatide\"\ndose = 20.0\nunit = \"ug\"\nroute = \"SC\"\ninterval_days = 1.0\nlast_day = 365.0",
    );
    let continuous = healthy_with(&format!(
        "[[input]]\nname = \"P_PTH_d\"\nvalue = {source}\nunit = \"pM/day\""
    ));
    // Same mean PTH exposure over the year.
    let (pi, pc) = (
        mean(&intermittent, "PTH_pM", 30.0, 365.0),
        mean(&continuous, "PTH_pM", 30.0, 365.0),
    );
    // (Sampled 64 times a day, the injection peaks of about an hour are resolved to a few %.)
    assert!((pi / pc - 1.0).abs() < 0.05, "mean PTH {pi} vs {pc}");
    for site in ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"] {
        let (i, c) = (
            at(&intermittent, site, 365.25),
            at(&continuous, site, 365.25),
        );
        assert!(i > 0.5, "intermittent PTH {site}: {i}");
        assert!(c < -0.1, "continuous PTH {site}: {c}");
    }
    // The survival programme is switched on by the peaks, hardly by the same dose spread out.
    assert!(
        mean(&intermittent, "pth_survival_rel", 30.0, 365.0)
            > 5.0 * mean(&continuous, "pth_survival_rel", 30.0, 365.0)
    );
}

#[test]
fn pharmacokinetics_match_the_labels() {
    // Teriparatide 20 ug SC: Cmax about 120-175 pg/mL at about 0.3-0.5 h, half-life about 1 h.
    let r = run_text(
        "name = \"teri\"\nmodel = \"immunoporosis\"\nduration_days = 1.0\noutput_interval_days = 0.001\n\n[[treatment]]\ndrug = \"teriparatide\"\ndose = 20.0\nunit = \"ug\"\nroute = \"SC\"",
    );
    let (tmax, cmax) = peak(&r, "teriparatide_ng_per_mL");
    assert!((0.10..=0.20).contains(&cmax), "Cmax {cmax} ng/mL");
    assert!(
        (0.1..=0.6).contains(&(tmax * 24.0)),
        "tmax {} h",
        tmax * 24.0
    );
    let half_life_h = 24.0 * 0.1 * std::f64::consts::LN_2
        / (at(&r, "teriparatide_ng_per_mL", 0.2) / at(&r, "teriparatide_ng_per_mL", 0.3)).ln();
    assert!(
        (0.8..=1.4).contains(&half_life_h),
        "half-life {half_life_h} h"
    );

    // Romosozumab 210 mg SC: Cmax about 22 ug/mL at about 5 days (label).
    let r = run_text(
        "name = \"romo\"\nmodel = \"immunoporosis\"\nduration_days = 60.0\noutput_interval_days = 0.25\n\n[[treatment]]\ndrug = \"romosozumab\"\ndose = 210.0\nunit = \"mg\"\nroute = \"SC\"",
    );
    let (tmax, cmax) = peak(&r, "romosozumab_ng_per_mL");
    assert!((18_000.0..=27_000.0).contains(&cmax), "Cmax {cmax} ng/mL");
    assert!((3.0..=7.0).contains(&tmax), "tmax {tmax} day");

    // Zoledronate 5 mg IV: about 60 % binds to bone within a day (39 % in urine, label), and
    // the bone-bound drug stays for years (released only as bone is resorbed).
    let r = run_text(
        "name = \"zol\"\nmodel = \"immunoporosis\"\nduration_days = 730.5\noutput_interval_days = 0.5\n\n[[treatment]]\ndrug = \"zoledronate\"\ndose = 5.0\nunit = \"mg\"\nroute = \"IV\"",
    );
    let bound = at(&r, "zoledronate_bone_mg", 2.0);
    assert!((2.5..=3.6).contains(&bound), "bound {bound} mg");
    let two_years = at(&r, "zoledronate_bone_mg", 730.5);
    assert!(
        two_years > 0.7 * bound && two_years < bound,
        "{two_years} mg at 2 years"
    );
}

#[test]
fn a_run_in_is_simulated_and_the_read_outs_restart_at_day_zero() {
    let long = run_text(
        "name = \"long\"\nmodel = \"immunoporosis\"\nduration_days = 1461.0\noutput_interval_days = 7.609375\n\n[[input]]\nname = \"estrogen\"\nvalue = 0.1\nunit = \"1\"\nprofile = \"hyperbolic\"\ntau_days = 91.3125",
    );
    let run_in = run_text(
        "name = \"run_in\"\nmodel = \"immunoporosis\"\nrun_in_days = 730.5\nduration_days = 730.5\noutput_interval_days = 7.609375\n\n[[input]]\nname = \"estrogen\"\nvalue = 0.1\nunit = \"1\"\nprofile = \"hyperbolic\"\ntau_days = 91.3125\nstart_day = -730.5",
    );
    // Outputs start at day 0, and the row at day 0 shows the run-in's inputs (estrogen already
    // down), not the neutral ones.
    assert_eq!(column(&run_in, "t_day")[0], 0.0);
    let e0 = column(&run_in, "estrogen_rel")[0];
    assert!(
        (e0 - at(&long, "estrogen_rel", 730.5)).abs() < 1e-12 && e0 < 0.25,
        "{e0}"
    );
    // States match the long run shifted by the run-in.
    for c in ["OBa_pM", "OCa_pM", "Th17_rel", "mineral_lumbar_spine"] {
        for day in [0.0, 365.25, 730.5] {
            let (a, b) = (at(&run_in, c, day), at(&long, c, day + 730.5));
            assert!((a - b).abs() <= 1e-6 * b.abs(), "{c} at {day}: {a} vs {b}");
        }
    }
    // Relative read-outs restart at 0 (100 for levels) and are ratios to day 0.
    assert_eq!(column(&run_in, "bone_volume_pct")[0], 100.0);
    let bv = at(&run_in, "bone_volume_pct", 365.25);
    let want = 100.0 * at(&long, "bone_volume_pct", 1095.75) / at(&long, "bone_volume_pct", 730.5);
    assert!((bv - want).abs() < 1e-6, "bone volume {bv} vs {want}");
    for c in [
        "bmd_lumbar_spine_change_pct",
        "ctx_change_pct",
        "p1np_change_pct",
    ] {
        assert_eq!(column(&run_in, c)[0], 0.0, "{c}");
        let (a, b0, b) = (
            at(&run_in, c, 365.25),
            at(&long, c, 730.5),
            at(&long, c, 1095.75),
        );
        let want = 100.0 * ((1.0 + b / 100.0) / (1.0 + b0 / 100.0) - 1.0);
        // The states agree to 1e-6 relative (above); the read-out is their ratio to day 0, so
        // the level 100 + change agrees to the same relative accuracy.
        assert!(
            (a - want).abs() < 1e-6 * (100.0 + want.abs()),
            "{c}: {a} vs {want}"
        );
    }
}

#[test]
fn stopping_denosumab_releases_the_accumulated_precursors() {
    // Follows from the mechanism (precursors pile up while differentiation is blocked); the
    // size of the rebound is not calibrated.
    let r = run("denosumab_stop");
    let stop = 913.125 + 182.625; // six months after the last dose
    let during = at(&r, "OCp_pM", 900.0);
    let before = at(&r, "OCp_pM", 0.0);
    assert!(during > 1.2 * before, "precursors {during} vs {before}");
    let ctx_after = column(&r, "ctx_change_pct")
        .iter()
        .zip(column(&r, "t_day"))
        .filter(|(_, t)| **t > stop)
        .map(|(v, _)| *v)
        .fold(f64::MIN, f64::max);
    assert!(
        ctx_after > 0.0,
        "turnover returns above the study baseline: {ctx_after}"
    );
    let ls_stop = at(&r, "bmd_lumbar_spine_change_pct", stop);
    let ls_end = at(&r, "bmd_lumbar_spine_change_pct", 1826.25);
    assert!(
        ls_end < ls_stop - 1.0,
        "bone is lost after stopping: {ls_stop} -> {ls_end}"
    );
}

#[test]
fn bdf_and_dopri5_agree_on_daily_injections_after_a_long_run_in() {
    // A run-in far from t = 0 once made diffsol's dense output assert on rounding at the stop
    // time; per-state tolerances reach BDF.
    let text = |method: &str| {
        format!(
            "name = \"t\"\nmodel = \"immunoporosis\"\nrun_in_days = 8035.5\nduration_days = 30.0\noutput_interval_days = 0.125\n\n[[input]]\nname = \"estrogen\"\nvalue = 0.1\nunit = \"1\"\nprofile = \"hyperbolic\"\ntau_days = 91.3125\nstart_day = -8035.5\n\n[[treatment]]\ndrug = \"teriparatide\"\ndose = 20.0\nunit = \"ug\"\nroute = \"SC\"\ninterval_days = 1.0\ndoses = 30\n\n[solver]\nmethod = \"{method}\"\natol_states = {{ Teri_depot = 1e-12, Teri_central = 1e-12 }}\n"
        )
    };
    let bdf = run_text(&text("bdf"));
    let dopri = run_text(&text("dopri5"));
    // The per-state tolerances reach BDF: looser ones on the teriparatide compartments take
    // fewer steps.
    let loose = run_text(&text("bdf").replace("1e-12", "1e-6"));
    assert!(
        loose.stats.accepted_steps < bdf.stats.accepted_steps,
        "{} vs {} steps",
        loose.stats.accepted_steps,
        bdf.stats.accepted_steps
    );
    for c in [
        "bmd_lumbar_spine_change_pct",
        "p1np_change_pct",
        "ctx_change_pct",
        "teriparatide_ng_per_mL",
    ] {
        let (a, b) = (column(&bdf, c), column(&dopri, c));
        let range = b.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-12);
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-4 * range, "{c}: {worst:e} of {range:e}");
    }
}

#[test]
fn unknown_state_in_atol_states_is_an_error() {
    let dosed = "[[treatment]]\ndrug = \"denosumab\"\ndose = 60.0\nunit = \"mg\"\nroute = \"SC\"\n";
    let e = crate::util::parse(&format!(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 10.0\n\n{dosed}\n[solver]\natol_states = {{ Den_centrl = 1e-9 }}\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("solver.atol_states.Den_centrl"), "{e}");
    assert!(e.contains("Den_central"), "suggests the right name: {e}");
    // A drug's compartments exist only in runs that dose it, and the message says so.
    let e = crate::util::parse(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 10.0\n\n[solver]\natol_states = { Den_central = 1e-9 }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("has no state `Den_central`"), "{e}");
    assert!(
        e.contains("compartment of denosumab, which this scenario does not dose"),
        "{e}"
    );
}

#[test]
fn freedom_bands_are_met_with_the_committed_parameters() {
    // FREEDOM (literature.md 3.3): total hip from baseline +3.2/+4.4/+5.0 % at 1/2/3 years with
    // denosumab and 0.0/-0.7/-1.4 % with placebo; lumbar spine +9.2 % over placebo at 3 years;
    // CTX about -85 % one month after a dose, partly recovering before the next.
    let (den, placebo) = (run("denosumab_freedom"), run("placebo_pmo"));
    for (year, want_den, want_placebo) in [(1.0, 3.2, 0.0), (2.0, 4.4, -0.7), (3.0, 5.0, -1.4)] {
        let day = 365.25 * year;
        let th = at(&den, "bmd_total_hip_change_pct", day);
        let th_p = at(&placebo, "bmd_total_hip_change_pct", day);
        assert!(
            (th - want_den).abs() <= 0.5,
            "denosumab hip at {year} y: {th}"
        );
        assert!(
            (th_p - want_placebo).abs() <= 0.5,
            "placebo hip at {year} y: {th_p}"
        );
    }
    let ls = at(&den, "bmd_lumbar_spine_change_pct", 1095.75)
        - at(&placebo, "bmd_lumbar_spine_change_pct", 1095.75);
    assert!((ls - 9.2).abs() <= 1.0, "spine over placebo at 3 y: {ls}");
    let ctx_1m = at(&den, "ctx_change_pct", 30.4375);
    let ctx_6m = at(&den, "ctx_change_pct", 182.625);
    assert!(
        (-90.0..=-80.0).contains(&ctx_1m),
        "CTX at 1 month: {ctx_1m}"
    );
    // CTX partly recovers before the next dose. Its band (-85 to -55 %) is one of the clinical
    // targets the committed fit misses (-47 %); `KNOWN_CLINICAL_MISSES` in immune.rs records it.
    assert!(
        ctx_6m > ctx_1m && ctx_6m < 0.0,
        "CTX partly recovers before the next dose: {ctx_6m}"
    );
}

/// The parameter `name` of the bundled immunoporosis model.
fn param(name: &str) -> f64 {
    bundled_params(ModelId::Immunoporosis)
        .expect("bundled parameters load")
        .value(name)
}

#[test]
fn each_ra_drug_lowers_disease_activity_by_its_class_response_at_the_labelled_dose() {
    // docs/research/ra_disease_activity.md 5.3: at its labelled regimen each class removes its
    // trial response from the excess disease activity, through its pharmacokinetics, its
    // target's blockade and the saturation of the response. Months 6 to 12 (the response's time
    // constant is 6 weeks).
    let cases = [
        ("ra_anti_tnf", "disease.r_TNF"),
        ("ra_anti_il6r", "disease.r_IL6"),
        ("ra_jak_inhibitor", "disease.r_JAK"),
        ("ra_anti_il17", "disease.r_IL17"),
        ("ra_abatacept", "disease.r_costimulation"),
    ];
    for (stem, response) in cases {
        let d = mean(&run(stem), "disease_activity_state", 182.625, 365.25);
        let expected = 1.0 - param(response);
        assert!(
            (d - expected).abs() < 0.03,
            "{stem}: disease activity {d:.3}, expected {expected:.3} ({response})"
        );
    }
    // Untreated, the disease activity stays that of the untreated disease; a drug that does not
    // act on an RA target (denosumab) leaves it there.
    let untreated = run("rheumatoid_arthritis");
    assert!((mean(&untreated, "disease_activity_state", 182.625, 365.25) - 1.0).abs() < 0.01);
    let denosumab = run_text(&ra_with(
        "drug = \"denosumab\"\ndose = 60.0\nunit = \"mg\"\nroute = \"SC\"\ninterval_days = 182.625\nlast_day = 365.25",
    ));
    assert!((mean(&denosumab, "disease_activity_state", 182.625, 365.25) - 1.0).abs() < 0.01);
}

#[test]
fn the_hips_disuse_loss_levels_off_at_the_load_reduction_and_treatment_gives_it_back() {
    // The disuse loss stops when the hip has lost the fraction of its daily stress stimulus that
    // active disease takes away (model::disease): 100 delta % at disease activity 1.
    let plateau = 100.0 * param("disease.load_reduction");
    let long = run_text(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 7305.0\noutput_interval_days = 30.4375\n\n[[input]]\nname = \"disease_activity\"\nvalue = 1.0\nunit = \"1\"\n",
    );
    let loss = |day: f64| at(&long, "hip_disuse_loss", day);
    let (first, last) = (loss(365.25), loss(7305.0) - loss(6939.75));
    assert!(
        first > 0.0 && last < 0.5 * first,
        "year 1 {first:.3} %, year 20 {last:.3} %"
    );
    assert!(
        loss(7305.0) < plateau,
        "{} % against {plateau} %",
        loss(7305.0)
    );
    assert!(
        loss(7305.0) > 0.5 * plateau,
        "{} % against {plateau} %",
        loss(7305.0)
    );
    // Established disease treated with abatacept: the hip regains part of its disuse loss.
    let treated = run("../validation/scenarios/ra_established_abatacept_3y");
    let regained = at(&treated, "hip_disuse_loss", 0.0) - at(&treated, "hip_disuse_loss", 1095.75);
    assert!(regained > 0.0, "regained {regained:.3} %");
}

/// `healthy` with glucocorticoid at `dose` mg/day from day 0, for 84 days.
fn glucocorticoid_run(dose: f64) -> RunResult {
    run_text(&format!(
        "name = \"gc\"\nmodel = \"immunoporosis\"\nduration_days = 84.0\noutput_interval_days = 1.75\n\n[[input]]\nname = \"glucocorticoid\"\nvalue = {dose:?}\nunit = \"mg/day\"\n"
    ))
}

#[test]
fn glucocorticoids_suppress_formation_with_the_dose_response_of_osteocalcin() {
    // docs/immune.md 2.1: on the osteoblast lineage glucocorticoids act with their own, higher
    // EC50 (Godschalk & Downs 1988: osteocalcin unchanged at 5 mg/day, 37 % of baseline at
    // 60 mg/day). With one shared EC50 of 7.5 mg/day, 5 mg/day gave 0.69 of the 60 mg/day P1NP
    // fall at 12 weeks; the separate dose response makes low doses act little on formation.
    let fall = |dose: f64| -at(&glucocorticoid_run(dose), "p1np_change_pct", 84.0);
    let (low, mid, high) = (fall(5.0), fall(20.0), fall(60.0));
    assert!(
        0.0 < low && low < mid && mid < high,
        "P1NP falls with dose: {low:.1} < {mid:.1} < {high:.1} %"
    );
    assert!(
        low < 0.35 * high,
        "5 mg/day acts little on formation: {low:.1} % against {high:.1} % at 60 mg/day"
    );
}

#[test]
fn modelling_based_formation_is_a_floor_under_p1np_that_denosumab_cannot_remove() {
    // docs/model.md 4.2: the modelling-based share phi of baseline formation keeps its rate when
    // resorption stops. Total formation is phi + (1 - phi) F, with F the remodelling-based
    // formation (formation_rel, relative to the healthy steady state); P1NP is total formation
    // relative to day 0 (the end of the scenario's run-in), so it cannot fall below
    // phi / (total formation at day 0), and it falls less than F does. The fit of stop 25 puts
    // phi at 0 (docs/immune.md 4.5), so the mechanism is checked with phi = 0.1.
    let phi = 0.1;
    let r = with_parameters("denosumab_freedom", "\"bone.phi_modeling\" = 0.1");
    let p1np = column(&r, "p1np_change_pct");
    let remodelling = column(&r, "formation_rel");
    let total = |f: f64| phi + (1.0 - phi) * f;
    let day0 = total(remodelling[0]);
    let floor = 100.0 * (phi / day0 - 1.0);
    let lowest = p1np.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        lowest > floor,
        "P1NP {lowest:.2} % below the floor {floor:.2} %"
    );
    let deepest = remodelling.iter().copied().fold(f64::INFINITY, f64::min) / remodelling[0];
    assert!(
        lowest > 100.0 * (deepest - 1.0) + 1.0,
        "P1NP falls less than remodelling-based formation: {lowest:.2} % vs {:.2} %",
        100.0 * (deepest - 1.0)
    );
    for (p, f) in p1np.iter().zip(remodelling) {
        let want = 100.0 * (total(*f) / day0 - 1.0);
        assert!(
            (p - want).abs() < 1e-6 * (1.0 + want.abs()),
            "P1NP {p} vs {want}"
        );
    }
}

#[test]
fn an_osteoblast_glucocorticoid_ec50_of_zero_leaves_the_healthy_steady_state_alone() {
    // With no dose the occupancy is 0 whatever its EC50; an EC50 of 0 once made it 0/0 and
    // stopped the steady-state search.
    let r = run_text(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = 365.25\noutput_interval_days = 30.4375\n\n[parameters]\n\"glucocorticoid.EC50_OB\" = 0.0\n",
    );
    let end = at(&r, "bmd_lumbar_spine_change_pct", 365.25);
    assert!(end.abs() < 1e-9, "healthy drift {end}");
}

/// A bundled scenario's text with `[parameters]` overrides appended.
fn with_parameters(stem: &str, overrides: &str) -> RunResult {
    let path = crate::util::root().join(format!("params/scenarios/{stem}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{stem}: {e}"));
    run_text(&format!("{text}\n[parameters]\n{overrides}\n"))
}

#[test]
fn the_mechanostat_on_rankl_lowers_rankl_when_bone_is_lost_and_is_neutral_at_baseline() {
    // docs/model.md 4.1: a share w of the mechanostat's power acts on RANKL production,
    // (BV/100)^(w g). Under extra RANKL the core loses bone; with w > 0 the lineage's own RANKL
    // falls as it does, so free RANKL ends lower than with w = 0 (the commitment share, 1 - w,
    // is then smaller, so bone volume is not the measure).
    let g = "\"mechanics.g_mech\" = 10.0";
    let none = with_parameters("rankl_excess", &format!("{g}\n\"mechanics.w_RANKL\" = 0.0"));
    let half = with_parameters("rankl_excess", &format!("{g}\n\"mechanics.w_RANKL\" = 0.5"));
    let day = 2000.0;
    assert!(at(&half, "bone_volume_pct", day) < 99.9, "bone is lost");
    assert!(
        at(&half, "RANKL_pM", day) < at(&none, "RANKL_pM", day),
        "RANKL with w = 0.5: {} pM, with w = 0: {} pM",
        at(&half, "RANKL_pM", day),
        at(&none, "RANKL_pM", day)
    );
    // Before the extra RANKL starts, bone volume is at its reference and nothing moves.
    for r in [&none, &half] {
        let drift = at(r, "bone_volume_pct", 365.0) - 100.0;
        assert!(drift.abs() < 1e-9, "drift {drift}");
    }
}

#[test]
fn the_mineral_column_is_the_mean_mineral_content_relative_to_day_0() {
    // mineral_lumbar_spine_change_pct (the degree of mineralisation biopsies measure) is the
    // spine's mean mineral content relative to day 0, the end of the run-in; under alendronate
    // it rises (slower turnover leaves the bone longer to mineralise) and BMD is bone volume
    // times mineral content.
    let r = run("alendronate");
    let m = column(&r, "mineral_lumbar_spine");
    let change = column(&r, "mineral_lumbar_spine_change_pct");
    let (bv, bmd) = (
        column(&r, "bv_lumbar_spine_change_pct"),
        column(&r, "bmd_lumbar_spine_change_pct"),
    );
    for k in 0..m.len() {
        let want = 100.0 * (m[k] / m[0] - 1.0);
        assert!((change[k] - want).abs() < 1e-6, "{} vs {want}", change[k]);
        let product = 100.0 * ((1.0 + bv[k] / 100.0) * (1.0 + change[k] / 100.0) - 1.0);
        assert!((bmd[k] - product).abs() < 1e-6, "{} vs {product}", bmd[k]);
    }
    assert!(
        change[m.len() - 1] > 2.0,
        "mineral +{:.2} %",
        change[m.len() - 1]
    );
}
