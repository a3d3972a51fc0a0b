//! Spatial weights and index bindings: `weights_*` builders, `read_weights`, `Weights`
//! methods, `agglomeration`, `location_quotients`, `resilience`.

use super::convert::{from_f64s, from_strings, to_f64s, to_strings, SFrame, SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::options::Opts;
use super::{core_err, script_err, RResult};
use crate::indices::agglomeration::{AggOptions, JacobsKind, JacobsZero, MarKind, MissingSector};
use crate::indices::resilience::{National, ResilienceKind, ResilienceOptions, ZeroDenominator};
use crate::report::Table;
use crate::weights::build::{BandOptions, Common, Decay, DistanceOptions, EconForm, EconomicOptions, Metric};
use crate::weights::contiguity::{ContiguityOptions, Rule};
use crate::weights::io::{CsvForm, CsvLayout, MatrixIds, ReadOptions};
use crate::weights::knn::KnnOptions;
use crate::weights::{Standardization, Weights};
use rhai::plugin::*;
use rhai::{Array, Map, FLOAT, INT};
use std::sync::Arc;

/// Spatial weights in a script.
#[derive(Debug, Clone)]
pub struct SWeights(pub Arc<Weights>);

impl Exportable for SWeights {
    const SAVE_OPTS: bool = false;
    const KIND: &'static str = "weights";
    type Core = Weights;
    fn core(&self) -> &Weights {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.summary().to_table())
    }
    fn text(&self) -> String {
        self.0.summary().to_string()
    }
    fn save_own(&self, path: &str) -> Option<crate::Result<()>> {
        matches!(
            crate::report::table::extension(path).as_str(),
            "gal" | "gwt" | "csv" | "xlsx"
        )
        .then(|| crate::weights::io::save_weights(&self.0, path))
    }
    const SAVE_DOC: &'static str =
        ".gal, .gwt, .csv (triplets i,j,w), .xlsx (the N × N matrix), .json (every weight), .md, .tex or .txt \
         (the summary)";
}

pub(crate) const COMMON_KEYS: [&str; 2] = ["standardize", "islands"];

/// The option keys of `read_weights`.
pub const READ_WEIGHTS_KEYS: [&str; 6] = ["standardize", "islands", "allow_negative", "form", "ids", "sheet"];

pub(crate) fn common(o: &Opts) -> RResult<Common> {
    let mut c = Common::default();
    if let Some(s) = o.str("standardize")? {
        c.standardize = s.parse::<Standardization>().map_err(core_err)?;
    }
    c.keep_islands = o.keep_islands()?;
    Ok(c)
}

