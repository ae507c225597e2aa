//! Outputs of `validate`: `validation.csv` (one row per outcome; numbers to 6 significant
//! digits, times as given), `validation.json` (the same in full precision, with citations and the
//! summary), the parity figure `parity.png`/`.svg` (model against published, a panel of BMD-type
//! outcomes and one of the others, coloured by category), one time-course figure per group of
//! outcomes on the same scenario, comparator, column and baseline at more than one time, across
//! studies and files (`timecourse_<scenario>[_minus_<comparator>]_<column>.png`/`.svg`), and the
//! text of `docs/validation.md`.
use super::OutputError;
use super::analysis::{Written, csv_field, write_text};
use super::figures::column_label;
use super::plot::{
    self, AXIS_PT, Area, GREY, INK, LIGHT, LINE_PT, Mark, Plotted, Scale, Swatch, TICK_PT,
    draw_legend, draw_mark, draw_notes, heading, legend_height, notes_height, origin, text_size,
    tick,
};
use crate::validation::{
    BAND_FLOOR, BAND_RELATIVE, BAND_SE, Category, Evaluation, Outcome, Validation, Verdict,
};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
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
    let parity = parity_options();
    out.plot(dir, "parity", &parity, || {
        draw(dir, "parity", &Parity { v, e }, &parity)
    });
    let course = plot::FigureOptions::default();
    for (stem, figure) in timecourses(v, e) {
        out.plot(dir, &stem, &course, || draw(dir, &stem, &figure, &course));
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
// Figures, laid out in points (`output::plot`): the parity figure two journal columns wide, the
// time courses one column wide, at 300 dpi.

/// Size of the parity figure (mm): two journal columns, two square panels and the legend.
pub const PARITY_MM: (f64, f64) = (180.0, 105.0);

/// The parity figure's options: [`PARITY_MM`] at the default resolution, PNG and SVG.
fn parity_options() -> plot::FigureOptions {
    crate::config::figure_sized(PARITY_MM.0, PARITY_MM.1)
}

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
    RGBColor(20, 40, 100),   // navy (not black: the verdict marks of the legend are black)
];
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

/// A figure: why it cannot be drawn (checked first), and how to draw it at `s`.
trait Figure {
    fn unplottable(&self) -> Option<String>;
    fn render<DB: DrawingBackend>(&self, root: &Area<DB>, s: Scale) -> Result<(), String>;
}

/// Draws `f` as `<dir>/<stem>.png` and `.svg` (as `opts` asks), or writes nothing and says why.
fn draw<F: Figure>(
    dir: &Path,
    stem: &str,
    f: &F,
    opts: &plot::FigureOptions,
) -> Result<Plotted, OutputError> {
    if let Some(why) = f.unplottable() {
        return Ok(Plotted::Skipped(format!("plot `{stem}` skipped: {why}")));
    }
    plot::write(dir, stem, &Drawn(f), opts)?;
    Ok(Plotted::Drawn)
}

/// A figure of this module as a `plot::Drawing`.
struct Drawn<'a, F>(&'a F);

