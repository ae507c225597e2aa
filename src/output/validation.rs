//! Outputs of `validate`: `validation.csv` (one row per outcome; numbers to 6 significant
//! digits, times as given), `validation.json` (the same in full precision, with citations and the
//! summary), the parity figure `parity.png`/`.svg` (model against published, a panel of BMD-type
//! outcomes and one of the others, coloured by category), one time-course figure per group of
//! outcomes on the same scenario, comparator, column and baseline at more than one time, across
//! studies and files (`timecourse_<scenario>[_minus_<comparator>]_<column>.png`/`.svg`), and the
//! text of `docs/validation.md`.
use super::OutputError;
use super::analysis::{Written, csv_field, write_text};
use super::plot::{self, FONT, Plotted};
use crate::validation::{
    BAND_FLOOR, BAND_RELATIVE, BAND_SE, Category, Evaluation, Outcome, Validation, Verdict,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// The band rule in words.
pub fn band_rule() -> String {
    format!(
        "published mean ± max({BAND_SE} SE, {} % of |published mean|, {BAND_FLOOR} in the column's unit: one percentage point for a % change)",
        BAND_RELATIVE * 100.0
    )
}

/// The one-line summary the command prints.
pub fn summary_line(e: &Evaluation) -> String {
    let (within, outside, wrong) = e.counts();
    format!("{within} within band, {outside} outside, {wrong} wrong direction")
}

/// Writes the tables and figures into `dir`.
pub fn write(dir: &Path, v: &Validation, e: &Evaluation) -> Result<Written, OutputError> {
    write_text(&dir.join("validation.csv"), &table_csv(v, e))?;
    let json = serde_json::to_string_pretty(&summary_json(v, e)).unwrap_or_default() + "\n";
    write_text(&dir.join("validation.json"), &json)?;
    let mut out = Written {
        files: vec!["validation.csv".into(), "validation.json".into()],
        warnings: Vec::new(),
    };
    out.plot(dir, "parity", &Default::default(), || {
        draw(dir, "parity", &Parity { v, e })
    });
    for (stem, figure) in timecourses(v, e) {
        out.plot(dir, &stem, &Default::default(), || {
            draw(dir, &stem, &figure)
        });
    }
    Ok(out)
}

fn scenario_name(v: &Validation, s: Option<usize>) -> &str {
    s.map_or("", |s| v.scenarios[s].name.as_str())
}

fn opt_num(x: Option<f64>) -> String {
    x.map_or(String::new(), |x| format!("{x}"))
}

/// `x` to 6 significant digits, written as the shortest decimal of the rounded value
/// (-5.699999999999999 -> -5.7).
fn sig6(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// One row per outcome: published, SE, band and model to 6 significant digits; times (output
/// times of the scenarios) as given.
fn table_csv(v: &Validation, e: &Evaluation) -> String {
    let mut t = String::from(
        "file,study,category,outcome,column,time_days,published,se,band_lo,band_hi,model,verdict,scenario,minus_scenario,from_days\n",
    );
    for (o, r) in v.outcomes.iter().zip(&e.outcomes) {
        let s = &v.studies[o.study];
        let fields = [
            csv_field(&v.files[s.file].name),
            csv_field(&s.id),
            csv_field(s.category.name()),
            csv_field(&o.name),
            csv_field(&o.column),
            format!("{}", o.time_days),
            sig6(o.value),
            sig6(o.se),
            sig6(r.band.0),
            sig6(r.band.1),
            sig6(r.model),
            r.verdict.as_str().to_string(),
            csv_field(scenario_name(v, Some(o.scenario))),
            csv_field(scenario_name(v, o.minus)),
            opt_num(o.from_days),
        ];
        let _ = writeln!(t, "{}", fields.join(","));
    }
    t
}

fn summary_json(v: &Validation, e: &Evaluation) -> serde_json::Value {
    let (within, outside, wrong) = e.counts();
    let outcomes: Vec<_> = v
        .outcomes
        .iter()
        .zip(&e.outcomes)
        .map(|(o, r)| {
            let s = &v.studies[o.study];
            json!({
                "file": v.files[s.file].name,
                "study": s.id,
                "category": s.category.name(),
                "citation": s.citation,
                "population": s.population,
                "outcome": o.name,
                "where": o.where_,
                "note": o.note,
                "scenario": scenario_name(v, Some(o.scenario)),
                "minus_scenario": o.minus.map(|m| scenario_name(v, Some(m))),
                "from_days": o.from_days,
                "column": o.column,
                "time_days": o.time_days,
                "published": o.value,
                "se": o.se,
                "band_lo": r.band.0,
                "band_hi": r.band.1,
                "model": r.model,
                "verdict": r.verdict.as_str(),
            })
        })
        .collect();
    json!({
        "band_rule": band_rule(),
        "summary": {
            "outcomes": v.outcomes.len(),
            "studies": v.studies.len(),
            "within": within,
            "outside": outside,
            "wrong_direction": wrong,
        },
        "files": v.files.iter().map(|f| json!({"name": f.name, "path": f.path.display().to_string(), "description": f.description})).collect::<Vec<_>>(),
        "outcomes": outcomes,
    })
}

// ---------------------------------------------------------------------------------------------
// docs/validation.md

/// The text of `docs/validation.md`: the band rule, the summary, a table per category and the
/// citations.
pub fn docs_markdown(v: &Validation, e: &Evaluation) -> String {
    let mut t = String::from("# Validation against published outcomes\n\n");
    let files: Vec<String> = v
        .files
        .iter()
        .map(|f| {
            let name = f.path.file_name().map_or_else(
                || f.path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            format!("`{name}`")
        })
        .collect();
    let _ = writeln!(
        t,
        "Generated by `immunoporosis validate --write-docs` from {}; do not edit by hand. None of these outcomes is a calibration target (the loader refuses one that is). Why each outcome outside its band misses, and the mechanism it points to: [`validation_misses.md`](validation_misses.md) (hand-written).\n",
        files.join(", ")
    );
    let _ = writeln!(
        t,
        "Band: {}. Wrong direction: the band excludes 0 and the model's value has the other sign.\n",
        band_rule()
    );
    let _ = writeln!(
        t,
        "## Summary\n\n{} outcomes from {} studies: {}.\n",
        v.outcomes.len(),
        v.studies.len(),
        summary_line(e)
    );
    t.push_str(
        "| category | outcomes | within | outside | wrong direction |\n|---|---|---|---|---|\n",
    );
    for c in Category::ALL {
        let rows: Vec<Verdict> = rows_of(v, e, c).map(|(_, r)| r).collect();
        if rows.is_empty() {
            continue;
        }
        let n = |x: Verdict| rows.iter().filter(|r| **r == x).count();
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} |",
            c.name(),
            rows.len(),
            n(Verdict::Within),
            n(Verdict::Outside),
            n(Verdict::WrongDirection)
        );
    }
    for c in Category::ALL {
        category_table(&mut t, v, e, c);
    }
    t.push_str("\n## Studies\n\n");
    for s in &v.studies {
        let _ = writeln!(
            t,
            "- `{}` ({}): {}. Population: {}.",
            s.id,
            s.category.name(),
            s.citation,
            s.population
        );
    }
    t
}

fn rows_of<'a>(
    v: &'a Validation,
    e: &'a Evaluation,
    c: Category,
) -> impl Iterator<Item = (usize, Verdict)> + 'a {
    v.outcomes
        .iter()
        .enumerate()
        .filter(move |(_, o)| v.studies[o.study].category == c)
        .map(|(i, _)| (i, e.outcomes[i].verdict))
}

