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
