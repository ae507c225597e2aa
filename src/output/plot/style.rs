//! What every figure shares: sizes in typographic points, colours, line styles, tick labels,
//! wrapped text and legends drawn outside the data.

use super::FONT;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

pub(in crate::output) type Area<DB> = DrawingArea<DB, Shift>;

/// Font sizes (points): a figure printed one column wide reads like the paper's own small print.
pub(in crate::output) const TITLE_PT: f64 = 8.0;
pub(in crate::output) const SUBTITLE_PT: f64 = 6.5;
pub(in crate::output) const AXIS_PT: f64 = 7.0;
pub(in crate::output) const TICK_PT: f64 = 6.5;
pub(in crate::output) const LEGEND_PT: f64 = 6.5;
pub(in crate::output) const LETTER_PT: f64 = 10.0;
/// Data line width (points).
pub(in crate::output) const LINE_PT: f64 = 1.0;

pub(in crate::output) const INK: RGBColor = RGBColor(25, 25, 25);
pub(in crate::output) const GREY: RGBColor = RGBColor(100, 100, 100);
pub(in crate::output) const LIGHT: RGBColor = RGBColor(215, 215, 215);

/// Line colours: Okabe-Ito, readable by colour-blind readers and on white, then black.
pub(super) const COLORS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
];

/// Line styles, (dash, gap) in points, `None` solid: the k-th series takes colour k mod 7 and
/// style k mod 4, so two series that overlap still differ in style (Th1 and Th2, DKK1 under
/// STAT3).
pub(super) const DASHES: [Option<(f64, f64)>; 4] =
    [None, Some((4.0, 2.0)), Some((1.2, 1.5)), Some((7.0, 2.0))];

/// Sizes in points on a canvas: `px` pixels per point (the resolution, times the
/// supersampling factor of a PNG).
#[derive(Debug, Clone, Copy)]
pub(in crate::output) struct Scale(pub f64);

impl Scale {
    /// `pt` points in pixels.
    pub fn px(self, pt: f64) -> i32 {
        (pt * self.0).round() as i32
    }

    /// `pt` points in pixels, at least 1.
    pub fn upx(self, pt: f64) -> u32 {
        self.px(pt).max(1) as u32
    }

    /// The figure font at `pt` points, in ink.
    pub fn font(self, pt: f64) -> TextStyle<'static> {
        (FONT, pt * self.0).into_font().color(&INK)
    }

    /// The bold figure font at `pt` points.
    pub fn bold(self, pt: f64) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FONT), pt * self.0, FontStyle::Bold).color(&INK)
    }

    /// The style of the `k`-th data line.
    pub fn line(self, k: usize) -> ShapeStyle {
        COLORS[k % COLORS.len()].stroke_width(self.upx(LINE_PT))
    }
}

/// A series' colour.
pub(super) fn color(k: usize) -> RGBColor {
    COLORS[k % COLORS.len()]
}

/// A polyline in the `k`-th series' colour and dash pattern (backend coordinates).
pub(super) fn styled_path<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    k: usize,
    points: Vec<(i32, i32)>,
) -> Result<(), String> {
    let style = s.line(k);
    match DASHES[k % DASHES.len()] {
        None => area
            .draw(&PathElement::new(points, style))
            .map_err(|e| e.to_string()),
        Some((dash, gap)) => area
            .draw(&DashedPathElement::new(
                points,
                s.px(dash),
                s.px(gap + LINE_PT),
                style,
            ))
            .map_err(|e| e.to_string()),
    }
}

/// A tick label: `v` on an axis spanning `span`; values within rounding error of 0 print as
/// "0" (never "-1.11e-16").
pub(in crate::output) fn tick(v: f64, span: f64) -> String {
    if v.abs() <= span.abs() * 1e-9 {
        return "0".into();
    }
    format_tick(v)
}

