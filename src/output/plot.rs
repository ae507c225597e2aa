//! Figures (PNG and SVG) drawn with plotters. Text uses the embedded DejaVu Sans font, so plots
//! render on a machine without any system font (plotters is built without font-kit).

use super::OutputError;
use crate::engine::Trajectory;
use crate::model::PlotSpec;
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters_backend::DrawingErrorKind;
use plotters_bitmap::BitMapBackendError;
use std::path::Path;
use std::sync::Once;

pub(super) const FONT: &str = "sans-serif";
/// Line colours (Okabe-Ito, readable for colour-blind readers and on white).
const COLORS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];
const SIZE: (u32, u32) = (1000, 600);
/// Runs longer than this are plotted against years.
const YEARS_AXIS_ABOVE_DAYS: f64 = 3.0 * 365.25;

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid TrueType; failure here would be a build defect.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// What became of a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plotted {
    /// Both files (`.png`, `.svg`) were written.
    Drawn,
    /// Nothing could be drawn (no finite points, a degenerate or infinite axis range, no series,
    /// a grid too small for a heat map); no file was written. The reason, for a warning.
    Skipped(String),
}

/// A line to draw: legend label and (time in days, value) points.
pub type Series = (String, Vec<(f64, f64)>);

/// A dose marker: time (days) and the index of the series whose colour it takes (grey if none).
pub type Marker = (f64, Option<usize>);

/// Draws one figure of a run as `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
/// `markers`: times (days) drawn as dashed vertical lines, e.g. doses.
pub fn draw(
    dir: &Path,
    traj: &Trajectory,
    spec: &PlotSpec,
    subtitle: &str,
    markers: &[f64],
) -> Result<Plotted, OutputError> {
    let Some(t) = traj.column("t_day") else {
        return Ok(skipped(spec.file_stem, "the run has no t_day column"));
    };
    let mut series = Vec::new();
    for (column, label, offset) in spec.series {
        let Some(y) = traj.column(column) else {
            return Ok(skipped(
                spec.file_stem,
                &format!("the run has no column `{column}`"),
            ));
        };
        series.push((
            label.to_string(),
            t.iter().zip(y).map(|(t, y)| (*t, y - offset)).collect(),
        ));
    }
    let title = format!("{} - {subtitle}", spec.title);
    let markers: Vec<Marker> = markers.iter().map(|t| (*t, None)).collect();
    draw_series_marked(dir, spec.file_stem, &title, spec.y_label, &series, &markers)
}

fn skipped(stem: &str, why: &str) -> Plotted {
    Plotted::Skipped(format!("plot `{stem}` skipped: {why}"))
}

/// Draws lines against time as `<dir>/<stem>.png` and `<dir>/<stem>.svg`; runs longer than
/// three years get a time axis in years.
pub fn draw_series(
    dir: &Path,
    stem: &str,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<Plotted, OutputError> {
    draw_series_marked(dir, stem, title, y_label, series, &[])
}

/// [`draw_series`] with dashed vertical lines at the `markers` times (days), in the colour of
/// their series. Markers of one colour closer than 1/100 of the time axis are drawn once (daily
/// injections would otherwise fill the plot).
pub fn draw_series_marked(
    dir: &Path,
    stem: &str,
    title: &str,
    y_label: &str,
    series: &[Series],
    markers: &[Marker],
) -> Result<Plotted, OutputError> {
    let end = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(t, _)| *t))
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let (scale, x_label) = if end > YEARS_AXIS_ABOVE_DAYS {
        (1.0 / 365.25, "time (years)")
    } else {
        (1.0, "time (days)")
    };
    let scaled: Vec<Series> = series
        .iter()
        .map(|(label, p)| {
            (
                label.clone(),
                p.iter().map(|(t, y)| (t * scale, *y)).collect(),
            )
        })
        .collect();
    // Sorted by time: the thinning below keeps a marker only if it is far enough after the last
    // one drawn in its colour, and doses come treatment by treatment, not in time order.
    let mut markers: Vec<Marker> = markers
        .iter()
        .filter(|(t, _)| t.is_finite())
        .map(|(t, c)| (t * scale, *c))
        .collect();
    markers.sort_by(|a, b| a.0.total_cmp(&b.0));
    both(
        dir,
        stem,
        &Figure::Lines {
            title,
            x_label,
            y_label,
            series: &scaled,
            markers: &markers,
        },
    )
}

