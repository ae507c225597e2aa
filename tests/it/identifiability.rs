//! Identifiability (`identifiability::analyse`) on least-squares problems with known answers:
//! linear models (standard errors and correlations exactly sqrt(diag((AᵀA)⁻¹)) and its
//! correlations), in linear and log space and at a bound; two parameters entering only as a
//! product; a parameter no residual depends on.

use immunoporosis::identifiability::{
    AnalyseError, PINNED_RELATIVE_SE, Reason, Space, Stencil, Verdict, analyse,
};
use nalgebra::{DMatrix, DVector};
use std::convert::Infallible;

/// A 4 × 3 design whose columns are far from orthogonal (but not collinear).
fn design() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        4,
        3,
        &[
            2.0, 1.0, 0.0, //
            1.0, 3.0, 0.5, //
            0.0, 1.0, 4.0, //
            1.0, 1.0, 1.0, //
        ],
    )
}

/// The exact covariance (AᵀA)⁻¹.
fn exact_covariance(a: &DMatrix<f64>) -> DMatrix<f64> {
    (a.transpose() * a).try_inverse().expect("invertible")
}

fn linear(a: &DMatrix<f64>, b: &[f64], u: &[f64]) -> Vec<f64> {
    (a * DVector::from_column_slice(u) - DVector::from_column_slice(b))
        .iter()
        .copied()
        .collect()
}

#[test]
fn a_linear_model_gives_the_exact_standard_errors_and_correlations() {
    let a = design();
    let b = [1.0, -2.0, 0.5, 3.0];
    let cov = exact_covariance(&a);
    // Linear space: the lower bounds are <= 0. The third value sits at its upper bound, so its
    // derivative is one-sided (still exact for a linear model).
    let values = [0.8, -1.5, 2.0];
    let (lower, upper) = ([-10.0, -10.0, 0.0], [10.0, 10.0, 2.0]);
    let evaluations = std::sync::atomic::AtomicUsize::new(0);
    let id = analyse(
        |u: &[f64]| {
            evaluations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok::<_, Infallible>(linear(&a, &b, u))
        },
        &values,
        &lower,
        &upper,
    )
    .unwrap();
    assert_eq!(id.evaluations, 7);
    assert_eq!(evaluations.into_inner(), 7, "1 + 2p evaluations");
    assert_eq!(id.residuals, linear(&a, &b, &values));
    let stencils: Vec<Stencil> = id.parameters.iter().map(|p| p.stencil).collect();
    assert_eq!(
        stencils,
        [Stencil::Central, Stencil::Central, Stencil::Backward]
    );
    for (i, p) in id.parameters.iter().enumerate() {
        assert_eq!(p.space, Space::Linear, "parameter {i}");
        // The perturbed points stay inside the bounds.
        let se_exact = cov[(i, i)].sqrt();
        let se = p.se.expect("bounded");
        assert!(
            (se / se_exact - 1.0).abs() < 1e-8,
            "parameter {i}: SE {se} against {se_exact}"
        );
        let rel = p.relative_se.unwrap();
        assert!((rel - se_exact / values[i].abs()).abs() < 1e-8 * rel);
        let (lo, hi) = p.interval.unwrap();
        assert!((hi - lo - 2.0 * 1.959_963_984_540_054 * se_exact).abs() < 1e-8 * se_exact);
        assert!((lo + hi - 2.0 * values[i]).abs() < 1e-12);
        assert_eq!(
            p.informing_targets,
            a.column(i).iter().filter(|x| **x != 0.0).count()
        );
        for j in 0..3 {
            let exact = cov[(i, j)] / (cov[(i, i)] * cov[(j, j)]).sqrt();
            assert!(
                (id.correlation[(i, j)] - exact).abs() < 1e-8,
                "correlation ({i}, {j}): {} against {exact}",
                id.correlation[(i, j)]
            );
        }
    }
    assert!(id.null_directions.is_empty());
    // Eigenvalues of AᵀA, largest first.
    let mut exact: Vec<f64> = (a.transpose() * &a)
        .symmetric_eigenvalues()
        .iter()
        .copied()
        .collect();
    exact.sort_by(|x, y| y.total_cmp(x));
    for (got, want) in id.eigenvalues.iter().zip(&exact) {
        assert!((got / want - 1.0).abs() < 1e-8, "{got} against {want}");
    }
}