fn category_table(t: &mut String, v: &Validation, e: &Evaluation, c: Category) {
    let rows: Vec<usize> = rows_of(v, e, c).map(|(i, _)| i).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        t,
        "\n## {}\n\n| outcome | study | column, day | published ± SE | band | model | verdict |\n|---|---|---|---|---|---|---|",
        c.name()
    );
    for i in rows {
        let (o, r) = (&v.outcomes[i], &e.outcomes[i]);
        let _ = writeln!(
            t,
            "| {} | `{}` ({}) | `{}`, {} | {:.2} ± {:.2} | [{:.2}, {:.2}] | {:.2} | {} |",
            o.name.replace('|', "\\|"),
            v.studies[o.study].id,
            o.where_.replace('|', "\\|"),
            o.column,
            what_time(v, o),
            o.value,
            o.se,
            r.band.0,
            r.band.1,
            r.model,
            r.verdict.as_str()
        );
    }
}

/// The outcome's time and arms in words: `730.5`, `730.5 minus placebo_pmo`, `365.25 to 730.5`.
fn what_time(v: &Validation, o: &Outcome) -> String {
    let mut s = match o.from_days {
        Some(f) => format!("{f} to {}", o.time_days),
        None => format!("{}", o.time_days),
    };
    let _ = write!(s, " ({}", v.scenarios[o.scenario].name);
    if let Some(m) = o.minus {
        let _ = write!(s, " minus {}", v.scenarios[m].name);
    }
    s.push(')');
    s
}

