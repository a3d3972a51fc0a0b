//! Maps (docs/methods.md §3.1): the choropleth of one variable, small multiples of it by period,
//! and the LISA cluster map, each drawn from a [`GeoMap`] with values matched by unit id.
//!
//! Every polygon part of a unit is one filled shape. A part with holes is drawn as one polygon
//! whose holes are joined to the exterior by a "keyhole" bridge walked there and back: the bridge
//! edges cancel, and with the holes oriented against the exterior the nonzero rule (SVG's
//! default) and the even–odd rule (the bitmap rasteriser's) both leave the holes empty, so an
//! enclave drawn inside a hole stays visible. Outlines are drawn after all fills. Units without
//! a value are light grey with diagonal hatching, counted in the legend and named in a note.
//!
//! Coordinates that look like degrees (|x| ≤ 180, |y| ≤ 90) are drawn with x scaled by the cosine
//! of the central latitude (an equirectangular projection), others as they are.

use super::{render, DrawResult, Figure, FigureOptions, Fonts};
use crate::data::Frame;
use crate::error::{list_some, Error, Result};
use crate::esda::{lisa_cluster, Cluster, Quadrant};
use crate::map::{classify, GeoMap, Scheme};
use crate::plot::figures::lisa_colour;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Fill of units without data.
pub const NO_DATA: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);
const HATCH: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);
const OUTLINE: RGBColor = RGBColor(0x59, 0x59, 0x59);

/// Named colour ramps (ColorBrewer 9-class sequential and 11-class diverging schemes, Brewer
/// 2003; viridis): k classes take k evenly spaced points of the ramp, interpolated in RGB.
const RAMPS: [(&str, &[u32]); 13] = [
    (
        "YlOrRd",
        &[
            0xffffcc, 0xffeda0, 0xfed976, 0xfeb24c, 0xfd8d3c, 0xfc4e2a, 0xe31a1c, 0xbd0026, 0x800026,
        ],
    ),
    (
        "Blues",
        &[
            0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b,
        ],
    ),
    (
        "Greens",
        &[
            0xf7fcf5, 0xe5f5e0, 0xc7e9c0, 0xa1d99b, 0x74c476, 0x41ab5d, 0x238b45, 0x006d2c, 0x00441b,
        ],
    ),
    (
        "Reds",
        &[
            0xfff5f0, 0xfee0d2, 0xfcbba1, 0xfc9272, 0xfb6a4a, 0xef3b2c, 0xcb181d, 0xa50f15, 0x67000d,
        ],
    ),
    (
        "Oranges",
        &[
            0xfff5eb, 0xfee6ce, 0xfdd0a2, 0xfdae6b, 0xfd8d3c, 0xf16913, 0xd94801, 0xa63603, 0x7f2704,
        ],
    ),
    (
        "Purples",
        &[
            0xfcfbfd, 0xefedf5, 0xdadaeb, 0xbcbddc, 0x9e9ac8, 0x807dba, 0x6a51a3, 0x54278f, 0x3f007d,
        ],
    ),
    (
        "Greys",
        &[
            0xffffff, 0xf0f0f0, 0xd9d9d9, 0xbdbdbd, 0x969696, 0x737373, 0x525252, 0x252525, 0x000000,
        ],
    ),
    (
        "YlGnBu",
        &[
            0xffffd9, 0xedf8b1, 0xc7e9b4, 0x7fcdbb, 0x41b6c4, 0x1d91c0, 0x225ea8, 0x253494, 0x081d58,
        ],
    ),
    (
        "OrRd",
        &[
            0xfff7ec, 0xfee8c8, 0xfdd49e, 0xfdbb84, 0xfc8d59, 0xef6548, 0xd7301f, 0xb30000, 0x7f0000,
        ],
    ),
    (
        "PuBu",
        &[
            0xfff7fb, 0xece7f2, 0xd0d1e6, 0xa6bddb, 0x74a9cf, 0x3690c0, 0x0570b0, 0x045a8d, 0x023858,
        ],
    ),
    (
        "RdBu",
        &[
            0x67001f, 0xb2182b, 0xd6604d, 0xf4a582, 0xfddbc7, 0xf7f7f7, 0xd1e5f0, 0x92c5de, 0x4393c3, 0x2166ac,
            0x053061,
        ],
    ),
    (
        "RdYlBu",
        &[
            0xa50026, 0xd73027, 0xf46d43, 0xfdae61, 0xfee090, 0xffffbf, 0xe0f3f8, 0xabd9e9, 0x74add1, 0x4575b4,
            0x313695,
        ],
    ),
    (
        "viridis",
        &[
            0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725,
        ],
    ),
];

