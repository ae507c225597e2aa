//! `validate`: the band rule, standard errors from SD and n or a CI, verdicts, differences of arms
//! and changes between times against direct runs, the split from the calibration targets, bad
//! files with key and line, and the command end to end (outputs, summary line, folder safety).

use crate::util::{root, run};
use immunoporosis::analysis::value_at;
use immunoporosis::config::load_validation;
use immunoporosis::output;
use immunoporosis::validation::{self, Verdict, band, se_from_ci, verdict};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary repository: `params/<folder>` links to the bundled folders, and an empty
/// `params/validation/` for the test's files.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let params = dir.path().join("params");
        std::fs::create_dir(&params).unwrap();
        for entry in std::fs::read_dir(root().join("params")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap();
            if path.is_dir() && name != "validation" {
                std::os::unix::fs::symlink(&path, params.join(name)).unwrap();
            }
        }
        std::fs::create_dir(params.join("validation")).unwrap();
        Repo { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `params/validation/<name>` and returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join("params/validation").join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn bin(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("binary runs")
    }
}

const STUDY: &str = r#"
name = "test"

[[study]]
id = "s1"
citation = "Author A, et al. 2010 J Test 1:1-10"
population = "test population"
category = "menopause"
"#;

/// An outcome with the given extra lines (scenario, column, time, uncertainty).
fn outcome(name: &str, body: &str) -> String {
    format!("\n[[outcome]]\nstudy = \"s1\"\nname = \"{name}\"\nwhere = \"Table 1\"\n{body}\n")
}

const HIP_1Y: &str = r#"scenario = "../scenarios/menopause_surgical.toml"
column = "bmd_total_hip_change_pct"
time_days = 365.25
value = -3.0
se = 0.5"#;

fn load(repo: &Repo, text: &str) -> Result<validation::Validation, String> {
    let f = repo.file("t.toml", text);
    load_validation(&[f], &[]).map_err(|e| e.to_string())
}

