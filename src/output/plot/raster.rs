//! Writing a drawing: an anti-aliased PNG (drawn at a multiple of its size, then averaged down,
//! with its resolution recorded) and an SVG (text as text, its print size in millimetres, a
//! standard font stack).

use super::Drawing;
use crate::config::FigureOptions;
use crate::output::OutputError;
use plotters::prelude::*;
use std::io::Write;
use std::path::Path;

/// Largest supersampled bitmap (bytes): the factor drops from 2 to 1 for very large figures.
const MAX_BITMAP_BYTES: u64 = 200_000_000;

/// Largest supersampling factor. 2x2 samples per pixel give 5 grey levels on an edge; at print
/// resolution (a 1 pt line is 4 pixels wide at 300 dpi) the PNGs at 3x differ from those at 2x
/// by at most a few levels of 255 on edge pixels, invisible at print size, while 3x draws and
/// averages 2.25 times as many pixels (`docs/performance.md`, figures).
pub const MAX_SUPERSAMPLING: u32 = 2;

/// The supersampling factor of a `w` x `h` figure.
pub(super) fn supersampling(w: u32, h: u32) -> u32 {
    (1..=MAX_SUPERSAMPLING)
        .rev()
        .find(|k| w as u64 * h as u64 * (*k as u64).pow(2) * 3 <= MAX_BITMAP_BYTES)
        .unwrap_or(1)
}

/// Box-filters an RGB image of `w*k` x `h*k` pixels down to `w` x `h`: row by row, summing each
/// block of `k` rows into one line of sums (contiguous reads, no per-pixel index arithmetic).
pub(super) fn downsample(big: &[u8], w: u32, h: u32, k: u32) -> Vec<u8> {
    if k == 1 {
        return big.to_vec();
    }
    let (w, h, k) = (w as usize, h as usize, k as usize);
    let big_row = w * k * 3;
    let n = (k * k) as u32;
    let mut out = vec![0u8; w * h * 3];
    if k == 2 {
        // The common case: the two rows summed first (contiguous, vectorised), then pairs of
        // pixels of the sum.
        let mut pair = vec![0u16; big_row];
        for (y, out_row) in out.chunks_exact_mut(w * 3).enumerate() {
            let (a, b) = big[2 * y * big_row..(2 * y + 2) * big_row].split_at(big_row);
            for ((p, a), b) in pair.iter_mut().zip(a).zip(b) {
                *p = *a as u16 + *b as u16;
            }
            for (o, p) in out_row.chunks_exact_mut(3).zip(pair.chunks_exact(6)) {
                o[0] = ((p[0] + p[3] + 2) / 4) as u8;
                o[1] = ((p[1] + p[4] + 2) / 4) as u8;
                o[2] = ((p[2] + p[5] + 2) / 4) as u8;
            }
        }
        return out;
    }
    let mut sums = vec![0u32; w * 3];
    for (y, out_row) in out.chunks_exact_mut(w * 3).enumerate() {
        sums.fill(0);
        for row in big[y * k * big_row..(y + 1) * k * big_row].chunks_exact(big_row) {
            for (sum, block) in sums.chunks_exact_mut(3).zip(row.chunks_exact(3 * k)) {
                for p in block.chunks_exact(3) {
                    sum[0] += p[0] as u32;
                    sum[1] += p[1] as u32;
                    sum[2] += p[2] as u32;
                }
            }
        }
        for (o, s) in out_row.iter_mut().zip(&sums) {
            *o = ((s + n / 2) / n) as u8;
        }
    }
    out
}

/// Largest canvas a thread keeps for its next figure (bytes): a figure of the default size at
/// 2x is 9.7 MB; reusing it saves the kernel's page faults and zeroing of a fresh one.
const KEEP_CANVAS_BYTES: usize = 32 << 20;

thread_local! {
    static CANVAS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on a white RGB canvas of `bytes` bytes: the thread's kept canvas when it is small
/// enough, a fresh one otherwise (freed after).
fn with_canvas<T>(bytes: usize, f: impl FnOnce(&mut [u8]) -> T) -> T {
    if bytes > KEEP_CANVAS_BYTES {
        return f(&mut vec![255u8; bytes]);
    }
    CANVAS.with(|c| {
        let mut buf = c.borrow_mut();
        // Every drawing paints its background first (`Drawing::draw`), so a kept canvas of
        // the same size is not cleared again.
        buf.resize(bytes, 255);
        f(&mut buf)
    })
}

/// Draws `drawing` and writes it as a PNG at `path`.
pub(super) fn write_png(
    path: &Path,
    drawing: &impl Drawing,
    opts: &FigureOptions,
) -> Result<(), OutputError> {
    let fail = |e: String| OutputError::at(path, std::io::Error::other(e));
    let (w, h) = drawing.size(opts);
    let k = supersampling(w, h);
    let small = with_canvas((w * k) as usize * (h * k) as usize * 3, |big| {
        {
            let root = BitMapBackend::with_buffer(big, (w * k, h * k)).into_drawing_area();
            drawing
                .draw(&root, opts.px_per_pt() * k as f64)
                .map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        Ok(downsample(big, w, h, k))
    })?;
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
    let text = for_print(&text, w, h, opts);
    let mut file = std::fs::File::create(path).map_err(|e| OutputError::at(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| OutputError::at(path, e))
}

/// An SVG from plotters with its print size in millimetres (the `viewBox` keeps the pixel
/// coordinates) and a font stack that starts with the font its text was measured in.
fn for_print(svg: &str, w: u32, h: u32, o: &FigureOptions) -> String {
    let out = svg.replace(
        "font-family=\"sans-serif\"",
        "font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\"",
    );
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!(
        "width=\"{:.2}mm\" height=\"{:.2}mm\"",
        w as f64 / o.dpi * 25.4,
        h as f64 / o.dpi * 25.4
    );
    out.replacen(&from, &to, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean of each k x k block, computed pixel by pixel.
    fn reference(big: &[u8], w: usize, h: usize, k: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut s = 0u32;
                    for dy in 0..k {
                        for dx in 0..k {
                            s += big[((y * k + dy) * w * k + x * k + dx) * 3 + c] as u32;
                        }
                    }
                    let n = (k * k) as u32;
                    out.push(((s + n / 2) / n) as u8);
                }
            }
        }
        out
    }

    #[test]
    fn downsampling_averages_each_block() {
        for k in 1..=3u32 {
            let (w, h) = (7u32, 5u32);
            let big: Vec<u8> = (0..(w * k * h * k * 3) as usize)
                .map(|i| ((i * 37 + i / 7) % 256) as u8)
                .collect();
            assert_eq!(
                downsample(&big, w, h, k),
                reference(&big, w as usize, h as usize, k as usize),
                "k = {k}"
            );
        }
    }

    #[test]
    fn large_figures_are_supersampled_less() {
        assert_eq!(supersampling(1039, 779), MAX_SUPERSAMPLING);
        assert_eq!(supersampling(12_000, 12_000), 1);
    }
}