/// The colours of a choropleth's classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Palette {
    /// A named ramp (see [`Palette::names`]); `reversed` for the `_r` suffix.
    Named {
        /// The ramp's anchor colours.
        ramp: Vec<[u8; 3]>,
        /// The name as given.
        name: String,
    },
    /// Colours given one by one ("#RRGGBB"), used as a ramp.
    Colours(Vec<[u8; 3]>),
}

fn rgb(c: u32) -> [u8; 3] {
    [(c >> 16) as u8, (c >> 8) as u8, c as u8]
}

impl Palette {
    /// The names of the ramps (each also reversed with the suffix `_r`, e.g. `"RdBu_r"`).
    pub fn names() -> Vec<&'static str> {
        RAMPS.iter().map(|r| r.0).collect()
    }

    /// The ramp called `name` (case-insensitive; `_r` reverses it).
    pub fn named(name: &str) -> Result<Palette> {
        let (base, rev) = match name.strip_suffix("_r") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let (_, anchors) = RAMPS
            .iter()
            .find(|r| r.0.eq_ignore_ascii_case(base.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown palette '{name}'; use one of {} (add _r to reverse), or an array of \"#RRGGBB\" colours",
                    Palette::names().join(", ")
                ))
            })?;
        let mut ramp: Vec<[u8; 3]> = anchors.iter().map(|&c| rgb(c)).collect();
        if rev {
            ramp.reverse();
        }
        Ok(Palette::Named {
            ramp,
            name: name.to_string(),
        })
    }

    /// A ramp through the colours `hex` ("#RRGGBB" or "RRGGBB"); at least two.
    pub fn from_hex(hex: &[String]) -> Result<Palette> {
        if hex.len() < 2 {
            return Err(Error::invalid("a palette needs at least two colours"));
        }
        hex.iter()
            .map(|h| parse_hex(h))
            .collect::<Result<Vec<_>>>()
            .map(Palette::Colours)
    }

    /// `k` colours evenly spaced along the ramp.
    pub fn colours(&self, k: usize) -> Vec<RGBColor> {
        let ramp = match self {
            Palette::Named { ramp, .. } | Palette::Colours(ramp) => ramp,
        };
        if k == 1 {
            let c = ramp[ramp.len() / 2];
            return vec![RGBColor(c[0], c[1], c[2])];
        }
        (0..k)
            .map(|c| {
                let t = c as f64 / (k - 1) as f64 * (ramp.len() - 1) as f64;
                let lo = (t.floor() as usize).min(ramp.len() - 1);
                let hi = (lo + 1).min(ramp.len() - 1);
                let f = t - lo as f64;
                let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
                RGBColor(
                    mix(ramp[lo][0], ramp[hi][0]),
                    mix(ramp[lo][1], ramp[hi][1]),
                    mix(ramp[lo][2], ramp[hi][2]),
                )
            })
            .collect()
    }
}

fn parse_hex(h: &str) -> Result<[u8; 3]> {
    let s = h.trim().trim_start_matches('#');
    let ok = s.len() == 6 && s.chars().all(|c| c.is_ascii_hexdigit());
    let v = u32::from_str_radix(s, 16)
        .ok()
        .filter(|_| ok)
        .ok_or_else(|| Error::invalid(format!("palette colour '{h}' is not of the form \"#RRGGBB\"")))?;
    Ok(rgb(v))
}

/// Options of [`plot_map`] and [`plot_map_series`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChoroplethOptions {
    /// Title (default: the column name), width and height (default: from the map's shape),
    /// font; the axis labels are not used.
    pub figure: FigureOptions,
    /// Number of classes (default 5; not used by `std_dev`).
    pub classes: usize,
    /// Classification scheme (default quantiles).
    pub scheme: Scheme,
    /// Colours (default YlOrRd; RdBu_r for std_dev).
    pub palette: Option<Palette>,
    /// Draw the legend (default true).
    pub legend: bool,
    /// The legend's heading (the column name, and period).
    pub legend_title: String,
}

impl Default for ChoroplethOptions {
    fn default() -> Self {
        ChoroplethOptions {
            figure: FigureOptions::default(),
            classes: 5,
            scheme: Scheme::Quantiles,
            palette: None,
            legend: true,
            legend_title: String::new(),
        }
    }
}

