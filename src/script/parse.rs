//! Option text → the core's typed options: `FromStr` for every option enum (API.md
//! "Conventions"). The core never matches option text; it takes these enums and prints them
//! with their `name()`. Every error lists the valid values (and, for the effects options and
//! `lndet`, the closest one as a "did you mean").
//!
//! Rust callers without the `script` feature build the enums directly.

use crate::effects::{Method, Mode, TraceEngine};
use crate::error::{closest, Error};
use crate::indices::agglomeration::{JacobsKind, MarKind, MissingSector};
use crate::indices::resilience::ResilienceKind;
use crate::linalg::logdet::{LogDetMethod, LOGDET_METHODS};
use crate::models::fe_tests::FeDf;
use crate::models::ml::{BiasCorrection, Information, LagOrder};
use crate::models::result::ModelKind;
use crate::models::within::Fe;
use crate::weights::contiguity::Rule;
use crate::weights::economic::EconForm;
use crate::weights::points::Metric;
use crate::weights::Standardization;
use std::str::FromStr;

/// "unknown {option} \"{got}\" (did you mean \"..\"?); valid: \"a\", \"b\"", prefixed by
/// `prefix` (e.g. "effects: ").
fn unknown_with_hint(prefix: &str, option: &str, got: &str, valid: &[&str]) -> Error {
    let hint = closest(got, valid.iter().copied())
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default();
    let list: Vec<String> = valid.iter().map(|v| format!("\"{v}\"")).collect();
    Error::invalid(format!(
        "{prefix}unknown {option} \"{got}\"{hint}; valid: {}",
        list.join(", ")
    ))
}

impl FromStr for Fe {
    type Err = Error;
    /// `"none"` (alias `"pooled"`), `"individual"` (`"unit"`, `"spatial"`), `"time"`,
    /// `"twoways"` (`"twoway"`, `"two-way"`).
    fn from_str(s: &str) -> Result<Fe, Error> {
        match s {
            "none" | "pooled" => Ok(Fe::None),
            "individual" | "unit" | "spatial" => Ok(Fe::Individual),
            "time" => Ok(Fe::Time),
            "twoways" | "twoway" | "two-way" => Ok(Fe::TwoWays),
            _ => Err(Error::invalid(format!(
                "unknown fe '{s}'; valid: \"none\", \"individual\", \"time\", \"twoways\""
            ))),
        }
    }
}

impl FromStr for ModelKind {
    type Err = Error;
    /// `"ols"`, `"sar"` (`"slm"`, `"lag"`), `"sem"` (`"error"`), `"sdm"` (`"durbin"`), `"sdem"`,
    /// `"slx"`, in any case.
    fn from_str(s: &str) -> Result<ModelKind, Error> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ols" => ModelKind::Ols,
            "sar" | "slm" | "lag" => ModelKind::Sar,
            "sem" | "error" => ModelKind::Sem,
            "sdm" | "durbin" => ModelKind::Sdm,
            "sdem" => ModelKind::Sdem,
            "slx" => ModelKind::Slx,
            _ => {
                return Err(Error::invalid(format!(
                    "unknown model '{s}'; valid: \"ols\", \"sar\", \"sem\", \"sdm\", \"sdem\", \"slx\""
                )))
            }
        })
    }
}

impl FromStr for BiasCorrection {
    type Err = Error;
    /// `"none"`, `"elhorst"`, `"lee_yu"` (`"leeyu"`, `"lee-yu"`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "none" => Ok(Self::None),
            "elhorst" => Ok(Self::Elhorst),
            "lee_yu" | "leeyu" | "lee-yu" => Ok(Self::LeeYu),
            _ => Err(Error::invalid(format!(
                "unknown bias_correction '{s}'; valid: \"none\" (default), \"elhorst\", \"lee_yu\""
            ))),
        }
    }
}

impl FromStr for LagOrder {
    type Err = Error;
    /// `"lag_first"`, `"demean_first"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "lag_first" => Ok(Self::LagFirst),
            "demean_first" => Ok(Self::DemeanFirst),
            _ => Err(Error::invalid(format!(
                "unknown lag_order '{s}'; valid: \"lag_first\" (default), \"demean_first\""
            ))),
        }
    }
}

impl FromStr for Information {
    type Err = Error;
    /// `"elhorst"`, `"full"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "elhorst" => Ok(Self::Elhorst),
            "full" => Ok(Self::Full),
            _ => Err(Error::invalid(format!(
                "unknown information '{s}'; valid: \"elhorst\" (default), \"full\""
            ))),
        }
    }
}

impl FromStr for LogDetMethod {
    type Err = Error;
    /// One of [`LOGDET_METHODS`].
    fn from_str(s: &str) -> Result<Self, Error> {
        LogDetMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| unknown_with_hint("", "lndet", s, &LOGDET_METHODS))
    }
}

