//! Outputs of the knock-out analysis: `knockout.csv` (every run, its endpoints and its effect
//! against the context's untouched run), `summary.json`, and the figure `knockout.png`/`.svg`
//! (a heat map per endpoint: rows are the handles grouped by kind, columns the contexts x
//! factors, colour the effect on a diverging scale centred on 0). Also the text table the
//! command prints.

use super::OutputError;
use super::analysis::{Written, csv_field, write_text};
use super::plot::{self, FONT, Plotted};
use crate::analysis::knockout::{Knockout, KnockoutResult};
use crate::analysis::{Endpoint, Statistic};
use crate::config::KnockoutStudy;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// Writes `knockout.csv`, `summary.json` and the figure into `dir`.
pub fn write_knockout(
    dir: &Path,
    s: &KnockoutStudy,
    r: &KnockoutResult,
) -> Result<Written, OutputError> {
    write_text(&dir.join("knockout.csv"), &table_csv(&s.knockout, r))?;
    let summary = serde_json::to_string_pretty(&summary(s, r)).unwrap_or_default() + "\n";
    write_text(&dir.join("summary.json"), &summary)?;
    let mut out = Written {
        files: vec!["knockout.csv".into(), "summary.json".into()],
        warnings: Vec::new(),
    };
    out.plot(dir, "knockout", &Default::default(), || {
        draw(dir, "knockout", s, r)
    });
    Ok(out)
}

/// What an effect on `e` is measured in: percentage points for an endpoint in percent.
pub fn effect_unit(e: &Endpoint) -> String {
    if e.column.ends_with("_pct") {
        "percentage points".into()
    } else {
        format!("difference in {}", e.column)
    }
}

/// A factor as written in tables: `x0`, `x2`, `x0.5`.
fn factor_label(f: f64) -> String {
    format!("x{f}")
}

/// One row per run: context, scenario, handle, its input and kind, factor, the endpoints, their
/// effects against the context's untouched run (whose row has handle `untouched`), status.
fn table_csv(k: &Knockout, r: &KnockoutResult) -> String {
    let mut t = String::from("context,scenario,handle,input,kind,factor");
    for e in &k.endpoints {
        let _ = write!(t, ",{}", e.name);
    }
    for e in &k.endpoints {
        let _ = write!(t, ",{}_effect", e.name);
    }
    t.push_str(",status,error\n");
    let n = k.endpoints.len();
    for (c, ctx) in k.contexts.iter().enumerate() {
        let lead = format!("{},{}", csv_field(&ctx.label), csv_field(&ctx.scenario));
        let zeros = vec![Some(0.0); n];
        row(
            &mut t,
            &format!("{lead},untouched,,,"),
            &r.untouched[c],
            &zeros,
        );
        for (h, spec) in k.handles.iter().enumerate() {
            for (f, x) in k.factors.iter().enumerate() {
                let effects: Vec<Option<f64>> = (0..n).map(|j| r.effect(c, h, f, j)).collect();
                let head = format!("{lead},{},{},{},{x:e}", spec.name, spec.input, spec.kind);
                row(&mut t, &head, r.values(c, h, f), &effects);
            }
        }
    }
    t
}

fn row(t: &mut String, head: &str, values: &Result<Vec<f64>, String>, effects: &[Option<f64>]) {
    t.push_str(head);
    match values {
        Ok(v) => {
            for x in v {
                let _ = write!(t, ",{x:e}");
            }
        }
        Err(_) => t.push_str(&",".repeat(effects.len())),
    }
    for e in effects {
        match e {
            Some(x) => {
                let _ = write!(t, ",{x:e}");
            }
            None => t.push(','),
        }
    }
    match values {
        Ok(_) => t.push_str(",ok,\n"),
        Err(reason) => {
            let _ = writeln!(t, ",failed,{}", csv_field(reason));
        }
    }
}

