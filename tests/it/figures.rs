//! Figures (issue 13): every kind is drawn and its SVG text holds the labels a reader needs
//! (every tornado bar named, human titles and axis labels, panel letters, published points and
//! dose rows where they apply); `[figure]` sets size, resolution and formats, and bad values are
//! refused with file, key and line.

use crate::util::{error_of_edited, params_copy, root, scenario_path};
use immunoporosis::config;
use immunoporosis::output::plot::{self, Bar, BarKind, BarPlot, Plotted};
use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_immunoporosis"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn svg(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The texts of an SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

/// Width and height of a PNG and its resolution (pixels per metre), from its chunks.
fn png_info(bytes: &[u8]) -> ((u32, u32), Option<u32>) {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let size = (be(&bytes[16..20]), be(&bytes[20..24]));
    let phys = bytes
        .windows(4)
        .position(|w| w == b"pHYs")
        .map(|p| be(&bytes[p + 4..p + 8]));
    (size, phys)
}

#[test]
fn every_tornado_bar_is_named_and_sorted_by_effect_and_no_tick_is_rounding_noise() {
    let dir = tempfile::tempdir().unwrap();
    // More bars than plotters' own tick labels would name, with effects of both signs.
    let names: Vec<String> = (0..13).map(|k| format!("group.param_{k}")).collect();
    let bars: Vec<Bar> = names
        .iter()
        .enumerate()
        .map(|(k, n)| Bar {
            label: n.clone(),
            value: if k % 2 == 0 {
                1.0 + k as f64
            } else {
                -(k as f64) * 0.7
            },
            ci: None,
            second: None,
        })
        .collect();
    let plot = BarPlot {
        title: "Local sensitivity of spine BMD".into(),
        subtitle: "a test".into(),
        x_label: "effect (% points)".into(),
        bars,
        kind: BarKind::Signed,
        names: None,
    };
    let drawn = plot::draw_bars(dir.path(), "t", &plot, &Default::default()).unwrap();
    assert_eq!(drawn, Plotted::Drawn);
    let all = texts(&svg(&dir.path().join("t.svg")));
    // Every name once, top to bottom by |effect| (the SVG draws the labels in that order).
    let order: Vec<&String> = all.iter().filter(|t| t.starts_with("group.")).collect();
    assert_eq!(order.len(), names.len(), "{all:?}");
    let mut want = plot.bars.clone();
    want.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    let want: Vec<&String> = want.iter().map(|b| &b.label).collect();
    assert_eq!(order, want);
    for t in ["Local sensitivity of spine BMD", "effect (% points)", "0"] {
        assert!(all.iter().any(|x| x == t), "{t} missing from {all:?}");
    }
    assert!(
        !all.iter().any(|t| t.contains("e-1")),
        "a tick is rounding noise: {all:?}"
    );
}

#[test]
fn sobol_bars_have_confidence_intervals_and_an_axis_from_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bars = vec![
        Bar {
            label: "a".into(),
            value: 0.6,
            ci: Some((0.5, 0.7)),
            second: Some((0.5, Some((0.4, 0.6)))),
        },
        Bar {
            label: "b".into(),
            value: 0.01,
            ci: Some((-0.02, 0.05)),
            second: Some((0.0, Some((-0.03, 0.02)))),
        },
    ];
    let plot = BarPlot {
        title: "Sobol".into(),
        subtitle: String::new(),
        x_label: "Sobol index".into(),
        bars,
        kind: BarKind::NonNegative,
        names: Some(("total-order S_T".into(), "first-order S_1".into())),
    };
    plot::draw_bars(dir.path(), "s", &plot, &Default::default()).unwrap();
    let s = svg(&dir.path().join("s.svg"));
    let all = texts(&s);
    for t in ["a", "b", "total-order S_T", "first-order S_1", "0"] {
        assert!(all.iter().any(|x| x == t), "{t} missing from {all:?}");
    }
    // No negative tick although an interval reaches below 0.
    assert!(!all.iter().any(|t| t.starts_with('-')), "{all:?}");
    // The whiskers: 4 intervals of 3 strokes each, in ink.
    assert!(s.matches("stroke=\"#191919\"").count() >= 12);
}

