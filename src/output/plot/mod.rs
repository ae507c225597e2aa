//! Figures (PNG and SVG) drawn with plotters. Text uses the embedded DejaVu Sans font, so plots
//! render on a machine without any system font (plotters is built without font-kit).
//!
//! Sizes are in typographic points, turned into pixels by the figure's resolution
//! ([`FigureOptions`], a scenario's or analysis's `[figure]`): a figure prints at its size with
//! 6.5-8 pt text. PNGs are drawn at up to twice their size and averaged down
//! (anti-aliased lines); SVGs keep text as text with their print size in millimetres.
//!
//! Kinds: lines against time or a swept parameter ([`LinePlot`]: a median with a shaded band,
//! published points with error bars, dose ticks in a strip under the time axis, a log axis,
//! markers), multi-panel figures of them with panel letters ([`draw_panels`]), bar charts on a
//! category axis ([`BarPlot`]: every bar named, confidence intervals) and heat maps
//! ([`HeatPlot`]: sequential or diverging colour scale with a labelled colour bar).

mod bars;
mod heatmap;
mod lines;
mod raster;
mod style;

pub use crate::config::FigureOptions;
pub use bars::{Bar, BarKind, BarPlot};
pub use heatmap::HeatPlot;
pub use lines::{BAND_ALPHA, Band, DoseRow, INNER_BAND_ALPHA, LinePlot, Published, Source};
pub(super) use style::{
    AXIS_PT, Area, GREY, INK, LIGHT, LINE_PT, Mark, SUBTITLE_PT, Scale, Swatch, TICK_PT, diverging,
    draw_legend, draw_mark, draw_notes, heading, legend_height, notes_height, origin, text_size,
    tick, wrap,
};

use super::OutputError;
use crate::engine::Trajectory;
use crate::model::PlotSpec;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

pub(super) const FONT: &str = "sans-serif";

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
    /// Its files (`.png`, `.svg`, as the options ask) were written.
    Drawn,
    /// Nothing could be drawn (no finite points, a degenerate or infinite axis range, no series,
    /// a grid too small for a heat map); no file was written. The reason, for a warning.
    Skipped(String),
}

/// A line to draw: legend label and (x, y) points (x in days on a time axis).
pub type Series = (String, Vec<(f64, f64)>);

/// What a run's figure shows besides its columns: the scenario's description, the doses (one
/// row per drug) and published points of the same scenario and column.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// The scenario's description (the figure's subtitle), or its name.
    pub description: String,
    /// Dose times (days), one row per drug.
    pub doses: Vec<DoseRow>,
    /// Published points: (column, point); `Published::series` is ignored and set per figure.
    pub published: Vec<(String, Published)>,
}

/// Draws one figure of a run as `<dir>/<stem>.png` and `.svg`.
pub fn draw(
    dir: &Path,
    traj: &Trajectory,
    spec: &PlotSpec,
    cx: &RunContext,
    opts: &FigureOptions,
) -> Result<Plotted, OutputError> {
    match run_plot(traj, spec, cx) {
        Ok(plot) => draw_lines(dir, spec.file_stem, &plot, opts),
        Err(why) => Ok(skipped(spec.file_stem, &why)),
    }
}

/// The line plot of a run's figure `spec`, or why it cannot be drawn.
pub fn run_plot(traj: &Trajectory, spec: &PlotSpec, cx: &RunContext) -> Result<LinePlot, String> {
    let t = traj.column("t_day").ok_or("the run has no t_day column")?;
    let mut plot = LinePlot::over_time(spec.title, &cx.description, spec.y_label);
    for (k, (column, label, offset)) in spec.series.iter().enumerate() {
        let y = traj
            .column(column)
            .ok_or_else(|| format!("the run has no column `{column}`"))?;
        plot.series.push((
            label.to_string(),
            t.iter().zip(y).map(|(t, y)| (*t, y - offset)).collect(),
        ));
        for (c, p) in &cx.published {
            if c == column {
                plot.published.push(Published {
                    series: k,
                    value: p.value - offset,
                    lo: p.lo - offset,
                    hi: p.hi - offset,
                    ..p.clone()
                });
            }
        }
    }
    plot.doses = cx.doses.clone();
    Ok(plot)
}

