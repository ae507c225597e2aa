//! `report.html`: every command that writes an output folder writes one, registered in the
//! marker, self-contained; opened in headless Chromium, every image loads, nothing is logged to
//! the console and nothing is requested from the network (`browser.rs`).

use crate::browser::{self, Browser};
use crate::util::{root, scenario_path};
use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin(args: &[&str], cwd: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sha256(path: &Path) -> String {
    let d = sha2::Sha256::digest(std::fs::read(path).unwrap());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A bone-model scenario with one parameter changed from the bundled value.
fn scenario_with_override(dir: &Path) -> PathBuf {
    let p = dir.join("override.toml");
    std::fs::write(
        &p,
        "name = \"override\"\ndescription = \"extra RANKL with a changed osteoclast apoptosis\"\nmodel = \"bone\"\nduration_days = 1100.0\noutput_interval_days = 5.0\n\n[parameters]\n\"osteoclast.A_OCa\" = 0.6\n\n[[input]]\nname = \"P_RANKL_d\"\nvalue = 200.0\nunit = \"pM/day\"\nstart_day = 100.0\n",
    )
    .unwrap();
    p
}

/// A one-parameter Lemaire calibration (as in `calibration.rs`) in `dir`.
fn small_calibration(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("s.toml"),
        "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 100.0\noutput_interval_days = 10.0\n",
    )
    .unwrap();
    let cal = dir.join("c.toml");
    std::fs::write(
        &cal,
        "name = \"c\"\nmodel = \"lemaire2004\"\nmax_iterations = 5\n\n[[parameter]]\nname = \"osteoblast.k_B\"\ninitial = 0.2\nlower = 0.1\nupper = 0.3\n\n[[target]]\nscenario = \"s.toml\"\ncolumn = \"C_pM\"\ntime_days = 100.0\nvalue = 1e-3\ntolerance = 1e-4\n",
    )
    .unwrap();
    cal
}

/// Runs every command into `tmp` and returns (command, output folder, expected headings).
fn every_command(tmp: &Path) -> Vec<(&'static str, PathBuf, Vec<&'static str>)> {
    let out = |name: &str| tmp.join(name);
    let analyses = root().join("params/analyses");
    let over = scenario_with_override(tmp);
    bin(&["run", path(&over), "--out", path(&out("run"))], tmp);
    let (a, b) = (
        scenario_path("denosumab_single_dose"),
        scenario_path("rankl_excess"),
    );
    bin(
        &[
            "compare",
            path(&a),
            path(&b),
            "--out",
            path(&out("compare")),
        ],
        tmp,
    );
    for (cmd, file) in [
        ("sweep", "sweep_lemaire_opg_rankl.toml"),
        ("sensitivity", "sensitivity_menopause.toml"),
        ("population", "population_menopause.toml"),
        ("knockout", "knockout.toml"),
    ] {
        bin(
            &[cmd, path(&analyses.join(file)), "--out", path(&out(cmd))],
            tmp,
        );
    }
    let cal = small_calibration(tmp);
    bin(
        &["calibrate", path(&cal), "--out", path(&out("calibrate"))],
        tmp,
    );
    let validation = root().join("params/validation/denosumab.toml");
    bin(
        &[
            "validate",
            path(&validation),
            "--out",
            path(&out("validate")),
        ],
        root().as_path(),
    );
    vec![
        (
            "run",
            out("run"),
            vec![
                "Key endpoints",
                "Figures",
                "Scenario",
                "Parameters that differ from the defaults",
                "Steady state and stability",
                "Solver statistics",
                "Provenance",
            ],
        ),
        (
            "compare",
            out("compare"),
            vec!["Scenarios", "Key endpoints", "Figures", "Combined table"],
        ),
        (
            "sweep",
            out("sweep"),
            vec!["Results", "Figures", "Endpoints"],
        ),
        (
            "sensitivity",
            out("sensitivity"),
            vec!["Results", "Figures"],
        ),
        ("population", out("population"), vec!["Results", "Figures"]),
        (
            "knockout",
            out("knockout"),
            vec!["Results", "Figures", "Contexts"],
        ),
        (
            "calibrate",
            out("calibrate"),
            vec!["Fit against the targets", "Fitted parameters"],
        ),
        (
            "validate",
            out("validate"),
            vec!["Verdict", "Figures", "Studies"],
        ),
    ]
}

#[test]
fn every_command_writes_a_report_that_loads_whole_in_a_browser() {
    // Checked before the runs: a missing browser fails at once (unless explicitly skipped).
    let chromium = browser::chromium();
    let tmp = tempfile::tempdir().unwrap();
    let reports = every_command(tmp.path());
    for (cmd, dir, _) in &reports {
        let marker = std::fs::read_to_string(dir.join(".immunoporosis.json")).unwrap();
        assert!(
            marker.contains("\"report.html\""),
            "{cmd}: not in the marker: {marker}"
        );
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(!html.contains("<script"), "{cmd}: the report has a script");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{cmd}: links out"
        );
    }
    let Some(chromium) = chromium else { return };
    let mut b = Browser::launch(&chromium);
    let shots = std::env::var_os("IMMUNOPOROSIS_REPORT_SCREENSHOTS").map(PathBuf::from);
    for (cmd, dir, headings) in &reports {
        let page = b.check_page(&dir.join("report.html"));
        assert!(page.problems.is_empty(), "{cmd}: {:#?}", page.problems);
        let figures = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "png")
            })
            .count();
        assert_eq!(
            page.images.len(),
            figures,
            "{cmd}: every PNG of the folder is in the report"
        );
        for (alt, width, decoded) in &page.images {
            assert!(*width > 0 && *decoded, "{cmd}: image `{alt}` did not load");
        }
        for h in headings {
            assert!(
                page.headings.iter().any(|x| x == h),
                "{cmd}: no section `{h}` in {:?}",
                page.headings
            );
        }
        let (w, h) = browser::png_size(&page.screenshot).expect("the screenshot is a PNG");
        assert_eq!(w, browser::WIDTH, "{cmd}");
        assert!(h > 900, "{cmd}: page only {h} px high");
        if let Some(shots) = &shots {
            std::fs::create_dir_all(shots).unwrap();
            std::fs::write(shots.join(format!("{cmd}.png")), &page.screenshot).unwrap();
        }
    }
}

