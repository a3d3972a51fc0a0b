//! Data functions: CSV reading, frames, panels, descriptive statistics and vector helpers.

use super::convert::{array_to_column, column_to_array, dyn_to_key, from_f64s, from_strings, to_f64s, to_strings};
use super::convert::{SFrame, SPanel, STable};
use super::options::{csv_options, Opts, CSV_KEYS};
use super::{core_err, guard, script_err, RResult};
use crate::data::csv::read_csv as core_read_csv;
use crate::data::{vector, Panel};
use rhai::plugin::*;
use rhai::{Array, Dynamic, FnPtr, Map, FLOAT, INT};
use std::sync::Arc;

fn values_of(v: &Dynamic) -> RResult<Vec<String>> {
    if let Some(a) = v.clone().try_cast::<Array>() {
        to_strings(&a, "filter values")
    } else {
        dyn_to_key(v)
            .map(|s| vec![s])
            .ok_or_else(|| script_err("filter: the value must be a string, a number or an array of them"))
    }
}

/// `predicate(row)` for every row of `frame` (`row` maps each column name to the row's value,
/// as `f["name"]` gives it); a predicate that returns anything but true or false is an error
/// naming the row.
fn predicate_mask(ctx: &NativeCallContext, frame: &crate::data::Frame, predicate: &FnPtr) -> RResult<Vec<bool>> {
    let names = frame.names().to_vec();
    let cols: Vec<Array> = names
        .iter()
        .map(|n| frame.column(n).map(column_to_array))
        .collect::<crate::Result<_>>()
        .map_err(core_err)?;
    let mut keep = Vec::with_capacity(frame.nrows());
    for r in 0..frame.nrows() {
        let row: Map = names
            .iter()
            .zip(&cols)
            .map(|(n, c)| (n.as_str().into(), c[r].clone()))
            .collect();
        let v: Dynamic = predicate.call_within_context(ctx, (row,))?;
        match v.as_bool() {
            Ok(b) => keep.push(b),
            Err(t) => {
                return Err(script_err(format!(
                    "filter: the predicate must return true or false, but returned {t} for row {}",
                    r + 1
                )))
            }
        }
    }
    Ok(keep)
}

/// Data frames, panels and vector helpers.
#[export_module(root = "crate::script::guarded")]
pub mod data_fns {
    use super::*;

    /// Reads a CSV file with options (each optional):
    /// * `delimiter`: one character (`","`; `";"`, `"\t"`, `"|"`);
    /// * `decimal`: `"."` (default) or `","` (`1,5` and `-0,25`; the delimiter must then be
    ///   another character, usually `";"`);
    /// * `encoding`: the file's text encoding (`"utf-8"` default, `"gbk"`, `"gb18030"`, `"big5"`,
    ///   `"shift_jis"`, `"euc-kr"`, `"windows-1252"` or `"latin1"`, `"utf-16le"`, ...); a file that
    ///   is not UTF-8 and has no `encoding` is an error naming the line (and suggesting `"gbk"`
    ///   when the bytes read as GBK);
    /// * `missing`: the markers read as missing (replace the default `""`, `"NA"`, `"."`; inf and
    ///   NaN spellings stay missing);
    /// * `skip`: lines before the header row (titles), skipped;
    /// * `comment`: one character; lines starting with it (after blanks) are ignored.
    ///
    /// Errors name the line of the file as it is (skipped and comment lines counted).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv", #{missing: ["", "NA", "-"]});
    /// let y = read_csv("examples/data/yearbook/gdp_gbk.csv", #{encoding: "gbk", skip: 2, comment: "#"});
    /// let e = read_csv("examples/data/yearbook/gdp_semicolon.csv", #{delimiter: ";", decimal: ","});
    /// print(y.keys("城市"));
    /// ```
    #[rhai_fn(name = "read_csv", return_raw)]
    pub fn read_csv_opts(path: &str, opts: Map) -> RResult<SFrame> {
        let o = Opts::new(&opts, "read_csv", &CSV_KEYS)?;
        let co = csv_options(&o)?;
        guard("read_csv", || {
            core_read_csv(path, &co).map(|f| SFrame(Arc::new(f))).map_err(core_err)
        })
    }