// ---------------------------------------------------------------------------------------------
// Figures.

/// A qualitative palette of 11 clearly different colours: Tableau 10 and black.
const PALETTE: [RGBColor; 11] = [
    RGBColor(31, 119, 180),  // blue
    RGBColor(255, 127, 14),  // orange
    RGBColor(44, 160, 44),   // green
    RGBColor(214, 39, 40),   // red
    RGBColor(148, 103, 189), // purple
    RGBColor(227, 119, 194), // pink
    RGBColor(127, 127, 127), // grey
    RGBColor(140, 86, 75),   // brown
    RGBColor(23, 190, 207),  // cyan
    RGBColor(188, 189, 34),  // olive
    RGBColor(0, 0, 0),       // black
];
const INK: RGBColor = RGBColor(30, 30, 30);
const GREY: RGBColor = RGBColor(120, 120, 120);
const FAINT: RGBColor = RGBColor(170, 170, 170);

/// The colour of a category, in the parity figure and its legend alike.
fn colour(c: Category) -> RGBColor {
    PALETTE[match c {
        Category::Menopause => 0,
        Category::Aging => 1,
        Category::Glucocorticoid => 2,
        Category::RheumatoidArthritis => 3,
        Category::Denosumab => 4,
        Category::Teriparatide => 5,
        Category::Romosozumab => 6,
        Category::Bisphosphonate => 7,
        Category::Sequence => 8,
        Category::HormoneTherapy => 9,
        Category::AromataseInhibitor => 10,
    }]
}

type Area<DB> = DrawingArea<DB, Shift>;

/// A figure: its size, why it cannot be drawn (checked first), and how to draw it.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn unplottable(&self) -> Option<String>;
    fn render<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), String>;
}

/// Draws `f` as `<dir>/<stem>.png` and `<dir>/<stem>.svg`, or writes nothing and says why.
fn draw<F: Figure>(dir: &Path, stem: &str, f: &F) -> Result<Plotted, OutputError> {
    if let Some(why) = f.unplottable() {
        return Ok(Plotted::Skipped(format!("plot `{stem}` skipped: {why}")));
    }
    plot::png_and_svg(dir, stem, &Drawn(f))?;
    Ok(Plotted::Drawn)
}

/// A figure of this module as a `plot::Drawing`.
struct Drawn<'a, F>(&'a F);

impl<F: Figure> plot::Drawing for Drawn<'_, F> {
    fn size(&self, _: &plot::FigureOptions) -> (u32, u32) {
        self.0.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, _: f64) -> Result<(), String> {
        self.0.render(root)
    }

    fn scalable(&self) -> bool {
        false
    }
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A padded range over finite values; None when there is none.
fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return None;
    }
    let span = (hi - lo).max(1.0);
    Some((lo - 0.05 * span, hi + 0.05 * span))
}

