//! Calibration: what the optimiser does with a failed simulation and with an unreadable target
//! (typed errors), and the fitted values written back into a parameter file.

use immunoporosis::calibration::{self, CalibrationError, EvaluateError};
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
