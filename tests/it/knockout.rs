//! The knock-out analysis (`immunoporosis knockout`, issue 11 item 4): the bundled file loads; a
//! small file runs end to end through the binary; its untouched rows are a plain `run` of the
//! scenario; a factor of 1 has exactly no effect; effects are value minus untouched; the table
//! does not depend on the number of threads; bad files are refused with file, key and line.
//! (Bad files through the binary, with nothing written: `tests/catalogue/analysis_files.toml`.)

use crate::util::root;
use immunoporosis::config;
use immunoporosis::model::immune::HANDLES;
use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run the binary")
}

/// A knock-out file with TNF and IL-17 at 0, 1 and 2 after surgical menopause.
fn small_file(dir: &Path) -> std::path::PathBuf {
    let repo = root();
    let text = format!(
        r#"name = "small"
description = "two handles, one context"
endpoints = "{repo}/params/endpoints/knockout.toml"
handles = ["TNF", "IL17"]
factors = [0, 1, 2]

[[context]]
label = "surgical menopause"
scenario = "{repo}/params/scenarios/menopause_surgical.toml"
"#,
        repo = repo.display()
    );
    let path = dir.join("small.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The rows of `knockout.csv` as maps from column to field.
fn read_table(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(fields.len(), header.len(), "row `{l}`");
            header
                .iter()
                .cloned()
                .zip(fields.iter().map(|f| f.to_string()))
                .collect()
        })
        .collect()
}

fn number(row: &std::collections::BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("`{column}` = `{}` is not a number", row[column]))
}

#[test]
fn the_bundled_knockout_file_loads_every_handle_in_three_contexts() {
    let s = config::load_knockout(&root().join("params/analyses/knockout.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let k = &s.knockout;
    let labels: Vec<&str> = k.contexts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "healthy adult",
            "surgical menopause",
            "rheumatoid arthritis"
        ]
    );
    let scenarios: Vec<&str> = k.contexts.iter().map(|c| c.scenario.as_str()).collect();
    assert_eq!(
        scenarios,
        ["healthy", "menopause_surgical", "rheumatoid_arthritis"]
    );
    assert_eq!(k.handles, HANDLES.to_vec());
    assert_eq!(k.factors, [0.0, 2.0]);
    let columns: Vec<&str> = k.endpoints.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["bmd_lumbar_spine_change_pct", "ctx_change_pct"]);
    assert_eq!(s.sort_by, 1, "the table is sorted by the menopause context");
    assert_eq!(k.runs(), 3 * (1 + HANDLES.len() * 2));
}

