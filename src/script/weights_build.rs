//! Bindings of the weights variants of regional studies (docs/methods.md §16): economic–
//! geographic nested weights, higher-order contiguity and the algebra of weights on matched
//! unit ids (`w1.hadamard(w2)`, `w * a`, `w1 + w2`, `w.binary()`).

use super::convert::{SFrame, SPanel};
use super::options::Opts;
use super::weights::{common, wrap, xy, SWeights, COMMON_KEYS};
use super::{core_err, script_err, RResult};
use crate::weights::nested::{EconGeoOptions, Geo, NestedForm, NestedOptions};
use crate::weights::order::higher_order;
use crate::weights::points::Metric;
use rhai::plugin::*;
use rhai::{Map, FLOAT, INT};

/// The options of `weights_nested`.
const NESTED_KEYS: [&str; 6] = [
    "form",
    "weight",
    "standardize_last",
    "standardize",
    "islands",
    "base_year",
];
/// The options of `weights_econ_geo`.
const ECON_GEO_KEYS: [&str; 13] = [
    "id",
    "x",
    "y",
    "metric",
    "form",
    "geo",
    "power",
    "phi",
    "w",
    "base_year",
    "standardize_last",
    "standardize",
    "islands",
];

/// The options both nested builders read: form (default N2), the share φ of the convex form
/// (option `share_key`), standardize_last with the last standardisation, islands.
fn nested_options(o: &Opts, share_key: &str) -> RResult<NestedOptions> {
    let last = o.bool("standardize_last")?.unwrap_or(true);
    if !last && o.str("standardize")?.is_some_and(|s| s != "none") {
        return Err(script_err(format!(
            "{}: standardize_last: false keeps the raw product; drop the option standardize \
             (or standardize the result with w.standardize(kind))",
            o.func
        )));
    }
    Ok(NestedOptions {
        form: o
            .str("form")?
            .map_or(Ok(NestedForm::default()), |f| f.parse::<NestedForm>().map_err(core_err))?,
        weight: o.float(share_key)?,
        standardize_last: last,
        common: common(o)?,
    })
}

/// The metric of `weights_econ_geo`: the option, else haversine when the coordinate columns are
/// named like longitude and latitude, else euclidean.
fn econ_geo_metric(o: &Opts, x: &str, y: &str) -> RResult<Metric> {
    if let Some(m) = o.str("metric")? {
        return m.parse::<Metric>().map_err(core_err);
    }
    let lon = ["lon", "lng", "long", "longitude"].contains(&x.to_lowercase().as_str());
    let lat = ["lat", "latitude"].contains(&y.to_lowercase().as_str());
    Ok(if lon && lat {
        Metric::Haversine
    } else {
        Metric::Euclidean
    })
}

/// Options `standardize` and `islands` of `order` and `cumulative`.
fn order_of(w: &SWeights, k: INT, cumulative: bool, opts: &Map, what: &'static str) -> RResult<SWeights> {
    let o = Opts::new(opts, what, &COMMON_KEYS)?;
    let k = usize::try_from(k).map_err(|_| script_err(format!("{what}: k must be at least 1, got {k}")))?;
    wrap(higher_order(&w.0, k, cumulative, &common(&o)?))
}

/// Weights variants: nested economic–geographic W, higher-order contiguity, W algebra.
#[export_module(root = "crate::script::guarded")]
pub mod weights_build_fns {
    use super::*;

