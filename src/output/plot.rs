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

/// Draws one figure of a run as `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub fn draw(
    dir: &Path,
    traj: &Trajectory,
    spec: &PlotSpec,
    subtitle: &str,
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
    draw_series(dir, spec.file_stem, &title, spec.y_label, &series)
}

/// Draws lines against time as `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub fn draw_series(
    dir: &Path,
    stem: &str,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), OutputError> {
    register_font();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let fail = |path: &Path, e: String| OutputError::at(path, std::io::Error::other(e));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        render(&root, title, y_label, series).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.to_string()))?;
    }
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        render(&root, title, y_label, series).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))?;
    }
    Ok(())
}

fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), String> {
    let end = series
        .iter()
        .flat_map(|(_, p)| p.last().map(|(t, _)| *t))
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let (scale, x_label) = if end > YEARS_AXIS_ABOVE_DAYS {
        (1.0 / 365.25, "time (years)")
    } else {
        (1.0, "time (days)")
    };
    let series: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(label, p)| {
            (
                label.as_str(),
                p.iter().map(|(t, y)| (t * scale, *y)).collect(),
            )
        })
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
        .build_cartesian_2d(0.0..end * scale, lo..hi)
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