/// Draws lines of (x, y) points as `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub fn draw_lines(
    dir: &Path,
    stem: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<Plotted, OutputError> {
    both(
        dir,
        stem,
        &Figure::Lines {
            title,
            x_label,
            y_label,
            series,
            markers: &[],
        },
    )
}

/// A heat map of `z[i][j]` over `xs[i]` and `ys[j]` (grid values), with a colour scale.
#[allow(clippy::too_many_arguments)]
pub fn draw_heatmap(
    dir: &Path,
    stem: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
) -> Result<Plotted, OutputError> {
    both(
        dir,
        stem,
        &Figure::Heatmap {
            title,
            x_label,
            y_label,
            xs,
            ys,
            z,
        },
    )
}

/// Horizontal bars (a tornado plot): one bar per label, in the order given.
pub fn draw_bars(
    dir: &Path,
    stem: &str,
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
) -> Result<Plotted, OutputError> {
    both(
        dir,
        stem,
        &Figure::Bars {
            title,
            x_label,
            bars,
        },
    )
}

/// What to draw, independent of the backend.
enum Figure<'a> {
    Lines {
        title: &'a str,
        x_label: &'a str,
        y_label: &'a str,
        series: &'a [Series],
        markers: &'a [Marker],
    },
    Heatmap {
        title: &'a str,
        x_label: &'a str,
        y_label: &'a str,
        xs: &'a [f64],
        ys: &'a [f64],
        z: &'a [Vec<f64>],
    },
    Bars {
        title: &'a str,
        x_label: &'a str,
        bars: &'a [(String, f64)],
    },
}

fn render_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), String> {
    match figure {
        Figure::Lines {
            title,
            x_label,
            y_label,
            series,
            markers,
        } => render(root, title, x_label, y_label, series, markers),
        Figure::Heatmap {
            title,
            x_label,
            y_label,
            xs,
            ys,
            z,
        } => render_heatmap(root, title, x_label, y_label, xs, ys, z),
        Figure::Bars {
            title,
            x_label,
            bars,
        } => render_bars(root, title, x_label, bars),
    }
}

/// Why a figure cannot be drawn, if it cannot: checked before any file is created.
fn unplottable(figure: &Figure) -> Option<String> {
    match figure {
        Figure::Lines { series, .. } => line_ranges(series).err(),
        Figure::Heatmap { xs, ys, z, .. } => heatmap_ranges(xs, ys, z).err(),
        Figure::Bars { bars, .. } => bars_extent(bars).err(),
    }
}

/// Renders one figure to `<stem>.png` and `<stem>.svg`, or writes nothing and says why.
fn both(dir: &Path, stem: &str, figure: &Figure) -> Result<Plotted, OutputError> {
    if let Some(why) = unplottable(figure) {
        return Ok(skipped(stem, &why));
    }
    png_and_svg(dir, stem, &Standard(figure))?;
    Ok(Plotted::Drawn)
}

/// A figure of this module at the standard size.
struct Standard<'a>(&'a Figure<'a>);

impl Drawing for Standard<'_> {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        render_figure(root, self.0)
    }
}