/// The marker of a verdict: filled circle (within), open circle (outside), cross (wrong
/// direction).
fn marker<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    at: (f64, f64),
    verdict: Verdict,
    c: RGBColor,
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    match verdict {
        Verdict::Within => chart
            .draw_series(std::iter::once(Circle::new(at, 5, c.filled())))
            .map(drop),
        Verdict::Outside => chart
            .draw_series(std::iter::once(Circle::new(at, 5, c.stroke_width(2))))
            .map(drop),
        Verdict::WrongDirection => chart
            .draw_series(std::iter::once(Cross::new(at, 6, c.stroke_width(3))))
            .map(drop),
    }
    .map_err(s)
}

fn segment(a: (f64, f64), b: (f64, f64), style: ShapeStyle) -> PathElement<(f64, f64)> {
    PathElement::new(vec![a, b], style)
}

/// A dashed line from `a` to `b`: `pieces` equal pieces, every other one drawn.
fn dashed(
    a: (f64, f64),
    b: (f64, f64),
    pieces: usize,
    style: ShapeStyle,
) -> impl Iterator<Item = PathElement<(f64, f64)>> {
    let at = move |j: usize| {
        let t = |from: f64, to: f64| from + (to - from) * j as f64 / pieces as f64;
        (t(a.0, b.0), t(a.1, b.1))
    };
    (0..pieces)
        .step_by(2)
        .map(move |j| segment(at(j), at(j + 1), style))
}

/// Draws `t` with its left end, vertically centred, at `(x, y)` of `area`.
fn text_at<DB: DrawingBackend>(
    area: &Area<DB>,
    t: &str,
    (x, y): (i32, i32),
    size: u32,
    c: &RGBColor,
) -> Result<(), String> {
    let left = Pos::new(HPos::Left, VPos::Center);
    area.draw(&Text::new(
        t.to_string(),
        (x, y),
        (FONT, size).into_font().color(c).pos(left),
    ))
    .map_err(s)
}

/// Whether an outcome goes into the BMD panel of the parity figure: a column of bone mineral
/// density (`bmd_`) or bone volume (`bone_volume`).
fn is_bmd(column: &str) -> bool {
    column.contains("bmd_") || column.contains("bone_volume")
}

/// The parity figure: a panel of BMD-type outcomes and one of the others (turnover markers),
/// each with its own axis range.
struct Parity<'a> {
    v: &'a Validation,
    e: &'a Evaluation,
}

/// One panel of the parity figure.
struct Panel {
    title: &'static str,
    /// Indices into the outcomes.
    outcomes: Vec<usize>,
    /// The range of both axes.
    axis: (f64, f64),
}

const PARITY_PANEL: (u32, u32) = (720, 760);
const PARITY_TITLE_H: u32 = 50;
const LEGEND_W: u32 = 320;

