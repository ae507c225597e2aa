//! Outputs of the knock-out analysis: `knockout.csv` (every run, its endpoints and its effect
//! against the context's untouched run), `summary.json`, and the figure `knockout.png`/`.svg`
//! (a heat map per endpoint: rows are the handles grouped by kind, columns the contexts x
//! factors, colour the effect on a diverging scale centred on 0). Also the text table the
//! command prints.

use super::OutputError;
use super::analysis::{Written, csv_field, write_text};
use super::plot::{
    self, AXIS_PT, Area, GREY, INK, Plotted, SUBTITLE_PT, Scale, TICK_PT, draw_notes, heading,
    notes_height, text_size,
};
use crate::analysis::knockout::{Knockout, KnockoutResult};
use crate::analysis::{Endpoint, Statistic};
use crate::config::KnockoutStudy;
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
    out.plot(dir, "knockout", &s.figure, || draw(dir, "knockout", s, r));
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
// The figure, laid out in points on the size of the study's `[figure]`.

/// Width of a panel's colour-bar column, gap between panels, and the margin (points).
const BAR_COLUMN_PT: f64 = 42.0;
const PANEL_GAP_PT: f64 = 6.0;
const MARGIN_PT: f64 = 2.0;

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

/// A factor as the figure shows it: `×0`, `×2`.
fn times(f: f64) -> String {
    format!("×{f}")
}

/// Everything the figure shows.
struct Figure<'a> {
    s: &'a KnockoutStudy,
    r: &'a KnockoutResult,
    lines: Vec<Line>,
    /// Colour-bar end (symmetric around 0) per endpoint.
    limits: Vec<f64>,
}

impl<'a> Figure<'a> {
    fn new(s: &'a KnockoutStudy, r: &'a KnockoutResult) -> Self {
        let k = &s.knockout;
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
        Figure {
            s,
            r,
            lines: lines(k),
            limits,
        }
    }

    fn title(&self) -> String {
        let f: Vec<String> = self.s.knockout.factors.iter().map(|f| times(*f)).collect();
        format!("Effect of each immune element set to {}", f.join(" and "))
    }

    fn subtitle(&self) -> String {
        let what = "colour and number: the endpoint of the run minus that of its context's untouched run (×0 = knock-out, ×1 = untouched), each handle set over the whole run";
        if self.s.description.is_empty() {
            what.to_string()
        } else {
            format!("{}; {what}", self.s.description)
        }
    }

    fn notes(&self) -> Vec<String> {
        vec![
            "Grey: the run failed. Rows: the immune module's handles (`immunoporosis list`), grouped by kind."
                .into(),
        ]
    }
}

/// Why the figure cannot be drawn, if it cannot: every run failed.
fn unplottable(r: &KnockoutResult) -> Option<String> {
    let any =
        r.untouched.iter().any(Result::is_ok) && r.changed.iter().flatten().any(Result::is_ok);
    (!any).then(|| "no run has an effect to show (every run failed?)".to_string())
}

/// Draws the figure as `<dir>/<stem>.png` and `.svg`, as the study's `[figure]` asks.
fn draw(
    dir: &Path,
    stem: &str,
    s: &KnockoutStudy,
    r: &KnockoutResult,
) -> Result<Plotted, OutputError> {
    if let Some(why) = unplottable(r) {
        return Ok(Plotted::Skipped(format!("plot `{stem}` skipped: {why}")));
    }
    plot::write(dir, stem, &Figure::new(s, r), &s.figure)?;
    Ok(Plotted::Drawn)
}

impl plot::Drawing for Figure<'_> {
    fn size(&self, opts: &plot::FigureOptions) -> (u32, u32) {
        (opts.width_px, opts.height_px)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        render(root, Scale(px_per_pt), self)
    }
}

/// Where things go, in pixels of the canvas.
struct Grid {
    /// Left edge of the cells of panel 0, and the width of a cell.
    x0: i32,
    cell_w: i32,
    /// Distance between the left edges of two panels.
    panel_step: i32,
    /// Top of the column headings, of the first row, and the height of a row.
    head_top: i32,
    rows_top: i32,
    row_h: f64,
}

impl Grid {
    fn panel_x(&self, j: usize) -> i32 {
        self.x0 + j as i32 * self.panel_step
    }

    fn row_top(&self, i: usize) -> i32 {
        self.rows_top + (i as f64 * self.row_h).round() as i32
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `text` centred at `(x, y)`.
fn centred<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
    style: &TextStyle,
    (x, y): (i32, i32),
) -> Result<(), String> {
    let style = style.pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (x, y)).map_err(err)
}

