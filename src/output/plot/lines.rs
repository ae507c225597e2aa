//! Line plots: series against time or a swept parameter, with a shaded band, published points
//! with error bars, a strip of dose ticks under the time axis and the legend below the data; and
//! multi-panel figures of them.

use super::Drawing;
use super::style::{
    AXIS_PT, Area, GREY, INK, LEGEND_PT, LIGHT, PointShape, Scale, Swatch, TICK_PT, Ticked,
    axis_label, color, draw_legend, heading, label_of, legend_height, log_ticks, origin,
    published_marker, styled_path, text_at, text_size, tick, titled,
};
use crate::config::FigureOptions;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Runs longer than this are plotted against years.
const YEARS_AXIS_ABOVE_DAYS: f64 = 3.0 * 365.25;
const DAYS_PER_YEAR: f64 = 365.25;

/// A shaded band around a series (e.g. the 5th to 95th percentiles around a median). Bands of
/// one series are drawn in order, each over the ones before: list nested bands outer first (the
/// inner one then looks darker, and its legend swatch shows it so).
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend label.
    pub label: String,
    /// The series whose colour it takes.
    pub series: usize,
    /// (x, lower, upper) points.
    pub points: Vec<(f64, f64, f64)>,
    /// Opacity of its shade: [`BAND_ALPHA`] for a single band; [`INNER_BAND_ALPHA`] for a band
    /// drawn over another (the interquartile range over the 5th-95th percentiles).
    pub alpha: f64,
}

/// Where a published point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A calibration target (the model was fitted to it).
    Calibration,
    /// A validation outcome (not fitted).
    Validation,
}

/// A published value with its uncertainty, drawn as a marker with an error bar.
#[derive(Debug, Clone)]
pub struct Published {
    /// The series whose colour it takes.
    pub series: usize,
    /// x (days on a time axis).
    pub x: f64,
    /// Published mean.
    pub value: f64,
    /// Lower end of its error bar.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Calibration target or validation outcome.
    pub source: Source,
}

/// One drug's doses: a row of ticks in the strip under the time axis.
#[derive(Debug, Clone)]
pub struct DoseRow {
    /// Row label (the drug).
    pub label: String,
    /// Dose times (days).
    pub times: Vec<f64>,
    /// The series whose colour its ticks take (dark grey if none).
    pub series: Option<usize>,
}

/// Axis ranges of a line plot: ((x_lo, x_hi), (y_lo, y_hi)).
type Ranges = ((f64, f64), (f64, f64));

/// A line plot.
#[derive(Debug, Clone, Default)]
pub struct LinePlot {
    /// Title (a panel's title beside its letter).
    pub title: String,
    /// Subtitle (e.g. the scenario's description).
    pub subtitle: String,
    /// x-axis label (ignored on a time axis, which says days or years itself).
    pub x_label: String,
    /// y-axis label with unit.
    pub y_label: String,
    /// The lines, in legend order.
    pub series: Vec<super::Series>,
    /// Shaded bands, drawn under the lines.
    pub bands: Vec<Band>,
    /// Published points.
    pub published: Vec<Published>,
    /// Dose rows (time axis only).
    pub doses: Vec<DoseRow>,
    /// x is time in days, shown in years for long runs.
    pub time_axis: bool,
    /// Logarithmic x axis (x > 0).
    pub log_x: bool,
    /// Markers at every point (sampled values, not a continuous curve).
    pub markers: bool,
}

impl LinePlot {
    /// An empty plot against time.
    pub fn over_time(title: &str, subtitle: &str, y_label: &str) -> LinePlot {
        LinePlot {
            title: title.into(),
            subtitle: subtitle.into(),
            y_label: y_label.into(),
            time_axis: true,
            ..LinePlot::default()
        }
    }

