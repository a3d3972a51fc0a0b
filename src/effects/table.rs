//! Rendering of the effects: description, report tables and JSON.

use super::{EffectRow, Effects, Method, Mode};
use crate::report::table::{fmt_num, fmt_stat, stars_for, stat_cells, Cell, Table};

impl Effects {
    /// Name of the statistic: `"t"` in mode `elhorst`, else `"z"`.
    pub fn stat_name(&self) -> &'static str {
        if self.method == Method::Simulation && self.mode == Mode::Elhorst {
            "t"
        } else {
            "z"
        }
    }

    /// A one-line description of the inference.
    pub fn describe(&self) -> String {
        match self.method {
            Method::Delta => "delta method (full covariance); estimates at the MLE".into(),
            Method::Simulation => {
                let seed = self.seed.map(|s| s.to_string()).unwrap_or_default();
                let head = format!("simulation, {} draws (seed {seed}), SE = sd of draws", self.draws);
                let tail = match self.mode {
                    Mode::Spillover => "estimates at the MLE, z = estimate/SE".to_string(),
                    Mode::Elhorst => "estimates = mean of draws, t = mean/SE (Elhorst)".to_string(),
                    Mode::Sdpdmod => "estimates = mean of draws, t = mean/SE, no draw rejected (SDPDmod)".to_string(),
                    Mode::Spatialreg => "estimates at the MLE, z = mean of draws/SE (spatialreg)".to_string(),
                };
                let mut s = format!("{head}; {tail}");
                if self.redrawn > 0 {
                    s.push_str(&format!("; {} draws re-drawn (rho outside the interval)", self.redrawn));
                }
                if let Some(d) = self.dynamic.as_deref().filter(|d| d.unstable_redrawn > 0) {
                    s.push_str(&format!("; {} draws re-drawn (unstable process)", d.unstable_redrawn));
                }
                if self.discarded > 0 {
                    s.push_str(&format!(
                        "; {} draws discarded (rho outside the interval), {} kept",
                        self.discarded, self.kept
                    ));
                }
                s
            }
        }
    }

    /// The paper's Table 6: variables down; direct, indirect, total across; each cell
    /// "estimate*** (standard error)", the convention of every coefficient table (`compare`'s
    /// default), stated in the first note; stars from the z (or t) statistic's p-value.
    pub fn to_table(&self) -> Table {
        let cols = ["Variable", "Direct", "Indirect", "Total"];
        let title = if self.dynamic.is_some() {
            "Short-run and long-run direct, indirect and total effects"
        } else {
            "Direct, indirect and total effects"
        };
        let mut t = Table::new(
            format!("{title} ({})", self.kind.name().to_uppercase()),
            cols.iter().map(|c| c.to_string()).collect(),
        );
        let cell = |r: &EffectRow| {
            Cell::Text(format!(
                "{}{} ({})",
                fmt_num(r.estimate, 4),
                stars_for(r.z, r.p),
                fmt_stat(r.std_error, 4)
            ))
        };
        let mut block = |label: Option<&str>, [d, ind, tot]: [&[EffectRow]; 3]| {
            if let Some(label) = label {
                t.push(vec![
                    label.to_string().into(),
                    "".to_string().into(),
                    "".to_string().into(),
                    "".to_string().into(),
                ]);
            }
            for (i, name) in self.names.iter().enumerate() {
                t.push(vec![name.clone().into(), cell(&d[i]), cell(&ind[i]), cell(&tot[i])]);
            }
        };
        match self.dynamic.as_deref() {
            None => block(None, [&self.direct, &self.indirect, &self.total]),
            Some(dy) => {
                block(Some("Short run"), [&self.direct, &self.indirect, &self.total]);
                if let Some(lr) = &dy.long {
                    block(Some("Long run"), [&lr.direct, &lr.indirect, &lr.total]);
                }
            }
        }
        if let Some(dy) = self.dynamic.as_deref() {
            t.note(format!(
                "spectral radius of S^-1(tau I + eta W) = {:.6}",
                dy.spectral_radius
            ));
        }
        t.note(format!("Standard errors in parentheses; {}", self.describe()));
        t.note("*** p<0.01, ** p<0.05, * p<0.1");
        for w in &self.warnings {
            t.note(format!("warning: {w}"));
        }
        t
    }

    /// Long table for CSV: variable, effect, estimate, std_error, z, p.
    pub fn to_long_table(&self) -> Table {
        let cols = ["variable", "effect", "estimate", "std_error", self.stat_name(), "p"];
        let mut t = Table::new(
            format!("Effects ({})", self.kind.name().to_uppercase()),
            cols.iter().map(|c| c.to_string()).collect(),
        );
        for (i, name) in self.names.iter().enumerate() {
            for (label, rows) in self.all_groups() {
                let r = rows[i];
                let mut row = vec![
                    name.clone().into(),
                    label.into(),
                    Cell::Num(r.estimate),
                    Cell::Num(r.std_error),
                ];
                row.extend(stat_cells(r.z, r.p));
                t.push(row);
            }
        }
        t.decimals = 6;
        t
    }

    /// The groups of the long table: direct, indirect, total; for a dynamic model the short run
    /// labelled `short_direct`, … and the long run (when reported) `long_direct`, ….
    fn all_groups(&self) -> Vec<(&'static str, &[EffectRow])> {
        match self.dynamic.as_deref() {
            None => self.groups().to_vec(),
            Some(dy) => {
                let mut g: Vec<(&'static str, &[EffectRow])> = vec![
                    ("short_direct", &self.direct),
                    ("short_indirect", &self.indirect),
                    ("short_total", &self.total),
                ];
                if let Some(lr) = &dy.long {
                    g.extend([
                        ("long_direct", &lr.direct[..]),
                        ("long_indirect", &lr.indirect[..]),
                        ("long_total", &lr.total[..]),
                    ]);
                }
                g
            }
        }
    }

    /// Direct, indirect and total rows (for a dynamic model the short run).
    pub(super) fn groups(&self) -> [(&'static str, &[EffectRow]); 3] {
        [
            ("direct", &self.direct),
            ("indirect", &self.indirect),
            ("total", &self.total),
        ]
    }

    /// The JSON form of API.md (its [`serde::Serialize`] form) as a value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Every effect of the regressors `vars` (all when None) with its normal confidence
    /// interval at `level` ([`EffectRow::interval`]): `("x: direct", estimate, low, high)`, in
    /// the order of the regressors, direct, indirect, total. A name of `vars` that is not a
    /// regressor is an error listing the regressors.
    pub fn interval_rows(&self, level: f64, vars: Option<&[String]>) -> crate::Result<Vec<(String, f64, f64, f64)>> {
        if let Some(bad) = vars.and_then(|v| v.iter().find(|n| !self.names.contains(n))) {
            return Err(crate::Error::invalid(format!(
                "no regressor '{bad}'; regressors: {}",
                self.names.join(", ")
            )));
        }
        let mut rows = Vec::new();
        for (k, name) in self.names.iter().enumerate() {
            if vars.is_some_and(|v| !v.contains(name)) {
                continue;
            }
            for (what, effects) in self.groups() {
                let r = &effects[k];
                let (lo, hi) = r.interval(level)?;
                rows.push((format!("{name}: {what}"), r.estimate, lo, hi));
            }
        }
        Ok(rows)
    }
}