/// Something drawn the same way on any plotters backend: the one piece of code behind both the
/// PNG and the SVG of a figure.
pub(super) trait Drawing {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`; an error is the message of what failed.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Writes `drawing` as `<dir>/<stem>.png` and `<dir>/<stem>.svg` (the embedded font registered
/// first); an error names the file.
pub(super) fn png_and_svg(
    dir: &Path,
    stem: &str,
    drawing: &impl Drawing,
) -> Result<(), OutputError> {
    register_font();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let fail = |path: &Path, e: String| OutputError::at(path, std::io::Error::other(e));
    {
        let root = BitMapBackend::new(&png, drawing.size()).into_drawing_area();
        drawing.draw(&root).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| {
            OutputError::at(
                &png,
                area_error(e, |b| match b {
                    BitMapBackendError::IOError(io) => io,
                    BitMapBackendError::ImageError(image) => {
                        std::io::Error::other(image.to_string())
                    }
                    _ => std::io::Error::other("the bitmap backend failed"),
                }),
            )
        })?;
    }
    let root = SVGBackend::new(&svg, drawing.size()).into_drawing_area();
    drawing.draw(&root).map_err(|e| fail(&svg, e))?;
    root.present()
        .map_err(|e| OutputError::at(&svg, area_error(e, |io| io)))
}

/// A plotters drawing-area error as a plain I/O error (the backends' own errors by `backend`;
/// plotters prints some of them as Rust debug text).
pub(super) fn area_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
    backend: impl FnOnce(E) -> std::io::Error,
) -> std::io::Error {
    match e {
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(b)) => backend(b),
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::FontError(f)) => {
            std::io::Error::other(format!("cannot render text: {f}"))
        }
        DrawingAreaErrorKind::SharingError => {
            std::io::Error::other("the drawing area is in use by another operation")
        }
        DrawingAreaErrorKind::LayoutError => std::io::Error::other("bad plot layout"),
    }
}

/// Axis ranges of a line figure over its finite points, padded: ((x_lo, x_hi), (y_lo, y_hi)).
type Ranges = ((f64, f64), (f64, f64));

fn line_ranges(series: &[Series]) -> Result<Ranges, String> {
    if series.iter().all(|(_, p)| p.is_empty()) {
        return Err("no series with points".into());
    }
    let finite = || {
        series
            .iter()
            .flat_map(|(_, p)| p.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let (x_lo, x_hi) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| {
        (a.min(*x), b.max(*x))
    });
    if !x_lo.is_finite() {
        return Err("no finite points to plot".into());
    }
    let (x_lo, x_hi) = if x_hi > x_lo {
        (x_lo, x_hi)
    } else {
        (x_lo - 1.0, x_hi + 1.0)
    };
    let (mut lo, mut hi) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, y)| {
        (a.min(*y), b.max(*y))
    });
    // A flat line (a steady state) still gets a readable axis.
    let span = (hi - lo).max(1e-9 * lo.abs().max(hi.abs())).max(1e-12);
    if hi - lo < span {
        lo -= span;
        hi += span;
    } else {
        lo -= 0.05 * span;
        hi += 0.05 * span;
    }
    let ranges = [x_lo, x_hi, lo, hi, x_hi - x_lo, hi - lo];
    if ranges.iter().any(|v| !v.is_finite()) || x_hi <= x_lo || hi <= lo {
        return Err(format!(
            "the axis range (x {x_lo:e} to {x_hi:e}, y {lo:e} to {hi:e}) cannot be drawn"
        ));
    }
    Ok(((x_lo, x_hi), (lo, hi)))
}

fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    markers: &[Marker],
) -> Result<(), String> {
    let ((x_lo, x_hi), (lo, hi)) = line_ranges(series)?;
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(l, p)| {
            let finite = p.iter().filter(|(x, y)| x.is_finite() && y.is_finite());
            (l.as_str(), finite.copied().collect())
        })
        .collect();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 24))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(x_lo..x_hi, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .y_label_formatter(&|v| format_tick(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    // Dose markers: short dashes down the plot at each time.
    let grey = RGBColor(70, 70, 70);
    let min_gap = (x_hi - x_lo) / 100.0;
    let mut last_drawn: Vec<(Option<usize>, f64)> = Vec::new();
    for &(m, colour) in markers.iter().filter(|(m, _)| *m >= x_lo && *m <= x_hi) {
        match last_drawn.iter_mut().find(|(c, _)| *c == colour) {
            Some((_, t)) if m - *t < min_gap => continue,
            Some((_, t)) => *t = m,
            None => last_drawn.push((colour, m)),
        }
        let style = colour.map_or(grey, |k| COLORS[k % COLORS.len()]);
        let dashes = 40;
        let segments = (0..dashes).step_by(2).map(|k| {
            let a = lo + (hi - lo) * k as f64 / dashes as f64;
            let b = lo + (hi - lo) * (k + 1) as f64 / dashes as f64;
            PathElement::new(vec![(m, a), (m, b)], style.stroke_width(1))
        });
        chart.draw_series(segments).map_err(|e| e.to_string())?;
    }
    for (k, (label, points)) in series.into_iter().enumerate() {
        let color = COLORS[k % COLORS.len()].stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, color))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    COLORS[k % COLORS.len()].stroke_width(2),
                )
            });
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e4).contains(&a) {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// A colour from a blue-white-red scale for `v` in [0, 1].
pub(super) fn diverging(v: f64) -> RGBColor {
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

/// A heat map's extent ((x0, x1), (y0, y1)) and colour range (lo, span), or why it has none.
type HeatmapRanges = ((f64, f64), (f64, f64), (f64, f64));

fn heatmap_ranges(xs: &[f64], ys: &[f64], z: &[Vec<f64>]) -> Result<HeatmapRanges, String> {
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
    for (axis, v) in [("x", xs), ("y", ys)] {
        if v.iter().any(|a| !a.is_finite()) || v.windows(2).any(|w| w[1] <= w[0]) {
            return Err(format!(
                "the {axis} grid values are not finite and increasing (a degenerate grid)"
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
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let (x0, x1) = (half(xs, 0).0, half(xs, xs.len() - 1).1);
    let (y0, y1) = (half(ys, 0).0, half(ys, ys.len() - 1).1);
    if [x0, x1, y0, y1, span, lo + span, x1 - x0, y1 - y0]
        .iter()
        .any(|v| !v.is_finite())
        || lo + span <= lo
    {
        return Err("the axis or colour range is too large to draw".into());
    }
    Ok(((x0, x1), (y0, y1), (lo, span)))
}

fn render_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
) -> Result<(), String> {
    let ((x0, x1), (y0, y1), (lo, span)) = heatmap_ranges(xs, ys, z)?;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (main, legend) = root.split_horizontally(SIZE.0 - 170);
    let mut chart = ChartBuilder::on(&main)
        .caption(title, (FONT, 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_label_formatter(&|v| format_tick(*v))
        .y_label_formatter(&|v| format_tick(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    let mut cells = Vec::new();
    for (i, row) in z.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let (a, b) = half(xs, i);
            let (c, d) = half(ys, j);
            let color = if v.is_finite() {
                diverging((v - lo) / span)
            } else {
                RGBColor(160, 160, 160)
            };
            cells.push(Rectangle::new([(a, c), (b, d)], color.filled()));
        }
    }
    chart.draw_series(cells).map_err(|e| e.to_string())?;
    // Colour bar.
    let mut bar = ChartBuilder::on(&legend)
        .margin_top(60)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, lo..lo + span)
        .map_err(|e| e.to_string())?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style((FONT, 13))
        .y_label_formatter(&|v| format_tick(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    let steps = 100;
    bar.draw_series((0..steps).map(|k| {
        let a = lo + span * k as f64 / steps as f64;
        let b = lo + span * (k + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            diverging(k as f64 / steps as f64).filled(),
        )
    }))
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Half-width of a bar chart's x axis, or why there is nothing to draw.
fn bars_extent(bars: &[(String, f64)]) -> Result<f64, String> {
    if bars.is_empty() {
        return Err("no bars to draw".into());
    }
    if bars.iter().all(|(_, v)| !v.is_finite()) {
        return Err("no bar has a finite value".into());
    }
    let m = bars
        .iter()
        .map(|(_, v)| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-12)
        * 1.1;
    if !m.is_finite() {
        return Err("the bars are too long to draw".into());
    }
    Ok(m)
}

fn render_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
) -> Result<(), String> {
    let m = bars_extent(bars)?;
    let n = bars.len();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(260)
        .build_cartesian_2d(-m..m, 0.0..n as f64)
        .map_err(|e| e.to_string())?;
    let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .y_labels(n)
        .y_label_formatter(&|y| {
            let k = y.floor() as usize;
            // Bar k sits between n-k-1 and n-k (the first bar on top).
            labels
                .get(n.saturating_sub(k + 1))
                .cloned()
                .unwrap_or_default()
        })
        .x_label_formatter(&|v| format_tick(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(k, (_, v))| {
            let top = (n - k) as f64 - 0.15;
            let bottom = (n - k - 1) as f64 + 0.15;
            let v = if v.is_finite() { *v } else { 0.0 };
            let color = if v >= 0.0 { COLORS[1] } else { COLORS[0] };
            Rectangle::new([(0.0, bottom), (v, top)], color.filled())
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}