    /// Why it cannot be drawn, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        self.ranges().map(|_| ())
    }

    fn finite_x(&self, x: f64) -> bool {
        x.is_finite() && (!self.log_x || x > 0.0)
    }

    /// ((x_lo, x_hi), (y_lo, y_hi)) over every finite point, padded.
    fn ranges(&self) -> Result<Ranges, String> {
        if self.series.iter().all(|(_, p)| p.is_empty()) {
            return Err("no series with points".into());
        }
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (x, y) in self.series.iter().flat_map(|(_, p)| p.iter()) {
            if self.finite_x(*x) && y.is_finite() {
                xs.push(*x);
                ys.push(*y);
            }
        }
        if xs.is_empty() {
            return Err("no finite points to plot".into());
        }
        for b in &self.bands {
            for (x, lo, hi) in &b.points {
                if self.finite_x(*x) && lo.is_finite() && hi.is_finite() {
                    ys.extend([*lo, *hi]);
                }
            }
        }
        for p in &self.published {
            if p.x.is_finite() && p.lo.is_finite() && p.hi.is_finite() {
                xs.push(p.x);
                ys.extend([p.lo, p.hi]);
            }
        }
        let fold = |v: &[f64]| {
            v.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(*x), b.max(*x))
                })
        };
        let (mut x_lo, mut x_hi) = fold(&xs);
        if self.time_axis {
            x_lo = x_lo.min(0.0);
        }
        if x_hi <= x_lo {
            if self.log_x {
                (x_lo, x_hi) = (x_lo / 2.0, x_hi * 2.0);
            } else {
                (x_lo, x_hi) = (x_lo - 1.0, x_hi + 1.0);
            }
        }
        // Markers at the ends of the axis are drawn whole.
        if self.markers {
            if self.log_x {
                let k = (x_hi / x_lo).powf(0.02);
                (x_lo, x_hi) = (x_lo / k, x_hi * k);
            } else {
                let pad = 0.02 * (x_hi - x_lo);
                (x_lo, x_hi) = (x_lo - pad, x_hi + pad);
            }
        }
        // A published point at the end of the axis is drawn whole.
        if self.published.iter().any(|p| p.x >= x_hi) && !self.log_x {
            x_hi += 0.02 * (x_hi - x_lo);
        }
        let (mut lo, mut hi) = fold(&ys);
        // A flat line (a steady state) still gets a readable axis.
        let span = (hi - lo).max(1e-9 * lo.abs().max(hi.abs())).max(1e-12);
        if hi - lo < span {
            lo -= span;
            hi += span;
        } else {
            lo -= 0.05 * span;
            hi += 0.05 * span;
        }
        let all = [x_lo, x_hi, lo, hi, x_hi - x_lo, hi - lo];
        if all.iter().any(|v| !v.is_finite()) || x_hi <= x_lo || hi <= lo {
            return Err(format!(
                "the axis range (x {x_lo:e} to {x_hi:e}, y {lo:e} to {hi:e}) cannot be drawn"
            ));
        }
        Ok(((x_lo, x_hi), (lo, hi)))
    }

    /// The plot with time in years when the run is long: (plot, x-axis label).
    fn scaled(&self) -> (LinePlot, String) {
        if !self.time_axis {
            return (self.clone(), self.x_label.clone());
        }
        let end = self
            .series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(t, _)| *t))
            .filter(|t| t.is_finite())
            .fold(0.0, f64::max);
        if end <= YEARS_AXIS_ABOVE_DAYS {
            return (self.clone(), "time (days)".into());
        }
        let k = 1.0 / DAYS_PER_YEAR;
        let mut p = self.clone();
        for (_, pts) in &mut p.series {
            pts.iter_mut().for_each(|(t, _)| *t *= k);
        }
        for b in &mut p.bands {
            b.points.iter_mut().for_each(|(t, _, _)| *t *= k);
        }
        p.published.iter_mut().for_each(|q| q.x *= k);
        for d in &mut p.doses {
            d.times.iter_mut().for_each(|t| *t *= k);
        }
        (p, "time (years)".into())
    }

    /// The plot with every x replaced by its log10 (non-positive x become non-finite and are
    /// left out), drawn on a linear axis.
    fn in_log10(&self) -> LinePlot {
        let mut p = self.clone();
        p.log_x = false;
        for (_, pts) in &mut p.series {
            pts.iter_mut().for_each(|(x, _)| *x = x.log10());
        }
        for b in &mut p.bands {
            b.points.iter_mut().for_each(|(x, _, _)| *x = x.log10());
        }
        p.published.iter_mut().for_each(|q| q.x = q.x.log10());
        p
    }

    fn legend(&self) -> Vec<(Swatch, String)> {
        let mut entries: Vec<(Swatch, String)> = Vec::new();
        let many = self.series.len() > 1 || !self.bands.is_empty() || !self.published.is_empty();
        if many {
            for (i, b) in self.bands.iter().enumerate() {
                // The shade where it lies over the bands of its series drawn before it.
                let clear: f64 = self.bands[..=i]
                    .iter()
                    .filter(|o| o.series == b.series)
                    .map(|o| 1.0 - o.alpha)
                    .product();
                entries.push((Swatch::Band(b.series, 1.0 - clear), b.label.clone()));
            }
            for (k, (label, _)) in self.series.iter().enumerate() {
                entries.push((Swatch::Line(k), label.clone()));
            }
        }
        for (source, shape, label) in [
            (
                Source::Calibration,
                PointShape::Circle,
                "published: calibration target (fitted) +- tolerance",
            ),
            (
                Source::Validation,
                PointShape::Triangle,
                "published: validation outcome (not fitted), 95% CI",
            ),
        ] {
            if self.published.iter().any(|p| p.source == source) {
                entries.push((Swatch::Point(shape), label.into()));
            }
        }
        entries
    }
}

