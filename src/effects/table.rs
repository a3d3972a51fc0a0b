//! Rendering of the effects: description, report tables and JSON.

use super::{EffectRow, Effects, Method, Mode};
use crate::report::table::{fmt_num, fmt_stat, num_json, stars_for, stat_cells, Cell, Table};

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
                    Mode::Spatialreg => "estimates at the MLE, z = mean of draws/SE (spatialreg)".to_string(),
                };
                let mut s = format!("{head}; {tail}");
                if self.redrawn > 0 {
                    s.push_str(&format!("; {} draws re-drawn (rho outside the interval)", self.redrawn));
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
    /// "estimate*** (z)".
    pub fn to_table(&self) -> Table {
        let cols = ["Variable", "Direct", "Indirect", "Total"];
        let mut t = Table::new(
            format!(
                "Direct, indirect and total effects ({})",
                self.kind.name().to_uppercase()
            ),
            cols.iter().map(|c| c.to_string()).collect(),
        );
        let cell = |r: &EffectRow| {
            Cell::Text(format!(
                "{}{} ({})",
                fmt_num(r.estimate, 4),
                stars_for(r.z, r.p),
                fmt_stat(r.z, 2)
            ))
        };
        for (i, name) in self.names.iter().enumerate() {
            t.push(vec![
                name.clone().into(),
                cell(&self.direct[i]),
                cell(&self.indirect[i]),
                cell(&self.total[i]),
            ]);
        }
        t.note(format!(
            "{} statistics in parentheses; {}",
            self.stat_name(),
            self.describe()
        ));
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
            for (label, rows) in self.groups() {
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

    fn groups(&self) -> [(&'static str, &[EffectRow]); 3] {
        [
            ("direct", &self.direct),
            ("indirect", &self.indirect),
            ("total", &self.total),
        ]
    }

    /// The JSON form of API.md: `method`, `draws`, `seed`, and `direct`/`indirect`/`total`,
    /// each a map regressor → {estimate, std_error, z, p} (plus `point` and `mean`); also
    /// `model`, `mode`, `kept`, `redrawn`, `discarded`, `engine`, `variables`, `warnings`.
    pub fn to_json_value(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let mut m = json!({
            "model": self.kind.name(),
            "method": self.method.name(),
            "mode": self.mode.name(),
            "draws": self.draws,
            "kept": self.kept,
            "seed": self.seed,
            "redrawn": self.redrawn,
            "discarded": self.discarded,
            "engine": self.engine,
            "variables": self.names,
            "warnings": self.warnings,
        });
        if let Value::Object(obj) = &mut m {
            for (label, rows) in self.groups() {
                let mut g = Map::new();
                for (name, r) in self.names.iter().zip(rows) {
                    g.insert(
                        name.clone(),
                        json!({"estimate": num_json(r.estimate), "std_error": num_json(r.std_error),
                               "z": num_json(r.z), "p": num_json(r.p),
                               "point": num_json(r.point), "mean": num_json(r.mean)}),
                    );
                }
                obj.insert(label.into(), Value::Object(g));
            }
        }
        m
    }
}

impl std::fmt::Display for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_table().to_text())
    }
}