pub(super) fn skipped(stem: &str, why: &str) -> Plotted {
    Plotted::Skipped(format!("plot `{stem}` skipped: {why}"))
}

/// Draws a line plot as `<dir>/<stem>.png` and `.svg` (as `opts` asks), or says why not.
pub fn draw_lines(
    dir: &Path,
    stem: &str,
    plot: &LinePlot,
    opts: &FigureOptions,
) -> Result<Plotted, OutputError> {
    if let Err(why) = plot.check() {
        return Ok(skipped(stem, &why));
    }
    write(dir, stem, &lines::Single(plot), opts)?;
    Ok(Plotted::Drawn)
}

/// Draws panels stacked in one column, lettered A, B, C..., under one title, as
/// `<dir>/<stem>.png` and `.svg`. A panel that cannot be drawn is left out; with none left,
/// nothing is written.
pub fn draw_panels(
    dir: &Path,
    stem: &str,
    title: &str,
    subtitle: &str,
    panels: &[LinePlot],
    opts: &FigureOptions,
) -> Result<Plotted, OutputError> {
    let panels: Vec<&LinePlot> = panels.iter().filter(|p| p.check().is_ok()).collect();
    if panels.is_empty() {
        return Ok(skipped(stem, "no panel has points to draw"));
    }
    write(
        dir,
        stem,
        &lines::Panels {
            title,
            subtitle,
            panels: &panels,
        },
        opts,
    )?;
    Ok(Plotted::Drawn)
}

/// Draws a bar chart as `<dir>/<stem>.png` and `.svg`, or says why not.
pub fn draw_bars(
    dir: &Path,
    stem: &str,
    plot: &BarPlot,
    opts: &FigureOptions,
) -> Result<Plotted, OutputError> {
    if let Err(why) = plot.check() {
        return Ok(skipped(stem, &why));
    }
    write(dir, stem, plot, opts)?;
    Ok(Plotted::Drawn)
}

/// Draws a heat map as `<dir>/<stem>.png` and `.svg`, or says why not.
pub fn draw_heatmap(
    dir: &Path,
    stem: &str,
    plot: &HeatPlot,
    opts: &FigureOptions,
) -> Result<Plotted, OutputError> {
    if let Err(why) = plot.check() {
        return Ok(skipped(stem, &why));
    }
    write(dir, stem, plot, opts)?;
    Ok(Plotted::Drawn)
}

/// Something drawn the same way on any plotters backend: the one piece of code behind both the
/// PNG and the SVG of a figure. Every drawing is laid out in points, so it is drawn at any size
/// and resolution and supersampled for anti-aliasing.
pub(super) trait Drawing {
    /// Size in pixels for these options.
    fn size(&self, opts: &FigureOptions) -> (u32, u32);
    /// Draws on `root`, `px_per_pt` pixels to a point, painting the background first (a PNG's
    /// canvas may hold the previous figure); an error is the message of what failed.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        px_per_pt: f64,
    ) -> Result<(), String>;
}

/// Writes `drawing` as `<dir>/<stem>.png` and/or `<dir>/<stem>.svg`, as `opts` asks (the embedded
/// font registered first); an error names the file.
pub(super) fn write(
    dir: &Path,
    stem: &str,
    drawing: &impl Drawing,
    opts: &FigureOptions,
) -> Result<(), OutputError> {
    register_font();
    if opts.png {
        raster::write_png(&dir.join(format!("{stem}.png")), drawing, opts)?;
    }
    if opts.svg {
        raster::write_svg(&dir.join(format!("{stem}.svg")), drawing, opts)?;
    }
    Ok(())
}