impl<F: Figure> plot::Drawing for Drawn<'_, F> {
    fn size(&self, opts: &plot::FigureOptions) -> (u32, u32) {
        (opts.width_px, opts.height_px)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        self.0.render(root, Scale(px_per_pt))
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
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

/// The mark of a verdict: filled circle (within), open circle (outside), cross (wrong
/// direction).
fn verdict_mark(v: Verdict) -> Mark {
    match v {
        Verdict::Within => Mark::Filled,
        Verdict::Outside => Mark::Open,
        Verdict::WrongDirection => Mark::Cross,
    }
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

/// The band rule as a note under a legend.
fn band_note() -> String {
    format!(
        "the band: published ± max({BAND_SE} SE, {} % of it, {BAND_FLOOR})",
        BAND_RELATIVE * 100.0
    )
}

/// A chart of `x` against `y` in `area` with ticks, axis labels and a light grid, in points.
fn chart_in<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    s: Scale,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    (x_desc, y_desc): (&str, &str),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let y_fmt = |v: &f64| tick(*v, y1 - y0);
    let x_fmt = |v: &f64| tick(*v, x1 - x0);
    let label_w = [y0, y1, (y0 + y1) / 2.0]
        .iter()
        .map(|v| text_size(area, &y_fmt(v), &s.font(TICK_PT)).0)
        .max()
        .unwrap_or(0);
    let mut chart = ChartBuilder::on(area)
        .margin_top(s.px(3.0))
        .margin_left(s.px(2.0))
        .margin_right(s.px(6.0))
        .x_label_area_size(s.px(TICK_PT * 1.9 + AXIS_PT * 1.5))
        .y_label_area_size(label_w + s.px(AXIS_PT * 1.6 + 8.0))
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(LIGHT.stroke_width(s.upx(0.3)))
        .axis_style(INK.stroke_width(s.upx(0.5)))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(s.font(TICK_PT))
        .axis_desc_style(s.font(AXIS_PT))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(s.px(2.0))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Draws `mark` at data point `at` of `chart`.
fn mark_at<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    s: Scale,
    mark: Mark,
    c: RGBColor,
    at: (f64, f64),
) -> Result<(), String> {
    let area = chart.plotting_area().strip_coord_spec();
    let (ox, oy) = origin(&area);
    let (x, y) = chart.backend_coord(&at);
    draw_mark(&area, s, mark, c, (x - ox, y - oy))
}

/// Draws the legend `entries` and the `notes` at the bottom of `root` (below `body_bottom`).
fn legend_below<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    entries: &[(Swatch, String)],
    notes: &[String],
) -> Result<i32, String> {
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let legend_h = legend_height(root, s, entries, w - s.px(4.0));
    let notes_h = notes_height(root, s, notes, w - s.px(4.0));
    let top = h - legend_h - notes_h - s.px(2.0);
    let (_, below) = root.split_vertically(top);
    draw_legend(&below, s, entries, s.px(4.0))?;
    draw_notes(&below, s, notes, (s.px(4.0), legend_h))?;
    Ok(top)
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

impl Parity<'_> {
    /// The panels that have an outcome with a finite value.
    fn panels(&self) -> Vec<Panel> {
        [
            (true, "Bone mineral density and bone volume"),
            (false, "Turnover markers and other outcomes"),
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

    fn panel<DB: DrawingBackend>(
        &self,
        area: &Area<DB>,
        s: Scale,
        letter: char,
        p: &Panel,
    ) -> Result<(), String> {
        let (lo, hi) = p.axis;
        let within = p
            .outcomes
            .iter()
            .filter(|i| self.e.outcomes[**i].verdict == Verdict::Within)
            .count();
        let sub = format!("{} outcomes, {within} within their band", p.outcomes.len());
        let top = heading(area, s, Some(letter), p.title, &sub)?;
        let (_, body) = area.split_vertically(top);
        let mut chart = chart_in(
            &body,
            s,
            (lo, hi),
            (lo, hi),
            (
                "published change (% or the column's unit)",
                "model (same unit)",
            ),
        )?;
        let faint = FAINT.stroke_width(s.upx(0.4));
        chart
            .draw_series([
                segment((0.0, lo), (0.0, hi), faint),
                segment((lo, 0.0), (hi, 0.0), faint),
            ])
            .map_err(err)?;
        chart
            .draw_series(dashed(
                (lo, lo),
                (hi, hi),
                60,
                GREY.stroke_width(s.upx(0.7)),
            ))
            .map_err(err)?;
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
                    c.mix(0.25).stroke_width(s.upx(3.5)),
                )])
                .map_err(err)?;
            let (a, b) = (x - BAND_SE * o.se, x + BAND_SE * o.se);
            let bar = c.stroke_width(s.upx(0.7));
            chart
                .draw_series([
                    segment((a, r.model), (b, r.model), bar),
                    segment((a, r.model - cap), (a, r.model + cap), bar),
                    segment((b, r.model - cap), (b, r.model + cap), bar),
                ])
                .map_err(err)?;
            mark_at(&chart, s, verdict_mark(r.verdict), c, (x, r.model))?;
        }
        Ok(())
    }

    fn legend(&self) -> Vec<(Swatch, String)> {
        let mut entries = Vec::new();
        for c in Category::ALL {
            let n = self
                .v
                .outcomes
                .iter()
                .filter(|o| self.v.studies[o.study].category == c)
                .count();
            if n > 0 {
                entries.push((
                    Swatch::Mark(colour(c), Mark::Filled),
                    format!("{} ({n})", c.name()),
                ));
            }
        }
        for (v, label) in [
            (Verdict::Within, "within band"),
            (Verdict::Outside, "outside band"),
            (Verdict::WrongDirection, "wrong direction"),
        ] {
            entries.push((Swatch::Mark(INK, verdict_mark(v)), label.into()));
        }
        entries
    }

    fn notes() -> Vec<String> {
        vec![format!(
            "Colour: category; mark: verdict. Horizontal bars: published ± 2 SE; shaded vertical bars: {}; dashed: model = published. Panel A: columns bmd_* and bone_volume*.",
            band_note()
        )]
    }
}

