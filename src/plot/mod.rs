//! Plots written as SVG or PNG (by extension), atomically: the Moran scatterplot, Moran's I by
//! period, and a dot-and-whisker chart of estimates with intervals.
//!
//! Text uses bundled fonts (DejaVu Sans for Latin and Greek, Noto Sans CJK SC for Chinese, or a
//! user font from the `font` option), chosen per string by [`fonts::Fonts`] and drawn with
//! plotters' pure-Rust `ab_glyph` renderer, so no system font or library is needed.
//!
//! Every figure takes [`FigureOptions`] (title, axis labels, size, font).

pub mod figures;
pub mod fonts;
pub mod map;

pub use figures::{plot_intervals, plot_moran, plot_moran_series, IntervalPanel, IntervalRow, LisaColouring};
pub use fonts::Fonts;

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The bundled Latin font (DejaVu Sans subset); see [`fonts`].
pub static FONT: &[u8] = fonts::LATIN_FONT;

/// Errors raised while drawing (converted to [`Error::Io`] naming the output path).
pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Registers the bundled fonts (once per process); the same as [`fonts::register`].
pub fn ensure_fonts() {
    fonts::register();
}

/// Options every figure takes. `None` keeps the figure's own default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FigureOptions {
    /// Title above the figure.
    pub title: Option<String>,
    /// Label of the horizontal axis.
    pub xlabel: Option<String>,
    /// Label of the vertical axis.
    pub ylabel: Option<String>,
    /// Width in pixels (SVG user units).
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Path of a .ttf/.otf font drawn first (see [`fonts`]); the bundled fonts remain the
    /// fallback for characters it lacks.
    pub font: Option<String>,
}

/// Smallest and largest accepted width or height, in pixels.
pub const SIZE_RANGE: (u32, u32) = (100, 10_000);

impl FigureOptions {
    /// Only a title (the old `plot_*(…, title)` signatures).
    pub fn titled(title: &str) -> FigureOptions {
        FigureOptions {
            title: Some(title.to_string()),
            ..FigureOptions::default()
        }
    }
    /// The figure size: the options' width and height, else `default`. Errors when outside
    /// [`SIZE_RANGE`].
    pub fn size(&self, what: &str, default: (u32, u32)) -> Result<(u32, u32)> {
        let (lo, hi) = SIZE_RANGE;
        for (name, v) in [("width", self.width), ("height", self.height)] {
            if let Some(v) = v.filter(|v| !(lo..=hi).contains(v)) {
                return Err(Error::invalid(format!(
                    "{what}: {name} = {v} pixels is outside {lo}..={hi}; e.g. width: 900, height: 600"
                )));
            }
        }
        Ok((self.width.unwrap_or(default.0), self.height.unwrap_or(default.1)))
    }
    /// The fonts: the bundled chain, preceded by `font` when given.
    pub fn fonts(&self) -> Result<Fonts> {
        Fonts::with_font(self.font.as_deref())
    }
    /// The title when given and not blank.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }
}

/// Largest magnitude a figure draws: beyond it sums of squares and axis spans overflow.
pub const MAX_ABS: f64 = 1e300;

/// Refuses values a figure cannot draw: NaN, ±∞ or |v| > [`MAX_ABS`]. `what` names the figure,
/// `label(i)` the culprit of value i.
pub fn check_drawable(what: &str, values: &[f64], label: impl Fn(usize) -> String) -> Result<()> {
    if let Some(i) = values.iter().position(|v| !v.is_finite() || v.abs() > MAX_ABS) {
        let v = values[i];
        let why = if v.is_finite() {
            "is too large to draw (beyond 1e300 sums of squares overflow); rescale the variable (divide by a power of ten or take logs)"
        } else {
            "is not a finite number; drop or impute missing values first"
        };
        return Err(Error::invalid(format!("{what}: {} = {v} {why}", label(i))));
    }
    Ok(())
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
    fonts::register();
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