#[test]
fn in_log_space_the_standard_error_is_relative_and_the_interval_multiplicative() {
    // r = A ln θ - b: linear in ln θ, so d r / d ln θ = A exactly and SE(ln θ) = sqrt(diag((AᵀA)⁻¹)).
    let a = design() * 20.0;
    let b = [0.3, 0.1, -0.2, 0.7];
    let cov = exact_covariance(&a);
    let values = [0.5, 2.0, 7.0];
    let id = analyse(
        |theta: &[f64]| {
            let ln: Vec<f64> = theta.iter().map(|t| t.ln()).collect();
            Ok::<_, Infallible>(linear(&a, &b, &ln))
        },
        &values,
        &[0.1, 0.1, 1.0],
        &[10.0, 10.0, 7.0],
    )
    .unwrap();
    for (i, p) in id.parameters.iter().enumerate() {
        assert_eq!(p.space, Space::Log);
        let se_exact = cov[(i, i)].sqrt();
        let rel = p.relative_se.unwrap();
        assert!(
            (rel / se_exact - 1.0).abs() < 1e-6,
            "{i}: {rel} against {se_exact}"
        );
        let (lo, hi) = p.interval.unwrap();
        assert!((lo * hi / (values[i] * values[i]) - 1.0).abs() < 1e-12);
        assert!(((hi / values[i]).ln() / (1.959_963_984_540_054 * se_exact) - 1.0).abs() < 1e-6);
        // With A × 20, every SE is small: pinned.
        assert!(rel < PINNED_RELATIVE_SE);
        assert_eq!(p.verdict, Verdict::Pinned, "{i}");
    }
    assert_eq!(
        id.parameters[2].stencil,
        Stencil::Backward,
        "at its upper bound"
    );
}