/// A number for a tick or a colour bar: up to 3 decimals from 0.01 to a million, else a
/// mantissa of up to 3 significant digits times a power of ten (`2.73×10⁻³`, `1.5×10⁶`).
pub(in crate::output) fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-2..1e6).contains(&a) {
        let mut e = a.log10().floor() as i32;
        let mut m = v / 10f64.powi(e);
        // 9.999 rounds to 10.0: one more power of ten.
        if (m.abs() * 100.0).round() >= 1000.0 {
            e += 1;
            m = v / 10f64.powi(e);
        }
        let m = format!("{m:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string();
        return match m.as_str() {
            "1" => power_of_ten(e),
            "-1" => format!("-{}", power_of_ten(e)),
            _ => format!("{m}×{}", power_of_ten(e)),
        };
    }
    format!("{v:.3}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// `10` with `e` as a superscript (`10⁻⁵`).
fn power_of_ten(e: i32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut power = String::from("10");
    if e < 0 {
        power.push('⁻');
    }
    for d in e.unsigned_abs().to_string().bytes() {
        power.push(SUP[(d - b'0') as usize]);
    }
    power
}

/// Ticks of a logarithmic axis from `lo` to `hi` (both > 0): every decade, and 2 and 5 times
/// each decade when the range is under two decades (every second or third decade when there are
/// more than eight); 1 to 9 times the decade when a short range holds fewer than two of those,
/// and its ends as a last resort. Each with its label ([`log_label`]).
pub(super) fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (a, b) = (lo.log10(), hi.log10());
    if !(a.is_finite() && b.is_finite() && b > a) {
        return Vec::new();
    }
    let (e0, e1) = (a.floor() as i32, b.ceil() as i32);
    let within = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let marks = |mantissas: &[u32], every: i32| {
        let mut out = Vec::new();
        for e in e0..=e1 {
            if e.rem_euclid(every) != 0 {
                continue;
            }
            for m in mantissas {
                let v = *m as f64 * 10f64.powi(e);
                if within(v) {
                    out.push((v, log_label(*m, e)));
                }
            }
        }
        out
    };
    let decades = b - a;
    let ticks = if decades < 2.0 {
        marks(&[1, 2, 5], 1)
    } else {
        marks(&[1], ((e1 - e0) as f64 / 8.0).ceil().max(1.0) as i32)
    };
    if ticks.len() >= 2 {
        return ticks;
    }
    let ticks = marks(&[1, 2, 3, 4, 5, 6, 7, 8, 9], 1);
    if ticks.len() >= 2 {
        return ticks;
    }
    vec![(lo, format_tick(lo)), (hi, format_tick(hi))]
}

/// The label of `m` x 10^`e` (`m` in 1 to 9): plain digits from 0.001 to 90000 (`0.02`, `5`,
/// `300`), powers of ten beyond (`10⁻⁵`, `2×10⁶`).
pub(super) fn log_label(m: u32, e: i32) -> String {
    if (-3..=4).contains(&e) {
        return if e >= 0 {
            (m as u64 * 10u64.pow(e as u32)).to_string()
        } else {
            format!("{:.*}", (-e) as usize, m as f64 * 10f64.powi(e))
        };
    }
    let power = power_of_ten(e);
    if m == 1 {
        power
    } else {
        format!("{m}×{power}")
    }
}

/// A linear axis from `lo` to `hi` with its ticks where given (plotters' `WithKeyPoints` loses the
/// value formatter the mesh needs; this keeps it).
#[derive(Clone)]
pub(super) struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    /// The axis `lo..hi` with ticks at `ticks` (values in the axis' coordinate).
    pub fn new(lo: f64, hi: f64, ticks: &[(f64, String)]) -> Self {
        Ticked {
            inner: (lo..hi).into(),
            ticks: ticks.iter().map(|t| t.0).collect(),
        }
    }
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold points only: no light grid lines between the ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

/// The label of the tick nearest `v` among `ticks` (values in the axis' coordinate).
pub(super) fn label_of(ticks: &[(f64, String)], v: f64) -> String {
    ticks
        .iter()
        .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
        .map_or_else(String::new, |t| t.1.clone())
}

/// Width and height (pixels) of `text` in `style`, or an estimate if the font cannot say.
pub(in crate::output) fn text_size<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
    style: &TextStyle,
) -> (i32, i32) {
    area.estimate_text_size(text, style)
        .map(|(w, h)| (w as i32, h as i32))
        .unwrap_or_else(|_| {
            let size = 12.0;
            (
                (text.chars().count() as f64 * size * 0.6) as i32,
                size as i32,
            )
        })
}