/// What a map could not show: units of the map without a value, and ids of the data that are
/// not units of the map (both in the order met).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapNote {
    /// Units of the map drawn as "no data".
    pub no_data: Vec<String>,
    /// Ids of the data with no unit on the map (not drawn).
    pub not_on_map: Vec<String>,
}

impl MapNote {
    /// The warnings to print: one line per kind of mismatch, naming some ids.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.no_data.is_empty() {
            out.push(format!(
                "{} unit(s) of the map have no data and are drawn hatched grey: {}",
                self.no_data.len(),
                list_some(&self.no_data, 10)
            ));
        }
        if !self.not_on_map.is_empty() {
            out.push(format!(
                "{} id(s) of the data are not units of the map and are not drawn: {}",
                self.not_on_map.len(),
                list_some(&self.not_on_map, 10)
            ));
        }
        out
    }
}

/// Writes the choropleth of `values` (one per unit of `map`, in map order; NaN = no data) to
/// `path` (`.svg` or `.png`): classes by `opts.scheme` ([`crate::map::classify`]), a legend with
/// each class's bounds and count, units without data hatched grey and named in a note.
/// `not_on_map` (ids of the data that are not on the map) goes into the returned note.
pub fn plot_map(
    map: &GeoMap,
    values: &[f64],
    not_on_map: Vec<String>,
    path: &str,
    opts: &ChoroplethOptions,
) -> Result<MapNote> {
    plot_map_series(map, &[(String::new(), values.to_vec())], not_on_map, path, opts)
}

/// Small multiples: one choropleth per `(label, values)` panel (e.g. one per period), all with
/// the classes of the pooled values so that a colour means the same in every panel, and one
/// legend. Units without data in some panel are hatched there and named in the note.
pub fn plot_map_series(
    map: &GeoMap,
    panels: &[(String, Vec<f64>)],
    not_on_map: Vec<String>,
    path: &str,
    opts: &ChoroplethOptions,
) -> Result<MapNote> {
    if panels.is_empty() {
        return Err(Error::invalid("plot_map_series: no period to draw"));
    }
    for (label, v) in panels {
        if v.len() != map.n() {
            return Err(Error::invalid(format!(
                "plot_map: {} values{} for {} units of the map",
                v.len(),
                if label.is_empty() {
                    String::new()
                } else {
                    format!(" in panel '{label}'")
                },
                map.n()
            )));
        }
    }
    let pooled: Vec<f64> = panels.iter().flat_map(|p| p.1.iter().copied()).collect();
    let classes = classify(&pooled, opts.classes, opts.scheme)
        .map_err(|e| Error::invalid(format!("plot_map: {}", e.to_string().trim_start_matches("classify: "))))?;
    let palette = match &opts.palette {
        Some(p) => p.clone(),
        None if opts.scheme == Scheme::StdDev => Palette::named("RdBu_r")?,
        None => Palette::named("YlOrRd")?,
    };
    let colours = palette.colours(classes.k());
    let mut no_data = Vec::new();
    let mut drawn = Vec::with_capacity(panels.len());
    let n = map.n();
    for (p, (label, _)) in panels.iter().enumerate() {
        let cls = &classes.class[p * n..(p + 1) * n];
        let fill: Vec<Option<RGBColor>> = cls.iter().map(|c| c.map(|c| colours[c])).collect();
        for (u, f) in fill.iter().enumerate() {
            if f.is_none() {
                let id = &map.units()[u].id;
                no_data.push(if label.is_empty() {
                    id.clone()
                } else {
                    format!("{id} ({label})")
                });
            }
        }
        drawn.push(MapPanel {
            label: label.clone(),
            fill,
        });
    }
    let mut legend: Vec<LegendEntry> = classes
        .labels()
        .into_iter()
        .zip(&classes.counts)
        .zip(&colours)
        .map(|((l, n), c)| LegendEntry {
            swatch: Some(*c),
            label: format!("{l}  ({n})"),
        })
        .collect();
    if !no_data.is_empty() {
        legend.push(LegendEntry {
            swatch: None,
            label: format!("No data  ({})", no_data.len()),
        });
    }
    let note = MapNote { no_data, not_on_map };
    let scheme = match classes.scheme {
        Scheme::Quantiles => "quantiles",
        Scheme::Equal => "equal intervals",
        Scheme::NaturalBreaks => "natural breaks (Fisher–Jenks)",
        Scheme::StdDev => "standard deviations",
    };
    let what = if panels.len() == 1 {
        "plot_map"
    } else {
        "plot_map_series"
    };
    let fig = MapFigure::new(
        map,
        drawn,
        Legend {
            title: opts.legend_title.clone(),
            subtitle: scheme.to_string(),
            entries: legend,
            show: opts.legend,
        },
        opts.figure.title().unwrap_or(&opts.legend_title).to_string(),
        note_text(&note),
        &opts.figure,
        what,
    )?;
    render(&fig, path)?;
    Ok(note)
}

