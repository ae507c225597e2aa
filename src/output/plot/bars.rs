//! Bar charts on a category axis (tornado, Morris and Sobol plots): one named row per
//! parameter, sorted by effect, with confidence intervals as error bars.

use super::Drawing;
use super::style::{
    AXIS_PT, Area, INK, LIGHT, Scale, Swatch, TICK_PT, axis_label, color, draw_legend,
    legend_height, origin, text_at, text_size, tick, titled,
};
use crate::config::FigureOptions;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// What the bars measure, which decides the axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    /// Signed effects (a tornado): an axis symmetric about 0, sorted by absolute value.
    Signed,
    /// Non-negative quantities (Morris mu*, Sobol indices): an axis from 0, sorted by value.
    NonNegative,
}

/// One category: its name, value and optional interval, and an optional second value drawn
/// beside it (e.g. a first-order index beside the total).
#[derive(Debug, Clone)]
pub struct Bar {
    /// Category name (a parameter).
    pub label: String,
    /// Value.
    pub value: f64,
    /// Its interval (e.g. a bootstrap 95% confidence interval).
    pub ci: Option<(f64, f64)>,
    /// A second value and its interval.
    pub second: Option<(f64, Option<(f64, f64)>)>,
}

/// A bar chart.
#[derive(Debug, Clone)]
pub struct BarPlot {
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Value-axis label.
    pub x_label: String,
    /// The categories (sorted by effect when drawn).
    pub bars: Vec<Bar>,
    /// Signed or non-negative.
    pub kind: BarKind,
    /// Legend names of the value and the second value, when there is a second.
    pub names: Option<(String, String)>,
}

/// Height of a category row (points), at least.
const ROW_PT: f64 = 9.0;

impl BarPlot {
    /// Why it cannot be drawn, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        self.extent().map(|_| ())
    }

    /// The value axis (lo, hi).
    fn extent(&self) -> Result<(f64, f64), String> {
        if self.bars.is_empty() {
            return Err("no bars to draw".into());
        }
        if self.bars.iter().all(|b| !b.value.is_finite()) {
            return Err("no bar has a finite value".into());
        }
        let values = self.bars.iter().flat_map(|b| {
            let (a, c) = b.ci.unwrap_or((b.value, b.value));
            let second = b.second.map_or([b.value; 3], |(v, ci)| {
                let (l, h) = ci.unwrap_or((v, v));
                [v, l, h]
            });
            [b.value, a, c].into_iter().chain(second)
        });
        let m = values
            .filter(|v| v.is_finite())
            .map(f64::abs)
            .fold(0.0, f64::max)
            .max(1e-12)
            * 1.08;
        if !m.is_finite() {
            return Err("the bars are too long to draw".into());
        }
        Ok(match self.kind {
            BarKind::Signed => (-m, m),
            BarKind::NonNegative => (0.0, m),
        })
    }

    /// The bars sorted by effect, largest first.
    fn sorted(&self) -> Vec<Bar> {
        let mut bars = self.bars.clone();
        let key = |b: &Bar| {
            let v = if b.value.is_finite() { b.value } else { 0.0 };
            match self.kind {
                BarKind::Signed => v.abs(),
                BarKind::NonNegative => v,
            }
        };
        bars.sort_by(|a, b| key(b).total_cmp(&key(a)));
        bars
    }
}

