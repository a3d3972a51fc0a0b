//! Option maps: every key optional, every unknown key an error that names it and lists the
//! valid ones (API.md "Conventions").

use super::convert::{dyn_to_key, to_strings};
use super::{core_err, script_err, RResult};
use crate::data::csv::CsvOptions;
use crate::effects::EffectsOptions;
use crate::error::closest;
use crate::models::ml::SpatialOptions;
use crate::models::within::Fe;
use rhai::{Dynamic, Map, FLOAT, INT};
use std::str::FromStr;

/// Checks the keys of `map`: every key must be in `valid` (else an error naming it, the closest
/// valid key as a "did you mean", and the valid keys), and every key of `required` must be
/// present and not `()`. `what` names the map in messages (a function, "study: spec.weights"),
/// `noun` its keys ("option", "key").
pub fn check_keys(map: &Map, what: &str, noun: &str, valid: &[&str], required: &[&str]) -> RResult<()> {
    for k in map.keys() {
        if !valid.contains(&k.as_str()) {
            let hint = closest(k, valid.iter().copied())
                .map(|c| format!(" (did you mean '{c}'?)"))
                .unwrap_or_default();
            return Err(script_err(format!(
                "{what}: unknown {noun} '{k}'{hint}; valid {noun}s: {}",
                valid.join(", ")
            )));
        }
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| map.get(*k).is_none_or(|v| v.is_unit()))
        .collect();
    if !missing.is_empty() {
        return Err(script_err(format!(
            "{what}: {noun} '{}' is required{}",
            missing.join("', '"),
            if missing.len() > 1 { " (each of them)" } else { "" }
        )));
    }
    Ok(())
}

/// A checked option map of one function.
pub struct Opts<'a> {
    map: &'a Map,
    pub(crate) func: &'static str,
}

