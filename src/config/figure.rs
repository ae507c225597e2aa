//! The `[figure]` section of scenario and analysis files: size, resolution and formats of every
//! figure a command draws. Every error names file, key and line.

use super::{line, num};
use crate::error::ConfigError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// Millimetres per inch.
const MM_PER_INCH: f64 = 25.4;
/// Default width: one journal column (85-90 mm).
pub const DEFAULT_WIDTH_MM: f64 = 88.0;
/// Default height (4:3 with the default width).
pub const DEFAULT_HEIGHT_MM: f64 = 66.0;
/// Default resolution: what journals ask of line art with text (300 dpi at print size).
pub const DEFAULT_DPI: f64 = 300.0;
/// Accepted sizes (mm): from a thumbnail to an A3 poster panel.
const MM_RANGE: (f64, f64) = (30.0, 500.0);
/// Accepted resolutions (dots per inch).
const DPI_RANGE: (f64, f64) = (72.0, 1200.0);
/// Largest side of a figure in pixels: bounds the memory of a bitmap (rendered at up to 2x
/// for anti-aliasing, 3 bytes a pixel: at most 3 x 2 x 2 x 12000^2 = 1.7 GB would be too much, so
/// the supersampling factor drops as the figure grows; see `output::plot`).
const MAX_PX: f64 = 12_000.0;
/// Smallest side in pixels (text and axes need room).
const MIN_PX: f64 = 200.0;

/// How figures are written: their size at print, resolution and formats.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureOptions {
    /// Width in pixels of the PNG (and in SVG user units).
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
    /// Resolution (dots per inch): turns points (font sizes, line widths) into pixels and is
    /// recorded in the PNG.
    pub dpi: f64,
    /// Write `<stem>.png`.
    pub png: bool,
    /// Write `<stem>.svg`.
    pub svg: bool,
}

impl Default for FigureOptions {
    fn default() -> Self {
        FigureOptions {
            width_px: mm_to_px(DEFAULT_WIDTH_MM, DEFAULT_DPI),
            height_px: mm_to_px(DEFAULT_HEIGHT_MM, DEFAULT_DPI),
            dpi: DEFAULT_DPI,
            png: true,
            svg: true,
        }
    }
}

impl FigureOptions {
    /// Pixels per typographic point (1/72 inch).
    pub fn px_per_pt(&self) -> f64 {
        self.dpi / 72.0
    }

    /// Width in millimetres at the figure's resolution.
    pub fn width_mm(&self) -> f64 {
        self.width_px as f64 / self.dpi * MM_PER_INCH
    }

    /// Height in millimetres at the figure's resolution.
    pub fn height_mm(&self) -> f64 {
        self.height_px as f64 / self.dpi * MM_PER_INCH
    }

    /// The file names a figure `stem` is written as.
    pub fn files(&self, stem: &str) -> Vec<String> {
        let mut f = Vec::new();
        if self.png {
            f.push(format!("{stem}.png"));
        }
        if self.svg {
            f.push(format!("{stem}.svg"));
        }
        f
    }
}

fn mm_to_px(mm: f64, dpi: f64) -> u32 {
    (mm / MM_PER_INCH * dpi).round() as u32
}

/// The `[figure]` section as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFigure {
    width_mm: Option<Spanned<f64>>,
    height_mm: Option<Spanned<f64>>,
    width_px: Option<Spanned<f64>>,
    height_px: Option<Spanned<f64>>,
    dpi: Option<Spanned<f64>>,
    formats: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Validates a `[figure]` section of `file` (text `src`); `None` gives the defaults.
pub(crate) fn parse_figure(
    file: &Path,
    src: &str,
    raw: Option<&RawFigure>,
) -> Result<FigureOptions, ConfigError> {
    parse_figure_sized(file, src, raw, (DEFAULT_WIDTH_MM, DEFAULT_HEIGHT_MM))
}