impl Parity<'_> {
    /// The panels that have an outcome with a finite value.
    fn panels(&self) -> Vec<Panel> {
        [
            (true, "bone mineral density and bone volume"),
            (false, "turnover markers and other outcomes"),
        ]
        .into_iter()
        .filter_map(|(bmd, title)| {
            let outcomes: Vec<usize> = (0..self.v.outcomes.len())
                .filter(|i| is_bmd(&self.v.outcomes[*i].column) == bmd)
                .collect();
            let values = outcomes.iter().flat_map(|i| {
                let (o, r) = (&self.v.outcomes[*i], &self.e.outcomes[*i]);
                [
                    o.value - BAND_SE * o.se,
                    o.value + BAND_SE * o.se,
                    r.band.0,
                    r.band.1,
                    r.model,
                ]
            });
            let axis = range(values)?;
            Some(Panel {
                title,
                outcomes,
                axis,
            })
        })
        .collect()
    }

    fn panel<DB: DrawingBackend>(&self, area: &Area<DB>, p: &Panel) -> Result<(), String> {
        let (lo, hi) = p.axis;
        let within = p
            .outcomes
            .iter()
            .filter(|i| self.e.outcomes[**i].verdict == Verdict::Within)
            .count();
        let title = format!(
            "{}: {} outcomes, {within} within band",
            p.title,
            p.outcomes.len()
        );
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 18))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc("published (% change, or the column's unit)")
            .y_desc("model (same unit)")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(s)?;
        let faint = FAINT.stroke_width(1);
        chart
            .draw_series([
                segment((0.0, lo), (0.0, hi), faint),
                segment((lo, 0.0), (hi, 0.0), faint),
            ])
            .map_err(s)?;
        chart
            .draw_series(dashed((lo, lo), (hi, hi), 60, GREY.stroke_width(2)))
            .map_err(s)?;
        let cap = (hi - lo) / 150.0;
        for i in &p.outcomes {
            let (o, r) = (&self.v.outcomes[*i], &self.e.outcomes[*i]);
            let c = colour(self.v.studies[o.study].category);
            let x = o.value;
            // The band: a wide translucent bar along the model axis at the published value.
            chart
                .draw_series([segment(
                    (x, r.band.0),
                    (x, r.band.1),
                    c.mix(0.25).stroke_width(9),
                )])
                .map_err(s)?;
            let (a, b) = (x - BAND_SE * o.se, x + BAND_SE * o.se);
            let bar = c.stroke_width(2);
            chart
                .draw_series([
                    segment((a, r.model), (b, r.model), bar),
                    segment((a, r.model - cap), (a, r.model + cap), bar),
                    segment((b, r.model - cap), (b, r.model + cap), bar),
                ])
                .map_err(s)?;
            marker(&mut chart, (x, r.model), r.verdict, c)?;
        }
        Ok(())
    }

    fn legend<DB: DrawingBackend>(&self, area: &Area<DB>) -> Result<(), String> {
        let mut y = 60;
        text_at(area, "category (colour)", (10, y), 17, &INK)?;
        for c in Category::ALL {
            if !self.v.studies.iter().any(|st| st.category == c) {
                continue;
            }
            y += 26;
            area.draw(&Circle::new((22, y), 7, colour(c).filled()))
                .map_err(s)?;
            let n = self
                .v
                .outcomes
                .iter()
                .filter(|o| self.v.studies[o.study].category == c)
                .count();
            text_at(area, &format!("{} ({n})", c.name()), (38, y), 15, &INK)?;
        }
        y += 44;
        text_at(area, "verdict (marker)", (10, y), 17, &INK)?;
        y += 26;
        area.draw(&Circle::new((22, y), 5, INK.filled()))
            .map_err(s)?;
        text_at(area, "within band", (38, y), 15, &INK)?;
        y += 24;
        area.draw(&Circle::new((22, y), 5, INK.stroke_width(2)))
            .map_err(s)?;
        text_at(area, "outside band", (38, y), 15, &INK)?;
        y += 24;
        area.draw(&Cross::new((22, y), 6, INK.stroke_width(3)))
            .map_err(s)?;
        text_at(area, "wrong direction", (38, y), 15, &INK)?;
        y += 44;
        for line in [
            "horizontal bars: published ± 2 SE",
            "shaded vertical bars: the band",
            &format!(
                "  ± max({BAND_SE} SE, {} %, {BAND_FLOOR})",
                BAND_RELATIVE * 100.0
            ),
            "dashed: model = published",
            "left: columns bmd_* and bone_volume*",
        ] {
            text_at(area, line, (10, y), 14, &GREY)?;
            y += 22;
        }
        Ok(())
    }
}

impl Figure for Parity<'_> {
    fn size(&self) -> (u32, u32) {
        let n = self.panels().len().max(1) as u32;
        (
            LEGEND_W + n * PARITY_PANEL.0,
            PARITY_TITLE_H + PARITY_PANEL.1,
        )
    }

    fn unplottable(&self) -> Option<String> {
        self.panels()
            .is_empty()
            .then(|| "no outcome has a finite value".into())
    }

    fn render<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), String> {
        let panels = self.panels();
        if panels.is_empty() {
            return Err("no finite values".into());
        }
        root.fill(&WHITE).map_err(s)?;
        let (top, body) = root.split_vertically(PARITY_TITLE_H);
        let (w, _) = top.dim_in_pixel();
        top.draw(&Text::new(
            format!("Model against published outcomes: {}", summary_line(self.e)),
            (w as i32 / 2, PARITY_TITLE_H as i32 / 2 + 4),
            (FONT, 22)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(s)?;
        let (plots, legend) = body.split_horizontally(panels.len() as u32 * PARITY_PANEL.0);
        for (area, p) in plots.split_evenly((1, panels.len())).iter().zip(&panels) {
            self.panel(area, p)?;
        }
        self.legend(&legend)
    }
}

/// A time-course figure: the outcomes of every study on one scenario, comparator, column and
/// baseline (`from_days`), at two or more times, with the model's curve.
struct TimeCourse<'a> {
    v: &'a Validation,
    e: &'a Evaluation,
    /// Indices into the outcomes, by time.
    group: Vec<usize>,
    /// Their studies, in order of their first outcome's time.
    studies: Vec<usize>,
}