    /// Column names of a frame.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// print(c.names());
    /// ```
    #[rhai_fn(name = "names", pure)]
    pub fn frame_names(f: &mut SFrame) -> Array {
        from_strings(f.0.names())
    }

    /// Number of rows of a frame.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// print(c.nrows());
    /// ```
    #[rhai_fn(name = "nrows", pure)]
    pub fn frame_nrows(f: &mut SFrame) -> INT {
        f.0.nrows() as INT
    }

    /// A column as an array: `f["gdppc"]`. Arrays do not add up element by element (`+` joins
    /// them): for arithmetic on columns use `f.compute("a + b")` or `f.mutate(name, "a + b")`.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let crime = c["CRIME"];
    /// ```
    #[rhai_fn(index_get, return_raw, pure)]
    pub fn frame_index(f: &mut SFrame, name: &str) -> RResult<Array> {
        f.0.column(name).map(column_to_array).map_err(core_err)
    }

    /// The keys of a column as text, exactly as written in the file (ids and periods: 001
    /// stays 001, 12345678901234567 stays itself; computed integral numbers print without
    /// ".0"). Use them to match rows to `w.ids()`. A missing cell is an error naming the row.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let ids = c.keys("POLYID");
    /// ```
    #[rhai_fn(name = "keys", return_raw, pure)]
    pub fn frame_keys(f: &mut SFrame, name: &str) -> RResult<Array> {
        f.0.keys(name).map(|k| from_strings(&k)).map_err(core_err)
    }

    /// The keys of a panel column as text, exactly as written (see the Frame version), in
    /// panel row order.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let years = p.keys("time");
    /// ```
    #[rhai_fn(name = "keys", return_raw, pure)]
    pub fn panel_keys(p: &mut SPanel, name: &str) -> RResult<Array> {
        p.0.frame().keys(name).map(|k| from_strings(&k)).map_err(core_err)
    }

    /// A column as an array.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let income = c.column("INC");
    /// ```
    #[rhai_fn(name = "column", return_raw, pure)]
    pub fn frame_column(f: &mut SFrame, name: &str) -> RResult<Array> {
        frame_index(f, name)
    }

    /// A new frame with column `name` added or replaced (`with` is reserved in Rhai).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let c2 = c.with_column("lINC", log(c["INC"]));
    /// ```
    #[rhai_fn(name = "with_column", return_raw, pure)]
    pub fn frame_with_column(f: &mut SFrame, name: &str, values: Array) -> RResult<SFrame> {
        f.0.with_column(name, array_to_column(&values))
            .map(|g| SFrame(Arc::new(g)))
            .map_err(core_err)
    }