/// `text` broken into lines no wider than `max_w` pixels, at spaces.
pub(in crate::output) fn wrap<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
    style: &TextStyle,
    max_w: i32,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let trial = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && text_size(area, &trial, style).0 > max_w {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = trial;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Draws `text` with its top-left corner at `(x, y)` of `area`.
pub(in crate::output) fn text_at<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
    style: &TextStyle,
    at: (i32, i32),
) -> Result<(), String> {
    area.draw_text(text, style, at).map_err(|e| e.to_string())
}

/// Draws an axis label with its top at `y`, centred under the data from `px0` to `px1` but
/// moved left or right to stay inside `area` (a long label under a narrow chart is not cut).
pub(super) fn axis_label<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    text: &str,
    (px0, px1): (i32, i32),
    y: i32,
) -> Result<(), String> {
    let style = s.font(AXIS_PT);
    let (w, _) = area.dim_in_pixel();
    let (tw, _) = text_size(area, text, &style);
    let x = ((px0 + px1) / 2 - tw / 2)
        .min(w as i32 - tw - s.px(2.0))
        .max(s.px(2.0));
    text_at(area, text, &style, (x, y))
}

/// A whole figure's start: `root` filled white, its heading (title and subtitle) drawn at the
/// top; returns the area below the heading, where the figure's body goes.
pub(in crate::output) fn titled<DB: DrawingBackend>(
    root: &Area<DB>,
    s: Scale,
    title: &str,
    subtitle: &str,
) -> Result<Area<DB>, String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let top = heading(root, s, None, title, subtitle)?;
    Ok(root.split_vertically(top).1)
}

/// A heading: an optional panel letter, a bold title and wrapped grey subtitle lines, at the top
/// of `area`. Returns its height in pixels.
pub(in crate::output) fn heading<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    letter: Option<char>,
    title: &str,
    subtitle: &str,
) -> Result<i32, String> {
    let (w, _) = area.dim_in_pixel();
    let mut x = s.px(2.0);
    let mut y = s.px(2.0);
    if let Some(l) = letter {
        let style = s.bold(LETTER_PT);
        text_at(area, &l.to_string(), &style, (x, y))?;
        x += text_size(area, &l.to_string(), &style).0 + s.px(4.0);
    }
    let max_w = w as i32 - x - s.px(2.0);
    let title_style = s.bold(TITLE_PT);
    for line in wrap(area, title, &title_style, max_w) {
        text_at(area, &line, &title_style, (x, y + s.px(1.5)))?;
        y += s.px(TITLE_PT * 1.3);
    }
    let sub = s.font(SUBTITLE_PT).color(&GREY);
    for line in wrap(area, subtitle, &sub, max_w) {
        text_at(area, &line, &sub, (x, y + s.px(1.5)))?;
        y += s.px(SUBTITLE_PT * 1.3);
    }
    Ok(y + s.px(3.0))
}

/// What a legend entry shows beside its text.
#[derive(Debug, Clone)]
pub(in crate::output) enum Swatch {
    /// The `k`-th series' line (colour and dash).
    Line(usize),
    /// A shaded band in the `k`-th series' colour.
    Band(usize, f64),
    /// A published point with its error bar: filled circle (calibration target) or triangle
    /// (validation outcome), in grey.
    Point(PointShape),
    /// A mark in a colour of its own (figures with their own palettes: validation, knock-out).
    Mark(RGBColor, Mark),
}

/// A mark of [`Swatch::Mark`] and of figures that draw their own points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A filled circle.
    Filled,
    /// An open circle.
    Open,
    /// A cross.
    Cross,
    /// A solid line.
    Line,
}

/// Draws `mark` in `colour` centred at backend coordinate `c`.
pub(in crate::output) fn draw_mark<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    mark: Mark,
    colour: RGBColor,
    c: (i32, i32),
) -> Result<(), String> {
    let r = s.px(2.2);
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    match mark {
        Mark::Filled => area.draw(&Circle::new(c, r, colour.filled())).map_err(e),
        Mark::Open => area
            .draw(&Circle::new(c, r, colour.stroke_width(s.upx(0.7))))
            .map_err(e),
        Mark::Cross => {
            let d = r * 7 / 10 + 1;
            let style = colour.stroke_width(s.upx(0.9));
            area.draw(&PathElement::new(
                vec![(c.0 - d, c.1 - d), (c.0 + d, c.1 + d)],
                style,
            ))
            .map_err(e)?;
            area.draw(&PathElement::new(
                vec![(c.0 - d, c.1 + d), (c.0 + d, c.1 - d)],
                style,
            ))
            .map_err(e)
        }
        Mark::Line => {
            let h = s.px(SWATCH_PT / 2.0);
            area.draw(&PathElement::new(
                vec![(c.0 - h, c.1), (c.0 + h, c.1)],
                colour.stroke_width(s.upx(LINE_PT)),
            ))
            .map_err(e)
        }
    }
}