/// Runs longer than this are plotted against years.
const YEARS_AXIS_ABOVE_DAYS: f64 = 3.0 * 365.25;
const TIMECOURSE_SIZE: (u32, u32) = (1200, 640);
const TIMECOURSE_LEGEND_W: u32 = 330;

/// The file stem of scenario `s` (its name if the path has none), for a figure's name.
fn scenario_stem(v: &Validation, s: usize) -> String {
    let sc = &v.scenarios[s];
    let stem = sc
        .path
        .file_stem()
        .map_or_else(|| sc.name.clone(), |x| x.to_string_lossy().into_owned());
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The time-course figures: one per group of outcomes, across all studies and files, on the same
/// scenario, comparator, column and baseline, with two or more distinct times; named
/// `timecourse_<scenario>[_minus_<comparator>]_<column>` (file stems; `_2`, `_3`, ... after a
/// name already taken, as by the same group with another baseline).
fn timecourses<'a>(v: &'a Validation, e: &'a Evaluation) -> Vec<(String, TimeCourse<'a>)> {
    let key = |o: &'a Outcome| (o.scenario, o.minus, o.column.as_str(), o.from_days);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, o) in v.outcomes.iter().enumerate() {
        match groups.iter_mut().find(|g| key(&v.outcomes[g[0]]) == key(o)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups.retain(|g| {
        let t0 = v.outcomes[g[0]].time_days;
        g.iter().any(|i| v.outcomes[*i].time_days != t0)
    });
    let mut taken: Vec<String> = Vec::new();
    groups
        .into_iter()
        .map(|mut group| {
            group.sort_by(|a, b| {
                v.outcomes[*a]
                    .time_days
                    .total_cmp(&v.outcomes[*b].time_days)
            });
            let mut studies: Vec<usize> = Vec::new();
            for i in &group {
                if !studies.contains(&v.outcomes[*i].study) {
                    studies.push(v.outcomes[*i].study);
                }
            }
            let o = &v.outcomes[group[0]];
            let mut base = format!("timecourse_{}", scenario_stem(v, o.scenario));
            if let Some(m) = o.minus {
                let _ = write!(base, "_minus_{}", scenario_stem(v, m));
            }
            let _ = write!(base, "_{}", o.column);
            let mut stem = base.clone();
            for k in 2.. {
                if !taken.contains(&stem) {
                    break;
                }
                stem = format!("{base}_{k}");
            }
            taken.push(stem.clone());
            (
                stem,
                TimeCourse {
                    v,
                    e,
                    group,
                    studies,
                },
            )
        })
        .collect()
}

/// A short citation: the first author's surname, `et al.` when there are more, and the year
/// (`Papapoulos et al. 2012`); the start of the citation when it has no year.
fn short_citation(citation: &str) -> String {
    let words: Vec<&str> = citation.split_whitespace().collect();
    let year_of = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_ascii_digit());
        (w.len() == 4 && (w.starts_with("19") || w.starts_with("20")) && w.parse::<u32>().is_ok())
            .then(|| w.to_string())
    };
    let Some((at, year)) = words
        .iter()
        .enumerate()
        .find_map(|(i, w)| year_of(w).map(|y| (i, y)))
    else {
        return citation.chars().take(40).collect();
    };
    let authors = words[..at].join(" ");
    let first = authors.split(',').next().unwrap_or("").trim();
    let mut name: Vec<&str> = first.trim_end_matches('.').split_whitespace().collect();
    let initials = |w: &&str| w.chars().all(|c| c.is_ascii_uppercase() || c == '-');
    if name.len() > 1 && name.last().is_some_and(initials) {
        name.pop();
    }
    let et_al = if authors.contains(',') { " et al." } else { "" };
    format!("{}{et_al} {year}", name.join(" "))
}

