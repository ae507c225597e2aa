//! The binary end to end, in temporary folders.

use crate::util::{read_csv, root, scenario_path};
use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_writes_csv_manifest_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_path("rankl_excess");
    let out = bin(&["run", scenario.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/rankl_excess");
    for f in [
        "timeseries.csv",
        "manifest.json",
        "summary.json",
        "bone.png",
        "bone.svg",
        "cells.png",
        "cells.svg",
        "markers.png",
        "markers.svg",
    ] {
        let meta = std::fs::metadata(dir.join(f)).unwrap_or_else(|_| panic!("{f} missing"));
        assert!(meta.len() > 1000, "{f} is only {} bytes", meta.len());
    }
    let png = std::fs::read(dir.join("bone.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.join("bone.svg")).unwrap();
    assert!(
        svg.contains("lumbar spine BMD") && svg.contains("time (years)"),
        "SVG lacks legend or axis label"
    );
    let (columns, rows) = read_csv(&dir.join("timeseries.csv"));
    let expected = [
        "t_day",
        "OBp_pM",
        "OBa_pM",
        "OCp_pM",
        "OCa_pM",
        "bone_volume_pct",
        "bv_lumbar_spine_change_pct",
        "bv_total_hip_change_pct",
        "mineral_lumbar_spine",
        "mineral_total_hip",
        "formation_rel",
        "RANKL_pM",
        "OPG_pM",
        "PTH_pM",
        "TGFb_pM",
        "ctx_change_pct",
        "p1np_change_pct",
        "bmd_lumbar_spine_change_pct",
        "bmd_total_hip_change_pct",
        "mineral_lumbar_spine_change_pct",
    ];
    assert_eq!(columns, expected);
    assert_eq!(rows.len(), 3654);
    assert_eq!(rows[0][5], 100.0);
    assert_eq!((rows[0][6], rows[0][15], rows[0][17]), (0.0, 0.0, 0.0));
    // Year 6, the end of the RANKL excess: resorption up, bone lost (the mechanostat limits it).
    assert!(
        rows[2191][17] < -0.3,
        "RANKL excess must lose lumbar spine BMD: {}",
        rows[2191][17]
    );
    assert!(
        rows[2191][15] > 10.0,
        "RANKL excess must raise CTX: {}",
        rows[2191][15]
    );
    assert!(
        rows[3653][17] > rows[2191][17],
        "bone is regained after the excess ends (mechanostat)"
    );
    // summary.json: endpoints at 1, 2, 3, 5 and 10 years, interpolated from the daily rows.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let endpoints = summary["endpoints"].as_array().unwrap();
    let years: Vec<f64> = endpoints
        .iter()
        .map(|e| e["years"].as_f64().unwrap())
        .collect();
    assert_eq!(years, [1.0, 2.0, 3.0, 5.0, 10.0]);
    let ls5 = endpoints[3]["bmd_lumbar_spine_change_pct"]
        .as_f64()
        .unwrap();
    let (a, b) = (rows[1826][17], rows[1827][17]); // days 1826 and 1827, around 5 years = 1826.25
    assert!(
        (ls5 - (a + 0.25 * (b - a))).abs() < 1e-12,
        "{ls5} vs {a}..{b}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario"]["name"], "rankl_excess");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["steady_state"]["method"], "newton");
    assert_eq!(manifest["steady_state"]["stable"], true);
    assert!(manifest["solver"]["accepted_steps"].as_u64().unwrap() > 0);
    assert_eq!(manifest["solver"]["segments"].as_array().unwrap().len(), 3);
    let params = manifest["parameters"].as_array().unwrap();
    assert_eq!(params.len(), 36);
    assert!(
        params
            .iter()
            .all(|p| p["unit"].is_string() && p["source"].is_string() && p["citation"].is_string())
    );
    // No stray temporary folders.
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["rankl_excess"]);
}

