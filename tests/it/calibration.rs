//! Calibration: what the optimiser does with a failed simulation and with an unreadable target
//! (typed errors), and the fitted values written back into a parameter file.

use crate::util::root;
use immunoporosis::calibration::{self, BAND_WALL, CalibrationError, EvaluateError};
use immunoporosis::config::{Calibration, load_calibration};
use immunoporosis::error::SimError;

/// A one-parameter Lemaire calibration (a 100-day scenario) in a temporary folder.
fn small_calibration(dir: &std::path::Path) -> Calibration {
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 100.0\noutput_interval_days = 10.0\n[parameters]\n\"osteoblast.D_R\" = 1.0e-3\n",
    )
    .unwrap();
    let cal = dir.join("c.toml");
    std::fs::write(
        &cal,
        "name = \"c\"\nmodel = \"lemaire2004\"\nmax_iterations = 5\n\n[[parameter]]\nname = \"osteoblast.k_B\"\ninitial = 0.2\nlower = 0.1\nupper = 0.3\n\n[[target]]\nscenario = \"s.toml\"\ncolumn = \"C_pM\"\ntime_days = 100.0\nvalue = 1e-3\ntolerance = 1e-4\n",
    )
    .unwrap();
    load_calibration(&cal).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_unreadable_target_stops_the_fit_and_a_failed_simulation_is_avoided() {
    let tmp = tempfile::tempdir().unwrap();
    let cal = small_calibration(tmp.path());
    assert!(calibration::evaluate(&cal, &[0.2]).is_ok());

    // A target whose column the run does not have: a mistake in the calibration, not a region
    // to avoid; the fit stops before the optimiser starts instead of wandering on a flat cost.
    let mut bad = cal.clone();
    bad.targets[0].column = "no_such_column".into();
    let e = calibration::evaluate(&bad, &[0.2]).unwrap_err();
    assert!(
        matches!(&e, EvaluateError::Target { scenario, .. } if scenario == "s"),
        "{e:?}"
    );
    let evaluations = std::sync::atomic::AtomicU64::new(0);
    let e = calibration::calibrate(&bad, &|n, _| {
        evaluations.store(n, std::sync::atomic::Ordering::Relaxed)
    })
    .unwrap_err();
    assert!(
        matches!(e, CalibrationError::Evaluate(EvaluateError::Target { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("no column `no_such_column`"), "{e}");
    assert_eq!(evaluations.into_inner(), 0, "the optimiser ran");

    // A simulation that fails (too few steps) is a typed simulation failure: the optimiser gives
    // it a prohibitive cost and goes on, and reports it if it fails at the end too.
    let mut failing = cal.clone();
    failing.scenarios[0].spec.solver.max_steps = 2;
    let e = calibration::evaluate(&failing, &[0.2]).unwrap_err();
    assert!(
        matches!(
            &e,
            EvaluateError::Simulation {
                source: SimError::MaxSteps { .. },
                ..
            }
        ),
        "{e:?}"
    );
    let e = calibration::calibrate(&failing, &|_, _| {}).unwrap_err();
    assert!(
        matches!(
            e,
            CalibrationError::Evaluate(EvaluateError::Simulation { .. })
        ),
        "{e:?}"
    );
}

/// Lines of `new` that differ from `old` (same number of lines required): each must be a
/// `value = <number>` line whose text before and after the number is unchanged. Returns the
/// changed lines' new numbers.
fn changed_values(old: &str, new: &str) -> Vec<f64> {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    assert_eq!(old.len(), new.len(), "the number of lines changed");
    let split = |l: &str| -> (String, String, String) {
        let (key, rest) = l
            .split_once('=')
            .unwrap_or_else(|| panic!("not a key line: {l}"));
        let number_start = rest.len() - rest.trim_start().len();
        let body = &rest[number_start..];
        let number_end = body.find([' ', '#']).unwrap_or(body.len());
        (
            format!("{key}={}", &rest[..number_start]),
            body[..number_end].to_string(),
            body[number_end..].to_string(),
        )
    };
    let mut values = Vec::new();
    for (o, n) in old.iter().zip(&new) {
        if o == n {
            continue;
        }
        assert!(
            o.trim_start().starts_with("value"),
            "a non-value line changed: {o:?} -> {n:?}"
        );
        let (ok, _, otail) = split(o);
        let (nk, number, ntail) = split(n);
        assert_eq!(
            (ok, otail),
            (nk, ntail),
            "more than the number changed: {o:?} -> {n:?}"
        );
        values.push(number.parse().unwrap());
    }
    values
}

#[test]
fn fitted_values_are_written_into_a_copy_with_every_other_byte_kept() {
    use immunoporosis::config::{ParamsEdit, load_params};
    use immunoporosis::model::ModelId;
    let tmp = tempfile::tempdir().unwrap();
    let original = crate::util::root().join("params/models/immunoporosis.toml");
    let copy = tmp.path().join("immunoporosis.toml");
    std::fs::copy(&original, &copy).unwrap();
    let before = std::fs::read_to_string(&copy).unwrap();
    // Values whose shortest exact forms are long or in exponent form.
    let fitted = [
        ("innate.g_disease", 0.1 + 0.2),
        ("mechanics.g_mech", 11.450000000000001),
        ("mineral.k_secondary", 1.0 / 3.0),
        ("aging.g_OBu", 1.25e-7),
    ];
    let mut edit = ParamsEdit::parse(&copy, &before).unwrap();
    for (name, v) in fitted {
        assert!(edit.set_value(name, v), "{name} not found");
    }
    std::fs::write(&copy, edit.text()).unwrap();
    let after = std::fs::read_to_string(&copy).unwrap();
    let mut written = changed_values(&before, &after);
    let mut wanted: Vec<f64> = fitted.iter().map(|(_, v)| *v).collect();
    written.sort_by(f64::total_cmp);
    wanted.sort_by(f64::total_cmp);
    assert_eq!(written, wanted);
    // The copy is a valid parameter file with exactly the new values.
    let set = load_params(ModelId::Immunoporosis, &copy).unwrap_or_else(|e| panic!("{e}"));
    for (name, v) in fitted {
        assert_eq!(set.params[name].value.to_bits(), v.to_bits(), "{name}");
    }
    assert_eq!(
        std::fs::read_to_string(&original).unwrap(),
        immunoporosis::model::ModelId::Immunoporosis
            .bundled_params()
            .1,
        "the bundled file was not touched"
    );
}

#[test]
fn a_fit_rewrites_only_the_values_of_the_model_file_and_the_drug_files_it_fitted() {
    use immunoporosis::calibration::{Fit, FittedParameter};
    use immunoporosis::output::calibration::fitted_params_files;
    let cal = load_calibration(&crate::util::root().join("params/calibration/immunoporosis.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let fit = Fit {
        parameters: cal
            .parameters
            .iter()
            .map(|p| FittedParameter {
                name: p.name.clone(),
                unit: String::new(),
                initial: p.initial,
                value: cal.params.params[&p.name].value * (1.0 + 1e-9) + 1e-15,
                lower: p.lower,
                upper: p.upper,
            })
            .collect(),
        targets: Vec::new(),
        cost: 0.0,
        iterations: 0,
        evaluations: 0,
        termination: String::new(),
    };
    let files = fitted_params_files(&cal, &fit).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files[0].0, cal.params_path, "the model's file comes first");
    let mut written = Vec::new();
    for (path, text) in &files {
        let original = if *path == cal.params_path {
            &cal.params_text
        } else {
            &cal.drug_files
                .iter()
                .find(|(p, _)| p == path)
                .expect("a drug file")
                .1
        };
        written.extend(changed_values(original, text));
    }
    let mut wanted: Vec<f64> = fit.parameters.iter().map(|p| p.value).collect();
    written.sort_by(f64::total_cmp);
    wanted.sort_by(f64::total_cmp);
    assert_eq!(written, wanted, "every fitted value written once, exactly");
    assert!(files.len() > 1, "the calibration fits drug parameters too");
}

/// The bundled calibration of the immunoporosis model.
fn bundled() -> Calibration {
    load_calibration(&root().join("params/calibration/immunoporosis.toml")).unwrap()
}

#[test]
fn a_band_only_target_costs_nothing_inside_its_band_and_rises_linearly_outside() {
    let cal = bundled();
    // Every target at its wanted value: every residual 0 (a band-only target's value lies inside
    // its band).
    let wanted: Vec<f64> = cal.targets.iter().map(|t| t.value).collect();
    assert!(
        calibration::scaled_residuals(&cal, &wanted)
            .iter()
            .all(|r| *r == 0.0)
    );
    // A band-only target with a band narrower than 1 and one wider (the wall's scale is
    // BAND_WALL x min(width, 1)).
    let band_only = |narrow: bool| {
        cal.targets
            .iter()
            .position(|t| {
                t.band_only && t.prevented.is_some() && ((t.band.1 - t.band.0) < 1.0) == narrow
            })
            .unwrap_or_else(|| panic!("no band-only intervention with narrow = {narrow}"))
    };
    // A qualitative target of the calibration file has the wall its file gives.
    let pth = cal
        .targets
        .iter()
        .position(|t| t.band_only && t.name.starts_with("continuous PTH") && t.prevented.is_none())
        .unwrap();
    assert_eq!(cal.targets[pth].wall, 0.05);
    for k in [band_only(true), band_only(false), pth] {
        let t = &cal.targets[k];
        let (lo, hi) = t.band;
        let wall = t.wall;
        if t.prevented.is_some() {
            assert_eq!(wall, BAND_WALL * (hi - lo).min(1.0), "{}", t.name);
        }
        // On the wrong side of 0 (the band excludes 0), a wrong direction costs more.
        let factor = |g: f64| {
            if (lo > 0.0 && g < 0.0) || (hi < 0.0 && g > 0.0) {
                calibration::WRONG_DIRECTION
            } else {
                1.0
            }
        };
        let residual = |g: f64| {
            let mut got = wanted.clone();
            got[k] = g;
            let r = calibration::scaled_residuals(&cal, &got);
            // The other targets are untouched.
            assert!(r.iter().enumerate().all(|(j, x)| j == k || *x == 0.0));
            r[k]
        };
        // Inside the band shrunk by its margin, edges included: nothing, wherever the value lies.
        let m = calibration::BAND_MARGIN * (hi - lo);
        for g in [
            lo + m,
            lo + 0.1 * (hi - lo),
            t.value,
            hi - 0.1 * (hi - lo),
            hi - m,
        ] {
            assert_eq!(residual(g), 0.0, "{}: {g} inside [{lo}, {hi}]", t.name);
        }
        // Outside: linear in the distance to the nearest edge of the shrunk band, one wall's
        // width giving sqrt(weight), signed towards the band; at the band's own edges the
        // margin already costs a little.
        let w = t.weight.sqrt();
        assert!(
            (residual(hi) - factor(hi) * w * m / wall).abs() <= 1e-9 * w,
            "{}",
            t.name
        );
        assert!(
            (residual(lo) + factor(lo) * w * m / wall).abs() <= 1e-9 * w,
            "{}",
            t.name
        );
        for d in [0.5 * wall, wall, 3.0 * wall] {
            let d = d - m;
            let above = residual(hi + d);
            let below = residual(lo - d);
            let (fa, fb) = (factor(hi + d), factor(lo - d));
            let e = d + m;
            assert!(
                (above - fa * w * e / wall).abs() <= 1e-12 * fa * w.max(1.0) * (e / wall).max(1.0),
                "{}: {above} at {d} above",
                t.name
            );
            assert!(
                (below + fb * w * e / wall).abs() <= 1e-12 * fb * w.max(1.0) * (e / wall).max(1.0),
                "{}: {below} at {d} below",
                t.name
            );
        }
        // A failed value is not hidden inside the band.
        assert!(residual(f64::NAN).is_nan());
    }
    // The continuous-PTH band [-5, -0.1] excludes 0: a gain costs three times its distance (from
    // the band shrunk by its margin) in walls.
    let t = &cal.targets[pth];
    let mut got = wanted.clone();
    got[pth] = 0.3;
    let r = calibration::scaled_residuals(&cal, &got)[pth];
    let inner = t.band.1 - calibration::BAND_MARGIN * (t.band.1 - t.band.0);
    let expected = calibration::WRONG_DIRECTION * t.weight.sqrt() * (0.3 - inner) / t.wall;
    assert!(
        (r - expected).abs() < 1e-9 * expected,
        "{r} against {expected}"
    );
    // A measured target keeps its formula: sqrt(weight) at its band's edge, (got - wanted) / h
    // in between.
    let k = cal.targets.iter().position(|t| !t.band_only).unwrap();
    let t = &cal.targets[k];
    let mut got = wanted.clone();
    got[k] = t.band.1;
    let r = calibration::scaled_residuals(&cal, &got)[k];
    assert!((r - t.weight.sqrt()).abs() <= 1e-12, "{}: {r}", t.name);
    got[k] = t.value + 0.5 * (t.band.1 - t.value);
    let r = calibration::scaled_residuals(&cal, &got)[k];
    assert!(
        (r - 0.5 * t.weight.sqrt()).abs() <= 1e-12,
        "{}: {r}",
        t.name
    );
}

#[test]
fn the_measured_interventions_weigh_measured_intervention_weight_and_the_band_ones_intervention_weight()
 {
    // The bundled file: the measured interventions weigh `measured_intervention_weight` = 1,
    // the band ones `intervention_weight` = 0.05, the file's own targets 1.
    let cal = bundled();
    let set = immunoporosis::config::load_interventions(
        &root().join("params/interventions/immunoporosis.toml"),
        immunoporosis::model::ModelId::Immunoporosis,
    )
    .unwrap();
    let weights = |cal: &Calibration, band_only: bool| -> Vec<f64> {
        cal.targets
            .iter()
            .filter(|t| set.interventions.iter().any(|i| i.name == t.name))
            .filter(|t| t.band_only == band_only)
            .map(|t| t.weight)
            .collect()
    };
    assert!(
        cal.targets
            .iter()
            .filter(|t| !set.interventions.iter().any(|i| i.name == t.name))
            .all(|t| t.weight == 1.0)
    );
    assert_eq!(weights(&cal, false), [1.0; 5]);
    assert!(weights(&cal, true).iter().all(|w| *w == 0.05));
    assert_eq!(weights(&cal, true).len(), 28);
    // Without `measured_intervention_weight`, every intervention weighs `intervention_weight`.
    let copy = crate::util::params_copy("calibration");
    let file = copy.folder.join("immunoporosis.toml");
    let src = std::fs::read_to_string(&file).unwrap();
    let edited = src.replacen("measured_intervention_weight = 1.0\n", "", 1);
    assert_ne!(edited, src);
    std::fs::write(&file, edited).unwrap();
    let cal = load_calibration(&file).unwrap();
    assert_eq!(weights(&cal, false), [0.05; 5]);
    assert!(weights(&cal, true).iter().all(|w| *w == 0.05));
    assert_eq!(weights(&cal, true).len(), 28);
}

#[test]
fn a_calibration_target_with_fit_band_is_band_only_and_an_unknown_fit_is_refused() {
    let cal = bundled();
    let band: Vec<&str> = cal
        .targets
        .iter()
        .filter(|t| t.band_only && t.prevented.is_none() && t.minus.is_none())
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        band.iter().any(|n| n
            .starts_with("continuous PTH (teriparatide 20 ug/day as an infusion): lumbar spine")),
        "{band:?}"
    );
    let src =
        std::fs::read_to_string(root().join("params/calibration/immunoporosis.toml")).unwrap();
    let line = 1 + src.lines().position(|l| l == "fit = \"band\"").unwrap();
    let e = crate::util::error_of_edited(
        "calibration",
        "immunoporosis.toml",
        |s| s.replacen("fit = \"band\"\n", "fit = \"bnad\"\n", 1),
        load_calibration,
    );
    assert!(
        e.contains(&format!("immunoporosis.toml:{line}: key `target["))
            && e.contains("].fit`: unknown fit `bnad`")
            && e.contains("band"),
        "{e}"
    );
    // A wall must be positive, a weight in (0, 1]; each error names its key and line.
    let line = 1 + src.lines().position(|l| l == "wall = 0.05").unwrap();
    let e = crate::util::error_of_edited(
        "calibration",
        "immunoporosis.toml",
        |s| s.replacen("wall = 0.05\n", "wall = 0.0\n", 1),
        load_calibration,
    );
    assert!(
        e.contains(&format!("immunoporosis.toml:{line}: key `target["))
            && e.contains("].wall`: must be a positive number, got 0"),
        "{e}"
    );
    let e = crate::util::error_of_edited(
        "calibration",
        "immunoporosis.toml",
        |s| s.replacen("wall = 0.05\n", "wall = 0.05\nweight = 1.5\n", 1),
        load_calibration,
    );
    assert!(
        e.contains(&format!("immunoporosis.toml:{}: key `target[", line + 1))
            && e.contains("].weight`: must lie in (0, 1], got 1.5"),
        "{e}"
    );
}

#[test]
fn a_bad_measured_intervention_weight_is_refused_with_its_key_and_line() {
    let src =
        std::fs::read_to_string(root().join("params/calibration/immunoporosis.toml")).unwrap();
    // The edited line replaces `measured_intervention_weight = 1.0`.
    let line = 1 + src
        .lines()
        .position(|l| l == "measured_intervention_weight = 1.0")
        .unwrap();
    for (bad, shown) in [("0.0", "0"), ("2.0", "2"), ("-0.5", "-0.5"), ("nan", "NaN")] {
        let e = crate::util::error_of_edited(
            "calibration",
            "immunoporosis.toml",
            |s| {
                s.replacen(
                    "measured_intervention_weight = 1.0\n",
                    &format!("measured_intervention_weight = {bad}\n"),
                    1,
                )
            },
            load_calibration,
        );
        assert!(
            e.contains(&format!(
                "immunoporosis.toml:{line}: key `measured_intervention_weight`"
            )) && e.contains(&format!("must lie in (0, 1], got {shown}")),
            "{bad} (line {line}): {e}"
        );
    }
}