impl Figure for Parity<'_> {
    fn unplottable(&self) -> Option<String> {
        self.panels()
            .is_empty()
            .then(|| "no outcome has a finite value".into())
    }

    fn render<DB: DrawingBackend>(&self, root: &Area<DB>, s: Scale) -> Result<(), String> {
        let panels = self.panels();
        if panels.is_empty() {
            return Err("no finite values".into());
        }
        root.fill(&WHITE).map_err(err)?;
        let top = heading(
            root,
            s,
            None,
            "Model against published outcomes",
            &summary_line(self.e),
        )?;
        let bottom = legend_below(root, s, &self.legend(), &Self::notes())?;
        let (_, body) = root.split_vertically(top);
        let (body, _) = body.split_vertically(bottom - top);
        for (k, (area, p)) in body
            .split_evenly((1, panels.len()))
            .iter()
            .zip(&panels)
            .enumerate()
        {
            self.panel(area, s, (b'A' + k as u8) as char, p)?;
        }
        Ok(())
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

    /// The title: the column in words, and the scenario (minus its comparator).
    fn title(&self) -> String {
        let o = self.first();
        let mut t = format!(
            "{}: {}",
            column_label(&o.column),
            self.v.scenarios[o.scenario].name
        );
        if let Some(m) = o.minus {
            let _ = write!(t, " minus {}", self.v.scenarios[m].name);
        }
        t
    }

    /// The subtitle: the scenario's description, or the column.
    fn subtitle(&self) -> String {
        let sc = &self.v.scenarios[self.first().scenario];
        if sc.description.is_empty() {
            self.first().column.clone()
        } else {
            sc.description.clone()
        }
    }

    fn y_desc(&self) -> String {
        let o = self.first();
        let label = column_label(&o.column);
        match o.from_days {
            Some(f) if self.scale() < 1.0 => {
                format!("{label} from year {}", short_num(f * self.scale()))
            }
            Some(f) => format!("{label} from day {}", short_num(f)),
            None => label,
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

    fn legend(&self) -> Vec<(Swatch, String)> {
        let mut entries = vec![(Swatch::Mark(INK, Mark::Line), "model".to_string())];
        for (st, label) in self.studies.iter().zip(self.labels()) {
            entries.push((Swatch::Mark(self.study_colour(*st), Mark::Filled), label));
        }
        entries
    }

    fn notes(&self) -> Vec<String> {
        let mut note = format!(
            "Points: published mean ± 2 SE, coloured by study; shaded: {}.",
            band_note()
        );
        if let Some(f) = self.first().from_days {
            let _ = write!(note, " Dashed line: the baseline, day {}.", short_num(f));
        }
        vec![note]
    }
}

impl Figure for TimeCourse<'_> {
    fn unplottable(&self) -> Option<String> {
        self.ranges(&self.curve())
            .is_none()
            .then(|| "no finite model values".into())
    }

    fn render<DB: DrawingBackend>(&self, root: &Area<DB>, s: Scale) -> Result<(), String> {
        let curve = self.curve();
        let ((x0, x1), (y0, y1)) = self.ranges(&curve).ok_or("no finite values")?;
        let k = self.scale();
        root.fill(&WHITE).map_err(err)?;
        let top = heading(root, s, None, &self.title(), &self.subtitle())?;
        let bottom = legend_below(root, s, &self.legend(), &self.notes())?;
        let (_, body) = root.split_vertically(top);
        let (body, _) = body.split_vertically(bottom - top);
        let x_desc = if k < 1.0 {
            "time (years)"
        } else {
            "time (days)"
        };
        let y_desc = self.y_desc();
        let mut chart = chart_in(&body, s, (x0, x1), (y0, y1), (x_desc, &y_desc))?;
        chart
            .draw_series([segment(
                (x0, 0.0),
                (x1, 0.0),
                FAINT.stroke_width(s.upx(0.4)),
            )])
            .map_err(err)?;
        if let Some(f) = self.first().from_days {
            let t = f * k;
            chart
                .draw_series(dashed((t, y0), (t, y1), 80, GREY.stroke_width(s.upx(0.5))))
                .map_err(err)?;
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
                .map_err(err)?;
        }
        let line = curve.iter().map(|(t, y)| (t * k, *y));
        chart
            .draw_series(LineSeries::new(line, INK.stroke_width(s.upx(LINE_PT))))
            .map_err(err)?;
        for i in &self.group {
            let o = &self.v.outcomes[*i];
            let c = self.study_colour(o.study);
            let t = o.time_days * k;
            let (a, b) = (o.value - BAND_SE * o.se, o.value + BAND_SE * o.se);
            let bar = c.stroke_width(s.upx(0.7));
            chart
                .draw_series([
                    segment((t, a), (t, b), bar),
                    segment((t - half / 2.0, a), (t + half / 2.0, a), bar),
                    segment((t - half / 2.0, b), (t + half / 2.0, b), bar),
                ])
                .map_err(err)?;
            mark_at(&chart, s, Mark::Filled, c, (t, o.value))?;
        }
        Ok(())
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