/// The summary: what was run, each context's untouched endpoints, and per context and endpoint
/// the handles with the largest effects at each factor.
fn summary(s: &KnockoutStudy, r: &KnockoutResult) -> serde_json::Value {
    let k = &s.knockout;
    let largest = |c: usize, f: usize, j: usize| {
        let mut v: Vec<(usize, f64)> = (0..k.handles.len())
            .filter_map(|h| r.effect(c, h, f, j).map(|e| (h, e)))
            .collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        v.iter()
            .take(5)
            .map(|(h, e)| json!({"handle": k.handles[*h].name, "effect": e}))
            .collect::<Vec<_>>()
    };
    json!({
        "knockout": s.name,
        "description": s.description,
        "runs": k.runs(),
        "failed": r.failed(),
        "factors": k.factors,
        "handles": k.handles.iter().map(|h| json!({"name": h.name, "input": h.input, "kind": h.kind})).collect::<Vec<_>>(),
        "endpoints": k.endpoints.iter().map(|e| json!({
            "name": e.name, "column": e.column, "statistic": statistic(e.statistic), "effect_unit": effect_unit(e),
        })).collect::<Vec<_>>(),
        "contexts": k.contexts.iter().enumerate().map(|(c, ctx)| json!({
            "label": ctx.label,
            "scenario": ctx.scenario,
            "untouched": match &r.untouched[c] {
                Ok(v) => json!(k.endpoints.iter().zip(v).map(|(e, x)| (e.name.clone(), json!(x))).collect::<serde_json::Map<_, _>>()),
                Err(reason) => json!({"failed": reason}),
            },
            "largest_effects": k.endpoints.iter().enumerate().map(|(j, e)| json!({
                "endpoint": e.name,
                "by_factor": k.factors.iter().enumerate().map(|(f, x)| json!({"factor": x, "handles": largest(c, f, j)})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn statistic(s: Statistic) -> String {
    match s {
        Statistic::At(d) => format!("value at day {d}"),
        other => format!("{other:?}"),
    }
}

/// The factor the text table shows: the knock-out (0) if it was run, or else the first.
fn table_factor(k: &Knockout) -> usize {
    k.factors.iter().position(|f| *f == 0.0).unwrap_or(0)
}

/// The text table the command prints: every handle's effect at the knock-out factor on each
/// endpoint in each context, sorted by its effect on the first endpoint in the `sort_by`
/// context (largest first; failed runs last).
pub fn text_table(s: &KnockoutStudy, r: &KnockoutResult) -> String {
    let k = &s.knockout;
    let f = table_factor(k);
    let sort = s.sort_by;
    let mut order: Vec<usize> = (0..k.handles.len()).collect();
    let key = |h: usize| r.effect(sort, h, f, 0).unwrap_or(f64::NEG_INFINITY);
    order.sort_by(|a, b| key(*b).total_cmp(&key(*a)));
    let mut out = format!(
        "effect of each handle at {} vs the untouched run ({}), sorted by `{}` in `{}`\n",
        factor_label(k.factors[f]),
        k.endpoints
            .iter()
            .map(|e| format!("{}: {}", e.name, effect_unit(e)))
            .collect::<Vec<_>>()
            .join("; "),
        k.endpoints[0].name,
        k.contexts[sort].label
    );
    let _ = write!(out, "  {:<12} {:<13}", "handle", "kind");
    for c in &k.contexts {
        let width = 14 * k.endpoints.len();
        let label: String = c.label.chars().take(width - 1).collect();
        let _ = write!(out, " {label:>width$}");
    }
    out.push('\n');
    let _ = write!(out, "  {:<12} {:<13}", "", "");
    for _ in &k.contexts {
        for e in &k.endpoints {
            let name: String = e.name.chars().take(13).collect();
            let _ = write!(out, " {name:>13}");
        }
    }
    out.push('\n');
    for h in order {
        let _ = write!(out, "  {:<12} {:<13}", k.handles[h].name, k.handles[h].kind);
        for c in 0..k.contexts.len() {
            for j in 0..k.endpoints.len() {
                match r.effect(c, h, f, j) {
                    Some(e) => {
                        let _ = write!(out, " {e:>+13.2}");
                    }
                    None => {
                        let _ = write!(out, " {:>13}", "failed");
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The figure.

/// Pixel sizes of the figure.
const MARGIN: i32 = 20;
const LABEL_W: i32 = 125;
const CELL_W: i32 = 74;
const CELL_H: i32 = 24;
const KIND_H: i32 = 24;
const BAR_AREA: i32 = 135;
const BAR_W: i32 = 18;
const PANEL_GAP: i32 = 20;
const TOP: i32 = 78;
const HEAD: i32 = 92;
const BOTTOM: i32 = 46;

/// A row of the figure: a kind's heading, or a handle.
enum Line {
    Kind(&'static str),
    Handle(usize),
}

/// The figure's rows: the handles grouped by kind (kinds in order of first appearance).
fn lines(k: &Knockout) -> Vec<Line> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for h in &k.handles {
        if !kinds.contains(&h.kind) {
            kinds.push(h.kind);
        }
    }
    let mut out = Vec::new();
    for kind in kinds {
        out.push(Line::Kind(kind));
        for (i, h) in k.handles.iter().enumerate() {
            if h.kind == kind {
                out.push(Line::Handle(i));
            }
        }
    }
    out
}

/// The heading of a kind: `cytokines`, `cells`, `Wnt inhibitors`, `signalling`.
fn plural(kind: &str) -> String {
    if kind.ends_with("ing") {
        kind.to_string()
    } else {
        format!("{kind}s")
    }
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n at or above `m` (a colour bar's
/// end, close to the largest effect so that the colours use the scale); 1 for 0.
fn nice_ceil(m: f64) -> f64 {
    if m.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !m.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(m.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|f| f * p)
        .find(|v| *v >= m * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

/// A value in a cell: two significant decimals for small values, fewer for large.
fn cell_text(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 10.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    // "-0.00" reads as a loss where there is none.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// Everything the figure shows, with its size.
struct Layout<'a> {
    s: &'a KnockoutStudy,
    r: &'a KnockoutResult,
    lines: Vec<Line>,
    /// Colour-bar end (symmetric around 0) per endpoint.
    limits: Vec<f64>,
    columns: i32,
    width: i32,
    height: i32,
}

impl<'a> Layout<'a> {
    fn new(s: &'a KnockoutStudy, r: &'a KnockoutResult) -> Self {
        let k = &s.knockout;
        let lines = lines(k);
        let columns = (k.contexts.len() * k.factors.len()) as i32;
        let limits = (0..k.endpoints.len())
            .map(|j| {
                let mut m: f64 = 0.0;
                for c in 0..k.contexts.len() {
                    for h in 0..k.handles.len() {
                        for f in 0..k.factors.len() {
                            if let Some(e) = r.effect(c, h, f, j).filter(|e| e.is_finite()) {
                                m = m.max(e.abs());
                            }
                        }
                    }
                }
                nice_ceil(m)
            })
            .collect();
        let rows: i32 = lines
            .iter()
            .map(|l| match l {
                Line::Kind(_) => KIND_H,
                Line::Handle(_) => CELL_H,
            })
            .sum();
        let panels = k.endpoints.len() as i32;
        let width = 2 * MARGIN
            + LABEL_W
            + panels * (columns * CELL_W + BAR_AREA)
            + (panels - 1) * PANEL_GAP;
        let height = TOP + HEAD + rows + BOTTOM;
        Layout {
            s,
            r,
            lines,
            limits,
            columns,
            width: width.max(700),
            height,
        }
    }

    /// Left edge of panel `j`'s cells.
    fn panel_x(&self, j: usize) -> i32 {
        MARGIN + LABEL_W + j as i32 * (self.columns * CELL_W + BAR_AREA + PANEL_GAP)
    }

    fn size(&self) -> (u32, u32) {
        (self.width as u32, self.height as u32)
    }
}

/// Why the figure cannot be drawn, if it cannot: every run failed.
fn unplottable(r: &KnockoutResult) -> Option<String> {
    let any =
        r.untouched.iter().any(Result::is_ok) && r.changed.iter().flatten().any(Result::is_ok);
    (!any).then(|| "no run has an effect to show (every run failed?)".to_string())
}

/// Draws the figure as `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
fn draw(
    dir: &Path,
    stem: &str,
    s: &KnockoutStudy,
    r: &KnockoutResult,
) -> Result<Plotted, OutputError> {
    if let Some(why) = unplottable(r) {
        return Ok(Plotted::Skipped(format!("plot `{stem}` skipped: {why}")));
    }
    plot::png_and_svg(dir, stem, &Layout::new(s, r))?;
    Ok(Plotted::Drawn)
}

impl plot::Drawing for Layout<'_> {
    fn size(&self, _: &plot::FigureOptions) -> (u32, u32) {
        Layout::size(self)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, _: f64) -> Result<(), String> {
        render(root, self)
    }

    fn scalable(&self) -> bool {
        false
    }
}

type Area<DB> = DrawingArea<DB, Shift>;

fn text<DB: DrawingBackend>(
    root: &Area<DB>,
    s: &str,
    (x, y): (i32, i32),
    font: FontDesc,
    color: &RGBColor,
    pos: Pos,
) -> Result<(), String> {
    let style = font.color(color).pos(pos);
    root.draw(&Text::new(s.to_string(), (x, y), style))
        .map_err(|e| e.to_string())
}

fn font(size: u32) -> FontDesc<'static> {
    (FONT, size).into_font()
}

fn bold(size: u32) -> FontDesc<'static> {
    (FONT, size, FontStyle::Bold).into_font()
}

const INK: RGBColor = RGBColor(30, 30, 30);
const GREY: RGBColor = RGBColor(110, 110, 110);

fn render<DB: DrawingBackend>(root: &Area<DB>, l: &Layout) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let k = &l.s.knockout;
    let centre = Pos::new(HPos::Center, VPos::Center);
    let title = format!(
        "What each immune element does: effect vs the untouched run ({})",
        l.s.name
    );
    text(root, &title, (l.width / 2, 22), bold(22), &INK, centre)?;
    let factors: Vec<String> = k.factors.iter().map(|f| format!("×{f}")).collect();
    let sub = format!(
        "each handle set to {} over the whole run (×0 = knock-out, ×1 = untouched); colour and number: endpoint of the run minus that of its context's untouched run",
        factors.join(", ")
    );
    text(root, &sub, (l.width / 2, 52), font(14), &GREY, centre)?;
    row_labels(root, l)?;
    for j in 0..k.endpoints.len() {
        panel(root, l, j)?;
    }
    let note = "grey: run failed. Rows: the immune module's handles (immunoporosis list), grouped by kind.";
    text(
        root,
        note,
        (MARGIN, l.height - 22),
        font(13),
        &GREY,
        Pos::new(HPos::Left, VPos::Center),
    )
}

/// The y of the top of each line.
fn line_tops(l: &Layout) -> Vec<i32> {
    let mut y = TOP + HEAD;
    l.lines
        .iter()
        .map(|line| {
            let top = y;
            y += match line {
                Line::Kind(_) => KIND_H,
                Line::Handle(_) => CELL_H,
            };
            top
        })
        .collect()
}

fn row_labels<DB: DrawingBackend>(root: &Area<DB>, l: &Layout) -> Result<(), String> {
    let left = Pos::new(HPos::Left, VPos::Center);
    let right = Pos::new(HPos::Right, VPos::Center);
    for (line, top) in l.lines.iter().zip(line_tops(l)) {
        match line {
            Line::Kind(kind) => {
                text(
                    root,
                    &plural(kind),
                    (MARGIN, top + KIND_H / 2 + 2),
                    bold(14),
                    &INK,
                    left,
                )?;
            }
            Line::Handle(h) => {
                let name = l.s.knockout.handles[*h].name;
                text(
                    root,
                    name,
                    (MARGIN + LABEL_W - 8, top + CELL_H / 2),
                    font(14),
                    &INK,
                    right,
                )?;
            }
        }
    }
    Ok(())
}

/// Panel `j`: endpoint `j`'s effects, its column headings and its colour bar.
fn panel<DB: DrawingBackend>(root: &Area<DB>, l: &Layout, j: usize) -> Result<(), String> {
    let k = &l.s.knockout;
    let e = &k.endpoints[j];
    let x0 = l.panel_x(j);
    let w = l.columns * CELL_W;
    let centre = Pos::new(HPos::Center, VPos::Center);
    text(root, &e.name, (x0 + w / 2, TOP + 8), bold(17), &INK, centre)?;
    let what = format!("{}, {}", e.column, statistic(e.statistic));
    text(root, &what, (x0 + w / 2, TOP + 28), font(12), &GREY, centre)?;
    let nf = k.factors.len() as i32;
    for (c, ctx) in k.contexts.iter().enumerate() {
        let cx = x0 + c as i32 * nf * CELL_W;
        context_heading(root, &ctx.label, cx, nf * CELL_W)?;
        for (f, x) in k.factors.iter().enumerate() {
            let fx = cx + f as i32 * CELL_W + CELL_W / 2;
            text(
                root,
                &format!("×{x}"),
                (fx, TOP + HEAD - 10),
                font(13),
                &INK,
                centre,
            )?;
        }
    }
    cells(root, l, j, x0)?;
    let y1 = line_tops(l).last().copied().unwrap_or(TOP + HEAD) + CELL_H;
    for c in 1..k.contexts.len() {
        let cx = x0 + c as i32 * nf * CELL_W;
        root.draw(&PathElement::new(
            vec![(cx, TOP + 42), (cx, y1)],
            INK.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?;
    }
    colour_bar(root, l, j, x0 + w + 16)
}

/// A context's label over its columns, on one line or wrapped onto two.
fn context_heading<DB: DrawingBackend>(
    root: &Area<DB>,
    label: &str,
    x: i32,
    w: i32,
) -> Result<(), String> {
    let centre = Pos::new(HPos::Center, VPos::Center);
    let f = font(13);
    let fits = |s: &str| {
        root.estimate_text_size(s, &f.color(&INK))
            .map(|(tw, _)| tw as i32 <= w - 6)
            .unwrap_or(true)
    };
    let words: Vec<&str> = label.split(' ').collect();
    let split = (1..words.len()).find(|&n| !fits(&words[..=n].join(" ")));
    match split {
        Some(n) if fits(&words[..n].join(" ")) => {
            text(
                root,
                &words[..n].join(" "),
                (x + w / 2, TOP + 48),
                f.clone(),
                &INK,
                centre,
            )?;
            text(
                root,
                &words[n..].join(" "),
                (x + w / 2, TOP + 64),
                f,
                &INK,
                centre,
            )
        }
        _ => text(root, label, (x + w / 2, TOP + 56), f, &INK, centre),
    }
}

fn cells<DB: DrawingBackend>(root: &Area<DB>, l: &Layout, j: usize, x0: i32) -> Result<(), String> {
    let k = &l.s.knockout;
    let m = l.limits[j];
    let nf = k.factors.len();
    let centre = Pos::new(HPos::Center, VPos::Center);
    for (line, top) in l.lines.iter().zip(line_tops(l)) {
        let Line::Handle(h) = line else { continue };
        for c in 0..k.contexts.len() {
            for f in 0..nf {
                let x = x0 + ((c * nf + f) as i32) * CELL_W;
                let effect = l.r.effect(c, *h, f, j).filter(|e| e.is_finite());
                let (fill, label, ink) = match effect {
                    Some(e) => {
                        let u = (e / m).clamp(-1.0, 1.0);
                        let ink = if u.abs() > 0.6 { WHITE } else { INK };
                        (plot::diverging((u + 1.0) / 2.0), cell_text(e), ink)
                    }
                    None => (RGBColor(170, 170, 170), "failed".to_string(), INK),
                };
                root.draw(&Rectangle::new(
                    [(x, top), (x + CELL_W, top + CELL_H)],
                    fill.filled(),
                ))
                .map_err(|e| e.to_string())?;
                root.draw(&Rectangle::new(
                    [(x, top), (x + CELL_W, top + CELL_H)],
                    WHITE.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
                text(
                    root,
                    &label,
                    (x + CELL_W / 2, top + CELL_H / 2),
                    font(12),
                    &ink,
                    centre,
                )?;
            }
        }
    }
    Ok(())
}

/// The colour bar of panel `j` at `x`: the diverging scale from -limit to +limit, ticks, and the
/// effect's unit.
fn colour_bar<DB: DrawingBackend>(
    root: &Area<DB>,
    l: &Layout,
    j: usize,
    x: i32,
) -> Result<(), String> {
    let m = l.limits[j];
    let (top, bottom) = (TOP + HEAD + 10, l.height - BOTTOM - 10);
    let steps = 100;
    for s in 0..steps {
        let y_hi = bottom - (bottom - top) * s / steps;
        let y_lo = bottom - (bottom - top) * (s + 1) / steps;
        let colour = plot::diverging((s as f64 + 0.5) / steps as f64);
        root.draw(&Rectangle::new(
            [(x, y_lo), (x + BAR_W, y_hi)],
            colour.filled(),
        ))
        .map_err(|e| e.to_string())?;
    }
    root.draw(&Rectangle::new(
        [(x, top), (x + BAR_W, bottom)],
        INK.stroke_width(1),
    ))
    .map_err(|e| e.to_string())?;
    let left = Pos::new(HPos::Left, VPos::Center);
    for t in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let y = bottom - ((t + 1.0) / 2.0 * (bottom - top) as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + BAR_W, y), (x + BAR_W + 5, y)],
            INK.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
        let v = t * m;
        let label = if t == 0.0 {
            "0".to_string()
        } else {
            format!("{v:+}")
        };
        text(root, &label, (x + BAR_W + 8, y), font(12), &INK, left)?;
    }
    let unit = format!(
        "{} vs untouched ({})",
        l.s.knockout.endpoints[j].name,
        effect_unit(&l.s.knockout.endpoints[j])
    );
    let rotated = font(13).transform(FontTransform::Rotate270);
    text(
        root,
        &unit,
        (x + BAR_W + 72, (top + bottom) / 2),
        rotated,
        &INK,
        Pos::new(HPos::Center, VPos::Center),
    )
}
