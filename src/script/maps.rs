//! Map bindings: `read_map`, the `GeoMap` type, `weights_contiguity(map, opts)`, and the map
//! figures `plot_map`, `plot_map_series`, `plot_lisa_map`.
//!
//! The script type is called `GeoMap` because `Map` is Rhai's own object map (`#{...}`).

use super::convert::{dyn_to_key, from_f64s, from_strings, SFrame, SPanel};
use super::options::Opts;
use super::weights::{common, wrap, SWeights};
use super::{core_err, script_err, RResult};
use crate::map::{read_map as core_read_map, GeoMap, MapOptions};
use crate::weights::contiguity::{weights_contiguity_map, ContiguityOptions, Rule};
use rhai::plugin::*;
use rhai::{Array, Map, INT};
use std::sync::Arc;

/// A polygon map in a script.
#[derive(Debug, Clone)]
pub struct SGeoMap(pub Arc<GeoMap>);

/// The options of `plot_map` / `plot_map_series` besides the figure options (title, width,
/// height, font) and each one's own (`id`, `period`, `periods`).
#[cfg(feature = "plot")]
const CHOROPLETH_KEYS: [&str; 4] = ["classes", "scheme", "palette", "legend"];

/// The option map of a map figure `func`: the figure options without axis labels, and `extra`.
#[cfg(feature = "plot")]
fn map_opts<'a>(opts: &'a Map, func: &'static str, extra: &[&'static str]) -> RResult<Opts<'a>> {
    Opts::new(opts, func, &super::options::figure_keys_without_axes(extra))
}

#[cfg(feature = "plot")]
fn choropleth_options(o: &Opts, legend_title: String) -> RResult<crate::plot::map::ChoroplethOptions> {
    use crate::plot::map::{ChoroplethOptions, Palette};
    let mut c = ChoroplethOptions {
        legend_title,
        figure: super::options::figure_options(o)?,
        ..ChoroplethOptions::default()
    };
    if let Some(k) = o.count("classes", 12)? {
        c.classes = k;
    }
    if let Some(s) = o.str("scheme")? {
        c.scheme = s.parse().map_err(core_err)?;
    }
    if let Some(p) = o.value("palette") {
        c.palette = Some(if let Some(a) = p.clone().try_cast::<Array>() {
            let hex = super::convert::to_strings(&a, &format!("{}: option 'palette'", o.func))?;
            Palette::from_hex(&hex).map_err(core_err)?
        } else {
            let name = o.str("palette")?.unwrap_or_default();
            Palette::named(&name).map_err(core_err)?
        });
    }
    if let Some(l) = o.bool("legend")? {
        c.legend = l;
    }
    Ok(c)
}

/// What a map figure gives back: prints what the map could not show (units without data, ids
/// not on the map) as warnings on stderr, as a model does, and returns them in a map
/// `#{warnings, no_data, not_on_map}` (with `counts` for a LISA map) for the script to read.
#[cfg(feature = "plot")]
fn map_result(func: &str, note: &crate::plot::map::MapNote) -> Map {
    let warnings = note.warnings();
    for w in &warnings {
        super::eprint_line(&format!("warning: {func}: {w}"));
    }
    let mut out = Map::new();
    out.insert("warnings".into(), from_strings(&warnings).into());
    out.insert("no_data".into(), from_strings(&note.no_data).into());
    out.insert("not_on_map".into(), from_strings(&note.not_on_map).into());
    out
}

/// The period option of a panel map: `period` (or its alias `time`), default the last period.
#[cfg(feature = "plot")]
fn period_of(o: &Opts, p: &crate::data::Panel) -> RResult<String> {
    let v = match (o.value("period"), o.value("time")) {
        (Some(_), Some(_)) => {
            return Err(script_err(format!(
                "{}: options 'period' and 'time' are the same; pass one",
                o.func
            )))
        }
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return Ok(p.times()[p.t() - 1].clone()),
    };
    dyn_to_key(&v).ok_or_else(|| {
        script_err(format!(
            "{}: option 'period' must be a number or a string, got {}",
            o.func,
            v.type_name()
        ))
    })
}

/// Polygon maps: reading, contiguity weights, choropleth and LISA maps.
#[export_module(root = "crate::script::guarded")]
pub mod maps_fns {
    use super::*;