/// Options of [`plot_lisa_map`].
#[derive(Debug, Clone, PartialEq)]
pub struct LisaMapOptions {
    /// Significance level (default 0.05): a unit is in a cluster when its p < alpha.
    pub alpha: f64,
    /// Title (default "LISA cluster map"), width, height, font; the axis labels are not used.
    pub figure: FigureOptions,
    /// Draw the legend (default true).
    pub legend: bool,
}

impl Default for LisaMapOptions {
    fn default() -> Self {
        LisaMapOptions {
            alpha: 0.05,
            figure: FigureOptions::default(),
            legend: true,
        }
    }
}

/// Counts of the LISA map's categories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LisaCounts {
    /// Not significant.
    pub not_significant: usize,
    /// High-High.
    pub hh: usize,
    /// Low-Low.
    pub ll: usize,
    /// Low-High.
    pub lh: usize,
    /// High-Low.
    pub hl: usize,
    /// Units of the map without a LISA result.
    pub no_data: usize,
}

/// Writes the LISA cluster map of `lisa` (a `local_moran` frame: columns `id`, `quadrant` and
/// `p`, and `p_sim` when permutations were run) to `path`: each unit in GeoDa's colour of its
/// cluster ([`lisa_cluster`] of its quadrant and p at `opts.alpha`; `p_sim` is used when it has
/// any value, else the normal `p`), with the count of each category in the legend.
pub fn plot_lisa_map(map: &GeoMap, lisa: &Frame, path: &str, opts: &LisaMapOptions) -> Result<(LisaCounts, MapNote)> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(Error::invalid(format!(
            "plot_lisa_map: alpha must be between 0 and 1, got {}",
            opts.alpha
        )));
    }
    let ids = lisa.keys("id")?;
    let quadrants = lisa.key_cells("quadrant")?;
    let use_sim = lisa.has("p_sim") && lisa.numeric("p_sim")?.iter().any(|p| p.is_finite());
    let (p, p_name) = if use_sim {
        (lisa.numeric("p_sim")?, "p_sim")
    } else {
        (lisa.numeric("p")?, "p")
    };
    let mut fill: Vec<Option<RGBColor>> = vec![None; map.n()];
    let mut not_on_map = Vec::new();
    let mut counts = LisaCounts::default();
    for (r, id) in ids.iter().enumerate() {
        let Some(u) = map.position(id) else {
            not_on_map.push(id.clone());
            continue;
        };
        let q = quadrants[r].as_deref().and_then(Quadrant::from_code).ok_or_else(|| {
            Error::data(format!(
                "plot_lisa_map: row {} (id {id}) has quadrant {:?}; expected HH, LL, HL or LH (pass local_moran's result)",
                r + 1,
                quadrants[r].as_deref().unwrap_or("")
            ))
        })?;
        let cluster = lisa_cluster(q, p[r], opts.alpha);
        match cluster {
            Cluster::NotSignificant => counts.not_significant += 1,
            Cluster::HighHigh => counts.hh += 1,
            Cluster::LowLow => counts.ll += 1,
            Cluster::LowHigh => counts.lh += 1,
            Cluster::HighLow => counts.hl += 1,
        }
        fill[u] = Some(lisa_colour(cluster));
    }
    let no_data: Vec<String> = fill
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_none())
        .map(|(u, _)| map.units()[u].id.clone())
        .collect();
    counts.no_data = no_data.len();
    let mut entries = vec![
        (
            Some(lisa_colour(Cluster::NotSignificant)),
            Cluster::NotSignificant.label(),
            counts.not_significant,
        ),
        (
            Some(lisa_colour(Cluster::HighHigh)),
            Cluster::HighHigh.label(),
            counts.hh,
        ),
        (Some(lisa_colour(Cluster::LowLow)), Cluster::LowLow.label(), counts.ll),
        (Some(lisa_colour(Cluster::LowHigh)), Cluster::LowHigh.label(), counts.lh),
        (Some(lisa_colour(Cluster::HighLow)), Cluster::HighLow.label(), counts.hl),
    ];
    if counts.no_data > 0 {
        entries.push((None, "No data", counts.no_data));
    }
    let note = MapNote { no_data, not_on_map };
    let alpha = format_alpha(opts.alpha);
    let fig = MapFigure::new(
        map,
        vec![MapPanel {
            label: String::new(),
            fill,
        }],
        Legend {
            title: "LISA cluster".into(),
            subtitle: format!("{p_name} < {alpha}"),
            entries: entries
                .into_iter()
                .map(|(c, l, n)| LegendEntry {
                    swatch: c,
                    label: format!("{l}  ({n})"),
                })
                .collect(),
            show: opts.legend,
        },
        opts.figure.title().unwrap_or("LISA cluster map").to_string(),
        note_text(&note),
        &opts.figure,
        "plot_lisa_map",
    )?;
    render(&fig, path)?;
    Ok((counts, note))
}