/// Grey notes under a legend: each line wrapped to `area`'s width, from `y`; returns the y below.
pub(in crate::output) fn draw_notes<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    notes: &[String],
    (x, mut y): (i32, i32),
) -> Result<i32, String> {
    let (w, _) = area.dim_in_pixel();
    let style = s.font(LEGEND_PT).color(&GREY);
    for note in notes {
        for line in wrap(area, note, &style, w as i32 - x - s.px(2.0)) {
            text_at(area, &line, &style, (x, y))?;
            y += s.px(LEGEND_PT * 1.35);
        }
    }
    Ok(y)
}

/// Height in pixels of [`draw_notes`] across `width` pixels.
pub(in crate::output) fn notes_height<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    notes: &[String],
    width: i32,
) -> i32 {
    let style = s.font(LEGEND_PT).color(&GREY);
    notes
        .iter()
        .map(|n| wrap(area, n, &style, width - s.px(2.0)).len() as i32)
        .sum::<i32>()
        * s.px(LEGEND_PT * 1.35)
}

/// The marker of a published point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::output) enum PointShape {
    /// A calibration target (fitted).
    Circle,
    /// A validation outcome (not fitted).
    Triangle,
}

const SWATCH_PT: f64 = 16.0;

/// Legend entries laid out in rows across `width` pixels: (row, x) of each, and the number of
/// rows.
fn legend_layout<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    entries: &[(Swatch, String)],
    width: i32,
) -> (Vec<(i32, i32)>, i32) {
    let style = s.font(LEGEND_PT);
    let mut at = Vec::new();
    let (mut row, mut x) = (0, 0);
    for (_, label) in entries {
        let w = s.px(SWATCH_PT + 3.0) + text_size(area, label, &style).0 + s.px(8.0);
        if x > 0 && x + w > width {
            row += 1;
            x = 0;
        }
        at.push((row, x));
        x += w;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    (at, rows)
}

/// Height in pixels of a legend of `entries` across `width` pixels.
pub(in crate::output) fn legend_height<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    entries: &[(Swatch, String)],
    width: i32,
) -> i32 {
    let (_, rows) = legend_layout(area, s, entries, width);
    if rows == 0 {
        0
    } else {
        rows * s.px(LEGEND_PT * 1.5) + s.px(2.0)
    }
}

/// Draws a legend in `area` (outside the data), entries in rows from its top-left corner.
pub(in crate::output) fn draw_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    entries: &[(Swatch, String)],
    x0: i32,
) -> Result<(), String> {
    let (w, _) = area.dim_in_pixel();
    let (at, _) = legend_layout(area, s, entries, w as i32 - x0);
    let style = s.font(LEGEND_PT);
    let row_h = s.px(LEGEND_PT * 1.5);
    for ((swatch, label), (row, x)) in entries.iter().zip(at) {
        let x = x0 + x;
        let y = s.px(1.0) + row * row_h + row_h / 2;
        let sw = s.px(SWATCH_PT);
        match swatch {
            Swatch::Line(k) => styled_path(area, s, *k, vec![(x, y), (x + sw, y)])?,
            Swatch::Band(k, alpha) => area
                .draw(&Rectangle::new(
                    [(x, y - row_h / 3), (x + sw, y + row_h / 3)],
                    color(*k).mix(*alpha).filled(),
                ))
                .map_err(|e| e.to_string())?,
            Swatch::Point(shape) => {
                let c = (x + sw / 2, y);
                area.draw(&PathElement::new(
                    vec![(c.0, y - row_h / 3), (c.0, y + row_h / 3)],
                    GREY.stroke_width(s.upx(0.6)),
                ))
                .map_err(|e| e.to_string())?;
                published_marker(area, s, *shape, GREY, c)?;
            }
            Swatch::Mark(colour, mark) => draw_mark(area, s, *mark, *colour, (x + sw / 2, y))?,
        }
        let (_, th) = text_size(area, label, &style);
        text_at(area, label, &style, (x + sw + s.px(3.0), y - th / 2))?;
    }
    Ok(())
}