/// A number of days or years in few digits (`3`, `2.5`, `1095.75`).
fn short_num(x: f64) -> String {
    format!("{}", (x * 100.0).round() / 100.0)
}

impl TimeCourse<'_> {
    fn first(&self) -> &Outcome {
        &self.v.outcomes[self.group[0]]
    }

    /// Days to the time axis' unit: years for a long run.
    fn scale(&self) -> f64 {
        let end = self.v.scenarios[self.first().scenario]
            .spec
            .protocol
            .duration;
        if end > YEARS_AXIS_ABOVE_DAYS {
            1.0 / 365.25
        } else {
            1.0
        }
    }

    fn curve(&self) -> Vec<(f64, f64)> {
        self.e.curve(self.first()).unwrap_or_default()
    }

    fn ranges(&self, curve: &[(f64, f64)]) -> Option<((f64, f64), (f64, f64))> {
        let k = self.scale();
        let x = range(curve.iter().map(|p| p.0 * k))?;
        let points = self.group.iter().flat_map(|i| {
            let (o, r) = (&self.v.outcomes[*i], &self.e.outcomes[*i]);
            [
                r.band.0,
                r.band.1,
                o.value - BAND_SE * o.se,
                o.value + BAND_SE * o.se,
            ]
        });
        let y = range(
            curve
                .iter()
                .map(|p| p.1)
                .chain(points)
                .chain(std::iter::once(0.0)),
        )?;
        Some((x, y))
    }

    fn title(&self) -> String {
        let o = self.first();
        let mut t = self.v.scenarios[o.scenario].name.clone();
        if let Some(m) = o.minus {
            let _ = write!(t, " minus {}", self.v.scenarios[m].name);
        }
        let _ = write!(t, ": {}", o.column);
        t
    }

    fn y_desc(&self) -> String {
        let o = self.first();
        match o.from_days {
            Some(f) if self.scale() < 1.0 => {
                format!("{} from year {}", o.column, short_num(f * self.scale()))
            }
            Some(f) => format!("{} from day {}", o.column, short_num(f)),
            None => o.column.clone(),
        }
    }

    /// The legend label of each study: its short citation, with its id when two are alike.
    fn labels(&self) -> Vec<String> {
        let short: Vec<String> = self
            .studies
            .iter()
            .map(|st| short_citation(&self.v.studies[*st].citation))
            .collect();
        short
            .iter()
            .zip(&self.studies)
            .map(|(l, st)| {
                if short.iter().filter(|x| *x == l).count() > 1 {
                    format!("{l} ({})", self.v.studies[*st].id)
                } else {
                    l.clone()
                }
            })
            .collect()
    }

    fn study_colour(&self, study: usize) -> RGBColor {
        let n = self.studies.iter().position(|s| *s == study).unwrap_or(0);
        PALETTE[n % PALETTE.len()]
    }

    fn legend<DB: DrawingBackend>(&self, area: &Area<DB>) -> Result<(), String> {
        let mut y = 70;
        area.draw(&PathElement::new(
            vec![(12, y), (34, y)],
            INK.stroke_width(2),
        ))
        .map_err(s)?;
        text_at(area, "model", (42, y), 15, &INK)?;
        y += 40;
        text_at(area, "published, by study", (10, y), 17, &INK)?;
        for (st, label) in self.studies.iter().zip(self.labels()) {
            y += 26;
            let c = self.study_colour(*st);
            area.draw(&Circle::new((23, y), 6, c.filled())).map_err(s)?;
            text_at(area, &label, (42, y), 15, &INK)?;
        }
        y += 44;
        let mut lines = vec![
            "points: published mean ± 2 SE".to_string(),
            "shaded: the band,".to_string(),
            format!(
                "  ± max({BAND_SE} SE, {} %, {BAND_FLOOR})",
                BAND_RELATIVE * 100.0
            ),
        ];
        if let Some(f) = self.first().from_days {
            lines.push(format!("dotted line: the baseline, day {}", short_num(f)));
        }
        for line in &lines {
            text_at(area, line, (10, y), 14, &GREY)?;
            y += 22;
        }
        Ok(())
    }
}