/// Opacity of a band's shade.
pub const BAND_ALPHA: f64 = 0.22;
/// Opacity of a band drawn over another of its series (together about 0.5).
pub const INNER_BAND_ALPHA: f64 = 0.36;
/// Height of a dose row (points).
const DOSE_ROW_PT: f64 = 6.0;

/// A single line plot as a drawing.
pub(super) struct Single<'a>(pub &'a LinePlot);

impl Drawing for Single<'_> {
    fn size(&self, opts: &FigureOptions) -> (u32, u32) {
        (opts.width_px, opts.height_px)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        let s = Scale(px_per_pt);
        let p = self.0;
        let body = titled(root, s, &p.title, &p.subtitle)?;
        render(&body, s, p)
    }
}

/// Panels stacked in one column under one heading.
pub(super) struct Panels<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub panels: &'a [&'a LinePlot],
}

/// Height of a panel relative to the figure height of the options.
const PANEL_HEIGHT: f64 = 0.72;

impl Drawing for Panels<'_> {
    fn size(&self, opts: &FigureOptions) -> (u32, u32) {
        let n = self.panels.len() as f64;
        let heading = 14.0 * opts.px_per_pt();
        (
            opts.width_px,
            (opts.height_px as f64 * PANEL_HEIGHT * n + heading).round() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        let s = Scale(px_per_pt);
        let body = titled(root, s, self.title, self.subtitle)?;
        let n = self.panels.len();
        let (_, h) = body.dim_in_pixel();
        let mut rest = body;
        for (k, p) in self.panels.iter().enumerate() {
            let (area, below) = if k + 1 < n {
                rest.split_vertically(h as i32 / n as i32)
            } else {
                let (w, hh) = rest.dim_in_pixel();
                (rest.clone(), rest.clone().shrink((0, hh), (w, 0)))
            };
            let letter = (b'A' + (k % 26) as u8) as char;
            let top = heading(&area, s, Some(letter), &p.title, &p.subtitle)?;
            let (_, panel) = area.split_vertically(top);
            render(&panel, s, p)?;
            rest = below;
        }
        Ok(())
    }
}