fn keys(extra: &[&'static str]) -> Vec<&'static str> {
    extra.iter().copied().chain(COMMON_KEYS).collect()
}

fn metric(o: &Opts) -> RResult<Metric> {
    o.str("metric")?
        .map_or(Ok(Metric::default()), |m| m.parse::<Metric>().map_err(core_err))
}

pub(crate) fn xy(o: &Opts) -> RResult<(String, String, String)> {
    Ok((
        o.str("id")?.unwrap_or_else(|| "id".into()),
        o.str("x")?.unwrap_or_else(|| "x".into()),
        o.str("y")?.unwrap_or_else(|| "y".into()),
    ))
}

pub(crate) fn wrap(r: crate::Result<Weights>) -> RResult<SWeights> {
    r.map(|w| SWeights(Arc::new(w))).map_err(core_err)
}

/// Spatial weights builders and methods; agglomeration and resilience indices.
#[export_module(root = "crate::script::guarded")]
pub mod weights_fns {
    use super::*;

    /// Inverse economic-distance weights 1/|Ȳ_i − Ȳ_j| on the period mean of `var`
    /// (docs/methods.md §2), row-standardised. Options: form ("inverse", "inverse_squared", "exp"),
    /// min_gap (replace |Δ| below it; ties are otherwise an error), standardize, islands.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = weights_economic(p, "gsp", #{form: "inverse_squared"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_economic(p: SPanel, var: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_economic", &keys(&["form", "min_gap"]))?;
        let eo = EconomicOptions {
            form: o
                .str("form")?
                .map_or(Ok(EconForm::default()), |f| f.parse::<EconForm>().map_err(core_err))?,
            min_gap: o.float("min_gap")?,
            common: common(&o)?,
        };
        wrap(crate::weights::build::weights_economic(&p.0, var, &eo))
    }

    /// Distance-decay weights from coordinates (one row per unit; docs/methods.md §16.1–16.2).
    /// Options: id, x, y (column names; defaults "id", "x", "y"); metric ("euclidean",
    /// "haversine" on lon/lat degrees with R = 6371.0088 km, "ellipsoid" for the WGS84
    /// geodesic, km); decay ("inverse" 1/d^alpha, "inverse_squared" 1/d², "exponential"
    /// exp(−alpha·d) with alpha required, "double_power" (1 − (d/cutoff)^alpha)^alpha with
    /// cutoff required and alpha 2 by default); alpha (power is its older name; default 1);
    /// cutoff (pairs with d ≤ cutoff only, inclusive); standardize ("row" last by default,
    /// "none", "spectral", "minmax"); islands.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_distance(c, #{id: "POLYID", x: "X", y: "Y", power: 2});
    /// let g = weights_distance(c, #{id: "POLYID", x: "X", y: "Y", metric: "ellipsoid",
    ///                              decay: "double_power", cutoff: 600.0});
    /// let e = weights_distance(c, #{id: "POLYID", x: "X", y: "Y", decay: "exponential", alpha: 0.5});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_distance(f: SFrame, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(
            &opts,
            "weights_distance",
            &keys(&["id", "x", "y", "metric", "power", "alpha", "decay", "cutoff"]),
        )?;
        let (id, x, y) = xy(&o)?;
        let (power, alpha) = (o.float("power")?, o.float("alpha")?);
        if let (Some(p), Some(a)) = (power, alpha) {
            if p != a {
                return Err(script_err(format!(
                    "weights_distance: power ({p}) and alpha ({a}) name the same exponent; pass one of them"
                )));
            }
        }
        let d = DistanceOptions {
            metric: metric(&o)?,
            power: 1.0,
            decay: o
                .str("decay")?
                .map_or(Ok(Decay::default()), |s| s.parse::<Decay>().map_err(core_err))?,
            alpha: alpha.or(power),
            cutoff: o.float("cutoff")?,
            common: common(&o)?,
        };
        wrap(crate::weights::build::weights_distance(&f.0, &id, &x, &y, &d))
    }

    /// k-nearest-neighbour weights from coordinates (spatial index; N = 100,000 in seconds).
    /// Options: id, x, y, k (6), metric, symmetric (false), standardize.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_knn(f: SFrame, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(
            &opts,
            "weights_knn",
            &keys(&["id", "x", "y", "k", "metric", "symmetric"]),
        )?;
        let (id, x, y) = xy(&o)?;
        let k = KnnOptions {
            k: o.usize("k")?.unwrap_or(6),
            metric: metric(&o)?,
            symmetric: o.bool("symmetric")?.unwrap_or(false),
            common: common(&o)?,
        };
        wrap(crate::weights::knn::weights_knn(&f.0, &id, &x, &y, &k))
    }

    /// Binary distance-band weights: neighbours within `cutoff`. Options: id, x, y, cutoff
    /// (required), metric, standardize, islands.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_band(c, #{id: "POLYID", x: "X", y: "Y", cutoff: 8.0});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_band(f: SFrame, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_band", &keys(&["id", "x", "y", "cutoff", "metric"]))?;
        let (id, x, y) = xy(&o)?;
        let cutoff = o
            .float("cutoff")?
            .ok_or_else(|| script_err("weights_band: option 'cutoff' is required"))?;
        let b = BandOptions {
            cutoff,
            metric: metric(&o)?,
            common: common(&o)?,
        };
        wrap(crate::weights::build::weights_band(&f.0, &id, &x, &y, &b))
    }

    /// Block weights: units of the same group (e.g. city cluster) are neighbours. Options: id
    /// ("id"), group (required), standardize, islands.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_block(c, #{id: "POLYID", group: "NSA"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_block(f: SFrame, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_block", &keys(&["id", "group"]))?;
        let id = o.str("id")?.unwrap_or_else(|| "id".into());
        let group = o
            .str("group")?
            .ok_or_else(|| script_err("weights_block: option 'group' is required"))?;
        wrap(crate::weights::build::weights_block(&f.0, &id, &group, &common(&o)?))
    }

    /// Block weights from a panel (each unit's group must not change over time).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = weights_block(p, #{group: "region"});
    /// ```
    #[rhai_fn(name = "weights_block", return_raw)]
    pub fn weights_block_panel(p: SPanel, opts: Map) -> RResult<SWeights> {
        weights_block(SFrame(Arc::new(p.0.frame().clone())), opts)
    }

    /// Queen (default) or rook contiguity of GeoJSON Polygon/MultiPolygon features. Options:
    /// id (feature property holding the unit id), rule ("queen", "rook"), tolerance,
    /// standardize, islands.
    /// ```rhai
    /// let w = weights_contiguity("examples/data/columbus/columbus.geojson", #{id: "POLYID", rule: "rook"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn weights_contiguity(path: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "weights_contiguity", &keys(&["id", "rule", "tolerance"]))?;
        let mut c = ContiguityOptions::default();
        if let Some(id) = o.str("id")? {
            c.id = id;
        }
        if let Some(r) = o.str("rule")? {
            c.rule = r.parse::<Rule>().map_err(core_err)?;
        }
        if let Some(t) = o.float("tolerance")? {
            c.tolerance = t;
        }
        c.common = common(&o)?;
        wrap(crate::weights::contiguity::weights_contiguity(path, &c))
    }

    /// Reads weights with options `standardize`, `islands` ("error" or "keep"),
    /// `allow_negative` (default false: a negative weight is an error naming the pair of units),
    /// and for `.csv` files `form` and `ids`. A `.csv` file holds triplets `i,j,w` or an N × N
    /// matrix (a first row of ids after an empty cell or a label, then per unit a row starting
    /// with its id; the columns are matched to the rows by id, in any order), told from its shape
    /// or forced with `form: "matrix"` / `"triplets"`. A matrix written without ids needs them:
    /// `ids: [..]` (in row order), `ids: "ids.csv"` (a one-column file) or `ids: "position"`
    /// (units named 1..N, which is printed). The diagonal must be 0.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv", #{standardize: "none"});
    /// let m = read_weights("examples/data/yearbook/w_matrix.csv", #{form: "matrix"});
    /// let b = read_weights("examples/data/yearbook/w_block.csv", #{ids: ["北京", "上海", "广州"]});
    /// ```
    #[rhai_fn(name = "read_weights", return_raw)]
    pub fn read_weights_opts(path: &str, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "read_weights", &READ_WEIGHTS_KEYS)?;
        let ro = ReadOptions {
            standardize: o
                .str("standardize")?
                .map(|s| s.parse::<Standardization>())
                .transpose()
                .map_err(core_err)?,
            keep_islands: o.keep_islands()?,
            allow_negative: o.bool("allow_negative")?.unwrap_or(false),
        };
        let form = match o.choice("form", "auto", &["auto", "matrix", "triplets"])?.as_str() {
            "matrix" => CsvForm::Matrix,
            "triplets" => CsvForm::Triplets,
            _ => CsvForm::Auto,
        };
        let ids = match o.value("ids") {
            None => MatrixIds::InFile,
            Some(v) => match v.clone().try_cast::<Array>() {
                Some(a) => MatrixIds::Given(to_strings(&a, "read_weights: option 'ids'")?),
                None => match o.str("ids")?.as_deref() {
                    Some("position") => MatrixIds::Position,
                    Some(p) => MatrixIds::File(p.to_string()),
                    None => MatrixIds::InFile,
                },
            },
        };
        let position = ids == MatrixIds::Position;
        let w = wrap(crate::weights::io::read_weights_layout(
            path,
            &ro,
            &CsvLayout {
                form,
                ids,
                sheet: crate::script::files::sheet_ref(&o)?,
            },
        ))?;
        if position {
            crate::script::print_line(&format!(
                "read_weights: {path} has no unit ids; its {} units are named 1..{} by position (option ids: \"position\")",
                w.0.n(),
                w.0.n()
            ));
        }
        Ok(w)
    }

    /// Saves weights by extension as `save(w, path)` does, with option `form`: `"triplets"`
    /// (default for .csv) or `"matrix"` (.csv or .xlsx): the N × N matrix with the ids in the
    /// header row and the first column, every weight in full precision (it reads back exactly);
    /// `"gal"` (the neighbour lists, .gal) or `"gwt"` (id, id, weight, .gwt). The file is written
    /// atomically.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// make_dir("out");
    /// w.save("out/w_matrix.csv", #{form: "matrix"});
    /// w.save("out/w.gwt", #{form: "gwt"});
    /// let back = read_weights("out/w_matrix.csv");
    /// ```
    #[rhai_fn(name = "save", return_raw)]
    pub fn w_save_opts(w: &mut SWeights, path: &str, opts: Map) -> RResult<()> {
        let o = Opts::new(&opts, "save", &["form"])?;
        let form = o.choice("form", "triplets", &["triplets", "matrix", "gal", "gwt"])?;
        match form.as_str() {
            "matrix" => crate::weights::io::save_weights_form(&w.0, path, CsvForm::Matrix).map_err(core_err),
            "gal" | "gwt" => {
                let ext = crate::report::table::extension(path);
                if ext != form {
                    return Err(script_err(format!(
                        "save: form \"{form}\" writes a .{form} file, but {path} ends in .{ext}; name it .{form} \
                         (read_weights tells the format by the extension)"
                    )));
                }
                crate::weights::io::save_weights(&w.0, path).map_err(core_err)
            }
            _ => crate::script::export::save_exportable(w, path),
        }
    }

    /// Number of units.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(w.n);
    /// ```
    #[rhai_fn(get = "n", pure)]
    pub fn w_n(w: &mut SWeights) -> INT {
        w.0.n() as INT
    }

    /// Number of non-zero weights.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(w.nnz);
    /// ```
    #[rhai_fn(get = "nnz", pure)]
    pub fn w_nnz(w: &mut SWeights) -> INT {
        w.0.nnz() as INT
    }

    /// Unit ids in matrix order.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(w.ids());
    /// ```
    #[rhai_fn(name = "ids", pure)]
    pub fn w_ids(w: &mut SWeights) -> Array {
        from_strings(w.0.ids())
    }

    /// n, links, min/mean/max neighbours, islands, symmetry, standardisation.
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(w.summary());
    /// ```
    #[rhai_fn(name = "summary", pure)]
    pub fn w_summary(w: &mut SWeights) -> STable {
        STable(Arc::new(w.0.summary().to_table()))
    }

    /// Eigenvalues of W (real parts, ascending; computed once and cached; via the symmetric
    /// similar matrix when W is a row-standardised symmetric matrix).
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let ev = w.eigenvalues();
    /// print(`${ev[0]} … ${ev[ev.len() - 1]}`);
    /// ```
    #[rhai_fn(name = "eigenvalues", return_raw, pure)]
    pub fn w_eigenvalues(w: &mut SWeights) -> RResult<Array> {
        w.0.spectrum().map(|s| from_f64s(&s.re)).map_err(core_err)
    }

    /// The spatial lag Wx of an array (one value per unit, in the order of w.ids()).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let wu = w.lag(u);
    /// ```
    #[rhai_fn(name = "lag", return_raw, pure)]
    pub fn w_lag(w: &mut SWeights, x: Array) -> RResult<Array> {
        let v = to_f64s(&x, "lag")?;
        if w.0.n() == 0 {
            Err(script_err("lag: the weights have no units"))
        } else if v.len() == w.0.n() {
            Ok(from_f64s(&w.0.lag(&v)))
        } else if !v.is_empty() && v.len() % w.0.n() == 0 {
            Ok(from_f64s(&w.0.lag_panel(&v)))
        } else {
            Err(script_err(format!(
                "lag: {} values for {} units; pass N values (or N·T stacked time-slow)",
                v.len(),
                w.0.n()
            )))
        }
    }

    /// `w.subset(ids, #{islands})`: islands "error" (default) or "keep".
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let south = w.subset(["ALABAMA", "GEORGIA", "FLORIDA", "MAINE"], #{islands: "keep"});
    /// ```
    #[rhai_fn(name = "subset", return_raw, pure)]
    pub fn w_subset_opts(w: &mut SWeights, ids: Array, opts: Map) -> RResult<SWeights> {
        let o = Opts::new(&opts, "subset", &["islands"])?;
        let keep = o.keep_islands()?;
        let ids = to_strings(&ids, "subset")?;
        wrap(w.0.subset(&ids, keep))
    }

    /// A copy with another standardisation ("row", "none", "spectral", "minmax").
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let wm = w.standardize("minmax");
    /// ```
    #[rhai_fn(name = "standardize", return_raw, pure)]
    pub fn w_standardize(w: &mut SWeights, kind: &str) -> RResult<SWeights> {
        let k = kind.parse::<Standardization>().map_err(core_err)?;
        wrap(w.0.standardize(k))
    }

    /// Mar (specialisation) and Jacobs (diversity) indices from a long employment table
    /// (docs/methods.md §1.2–1.3). Options: id, time, sector ("industry"), value ("emp"), national
    /// (Frame of national employment by sector and time), mar ("max_lq", "krugman",
    /// "max_share"), jacobs ("rdi", "rdi_squared", "inverse_hhi"), missing_sector ("missing",
    /// "zero"), jacobs_cap (cap 1/denominator at 1/eps instead of an error).
    /// ```rhai
    /// let e = read_csv("examples/data/citycluster/employment.csv");
    /// let a = agglomeration(e, #{sector: "industry", value: "emp", jacobs: "inverse_hhi"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn agglomeration(emp: SFrame, opts: Map) -> RResult<SFrame> {
        let a = agg_options(&opts, "agglomeration")?;
        crate::indices::agglomeration::agglomeration(&emp.0, &a)
            .map(|f| SFrame(Arc::new(f)))
            .map_err(core_err)
    }

    /// Location quotients IS_itj / IS_tj as a long frame (id, time, sector, lq).
    /// ```rhai
    /// let e = read_csv("examples/data/citycluster/employment.csv");
    /// let lq = location_quotients(e, #{sector: "industry", value: "emp"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn location_quotients(emp: SFrame, opts: Map) -> RResult<SFrame> {
        let a = agg_options(&opts, "location_quotients")?;
        crate::indices::agglomeration::location_quotients(&emp.0, &a)
            .map(|f| SFrame(Arc::new(f)))
            .map_err(core_err)
    }

    /// Regional resilience (Martin et al. 2016; docs/methods.md §1.1), one value per row of `f` (NaN in
    /// a unit's first period, and after a gap in integer periods: t−1 is the calendar's previous
    /// period, as for `p.lag`). The two variants take different inputs:
    /// - kind "growth_change" (default, variant B) takes GROWTH RATES (fractions, percent, or a
    ///   previous-year = 100 index): Resi = [(G_r,t − G_r,t−1) − (G_n,t − G_n,t−1)] / |G_n,t − G_n,t−1|.
    /// - kind "level_growth" (variant A) takes LEVELS (e.g. real GDP, all > 0):
    ///   g = G_t / G_t−1 − 1 for region and nation, Resi = (g_r,t − g_n,t) / |g_n,t|.
    ///
    /// Inputs are checked: growth_change refuses a region or national series that looks like
    /// levels (every value > 0, median value ≥ 200 and median period-to-period change < 25% of
    /// the value) and says to use kind "level_growth"; level_growth refuses a base-period value
    /// ≤ 0 (levels are positive; negative growth rates are not).
    /// Options: id, time, region (column of the region's series), national (column name of the
    /// national series, or a Frame with national_time/national_value columns), kind, zero
    /// ("error", "nan"), min_abs_denominator, check_inputs (default true; false skips the levels
    /// check).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// // national GSP: the sum over states of each year (panel rows are time-slow)
    /// let g = p["gsp"];
    /// let nat = [];
    /// for t in 0..p.t { let s = sum(g.extract(t * p.n, p.n)); for i in 0..p.n { nat.push(s) } }
    /// let p2 = p.with_column("national", nat);
    /// let r = resilience(p2.frame(), #{region: "gsp", national: "national", kind: "level_growth"});
    /// ```
    #[rhai_fn(return_raw)]
    pub fn resilience(f: SFrame, opts: Map) -> RResult<Array> {
        let o = Opts::new(
            &opts,
            "resilience",
            &[
                "id",
                "time",
                "region",
                "national",
                "national_time",
                "national_value",
                "kind",
                "zero",
                "min_abs_denominator",
                "check_inputs",
            ],
        )?;
        let mut r = ResilienceOptions::default();
        if let Some(s) = o.str("id")? {
            r.id = s;
        }
        if let Some(s) = o.str("time")? {
            r.time = s;
        }
        if let Some(s) = o.str("region")? {
            r.region = s;
        }
        if let Some(v) = o.value("national") {
            if let Some(fr) = v.clone().try_cast::<SFrame>() {
                r.national = National::Frame {
                    frame: (*fr.0).clone(),
                    time: o.str("national_time")?.unwrap_or_else(|| r.time.clone()),
                    value: o.str("national_value")?.unwrap_or_else(|| "national".into()),
                };
            } else if let Some(s) = o.str("national")? {
                r.national = National::Column(s);
            }
        }
        if let Some(k) = o.str("kind")? {
            r.kind = k.parse::<ResilienceKind>().map_err(core_err)?;
        }
        if o.choice("zero", "error", &["error", "nan"])? == "nan" {
            r.zero_denominator = ZeroDenominator::Nan;
        }
        r.min_abs_denominator = o.float("min_abs_denominator")?;
        r.check_inputs = o.bool("check_inputs")?.unwrap_or(true);
        crate::indices::resilience::resilience(&f.0, &r)
            .map(|v| from_f64s(&v))
            .map_err(core_err)
    }

    /// Resilience of a panel's rows (panel order); inputs, checks and options as for a Frame.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// // national GSP: the sum over states of each year (panel rows are time-slow)
    /// let g = p["gsp"];
    /// let nat = [];
    /// for t in 0..p.t { let s = sum(g.extract(t * p.n, p.n)); for i in 0..p.n { nat.push(s) } }
    /// let p2 = p.with_column("national", nat);
    /// let r = resilience(p2, #{region: "gsp", kind: "level_growth"});
    /// ```
    #[rhai_fn(name = "resilience", return_raw)]
    pub fn resilience_panel(p: SPanel, opts: Map) -> RResult<Array> {
        resilience(SFrame(Arc::new(p.0.frame().clone())), opts)
    }

    /// The scale of a number array: largest |x| (a helper for comparing weights).
    /// ```rhai
    /// print(max_abs([0.5, -2.0, 1.0]));   // 2.0
    /// ```
    #[rhai_fn(name = "max_abs", return_raw)]
    pub fn max_abs(x: Array) -> RResult<FLOAT> {
        Ok(to_f64s(&x, "max_abs")?.iter().fold(0.0, |a, v| a.max(v.abs())))
    }
}