impl Figure for TimeCourse<'_> {
    fn size(&self) -> (u32, u32) {
        TIMECOURSE_SIZE
    }

    fn unplottable(&self) -> Option<String> {
        self.ranges(&self.curve())
            .is_none()
            .then(|| "no finite model values".into())
    }

    fn render<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), String> {
        let curve = self.curve();
        let ((x0, x1), (y0, y1)) = self.ranges(&curve).ok_or("no finite values")?;
        let k = self.scale();
        root.fill(&WHITE).map_err(s)?;
        let (plot_area, legend) = root.split_horizontally(TIMECOURSE_SIZE.0 - TIMECOURSE_LEGEND_W);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(self.title(), (FONT, 20))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc(if k < 1.0 {
                "time (years)"
            } else {
                "time (days)"
            })
            .y_desc(self.y_desc())
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(s)?;
        chart
            .draw_series([segment((x0, 0.0), (x1, 0.0), FAINT.stroke_width(1))])
            .map_err(s)?;
        if let Some(f) = self.first().from_days {
            let t = f * k;
            chart
                .draw_series(dashed((t, y0), (t, y1), 80, GREY.stroke_width(1)))
                .map_err(s)?;
        }
        let half = (x1 - x0) / 160.0;
        for i in &self.group {
            let (o, r) = (&self.v.outcomes[*i], &self.e.outcomes[*i]);
            let c = self.study_colour(o.study);
            let t = o.time_days * k;
            chart
                .draw_series([Rectangle::new(
                    [(t - half, r.band.0), (t + half, r.band.1)],
                    c.mix(0.2).filled(),
                )])
                .map_err(s)?;
        }
        let line = curve.iter().map(|(t, y)| (t * k, *y));
        chart
            .draw_series(LineSeries::new(line, INK.stroke_width(2)))
            .map_err(s)?;
        for i in &self.group {
            let o = &self.v.outcomes[*i];
            let c = self.study_colour(o.study);
            let t = o.time_days * k;
            let (a, b) = (o.value - BAND_SE * o.se, o.value + BAND_SE * o.se);
            let bar = c.stroke_width(2);
            chart
                .draw_series([
                    segment((t, a), (t, b), bar),
                    segment((t - half / 2.0, a), (t + half / 2.0, a), bar),
                    segment((t - half / 2.0, b), (t + half / 2.0, b), bar),
                ])
                .map_err(s)?;
            chart
                .draw_series([Circle::new((t, o.value), 6, c.filled())])
                .map_err(s)?;
        }
        self.legend(&legend)
    }
}

#[cfg(test)]
mod tests {
    use super::{short_citation, sig6};

    #[test]
    fn floats_are_rounded_to_six_significant_digits() {
        assert_eq!(sig6(-5.699999999999999), "-5.7");
        assert_eq!(sig6(0.7653061224489796), "0.765306");
        assert_eq!(sig6(12345678.0), "12345700");
        assert_eq!(sig6(0.0), "0");
        assert_eq!(sig6(f64::NAN), "NaN");
    }

    #[test]
    fn short_citations_name_the_first_author_and_the_year() {
        assert_eq!(
            short_citation(
                "Papapoulos S, Chapurlat R, Libanati C, et al. 2012 J Bone Miner Res 27:694-701"
            ),
            "Papapoulos et al. 2012"
        );
        assert_eq!(
            short_citation("The Writing Group for the PEPI Trial. 1996 JAMA 276:1389-1396"),
            "The Writing Group for the PEPI Trial 1996"
        );
        assert_eq!(short_citation("Lin CJF. 2015 Osteoporos Int"), "Lin 2015");
    }
}