/// Draws a line plot in `area`: the data, its axes, the dose strip and the legend below.
fn render<DB: DrawingBackend>(area: &Area<DB>, s: Scale, plot: &LinePlot) -> Result<(), String> {
    let (plot, x_label) = plot.scaled();
    let ((x_lo, x_hi), (lo, hi)) = plot.ranges()?;
    let (w, h) = area.dim_in_pixel();
    let entries = plot.legend();
    let legend_h = legend_height(area, s, &entries, w as i32 - s.px(4.0));
    let strip_h = if plot.doses.is_empty() {
        0
    } else {
        plot.doses.len() as i32 * s.px(DOSE_ROW_PT) + s.px(3.0)
    };
    let axis_h = s.px(AXIS_PT * 1.6);
    let chart_h = h as i32 - legend_h - strip_h - axis_h;
    if chart_h < s.px(20.0) {
        return Err("the figure is too small for its legend".into());
    }
    let (chart_area, below) = area.split_vertically(chart_h);
    let y_fmt = |v: &f64| tick(*v, hi - lo);
    let label_w = [lo, hi, (lo + hi) / 2.0]
        .iter()
        .map(|v| text_size(area, &y_fmt(v), &s.font(TICK_PT)).0)
        .max()
        .unwrap_or(0);
    let y_area = label_w + s.px(AXIS_PT * 1.6 + 8.0);
    let mut builder = ChartBuilder::on(&chart_area);
    builder
        .margin_top(s.px(3.0))
        .margin_left(s.px(2.0))
        .margin_right(s.px(6.0))
        .x_label_area_size(s.px(TICK_PT * 1.9))
        .y_label_area_size(y_area);
    let plotting = if plot.log_x {
        // In log10 coordinates, with ticks at decades (and 2, 5 within them).
        let ticks = log_ticks(x_lo, x_hi);
        let log_ticks: Vec<(f64, String)> =
            ticks.iter().map(|(v, l)| (v.log10(), l.clone())).collect();
        let mut chart = builder
            .build_cartesian_2d(Ticked::new(x_lo.log10(), x_hi.log10(), &log_ticks), lo..hi)
            .map_err(|e| e.to_string())?;
        draw_data(&mut chart, s, &plot.in_log10(), &y_fmt, &|v: &f64| {
            label_of(&log_ticks, *v)
        })?;
        chart.plotting_area().get_pixel_range()
    } else {
        let mut chart = builder
            .build_cartesian_2d(x_lo..x_hi, lo..hi)
            .map_err(|e| e.to_string())?;
        let span = x_hi - x_lo;
        draw_data(&mut chart, s, &plot, &y_fmt, &|v: &f64| tick(*v, span))?;
        chart.plotting_area().get_pixel_range()
    };
    // Below the chart: the dose strip, the x-axis label, the legend.
    let (ox, _) = origin(&below);
    let (px0, px1) = (plotting.0.start - ox, plotting.0.end - ox);
    let to_px = |x: f64| {
        let u = if plot.log_x {
            (x.ln() - x_lo.ln()) / (x_hi.ln() - x_lo.ln())
        } else {
            (x - x_lo) / (x_hi - x_lo)
        };
        px0 + ((px1 - px0) as f64 * u).round() as i32
    };
    dose_strip(&below, s, &plot.doses, (px0, px1), &to_px)?;
    axis_label(&below, s, &x_label, (px0, px1), strip_h + s.px(1.0))?;
    let (_, legend_area) = below.split_vertically(strip_h + axis_h);
    draw_legend(&legend_area, s, &entries, s.px(4.0))
}