impl<'a> Opts<'a> {
    /// Checks that every key of `map` is in `valid`.
    pub fn new(map: &'a Map, func: &'static str, valid: &[&str]) -> RResult<Opts<'a>> {
        check_keys(map, func, "option", valid, &[])?;
        Ok(Opts { map, func })
    }

    fn get(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    fn bad(&self, key: &str, expected: &str, got: &Dynamic) -> Box<rhai::EvalAltResult> {
        script_err(format!(
            "{}: option '{key}' must be {expected}, got {} ({got})",
            self.func,
            got.type_name()
        ))
    }

    /// A string option.
    pub fn str(&self, key: &str) -> RResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .clone()
                .try_cast::<rhai::ImmutableString>()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| self.bad(key, "a string", v)),
        }
    }

    /// A string option parsed into the core's typed value ([`FromStr`], src/script/parse.rs);
    /// the parse error (which lists the valid values) is prefixed with the function's name.
    pub fn parsed<T: FromStr<Err = crate::Error>>(&self, key: &str) -> RResult<Option<T>> {
        self.str(key)?
            .map(|v| v.parse::<T>())
            .transpose()
            .map_err(|e| script_err(format!("{}: {e}", self.func)))
    }

    /// A string option restricted to `allowed` (default when absent).
    pub fn choice(&self, key: &str, default: &str, allowed: &[&str]) -> RResult<String> {
        let v = self.str(key)?.unwrap_or_else(|| default.to_string());
        if allowed.contains(&v.as_str()) {
            Ok(v)
        } else {
            Err(script_err(format!(
                "{}: option {key}: \"{v}\" is not valid; valid values: {}",
                self.func,
                allowed
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// The `islands` option: `"error"` (default: units without neighbours are an error) or
    /// `"keep"`; true for keep.
    pub fn keep_islands(&self) -> RResult<bool> {
        Ok(self.choice("islands", "error", &["error", "keep"])? == "keep")
    }

    /// An integer option.
    pub fn int(&self, key: &str) -> RResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                if let Some(k) = v.clone().try_cast::<INT>() {
                    Ok(Some(k))
                } else if let Some(f) = v.clone().try_cast::<FLOAT>().filter(|f| f.fract() == 0.0) {
                    Ok(Some(f as i64))
                } else {
                    Err(self.bad(key, "an integer", v))
                }
            }
        }
    }

    /// A non-negative integer option.
    pub fn usize(&self, key: &str) -> RResult<Option<usize>> {
        match self.int(key)? {
            Some(k) if k < 0 => Err(script_err(format!(
                "{}: option '{key}' must be ≥ 0, got {k}",
                self.func
            ))),
            k => Ok(k.map(|k| k as usize)),
        }
    }

    /// A count option in 0..=`max` (draws, permutations): larger values would exhaust memory.
    pub fn count(&self, key: &str, max: usize) -> RResult<Option<usize>> {
        match self.usize(key)? {
            Some(k) if k > max => Err(script_err(format!(
                "{}: option '{key}' = {k} is too large; at most {max} (more would not fit in memory)",
                self.func
            ))),
            k => Ok(k),
        }
    }

    /// A number option (integers accepted).
    pub fn float(&self, key: &str) -> RResult<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .clone()
                .try_cast::<FLOAT>()
                .or_else(|| v.clone().try_cast::<INT>().map(|k| k as f64))
                .map(Some)
                .ok_or_else(|| self.bad(key, "a number", v)),
        }
    }

    /// A boolean option.
    pub fn bool(&self, key: &str) -> RResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .clone()
                .try_cast::<bool>()
                .map(Some)
                .ok_or_else(|| self.bad(key, "true or false", v)),
        }
    }

    /// A list of strings (a single string is a list of one).
    pub fn strings(&self, key: &str) -> RResult<Option<Vec<String>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                if let Some(a) = v.clone().try_cast::<rhai::Array>() {
                    to_strings(&a, &format!("{}: option '{key}'", self.func)).map(Some)
                } else {
                    dyn_to_key(v)
                        .map(|s| Some(vec![s]))
                        .ok_or_else(|| self.bad(key, "a string or an array of strings", v))
                }
            }
        }
    }

    /// A pair of numbers `[lo, hi]`.
    pub fn pair(&self, key: &str) -> RResult<Option<(f64, f64)>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let a = v
                    .clone()
                    .try_cast::<rhai::Array>()
                    .ok_or_else(|| self.bad(key, "[lo, hi]", v))?;
                let x = super::convert::to_f64s(&a, key)?;
                if x.len() != 2 || x[0].partial_cmp(&x[1]) != Some(std::cmp::Ordering::Less) {
                    return Err(script_err(format!(
                        "{}: option '{key}' must be [lo, hi] with lo < hi",
                        self.func
                    )));
                }
                Ok(Some((x[0], x[1])))
            }
        }
    }

    /// A label given as a string or an integer (a period such as `1990` or `"1990"`).
    pub fn label(&self, key: &str) -> RResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.clone().try_cast::<INT>() {
                Some(k) => Ok(Some(k.to_string())),
                None => v
                    .clone()
                    .try_cast::<rhai::ImmutableString>()
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| self.bad(key, "a string or an integer", v)),
            },
        }
    }

    /// Any value.
    pub fn value(&self, key: &str) -> Option<Dynamic> {
        self.get(key).cloned()
    }
}

/// The typed options of a spatial ML fit (`fit`, `sar`, `sem`, `sdm`, `sdem`, `slx`, the study
/// module) read from a checked option map, with fixed effects `fe` (read by the caller, whose
/// default depends on the data). Unknown values are errors naming the function and listing the
/// valid values.
pub fn spatial_options(o: &Opts, fe: Fe) -> RResult<SpatialOptions> {
    let mut so = SpatialOptions::new(fe);
    if let Some(v) = o.parsed("bias_correction")? {
        so.bias_correction = v;
    }
    if let Some(v) = o.parsed("lag_order")? {
        so.lag_order = v;
    }
    if let Some(v) = o.parsed("lndet")? {
        so.lndet = v;
    }
    if let Some(v) = o.parsed("information")? {
        so.information = v;
    }
    so.interval = o.pair("interval")?;
    so.durbin = o.strings("durbin")?;
    so.errors = o.parsed("errors")?;
    so.covariance = o.parsed("covariance")?;
    Ok(so)
}