fn format_alpha(a: f64) -> String {
    let s = format!("{a:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The note under a map: the units without data (some of them).
fn note_text(note: &MapNote) -> String {
    if note.no_data.is_empty() {
        String::new()
    } else {
        format!("No data (hatched): {}", list_some(&note.no_data, 12))
    }
}

/// One map of the figure: a fill per unit (None = no data).
struct MapPanel {
    label: String,
    fill: Vec<Option<RGBColor>>,
}

struct LegendEntry {
    /// None: the no-data swatch (grey, hatched).
    swatch: Option<RGBColor>,
    label: String,
}

struct Legend {
    title: String,
    subtitle: String,
    entries: Vec<LegendEntry>,
    show: bool,
}

/// A figure of one or more maps of the same units and one legend.
struct MapFigure<'a> {
    map: &'a GeoMap,
    panels: Vec<MapPanel>,
    legend: Legend,
    title: String,
    note: String,
    fonts: Fonts,
    /// Columns of the panel grid.
    cols: usize,
    /// Size of one map cell (without its label).
    cell: (u32, u32),
    /// Size of the whole figure.
    size: (u32, u32),
    /// Bounding box and the x scale (cos of the central latitude for degrees).
    bbox: [f64; 4],
    xscale: f64,
}

const MARGIN: u32 = 15;
const LEGEND_W: u32 = 250;
const TITLE_H: u32 = 40;
const LABEL_H: u32 = 24;
const NOTE_H: u32 = 22;
/// Smallest side of one map cell, in pixels.
const MIN_CELL: u32 = 40;

impl<'a> MapFigure<'a> {
    /// The figure of `panels`. Its size is `fig`'s width and height when given (the maps are
    /// scaled to the room left by the title, legend and note, keeping the map's shape); a side
    /// not given follows from the map's shape, and with neither each map is 640 pixels wide
    /// (300 in small multiples). `what` names the figure in errors.
    #[allow(clippy::too_many_arguments)]
    fn new(
        map: &'a GeoMap,
        panels: Vec<MapPanel>,
        legend: Legend,
        title: String,
        note: String,
        fig: &FigureOptions,
        what: &str,
    ) -> Result<Self> {
        let b = map.bbox();
        let degrees = b[0] >= -180.0 && b[2] <= 180.0 && b[1] >= -90.0 && b[3] <= 90.0;
        let xscale = if degrees {
            ((b[1] + b[3]) / 2.0).to_radians().cos().max(0.2)
        } else {
            1.0
        };
        let (dx, dy) = (((b[2] - b[0]) * xscale).max(1e-12), (b[3] - b[1]).max(1e-12));
        let k = panels.len();
        let cols = if k == 1 {
            1
        } else {
            (k as f64).sqrt().ceil().min(4.0) as usize
        };
        let aspect = (dy / dx).clamp(0.35, 1.4);
        let mut f = MapFigure {
            map,
            panels,
            legend,
            title,
            note,
            fonts: fig.fonts()?,
            cols,
            cell: (0, 0),
            size: (0, 0),
            bbox: b,
            xscale,
        };
        // Validates the range of width and height (the default is not used).
        fig.size(what, (640, 480))?;
        let (cols, rows) = (cols as u32, f.rows() as u32);
        // Pixels around the maps: horizontally margins and the legend, vertically margins, the
        // title, the note and the panel labels.
        let legend_w = if f.legend.show { LEGEND_W + MARGIN } else { 0 };
        let over_w = 2 * MARGIN + legend_w + (cols - 1) * MARGIN;
        let head_h = 2 * MARGIN + f.title_h() + if f.note.is_empty() { 0 } else { NOTE_H };
        let over_h = head_h + rows * f.label_h() + (rows - 1) * MARGIN;
        let too_small = |name: &str, v: u32, least: u32| {
            Error::invalid(format!(
                "{what}: {name} = {v} pixels is too small for {k} map(s){}; use at least {least}{}",
                if f.legend.show { " and the legend" } else { "" },
                if f.legend.show { " (or legend: false)" } else { "" }
            ))
        };
        let cell_w = match fig.width {
            Some(w) => {
                let least = over_w + cols * MIN_CELL;
                if w < least {
                    return Err(too_small("width", w, least));
                }
                Some((w - over_w) / cols)
            }
            None => None,
        };
        let cell_h = match fig.height {
            Some(h) => {
                let legend_h = if f.legend.show { f.legend_h() } else { 0 };
                let least = (over_h + rows * MIN_CELL).max(head_h + legend_h);
                if h < least {
                    return Err(too_small("height", h, least));
                }
                Some((h - over_h) / rows)
            }
            None => None,
        };
        let default_w = if k == 1 { 640.0 } else { 300.0 };
        f.cell = match (cell_w, cell_h) {
            (Some(w), Some(h)) => (w, h),
            (Some(w), None) => (w, (f64::from(w) * aspect).round() as u32),
            (None, Some(h)) => ((f64::from(h) / aspect).round() as u32, h),
            (None, None) => (default_w as u32, (default_w * aspect).round() as u32),
        };
        let natural = f.natural_size();
        f.size = (fig.width.unwrap_or(natural.0), fig.height.unwrap_or(natural.1));
        Ok(f)
    }

    /// The size that holds the cells, the legend, the title and the note.
    fn natural_size(&self) -> (u32, u32) {
        let rows = self.rows() as u32;
        let grid_w = self.cols as u32 * self.cell.0 + (self.cols as u32 - 1) * MARGIN;
        let grid_h = rows * (self.cell.1 + self.label_h()) + (rows - 1) * MARGIN;
        let legend_w = if self.legend.show { LEGEND_W + MARGIN } else { 0 };
        let note_h = if self.note.is_empty() { 0 } else { NOTE_H };
        let body_h = if self.legend.show {
            grid_h.max(self.legend_h())
        } else {
            grid_h
        };
        (
            2 * MARGIN + grid_w + legend_w,
            MARGIN + self.title_h() + body_h + note_h + MARGIN,
        )
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.cols)
    }

    fn label_h(&self) -> u32 {
        if self.panels.iter().any(|p| !p.label.is_empty()) {
            LABEL_H
        } else {
            0
        }
    }

    fn title_h(&self) -> u32 {
        if self.title.trim().is_empty() {
            10
        } else {
            TITLE_H
        }
    }

    fn legend_h(&self) -> u32 {
        56 + 24 * self.legend.entries.len() as u32
    }

    /// Pixel position of (x, y) in the cell whose top-left corner is `o`.
    fn project(&self, o: (f64, f64), p: [f64; 2]) -> (f64, f64) {
        let b = self.bbox;
        let (w, h) = (f64::from(self.cell.0), f64::from(self.cell.1));
        let (dx, dy) = (((b[2] - b[0]) * self.xscale).max(1e-12), (b[3] - b[1]).max(1e-12));
        let s = (w / dx).min(h / dy);
        let ox = o.0 + (w - dx * s) / 2.0;
        let oy = o.1 + (h - dy * s) / 2.0;
        (ox + (p[0] - b[0]) * self.xscale * s, oy + (b[3] - p[1]) * s)
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        panel: &MapPanel,
        o: (f64, f64),
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let pix = |r: &[[f64; 2]]| -> Vec<(i32, i32)> {
            let mut out: Vec<(i32, i32)> = Vec::with_capacity(r.len());
            for q in r {
                let (x, y) = self.project(o, *q);
                let p = (x.round() as i32, y.round() as i32);
                if out.last() != Some(&p) {
                    out.push(p);
                }
            }
            // drop the closing duplicate
            if out.len() > 1 && out.first() == out.last() {
                out.pop();
            }
            out
        };
        let mut outlines: Vec<Vec<(i32, i32)>> = Vec::new();
        for (unit, fill) in self.map.units().iter().zip(&panel.fill) {
            for part in &unit.parts {
                let ext = pix(&part.exterior);
                let holes: Vec<Vec<(i32, i32)>> = part.holes.iter().map(|h| pix(h)).filter(|h| h.len() >= 3).collect();
                if ext.is_empty() {
                    continue;
                }
                let shape = keyhole(&ext, &holes);
                root.draw(&Polygon::new(shape.clone(), fill.unwrap_or(NO_DATA).filled()))?;
                if fill.is_none() {
                    for seg in hatch(&shape, 6.0) {
                        root.draw(&PathElement::new(seg, HATCH.stroke_width(1)))?;
                    }
                }
                outlines.push(closed(&ext));
                outlines.extend(holes.iter().map(|h| closed(h)));
            }
        }
        for o in outlines {
            root.draw(&PathElement::new(o, OUTLINE.stroke_width(1)))?;
        }
        if !panel.label.is_empty() {
            let style = TextStyle::from((self.fonts.family(&panel.label), 16).into_font())
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            root.draw(&Text::new(
                panel.label.clone(),
                ((o.0 + f64::from(self.cell.0) / 2.0) as i32, (o.1 - 4.0) as i32),
                style,
            ))?;
        }
        Ok(())
    }

    fn draw_legend<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, x: i32, y: i32) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let top = TextStyle::from((self.fonts.family(&self.legend.title), 15).into_font())
            .pos(Pos::new(HPos::Left, VPos::Top));
        let small = (self.fonts.family(&self.legend.subtitle), 12)
            .into_font()
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&Text::new(self.legend.title.clone(), (x, y), top))?;
        root.draw(&Text::new(self.legend.subtitle.clone(), (x, y + 20), small))?;
        let labels = self
            .fonts
            .family_all(self.legend.entries.iter().map(|e| e.label.as_str()));
        let label = TextStyle::from((labels, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        for (k, e) in self.legend.entries.iter().enumerate() {
            let y0 = y + 44 + 24 * k as i32;
            let corners = [(x, y0), (x + 22, y0 + 16)];
            root.draw(&Rectangle::new(corners, e.swatch.unwrap_or(NO_DATA).filled()))?;
            if e.swatch.is_none() {
                let sq = vec![(x, y0), (x + 22, y0), (x + 22, y0 + 16), (x, y0 + 16)];
                for seg in hatch(&sq, 6.0) {
                    root.draw(&PathElement::new(seg, HATCH.stroke_width(1)))?;
                }
            }
            root.draw(&Rectangle::new(corners, OUTLINE.stroke_width(1)))?;
            root.draw(&Text::new(e.label.clone(), (x + 30, y0 + 8), label.clone()))?;
        }
        Ok(())
    }
}