fn render<DB: DrawingBackend>(root: &Area<DB>, s: Scale, f: &Figure) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let k = &f.s.knockout;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let top = heading(root, s, None, &f.title(), &f.subtitle())?;
    let notes = f.notes();
    let notes_top = h - notes_height(root, s, &notes, w) - s.px(MARGIN_PT);
    let head_h = s.px(AXIS_PT * 1.4 + SUBTITLE_PT * 1.4 + TICK_PT * 1.3 * 3.0 + 4.0);
    let rows_top = top + head_h;
    let row_h = (notes_top - s.px(3.0) - rows_top) as f64 / f.lines.len() as f64;
    let label_w = f
        .lines
        .iter()
        .map(|l| match l {
            Line::Kind(kind) => text_size(root, &plural(kind), &s.bold(TICK_PT)).0,
            Line::Handle(i) => text_size(root, k.handles[*i].name, &s.font(TICK_PT)).0,
        })
        .max()
        .unwrap_or(0)
        + s.px(MARGIN_PT + 4.0);
    let panels = k.endpoints.len() as i32;
    let columns = (k.contexts.len() * k.factors.len()) as i32;
    let cells_w = w
        - label_w
        - panels * s.px(BAR_COLUMN_PT)
        - (panels - 1) * s.px(PANEL_GAP_PT)
        - s.px(MARGIN_PT);
    let cell_w = cells_w / (panels * columns);
    if cell_w < s.px(8.0) || row_h < 4.0 * s.0 {
        return Err(format!(
            "{} rows and {} columns do not fit in {w} x {h} pixels; give a larger [figure]",
            f.lines.len(),
            panels * columns
        ));
    }
    let g = Grid {
        x0: label_w,
        cell_w,
        panel_step: columns * cell_w + s.px(BAR_COLUMN_PT + PANEL_GAP_PT),
        head_top: top,
        rows_top,
        row_h,
    };
    row_labels(root, s, f, &g)?;
    for j in 0..k.endpoints.len() {
        panel(root, s, f, &g, j)?;
    }
    draw_notes(root, s, &notes, (s.px(MARGIN_PT), notes_top))?;
    Ok(())
}

fn row_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    f: &Figure,
    g: &Grid,
) -> Result<(), String> {
    for (i, line) in f.lines.iter().enumerate() {
        let mid = g.row_top(i) + (g.row_h / 2.0).round() as i32;
        let (text, style, x, anchor) = match line {
            Line::Kind(kind) => (plural(kind), s.bold(TICK_PT), s.px(MARGIN_PT), HPos::Left),
            Line::Handle(h) => (
                f.s.knockout.handles[*h].name.to_string(),
                s.font(TICK_PT),
                g.x0 - s.px(3.0),
                HPos::Right,
            ),
        };
        root.draw_text(&text, &style.pos(Pos::new(anchor, VPos::Center)), (x, mid))
            .map_err(err)?;
    }
    Ok(())
}

/// Panel `j`: endpoint `j`'s effects, its column headings and its colour bar.
fn panel<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    f: &Figure,
    g: &Grid,
    j: usize,
) -> Result<(), String> {
    let k = &f.s.knockout;
    let e = &k.endpoints[j];
    let x0 = g.panel_x(j);
    let nf = k.factors.len() as i32;
    let w = k.contexts.len() as i32 * nf * g.cell_w;
    let mut y = g.head_top + s.px(AXIS_PT * 0.7);
    centred(root, &e.name, &s.bold(AXIS_PT), (x0 + w / 2, y))?;
    y += s.px(AXIS_PT * 0.7 + SUBTITLE_PT * 0.8);
    let what = format!(
        "{}, {}",
        super::figures::column_label(&e.column),
        statistic(e.statistic)
    );
    centred(
        root,
        &what,
        &s.font(SUBTITLE_PT).color(&GREY),
        (x0 + w / 2, y),
    )?;
    let ctx_top = y + s.px(SUBTITLE_PT * 0.8);
    let factor_y = g.rows_top - s.px(TICK_PT * 0.8);
    for (c, ctx) in k.contexts.iter().enumerate() {
        let cx = x0 + c as i32 * nf * g.cell_w;
        context_heading(root, s, &ctx.label, (cx, nf * g.cell_w), ctx_top)?;
        for (fi, x) in k.factors.iter().enumerate() {
            let fx = cx + fi as i32 * g.cell_w + g.cell_w / 2;
            centred(root, &times(*x), &s.font(TICK_PT), (fx, factor_y))?;
        }
    }
    cells(root, s, f, g, j, x0)?;
    let bottom = g.row_top(f.lines.len());
    for c in 1..k.contexts.len() {
        let cx = x0 + c as i32 * nf * g.cell_w;
        root.draw(&PathElement::new(
            vec![(cx, ctx_top), (cx, bottom)],
            INK.stroke_width(s.upx(0.6)),
        ))
        .map_err(err)?;
    }
    colour_bar(root, s, f, j, (x0 + w + s.px(5.0), g.rows_top, bottom))
}