impl Drawing for BarPlot {
    fn size(&self, opts: &FigureOptions) -> (u32, u32) {
        let rows = self.bars.len() as f64 * if self.names.is_some() { 1.5 } else { 1.0 };
        let need = (rows * ROW_PT + 60.0) * opts.px_per_pt();
        (
            opts.width_px,
            (opts.height_px as f64).max(need).round() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, px_per_pt: f64) -> Result<(), String> {
        let s = Scale(px_per_pt);
        let body = titled(root, s, &self.title, &self.subtitle)?;
        render(&body, s, self)
    }
}

fn render<DB: DrawingBackend>(area: &Area<DB>, s: Scale, plot: &BarPlot) -> Result<(), String> {
    let (lo, hi) = plot.extent()?;
    let bars = plot.sorted();
    let n = bars.len();
    let (w, h) = area.dim_in_pixel();
    let entries: Vec<(Swatch, String)> = match &plot.names {
        Some((a, b)) => vec![
            (Swatch::Band(0, 1.0), a.clone()),
            (Swatch::Band(4, 1.0), b.clone()),
        ],
        None => Vec::new(),
    };
    let legend_h = legend_height(area, s, &entries, w as i32);
    let (chart_area, legend_area) = area.split_vertically(h as i32 - legend_h);
    let label_style = s.font(TICK_PT);
    let label_w = bars
        .iter()
        .map(|b| text_size(area, &b.label, &label_style).0)
        .max()
        .unwrap_or(0);
    let span = hi - lo;
    let x_fmt = |v: &f64| tick(*v, span);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_top(s.px(2.0))
        .margin_right(s.px(8.0))
        .x_label_area_size(s.px(TICK_PT * 1.9 + AXIS_PT * 1.5))
        .y_label_area_size(label_w + s.px(5.0))
        .build_cartesian_2d(lo..hi, 0.0..n as f64)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(LIGHT.stroke_width(s.upx(0.3)))
        .axis_style(INK.stroke_width(s.upx(0.5)))
        .y_labels(0)
        .x_labels(6)
        .label_style(s.font(TICK_PT))
        .axis_desc_style(s.font(AXIS_PT))
        .x_label_formatter(&x_fmt)
        .set_all_tick_mark_size(s.px(2.0))
        .draw()
        .map_err(|e| e.to_string())?;
    let (ox, oy) = origin(&chart_area);
    let range = chart.plotting_area().get_pixel_range();
    axis_label(
        &chart_area,
        s,
        &plot.x_label,
        (range.0.start - ox, range.0.end - ox),
        range.1.end - oy + s.px(TICK_PT * 1.9),
    )?;
    let clamp = |v: f64| v.clamp(lo, hi);
    let plotting = &chart.plotting_area().strip_coord_spec();
    let whisker = INK.stroke_width(s.upx(0.6));
    // Bar k occupies the row from n-k-1 to n-k (the largest effect on top).
    for (k, b) in bars.iter().enumerate() {
        let row = (n - k - 1) as f64;
        let mut parts = vec![(b.value, b.ci, 0usize, row + 0.15, row + 0.85)];
        if let Some((v, ci)) = b.second {
            parts = vec![
                (b.value, b.ci, 0, row + 0.5, row + 0.88),
                (v, ci, 4, row + 0.12, row + 0.5),
            ];
        }
        for (v, ci, colour, y0, y1) in parts {
            if v.is_finite() {
                let fill = match (plot.kind, v < 0.0) {
                    (BarKind::Signed, true) => color(0),
                    (BarKind::Signed, false) => color(1),
                    _ => color(colour),
                };
                chart
                    .draw_series([Rectangle::new([(0.0, y0), (clamp(v), y1)], fill.filled())])
                    .map_err(|e| e.to_string())?;
            }
            if let Some((a, c)) = ci.filter(|(a, c)| a.is_finite() && c.is_finite()) {
                let mid = (y0 + y1) / 2.0;
                let (p, q) = (
                    chart.backend_coord(&(clamp(a), mid)),
                    chart.backend_coord(&(clamp(c), mid)),
                );
                let (ox, oy) = origin(plotting);
                let (p, q) = ((p.0 - ox, p.1 - oy), (q.0 - ox, q.1 - oy));
                let cap = ((y1 - y0) * 0.25 * chart_row_px(&chart, n)) as i32;
                for seg in [
                    vec![p, q],
                    vec![(p.0, p.1 - cap), (p.0, p.1 + cap)],
                    vec![(q.0, q.1 - cap), (q.0, q.1 + cap)],
                ] {
                    plotting
                        .draw(&PathElement::new(seg, whisker))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }
    if plot.kind == BarKind::Signed {
        chart
            .draw_series([PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                INK.stroke_width(s.upx(0.5)),
            )])
            .map_err(|e| e.to_string())?;
    }
    // Every category named, right-aligned against the axis at the middle of its row.
    let (ox, oy) = origin(&chart_area);
    for (k, b) in bars.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, (n - k - 1) as f64 + 0.5));
        let (tw, th) = text_size(area, &b.label, &label_style);
        text_at(
            &chart_area,
            &b.label,
            &label_style,
            (x - ox - tw - s.px(3.0), y - oy - th / 2),
        )?;
    }
    draw_legend(&legend_area, s, &entries, label_w + s.px(5.0))
}

/// Pixels per category row of a chart with `n` rows.
fn chart_row_px<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    n: usize,
) -> f64 {
    let a = chart.backend_coord(&(0.0, 0.0)).1;
    let b = chart.backend_coord(&(0.0, n as f64)).1;
    (a - b).abs() as f64 / n.max(1) as f64
}