#[test]
fn run_honours_out_and_replaces_previous_results_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("results/pth");
    // A previous result of another model at the same folder: replaced whole, nothing of it left.
    let out = bin(
        &[
            "run",
            scenario_path("lemaire2004_pth").to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lemaire_csv = std::fs::read_to_string(out_dir.join("timeseries.csv")).unwrap();
    let out = bin(
        &[
            "run",
            scenario_path("pivonka2008_pth").to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out_dir.join("timeseries.csv").is_file());
    let manifest = std::fs::read_to_string(out_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"name\": \"pivonka2008_pth\""));
    assert_ne!(
        std::fs::read_to_string(out_dir.join("timeseries.csv")).unwrap(),
        lemaire_csv
    );
    let (columns, _) = read_csv(&out_dir.join("timeseries.csv"));
    assert_eq!(
        columns,
        [
            "t_day", "OBp_pM", "OBa_pM", "OCa_pM", "RANKL_pM", "OPG_pM", "PTH_pM", "TGFb_pM"
        ]
    );
    // A folder the program did not write is refused and left as it was (issue 9, Why 1).
    let mine = tmp.path().join("results/mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("stale.txt"), "old").unwrap();
    let out = bin(
        &[
            "run",
            scenario_path("pivonka2008_pth").to_str().unwrap(),
            "--out",
            mine.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not written by immunoporosis"));
    assert_eq!(
        std::fs::read_to_string(mine.join("stale.txt")).unwrap(),
        "old"
    );
}

#[test]
fn bad_input_exits_2_with_file_key_and_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\nmodel = \"bone\"\nduration_days = 100.0\n[[input]]\nname = \"P_RANKL_d\"\nvalue = -5.0\nunit = \"pM/day\"\n").unwrap();
    let out = bin(&["run", bad.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml:6: key `input[0].value`: negative value"),
        "{err}"
    );
    assert!(
        !err.contains("backtrace") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!tmp.path().join("output").exists());

    let out = bin(&["run", "missing.toml"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml: cannot read the file"));

    let out = bin(&["check", bad.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let out = bin(&["steady", "bone2"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `bone`?"));
}

#[test]
fn solver_failure_exits_1_names_the_time_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A genuinely stiff variant of Pivonka 2008 (osteoclast apoptosis 10^4 times faster: an
    // eigenvalue near -1950 /day) with no step limit: Dopri5's stiffness test fires again and
    // again while the solution moves, and the run fails naming the time.
    let stiff = tmp.path().join("stiff.toml");
    let pth = std::fs::read_to_string(scenario_path("pivonka2008_pth")).unwrap();
    std::fs::write(
        &stiff,
        format!("{pth}\n[parameters]\n\"osteoclast.A_OCa\" = 7000.0\n\"osteoclast.D_OCp\" = 21.0\n\n[solver]\nmethod = \"dopri5\"\nmax_step_days = 1.0e6\n"),
    )
    .unwrap();
    let out = bin(&["run", stiff.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("detected stiffness at t = "), "{err}");
    assert!(
        !err.contains("backtrace") && !err.contains("panicked"),
        "{err}"
    );
    assert!(
        !tmp.path().join("output").exists()
            || std::fs::read_dir(tmp.path().join("output"))
                .unwrap()
                .next()
                .is_none()
    );

    // The same problem with the default method switches to BDF and succeeds, saying so.
    let auto = tmp.path().join("auto.toml");
    std::fs::write(
        &auto,
        std::fs::read_to_string(&stiff)
            .unwrap()
            .replace("method = \"dopri5\"\n", ""),
    )
    .unwrap();
    let out = bin(
        &["run", auto.to_str().unwrap(), "--out", "auto"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("BDF"), "{}", text(&out.stdout));
    let manifest = std::fs::read_to_string(tmp.path().join("auto/manifest.json")).unwrap();
    assert!(
        manifest.contains("bdf (Dopri5 reported stiffness at t = "),
        "manifest says which solver ran and why"
    );

    // A run at rest with no step limit is not stiff: the test's false alarms (round-off) are
    // resumed, and the healthy state holds.
    let healthy = std::fs::read_to_string(scenario_path("healthy")).unwrap();
    let rest = tmp.path().join("rest.toml");
    std::fs::write(
        &rest,
        format!("{healthy}\n[solver]\nmax_step_days = 1.0e6\n"),
    )
    .unwrap();
    let out = bin(
        &["run", rest.to_str().unwrap(), "--out", "rest"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (_, rows) = read_csv(&tmp.path().join("rest/timeseries.csv"));
    assert!(
        rows.iter().all(|r| (r[5] - 100.0).abs() < 1e-9),
        "bone volume stays at 100 %"
    );

    let limited = tmp.path().join("limited.toml");
    std::fs::write(&limited, format!("{healthy}\n[solver]\nmax_steps = 50\n")).unwrap();
    let out = bin(&["run", limited.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("step limit (max_steps = 50 per segment) at t = "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_list_and_steady_work() {
    let r = root();
    let out = bin(
        &["check", "params/scenarios/lemaire2004_rankl_opg.toml"],
        &r,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("ok") && s.contains("segments   3"), "{s}");
    assert!(
        s.contains("input      I_O = 90000 pM/day for 80 < t <= inf day"),
        "{s}"
    );

    let out = bin(&["list"], &r);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "lemaire2004",
        "pivonka2008",
        "bone",
        "healthy",
        "rankl.beta_RANKL",
        "pM/day",
        "pivonka2008_code",
        "INPUT",
        "rankl_production",
    ] {
        if needle == "INPUT" {
            continue;
        }
        assert!(s.contains(needle), "`{needle}` missing from list output");
    }
    assert!(!s.contains("INVALID"), "{s}");

    let out = bin(&["steady", "pivonka2008"], &r);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(
        s.contains("6.19618") && s.contains("stable") && s.contains("newton"),
        "{s}"
    );
}

#[test]
fn every_immune_scenario_runs_with_its_plots() {
    let tmp = tempfile::tempdir().unwrap();
    for stem in [
        "healthy",
        "menopause_natural",
        "menopause_surgical",
        "rheumatoid_arthritis",
        "glucocorticoid",
        "aging",
    ] {
        let out = bin(&["run", scenario_path(stem).to_str().unwrap()], tmp.path());
        assert!(out.status.success(), "{stem}: {}", text(&out.stderr));
        let dir = tmp.path().join("output").join(stem);
        for plot in [
            "bone",
            "cells",
            "markers",
            "immune",
            "cytokines",
            "signalling",
        ] {
            assert!(
                dir.join(format!("{plot}.png")).is_file(),
                "{stem}: {plot}.png"
            );
            assert!(
                dir.join(format!("{plot}.svg")).is_file(),
                "{stem}: {plot}.svg"
            );
        }
        let (columns, rows) = read_csv(&dir.join("timeseries.csv"));
        for c in [
            "TNF_rel",
            "IL6_rel",
            "IL17_rel",
            "IFNg_rel",
            "Th17_rel",
            "Treg_rel",
            "Th17_Treg_ratio_rel",
            "estrogen_rel",
            "sclerostin_rel",
        ] {
            let k = columns
                .iter()
                .position(|x| x == c)
                .unwrap_or_else(|| panic!("{stem}: no column {c}"));
            assert!(
                (rows[0][k] - 1.0).abs() < 1e-9 || c == "estrogen_rel",
                "{stem}: {c} starts at {}",
                rows[0][k]
            );
        }
    }
}

#[test]
fn compare_overlays_scenarios_in_one_csv_and_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let a = scenario_path("menopause_natural");
    let b = scenario_path("menopause_surgical");
    let out = bin(
        &["compare", a.to_str().unwrap(), b.to_str().unwrap()],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/compare");
    for f in [
        "compare.csv",
        "compare_lumbar_spine.png",
        "compare_lumbar_spine.svg",
        "compare_total_hip.png",
        "compare_bone_volume.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let csv = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,t_day,bmd_lumbar_spine_change_pct,bmd_total_hip_change_pct,bone_volume_pct")
    );
    assert_eq!(
        lines
            .clone()
            .filter(|l| l.starts_with("menopause_natural,"))
            .count(),
        481
    );
    assert_eq!(
        lines
            .filter(|l| l.starts_with("menopause_surgical,"))
            .count(),
        481
    );
    let svg = std::fs::read_to_string(dir.join("compare_lumbar_spine.svg")).unwrap();
    assert!(svg.contains("menopause_natural") && svg.contains("menopause_surgical"));

    // Models without bone mass: the shared columns in the CSV, the bone plots skipped with a
    // warning (issue 9, Why 6: this used to fail after simulating).
    let l = scenario_path("lemaire2004_pth");
    let out = bin(
        &[
            "compare",
            l.to_str().unwrap(),
            l.to_str().unwrap(),
            "--out",
            "cmp2",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("bone mass"),
        "{}",
        text(&out.stderr)
    );
    assert!(tmp.path().join("cmp2/compare.csv").exists());
    assert!(!tmp.path().join("cmp2/compare_bone_volume.png").exists());
}

#[test]
fn calibrate_writes_the_fitted_parameter_file_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let cal = tmp.path().join("small.toml");
    let scenario = scenario_path("rheumatoid_arthritis");
    std::fs::write(
        &cal,
        format!(
            "name = \"small\"\nmodel = \"immunoporosis\"\nmax_iterations = 30\n\n[[parameter]]\nname = \"innate.g_disease\"\ninitial = 0.5\nlower = 0.0\nupper = 10.0\n\n[[target]]\nscenario = \"{}\"\ncolumn = \"bmd_lumbar_spine_change_pct\"\ntime_days = 365.25\nvalue = -2.4\ntolerance = 0.4\n",
            scenario.display()
        ),
    )
    .unwrap();
    let out = bin(&["calibrate", cal.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // stderr is not a terminal here: the stages are written as lines, as in a log file.
    let log = text(&out.stderr);
    assert!(
        log.contains("calibrate [00:00:00] fitting 1 parameter to 1 target (")
            && log.contains("at most 30 iterations)")
            && log.contains("fit done: cost ")
            && log.contains("identifiability analysis (3 evaluations)"),
        "{log}"
    );
    let dir = tmp.path().join("output/calibration/small");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fit_report.json")).unwrap())
            .unwrap();
    assert_eq!(report["all_targets_met"], true, "{report}");
    let fitted = report["parameters"][0]["fitted"].as_f64().unwrap();
    assert!(
        (fitted - 0.5).abs() > 0.1,
        "the parameter moved from its start: {fitted}"
    );
    let params = std::fs::read_to_string(dir.join("immunoporosis.toml")).unwrap();
    // (serde_json's default float parsing may differ from Rust's in the last digit.)
    let written: f64 = params
        .lines()
        .skip_while(|l| !l.contains("[parameters.innate.g_disease]"))
        .find_map(|l| l.strip_prefix("value = "))
        .and_then(|v| v.parse().ok())
        .expect("value line");
    assert!(
        (written - fitted).abs() <= 1e-14 * fitted.abs(),
        "fitted value {fitted} written into the parameter file: {written}"
    );
    assert!(
        std::fs::read_to_string(dir.join("fit_report.md"))
            .unwrap()
            .contains("| yes |")
    );
    // The written parameter file is a valid parameter set.
    immunoporosis::config::load_params(
        immunoporosis::model::ModelId::Immunoporosis,
        &dir.join("immunoporosis.toml"),
    )
    .unwrap();
}

#[test]
fn calibrate_no_fit_reports_the_identifiability_at_the_parameter_files_values() {
    let tmp = tempfile::tempdir().unwrap();
    let cal = tmp.path().join("small.toml");
    let scenario = scenario_path("rheumatoid_arthritis");
    // Two targets informed by the disease strength; zoledronate is not dosed in the scenario,
    // so no target depends on its Emax.
    std::fs::write(
        &cal,
        format!(
            "name = \"small\"\nmodel = \"immunoporosis\"\nmax_iterations = 30\n\n[[parameter]]\nname = \"innate.g_disease\"\ninitial = 2.0\nlower = 0.0\nupper = 10.0\n\n[[parameter]]\nname = \"zoledronate.Emax\"\ninitial = 2.0\nlower = 0.0\nupper = 50.0\n\n[[target]]\nscenario = \"{0}\"\ncolumn = \"bmd_lumbar_spine_change_pct\"\ntime_days = 365.25\nvalue = -2.4\ntolerance = 0.4\n\n[[target]]\nscenario = \"{0}\"\ncolumn = \"bmd_total_hip_change_pct\"\ntime_days = 365.25\nvalue = -3.0\ntolerance = 0.5\n",
            scenario.display()
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("report");
    let out = bin(
        &[
            "calibrate",
            cal.to_str().unwrap(),
            "--no-fit",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("## Identifiability"),
        "{}",
        text(&out.stdout)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("fit_report.json")).unwrap())
            .unwrap();
    assert_eq!(report["optimised"], false);
    assert_eq!(report["iterations"], 0);
    // The values are the parameter file's, not the calibration's starting values.
    let params =
        immunoporosis::config::bundled_params(immunoporosis::model::ModelId::Immunoporosis)
            .unwrap();
    let id = &report["identifiability"];
    assert_eq!(id["evaluations"], 5, "1 + 2 per parameter");
    for (k, name) in ["innate.g_disease", "zoledronate.Emax"].iter().enumerate() {
        let p = &id["parameters"][k];
        assert_eq!(p["name"], *name);
        assert_eq!(
            p["value"].as_f64().unwrap(),
            params.params[*name].value,
            "{name}"
        );
        assert_eq!(report["parameters"][k]["fitted"], p["value"]);
    }
    let disease = &id["parameters"][0];
    assert_eq!(disease["informing_targets"], 2, "{disease}");
    assert!(disease["relative_se"].as_f64().unwrap() > 0.0, "{disease}");
    assert!(
        !disease["verdict"].as_str().unwrap().starts_with("not"),
        "{disease}"
    );
    let zol = &id["parameters"][1];
    assert_eq!(zol["informing_targets"], 0, "{zol}");
    assert_eq!(zol["verdict"], "not identifiable (no target depends on it)");
    assert!(zol["se"].is_null(), "unbounded: {zol}");
    // The Markdown report has the section, one row per parameter, and says it was not fitted.
    let md = std::fs::read_to_string(out_dir.join("fit_report.md")).unwrap();
    assert!(md.contains("**Not fitted** (`--no-fit`)"), "{md}");
    let section = md.split("## Identifiability").nth(1).expect("section");
    assert!(section.contains("| `innate.g_disease` |"), "{section}");
    assert!(
        section.contains("| `zoledronate.Emax` |")
            && section.contains("not identifiable (no target depends on it)"),
        "{section}"
    );
    assert!(section.contains("Eigenvalues of F"), "{section}");
    // The correlation matrix: symmetric, 1 on the diagonal.
    let (header, rows) = {
        let csv = std::fs::read_to_string(out_dir.join("identifiability.csv")).unwrap();
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let rows: Vec<Vec<f64>> = lines
            .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
            .collect();
        (header, rows)
    };
    assert_eq!(
        header,
        ["parameter", "innate.g_disease", "zoledronate.Emax"]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0][0], rows[1][1]), (1.0, 1.0));
    assert_eq!(rows[0][1], rows[1][0]);
    // The same parameter files as a fit writes, here with the values unchanged.
    assert_eq!(
        std::fs::read_to_string(out_dir.join("immunoporosis.toml")).unwrap(),
        immunoporosis::model::ModelId::Immunoporosis
            .bundled_params()
            .1
    );
    // Nothing to write back without a fit.
    let out = bin(
        &[
            "calibrate",
            cal.to_str().unwrap(),
            "--no-fit",
            "--write-params",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn sweep_sensitivity_and_population_run_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let analyses = root().join("params/analyses");
    let arg = |f: &str| analyses.join(f).to_str().unwrap().to_string();

    let out = bin(&["sweep", &arg("sweep_lemaire_opg_rankl.toml")], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1000 runs") && text(&out.stdout).contains("(0 failed)"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {}",
        text(&out.stderr)
    );
    let dir = tmp.path().join("output/sweep/lemaire_opg_rankl");
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("run,input.I_O,input.I_L,R_end,B_end,C_end,status,error")
    );
    assert_eq!(csv.lines().count(), 1001);
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",ok,")));
    for f in [
        "heatmap_C_end.png",
        "heatmap_C_end.svg",
        "heatmap_R_end.png",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }

    let out = bin(
        &[
            "sweep",
            &arg("sweep_menopause_turnover.toml"),
            "--threads",
            "1",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        tmp.path()
            .join("output/sweep/menopause_mechanostat/sweep_ls_bmd_10y.png")
            .is_file()
    );

    let out = bin(
        &[
            "sensitivity",
            &arg("sensitivity_menopause.toml"),
            "--seed",
            "3",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/sensitivity/menopause");
    for f in [
        "local.csv",
        "morris.csv",
        "sobol.csv",
        "sensitivity.json",
        "tornado_ls_bmd_10y.png",
        "sobol_total_ls_bmd_10y.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let sobol = std::fs::read_to_string(dir.join("sobol.csv")).unwrap();
    assert_eq!(sobol.lines().count(), 1 + 6 * 4);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sensitivity.json")).unwrap())
            .unwrap();
    assert_eq!(json["seed"], 3);

    let out = bin(
        &["population", &arg("population_menopause.toml")],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/population/menopause");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["patients"], 200);
    let fraction = summary["responders"]["fraction"].as_f64().unwrap();
    assert!(fraction > 0.0 && fraction < 1.0, "{fraction}");
    assert!(dir.join("band_bmd_lumbar_spine_change_pct.png").is_file());
    let bands = std::fs::read_to_string(dir.join("bands.csv")).unwrap();
    assert_eq!(
        bands.lines().next(),
        Some("column,t_day,p05,p25,p50,p75,p95")
    );
    // Every row in order: p05 <= p25 <= p50 <= p75 <= p95.
    for line in bands.lines().skip(1) {
        let p: Vec<f64> = line
            .split(',')
            .skip(2)
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(p.len(), 5, "{line}");
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{line}");
    }
    for k in ["p05", "p25", "p50", "p75", "p95"] {
        assert!(
            summary["endpoints"][0]["distribution"][k].is_f64(),
            "{k} in {summary}"
        );
    }

    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nscenario = \"nope.toml\"\n").unwrap();
    let out = bin(&["sweep", bad.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.toml:2: key `scenario`: file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dose_events_are_marked_on_the_plots_and_listed_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(
        &[
            "run",
            scenario_path("denosumab_single_dose").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/denosumab_single_dose");
    let svg = std::fs::read_to_string(dir.join("markers.svg")).unwrap();
    assert!(
        svg.contains("denosumab"),
        "dose strip (a row named after the drug) missing"
    );
    let untreated = bin(
        &["run", scenario_path("healthy").to_str().unwrap()],
        tmp.path(),
    );
    assert!(untreated.status.success());
    let svg = std::fs::read_to_string(tmp.path().join("output/healthy/markers.svg")).unwrap();
    assert!(!svg.contains("denosumab"), "no dose strip without doses");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let events = manifest["scenario"]["dose_events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["state"], "Den_depot");
    assert_eq!(events[0]["amount"], 60.0);
}
