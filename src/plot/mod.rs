//! Plots written as SVG or PNG (by extension), atomically: the Moran scatterplot, Moran's I by
//! period, and a dot-and-whisker chart of estimates with intervals.
//!
//! Text uses a bundled subset of DejaVu Sans (Latin, Greek, punctuation, mathematical
//! symbols; licence in `assets/fonts/LICENSE-DejaVu.txt`), registered once per process with
//! plotters' `ab_glyph` renderer, so no system font is needed.

pub mod figures;
pub mod map;

pub use figures::{plot_intervals, plot_moran, plot_moran_series, IntervalPanel, IntervalRow};

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// The bundled font (DejaVu Sans subset).
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// Errors raised while drawing (converted to [`Error::Io`] naming the output path).
pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Registers the bundled font under the families plotters asks for (once per process).
pub fn ensure_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            for style in [FontStyle::Normal, FontStyle::Bold] {
                // The bytes are a valid TrueType font (checked by the unit test below).
                let _ = plotters::style::register_font(family, style, FONT);
            }
        }
    });
}

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Output formats known by extension.
enum Format {
    Svg,
    Png,
}

fn format_of(path: &str) -> Result<Format> {
    match crate::io::extension(path).as_str() {
        "svg" => Ok(Format::Svg),
        "png" => Ok(Format::Png),
        other => Err(Error::invalid(format!(
            "{path}: cannot write a plot as '.{other}'; use a path ending in .svg or .png"
        ))),
    }
}

/// Renders `fig` to `path` (SVG or PNG by extension), atomically.
pub(crate) fn render(fig: &impl Figure, path: &str) -> Result<()> {
    ensure_fonts();
    let size = fig.size();
    let fail = |e: Box<dyn std::error::Error>| Error::io(path, format!("cannot draw the plot: {e}"));
    match format_of(path)? {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| fail(e.into()))?;
                fig.draw(&root).map_err(fail)?;
                root.present().map_err(|e| fail(e.into()))?;
            }
            crate::io::write_atomic(path, svg.as_bytes())
        }
        Format::Png => {
            // Drawn in memory and encoded here: the only file written is the target, through
            // the atomic writer (no predictable temporary file elsewhere).
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| fail(e.into()))?;
                fig.draw(&root).map_err(fail)?;
                root.present().map_err(|e| fail(e.into()))?;
            }
            let png = encode_png(&rgb, w, h).map_err(|e| fail(e.into()))?;
            crate::io::write_atomic(path, &png)
        }
    }
}

/// Encodes an 8-bit RGB image as PNG.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Rounds a data range out to a padded plotting range containing `include`.
pub(crate) fn padded_range(values: impl IntoIterator<Item = f64>, include: &[f64], pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values
        .into_iter()
        .chain(include.iter().copied())
        .filter(|v| v.is_finite())
    {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - pad * span, hi + pad * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_font_parses_and_has_greek() {
        ensure_fonts();
        let f = ("sans-serif", 12.0).into_font();
        let (w, _) = f.box_size("ρλ·").expect("layout");
        assert!(w > 10, "width {w}");
    }

    #[test]
    fn unknown_extension_is_refused() {
        let e = format_of("x.pdf").err().expect("error").to_string();
        assert!(e.contains(".svg or .png"), "{e}");
    }
}