    /// Reads a polygon map: a GeoJSON FeatureCollection (.geojson, .json) of Polygon and
    /// MultiPolygon features, or an ESRI shapefile (.shp with its .dbf beside it). Options: id
    /// (the property or .dbf field holding the unit id, default "id"), encoding (of a
    /// shapefile's .dbf, e.g. "gbk"; default its .cpg file, else UTF-8). A missing or duplicate
    /// id is an error naming the feature.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// print(m);
    /// ```
    #[rhai_fn(name = "read_map", return_raw)]
    pub fn read_map(path: &str, opts: Map) -> RResult<SGeoMap> {
        let o = Opts::new(&opts, "read_map", &["id", "encoding"])?;
        let mut m = MapOptions::default();
        if let Some(id) = o.str("id")? {
            m.id = id;
        }
        m.encoding = o.str("encoding")?;
        core_read_map(path, &m).map(|m| SGeoMap(Arc::new(m))).map_err(core_err)
    }

    /// The map's unit ids, in file order.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// print(m.ids());
    /// ```
    #[rhai_fn(name = "ids", pure)]
    pub fn ids(m: &mut SGeoMap) -> Array {
        from_strings(&m.0.ids())
    }

    /// Number of units of the map.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// print(m.n);
    /// ```
    #[rhai_fn(get = "n", pure)]
    pub fn n(m: &mut SGeoMap) -> INT {
        m.0.n() as INT
    }

    /// The bounding box [xmin, ymin, xmax, ymax] of the map.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// print(m.bbox());
    /// ```
    #[rhai_fn(name = "bbox", pure)]
    pub fn bbox(m: &mut SGeoMap) -> Array {
        from_f64s(&m.0.bbox())
    }

    /// One line describing the map (units, polygons, file, bounding box).
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// print(m.to_string());
    /// ```
    #[rhai_fn(name = "to_string", pure)]
    pub fn to_string(m: &mut SGeoMap) -> String {
        m.0.to_string()
    }

    /// One line describing the map (as `to_string`).
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// debug(m);
    /// ```
    #[rhai_fn(name = "to_debug", pure)]
    pub fn to_debug(m: &mut SGeoMap) -> String {
        m.0.to_string()
    }

    /// Queen (default) or rook contiguity of the units of a map read by `read_map`, in the
    /// map's unit order. Options: rule ("queen", "rook"), tolerance, standardize, islands.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// let w = weights_contiguity(m, #{rule: "rook"});
    /// ```
    #[rhai_fn(name = "weights_contiguity", return_raw)]
    pub fn weights_contiguity(map: SGeoMap, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(
            &opts,
            "weights_contiguity",
            &["rule", "tolerance", "standardize", "islands"],
        )?;
        let mut c = ContiguityOptions::default();
        if let Some(r) = o.str("rule")? {
            c.rule = r.parse::<Rule>().map_err(core_err)?;
        }
        if let Some(t) = o.float("tolerance")? {
            c.tolerance = t;
        }
        c.common = common(&o)?;
        wrap(weights_contiguity_map(&map.0, &c))
    }

    /// Choropleth of column `column` of a cross-section frame, matched to the map's units by id
    /// (never by position), written as SVG or PNG. Options: id (the frame's id column, default
    /// "id"), classes (default 5), scheme ("quantiles" default, "equal", "natural_breaks"
    /// = Fisher–Jenks, "std_dev"), palette (a name such as "YlOrRd", "Blues", "RdBu_r", or an
    /// array of "#RRGGBB" colours), legend (true/false), and the figure options title, width,
    /// height (pixels; a side not given follows the map's shape) and font. Units without data
    /// are hatched grey, counted in the legend and named in a note. Returns
    /// `#{warnings, no_data, not_on_map}`: the warnings (also printed), the units drawn as no
    /// data and the ids of the frame that are not on the map.
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// make_dir("out");
    /// plot_map(m, c, "CRIME", "out/crime.svg", #{id: "POLYID", scheme: "natural_breaks", palette: "Reds"});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_map", return_raw)]
    pub fn plot_map(map: SGeoMap, frame: SFrame, column: &str, path: &str, opts: Map) -> RResult<Map> {
        let o = map_opts(&opts, "plot_map", &[&["id"][..], &CHOROPLETH_KEYS].concat())?;
        let id = o.str("id")?.unwrap_or_else(|| "id".into());
        let (values, extra) = map
            .0
            .values_by_id(&frame.0, &id, column, "plot_map")
            .map_err(core_err)?;
        let c = choropleth_options(&o, column.to_string())?;
        let note = crate::plot::map::plot_map(&map.0, &values, extra, path, &c).map_err(core_err)?;
        Ok(map_result("plot_map", &note))
    }