/// A published point's marker at backend coordinate `c`.
pub(super) fn published_marker<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    shape: PointShape,
    colour: RGBColor,
    c: (i32, i32),
) -> Result<(), String> {
    let r = s.px(2.2);
    let edge = WHITE.stroke_width(s.upx(0.4));
    match shape {
        PointShape::Circle => {
            area.draw(&Circle::new(c, r, colour.filled()))
                .map_err(|e| e.to_string())?;
            area.draw(&Circle::new(c, r, edge))
                .map_err(|e| e.to_string())
        }
        PointShape::Triangle => {
            let pts = vec![
                (c.0, c.1 - r - r / 3),
                (c.0 - r - r / 6, c.1 + r * 2 / 3),
                (c.0 + r + r / 6, c.1 + r * 2 / 3),
            ];
            area.draw(&Polygon::new(pts.clone(), colour.filled()))
                .map_err(|e| e.to_string())?;
            let mut closed = pts;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, edge))
                .map_err(|e| e.to_string())
        }
    }
}

/// A colour on the viridis scale (sequential, perceptually uniform, colour-blind safe) for `v`
/// in [0, 1], dark for 0.
pub(super) fn sequential(v: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 6] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
        (253.0, 231.0, 37.0),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = v * (STOPS.len() - 1) as f64;
    let k = (pos.floor() as usize).min(STOPS.len() - 2);
    let w = pos - k as f64;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    let lerp = |x: f64, y: f64| (x + (y - x) * w).round() as u8;
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// A colour from a blue-white-red scale for `v` in [0, 1] (0.5 white): for signed quantities,
/// centred on 0.
pub(in crate::output) fn diverging(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64, w: f64| (a + (b - a) * w).round() as u8;
    if v < 0.5 {
        let w = v / 0.5;
        RGBColor(
            lerp(33.0, 247.0, w),
            lerp(102.0, 247.0, w),
            lerp(172.0, 247.0, w),
        )
    } else {
        let w = (v - 0.5) / 0.5;
        RGBColor(
            lerp(247.0, 178.0, w),
            lerp(247.0, 24.0, w),
            lerp(247.0, 43.0, w),
        )
    }
}

/// The top-left pixel of `area` on its backend.
pub(in crate::output) fn origin<DB: DrawingBackend>(area: &Area<DB>) -> (i32, i32) {
    let (x, y) = area.get_pixel_range();
    (x.start, y.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(lo: f64, hi: f64) -> Vec<String> {
        log_ticks(lo, hi).into_iter().map(|t| t.1).collect()
    }

    #[test]
    fn log_axes_label_decades_and_2_5_within_two_decades() {
        assert_eq!(labels(1.0, 30.0), ["1", "2", "5", "10", "20"]);
        assert_eq!(
            labels(0.01, 1000.0),
            ["0.01", "0.1", "1", "10", "100", "1000"]
        );
        assert_eq!(labels(0.3, 7.0), ["0.5", "1", "2", "5"]);
        assert_eq!(labels(1e-6, 1e-3), ["10⁻⁶", "10⁻⁵", "10⁻⁴", "0.001"]);
        // Sixteen decades: every second one.
        assert_eq!(labels(1e-8, 1e8).len(), 9);
        // Within one 1-2-5 step: 1 to 9 times the decade.
        assert_eq!(labels(2.5, 4.5), ["3", "4"]);
        assert_eq!(log_label(2, 6), "2×10⁶");
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn tick_numbers_are_plain_or_a_mantissa_times_a_power_of_ten() {
        assert_eq!(format_tick(150000.0), "150000");
        assert_eq!(format_tick(0.25), "0.25");
        assert_eq!(format_tick(2.7345e-3), "2.73×10⁻³");
        assert_eq!(format_tick(-1.5e6), "-1.5×10⁶");
        assert_eq!(format_tick(1e-5), "10⁻⁵");
        assert_eq!(format_tick(9.9999e-3), "10⁻²");
        assert_eq!(format_tick(0.0), "0");
    }
}