/// The label of the period dummies of option `time_dummies` (`factor(<time column>)` of a
/// panel whose time column is `time_column`) when it is true, else `None`; true needs
/// fe: "random" and a Panel (`time_column` given).
pub(crate) fn time_dummies_label(o: &Opts, fe: Fe, time_column: Option<&str>) -> RResult<Option<String>> {
    if o.bool("time_dummies")? != Some(true) {
        return Ok(None);
    }
    if fe != Fe::Random {
        return Err(script_err(format!(
            "{}: option time_dummies (fixed period dummies inside random effects) applies to fe: \"random\"; with fe \
             \"{}\" use fe: \"time\" or \"twoways\" for period effects",
            o.func,
            fe.name()
        )));
    }
    match time_column {
        Some(c) => Ok(Some(format!("factor({c})"))),
        None => Err(script_err(format!(
            "{}: option time_dummies needs a Panel (period dummies of its time column)",
            o.func
        ))),
    }
}

/// The options of a dynamic model (docs/methods.md §14) taken out of `opts`: with `dynamic:
/// true`, `time_lag` and `space_time_lag` (default true), `bias_correction` ("ydl",
/// "lee_yu_transform", "lee_yu_direct", "none"; default by the fixed effects) and `covariance`
/// ("structural", "gaussian", "sdpdmod") are read here and removed, so that the rest is read
/// as a static model's options. Without `dynamic: true` the dynamic-only options are an error.
pub fn split_dynamic(opts: &Map, func: &'static str) -> RResult<(Map, Option<crate::models::ml::DynamicOptions>)> {
    let mut rest = opts.clone();
    let mut mine = Map::new();
    for key in ["dynamic", "time_lag", "space_time_lag"] {
        if let Some(v) = rest.remove(key) {
            mine.insert(key.into(), v);
        }
    }
    let o = Opts::new(&mine, func, &["dynamic", "time_lag", "space_time_lag"])?;
    if o.bool("dynamic")? != Some(true) {
        if let Some(k) = ["time_lag", "space_time_lag"]
            .into_iter()
            .find(|k| mine.contains_key(*k))
        {
            return Err(script_err(format!(
                "{func}: option '{k}' applies to dynamic models; add dynamic: true or drop it"
            )));
        }
        return Ok((rest, None));
    }
    let mut d = crate::models::ml::DynamicOptions::default();
    if let Some(v) = o.bool("time_lag")? {
        d.time_lag = v;
    }
    if let Some(v) = o.bool("space_time_lag")? {
        d.space_time_lag = v;
    }
    if !d.time_lag && !d.space_time_lag {
        return Err(script_err(format!(
            "{func}: dynamic with time_lag: false and space_time_lag: false has no dynamic term; keep one, or drop \
             dynamic for the static model"
        )));
    }
    let mut own = Map::new();
    for key in ["bias_correction", "covariance"] {
        if let Some(v) = rest.remove(key) {
            own.insert(key.into(), v);
        }
    }
    let oo = Opts::new(&own, func, &["bias_correction", "covariance"])?;
    d.bias_correction = oo.parsed("bias_correction")?;
    if let Some(c) = oo.parsed("covariance")? {
        d.covariance = c;
    }
    Ok((rest, Some(d)))
}

/// The typed options of `effects` (and the study module's `spec.effects`) read from a checked
/// option map: method, mode, engine (their errors already name `effects`), draws (at most a
/// million), seed.
pub fn effects_options(o: &Opts) -> RResult<EffectsOptions> {
    let mut eo = EffectsOptions::default();
    if let Some(s) = o.str("method")? {
        eo.method = s.parse().map_err(core_err)?;
    }
    if let Some(s) = o.str("mode")? {
        eo.mode = s.parse().map_err(core_err)?;
    }
    if let Some(s) = o.str("engine")? {
        eo.engine = s.parse().map_err(core_err)?;
    }
    if let Some(d) = o.count("draws", 1_000_000)? {
        eo.draws = d;
    }
    if let Some(s) = o.int("seed")? {
        eo.seed = s as u64;
    }
    Ok(eo)
}

/// The random-effects method of `ols` (option `method`): `Some` for `fe: "random"` (default
/// "swar"), `None` otherwise; `method` without `fe: "random"` is an error.
pub(crate) fn re_method(o: &Opts, fe: Fe, func: &str) -> RResult<Option<crate::models::random::ReMethod>> {
    if fe != Fe::Random {
        if o.str("method")?.is_some() {
            return Err(script_err(format!(
                "{func}: option 'method' (\"swar\", \"ml\") applies to fe: \"random\" only; drop it or set fe: \"random\""
            )));
        }
        return Ok(None);
    }
    Ok(Some(match o.choice("method", "swar", &["swar", "ml"])?.as_str() {
        "ml" => crate::models::random::ReMethod::Ml,
        _ => crate::models::random::ReMethod::SwamyArora,
    }))
}