fn agg_options(opts: &Map, func: &'static str) -> RResult<AggOptions> {
    let o = Opts::new(
        opts,
        func,
        &[
            "id",
            "time",
            "sector",
            "value",
            "national",
            "mar",
            "jacobs",
            "missing_sector",
            "jacobs_cap",
        ],
    )?;
    let mut a = AggOptions::default();
    for (key, slot) in [
        ("id", &mut a.id),
        ("time", &mut a.time),
        ("sector", &mut a.sector),
        ("value", &mut a.value),
    ] {
        if let Some(s) = o.str(key)? {
            *slot = s;
        }
    }
    if let Some(v) = o.value("national") {
        let f = v.try_cast::<SFrame>().ok_or_else(|| {
            script_err(format!(
                "{func}: option 'national' must be a Frame of national employment"
            ))
        })?;
        a.national = Some((*f.0).clone());
    }
    if let Some(m) = o.str("mar")? {
        a.mar = m.parse::<MarKind>().map_err(core_err)?;
    }
    if let Some(j) = o.str("jacobs")? {
        a.jacobs = j.parse::<JacobsKind>().map_err(core_err)?;
    }
    if let Some(m) = o.str("missing_sector")? {
        a.missing_sector = m.parse::<MissingSector>().map_err(core_err)?;
    }
    if let Some(eps) = o.float("jacobs_cap")? {
        a.jacobs_zero = JacobsZero::Cap(eps);
    }
    Ok(a)
}