    /// Choropleth of column `column` of a panel in one period (option period, default the last
    /// period), matched to the map by the panel's unit ids. Other options as for a frame.
    /// ```rhai
    /// let m = read_map("examples/data/grid/grid.geojson");
    /// let p = panel(read_csv("examples/data/grid/panel.csv"), "id", "year");
    /// make_dir("out");
    /// plot_map(m, p, "y", "out/y_2000.png", #{period: 2000, classes: 4, scheme: "equal"});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_map", return_raw)]
    pub fn plot_map_panel(map: SGeoMap, panel: SPanel, column: &str, path: &str, opts: Map) -> RResult<Map> {
        let o = map_opts(&opts, "plot_map", &[&["period", "time"][..], &CHOROPLETH_KEYS].concat())?;
        let t = period_of(&o, &panel.0)?;
        let (values, extra) = map.0.panel_values(&panel.0, column, &t, "plot_map").map_err(core_err)?;
        let c = choropleth_options(&o, format!("{column}, {t}"))?;
        let note = crate::plot::map::plot_map(&map.0, &values, extra, path, &c).map_err(core_err)?;
        Ok(map_result("plot_map", &note))
    }

    /// Small multiples: one choropleth of panel column `column` per period (option periods, an
    /// array; default every period, at most 16), with classes computed over all the periods
    /// drawn so that a colour means the same in every panel, and one legend. Other options as
    /// for `plot_map`.
    /// ```rhai
    /// let m = read_map("examples/data/grid/grid.geojson");
    /// let p = panel(read_csv("examples/data/grid/panel.csv"), "id", "year");
    /// make_dir("out");
    /// plot_map_series(m, p, "y", "out/y_by_year.svg", #{periods: [2000, 2001]});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_map_series", return_raw)]
    pub fn plot_map_series(map: SGeoMap, panel: SPanel, column: &str, path: &str, opts: Map) -> RResult<Map> {
        let o = map_opts(&opts, "plot_map_series", &[&["periods"][..], &CHOROPLETH_KEYS].concat())?;
        let periods = match o.strings("periods")? {
            Some(p) if p.is_empty() => return Err(script_err("plot_map_series: option 'periods' is empty")),
            Some(p) => p,
            None => panel.0.times().to_vec(),
        };
        if periods.len() > 16 {
            return Err(script_err(format!(
                "plot_map_series: {} periods are too many small maps for one figure (at most 16); \
                 choose some with option periods, e.g. #{{periods: [{}, {}]}}",
                periods.len(),
                periods[0],
                periods[periods.len() - 1]
            )));
        }
        let mut panels = Vec::with_capacity(periods.len());
        let mut extra_all: Vec<String> = Vec::new();
        for t in &periods {
            let (values, extra) = map
                .0
                .panel_values(&panel.0, column, t, "plot_map_series")
                .map_err(core_err)?;
            for e in extra {
                if !extra_all.contains(&e) {
                    extra_all.push(e);
                }
            }
            panels.push((t.clone(), values));
        }
        let c = choropleth_options(&o, column.to_string())?;
        let note = crate::plot::map::plot_map_series(&map.0, &panels, extra_all, path, &c).map_err(core_err)?;
        Ok(map_result("plot_map_series", &note))
    }