/// [`FigureOptions`] of a figure whose default size is `(width_mm, height_mm)` at the default
/// resolution (a figure that needs more room than one column: the knock-out heat map, the
/// validation parity plot).
pub fn sized(width_mm: f64, height_mm: f64) -> FigureOptions {
    FigureOptions {
        width_px: mm_to_px(width_mm, DEFAULT_DPI),
        height_px: mm_to_px(height_mm, DEFAULT_DPI),
        ..FigureOptions::default()
    }
}

/// [`parse_figure`] with its own default size `(width_mm, height_mm)` for a side not given.
pub(crate) fn parse_figure_sized(
    file: &Path,
    src: &str,
    raw: Option<&RawFigure>,
    (default_w, default_h): (f64, f64),
) -> Result<FigureOptions, ConfigError> {
    let Some(raw) = raw else {
        return Ok(sized(default_w, default_h));
    };
    let err = |v: &Spanned<f64>, key: &str, msg: String| {
        ConfigError::key(file, line(src, v), format!("figure.{key}"), msg)
    };
    let in_range = |v: &Spanned<f64>, key: &str, (lo, hi): (f64, f64), unit: &str| {
        let x = *v.get_ref();
        if x.is_finite() && (lo..=hi).contains(&x) {
            Ok(x)
        } else {
            Err(err(
                v,
                key,
                format!(
                    "{} {unit} is outside {} to {} {unit}",
                    num(x),
                    num(lo),
                    num(hi)
                ),
            ))
        }
    };
    let dpi = match &raw.dpi {
        Some(v) => in_range(v, "dpi", DPI_RANGE, "dpi")?,
        None => DEFAULT_DPI,
    };
    let side =
        |mm: &Option<Spanned<f64>>, px: &Option<Spanned<f64>>, which: &str, default: f64| match (
            mm, px,
        ) {
            (Some(_), Some(p)) => Err(err(
                p,
                &format!("{which}_px"),
                format!("give `{which}_mm` or `{which}_px`, not both"),
            )),
            (Some(m), None) => {
                let mm = in_range(m, &format!("{which}_mm"), MM_RANGE, "mm")?;
                let px = mm / MM_PER_INCH * dpi;
                if !(MIN_PX..=MAX_PX).contains(&px) {
                    return Err(err(
                        m,
                        &format!("{which}_mm"),
                        format!(
                            "{} mm at {} dpi is {} pixels, outside {} to {}",
                            num(mm),
                            num(dpi),
                            px.round(),
                            MIN_PX,
                            MAX_PX
                        ),
                    ));
                }
                Ok(px.round() as u32)
            }
            (None, Some(p)) => {
                let x = in_range(p, &format!("{which}_px"), (MIN_PX, MAX_PX), "px")?;
                if x.fract() != 0.0 {
                    return Err(err(
                        p,
                        &format!("{which}_px"),
                        format!("{} is not a whole number of pixels", num(x)),
                    ));
                }
                Ok(x as u32)
            }
            (None, None) => Ok(mm_to_px(default, dpi)),
        };
    let width_px = side(&raw.width_mm, &raw.width_px, "width", default_w)?;
    let height_px = side(&raw.height_mm, &raw.height_px, "height", default_h)?;
    let (mut png, mut svg) = (true, true);
    if let Some(list) = &raw.formats {
        (png, svg) = (false, false);
        if list.get_ref().is_empty() {
            return Err(ConfigError::key(
                file,
                line(src, list),
                "figure.formats",
                "no format given",
            )
            .with_help("formats = [\"png\", \"svg\"]"));
        }
        for f in list.get_ref() {
            match f.get_ref().as_str() {
                "png" => png = true,
                "svg" => svg = true,
                other => {
                    let help = if other == "pdf" {
                        "PDF is not written: plotters has no PDF backend and no well-kept pure-Rust converter is built in; convert the SVG (text stays text), e.g. `rsvg-convert -f pdf -o fig.pdf fig.svg`"
                    } else {
                        "the formats are \"png\" and \"svg\""
                    };
                    return Err(ConfigError::key(
                        file,
                        line(src, f),
                        "figure.formats",
                        format!("unknown figure format `{other}`"),
                    )
                    .with_help(help));
                }
            }
        }
    }
    Ok(FigureOptions {
        width_px,
        height_px,
        dpi,
        png,
        svg,
    })
}
