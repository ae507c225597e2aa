//! Heat maps of an endpoint over a two-parameter grid: a sequential colour scale (viridis) for
//! a quantity of one sign, a diverging one centred on 0 for a signed quantity, a colour bar
//! labelled with the quantity, log axes where the parameters were sampled logarithmically.

use super::Drawing;
use super::style::{
    AXIS_PT, Area, INK, Scale, TICK_PT, Ticked, diverging, label_of, log_ticks, origin, sequential,
    text_at, text_size, tick, titled,
};
use crate::config::FigureOptions;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A heat map of `z[i][j]` over grid values `xs[i]`, `ys[j]`.
#[derive(Debug, Clone, Default)]
pub struct HeatPlot {
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// x-axis label with unit.
    pub x_label: String,
    /// y-axis label with unit.
    pub y_label: String,
    /// Colour-bar label: the quantity and its unit.
    pub z_label: String,
    /// x grid values (increasing).
    pub xs: Vec<f64>,
    /// y grid values (increasing).
    pub ys: Vec<f64>,
    /// Values, `z[i][j]` at (`xs[i]`, `ys[j]`).
    pub z: Vec<Vec<f64>>,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
}

/// The colour scale of a heat map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ColourScale {
    /// Sequential from `lo` to `lo + span`.
    Sequential { lo: f64, span: f64 },
    /// Diverging, symmetric about 0 with half-width `m`.
    Diverging { m: f64 },
}

impl ColourScale {
    fn range(self) -> (f64, f64) {
        match self {
            ColourScale::Sequential { lo, span } => (lo, lo + span),
            ColourScale::Diverging { m } => (-m, m),
        }
    }

    fn colour(self, v: f64) -> RGBColor {
        match self {
            ColourScale::Sequential { lo, span } => sequential((v - lo) / span),
            ColourScale::Diverging { m } => diverging((v / m + 1.0) / 2.0),
        }
    }
}

/// (x edges, y edges, colour scale) of a heat map, in axis coordinates (log10 on a log axis).
type Extent = ((f64, f64), (f64, f64), ColourScale);

impl HeatPlot {
    /// Why it cannot be drawn, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        self.extent().map(|_| ())
    }

    fn axis(&self, v: &[f64], log: bool) -> Vec<f64> {
        v.iter().map(|x| if log { x.log10() } else { *x }).collect()
    }

    fn extent(&self) -> Result<Extent, String> {
        let (xs, ys, z) = (&self.xs, &self.ys, &self.z);
        if xs.len() < 2 || ys.len() < 2 {
            return Err(format!(
                "a heat map needs at least 2 x 2 grid points, this grid has {} x {}",
                xs.len(),
                ys.len()
            ));
        }
        if z.len() != xs.len() || z.iter().any(|row| row.len() != ys.len()) {
            return Err("the values do not match the grid".into());
        }
        let (ax, ay) = (self.axis(xs, self.log_x), self.axis(ys, self.log_y));
        for (name, v) in [("x", &ax), ("y", &ay)] {
            if v.iter().any(|a| !a.is_finite()) || v.windows(2).any(|w| w[1] <= w[0]) {
                return Err(format!(
                    "the {name} grid values are not finite and increasing (a degenerate grid)"
                ));
            }
        }
        let (lo, hi) = z
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        if !lo.is_finite() {
            return Err("no grid point has a finite value (every run failed?)".into());
        }
        let scale = if lo < 0.0 && hi > 0.0 {
            ColourScale::Diverging {
                m: lo.abs().max(hi),
            }
        } else {
            let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
            ColourScale::Sequential { lo, span }
        };
        let (x0, x1) = (half(&ax, 0).0, half(&ax, ax.len() - 1).1);
        let (y0, y1) = (half(&ay, 0).0, half(&ay, ay.len() - 1).1);
        let (c0, c1) = scale.range();
        if [x0, x1, y0, y1, c0, c1, x1 - x0, y1 - y0, c1 - c0]
            .iter()
            .any(|v| !v.is_finite())
            || c1 <= c0
        {
            return Err("the axis or colour range is too large to draw".into());
        }
        Ok(((x0, x1), (y0, y1), scale))
    }
}

/// The ticks of an axis from `lo` to `hi` in its coordinate (log10 of the value on a log axis):
/// decades (and 2, 5 within them) on a log axis, plotters' round numbers on a linear one.
fn axis_ticks(lo: f64, hi: f64, log: bool) -> Vec<(f64, String)> {
    if log {
        log_ticks(10f64.powf(lo), 10f64.powf(hi))
            .into_iter()
            .map(|(v, l)| (v.log10(), l))
            .collect()
    } else {
        let coord: RangedCoordf64 = (lo..hi).into();
        coord
            .key_points(5usize)
            .into_iter()
            .map(|v| (v, tick(v, hi - lo)))
            .collect()
    }
}

/// A heat map's cell centred on grid value `i`: its (lower, upper) edge.
fn half(v: &[f64], i: usize) -> (f64, f64) {
    let left = if i == 0 { v[1] - v[0] } else { v[i] - v[i - 1] };
    let right = if i + 1 == v.len() {
        v[i] - v[i - 1]
    } else {
        v[i + 1] - v[i]
    };
    (v[i] - left / 2.0, v[i] + right / 2.0)
}