    /// LISA cluster map of a `local_moran` result: High-High red, Low-Low blue, Low-High light
    /// blue, High-Low pink, not significant light grey (GeoDa's colours), with the count of each
    /// in the legend. A unit is in its quadrant's cluster when its p < alpha (option alpha,
    /// default 0.05), using p_sim when `local_moran` ran permutations, else the normal p.
    /// Options: alpha, legend, and the figure options title, width, height, font. Units matched
    /// by id. Returns `#{warnings, no_data, not_on_map, counts}`, counts keyed by category
    /// ("High-High", "Low-Low", "Low-High", "High-Low", "Not significant", "No data").
    /// ```rhai
    /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// let w = weights_contiguity(m);
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let lisa = local_moran(in_order(c, "POLYID", "CRIME", w), w, #{permutations: 999, seed: 1});
    /// make_dir("out");
    /// plot_lisa_map(m, lisa, "out/lisa.svg", #{alpha: 0.05});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_lisa_map", return_raw)]
    pub fn plot_lisa_map(map: SGeoMap, lisa: SFrame, path: &str, opts: Map) -> RResult<Map> {
        use crate::plot::map::LisaMapOptions;
        let o = map_opts(&opts, "plot_lisa_map", &["alpha", "legend"])?;
        let mut l = LisaMapOptions {
            figure: crate::script::options::figure_options(&o)?,
            ..LisaMapOptions::default()
        };
        if let Some(a) = o.float("alpha")? {
            l.alpha = a;
        }
        if let Some(b) = o.bool("legend")? {
            l.legend = b;
        }
        let (counts, note) = crate::plot::map::plot_lisa_map(&map.0, &lisa.0, path, &l).map_err(core_err)?;
        let mut out = map_result("plot_lisa_map", &note);
        let mut c = Map::new();
        use crate::esda::Cluster;
        for (k, n) in [
            (Cluster::HighHigh.label(), counts.hh),
            (Cluster::LowLow.label(), counts.ll),
            (Cluster::LowHigh.label(), counts.lh),
            (Cluster::HighLow.label(), counts.hl),
            (Cluster::NotSignificant.label(), counts.not_significant),
            ("No data", counts.no_data),
        ] {
            c.insert(k.into(), (n as INT).into());
        }
        out.insert("counts".into(), c.into());
        Ok(out)
    }
}

rhai::def_package! {
    /// The GeoMap type, read_map, contiguity of a map, choropleth and LISA maps.
    pub MapsPackage(lib) {
        lib.set_custom_type::<SGeoMap>("GeoMap");
        rhai::combine_with_exported_module!(lib, "maps", maps_fns);
        without_options! { lib;
            /// Reads a polygon map (GeoJSON or shapefile) whose unit id is the property or field "id".
            /// ```rhai
            /// let m = read_map("examples/data/grid/grid.shp");
            /// print(m.ids());
            /// ```
            read_map(path: &str) -> SGeoMap = maps_fns::read_map;
            /// Queen contiguity of the units of a map.
            /// ```rhai
            /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
            /// let w = weights_contiguity(m);
            /// ```
            weights_contiguity(map: SGeoMap) -> SWeights = maps_fns::weights_contiguity;
        }
        #[cfg(feature = "plot")]
        without_options! { lib;
            /// LISA cluster map with alpha = 0.05.
            /// ```rhai
            /// let m = read_map("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
            /// let w = weights_contiguity(m);
            /// let c = read_csv("examples/data/columbus/data.csv");
            /// make_dir("out");
            /// plot_lisa_map(m, local_moran(in_order(c, "POLYID", "CRIME", w), w), "out/lisa.png");
            /// ```
            plot_lisa_map(map: SGeoMap, lisa: SFrame, path: &str) -> Map = maps_fns::plot_lisa_map;
            /// Choropleth of a frame column (ids in column "id") in 5 quantile classes.
            /// ```rhai
            /// let m = read_map("examples/data/grid/grid.geojson");
            /// make_dir("out");
            /// plot_map(m, read_csv("examples/data/grid/data.csv"), "y", "out/y.svg");
            /// ```
            plot_map(map: SGeoMap, frame: SFrame, column: &str, path: &str) -> Map = maps_fns::plot_map;
            /// Choropleth of a panel column in its last period in 5 quantile classes.
            /// ```rhai
            /// let m = read_map("examples/data/grid/grid.geojson");
            /// let p = panel(read_csv("examples/data/grid/panel.csv"), "id", "year");
            /// make_dir("out");
            /// plot_map(m, p, "y", "out/y_last.svg");
            /// ```
            plot_map(map: SGeoMap, panel: SPanel, column: &str, path: &str) -> Map = maps_fns::plot_map_panel;
            /// Small multiples of a panel column, one map per period (at most 16), 5 quantile classes.
            /// ```rhai
            /// let m = read_map("examples/data/grid/grid.geojson");
            /// let p = panel(read_csv("examples/data/grid/panel.csv"), "id", "year");
            /// make_dir("out");
            /// plot_map_series(m, p, "y", "out/y_all_years.png");
            /// ```
            plot_map_series(map: SGeoMap, panel: SPanel, column: &str, path: &str) -> Map = maps_fns::plot_map_series;
        }
    }
}