    /// Rows whose column `name` equals `value` (or one of an array of values).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let three = c.filter("POLYID", [1, 2, 3]);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn frame_filter(f: &mut SFrame, name: &str, value: Dynamic) -> RResult<SFrame> {
        let vals = values_of(&value)?;
        f.0.filter_keys(name, &vals)
            .map(|g| SFrame(Arc::new(g)))
            .map_err(core_err)
    }

    /// Only the named columns, in that order.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let small = c.select(["POLYID", "CRIME"]);
    /// ```
    #[rhai_fn(name = "select", return_raw, pure)]
    pub fn frame_select(f: &mut SFrame, names: Array) -> RResult<SFrame> {
        let n = to_strings(&names, "select")?;
        f.0.select(&n).map(|g| SFrame(Arc::new(g))).map_err(core_err)
    }

    /// Left join on key column(s) (a name or an array of names); keys of `other` must be unique.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let a = c.select(["POLYID", "CRIME"]);
    /// let b = c.select(["POLYID", "INC"]);
    /// let both = a.join(b, "POLYID");
    /// ```
    #[rhai_fn(name = "join", return_raw, pure)]
    pub fn frame_join(f: &mut SFrame, other: SFrame, keys: Dynamic) -> RResult<SFrame> {
        let k = values_of(&keys)?;
        f.0.join(&other.0, &k).map(|g| SFrame(Arc::new(g))).map_err(core_err)
    }

    /// Descriptive statistics (obs, mean, sd with n − 1, min, max) of the named columns.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// print(c.describe(["CRIME", "INC", "HOVAL"]));
    /// ```
    #[rhai_fn(name = "describe", return_raw, pure)]
    pub fn frame_describe(f: &mut SFrame, names: Array) -> RResult<STable> {
        let n = to_strings(&names, "describe")?;
        crate::data::render::describe(&f.0, &n)
            .map(|t| STable(Arc::new(t)))
            .map_err(core_err)
    }

    /// Descriptive statistics of panel variables (the paper's Table 2).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.describe(["gsp", "unemp"]));
    /// ```
    #[rhai_fn(name = "describe", return_raw, pure)]
    pub fn panel_describe(p: &mut SPanel, names: Array) -> RResult<STable> {
        let n = to_strings(&names, "describe")?;
        crate::data::render::describe(p.0.frame(), &n)
            .map(|t| STable(Arc::new(t)))
            .map_err(core_err)
    }

    /// A balanced panel keyed by `id` and `time`, sorted time-slow; duplicate or missing
    /// (id, time) pairs, and empty id or time cells, are an error that names them. Ids and
    /// periods are compared as written (001 and 1 are two units). Periods are ordered
    /// numerically when all are numbers, otherwise naturally with digit runs as numbers
    /// (t1, t2, t10; 2000q1, 2000q2).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn panel(f: SFrame, id: &str, time: &str) -> RResult<SPanel> {
        // A frame no other variable holds (panel(read_csv(...), ...)) is reordered in place.
        match Arc::try_unwrap(f.0) {
            Ok(frame) => Panel::from_frame(frame, id, time),
            Err(shared) => Panel::new(&shared, id, time),
        }
        .map(|p| SPanel(Arc::new(p)))
        .map_err(core_err)
    }

    /// Number of units N.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.n);
    /// ```
    #[rhai_fn(get = "n", pure)]
    pub fn panel_n(p: &mut SPanel) -> INT {
        p.0.n() as INT
    }

    /// Number of periods T.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.t);
    /// ```
    #[rhai_fn(get = "t", pure)]
    pub fn panel_t(p: &mut SPanel) -> INT {
        p.0.t() as INT
    }

    /// Unit ids in panel order.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.ids());
    /// ```
    #[rhai_fn(name = "ids", pure)]
    pub fn panel_ids(p: &mut SPanel) -> Array {
        from_strings(p.0.ids())
    }

    /// Periods in ascending order (numeric, or natural for labels: t2 before t10).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.times());
    /// ```
    #[rhai_fn(name = "times", pure)]
    pub fn panel_times(p: &mut SPanel) -> Array {
        from_strings(p.0.times())
    }

    /// Column names of the panel.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.names());
    /// ```
    #[rhai_fn(name = "names", pure)]
    pub fn panel_names(p: &mut SPanel) -> Array {
        from_strings(p.0.frame().names())
    }

    /// Number of rows N·T.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(p.nrows());
    /// ```
    #[rhai_fn(name = "nrows", pure)]
    pub fn panel_nrows(p: &mut SPanel) -> INT {
        p.0.frame().nrows() as INT
    }

    /// A variable stacked time-slow: `p["y"]`. For arithmetic on columns use `p.compute(expr)`
    /// or `p.mutate(name, expr)` (`+` on arrays joins them).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let gsp = p["gsp"];
    /// ```
    #[rhai_fn(index_get, return_raw, pure)]
    pub fn panel_index(p: &mut SPanel, name: &str) -> RResult<Array> {
        p.0.frame().column(name).map(column_to_array).map_err(core_err)
    }

    /// A variable stacked time-slow.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let gsp = p.column("gsp");
    /// ```
    #[rhai_fn(name = "column", return_raw, pure)]
    pub fn panel_column(p: &mut SPanel, name: &str) -> RResult<Array> {
        panel_index(p, name)
    }

    /// The panel's rows as a Frame.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let f = p.frame();
    /// ```
    #[rhai_fn(name = "frame", pure)]
    pub fn panel_frame(p: &mut SPanel) -> SFrame {
        SFrame(Arc::new(p.0.frame().clone()))
    }

    /// A new panel with a column added or replaced (values in panel row order).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let p2 = p.with_column("lgsp", log(p["gsp"]));
    /// ```
    #[rhai_fn(name = "with_column", return_raw, pure)]
    pub fn panel_with_column(p: &mut SPanel, name: &str, values: Array) -> RResult<SPanel> {
        let f =
            p.0.frame()
                .with_column(name, array_to_column(&values))
                .map_err(core_err)?;
        p.0.with_frame(f).map(|q| SPanel(Arc::new(q))).map_err(core_err)
    }

    /// The rows whose `column` equals `value` (or one of an array of values), which must be
    /// whole units or whole periods so that the panel stays balanced: a column constant within
    /// units (the id, a region) keeps those units, the time column (or a column constant
    /// within periods) keeps those periods. A column that changes within a unit is an error
    /// that says how to keep single rows (filter `p.frame()`, then `balance`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let south = p.filter("region", [5, 6, 7]);
    /// let seventies = p.filter("time", [1970, 1971, 1972, 1973, 1974, 1975, 1976, 1977, 1978, 1979]);
    /// print(`${south.n} units, ${seventies.t} periods`);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn panel_filter(p: &mut SPanel, column: &str, value: Dynamic) -> RResult<SPanel> {
        let vals = values_of(&value)?;
        p.0.filter_keys(column, &vals, false)
            .map(|q| SPanel(Arc::new(q)))
            .map_err(core_err)
    }

    /// The rows whose `column` is none of `value` (a value or an array of values): the
    /// complement of `p.filter(column, value)`, with the same rule (whole units or whole
    /// periods); rows with a missing cell are kept.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let lower48 = p.exclude("id", ["ALABAMA", "TEXAS"]);
    /// print(lower48.n);
    /// ```
    #[rhai_fn(name = "exclude", return_raw, pure)]
    pub fn panel_exclude(p: &mut SPanel, column: &str, value: Dynamic) -> RResult<SPanel> {
        let vals = values_of(&value)?;
        p.0.filter_keys(column, &vals, true)
            .map(|q| SPanel(Arc::new(q)))
            .map_err(core_err)
    }

    /// `p.filter` with options: `#{not: true}` keeps the rows whose column is none of `value`
    /// (as `p.exclude`); `#{not: false}` is `p.filter(column, value)`.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let rest = p.filter("region", [5, 6, 7], #{not: true});
    /// print(rest.n);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn panel_filter_opts(p: &mut SPanel, column: &str, value: Dynamic, opts: Map) -> RResult<SPanel> {
        let o = Opts::new(&opts, "filter", &["not"])?;
        if o.bool("not")?.unwrap_or(false) {
            panel_exclude(p, column, value)
        } else {
            panel_filter(p, column, value)
        }
    }

    /// The rows of a panel for which `predicate(row)` is true (`row` maps each column to the
    /// row's value, as for a Frame). The rows kept must be whole units (the predicate is the
    /// same in every period of a unit) or whole periods (the same for every unit of a period),
    /// so that the panel stays balanced; otherwise the error names a unit kept in one period
    /// and dropped in another and says how to keep single rows: filter `p.frame()`, then
    /// `balance(f, id, time, "drop_units")` and build the panel again.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let late = p.filter(|row| row.time >= 1980);
    /// let no_south = p.filter(|row| !(row.region == 5 || row.region == 6));
    /// print(`${late.t} periods, ${no_south.n} units`);
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn panel_filter_predicate(ctx: NativeCallContext, p: &mut SPanel, predicate: FnPtr) -> RResult<SPanel> {
        let keep = predicate_mask(&ctx, p.0.frame(), &predicate)?;
        p.0.keep_rows(&keep, "the predicate")
            .map(|q| SPanel(Arc::new(q)))
            .map_err(core_err)
    }

    /// The value `k` periods earlier within each unit (k < 0: later; NaN where undefined). With
    /// integer periods (years) the lag follows the calendar, as Stata's `L.`: with a gap
    /// (1970, 1972) the lag of 1972 is NaN, not 1970's value; quarters and months written with
    /// the year first (2001Q1, 2001m1, 2001-01) follow their calendar the same way. With other
    /// labelled periods it is the previous period in the panel's order.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let gsp_l2 = p.lag("gsp", 2);
    /// ```
    #[rhai_fn(name = "lag", return_raw, pure)]
    pub fn panel_lag(p: &mut SPanel, name: &str, k: INT) -> RResult<Array> {
        p.0.lag(name, k).map(|v| from_f64s(&v)).map_err(core_err)
    }

    /// The value one period earlier within each unit (NaN in the first period and, with integer
    /// periods, after a gap: 1972's lag is NaN when 1971 is absent, as Stata's `L.`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let gsp_l1 = p.lag("gsp");
    /// ```
    #[rhai_fn(name = "lag", return_raw, pure)]
    pub fn panel_lag1(p: &mut SPanel, name: &str) -> RResult<Array> {
        panel_lag(p, name, 1)
    }

    /// First difference within each unit (NaN in the first period and after a gap in integer
    /// periods, as `lag`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let d_unemp = p.diff("unemp");
    /// ```
    #[rhai_fn(name = "diff", return_raw, pure)]
    pub fn panel_diff(p: &mut SPanel, name: &str) -> RResult<Array> {
        p.0.diff(name).map(|v| from_f64s(&v)).map_err(core_err)
    }

    /// Growth rate x_t / x_{t−1} − 1 within each unit (NaN in the first period, after a gap in
    /// calendar periods, as `lag`, and after a zero x_{t−1}: never ±inf).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let g = p.growth("gsp");
    /// ```
    #[rhai_fn(name = "growth", return_raw, pure)]
    pub fn panel_growth(p: &mut SPanel, name: &str) -> RResult<Array> {
        p.0.growth(name).map(|v| from_f64s(&v)).map_err(core_err)
    }

    /// Natural log of each element, as R's and Stata's `log` (NaN for non-positive values).
    /// Note: Rhai's `log` of a single number is base 10; use `x.ln()` for one number.
    /// ```rhai
    /// let l = log([1.0, 10.0, 100.0]);
    /// ```
    #[rhai_fn(name = "log", return_raw)]
    pub fn log_array(x: Array) -> RResult<Array> {
        Ok(from_f64s(
            &to_f64s(&x, "log")?.iter().map(|v| v.ln()).collect::<Vec<_>>(),
        ))
    }

    /// Natural log of each element (same as `log` of an array).
    /// ```rhai
    /// let l = ln([1.0, 2.0, 4.0]);
    /// ```
    #[rhai_fn(name = "ln", return_raw)]
    pub fn ln_array(x: Array) -> RResult<Array> {
        log_array(x)
    }

    /// e to the power of each element.
    /// ```rhai
    /// let e = exp([0.0, 1.0]);
    /// ```
    #[rhai_fn(name = "exp", return_raw)]
    pub fn exp_array(x: Array) -> RResult<Array> {
        Ok(from_f64s(
            &to_f64s(&x, "exp")?.iter().map(|v| v.exp()).collect::<Vec<_>>(),
        ))
    }

    /// Element-wise a / b; a zero or missing denominator gives NaN.
    /// ```rhai
    /// let r = ratio([1.0, 2.0], [4.0, 0.0]);   // [0.25, NaN]
    /// ```
    #[rhai_fn(name = "ratio", return_raw)]
    pub fn ratio(a: Array, b: Array) -> RResult<Array> {
        ratio_scaled(a, b, 1.0)
    }

    /// Element-wise scale · a / b (scale 100 for percent).
    /// ```rhai
    /// let pct = ratio([1.0, 2.0], [4.0, 8.0], 100.0);   // [25.0, 25.0]
    /// ```
    #[rhai_fn(name = "ratio", return_raw)]
    pub fn ratio_scaled(a: Array, b: Array, scale: FLOAT) -> RResult<Array> {
        let (x, y) = (to_f64s(&a, "ratio")?, to_f64s(&b, "ratio")?);
        if x.len() != y.len() {
            return Err(script_err(format!(
                "ratio: arrays differ in length ({} vs {})",
                x.len(),
                y.len()
            )));
        }
        Ok(from_f64s(&vector::ratio(&x, &y, scale)))
    }

    /// Arithmetic mean of an array (NaN if any element is NaN).
    /// ```rhai
    /// print(mean([1.0, 2.0, 6.0]));   // 3.0
    /// ```
    #[rhai_fn(name = "mean", return_raw)]
    pub fn mean(x: Array) -> RResult<FLOAT> {
        Ok(vector::mean(&to_f64s(&x, "mean")?))
    }

    /// Sample standard deviation (divisor n − 1).
    /// ```rhai
    /// print(sd([1.0, 2.0, 3.0]));   // 1.0
    /// ```
    #[rhai_fn(name = "sd", return_raw)]
    pub fn sd(x: Array) -> RResult<FLOAT> {
        Ok(vector::sd(&to_f64s(&x, "sd")?))
    }

    /// Sum of an array.
    /// ```rhai
    /// print(sum([1, 2, 3.5]));   // 6.5
    /// ```
    #[rhai_fn(name = "sum", return_raw)]
    pub fn sum(x: Array) -> RResult<FLOAT> {
        Ok(to_f64s(&x, "sum")?.iter().sum())
    }

    /// Element-wise a − b.
    /// ```rhai
    /// let d = minus([3.0, 2.0], [1.0, 0.5]);   // [2.0, 1.5]
    /// ```
    #[rhai_fn(name = "minus", return_raw)]
    pub fn minus(a: Array, b: Array) -> RResult<Array> {
        let (x, y) = (to_f64s(&a, "minus")?, to_f64s(&b, "minus")?);
        if x.len() != y.len() {
            return Err(script_err(format!(
                "minus: arrays differ in length ({} vs {})",
                x.len(),
                y.len()
            )));
        }
        Ok(from_f64s(&x.iter().zip(&y).map(|(p, q)| p - q).collect::<Vec<_>>()))
    }

    /// Largest absolute element-wise difference |a − b| (NaN-aware: NaN in the same places counts as equal).
    /// ```rhai
    /// print(max_abs_diff([1.0, 2.0], [1.5, 2.0]));   // 0.5
    /// ```
    #[rhai_fn(name = "max_abs_diff", return_raw)]
    pub fn max_abs_diff(a: Array, b: Array) -> RResult<FLOAT> {
        let (x, y) = (to_f64s(&a, "max_abs_diff")?, to_f64s(&b, "max_abs_diff")?);
        if x.len() != y.len() {
            return Err(script_err(format!(
                "max_abs_diff: arrays differ in length ({} vs {})",
                x.len(),
                y.len()
            )));
        }
        Ok(x.iter()
            .zip(&y)
            .map(|(p, q)| {
                if p.is_nan() && q.is_nan() {
                    0.0
                } else if p.is_nan() || q.is_nan() {
                    f64::INFINITY
                } else {
                    (p - q).abs()
                }
            })
            .fold(0.0, f64::max))
    }

    /// The text key of an id, period or group value, written as the core writes keys
    /// (`Frame::keys`): text trimmed of blanks, an integral number without a decimal point
    /// (`2001.0` → "2001"), any other number in its shortest exact form. `p.ids()`,
    /// `p.times()`, `group_keys` and the map `fit_by` returns use these keys, so
    /// `models[key_text(v)]` finds the group of a numeric value `v`.
    /// ```rhai
    /// assert(key_text(2001.0) == "2001" && key_text(7) == "7" && key_text(" C01 ") == "C01", "keys");
    /// ```
    #[rhai_fn(name = "key_text", return_raw)]
    pub fn key_text(value: Dynamic) -> RResult<String> {
        dyn_to_key(&value).ok_or_else(|| {
            script_err(format!(
                "key_text: expected a string or a number, got {}",
                value.type_name()
            ))
        })
    }

    /// Stata's `xtsum` of panel variables: for each variable the rows overall (with the mean,
    /// N observations, n units and T-bar = N / n), between (the unit means x̄_i) and within
    /// (x_it − x̄_i + x̄), each with Std. dev. (n − 1 divisor), Min and Max. Missing values are
    /// skipped.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(xtsum(p, ["gsp", "unemp"]));
    /// ```
    #[rhai_fn(name = "xtsum", return_raw)]
    pub fn panel_xtsum(p: SPanel, vars: Array) -> RResult<STable> {
        let n = to_strings(&vars, "xtsum")?;
        crate::data::xtsum::xtsum(&p.0, &n)
            .map(|t| STable(Arc::new(t)))
            .map_err(core_err)
    }

    /// Listwise deletion: the rows of a frame with no missing value (NaN, empty text, NA or .)
    /// in any of `columns`, and prints what it dropped:
    /// `drop_missing: dropped 3 of 48 rows (missing in: CRIME 2, INC 1)`. Panels are balanced:
    /// drop rows of `p.frame()`, then build the panel again (or use `filter`).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let complete = drop_missing(c, ["CRIME", "INC"]);
    /// ```
    #[rhai_fn(name = "drop_missing", return_raw)]
    pub fn frame_drop_missing(f: SFrame, columns: Array) -> RResult<SFrame> {
        let cols = to_strings(&columns, "drop_missing")?;
        let (g, counts) = f.0.drop_missing(&cols).map_err(core_err)?;
        let dropped = f.0.nrows() - g.nrows();
        let mut line = format!("drop_missing: dropped {dropped} of {} rows", f.0.nrows());
        if !counts.is_empty() {
            let parts: Vec<String> = counts.iter().map(|(c, k)| format!("{c} {k}")).collect();
            line += &format!(" (missing in: {})", parts.join(", "));
        }
        crate::script::print_line(&line);
        Ok(SFrame(Arc::new(g)))
    }

    /// Listwise deletion over every column (see `drop_missing(f, columns)`).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let complete = drop_missing(c);
    /// ```
    #[rhai_fn(name = "drop_missing", return_raw)]
    pub fn frame_drop_missing_all(f: SFrame) -> RResult<SFrame> {
        frame_drop_missing(f, Array::new())
    }

    /// Rows whose column `name` is none of `value` (a value or an array of values): the
    /// complement of `filter`; rows with a missing cell are kept.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let rest = c.exclude("POLYID", [1, 2, 3]);
    /// ```
    #[rhai_fn(name = "exclude", return_raw, pure)]
    pub fn frame_exclude(f: &mut SFrame, name: &str, value: Dynamic) -> RResult<SFrame> {
        let vals = values_of(&value)?;
        f.0.exclude_keys(name, &vals)
            .map(|g| SFrame(Arc::new(g)))
            .map_err(core_err)
    }

    /// `filter` with options: `#{not: true}` keeps the rows whose column `name` is none of
    /// `value` (as `exclude`); `#{not: false}` is `filter(name, value)`.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let rest = c.filter("POLYID", [1, 2, 3], #{not: true});
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn frame_filter_opts(f: &mut SFrame, name: &str, value: Dynamic, opts: Map) -> RResult<SFrame> {
        let o = Opts::new(&opts, "filter", &["not"])?;
        if o.bool("not")?.unwrap_or(false) {
            frame_exclude(f, name, value)
        } else {
            frame_filter(f, name, value)
        }
    }

    /// The rows for which `predicate(row)` is true; `row` is a map from column name to the
    /// row's value (as in `f["name"]`). Use `!` in the predicate to exclude. A predicate that
    /// does not return true or false is an error.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let rich_safe = c.filter(|row| row.INC > 15.0 && !(row.CRIME > 40.0));
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn frame_filter_predicate(ctx: NativeCallContext, f: &mut SFrame, predicate: FnPtr) -> RResult<SFrame> {
        let keep = predicate_mask(&ctx, &f.0, &predicate)?;
        let rows: Vec<usize> = (0..keep.len()).filter(|&r| keep[r]).collect();
        Ok(SFrame(Arc::new(f.0.take(&rows))))
    }

    /// Balances long panel data: `"drop_units"` keeps the units observed in every period,
    /// `"drop_periods"` keeps the periods in which every unit is observed, so that every kept
    /// unit has every kept period exactly once (rows ordered by unit, then period) and `panel`
    /// accepts the result. Prints what it dropped, e.g. `balance: dropped 3 of 48 units (ids: 4,
    /// 17, 22) missing some of the 17 periods`. A duplicate (id, time) pair is an error naming
    /// both rows; if nothing is left the error suggests the other mode.
    /// ```rhai
    /// let f = read_csv("examples/data/produc/data.csv");
    /// let gappy = f.filter(|row| !(row.id == "ALABAMA" && row.time == 1975));
    /// let b = balance(gappy, "id", "time", "drop_units");
    /// let p = panel(b, "id", "time");
    /// ```
    #[rhai_fn(name = "balance", return_raw)]
    pub fn frame_balance(f: SFrame, id: &str, time: &str, mode: &str) -> RResult<SFrame> {
        use crate::data::balance::{balance, balance_report, BalanceMode};
        let m = match mode {
            "drop_units" => BalanceMode::DropUnits,
            "drop_periods" => BalanceMode::DropPeriods,
            _ => {
                return Err(script_err(format!(
                    "balance: unknown mode '{mode}'; use \"drop_units\" or \"drop_periods\""
                )))
            }
        };
        let b = balance(&f.0, id, time, m).map_err(core_err)?;
        crate::script::print_line(&balance_report(&b, m));
        Ok(SFrame(Arc::new(b.frame)))
    }
}