impl Figure for MapFigure<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (w, h) = self.size();
        if !self.title.trim().is_empty() {
            let style = TextStyle::from((self.fonts.family(&self.title), 20).into_font())
                .pos(Pos::new(HPos::Center, VPos::Top));
            let grid_w = self.cols as u32 * self.cell.0 + (self.cols as u32 - 1) * MARGIN;
            root.draw(&Text::new(
                self.title.trim().to_string(),
                ((MARGIN + grid_w / 2) as i32, MARGIN as i32),
                style,
            ))?;
        }
        let top = MARGIN + self.title_h();
        for (k, panel) in self.panels.iter().enumerate() {
            let (r, c) = ((k / self.cols) as u32, (k % self.cols) as u32);
            let x = MARGIN + c * (self.cell.0 + MARGIN);
            let y = top + r * (self.cell.1 + self.label_h() + MARGIN) + self.label_h();
            self.draw_panel(root, panel, (f64::from(x), f64::from(y)))?;
        }
        if self.legend.show {
            let x = w - MARGIN - LEGEND_W;
            self.draw_legend(root, x as i32, top as i32)?;
        }
        if !self.note.is_empty() {
            let style = TextStyle::from((self.fonts.family(&self.note), 12).into_font())
                .pos(Pos::new(HPos::Left, VPos::Bottom));
            root.draw(&Text::new(
                self.note.clone(),
                (MARGIN as i32, (h - MARGIN) as i32),
                style,
            ))?;
        }
        Ok(())
    }
}