#[test]
fn a_run_report_shows_the_scenario_its_endpoints_and_its_changed_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_with_override(tmp.path());
    let out = tmp.path().join("run");
    bin(&["run", path(&scenario), "--out", path(&out)], tmp.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The input file's hash, computed here independently.
    assert!(
        html.contains(&sha256(&scenario)),
        "no SHA-256 of the scenario"
    );
    // The scenario as given, escaped.
    assert!(
        html.contains("&quot;osteoclast.A_OCa&quot; = 0.6"),
        "scenario text missing"
    );
    // The changed parameter in the differences table with its default (bundled) value.
    let start = html.find("id=\"parameters\"").unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    assert!(
        section.contains("osteoclast.A_OCa") && section.contains("0.6000"),
        "{section}"
    );
    assert_eq!(
        section.matches("<tr>").count(),
        2,
        "only the one changed parameter: {section}"
    );
    // The key endpoints are summary.json's, one decimal.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for row in summary["endpoints"].as_array().unwrap() {
        let spine = row["bmd_lumbar_spine_change_pct"].as_f64().unwrap();
        assert!(
            html.contains(&format!(">{spine:+.1}<")),
            "{spine:+.1} missing"
        );
    }
    assert_eq!(
        summary["endpoints"].as_array().unwrap().len(),
        3,
        "1, 2 and 3 years"
    );
}

#[test]
fn the_browser_check_catches_a_broken_image_a_console_error_and_a_request() {
    let Some(chromium) = browser::chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><h2>Bad</h2><img alt=\"broken\" src=\"data:image/png;base64,AAAA\"><img alt=\"remote\" src=\"http://127.0.0.1:9/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let mut b = Browser::launch(&chromium);
    let check = b.check_page(&page);
    assert_eq!(check.images.len(), 2);
    assert!(
        check.images.iter().all(|(_, w, ok)| *w == 0 && !ok),
        "{:?}",
        check.images
    );
    let text = check.problems.join("\n");
    assert!(text.contains("console.\"error\""), "{text}");
    assert!(
        text.contains("network request: http://127.0.0.1:9/x.png"),
        "{text}"
    );
    assert_eq!(check.headings, ["Bad"]);
}