#[test]
fn a_small_knockout_runs_end_to_end_and_its_untouched_rows_are_a_plain_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small_file(tmp.path());
    let out = bin(
        &["knockout", file.to_str().unwrap(), "--out", "ko"],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 runs"), "{stdout}");
    for name in [
        "knockout.csv",
        "summary.json",
        "knockout.png",
        "knockout.svg",
        immunoporosis::output::MARKER,
    ] {
        let p = tmp.path().join("ko").join(name);
        assert!(
            p.is_file() && p.metadata().unwrap().len() > 0,
            "{name} missing"
        );
    }
    let rows = read_table(&tmp.path().join("ko/knockout.csv"));
    assert_eq!(rows.len(), 7, "untouched + 2 handles x 3 factors");
    let handles: Vec<&str> = rows.iter().map(|r| r["handle"].as_str()).collect();
    assert_eq!(
        handles,
        ["untouched", "TNF", "TNF", "TNF", "IL17", "IL17", "IL17"]
    );
    assert!(rows.iter().all(|r| r["status"] == "ok"));

    // The untouched row is the plain run of the scenario at day 365.25, to the last digit.
    let run = bin(
        &[
            "run",
            root()
                .join("params/scenarios/menopause_surgical.toml")
                .to_str()
                .unwrap(),
            "--out",
            "plain",
        ],
        tmp.path(),
    );
    assert!(run.status.success());
    let (header, series) = crate::util::read_csv(&tmp.path().join("plain/timeseries.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let year = series
        .iter()
        .find(|r| r[col("t_day")] == 365.25)
        .expect("an output row at day 365.25");
    let untouched = &rows[0];
    assert_eq!(
        number(untouched, "spine_BMD_1y"),
        year[col("bmd_lumbar_spine_change_pct")]
    );
    assert_eq!(number(untouched, "CTX_1y"), year[col("ctx_change_pct")]);
    assert!(
        number(untouched, "spine_BMD_1y") < -1.0,
        "surgical menopause loses spine bone in its first year"
    );

    for r in &rows[1..] {
        for e in ["spine_BMD_1y", "CTX_1y"] {
            let effect = number(r, &format!("{e}_effect"));
            // The effect is the run's value minus the untouched value, in percentage points.
            assert_eq!(effect, number(r, e) - number(untouched, e), "{r:?}");
            if number(r, "factor") == 1.0 {
                assert_eq!(
                    effect, 0.0,
                    "a factor of 1 leaves the element untouched: {r:?}"
                );
            } else {
                assert_ne!(
                    effect, 0.0,
                    "{} at x{} has no effect on {e}",
                    r["handle"], r["factor"]
                );
            }
        }
    }
    // The printed table: the knock-out effects, the largest effect on spine BMD first.
    let ko = |handle: &str| {
        let r = rows
            .iter()
            .find(|r| r["handle"] == handle && number(r, "factor") == 0.0)
            .unwrap();
        number(r, "spine_BMD_1y_effect")
    };
    let position = |handle: &str| {
        stdout
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{handle} ")))
            .unwrap_or_else(|| panic!("no table row for {handle}: {stdout}"))
    };
    assert_eq!(
        position("TNF") < position("IL17"),
        ko("TNF") > ko("IL17"),
        "{stdout}"
    );
    let png = std::fs::read(tmp.path().join("ko/knockout.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(tmp.path().join("ko/knockout.svg")).unwrap();
    for label in [
        "spine_BMD_1y",
        "CTX_1y",
        "surgical menopause",
        "percentage points",
        "TNF",
    ] {
        assert!(svg.contains(label), "the figure lacks `{label}`");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("ko/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["runs"], 7);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["endpoints"][0]["effect_unit"], "percentage points");
}

#[test]
fn the_knockout_table_does_not_depend_on_the_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small_file(tmp.path());
    let file = file.to_str().unwrap();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let o = bin(
            &["knockout", file, "--out", out, "--threads", threads],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let one = std::fs::read(tmp.path().join("one/knockout.csv")).unwrap();
    let two = std::fs::read(tmp.path().join("two/knockout.csv")).unwrap();
    assert_eq!(one, two);
}

/// Loads a knock-out file written into a temporary folder (`{repo}` is the repository).
fn load(text: &str) -> Result<config::KnockoutStudy, immunoporosis::error::ConfigError> {
    load_with(text, &[])
}

/// [`load`] with other files beside it.
fn load_with(
    text: &str,
    files: &[(&str, &str)],
) -> Result<config::KnockoutStudy, immunoporosis::error::ConfigError> {
    let tmp = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(tmp.path().join(name), content).unwrap();
    }
    let path = tmp.path().join("k.toml");
    std::fs::write(&path, text.replace("{repo}", root().to_str().unwrap())).unwrap();
    config::load_knockout(&path)
}

const HEAD: &str = r#"name = "k"
endpoints = "{repo}/params/endpoints/knockout.toml"
"#;

const MENOPAUSE: &str = r#"
[[context]]
label = "menopause"
scenario = "{repo}/params/scenarios/menopause_surgical.toml"
"#;

#[track_caller]
fn refused(text: &str, line: usize, key: &str, fragments: &[&str]) {
    let e = load(text).expect_err("the file must be refused");
    let shown = e.to_string();
    assert_eq!(e.line, Some(line), "{shown}");
    assert_eq!(e.key.as_deref(), Some(key), "{shown}");
    for f in fragments {
        assert!(shown.contains(f), "`{f}` not in: {shown}");
    }
}

#[test]
fn bad_knockout_files_name_their_key_and_line() {
    // An unknown handle, on its own line of a list, with the closest name.
    refused(
        &format!("{HEAD}handles = [\n  \"TNF\",\n  \"tnfa\",\n]\n{MENOPAUSE}"),
        5,
        "handles[1]",
        &["no handle `tnfa`", "did you mean `TNF`?"],
    );
    refused(
        &format!("{HEAD}handles = [\"TNF\", \"TNF\"]\n{MENOPAUSE}"),
        3,
        "handles[1]",
        &["listed twice"],
    );
    refused(
        &format!("{HEAD}handles = \"every\"\n{MENOPAUSE}"),
        3,
        "handles",
        &["\"all\" or a list"],
    );
    refused(
        &format!("{HEAD}factors = [0, -0.5]\n{MENOPAUSE}"),
        3,
        "factors[1]",
        &["outside the plausible range", "0 to 10"],
    );
    refused(
        &format!("{HEAD}factors = [2, 2]\n{MENOPAUSE}"),
        3,
        "factors[1]",
        &["listed twice"],
    );
    refused(
        &format!("{HEAD}sort_by = \"menopaus\"\n{MENOPAUSE}"),
        3,
        "sort_by",
        &["no context is labelled", "did you mean `menopause`?"],
    );
    refused(
        &format!("{HEAD}{MENOPAUSE}{MENOPAUSE}"),
        9,
        "context[1].label",
        &["used by an earlier context"],
    );
    // A handle the scenario changes over time would lose its time course.
    let course = r#"name = "course"
model = "immunoporosis"
duration_days = 400.0
[[input]]
name = "TNF_factor"
value = 0.5
unit = "1"
start_day = 100.0
"#;
    let e = load_with(
        &format!("{HEAD}\n[[context]]\nlabel = \"later anti-TNF\"\nscenario = \"course.toml\"\n"),
        &[("course.toml", course)],
    )
    .expect_err("a handle with a time course");
    assert_eq!(e.line, Some(6), "{e}");
    assert_eq!(e.key.as_deref(), Some("context[0].scenario"));
    assert!(
        e.to_string().contains("gives `TNF_factor` a time course"),
        "{e}"
    );
    // Only the immunoporosis model has handles.
    refused(
        &format!(
            "{HEAD}\n[[context]]\nlabel = \"Lemaire\"\nscenario = \"{{repo}}/params/scenarios/lemaire2004_baseline.toml\"\n"
        ),
        6,
        "context[0].scenario",
        &["no input `TNF_factor`"],
    );
    let e = load(HEAD).expect_err("no context");
    assert_eq!(e.key.as_deref(), Some("context"));
}

/// The texts of an SVG's `<text>` elements.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

#[test]
fn the_knockout_figure_follows_its_figure_section_with_human_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small_file(tmp.path());
    let text = std::fs::read_to_string(&file).unwrap()
        + "\n[figure]\nwidth_mm = 120\nheight_mm = 70\ndpi = 150\n";
    std::fs::write(&file, text).unwrap();
    let o = bin(
        &["knockout", file.to_str().unwrap(), "--out", "ko"],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(tmp.path().join("ko/knockout.png")).unwrap();
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let px = |mm: f64| (mm / 25.4 * 150.0).round() as u32;
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (px(120.0), px(70.0)));
    let phys = png.windows(4).position(|w| w == b"pHYs").unwrap();
    assert_eq!(
        be(&png[phys + 4..phys + 8]),
        (150.0 / 0.0254f64).round() as u32
    );
    let svg = std::fs::read_to_string(tmp.path().join("ko/knockout.svg")).unwrap();
    let mm = format!("width=\"{:.2}mm\"", px(120.0) as f64 / 150.0 * 25.4);
    assert!(svg.contains(&mm), "{mm} in {}", &svg[..200]);
    let all = svg_texts(&svg);
    for t in [
        "Effect of each immune element set to ×0 and ×1 and ×2",
        "spine_BMD_1y",
        "lumbar spine BMD change (%), value at day 365.25",
        "serum CTX change (%), value at day 365.25",
        "cytokines",
        "TNF",
        "IL17",
        "×0",
        "×2",
        "spine_BMD_1y vs untouched (percentage points)",
    ] {
        assert!(all.iter().any(|x| x == t), "`{t}` missing from {all:?}");
    }
    // The untouched factor (x1) has no effect: its cell reads 0.00 for each handle and endpoint.
    assert_eq!(
        all.iter().filter(|x| *x == "0.00").count(),
        2 * 2,
        "{all:?}"
    );
    // A bad [figure] value is refused with file, key and line, and nothing is written.
    let bad = tmp.path().join("bad.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("dpi = 150", "dpi = 5");
    std::fs::write(&bad, &text).unwrap();
    let o = bin(
        &["knockout", bad.to_str().unwrap(), "--out", "bad"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = text.lines().position(|l| l == "dpi = 5").unwrap() + 1;
    assert!(
        err.contains("bad.toml") && err.contains("figure.dpi") && err.contains(&format!("{line}")),
        "{err}"
    );
    assert!(!tmp.path().join("bad").exists());
}