fn error(text: &str) -> String {
    let repo = Repo::new();
    match load(&repo, text) {
        Ok(_) => panic!("loaded without error:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn the_band_is_the_widest_of_two_se_thirty_percent_and_one_point() {
    // 2 SE wins: 2 x 2.0 = 4 > 0.3 x 3.3 and > 1.
    assert_eq!(band(-3.3, 2.0), (-7.3, 0.7000000000000002));
    // 30 % wins: 0.3 x 20 = 6 > 2 x 1 and > 1.
    let (lo, hi) = band(-20.0, 1.0);
    assert!(
        (lo + 26.0).abs() < 1e-12 && (hi + 14.0).abs() < 1e-12,
        "{lo} {hi}"
    );
    // One percentage point wins: 2 x 0.1 and 0.3 x 1.5 are below 1.
    assert_eq!(band(1.5, 0.1), (0.5, 2.5));
}

#[test]
fn standard_errors_from_sd_and_n_and_from_a_ci() {
    assert!((se_from_ci(-4.0, -2.0) - 2.0 / 3.92).abs() < 1e-15);
    let repo = Repo::new();
    let text = format!(
        "{STUDY}{}{}{}",
        outcome("a", HIP_1Y),
        outcome(
            "b",
            &HIP_1Y
                .replace("se = 0.5", "sd = 2.0\nn = 16")
                .replace("365.25", "730.5")
        ),
        outcome(
            "c",
            &HIP_1Y
                .replace("se = 0.5", "ci = [-4.0, -2.0]")
                .replace("365.25", "1095.75")
        )
    );
    let v = load(&repo, &text).unwrap();
    let se: Vec<f64> = v.outcomes.iter().map(|o| o.se).collect();
    assert_eq!(se[0], 0.5);
    assert_eq!(se[1], 0.5, "2 / sqrt(16)");
    assert!((se[2] - 2.0 / (2.0 * 1.96)).abs() < 1e-15);
}

#[test]
fn verdicts_within_outside_and_wrong_direction() {
    let b = band(-3.3, 0.4); // [-4.3, -2.3], excludes 0
    assert_eq!(verdict(-3.3, b, -3.0), Verdict::Within);
    assert_eq!(verdict(-3.3, b, -6.0), Verdict::Outside);
    assert_eq!(verdict(-3.3, b, -0.5), Verdict::Outside);
    assert_eq!(verdict(-3.3, b, 0.0), Verdict::Outside, "0 has no sign");
    assert_eq!(verdict(-3.3, b, 0.8), Verdict::WrongDirection);
    // A band that holds 0 cannot be missed in the wrong direction.
    let b = band(0.5, 0.1); // [-0.5, 1.5]
    assert_eq!(verdict(0.5, b, -2.0), Verdict::Outside);
}

#[test]
fn differences_of_arms_and_changes_between_times_match_direct_runs() {
    let repo = Repo::new();
    let text = format!(
        "{STUDY}{}{}",
        outcome(
            "dmab ctx over placebo",
            r#"scenario = "../scenarios/denosumab_freedom.toml"
minus_scenario = "../scenarios/placebo_pmo.toml"
column = "ctx_change_pct"
time_days = 365.25
value = -60.0
se = 5.0"#
        ),
        outcome(
            "hip, year 1 to 2",
            &HIP_1Y.replace(
                "time_days = 365.25",
                "from_days = 365.25\ntime_days = 730.5"
            )
        )
    );
    let v = load(&repo, &text).unwrap();
    assert_eq!(v.scenarios.len(), 3, "each distinct scenario once");
    let e = validation::evaluate(&v, &|| {}).unwrap();
    let at =
        |stem: &str, column: &str, day: f64| value_at(&run(stem).trajectory, column, day).unwrap();
    let want = at("denosumab_freedom", "ctx_change_pct", 365.25)
        - at("placebo_pmo", "ctx_change_pct", 365.25);
    assert!((e.outcomes[0].model - want).abs() <= 1e-12 * want.abs().max(1.0));
    // A percent change counted from day 365.25, as a study that starts there reports it: the
    // change relative to the BMD of that day, not the difference of two changes from day 0.
    let hip = "bmd_total_hip_change_pct";
    let (p1, p2) = (
        at("menopause_surgical", hip, 365.25),
        at("menopause_surgical", hip, 730.5),
    );
    let want = 100.0 * ((100.0 + p2) / (100.0 + p1) - 1.0);
    assert!((e.outcomes[1].model - want).abs() <= 1e-12 * want.abs().max(1.0));
    assert!(
        want != 0.0 && (want - (p2 - p1)).abs() > 1e-3,
        "{want} {p1} {p2}"
    );
    // A column that is not a percent change is a plain difference.
    assert_eq!(validation::change("CTX_pM", 2.0, 5.0), 3.0);
    // The curve of the change is 0 at its baseline and the outcome's value at its time.
    let curve = e.curve(&v.outcomes[1]).unwrap();
    let value = |day: f64| {
        curve
            .iter()
            .find(|(t, _)| (t - day).abs() < 1e-9)
            .unwrap()
            .1
    };
    assert!(value(365.25).abs() < 1e-12);
    assert!((value(730.5) - want).abs() < 1e-12);
}

#[test]
fn an_outcome_that_is_a_calibration_target_is_refused() {
    let target = r#"scenario = "../scenarios/menopause_natural.toml"
column = "bmd_lumbar_spine_change_pct"
time_days = 730.5
value = -6.6
se = 0.5"#;
    let text = format!("{STUDY}{}", outcome("swan 2 years", target));
    let e = error(&text);
    assert!(
        e.contains("t.toml:16: key `outcome[0].time_days`")
            && e.contains(
                "calibration target `natural menopause, lumbar spine, 2 years after the FMP`"
            )
            && e.contains("params/calibration/immunoporosis.toml:"),
        "{e}"
    );
    // Through the binary: exit code 2, nothing written.
    let repo = Repo::new();
    repo.file("t.toml", &text);
    let out = repo.bin(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outcome[0].time_days"));
    assert!(!repo.path().join("output").exists(), "nothing written");
    // The same quantity at another time is not a target.
    let other = target.replace("730.5", "1095.75");
    assert!(load(&repo, &format!("{STUDY}{}", outcome("x", &other))).is_ok());
    // An explicit calibration file replaces the repository's.
    let f = repo.file("t.toml", &text);
    let cal = repo.path().join("none.toml");
    std::fs::write(&cal, "name = \"x\"\n").unwrap();
    assert!(load_validation(&[f], &[cal]).is_ok());
}

#[test]
fn bad_files_name_file_key_and_line() {
    let cases: Vec<(String, &[&str])> = vec![
        (
            format!("{STUDY}{}", outcome("a", &format!("{HIP_1Y}\ncolour = 1"))),
            &["t.toml:", "unknown field `colour`"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", HIP_1Y).replace("study = \"s1\"", "study = \"s2\"")
            ),
            &[
                "t.toml:11: key `outcome[0].study`",
                "no `[[study]]` with id `s2`",
                "did you mean `s1`?",
            ],
        ),
        (
            format!(
                "{}{}",
                STUDY.replace("\"menopause\"", "\"menopaus\""),
                outcome("a", HIP_1Y)
            ),
            &[
                "t.toml:8: key `study[0].category`",
                "unknown category `menopaus`",
                "did you mean `menopause`?",
            ],
        ),
        (
            format!(
                "{}{}",
                STUDY.replace("citation = \"Author A, et al. 2010 J Test 1:1-10\"\n", ""),
                outcome("a", HIP_1Y)
            ),
            &["key `study[0].citation`", "missing required key `citation`"],
        ),
        (
            format!(
                "{STUDY}[[study]]{}{}",
                STUDY.split_once("[[study]]").unwrap().1,
                outcome("a", HIP_1Y)
            ),
            &["key `study[1].id`", "study `s1` is defined twice"],
        ),
        (
            format!(
                "{STUDY}{}{}",
                outcome("a", HIP_1Y),
                outcome("a", &HIP_1Y.replace("365.25", "730.5"))
            ),
            &["key `outcome[1].name`", "outcome `a` is defined twice"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &format!("{HIP_1Y}\nci = [-4.0, -2.0]"))
            ),
            &[
                "key `outcome[0].se`",
                "exactly one of `se`, `sd` with `n`, or `ci`",
            ],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("se = 0.5", "sd = 2.0"))
            ),
            &["key `outcome[0].n`", "missing required key `n`"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("se = 0.5", "se = -0.5"))
            ),
            &[
                "t.toml:18: key `outcome[0].se`",
                "must be a positive number",
            ],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("se = 0.5", "sd = 2.0\nn = 0"))
            ),
            &["key `outcome[0].n`", "must be a positive number"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("se = 0.5", "ci = [-2.0, -4.0]"))
            ),
            &["key `outcome[0].ci`", "lower < upper"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("365.25", "365.0"))
            ),
            &[
                "t.toml:16: key `outcome[0].time_days`",
                "365 day is not an output time of scenario `menopause_surgical`",
            ],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome(
                    "a",
                    &HIP_1Y.replace("bmd_total_hip_change_pct", "bmd_total_hip_pct")
                )
            ),
            &[
                "t.toml:15: key `outcome[0].column`",
                "no output column `bmd_total_hip_pct`",
                "did you mean `bmd_total_hip_change_pct`?",
            ],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome(
                    "a",
                    &format!("{HIP_1Y}\nminus_scenario = \"../scenarios/rankl_excess.toml\"")
                )
            ),
            &["key `outcome[0].minus_scenario`", "uses model `bone`"],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome(
                    "a",
                    &HIP_1Y.replace("menopause_surgical", "menopause_surgicl")
                )
            ),
            &[
                "t.toml:14: key `outcome[0].scenario`",
                "menopause_surgicl.toml` does not exist",
            ],
        ),
        (
            format!(
                "{STUDY}{}",
                outcome("a", &HIP_1Y.replace("where = \"Table 1\"", ""))
            )
            .replace("where = \"Table 1\"\n", ""),
            &["key `outcome[0].where`", "missing required key `where`"],
        ),
    ];
    for (text, wanted) in cases {
        let e = error(&text);
        for w in wanted {
            assert!(e.contains(w), "`{w}` not in:\n{e}\n--- file:\n{text}");
        }
    }
}