rhai::def_package! {
    /// The Weights type, the weights builders and methods, agglomeration and resilience.
    pub WeightsPackage(lib) {
        register_exportable::<SWeights>(
            lib,
            "Weights",
            "let x = read_weights(\"examples/data/produc/weights.csv\");",
        );
        rhai::combine_with_exported_module!(lib, "weights", weights_fns);
        without_options! { lib;
            /// Inverse economic-distance weights with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = weights_economic(p, "gsp");
            /// ```
            weights_economic(p: SPanel, var: &str) -> SWeights = weights_fns::weights_economic;
            /// Reads GAL, GWT or CSV (triplets `i,j,w` or an N × N matrix with ids in the first row
            /// and column) by extension. GWT/CSV weights are kept as given unless `standardize` is
            /// set; GAL patterns are row-standardised.
            /// ```rhai
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// ```
            read_weights(path: &str) -> SWeights = weights_fns::read_weights_opts;
            /// The weights among `ids` only (an array of unit ids, each once), re-standardised (for
            /// subgroup fits). A kept unit whose neighbours are all dropped is an island: an error
            /// naming it, unless `#{islands: "keep"}` is passed.
            /// ```rhai
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// let south = w.subset(["ALABAMA", "GEORGIA", "FLORIDA", "MISSISSIPPI"]);
            /// ```
            subset(w: &mut SWeights, ids: Array) -> SWeights = weights_fns::w_subset_opts;
            /// Mar and Jacobs indices with default options.
            /// ```rhai
            /// let e = read_csv("examples/data/citycluster/employment.csv");
            /// let a = agglomeration(e);
            /// ```
            agglomeration(emp: SFrame) -> SFrame = weights_fns::agglomeration;
        }
    }
}