    /// Economic–geographic nested weights (docs/methods.md §16.3) from a geographic W and the
    /// sample-period mean Ȳ_i of `var` per unit (matched to W by unit id), Ȳ̄ their mean.
    /// form: "N2" (default; 邵帅 et al. 2016: W_d·diag(Ȳ_j/Ȳ̄), W_d an inverse-distance W),
    /// "N1" (林光平 et al. 2005: the same on a row-standardised contiguity W), "hadamard"
    /// (w_ij/|Ȳ_i − Ȳ_j|), "convex" (weight·W_geo + (1 − weight)·W_econ, each row-standardised,
    /// weight required), "gravity" (Ȳ_iȲ_j·w_ij; pass a 1/d² W for Ȳ_iȲ_j/d²). Other options:
    /// standardize_last (true; false keeps the raw product), standardize ("row" last by default,
    /// "none", "spectral"), islands, base_year (Ȳ_i the value of `var` in that period, e.g. 1980,
    /// instead of the period mean).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let n1 = weights_nested(w, p, "gsp", #{form: "N1"});
    /// let mix = weights_nested(w, p, "gsp", #{form: "convex", weight: 0.5});
    /// print(n1.summary());
    /// let b = weights_nested(w, p, "gsp", #{base_year: 1980});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_nested(w_geo: SWeights, p: SPanel, var: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_nested", &NESTED_KEYS)?;
        let n = nested_options(&o, "weight")?;
        let base = o.label("base_year")?;
        wrap(crate::weights::nested::weights_nested_at(
            &w_geo.0,
            &p.0,
            var,
            base.as_deref(),
            &n,
        ))
    }

    /// The economic–geographic nested W in one call (docs/methods.md §16.3): the geographic W
    /// from the coordinates of `f` (one row per unit, or a panel with fixed coordinates), then
    /// neighbour j weighted by its income Ȳ_j, the period mean of `var` in `p` (or its value in
    /// `base_year`). Units are matched by id between f, p and w. Options:
    /// form "nested" (default; N2 of 邵帅 et al. 2016: rowstd(W_d)·diag(Ȳ_j/Ȳ̄)), "hadamard"
    /// (d_ij^(−α)/|Ȳ_i − Ȳ_j|), "convex" (phi·W_d + (1 − phi)·W_econ, each row-standardised; phi
    /// required), "gravity" (Ȳ_iȲ_j·d_ij^(−α), α = 2 by default); geo "inverse" (default:
    /// d_ij^(−power), power 1) or "contiguity" (N1 of 林光平 et al. 2005 on the W given in `w`);
    /// id, x, y (columns of f; defaults "id", "x", "y"); metric ("haversine" by default when x, y
    /// are named lon/lng/longitude and lat/latitude, else "euclidean"; "ellipsoid");
    /// base_year; standardize_last (true; false keeps the raw product); standardize ("row" last
    /// by default, "none", "spectral"); islands. `w.summary()` reports the form, alpha,
    /// omega_min, omega_max and whether the result is row-stochastic.
    /// ```rhai
    /// let f = read_csv("examples/data/columbus/data.csv");
    /// let p = panel(f.mutate(#{t: "1"}), "POLYID", "t");
    /// let w = weights_econ_geo(f, p, "INC", #{id: "POLYID", x: "X", y: "Y"});
    /// let g = weights_econ_geo(f, p, "INC", #{id: "POLYID", x: "X", y: "Y", form: "gravity"});
    /// let queen = weights_contiguity("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// let c = weights_econ_geo(f, p, "INC", #{geo: "contiguity", w: queen, base_year: 1});
    /// print(w.summary());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_econ_geo(f: SFrame, p: SPanel, var: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_econ_geo", &ECON_GEO_KEYS)?;
        let nested = nested_options(&o, "phi")?;
        let geo = match o.choice("geo", "inverse", &["inverse", "contiguity"])?.as_str() {
            "contiguity" => Geo::Contiguity,
            _ => Geo::Inverse,
        };
        let contiguity = match o.value("w") {
            None => None,
            Some(v) => Some(v.clone().try_cast::<SWeights>().ok_or_else(|| {
                script_err(format!(
                    "weights_econ_geo: option 'w' must be Weights (the contiguity W of geo \"contiguity\"), got {}",
                    v.type_name()
                ))
            })?),
        };
        let (id, x, y) = xy(&o)?;
        let metric = econ_geo_metric(&o, &x, &y)?;
        let eg = EconGeoOptions {
            id,
            x,
            y,
            metric,
            geo,
            power: o.float("power")?,
            contiguity: contiguity.as_ref().map(|w| &*w.0),
            base_year: o.label("base_year")?,
            nested,
        };
        wrap(crate::weights::nested::weights_econ_geo(&f.0, &p.0, var, &eg))
    }

    /// Contiguity of exactly order k: units whose shortest path along the links of W has k
    /// steps (spdep `nblag`), binary, then standardised (row by default). Options: standardize,
    /// islands.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.order(2, #{standardize: "none"});
    /// print(w2.nnz);
    /// ```
    #[rhai_fn(name = "order", return_raw, pure)]
    pub fn w_order_opts(w: &mut SWeights, k: INT, opts: Map) -> RResult<SWeights> {
        order_of(w, k, false, &opts, "order")
    }

    /// Contiguity of exactly order k, row-standardised.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.order(2);
    /// ```
    #[rhai_fn(name = "order", return_raw, pure)]
    pub fn w_order(w: &mut SWeights, k: INT) -> RResult<SWeights> {
        order_of(w, k, false, &Map::new(), "order")
    }

    /// Contiguity of orders 1 to k: units within k steps along the links of W (spdep
    /// `nblag_cumul`, SDPDmod `mOrdNbr`), binary, then standardised (row by default). Options:
    /// standardize, islands.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w12 = w.cumulative(2, #{standardize: "spectral"});
    /// ```
    #[rhai_fn(name = "cumulative", return_raw, pure)]
    pub fn w_cumulative_opts(w: &mut SWeights, k: INT, opts: Map) -> RResult<SWeights> {
        order_of(w, k, true, &opts, "cumulative")
    }

    /// Contiguity of orders 1 to k, row-standardised.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w12 = w.cumulative(2);
    /// ```
    #[rhai_fn(name = "cumulative", return_raw, pure)]
    pub fn w_cumulative(w: &mut SWeights, k: INT) -> RResult<SWeights> {
        order_of(w, k, true, &Map::new(), "cumulative")
    }

    /// The Hadamard (element-wise) product w_ij·v_ij of two W on the same unit ids (matched by
    /// id; an error names the first id found in one W only), unstandardised: standardise it
    /// with `.standardize("row")`. Option islands ("error", "keep") for units left without a
    /// link.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let e = weights_economic(p, "gsp");
    /// let h = w.hadamard(e, #{islands: "error"}).standardize("row");
    /// ```
    #[rhai_fn(name = "hadamard", return_raw, pure)]
    pub fn w_hadamard_opts(w: &mut SWeights, other: SWeights, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "hadamard", &["islands"])?;
        wrap(w.0.hadamard(&other.0, o.keep_islands()?))
    }

    /// The Hadamard product of two W (see `hadamard(w, other, opts)`).
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let h = w.hadamard(weights_economic(p, "gsp")).standardize("row");
    /// ```
    #[rhai_fn(name = "hadamard", return_raw, pure)]
    pub fn w_hadamard(w: &mut SWeights, other: SWeights) -> RResult<SWeights> {
        wrap(w.0.hadamard(&other.0, false))
    }

    /// `w * a`: every weight times a positive number, unstandardised.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let half = w * 0.5;
    /// ```
    #[rhai_fn(name = "*", return_raw)]
    pub fn w_times(w: SWeights, a: FLOAT) -> RResult<SWeights> {
        wrap(w.0.scaled(a))
    }

    /// `w * k` with an integer k > 0.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let twice = w * 2;
    /// ```
    #[rhai_fn(name = "*", return_raw)]
    pub fn w_times_int(w: SWeights, a: INT) -> RResult<SWeights> {
        wrap(w.0.scaled(a as f64))
    }

    /// `a * w`: every weight times a positive number, unstandardised.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let half = 0.5 * w;
    /// ```
    #[rhai_fn(name = "*", return_raw)]
    pub fn times_w(a: FLOAT, w: SWeights) -> RResult<SWeights> {
        wrap(w.0.scaled(a))
    }

    /// `k * w` with an integer k > 0.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let twice = 2 * w;
    /// ```
    #[rhai_fn(name = "*", return_raw)]
    pub fn int_times_w(a: INT, w: SWeights) -> RResult<SWeights> {
        wrap(w.0.scaled(a as f64))
    }

    /// `w1 + w2`: the sum of two W on the same unit ids (matched by id; an error names the
    /// first id found in one W only), unstandardised. A convex combination of row-standardised
    /// matrices, `w1 * 0.3 + w2 * 0.7`, is row-stochastic.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let mix = w * 0.3 + weights_economic(p, "gsp") * 0.7;
    /// ```
    #[rhai_fn(name = "+", return_raw)]
    pub fn w_plus(a: SWeights, b: SWeights) -> RResult<SWeights> {
        wrap(a.0.plus(&b.0))
    }

    /// Adds the link between units `i` and `j` (both directions) to a contiguity W and
    /// standardises again as W is; e.g. Hainan–Guangdong in provincial studies. W must be a
    /// pattern (every row one repeated value: binary or row-standardised binary).
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.add_link("MAINE", "MASSACHUSETTS");
    /// print(w2.nnz - w.nnz);
    /// ```
    #[rhai_fn(name = "add_link", return_raw, pure)]
    pub fn w_add_link(w: &mut SWeights, i: &str, j: &str) -> RResult<SWeights> {
        wrap(w.0.edit_link(i, j, true, false))
    }

    /// Removes the link between units `i` and `j` (both directions) from a contiguity W and
    /// standardises again; a unit left without neighbours is an error (`#{islands: "keep"}`).
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.remove_link("ALABAMA", "FLORIDA", #{islands: "error"});
    /// ```
    #[rhai_fn(name = "remove_link", return_raw, pure)]
    pub fn w_remove_link_opts(w: &mut SWeights, i: &str, j: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "remove_link", &["islands"])?;
        wrap(w.0.edit_link(i, j, false, o.keep_islands()?))
    }

    /// Removes the link between units `i` and `j` (both directions) and standardises again.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.remove_link("ALABAMA", "FLORIDA");
    /// ```
    #[rhai_fn(name = "remove_link", return_raw, pure)]
    pub fn w_remove_link(w: &mut SWeights, i: &str, j: &str) -> RResult<SWeights> {
        wrap(w.0.edit_link(i, j, false, false))
    }

    /// The binary pattern of W: 1 for every link, unstandardised.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let b = w.binary();
    /// print(b.summary());
    /// ```
    #[rhai_fn(name = "binary", return_raw, pure)]
    pub fn w_binary(w: &mut SWeights) -> RResult<SWeights> {
        wrap(w.0.binary())
    }
}

rhai::def_package! {
    /// Weights variants: nested economic–geographic W, higher-order contiguity, W algebra.
    pub WeightsBuildPackage(lib) {
        rhai::combine_with_exported_module!(lib, "weights_build", weights_build_fns);
        without_options! { lib;
            /// Nested weights of form "N2" with the default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// let wn = weights_nested(w, p, "gsp");
            /// ```
            weights_nested(w_geo: SWeights, p: SPanel, var: &str) -> SWeights = weights_build_fns::weights_nested;
        }
    }
}