#[test]
fn the_command_writes_tables_and_figures_and_prints_the_summary() {
    let repo = Repo::new();
    // A second study (the extension of the first) on the same scenario and column: one
    // time-course figure holds both.
    let second = STUDY
        .replace("name = \"test\"", "")
        .replace("\"s1\"", "\"s2\"")
        .replace("Author A, et al. 2010", "Author A, et al. 2012");
    let text = format!(
        "{STUDY}{}{}{second}{}",
        outcome("hip 1y", HIP_1Y),
        outcome(
            "hip 2y",
            &HIP_1Y.replace("365.25", "730.5").replace("-3.0", "-5.0")
        ),
        outcome(
            "hip 3y wrong sign",
            &HIP_1Y.replace("365.25", "1095.75").replace("-3.0", "+40.0")
        )
        .replace("\"s1\"", "\"s2\"")
    );
    repo.file("t.toml", &text);
    let out = repo.bin(&["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let dir = repo.path().join("output/validation");
    let csv = std::fs::read_to_string(dir.join("validation.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][11], "wrong direction", "{csv}");
    let count = |v: &str| rows.iter().filter(|r| r[11] == v).count();
    assert_eq!(
        lines[0],
        format!(
            "{} within band, {} outside, {} wrong direction",
            count("within"),
            count("outside"),
            count("wrong direction")
        )
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("validation.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["wrong_direction"], 1);
    assert_eq!(
        json["outcomes"][0]["citation"],
        "Author A, et al. 2010 J Test 1:1-10"
    );
    for f in [
        "parity.png",
        "parity.svg",
        "timecourse_menopause_surgical_bmd_total_hip_change_pct.png",
        "timecourse_menopause_surgical_bmd_total_hip_change_pct.svg",
    ] {
        let meta = std::fs::metadata(dir.join(f)).unwrap_or_else(|_| panic!("{f} missing"));
        assert!(meta.len() > 1000, "{f}");
    }
    let svg = std::fs::read_to_string(dir.join("parity.svg")).unwrap();
    let all = texts(&svg);
    for t in [
        "Model against published outcomes",
        "A",
        "Bone mineral density and bone volume",
        "published change (% or the column's unit)",
        "model (same unit)",
        "menopause (3)",
        "within band",
        "outside band",
        "wrong direction",
    ] {
        assert!(all.iter().any(|x| x == t), "`{t}` missing from {all:?}");
    }
    assert!(
        all.iter()
            .any(|x| x.starts_with("3 outcomes, ") && x.ends_with(" within their band")),
        "{all:?}"
    );
    // Two journal columns wide at 300 dpi, its print size in the SVG.
    let (w, h) = output::validation::PARITY_MM;
    assert!(svg.contains(&format!("width=\"{w:.0}.")), "{}", &svg[..200]);
    let png = std::fs::read(dir.join("parity.png")).unwrap();
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let px = |mm: f64| (mm / 25.4 * 300.0).round() as u32;
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (px(w), px(h)));
    let svg = std::fs::read_to_string(
        dir.join("timecourse_menopause_surgical_bmd_total_hip_change_pct.svg"),
    )
    .unwrap();
    let all = texts(&svg);
    for t in [
        "Author et al. 2010",
        "Author et al. 2012",
        "model",
        "total hip BMD change (%)",
    ] {
        assert!(all.iter().any(|x| x == t), "`{t}` missing from {all:?}");
    }
    assert!(
        all.iter()
            .any(|x| x.starts_with("total hip BMD change (%): ")),
        "a human title: {all:?}"
    );
    assert!(
        all.iter()
            .any(|x| x == "time (years)" || x == "time (days)"),
        "{all:?}"
    );
    assert!(!dir.join("timecourse_s1.png").exists());
    // --write-docs regenerates docs/validation.md of the repository.
    let out = repo.bin(&["validate", "--write-docs"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = std::fs::read_to_string(repo.path().join("docs/validation.md")).unwrap();
    assert!(
        docs.contains("## menopause") && docs.contains("Author A, et al. 2010"),
        "{docs}"
    );
}

#[test]
fn the_output_folder_is_never_one_immunoporosis_did_not_write() {
    let repo = Repo::new();
    repo.file("t.toml", &format!("{STUDY}{}", outcome("hip 1y", HIP_1Y)));
    let mine = repo.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.md"), "keep").unwrap();
    for args in [
        &["validate", "--out", "mine"][..],
        &["validate", "--out", "mine", "--force"],
    ] {
        let out = repo.bin(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(mine.join("notes.md")).unwrap(),
            "keep"
        );
        assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    }
    // A previous result is replaced; with a file added, only with --force.
    assert!(repo.bin(&["validate", "--out", "ours"]).status.success());
    assert!(repo.bin(&["validate", "--out", "ours"]).status.success());
    std::fs::write(repo.path().join("ours/added.txt"), "x").unwrap();
    assert_eq!(
        repo.bin(&["validate", "--out", "ours"]).status.code(),
        Some(2)
    );
    assert!(
        repo.bin(&["validate", "--out", "ours", "--force"])
            .status
            .success()
    );
    assert!(!repo.path().join("ours/added.txt").exists());
}

// ---- the bundled suite (params/validation/): its verdicts are the model's record ----

// The record: written by scripts/results/validation_record.py from a validate run.
include!("validation_record.rs");

/// The bundled validation files, every one, against the committed parameters: the outcomes
/// within their band stay within it (a regression fails), the ones outside stay outside until
/// they are moved into `WITHIN` (so the record and docs/validation.md are updated together),
/// and no outcome turns to the wrong direction that is not already listed.
#[test]
fn the_bundled_validation_outcomes_keep_their_verdicts() {
    let files = immunoporosis::config::toml_files(&root().join("params/validation"));
    let v = load_validation(&files, &[]).unwrap();
    assert!(v.outcomes.len() >= 60, "{} outcomes", v.outcomes.len());
    let studies: std::collections::BTreeSet<&str> =
        v.studies.iter().map(|s| s.citation.as_str()).collect();
    assert!(studies.len() >= 20, "{} studies", studies.len());
    let e = validation::evaluate(&v, &|| {}).unwrap();
    let mut changed = Vec::new();
    for (o, r) in v.outcomes.iter().zip(&e.outcomes) {
        let listed_within = WITHIN.contains(&o.name.as_str());
        let listed_wrong = WRONG_DIRECTION.contains(&o.name.as_str());
        let within = r.verdict == Verdict::Within;
        let wrong = r.verdict == Verdict::WrongDirection;
        if within != listed_within || wrong != listed_wrong {
            changed.push(format!(
                "{}: {} ({:.3} against [{:.3}, {:.3}]), listed as {}",
                o.name,
                r.verdict.as_str(),
                r.model,
                r.band.0,
                r.band.1,
                if listed_within {
                    "within"
                } else if listed_wrong {
                    "wrong direction"
                } else {
                    "outside"
                }
            ));
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
    for name in WITHIN.iter().chain(&WRONG_DIRECTION) {
        assert!(v.outcomes.iter().any(|o| o.name == *name), "{name}");
    }
}

/// Every bundled outcome outside its band (not in `WITHIN`) is explained in
/// docs/validation_misses.md, by its name in quotes, and every name quoted there is an outcome
/// outside its band.
#[test]
fn every_miss_of_the_bundled_suite_is_explained() {
    let files = immunoporosis::config::toml_files(&root().join("params/validation"));
    let v = load_validation(&files, &[]).unwrap();
    let doc = std::fs::read_to_string(root().join("docs/validation_misses.md")).unwrap();
    let misses: Vec<&str> = v
        .outcomes
        .iter()
        .map(|o| o.name.as_str())
        .filter(|n| !WITHIN.contains(n))
        .collect();
    let unexplained: Vec<&&str> = misses
        .iter()
        .filter(|n| !doc.contains(&format!("- \"{n}\"")))
        .collect();
    assert!(
        unexplained.is_empty(),
        "not in docs/validation_misses.md: {unexplained:?}"
    );
    let listed = doc.lines().filter(|l| l.starts_with("- \"")).count();
    assert_eq!(
        listed,
        misses.len(),
        "docs/validation_misses.md lists other outcomes"
    );
}

/// The texts of an SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().replace("&apos;", "'"))
        })
        .collect()
}