impl FromStr for Method {
    type Err = Error;
    /// `"simulation"` (`"sim"`) or `"delta"`, in any case.
    fn from_str(s: &str) -> Result<Method, Error> {
        match s.to_ascii_lowercase().as_str() {
            "simulation" | "sim" => Ok(Method::Simulation),
            "delta" => Ok(Method::Delta),
            _ => Err(unknown_with_hint("effects: ", "method", s, &["simulation", "delta"])),
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    /// `"spillover"` (`"default"`), `"elhorst"` or `"spatialreg"`, in any case.
    fn from_str(s: &str) -> Result<Mode, Error> {
        match s.to_ascii_lowercase().as_str() {
            "spillover" | "default" => Ok(Mode::Spillover),
            "elhorst" => Ok(Mode::Elhorst),
            "spatialreg" => Ok(Mode::Spatialreg),
            _ => Err(unknown_with_hint(
                "effects: ",
                "mode",
                s,
                &["spillover", "elhorst", "spatialreg"],
            )),
        }
    }
}

impl FromStr for TraceEngine {
    type Err = Error;
    /// `"auto"`, `"eigen"` (`"exact"`) or `"series"` (`"traces"`, `"trw"`), in any case.
    fn from_str(s: &str) -> Result<TraceEngine, Error> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(TraceEngine::Auto),
            "eigen" | "exact" => Ok(TraceEngine::Eigen),
            "series" | "traces" | "trw" => Ok(TraceEngine::Series),
            _ => Err(unknown_with_hint(
                "effects: ",
                "engine",
                s,
                &["auto", "eigen", "series"],
            )),
        }
    }
}

impl FromStr for FeDf {
    type Err = Error;
    /// The `df` option of the fixed-effects tests: `"N,T"` / `"elhorst"` or `"N-1,T-1"` /
    /// `"exact"` (spaces and case ignored; `/` for `,`).
    fn from_str(s: &str) -> Result<FeDf, Error> {
        let k: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        match k.as_str() {
            "n,t" | "n/t" | "elhorst" => Ok(FeDf::Elhorst),
            "n-1,t-1" | "n-1/t-1" | "exact" => Ok(FeDf::Exact),
            _ => Err(Error::invalid(format!(
                "unknown df '{s}' for the fixed-effects LR tests; valid: \"N,T\" (Elhorst, default), \"N-1,T-1\""
            ))),
        }
    }
}

impl FromStr for Standardization {
    type Err = Error;
    /// `"row"` (`"r"`, `"W"`), `"none"` (`"binary"`, `"B"`), `"spectral"`, `"minmax"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "row" | "r" | "W" => Ok(Self::Row),
            "none" | "binary" | "B" => Ok(Self::None),
            "spectral" => Ok(Self::Spectral),
            "minmax" => Ok(Self::MinMax),
            _ => Err(Error::invalid(format!(
                "unknown standardize '{s}'; valid: \"row\", \"none\", \"spectral\", \"minmax\""
            ))),
        }
    }
}

impl FromStr for Metric {
    type Err = Error;
    /// `"euclidean"` or `"haversine"` (`"arc"`, `"great_circle"`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "euclidean" => Ok(Self::Euclidean),
            "haversine" | "arc" | "great_circle" => Ok(Self::Haversine),
            _ => Err(Error::invalid(format!(
                "unknown metric '{s}'; valid: \"euclidean\", \"haversine\" (lon/lat in degrees, km)"
            ))),
        }
    }
}

impl FromStr for EconForm {
    type Err = Error;
    /// `"inverse"`, `"inverse_squared"`, `"exp"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "inverse" => Ok(Self::Inverse),
            "inverse_squared" => Ok(Self::InverseSquared),
            "exp" => Ok(Self::Exp),
            _ => Err(Error::invalid(format!(
                "unknown form '{s}'; valid: \"inverse\", \"inverse_squared\", \"exp\""
            ))),
        }
    }
}

impl FromStr for Rule {
    type Err = Error;
    /// `"queen"` or `"rook"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "queen" => Ok(Self::Queen),
            "rook" => Ok(Self::Rook),
            _ => Err(Error::invalid(format!(
                "unknown rule '{s}'; valid: \"queen\", \"rook\""
            ))),
        }
    }
}

impl FromStr for ResilienceKind {
    type Err = Error;
    /// `"growth_change"` or `"level_growth"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "growth_change" => Ok(Self::GrowthChange),
            "level_growth" => Ok(Self::LevelGrowth),
            _ => Err(Error::invalid(format!(
                "unknown kind '{s}'; valid: \"growth_change\" (growth-rate inputs, docs/methods.md §1.1 variant B), \
                 \"level_growth\" (GDP levels, variant A)"
            ))),
        }
    }
}

impl FromStr for MarKind {
    type Err = Error;
    /// `"max_lq"`, `"krugman"`, `"max_share"` or `"lq:SECTOR"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "max_lq" => Ok(Self::MaxLq),
            "krugman" => Ok(Self::Krugman),
            "max_share" => Ok(Self::MaxShare),
            _ => match s.strip_prefix("lq:") {
                Some(j) => Ok(Self::Lq(crate::data::key_of_text(j))),
                None => Err(Error::invalid(format!(
                    "unknown mar '{s}'; valid: \"max_lq\", \"krugman\", \"max_share\", \"lq:SECTOR\""
                ))),
            },
        }
    }
}

impl FromStr for JacobsKind {
    type Err = Error;
    /// `"rdi"`, `"rdi_squared"`, `"inverse_hhi"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "rdi" => Ok(Self::Rdi),
            "rdi_squared" => Ok(Self::RdiSquared),
            "inverse_hhi" => Ok(Self::InverseHhi),
            _ => Err(Error::invalid(format!(
                "unknown jacobs '{s}'; valid: \"rdi\", \"rdi_squared\", \"inverse_hhi\""
            ))),
        }
    }
}

impl FromStr for MissingSector {
    type Err = Error;
    /// `"missing"` (`"nan"`) or `"zero"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "missing" | "nan" => Ok(Self::Missing),
            "zero" => Ok(Self::Zero),
            _ => Err(Error::invalid(format!(
                "unknown missing_sector '{s}'; valid: \"missing\", \"zero\""
            ))),
        }
    }
}