/// The data, mesh and axes of a line plot on its chart (x linear or logarithmic).
fn draw_data<DB, X>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    s: Scale,
    plot: &LinePlot,
    y_fmt: &dyn Fn(&f64) -> String,
    x_fmt: &dyn Fn(&f64) -> String,
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(LIGHT.stroke_width(s.upx(0.3)))
        .axis_style(INK.stroke_width(s.upx(0.5)))
        .y_desc(plot.y_label.as_str())
        .label_style(s.font(TICK_PT))
        .axis_desc_style(s.font(AXIS_PT))
        .x_labels(6)
        .y_labels(6)
        .y_label_formatter(y_fmt)
        .x_label_formatter(x_fmt)
        .set_all_tick_mark_size(s.px(2.0))
        .draw()
        .map_err(|e| e.to_string())?;
    let area = &chart.plotting_area().strip_coord_spec();
    let (ox, oy) = origin(area);
    let px = |x: f64, y: f64| {
        let (a, b) = chart.backend_coord(&(x, y));
        (a - ox, b - oy)
    };
    let ok = |x: f64, y: f64| x.is_finite() && y.is_finite() && (!plot.log_x || x > 0.0);
    for b in &plot.bands {
        let pts: Vec<&(f64, f64, f64)> = b
            .points
            .iter()
            .filter(|(x, l, h)| ok(*x, *l) && h.is_finite())
            .collect();
        let mut poly: Vec<(i32, i32)> = pts.iter().map(|(x, _, h)| px(*x, *h)).collect();
        poly.extend(pts.iter().rev().map(|(x, l, _)| px(*x, *l)));
        if poly.len() >= 3 {
            area.draw(&Polygon::new(poly, color(b.series).mix(b.alpha).filled()))
                .map_err(|e| e.to_string())?;
        }
    }
    for (k, (_, points)) in plot.series.iter().enumerate() {
        // A non-finite value breaks the line.
        let mut run: Vec<(i32, i32)> = Vec::new();
        for (x, y) in points {
            if ok(*x, *y) {
                run.push(px(*x, *y));
            } else if !run.is_empty() {
                styled_path(area, s, k, std::mem::take(&mut run))?;
            }
        }
        if !run.is_empty() {
            styled_path(area, s, k, run)?;
        }
        if plot.markers {
            for (x, y) in points.iter().filter(|(x, y)| ok(*x, *y)) {
                area.draw(&Circle::new(px(*x, *y), s.px(1.6), color(k).filled()))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    for p in &plot.published {
        if !(ok(p.x, p.value) && p.lo.is_finite() && p.hi.is_finite()) {
            continue;
        }
        let c = color(p.series);
        let (a, b) = (px(p.x, p.lo), px(p.x, p.hi));
        let cap = s.px(1.6);
        let bar = INK.stroke_width(s.upx(0.6));
        for seg in [
            vec![a, b],
            vec![(a.0 - cap, a.1), (a.0 + cap, a.1)],
            vec![(b.0 - cap, b.1), (b.0 + cap, b.1)],
        ] {
            area.draw(&PathElement::new(seg, bar))
                .map_err(|e| e.to_string())?;
        }
        let shape = match p.source {
            Source::Calibration => PointShape::Circle,
            Source::Validation => PointShape::Triangle,
        };
        published_marker(area, s, shape, c, px(p.x, p.value))?;
    }
    Ok(())
}

/// The dose strip: one row per drug under the time axis, a tick at each dose, the drug's name
/// to the left. Doses closer than a pixel are drawn once.
fn dose_strip<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    rows: &[DoseRow],
    (px0, px1): (i32, i32),
    to_px: &dyn Fn(f64) -> i32,
) -> Result<(), String> {
    let row_h = s.px(DOSE_ROW_PT);
    let style = s.font(LEGEND_PT);
    for (k, row) in rows.iter().enumerate() {
        let y0 = s.px(1.0) + k as i32 * row_h;
        let mid = y0 + row_h / 2;
        area.draw(&PathElement::new(
            vec![(px0, mid), (px1, mid)],
            LIGHT.stroke_width(s.upx(0.3)),
        ))
        .map_err(|e| e.to_string())?;
        let (tw, th) = text_size(area, &row.label, &style);
        text_at(
            area,
            &row.label,
            &style.color(&GREY),
            (px0 - tw - s.px(3.0), mid - th / 2),
        )?;
        let mut last = i32::MIN;
        let tick_style = row.series.map_or(INK, color).stroke_width(s.upx(0.7));
        for &t in &row.times {
            let x = to_px(t);
            if !(px0..=px1).contains(&x) || x == last {
                continue;
            }
            last = x;
            area.draw(&PathElement::new(
                vec![(x, y0 + row_h / 6), (x, y0 + row_h * 5 / 6)],
                tick_style,
            ))
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