/// The JSON form of API.md: `method`, `draws`, `seed`, and `direct`/`indirect`/`total`, each a
/// map regressor → {estimate, std_error, z, p, point, mean}; also `model`, `mode`, `kept`,
/// `redrawn`, `discarded`, `engine`, `variables`, `warnings`.
impl serde::Serialize for Effects {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// One group of effects as a map regressor → row.
        struct ByName<'a>(&'a [String], &'a [EffectRow]);
        impl serde::Serialize for ByName<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().zip(self.1))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", self.kind.name())?;
        m.serialize_entry("method", self.method.name())?;
        m.serialize_entry("mode", self.mode.name())?;
        m.serialize_entry("draws", &self.draws)?;
        m.serialize_entry("kept", &self.kept)?;
        m.serialize_entry("seed", &self.seed)?;
        m.serialize_entry("redrawn", &self.redrawn)?;
        m.serialize_entry("discarded", &self.discarded)?;
        m.serialize_entry("engine", self.engine)?;
        m.serialize_entry("variables", &self.names)?;
        m.serialize_entry("warnings", &self.warnings)?;
        for (label, rows) in self.groups() {
            m.serialize_entry(label, &ByName(&self.names, rows))?;
        }
        if let Some(dy) = self.dynamic.as_deref() {
            /// One block: direct, indirect, total, each a map regressor → row.
            struct Block<'a>(&'a [String], [&'a [EffectRow]; 3]);
            impl serde::Serialize for Block<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                    let mut m = s.serialize_map(Some(3))?;
                    for (label, rows) in ["direct", "indirect", "total"].into_iter().zip(self.1) {
                        m.serialize_entry(label, &ByName(self.0, rows))?;
                    }
                    m.end()
                }
            }
            m.serialize_entry(
                "short",
                &Block(&self.names, [&self.direct, &self.indirect, &self.total]),
            )?;
            match &dy.long {
                Some(lr) => m.serialize_entry("long", &Block(&self.names, [&lr.direct, &lr.indirect, &lr.total]))?,
                None => m.serialize_entry("long", &())?,
            }
            m.serialize_entry("long_refused", &dy.refused)?;
            m.serialize_entry("spectral_radius", &dy.spectral_radius)?;
            m.serialize_entry("unstable_redrawn", &dy.unstable_redrawn)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_table().to_text())
    }
}