#[test]
fn two_parameters_entering_only_as_a_product_are_each_others_unidentifiable_partner() {
    // r_k = c_k θ0 θ1 + d_k θ2 - b_k: only θ0 θ1 is determined, θ2 is.
    let (c, d, b) = ([1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [1.0, 0.0, 3.0]);
    let values = [1.5, 0.8, 1.2];
    let id = analyse(
        |t: &[f64]| {
            Ok::<_, Infallible>(
                (0..3)
                    .map(|k| c[k] * t[0] * t[1] + d[k] * t[2] - b[k])
                    .collect(),
            )
        },
        &values,
        &[0.1; 3],
        &[10.0; 3],
    )
    .unwrap();
    assert_eq!(id.null_directions.len(), 1);
    let v = &id.null_directions[0].loadings;
    // The null direction is (1, -1, 0)/√2 in ln θ: θ0 up and θ1 down by the same factor.
    assert!(
        (v[0] + v[1]).abs() < 1e-6 && (v[0].abs() - 0.5f64.sqrt()).abs() < 1e-6,
        "{v:?}"
    );
    assert!(v[2].abs() < 1e-6, "{v:?}");
    for (i, other) in [(0, 1), (1, 0)] {
        let p = &id.parameters[i];
        assert_eq!(
            p.verdict,
            Verdict::NotIdentifiable(Reason::NullDirection),
            "{i}"
        );
        assert_eq!(p.se, None, "unbounded");
        let (partner, corr) = p.partner.unwrap();
        assert_eq!(partner, other);
        assert!((corr + 1.0).abs() < 1e-6, "θ0 up, θ1 down: {corr}");
        assert_eq!(p.informing_targets, 3);
    }
    // θ2 is determined; its SE is that of the two-column problem [c | d] (θ0 θ1 as one
    // parameter, in log space: column c θ0 θ1; θ2 column d θ2).
    let p = &id.parameters[2];
    assert!(
        !matches!(p.verdict, Verdict::NotIdentifiable(_)),
        "{:?}",
        p.verdict
    );
    let prod = values[0] * values[1];
    let a = DMatrix::from_fn(3, 2, |k, j| {
        if j == 0 {
            c[k] * prod
        } else {
            d[k] * values[2]
        }
    });
    let se_exact = exact_covariance(&a)[(1, 1)].sqrt();
    let se = p.se.unwrap();
    assert!(
        (se / se_exact - 1.0).abs() < 1e-5,
        "{se} against {se_exact}"
    );
    assert!(id.correlation[(2, 0)].abs() < 1e-12 && id.correlation[(0, 2)].abs() < 1e-12);
}

#[test]
fn a_parameter_no_residual_depends_on_is_flagged_and_leaves_the_others_exact() {
    let a = design();
    let b = [1.0, -2.0, 0.5, 3.0];
    let cov = exact_covariance(&a);
    // Parameter 3 does not enter.
    let id = analyse(
        |u: &[f64]| Ok::<_, Infallible>(linear(&a, &b, &u[..3])),
        &[0.8, -1.5, 2.0, 4.0],
        &[-10.0; 4],
        &[10.0; 4],
    )
    .unwrap();
    let p = &id.parameters[3];
    assert_eq!(p.informing_targets, 0);
    assert_eq!(
        p.verdict,
        Verdict::NotIdentifiable(Reason::NoInformingTarget)
    );
    assert_eq!(p.se, None);
    assert_eq!(id.null_directions.len(), 1);
    assert!(id.null_directions[0].loadings[3].abs() > 0.999);
    for i in 0..3 {
        let se = id.parameters[i].se.unwrap();
        assert!((se / cov[(i, i)].sqrt() - 1.0).abs() < 1e-8, "{i}");
        assert_eq!(id.correlation[(i, 3)], 0.0);
    }
}

#[test]
fn strongly_correlated_parameters_are_flagged_unless_pinned() {
    // Two nearly collinear columns: correlation of the estimates close to -1.
    let eps = 0.02;
    let a = |scale: f64| {
        DMatrix::from_row_slice(3, 2, &[1.0, 1.0, 1.0, 1.0 + eps, 1.0, 1.0 - eps]) * scale
    };
    let run = |scale: f64| {
        let a = a(scale);
        analyse(
            |u: &[f64]| Ok::<_, Infallible>(linear(&a, &[0.0; 3], u)),
            &[1.0, 1.0],
            &[-10.0; 2],
            &[10.0; 2],
        )
        .unwrap()
    };
    let weak = run(1.0);
    let cov = exact_covariance(&a(1.0));
    let rho = cov[(0, 1)] / (cov[(0, 0)] * cov[(1, 1)]).sqrt();
    assert!(rho < -0.95, "the problem is as designed: {rho}");
    for (i, p) in weak.parameters.iter().enumerate() {
        assert_eq!(
            p.verdict,
            Verdict::NotIdentifiable(Reason::Correlated),
            "{i}"
        );
        let (partner, corr) = p.partner.unwrap();
        assert_eq!(partner, 1 - i);
        assert!((corr - rho).abs() < 1e-8);
    }
    // The same correlation with 10⁴ times the information: the standard errors are small despite
    // it, and the parameters are pinned.
    let strong = run(1e4);
    for p in &strong.parameters {
        assert!(p.relative_se.unwrap() < PINNED_RELATIVE_SE);
        assert_eq!(p.verdict, Verdict::Pinned);
        assert!((p.partner.unwrap().1 - rho).abs() < 1e-6);
    }
}

#[test]
fn a_failing_residual_function_is_an_error_and_non_finite_derivatives_are_refused() {
    let e = analyse(
        |u: &[f64]| {
            if u[0] > 1.0 {
                Err("failed")
            } else {
                Ok(vec![u[0]])
            }
        },
        &[1.0],
        &[0.0],
        &[2.0],
    )
    .unwrap_err();
    assert_eq!(e, AnalyseError::Residuals("failed"));
    let e = analyse(
        |u: &[f64]| Ok::<_, Infallible>(vec![if u[0] > 1.0 { f64::NAN } else { u[0] }]),
        &[1.0],
        &[0.0],
        &[2.0],
    )
    .unwrap_err();
    assert_eq!(e, AnalyseError::NotFinite { parameter: 0 });
}

/// A valid one-parameter calibration of the Lemaire model in `dir`, for the reports' headers.
fn small_calibration(dir: &std::path::Path) -> immunoporosis::config::Calibration {
    std::fs::write(
        dir.join("s.toml"),
        "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n",
    )
    .unwrap();
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        "name = \"c\"\nmodel = \"lemaire2004\"\n[[parameter]]\nname = \"osteoblast.k_B\"\ninitial = 0.2\nlower = 0.1\nupper = 0.3\n[[target]]\nscenario = \"s.toml\"\ncolumn = \"C_pM\"\ntime_days = 10.0\nvalue = 1e-3\ntolerance = 1e-4\n",
    )
    .unwrap();
    immunoporosis::config::load_calibration(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_report_names_the_unidentifiable_direction_and_writes_the_correlations() {
    use immunoporosis::calibration::{Fit, FittedParameter};
    use immunoporosis::output::calibration::{
        Report, correlation_csv, report_json, report_markdown,
    };
    // Any valid calibration for the header; the parameters are those of the product problem.
    let tmp = tempfile::tempdir().unwrap();
    let cal = small_calibration(tmp.path());
    let values = [1.5, 0.8, 1.2];
    let id = analyse(
        |t: &[f64]| {
            Ok::<_, Infallible>(vec![
                t[0] * t[1] + 0.3 * t[2] - 1.0,
                2.0 * t[0] * t[1] - t[2],
                0.5 * t[0] * t[1] + 2.0 * t[2] - 3.0,
            ])
        },
        &values,
        &[0.1; 3],
        &[10.0; 3],
    )
    .unwrap();
    let fit = Fit {
        parameters: ["a.x", "a.y", "b.z"]
            .iter()
            .zip(values)
            .map(|(n, v)| FittedParameter {
                name: n.to_string(),
                unit: "1".into(),
                initial: v,
                value: v,
                lower: 0.1,
                upper: 10.0,
            })
            .collect(),
        targets: Vec::new(),
        cost: 0.0,
        iterations: 0,
        evaluations: 1,
        termination: String::new(),
    };
    let report = Report {
        cal: &cal,
        fit: &fit,
        identifiability: Ok(&id),
        optimised: false,
    };
    let md = report_markdown(&report);
    let section = md.split("## Identifiability").nth(1).expect("section");
    assert!(
        section.contains("1 of 3 directions of zero information"),
        "{section}"
    );
    let direction = section
        .lines()
        .find(|l| l.starts_with("- eigenvalue"))
        .expect("the null direction listed");
    assert!(
        (direction.contains("+0.707 `a.x`, -0.707 `a.y`")
            || direction.contains("-0.707 `a.x`, +0.707 `a.y`"))
            && !direction.contains("b.z"),
        "{direction}"
    );
    let row = section
        .lines()
        .find(|l| l.starts_with("| `a.x` |"))
        .unwrap();
    assert!(
        row.contains("unbounded (log)")
            && row.contains("not identifiable (direction of zero information)")
            && row.contains("| `a.y` | -1.000 |"),
        "{row}"
    );
    let json = report_json(&report);
    assert_eq!(json["identifiability"]["parameters"][0]["partner"], "a.y");
    assert_eq!(
        json["identifiability"]["null_directions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let csv = correlation_csv(&report, &id);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "parameter,a.x,a.y,b.z");
    let first: Vec<f64> = lines[1]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(first[0], 1.0);
    assert!(
        (first[1] + 1.0).abs() < 1e-6 && first[2] == 0.0,
        "{first:?}"
    );
}

#[test]
fn a_failed_analysis_still_writes_the_fit_and_says_why() {
    use immunoporosis::calibration::{Fit, FittedParameter};
    use immunoporosis::output::calibration::{Report, report_json, write};
    let tmp = tempfile::tempdir().unwrap();
    let cal = small_calibration(tmp.path());
    let fit = Fit {
        parameters: vec![FittedParameter {
            name: "osteoblast.k_B".into(),
            unit: "1/day".into(),
            initial: 0.2,
            value: 0.25,
            lower: 0.1,
            upper: 0.3,
        }],
        targets: Vec::new(),
        cost: 1.5,
        iterations: 40,
        evaluations: 90,
        termination: "converged".into(),
    };
    let reason = "scenario `s`: step size underflow at t = 292";
    let report = Report {
        cal: &cal,
        fit: &fit,
        identifiability: Err(reason),
        optimised: true,
    };
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let files = immunoporosis::output::calibration::fitted_params_files(&cal, &fit).unwrap();
    assert_eq!(files.len(), 1, "the fitted parameter file");
    write(&out, &report, &files).unwrap();
    immunoporosis::output::report::calibrate(&out, &report).unwrap();
    // The fitted parameter file holds the fitted value.
    let written = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        !written.contains("identifiability.csv"),
        "no correlations without an analysis: {written:?}"
    );
    let param_file = files[0]
        .0
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(written.contains(&param_file), "{written:?}");
    let params = immunoporosis::config::load_params(
        immunoporosis::model::ModelId::Lemaire2004,
        &out.join(&param_file),
    )
    .unwrap();
    assert_eq!(params.params["osteoblast.k_B"].value, 0.25);
    // Markdown, JSON and HTML each say that the analysis failed, and why.
    let md = std::fs::read_to_string(out.join("fit_report.md")).unwrap();
    let section = md.split("## Identifiability").nth(1).expect("section");
    assert!(
        section.contains("**The analysis failed**") && section.contains(reason),
        "{section}"
    );
    assert!(md.contains("| `osteoblast.k_B` |"), "{md}");
    // The optimiser named is the calibration's own.
    let method = match cal.method {
        immunoporosis::config::FitMethod::NelderMead => "Nelder-Mead: 40 iterations",
        immunoporosis::config::FitMethod::LevenbergMarquardt => {
            "Levenberg-Marquardt: 40 iterations"
        }
    };
    assert!(md.contains(method), "{md}");
    let mut lm = cal.clone();
    lm.method = immunoporosis::config::FitMethod::LevenbergMarquardt;
    let lm_md = immunoporosis::output::calibration::report_markdown(&Report { cal: &lm, ..report });
    assert!(
        lm_md.contains("Levenberg-Marquardt: 40 iterations"),
        "{lm_md}"
    );
    let json = report_json(&report);
    assert_eq!(json["identifiability"]["failed"], reason);
    assert_eq!(json["cost"], 1.5);
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fit_report.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk, json);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("analysis failed") && html.contains("step size underflow at t = 292"),
        "the HTML report says so"
    );
}