#[test]
fn a_run_draws_clinical_and_mechanism_panels_with_published_points_and_dose_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(
        &["run", scenario_path("denosumab_freedom").to_str().unwrap()],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("output/denosumab_freedom");
    let scenario = config::load_scenario(&scenario_path("denosumab_freedom")).unwrap();
    let clinical = texts(&svg(&dir.join("clinical.svg")));
    for t in [
        "A",
        "B",
        "C",
        "Bone mineral density",
        "Bone turnover markers",
        "Serum denosumab",
        "concentration (ng/mL)",
        "denosumab",
        "lumbar spine BMD",
        "change from baseline (%)",
        "published: calibration target (fitted) +- tolerance",
        scenario.description.as_str(),
    ] {
        assert!(
            clinical
                .iter()
                .any(|x| x == t || t.starts_with(x.as_str()) && x.len() > 20),
            "{t} missing from {clinical:?}"
        );
    }
    // FREEDOM's calibration targets on this scenario are drawn (their count is read from the
    // calibration file, not written here).
    let targets = config::published_points(&scenario_path("denosumab_freedom"));
    assert!(targets.iter().any(|p| p.calibration), "{targets:?}");
    let mechanism = texts(&svg(&dir.join("mechanism.svg")));
    for t in [
        "A",
        "B",
        "C",
        "Bone cells",
        "RANKL and OPG",
        "Key cytokines",
        "IL-17",
    ] {
        assert!(
            mechanism.iter().any(|x| x == t),
            "{t} missing from {mechanism:?}"
        );
    }
    // The model's own figures: human axis labels, no raw column name as a title.
    let immune = texts(&svg(&dir.join("immune.svg")));
    assert!(immune.iter().any(|x| x == "cell number (fold of healthy)"));
    assert!(!immune.iter().any(|x| x.contains("relative to healthy (1)")));
    assert!(!immune.iter().any(|x| x == "denosumab_freedom"));
    // The dose strip: a row named after the drug under the time axis of a treated run only.
    assert!(
        texts(&svg(&dir.join("markers.svg")))
            .iter()
            .any(|x| x == "denosumab")
    );
    let out = bin(
        &["run", scenario_path("healthy").to_str().unwrap()],
        tmp.path(),
    );
    assert!(out.status.success());
    let healthy = tmp.path().join("output/healthy");
    assert!(!svg(&healthy.join("markers.svg")).contains("denosumab"));
    // Two drugs of very different concentrations: a panel each, with its own dose row.
    let out = bin(
        &[
            "run",
            scenario_path("teriparatide_then_denosumab")
                .to_str()
                .unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let two = texts(&svg(&tmp
        .path()
        .join("output/teriparatide_then_denosumab/clinical.svg")));
    for t in ["C", "D", "Serum teriparatide", "Serum denosumab"] {
        assert!(two.iter().any(|x| x == t), "{t} missing from {two:?}");
    }
    for drug in ["teriparatide", "denosumab"] {
        // The series' legend entry needs two series; each drug's dose row names it.
        assert!(two.iter().any(|x| x == drug), "{drug} missing from {two:?}");
    }
    // No drug: the clinical figure has two panels.
    let c = texts(&svg(&healthy.join("clinical.svg")));
    assert!(
        c.iter().any(|x| x == "B") && !c.iter().any(|x| x == "C"),
        "{c:?}"
    );
}

#[test]
fn published_outcomes_of_a_scenario_are_found_in_calibration_and_validation_files() {
    let points = config::published_points(&scenario_path("menopause_natural"));
    // SWAN spine targets (calibration) and the OFELY CTX outcome (validation) of this scenario.
    assert!(
        points
            .iter()
            .any(|p| p.calibration && p.column == "bmd_lumbar_spine_change_pct"),
        "{points:?}"
    );
    assert!(
        points
            .iter()
            .any(|p| !p.calibration && p.column == "ctx_change_pct"),
        "{points:?}"
    );
    for p in &points {
        assert!(p.lo <= p.value && p.value <= p.hi, "{p:?}");
    }
    // A scenario no file names has none.
    let none = config::published_points(&root().join("params/scenarios/lemaire2004_opg.toml"));
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn population_band_and_sweep_figures_carry_their_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let arg = |f: &str| root().join("params/analyses").join(f);
    let out = bin(
        &[
            "population",
            arg("population_menopause.toml").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let band = texts(&svg(&tmp.path().join(
        "output/population/menopause/band_bmd_lumbar_spine_change_pct.svg",
    )));
    for t in [
        "median",
        "5th to 95th percentile",
        "25th to 75th percentile",
        "lumbar spine BMD change (%)",
        "published: calibration target (fitted) +- tolerance",
    ] {
        assert!(band.iter().any(|x| x == t), "{t} missing from {band:?}");
    }
    let out = bin(
        &[
            "sweep",
            arg("sweep_menopause_turnover.toml").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = svg(&tmp
        .path()
        .join("output/sweep/menopause_mechanostat/sweep_ls_bmd_10y.svg"));
    let rows = std::fs::read_to_string(
        tmp.path()
            .join("output/sweep/menopause_mechanostat/sweep.csv"),
    )
    .unwrap()
    .lines()
    .count()
        - 1;
    // A marker at every sampled point; the log axis (5 to 80, over a decade) labels the decades
    // and 2 and 5 times them, in order.
    assert_eq!(s.matches("<circle").count(), rows, "markers");
    let all = texts(&s);
    let want = ["5", "10", "20", "50"];
    assert!(
        all.windows(want.len()).any(|w| w == want),
        "no 1-2-5 log ticks in {all:?}"
    );
    assert!(all.iter().any(|x| x == "mechanics.g_mech (1)"), "{all:?}");
    let out = bin(
        &[
            "sweep",
            arg("sweep_lemaire_opg_rankl.toml").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let heat = svg(&tmp
        .path()
        .join("output/sweep/lemaire_opg_rankl/heatmap_C_end.svg"));
    // A non-negative quantity: sequential colours (viridis's dark end), a labelled colour bar.
    assert!(
        heat.contains("#440154") || heat.contains("#450154"),
        "no viridis"
    );
    assert!(
        !heat.contains("#F7F7F7"),
        "a diverging scale's white middle"
    );
    assert!(texts(&heat).iter().any(|x| x == "C (pM)"));
}

#[test]
fn figure_options_set_size_resolution_and_formats() {
    let copy = params_copy("scenarios");
    let path = copy.folder.join("healthy.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{src}\n[figure]\nwidth_mm = 180\nheight_mm = 120\ndpi = 150\nformats = [\"png\"]\n"
        ),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(&["run", path.to_str().unwrap(), "--out", "o"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("o");
    assert!(!dir.join("bone.svg").exists(), "svg not asked for");
    let ((w, h), phys) = png_info(&std::fs::read(dir.join("bone.png")).unwrap());
    assert_eq!((w, h), (1063, 709));
    assert_eq!(phys, Some(5906)); // 150 dpi in pixels per metre
    // The default: one journal column (88 mm) at 300 dpi, SVG sized in millimetres.
    let out = bin(
        &[
            "run",
            scenario_path("healthy").to_str().unwrap(),
            "--out",
            "d",
        ],
        tmp.path(),
    );
    assert!(out.status.success());
    let ((w, _), phys) = png_info(&std::fs::read(tmp.path().join("d/bone.png")).unwrap());
    assert_eq!(w, 1039);
    assert_eq!(phys, Some(11811));
    let s = svg(&tmp.path().join("d/bone.svg"));
    assert!(s.contains("width=\"87.97mm\""), "{}", &s[..300]);
    assert!(s.contains("font-family=\"DejaVu Sans,"));
}

#[test]
fn bad_figure_options_are_refused_with_file_key_and_line() {
    let load = |p: &Path| config::load_scenario(p);
    let cases: [(&str, &str, &str); 5] = [
        ("dpi = 5000", "figure.dpi", "outside 72 to 1200"),
        ("width_mm = 10", "figure.width_mm", "outside 30 to 500"),
        (
            "width_mm = 80\nwidth_px = 900",
            "figure.width_px",
            "not both",
        ),
        ("formats = [\"pdf\"]", "figure.formats", "convert the SVG"),
        ("height_px = 300.5", "figure.height_px", "whole number"),
    ];
    for (body, key, message) in cases {
        let e = error_of_edited(
            "scenarios",
            "healthy.toml",
            |s| format!("{s}\n[figure]\n{body}\n"),
            load,
        );
        assert!(e.contains("healthy.toml:"), "{e}");
        assert!(e.contains(key), "{e}");
        assert!(e.contains(message), "{e}");
    }
    // An unknown key names itself.
    let e = error_of_edited(
        "scenarios",
        "healthy.toml",
        |s| format!("{s}\n[figure]\nwidht_mm = 80\n"),
        load,
    );
    assert!(e.contains("widht_mm"), "{e}");
    // On the command line: exit 2, nothing written.
    let copy = params_copy("scenarios");
    let path = copy.folder.join("healthy.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{src}\n[figure]\ndpi = 0\n")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(&["run", path.to_str().unwrap(), "--out", "o"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let line = src.lines().count() + 3;
    assert!(
        text(&out.stderr).contains(&format!("healthy.toml:{line}: key `figure.dpi`")),
        "{}",
        text(&out.stderr)
    );
    assert!(!tmp.path().join("o").exists());
}

#[test]
fn an_analysis_figure_section_overrides_its_scenarios() {
    let copy = params_copy("analyses");
    let path = copy.folder.join("sweep_menopause_turnover.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{src}\n[figure]\nformats = [\"svg\"]\n")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(&["sweep", path.to_str().unwrap(), "--out", "o"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("o/sweep_ls_bmd_10y.svg").is_file());
    assert!(!tmp.path().join("o/sweep_ls_bmd_10y.png").exists());
}

#[test]
fn log_heat_map_axes_are_labelled_at_decades() {
    let dir = tempfile::tempdir().unwrap();
    // x over six decades, y over one and a half: decades on x, 1-2-5 on y.
    let xs: Vec<f64> = (0..13).map(|k| 10f64.powf(-3.0 + 0.5 * k as f64)).collect();
    let ys: Vec<f64> = (0..7).map(|k| 10f64.powf(0.25 * k as f64)).collect();
    let z: Vec<Vec<f64>> = xs
        .iter()
        .map(|x| ys.iter().map(|y| x.ln() + y).collect())
        .collect();
    let plot = plot::HeatPlot {
        title: "Heat".into(),
        subtitle: String::new(),
        x_label: "dose (mg)".into(),
        y_label: "rate (1/day)".into(),
        z_label: "effect (%)".into(),
        xs,
        ys,
        z,
        log_x: true,
        log_y: true,
    };
    assert_eq!(
        plot::draw_heatmap(dir.path(), "h", &plot, &Default::default()).unwrap(),
        Plotted::Drawn
    );
    let all = texts(&svg(&dir.path().join("h.svg")));
    for want in [
        &["0.001", "0.01", "0.1", "1", "10", "100", "1000"][..],
        &["1", "2", "5", "10", "20"][..],
    ] {
        assert!(
            all.windows(want.len()).any(|w| w == want),
            "{want:?} missing from {all:?}"
        );
    }
    // No tick at an arbitrary power (10^0.5 = 3.16...).
    assert!(!all.iter().any(|t| t.starts_with("3.16")), "{all:?}");
}