/// The ring closed (first point repeated) for drawing its outline.
fn closed(r: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut v = r.to_vec();
    if let Some(&f) = r.first() {
        v.push(f);
    }
    v
}

/// Twice the signed area of a pixel ring.
fn area2(r: &[(i32, i32)]) -> i64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

/// One point list for a polygon with holes (see the module doc): each hole, oriented against the
/// exterior, is entered from the exterior vertex nearest to it and left back to that vertex.
fn keyhole(ext: &[(i32, i32)], holes: &[Vec<(i32, i32)>]) -> Vec<(i32, i32)> {
    if holes.is_empty() {
        return ext.to_vec();
    }
    let sign = area2(ext).signum();
    // holes to insert after each exterior vertex
    let mut after: Vec<Vec<Vec<(i32, i32)>>> = vec![Vec::new(); ext.len()];
    for h in holes {
        let mut h = h.clone();
        if area2(&h).signum() == sign {
            h.reverse();
        }
        let d2 = |a: (i32, i32), b: (i32, i32)| {
            let (dx, dy) = (i64::from(a.0 - b.0), i64::from(a.1 - b.1));
            dx * dx + dy * dy
        };
        let mut best = (i64::MAX, 0, 0);
        for (i, &e) in ext.iter().enumerate() {
            for (j, &q) in h.iter().enumerate() {
                let d = d2(e, q);
                if d < best.0 {
                    best = (d, i, j);
                }
            }
        }
        h.rotate_left(best.2);
        after[best.1].push(h);
    }
    let mut out = Vec::with_capacity(ext.len() + holes.iter().map(|h| h.len() + 2).sum::<usize>());
    for (i, &e) in ext.iter().enumerate() {
        out.push(e);
        for h in &after[i] {
            out.extend_from_slice(h);
            out.push(h[0]);
            out.push(e);
        }
    }
    out
}