rhai::def_package! {
    /// The Frame and Panel types and the data functions.
    pub DataPackage(lib) {
        super::export::register_exportable::<SFrame>(
            lib,
            "Frame",
            "let x = read_csv(\"examples/data/columbus/data.csv\");",
        );
        super::export::register_exportable::<SPanel>(
            lib,
            "Panel",
            "let x = panel(read_csv(\"examples/data/produc/data.csv\"), \"id\", \"time\");",
        );
        rhai::combine_with_exported_module!(lib, "data", data_fns);
        without_options! { lib;
            /// Reads a CSV file with a header row into a Frame. Numeric columns are inferred; "", "NA"
            /// and "." are missing (NaN), and so is every spelling of a non-finite number (inf, -inf,
            /// Inf, Infinity, NaN, any case), so estimators refuse it by name; other columns are text.
            /// Ids and periods keep the text written in the file (001 and 1 are two units;
            /// 12345678901234567 and 12E4 stay as written, also in saved frames). A byte-order mark is
            /// skipped; a quote that is never closed is an error naming the line where it opened; a
            /// semicolon-separated file needs `#{delimiter: ";"}` (the error says so).
            /// ```rhai
            /// let f = read_csv("examples/data/citycluster/city_year.csv");
            /// ```
            read_csv(path: &str) -> SFrame = data_fns::read_csv_opts;
        }
    }
}
