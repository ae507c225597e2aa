//! Figures (PNG and SVG) drawn with plotters. Text uses the embedded DejaVu Sans font, so plots
//! render on a machine without any system font (plotters is built without font-kit).

use super::OutputError;
use crate::engine::Trajectory;
use crate::model::PlotSpec;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";
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

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid TrueType; failure here would be a build defect.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
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
) -> Result<(), OutputError> {
    let fail = |e: String| {
        OutputError::at(
            &dir.join(format!("{}.png", spec.file_stem)),
            std::io::Error::other(e),
        )
    };
    let t = traj
        .column("t_day")
        .ok_or_else(|| fail("no t_day column".into()))?;
    let mut series = Vec::new();
    for (column, label, offset) in spec.series {
        let y = traj
            .column(column)
            .ok_or_else(|| fail(format!("plot `{}` needs column `{column}`", spec.file_stem)))?;
        series.push((
            label.to_string(),
            t.iter().zip(y).map(|(t, y)| (*t, y - offset)).collect(),
        ));
    }
    let title = format!("{} - {subtitle}", spec.title);
    let markers: Vec<Marker> = markers.iter().map(|t| (*t, None)).collect();
    draw_series_marked(dir, spec.file_stem, &title, spec.y_label, &series, &markers)
}

/// Draws lines against time as `<dir>/<stem>.png` and `<dir>/<stem>.svg`; runs longer than
/// three years get a time axis in years.
pub fn draw_series(
    dir: &Path,
    stem: &str,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), OutputError> {
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
) -> Result<(), OutputError> {
    let end = series
        .iter()
        .flat_map(|(_, p)| p.last().map(|(t, _)| *t))
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
    let mut markers: Vec<Marker> = markers.iter().map(|(t, c)| (t * scale, *c)).collect();
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
) -> Result<(), OutputError> {
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
) -> Result<(), OutputError> {
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
) -> Result<(), OutputError> {
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

/// Renders one figure to `<stem>.png` and `<stem>.svg`.
fn both(dir: &Path, stem: &str, figure: &Figure) -> Result<(), OutputError> {
    register_font();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let fail = |path: &Path, e: String| OutputError::at(path, std::io::Error::other(e));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        render_figure(&root, figure).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.to_string()))?;
    }
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        render_figure(&root, figure).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))?;
    }
    Ok(())
}

fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    markers: &[Marker],
) -> Result<(), String> {
    let (x_lo, x_hi) = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !x_lo.is_finite() {
        return Err("no points to plot".into());
    }
    let (x_lo, x_hi) = if x_hi > x_lo {
        (x_lo, x_hi)
    } else {
        (x_lo - 1.0, x_hi + 1.0)
    };
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(l, p)| (l.as_str(), p.clone()))
        .collect();
    let (mut lo, mut hi) = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    if !lo.is_finite() || !hi.is_finite() {
        return Err("no finite values to plot".into());
    }
    // A flat line (a steady state) still gets a readable axis.
    let span = (hi - lo).max(1e-9 * lo.abs().max(hi.abs())).max(1e-12);
    if hi - lo < span {
        lo -= span;
        hi += span;
    } else {
        lo -= 0.05 * span;
        hi += 0.05 * span;
    }
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
fn diverging(v: f64) -> RGBColor {
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

fn render_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
) -> Result<(), String> {
    if xs.len() < 2 || ys.len() < 2 {
        return Err("a heat map needs at least 2 x 2 grid points".into());
    }
    let finite = z.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let span = if hi > lo { hi - lo } else { 1.0 };
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (main, legend) = root.split_horizontally(SIZE.0 - 170);
    // Cells centred on the grid values.
    let half = |v: &[f64], i: usize| {
        let left = if i == 0 { v[1] - v[0] } else { v[i] - v[i - 1] };
        let right = if i + 1 == v.len() {
            v[i] - v[i - 1]
        } else {
            v[i + 1] - v[i]
        };
        (v[i] - left / 2.0, v[i] + right / 2.0)
    };
    let (x0, x1) = (half(xs, 0).0, half(xs, xs.len() - 1).1);
    let (y0, y1) = (half(ys, 0).0, half(ys, ys.len() - 1).1);
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

fn render_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
) -> Result<(), String> {
    if bars.is_empty() {
        return Err("no bars to draw".into());
    }
    let m = bars
        .iter()
        .map(|(_, v)| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-12)
        * 1.1;
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
