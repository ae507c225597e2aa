//! Writing a drawing: an anti-aliased PNG (drawn at a multiple of its size, then averaged down,
//! with its resolution recorded) and an SVG (text as text, its print size in millimetres, a
//! standard font stack).

use super::Drawing;
use crate::config::FigureOptions;
use crate::output::OutputError;
use plotters::prelude::*;
use std::io::Write;
use std::path::Path;

/// Largest supersampled bitmap (bytes): the factor drops from 3 to 2 or 1 for large figures.
const MAX_BITMAP_BYTES: u64 = 200_000_000;

/// The supersampling factor of a `w` x `h` figure.
pub(super) fn supersampling(w: u32, h: u32) -> u32 {
    (1..=3u32)
        .rev()
        .find(|k| w as u64 * h as u64 * (*k as u64).pow(2) * 3 <= MAX_BITMAP_BYTES)
        .unwrap_or(1)
}

/// Box-filters an RGB image of `w*k` x `h*k` pixels down to `w` x `h`.
pub(super) fn downsample(big: &[u8], w: u32, h: u32, k: u32) -> Vec<u8> {
    if k == 1 {
        return big.to_vec();
    }
    let (w, h, k) = (w as usize, h as usize, k as usize);
    let big_w = w * k;
    let mut out = vec![0u8; w * h * 3];
    let n = (k * k) as u32;
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0u32; 3];
            for dy in 0..k {
                let row = (y * k + dy) * big_w;
                for dx in 0..k {
                    let p = (row + x * k + dx) * 3;
                    sum[0] += big[p] as u32;
                    sum[1] += big[p + 1] as u32;
                    sum[2] += big[p + 2] as u32;
                }
            }
            let o = (y * w + x) * 3;
            for c in 0..3 {
                out[o + c] = ((sum[c] + n / 2) / n) as u8;
            }
        }
    }
    out
}

/// Draws `drawing` and writes it as a PNG at `path`.
pub(super) fn write_png(
    path: &Path,
    drawing: &impl Drawing,
    opts: &FigureOptions,
) -> Result<(), OutputError> {
    let fail = |e: String| OutputError::at(path, std::io::Error::other(e));
    let (w, h) = drawing.size(opts);
    let k = if drawing.scalable() {
        supersampling(w, h)
    } else {
        1
    };
    let mut big = vec![255u8; (w * k) as usize * (h * k) as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (w * k, h * k)).into_drawing_area();
        drawing
            .draw(&root, opts.px_per_pt() * k as f64)
            .map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let small = downsample(&big, w, h, k);
    drop(big);
    let file = std::fs::File::create(path).map_err(|e| OutputError::at(path, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let per_metre = (opts.dpi / 0.0254).round() as u32;
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = enc.write_header().map_err(|e| fail(e.to_string()))?;
    writer
        .write_image_data(&small)
        .map_err(|e| fail(e.to_string()))?;
    writer.finish().map_err(|e| fail(e.to_string()))
}

/// Draws `drawing` and writes it as an SVG at `path`.
pub(super) fn write_svg(
    path: &Path,
    drawing: &impl Drawing,
    opts: &FigureOptions,
) -> Result<(), OutputError> {
    let fail = |e: String| OutputError::at(path, std::io::Error::other(e));
    let (w, h) = drawing.size(opts);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        drawing.draw(&root, opts.px_per_pt()).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let text = for_print(&text, w, h, drawing.scalable().then_some(opts));
    let mut file = std::fs::File::create(path).map_err(|e| OutputError::at(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| OutputError::at(path, e))
}

/// An SVG from plotters with its print size in millimetres (the `viewBox` keeps the pixel
/// coordinates) and a font stack that starts with the font its text was measured in.
fn for_print(svg: &str, w: u32, h: u32, opts: Option<&FigureOptions>) -> String {
    let mut out = svg.replace(
        "font-family=\"sans-serif\"",
        "font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\"",
    );
    if let Some(o) = opts {
        let from = format!("width=\"{w}\" height=\"{h}\"");
        let to = format!(
            "width=\"{:.2}mm\" height=\"{:.2}mm\"",
            w as f64 / o.dpi * 25.4,
            h as f64 / o.dpi * 25.4
        );
        out = out.replacen(&from, &to, 1);
    }
    out
}
