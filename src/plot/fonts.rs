//! Fonts of the figures: two bundled fonts, an optional user font, and a fallback chain chosen
//! per string.
//!
//! - **DejaVu Sans** (subset: Latin, Greek, punctuation, mathematical symbols; licence in
//!   `assets/fonts/LICENSE-DejaVu.txt`) draws every string it covers, under the family
//!   `"sans-serif"`.
//! - **Noto Sans CJK SC** (subset: all of GB 2312, i.e. 6763 hanzi, with ASCII, Greek, CJK
//!   punctuation and fullwidth forms; SIL OFL 1.1, `assets/fonts/LICENSE-NotoSansCJK.txt`)
//!   draws a string that has a character DejaVu lacks (Chinese text), under the family
//!   [`CJK`]. In SVG the family is written as a CSS list, so a viewer uses its own CJK font.
//! - A **user font** (`font` option: a .ttf/.otf/.ttc path, read at run time) comes first: a
//!   string it covers entirely is drawn with it; other strings fall back to the chain above.
//!
//! Fonts are rendered by plotters' pure-Rust `ab_glyph` backend: no system font or library.

use crate::error::{Error, Result};
use ab_glyph::{Font, FontRef};
use plotters::style::FontStyle;
use std::collections::HashMap;
use std::sync::{Mutex, Once, OnceLock};

/// The bundled Latin font (DejaVu Sans subset).
pub static LATIN_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
/// The bundled CJK font (Noto Sans CJK SC subset, GB 2312).
pub static CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// Family under which [`LATIN_FONT`] is registered.
pub const LATIN: &str = "sans-serif";
/// Family under which [`CJK_FONT`] is registered (a CSS font list in SVG output).
pub const CJK: &str = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, sans-serif";

/// Registers the bundled fonts with plotters (once per process): DejaVu under "sans-serif",
/// "serif" and "monospace", Noto Sans CJK SC under [`CJK`].
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // Both byte strings are valid OpenType fonts (checked by the unit tests below).
            for family in [LATIN, "serif", "monospace"] {
                let _ = plotters::style::register_font(family, style, LATIN_FONT);
            }
            let _ = plotters::style::register_font(CJK, style, CJK_FONT);
        }
    });
}

fn latin() -> &'static FontRef<'static> {
    static F: OnceLock<FontRef<'static>> = OnceLock::new();
    F.get_or_init(|| FontRef::try_from_slice(LATIN_FONT).expect("the bundled DejaVu subset parses"))
}

/// True when `font` has a glyph for every character of `text` (whitespace and control
/// characters need none).
fn covers(font: &FontRef<'_>, text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || c.is_control() || font.glyph_id(c).0 != 0)
}

/// The fonts of one figure: the fallback chain, with the user's font first when given.
#[derive(Clone, Debug, Default)]
pub struct Fonts {
    user: Option<(&'static str, FontRef<'static>)>,
}

impl Fonts {
    /// The bundled fonts only.
    pub fn bundled() -> Fonts {
        register();
        Fonts::default()
    }

    /// The bundled fonts, preceded by the font file at `path` when given (see [`load_font`]).
    pub fn with_font(path: Option<&str>) -> Result<Fonts> {
        register();
        Ok(Fonts {
            user: path.map(load_font).transpose()?,
        })
    }

    /// The family to draw `text` with: the user font when it covers every character, else
    /// DejaVu when it does, else Noto Sans CJK SC.
    pub fn family(&self, text: &str) -> &'static str {
        self.family_all([text])
    }

    /// One family for several strings drawn in one style (tick labels, legend entries): the
    /// first font of the chain that covers all of them.
    pub fn family_all<'a>(&self, texts: impl IntoIterator<Item = &'a str> + Clone) -> &'static str {
        if let Some((name, f)) = &self.user {
            if texts.clone().into_iter().all(|t| covers(f, t)) {
                return name;
            }
        }
        if texts.into_iter().all(|t| covers(latin(), t)) {
            LATIN
        } else {
            CJK
        }
    }
}

/// Reads the font file at `path` (TrueType/OpenType: .ttf, .otf, or the first font of a .ttc),
/// registers it with plotters and returns its family name and parsed font. A path is read once
/// per process (the bytes stay in memory for later figures). Errors name the path and the fix.
pub fn load_font(path: &str) -> Result<(&'static str, FontRef<'static>)> {
    static LOADED: OnceLock<Mutex<HashMap<String, (&'static str, FontRef<'static>)>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = loaded.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = map.get(path) {
        return Ok(hit.clone());
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::io(
            path,
            format!("option 'font': cannot read the font file ({e}); pass the path of a .ttf or .otf file"),
        )
    })?;
    if FontRef::try_from_slice(&bytes).is_err() {
        return Err(Error::invalid(format!(
            "option 'font': {path} is not a TrueType/OpenType font; pass the path of a .ttf or .otf file"
        )));
    }
    // plotters keeps fonts for the life of the process: the bytes are leaked once per path.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let font = FontRef::try_from_slice(bytes)
        .map_err(|_| Error::invalid(format!("option 'font': {path}: unreadable font")))?;
    let stem = std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| "user font".to_string(), |s| s.to_string_lossy().into_owned());
    // A family name unique to this path; in SVG it is a CSS list ending in sans-serif.
    let name: &'static str = Box::leak(format!("{stem} #{}, sans-serif", map.len() + 1).into_boxed_str());
    for style in [FontStyle::Normal, FontStyle::Bold] {
        plotters::style::register_font(name, style, bytes)
            .map_err(|_| Error::invalid(format!("option 'font': {path}: plotters cannot use this font")))?;
    }
    map.insert(path.to_string(), (name, font.clone()));
    Ok((name, font))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::IntoFont;

    #[test]
    fn bundled_fonts_parse_and_cover_their_scripts() {
        register();
        assert!(FontRef::try_from_slice(CJK_FONT).is_ok());
        let f = Fonts::bundled();
        assert_eq!(f.family("Moran's I = 0.25, ρ λ θ"), LATIN);
        assert_eq!(f.family("莫兰散点图"), CJK);
        assert_eq!(f.family_all(["x", "东部"]), CJK);
        let cjk = FontRef::try_from_slice(CJK_FONT).expect("parses");
        assert!(covers(&cjk, "莫兰散点图，空间滞后（W·z）ρλθ"));
        let (w, _) = (CJK, 12.0).into_font().box_size("莫兰").expect("layout");
        assert!(w > 15, "width {w}");
    }

    #[test]
    fn unreadable_font_is_a_clear_error() {
        let Err(e) = load_font("/nonexistent/font.ttf") else {
            panic!("a missing font file must be an error")
        };
        let e = e.to_string();
        assert!(e.contains("/nonexistent/font.ttf") && e.contains(".ttf or .otf"), "{e}");
    }
}