/// The option keys of `read_csv` (and of every reader of delimited text, e.g. `read_data` on a
/// `.csv` file): read by [`csv_options`].
pub const CSV_KEYS: [&str; 6] = ["delimiter", "decimal", "encoding", "missing", "skip", "comment"];

/// One ASCII character of option `key` (`";"`, `"\t"`, `"#"`), or an error naming the
/// function and the option.
fn one_char(o: &Opts, key: &str, example: &str) -> RResult<Option<u8>> {
    match o.str(key)? {
        None => Ok(None),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(Some(s.as_bytes()[0])),
        Some(s) => Err(script_err(format!(
            "{}: option '{key}' must be one ASCII character, e.g. {example}; got \"{}\"",
            o.func,
            s.escape_debug()
        ))),
    }
}

/// The typed options of reading delimited text ([`CsvOptions`]) from a checked option map whose
/// keys include [`CSV_KEYS`]: `delimiter` (one character), `decimal` (`"."` or `","`),
/// `encoding` (a label such as `"gbk"`), `missing` (markers; replace the defaults), `skip`
/// (lines before the header), `comment` (one character). The options are checked together
/// (decimal and delimiter differ, the encoding is known): the one place a script's option map
/// becomes `CsvOptions`, for `read_csv` and `read_data`.
pub fn csv_options(o: &Opts) -> RResult<CsvOptions> {
    let mut co = CsvOptions::default();
    if let Some(d) = one_char(o, "delimiter", "\";\" or \"\\t\"")? {
        co.delimiter = d;
    }
    if let Some(d) = one_char(o, "decimal", "\",\"")? {
        co.decimal = d;
    }
    co.encoding = o.str("encoding")?;
    if let Some(m) = o.strings("missing")? {
        co.missing = m;
    }
    if let Some(k) = o.usize("skip")? {
        co.skip = k;
    }
    co.comment = one_char(o, "comment", "\"#\"")?;
    co.check().map_err(|e| script_err(format!("{}: {e}", o.func)))?;
    Ok(co)
}

/// The options every figure takes (`plot_*(…, #{title, xlabel, ylabel, width, height, font})`).
#[cfg(feature = "plot")]
pub(crate) const FIGURE_KEYS: [&str; 6] = ["title", "xlabel", "ylabel", "width", "height", "font"];

/// The keys of a figure function: [`FIGURE_KEYS`] and the figure's own `extra`.
#[cfg(feature = "plot")]
pub(crate) fn figure_keys(extra: &[&'static str]) -> Vec<&'static str> {
    FIGURE_KEYS.iter().chain(extra).copied().collect()
}

/// The keys of a figure without axes (the maps): [`FIGURE_KEYS`] but `xlabel` and `ylabel`,
/// and the figure's own `extra`; read by the same [`figure_options`].
#[cfg(feature = "plot")]
pub(crate) fn figure_keys_without_axes(extra: &[&'static str]) -> Vec<&'static str> {
    FIGURE_KEYS
        .iter()
        .filter(|k| !matches!(**k, "xlabel" | "ylabel"))
        .chain(extra)
        .copied()
        .collect()
}

/// The figure options of `o` (built with keys from [`figure_keys`]); the width and height are
/// checked when the figure is drawn ([`crate::plot::FigureOptions::size`]).
#[cfg(feature = "plot")]
pub(crate) fn figure_options(o: &Opts) -> RResult<crate::plot::FigureOptions> {
    let pixels = |key: &str| -> RResult<Option<u32>> {
        o.usize(key)?
            .map(|v| u32::try_from(v).map_err(|_| script_err(format!("{}: option '{key}' = {v} is too large", o.func))))
            .transpose()
    };
    Ok(crate::plot::FigureOptions {
        title: o.str("title")?,
        xlabel: o.str("xlabel")?,
        ylabel: o.str("ylabel")?,
        width: pixels("width")?,
        height: pixels("height")?,
        font: o.str("font")?,
    })
}