/// Segments of the diagonal lines x + y = c (every `gap` pixels) inside `poly` by the even–odd
/// rule (so the keyhole bridges cancel).
fn hatch(poly: &[(i32, i32)], gap: f64) -> Vec<Vec<(i32, i32)>> {
    let n = poly.len();
    if n < 3 {
        return Vec::new();
    }
    let s = |p: (i32, i32)| f64::from(p.0) + f64::from(p.1);
    let lo = poly.iter().map(|&p| s(p)).fold(f64::INFINITY, f64::min);
    let hi = poly.iter().map(|&p| s(p)).fold(f64::NEG_INFINITY, f64::max);
    let mut out = Vec::new();
    let mut c = (lo / gap).floor() * gap + gap / 2.0;
    while c < hi {
        let mut xs: Vec<f64> = Vec::new();
        for i in 0..n {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            let (fa, fb) = (s(a) - c, s(b) - c);
            if (fa > 0.0) != (fb > 0.0) {
                let t = fa / (fa - fb);
                xs.push(f64::from(a.0) + t * f64::from(b.0 - a.0));
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            if pair[1] - pair[0] >= 1.0 {
                let p = |x: f64| (x.round() as i32, (c - x).round() as i32);
                out.push(vec![p(pair[0]), p(pair[1])]);
            }
        }
        c += gap;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyhole_cancels_the_bridge_and_orients_the_hole() {
        let ext = vec![(0, 0), (10, 0), (10, 10), (0, 10)];
        let hole = vec![(4, 4), (6, 4), (6, 6), (4, 6)]; // same orientation as ext
        let k = keyhole(&ext, &[hole]);
        assert_eq!(k.len(), 4 + 4 + 2);
        // net area = 100 − 4
        assert_eq!(area2(&k).abs(), 2 * 96);
    }

    #[test]
    fn hatch_stays_inside_and_skips_holes() {
        let ext = vec![(0, 0), (20, 0), (20, 20), (0, 20)];
        let hole = vec![(5, 5), (15, 5), (15, 15), (5, 15)];
        let k = keyhole(&ext, &[hole]);
        for seg in hatch(&k, 4.0) {
            for &(x, y) in &seg {
                assert!((0..=20).contains(&x) && (0..=20).contains(&y));
            }
            // the midpoint of a segment is never strictly inside the hole
            let m = ((seg[0].0 + seg[1].0) as f64 / 2.0, (seg[0].1 + seg[1].1) as f64 / 2.0);
            assert!(!(m.0 > 6.0 && m.0 < 14.0 && m.1 > 6.0 && m.1 < 14.0), "{seg:?}");
        }
    }

    #[test]
    fn palettes_interpolate_and_reverse() {
        let p = Palette::named("Blues").unwrap().colours(5);
        assert_eq!(p[0], RGBColor(0xf7, 0xfb, 0xff));
        assert_eq!(p[2], RGBColor(0x6b, 0xae, 0xd6));
        let r = Palette::named("blues_r").unwrap().colours(2);
        assert_eq!(r[0], RGBColor(0x08, 0x30, 0x6b));
        assert!(Palette::named("nope").is_err());
        assert!(Palette::from_hex(&["#FF0000".into(), "00ff00".into()]).is_ok());
        assert!(Palette::from_hex(&["#FF00".into(), "00ff00".into()]).is_err());
    }
}