/// Width of the colour bar with its left margin (points).
const BAR_PT: f64 = 10.0;

impl Drawing for HeatPlot {
    fn size(&self, opts: &FigureOptions) -> (u32, u32) {
        (opts.width_px, opts.height_px)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        let s = Scale(px_per_pt);
        let body = titled(root, s, &self.title, &self.subtitle)?;
        render(&body, s, self)
    }
}

fn render<DB: DrawingBackend>(area: &Area<DB>, s: Scale, p: &HeatPlot) -> Result<(), String> {
    let ((x0, x1), (y0, y1), scale) = p.extent()?;
    let (w, _) = area.dim_in_pixel();
    // The colour bar's column: the bar, its tick labels and its rotated label.
    let (c0, c1) = scale.range();
    let bar_ticks = axis_ticks(c0, c1, false);
    let widest = bar_ticks
        .iter()
        .map(|(_, l)| text_size(area, l, &s.font(TICK_PT)).0)
        .max()
        .unwrap_or(0);
    let bar_column = s.px(BAR_PT + 2.5 + AXIS_PT * 1.6 + 4.0) + widest;
    let (main, bar_area) = area.split_horizontally(w as i32 - bar_column);
    let (x_ticks, y_ticks) = (axis_ticks(x0, x1, p.log_x), axis_ticks(y0, y1, p.log_y));
    let x_fmt = |v: &f64| label_of(&x_ticks, *v);
    let y_fmt = |v: &f64| label_of(&y_ticks, *v);
    let y_w = y_ticks
        .iter()
        .map(|(_, l)| text_size(area, l, &s.font(TICK_PT)).0)
        .max()
        .unwrap_or(0);
    let mut chart = ChartBuilder::on(&main)
        .margin_top(s.px(3.0))
        .margin_left(s.px(2.0))
        .margin_right(s.px(4.0))
        .x_label_area_size(s.px(TICK_PT * 1.9 + AXIS_PT * 1.5))
        .y_label_area_size(y_w + s.px(AXIS_PT * 1.6 + 8.0))
        .build_cartesian_2d(Ticked::new(x0, x1, &x_ticks), Ticked::new(y0, y1, &y_ticks))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK.stroke_width(s.upx(0.5)))
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .label_style(s.font(TICK_PT))
        .axis_desc_style(s.font(AXIS_PT))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(s.px(2.0))
        .draw()
        .map_err(|e| e.to_string())?;
    let (ax, ay) = (p.axis(&p.xs, p.log_x), p.axis(&p.ys, p.log_y));
    let mut cells = Vec::new();
    for (i, row) in p.z.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let (a, b) = half(&ax, i);
            let (c, d) = half(&ay, j);
            let colour = if v.is_finite() {
                scale.colour(*v)
            } else {
                RGBColor(160, 160, 160)
            };
            cells.push(Rectangle::new([(a, c), (b, d)], colour.filled()));
        }
    }
    chart.draw_series(cells).map_err(|e| e.to_string())?;
    // The colour bar spans the plotting area's height, its label rotated beside it.
    let plotting = chart.plotting_area().get_pixel_range();
    let (ox, oy) = origin(&bar_area);
    let (top, bottom) = (plotting.1.start - oy, plotting.1.end - oy);
    colour_bar(
        &bar_area,
        s,
        (top, bottom),
        (c0, c1),
        (scale, &bar_ticks),
        &p.z_label,
    )?;
    let _ = ox;
    Ok(())
}

fn colour_bar<DB: DrawingBackend>(
    area: &Area<DB>,
    s: Scale,
    (top, bottom): (i32, i32),
    (c0, c1): (f64, f64),
    (scale, ticks): (ColourScale, &[(f64, String)]),
    label: &str,
) -> Result<(), String> {
    let (x0, x1) = (s.px(4.0), s.px(10.0));
    let steps = (bottom - top).max(1);
    for k in 0..steps {
        let v = c1 - (c1 - c0) * (k as f64 + 0.5) / steps as f64;
        area.draw(&Rectangle::new(
            [(x0, top + k), (x1, top + k + 1)],
            scale.colour(v).filled(),
        ))
        .map_err(|e| e.to_string())?;
    }
    area.draw(&Rectangle::new(
        [(x0, top), (x1, bottom)],
        INK.stroke_width(s.upx(0.4)),
    ))
    .map_err(|e| e.to_string())?;
    let style = s.font(TICK_PT);
    let mut widest = 0;
    for (v, text) in ticks {
        let y = bottom - ((bottom - top) as f64 * (v - c0) / (c1 - c0)).round() as i32;
        area.draw(&PathElement::new(
            vec![(x1, y), (x1 + s.px(1.5), y)],
            INK.stroke_width(s.upx(0.4)),
        ))
        .map_err(|e| e.to_string())?;
        let (tw, th) = text_size(area, text, &style);
        widest = widest.max(tw);
        text_at(area, text, &style, (x1 + s.px(2.5), y - th / 2))?;
    }
    let label_style = s
        .font(AXIS_PT)
        .transform(FontTransform::Rotate90)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let x = x1 + s.px(3.5) + widest + s.px(AXIS_PT * 1.3);
    area.draw_text(label, &label_style, (x, (top + bottom) / 2))
        .map_err(|e| e.to_string())
}