/// A context's label over its columns (`x`, width `w`), on one line or wrapped onto two.
fn context_heading<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    label: &str,
    (x, w): (i32, i32),
    top: i32,
) -> Result<(), String> {
    let style = s.font(TICK_PT);
    let lines = plot::wrap(root, label, &style, w - s.px(2.0));
    let line_h = s.px(TICK_PT * 1.3);
    for (i, line) in lines.iter().take(2).enumerate() {
        centred(
            root,
            line,
            &style,
            (x + w / 2, top + line_h / 2 + i as i32 * line_h),
        )?;
    }
    Ok(())
}

fn cells<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    f: &Figure,
    g: &Grid,
    j: usize,
    x0: i32,
) -> Result<(), String> {
    let k = &f.s.knockout;
    let m = f.limits[j];
    let nf = k.factors.len();
    // The value is written in the cell when it fits: a font a bit smaller than the ticks.
    let pt = (TICK_PT - 0.5).min(g.row_h / s.0 * 0.75);
    for (i, line) in f.lines.iter().enumerate() {
        let Line::Handle(h) = line else { continue };
        let (top, bottom) = (g.row_top(i), g.row_top(i + 1));
        for c in 0..k.contexts.len() {
            for fi in 0..nf {
                let x = x0 + ((c * nf + fi) as i32) * g.cell_w;
                let effect = f.r.effect(c, *h, fi, j).filter(|e| e.is_finite());
                let (fill, label, ink) = match effect {
                    Some(e) => {
                        let u = (e / m).clamp(-1.0, 1.0);
                        let ink = if u.abs() > 0.6 { WHITE } else { INK };
                        (plot::diverging((u + 1.0) / 2.0), cell_text(e), ink)
                    }
                    None => (RGBColor(170, 170, 170), "failed".to_string(), INK),
                };
                let rect = [(x, top), (x + g.cell_w, bottom)];
                root.draw(&Rectangle::new(rect, fill.filled()))
                    .map_err(err)?;
                root.draw(&Rectangle::new(rect, WHITE.stroke_width(s.upx(0.3))))
                    .map_err(err)?;
                let style = s.font(pt).color(&ink);
                if text_size(root, &label, &style).0 <= g.cell_w - s.px(1.5) {
                    centred(root, &label, &style, (x + g.cell_w / 2, (top + bottom) / 2))?;
                }
            }
        }
    }
    Ok(())
}

/// The colour bar of panel `j` at `x` from `top` to `bottom`: the diverging scale from -limit
/// to +limit, ticks, and the effect's unit.
fn colour_bar<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    f: &Figure,
    j: usize,
    (x, top, bottom): (i32, i32, i32),
) -> Result<(), String> {
    let m = f.limits[j];
    let bar_w = s.px(5.0);
    let steps = (bottom - top).max(1);
    for k in 0..steps {
        let colour = plot::diverging(1.0 - (k as f64 + 0.5) / steps as f64);
        root.draw(&Rectangle::new(
            [(x, top + k), (x + bar_w, top + k + 1)],
            colour.filled(),
        ))
        .map_err(err)?;
    }
    root.draw(&Rectangle::new(
        [(x, top), (x + bar_w, bottom)],
        INK.stroke_width(s.upx(0.4)),
    ))
    .map_err(err)?;
    let style = s.font(TICK_PT);
    let mut widest = 0;
    for t in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let y = bottom - ((t + 1.0) / 2.0 * (bottom - top) as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + bar_w, y), (x + bar_w + s.px(1.5), y)],
            INK.stroke_width(s.upx(0.4)),
        ))
        .map_err(err)?;
        let label = if t == 0.0 {
            "0".to_string()
        } else {
            format!("{:+}", t * m)
        };
        widest = widest.max(text_size(root, &label, &style).0);
        root.draw_text(
            &label,
            &style.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + bar_w + s.px(2.5), y),
        )
        .map_err(err)?;
    }
    let e = &f.s.knockout.endpoints[j];
    let unit = format!("{} vs untouched ({})", e.name, effect_unit(e));
    let rotated = s
        .font(SUBTITLE_PT)
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(
        &unit,
        &rotated,
        (
            x + bar_w + s.px(2.5) + widest + s.px(SUBTITLE_PT * 0.9),
            (top + bottom) / 2,
        ),
    )
    .map_err(err)
}
