//! Option text → the core's typed options: `FromStr` for every option enum (API.md
//! "Conventions"). The core never matches option text; it takes these enums and prints them
//! with their `name()`. Every error lists the valid values (and, for the effects options and
//! `lndet`, the closest one as a "did you mean").
//!
//! Each enum is one `option_enum!` table: its option word, the accepted spellings of each
//! value (the first is the name the errors list) and how its error reads; `Words::parse`
//! does the look-up and builds the message for all of them.
//!
//! Rust callers without the `script` feature build the enums directly.

use crate::effects::{Method, Mode, TraceEngine};
use crate::error::{closest, Error};
use crate::indices::agglomeration::{JacobsKind, MarKind, MissingSector};
use crate::indices::resilience::ResilienceKind;
use crate::linalg::logdet::{LogDetMethod, LOGDET_METHODS};
use crate::models::fe_tests::FeDf;
use crate::models::ml::{
    BiasCorrection, DynamicCorrection, DynamicCovariance, Information, LagOrder, ReCovariance, ReErrors,
};
use crate::models::result::ModelKind;
use crate::models::within::Fe;
use crate::weights::contiguity::Rule;
use crate::weights::distance::Decay;
use crate::weights::economic::EconForm;
use crate::weights::nested::NestedForm;
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

/// How an option's text is compared with its spellings.
#[derive(Clone, Copy)]
enum Fold {
    /// To the letter.
    Exact,
    /// ASCII case ignored.
    AnyCase,
    /// Case and white space ignored.
    AnyCaseNoSpace,
}

/// One option enum's words and how its error reads. Built by `option_enum!`: `option` and
/// `values` from its table, the rest from its `field: value` settings over [`Words::new`].
struct Words<'a, T> {
    /// The option's word in errors ("fe", "model").
    option: &'a str,
    /// Per value: its spellings (the first is the name errors list) and a note shown after
    /// that name ("" for none), e.g. `"(default)"`.
    values: &'a [(T, &'a [&'a str], &'a str)],
    fold: Fold,
    /// Text between the quoted culprit and "; valid:" in the plain message.
    after: &'a str,
    /// `Some(prefix)`: the [`unknown_with_hint`] message (culprit in double quotes, a "did you
    /// mean"), prefixed by `prefix`; `None`: "unknown {option} '{got}'{after}; valid: ...".
    hint: Option<&'a str>,
    /// Valid forms listed after the values' names (e.g. `"lq:SECTOR"`).
    extra: &'a [&'a str],
    /// Parses what no spelling matches (e.g. `"lq:SECTOR"`).
    fallback: Option<fn(&str) -> Option<T>>,
}

impl<'a, T: Clone> Words<'a, T> {
    /// Exact spellings, the plain message.
    fn new(option: &'a str, values: &'a [(T, &'a [&'a str], &'a str)]) -> Self {
        Words {
            option,
            values,
            fold: Fold::Exact,
            after: "",
            hint: None,
            extra: &[],
            fallback: None,
        }
    }

    /// The value `s` spells, else the `fallback`'s, else the error listing the valid values.
    fn parse(&self, s: &str) -> Result<T, Error> {
        let key: String = match self.fold {
            Fold::AnyCaseNoSpace => s.chars().filter(|c| !c.is_whitespace()).collect(),
            Fold::Exact | Fold::AnyCase => s.to_string(),
        };
        let spells = |w: &&str| match self.fold {
            Fold::Exact => *w == key,
            Fold::AnyCase | Fold::AnyCaseNoSpace => w.eq_ignore_ascii_case(&key),
        };
        self.values
            .iter()
            .find(|(_, words, _)| words.iter().any(spells))
            .map(|(v, _, _)| v.clone())
            .or_else(|| self.fallback.and_then(|f| f(s)))
            .ok_or_else(|| self.unknown(s))
    }

    /// The error for `got`: names every valid value (with its note) and `extra`.
    fn unknown(&self, got: &str) -> Error {
        let named = self.values.iter().map(|(_, words, note)| (words[0], *note));
        let valid: Vec<(&str, &str)> = named.chain(self.extra.iter().map(|e| (*e, ""))).collect();
        if let Some(prefix) = self.hint {
            let names: Vec<&str> = valid.iter().map(|(name, _)| *name).collect();
            return unknown_with_hint(prefix, self.option, got, &names);
        }
        let list: Vec<String> = valid
            .iter()
            .map(|(name, note)| match *note {
                "" => format!("\"{name}\""),
                note => format!("\"{name}\" {note}"),
            })
            .collect();
        Error::invalid(format!(
            "unknown {} '{got}'{}; valid: {}",
            self.option,
            self.after,
            list.join(", ")
        ))
    }
}

/// `impl FromStr` for an option enum from its table:
///
/// ```text
/// /// doc of from_str
/// Enum: "option word" [, field: value]* ;   // Words settings: fold, after, hint, extra, fallback
///     Variant => "name" | "alias" ... [; "(note after the name in errors)"],
///     ...
/// ```
macro_rules! option_enum {
    (
        $(#[$doc:meta])*
        $T:ident: $option:literal $(, $field:ident: $value:expr)*;
        $($v:ident => $($word:literal)|+ $(; $note:literal)?),+ $(,)?
    ) => {
        impl FromStr for $T {
            type Err = Error;
            $(#[$doc])*
            fn from_str(s: &str) -> Result<Self, Error> {
                Words {
                    $($field: $value,)*
                    ..Words::<$T>::new(
                        $option,
                        &[$(($T::$v, &[$($word),+], concat!("" $(, $note)?))),+],
                    )
                }
                .parse(s)
            }
        }
    };
}

option_enum! {
    /// `"none"` (alias `"pooled"`), `"individual"` (`"unit"`, `"spatial"`), `"time"`,
    /// `"twoways"` (`"twoway"`, `"two-way"`), `"random"` (`"re"`: individual random effects).
    Fe: "fe";
    None => "none" | "pooled",
    Individual => "individual" | "unit" | "spatial",
    Time => "time",
    TwoWays => "twoways" | "twoway" | "two-way",
    Random => "random" | "re",
}

option_enum! {
    /// `"ols"`, `"sar"` (`"slm"`, `"lag"`), `"sem"` (`"error"`), `"sdm"` (`"durbin"`), `"sdem"`,
    /// `"slx"`, `"sac"` (`"sarar"`), in any case.
    ModelKind: "model", fold: Fold::AnyCase;
    Ols => "ols",
    Sar => "sar" | "slm" | "lag",
    Sem => "sem" | "error",
    Sdm => "sdm" | "durbin",
    Sdem => "sdem",
    Slx => "slx",
    Sac => "sac" | "sarar",
}

option_enum! {
    /// `"none"`, `"elhorst"`, `"lee_yu"` (`"leeyu"`, `"lee-yu"`).
    BiasCorrection: "bias_correction";
    None => "none"; "(default)",
    Elhorst => "elhorst",
    LeeYu => "lee_yu" | "leeyu" | "lee-yu",
}

option_enum! {
    /// Dynamic models: `"ydl"`, `"lee_yu_transform"`, `"lee_yu_direct"`, `"none"`.
    DynamicCorrection: "bias_correction";
    Ydl => "ydl"; "(default for fe \"individual\")",
    LeeYuTransform => "lee_yu_transform"; "(default for fe \"twoways\")",
    LeeYuDirect => "lee_yu_direct",
    None => "none"; "(default for fe \"time\")",
}

option_enum! {
    /// Dynamic models: `"structural"`, `"gaussian"`, `"sdpdmod"`.
    DynamicCovariance: "covariance";
    Structural => "structural"; "(default)",
    Gaussian => "gaussian",
    Sdpdmod => "sdpdmod",
}

option_enum! {
    /// `"lag_first"`, `"demean_first"`.
    LagOrder: "lag_order";
    LagFirst => "lag_first"; "(default)",
    DemeanFirst => "demean_first",
}

option_enum! {
    /// `"elhorst"`, `"full"`, `"splm"` (random effects).
    Information: "information";
    Elhorst => "elhorst"; "(default)",
    Full => "full",
    Splm => "splm",
}

option_enum! {
    /// `"bsk"` (`"b"`, Baltagi–Song–Koh) or `"kkp"` (Kapoor–Kelejian–Prucha), in any case.
    ReErrors: "errors", fold: Fold::AnyCase;
    Bsk => "bsk" | "b"; "(default)",
    Kkp => "kkp",
}

option_enum! {
    /// `"observed"` (full observed information), `"splm"` (splm's block-diagonal covariance) or
    /// `"expected"` (the analytic expected information).
    ReCovariance: "covariance";
    Observed => "observed"; "(default)",
    Splm => "splm",
    Expected => "expected",
}

impl FromStr for LogDetMethod {
    type Err = Error;
    /// One of [`LOGDET_METHODS`] (not an `option_enum!` table: the names are the core's own
    /// list, [`LogDetMethod::name`]).
    fn from_str(s: &str) -> Result<Self, Error> {
        LogDetMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| unknown_with_hint("", "lndet", s, &LOGDET_METHODS))
    }
}

option_enum! {
    /// `"simulation"` (`"sim"`) or `"delta"`, in any case.
    Method: "method", fold: Fold::AnyCase, hint: Some("effects: ");
    Simulation => "simulation" | "sim",
    Delta => "delta",
}

option_enum! {
    /// `"spillover"` (`"default"`), `"elhorst"`, `"spatialreg"` or `"sdpdmod"` (dynamic
    /// models), in any case.
    Mode: "mode", fold: Fold::AnyCase, hint: Some("effects: ");
    Spillover => "spillover" | "default",
    Elhorst => "elhorst",
    Spatialreg => "spatialreg",
    Sdpdmod => "sdpdmod",
}

option_enum! {
    /// `"auto"`, `"eigen"` (`"exact"`) or `"series"` (`"traces"`, `"trw"`), in any case.
    TraceEngine: "engine", fold: Fold::AnyCase, hint: Some("effects: ");
    Auto => "auto",
    Eigen => "eigen" | "exact",
    Series => "series" | "traces" | "trw",
}

option_enum! {
    /// The `df` option of the fixed-effects tests: `"N,T"` / `"elhorst"` or `"N-1,T-1"` /
    /// `"exact"` (spaces and case ignored; `/` for `,`).
    FeDf: "df", fold: Fold::AnyCaseNoSpace, after: " for the fixed-effects LR tests";
    Elhorst => "N,T" | "N/T" | "elhorst"; "(Elhorst, default)",
    Exact => "N-1,T-1" | "N-1/T-1" | "exact",
}

option_enum! {
    /// `"row"` (`"r"`, `"W"`), `"none"` (`"binary"`, `"B"`), `"spectral"`, `"minmax"`.
    Standardization: "standardize";
    Row => "row" | "r" | "W",
    None => "none" | "binary" | "B",
    Spectral => "spectral",
    MinMax => "minmax",
}

option_enum! {
    /// `"euclidean"`, `"haversine"` (`"arc"`, `"great_circle"`) or `"ellipsoid"` (`"wgs84"`,
    /// `"geodesic"`).
    Metric: "metric";
    Euclidean => "euclidean",
    Haversine => "haversine" | "arc" | "great_circle"; "(lon/lat in degrees, km)",
    Ellipsoid => "ellipsoid" | "wgs84" | "geodesic"; "(lon/lat in degrees, km, WGS84)",
}

option_enum! {
    /// `"inverse"`, `"inverse_squared"`, `"exponential"` (`"exp"`), `"double_power"`
    /// (`"dpd"`, `"bisquare"`).
    Decay: "decay";
    Inverse => "inverse" | "idw",
    InverseSquared => "inverse_squared",
    Exponential => "exponential" | "exp",
    DoublePower => "double_power" | "dpd" | "bisquare",
}

option_enum! {
    /// `"inverse"`, `"inverse_squared"`, `"exp"`.
    EconForm: "form";
    Inverse => "inverse",
    InverseSquared => "inverse_squared",
    Exp => "exp",
}

option_enum! {
    /// `"N2"` (`"nested"`), `"N1"`, `"hadamard"` (`"N3"`), `"convex"` (`"N4"`), `"gravity"`
    /// (`"N5"`); case ignored.
    NestedForm: "form", fold: Fold::AnyCase;
    N2 => "N2" | "nested"; "(default)",
    N1 => "N1",
    Hadamard => "hadamard" | "N3",
    Convex => "convex" | "N4",
    Gravity => "gravity" | "N5",
}

option_enum! {
    /// `"queen"` or `"rook"`.
    Rule: "rule";
    Queen => "queen",
    Rook => "rook",
}

option_enum! {
    /// `"growth_change"` or `"level_growth"`.
    ResilienceKind: "kind";
    GrowthChange => "growth_change"; "(growth-rate inputs, docs/methods.md §1.1 variant B)",
    LevelGrowth => "level_growth"; "(GDP levels, variant A)",
}

option_enum! {
    /// `"max_lq"`, `"krugman"`, `"max_share"` or `"lq:SECTOR"`.
    MarKind: "mar",
        extra: &["lq:SECTOR"],
        fallback: Some(|s| s.strip_prefix("lq:").map(|j| MarKind::Lq(crate::data::key_of_text(j))));
    MaxLq => "max_lq",
    Krugman => "krugman",
    MaxShare => "max_share",
}

option_enum! {
    /// `"rdi"`, `"rdi_squared"`, `"inverse_hhi"`.
    JacobsKind: "jacobs";
    Rdi => "rdi",
    RdiSquared => "rdi_squared",
    InverseHhi => "inverse_hhi",
}

option_enum! {
    /// `"missing"` (`"nan"`) or `"zero"`.
    MissingSector: "missing_sector";
    Missing => "missing" | "nan",
    Zero => "zero",
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of the error `s.parse::<T>()` gives.
    fn message<T: FromStr<Err = Error> + std::fmt::Debug>(s: &str) -> String {
        match s.parse::<T>() {
            Err(Error::Invalid(m)) => m,
            other => panic!("{s:?}: expected an Invalid error, got {other:?}"),
        }
    }

    /// Every `(text, value)` pair parses to its value.
    fn parses<T: FromStr<Err = Error> + PartialEq + std::fmt::Debug>(pairs: &[(&str, T)]) {
        for (s, v) in pairs {
            assert_eq!(&s.parse::<T>().unwrap(), v, "{s}");
        }
    }

    #[test]
    fn every_spelling_parses_to_its_value() {
        use Fe::{Individual, None, Time, TwoWays};
        let fe = [("none", None), ("pooled", None), ("individual", Individual)];
        parses(&fe);
        parses(&[("unit", Individual), ("spatial", Individual), ("time", Time)]);
        parses(&[("twoways", TwoWays), ("twoway", TwoWays), ("two-way", TwoWays)]);
        assert!("None".parse::<Fe>().is_err());
        use ModelKind::{Ols, Sac, Sar, Sdem, Sdm, Sem, Slx};
        parses(&[("ols", Ols), ("SAR", Sar), ("slm", Sar), ("Lag", Sar), ("sem", Sem)]);
        parses(&[
            ("error", Sem),
            ("sdm", Sdm),
            ("durbin", Sdm),
            ("sdem", Sdem),
            ("slx", Slx),
            ("SARAR", Sac),
        ]);
        use BiasCorrection as B;
        parses(&[("lee-yu", B::LeeYu), ("leeyu", B::LeeYu), ("none", B::None)]);
        parses(&[("demean_first", LagOrder::DemeanFirst)]);
        parses(&[("full", Information::Full)]);
        parses(&[("chebyshev", LogDetMethod::Chebyshev)]);
        parses(&[("SIM", Method::Simulation)]);
        parses(&[("Default", Mode::Spillover)]);
        parses(&[("TRW", TraceEngine::Series), ("exact", TraceEngine::Eigen)]);
        let df = [(" n - 1 / T-1 ", FeDf::Exact), ("N,T", FeDf::Elhorst)];
        parses(&df);
        parses(&[("Elhorst", FeDf::Elhorst)]);
        use Standardization as S;
        parses(&[("W", S::Row), ("B", S::None), ("minmax", S::MinMax)]);
        assert!("w".parse::<Standardization>().is_err());
        parses(&[("great_circle", Metric::Haversine)]);
        parses(&[("inverse_squared", EconForm::InverseSquared)]);
        parses(&[("rook", Rule::Rook)]);
        parses(&[("level_growth", ResilienceKind::LevelGrowth)]);
        let lq = MarKind::Lq(crate::data::key_of_text("Manufacturing"));
        parses(&[("krugman", MarKind::Krugman), ("lq:Manufacturing", lq)]);
        parses(&[("inverse_hhi", JacobsKind::InverseHhi)]);
        parses(&[("nan", MissingSector::Missing)]);
    }

    #[test]
    fn every_error_message_lists_the_valid_values() {
        let cases = [
            (message::<Fe>("x"), "unknown fe 'x'; valid: \"none\", \"individual\", \"time\", \"twoways\", \"random\""),
            (message::<ModelKind>("Sarr"), "unknown model 'Sarr'; valid: \"ols\", \"sar\", \"sem\", \"sdm\", \"sdem\", \"slx\", \"sac\""),
            (message::<BiasCorrection>("x"), "unknown bias_correction 'x'; valid: \"none\" (default), \"elhorst\", \"lee_yu\""),
            (message::<LagOrder>("x"), "unknown lag_order 'x'; valid: \"lag_first\" (default), \"demean_first\""),
            (message::<Information>("x"), "unknown information 'x'; valid: \"elhorst\" (default), \"full\", \"splm\""),
            (message::<LogDetMethod>("chebychev"), "unknown lndet \"chebychev\" (did you mean \"chebyshev\"?); valid: \"auto\", \"eigen\", \"sparse\", \"chebyshev\", \"monte_carlo\""),
            (message::<Method>("Delt"), "effects: unknown method \"Delt\" (did you mean \"delta\"?); valid: \"simulation\", \"delta\""),
            (message::<Mode>("zzzzzzzz"), "effects: unknown mode \"zzzzzzzz\"; valid: \"spillover\", \"elhorst\", \"spatialreg\", \"sdpdmod\""),
            (message::<TraceEngine>("seris"), "effects: unknown engine \"seris\" (did you mean \"series\"?); valid: \"auto\", \"eigen\", \"series\""),
            (message::<FeDf>("N, T-1"), "unknown df 'N, T-1' for the fixed-effects LR tests; valid: \"N,T\" (Elhorst, default), \"N-1,T-1\""),
            (message::<Standardization>("w"), "unknown standardize 'w'; valid: \"row\", \"none\", \"spectral\", \"minmax\""),
            (message::<Metric>("x"), "unknown metric 'x'; valid: \"euclidean\", \"haversine\" (lon/lat in degrees, km), \"ellipsoid\" (lon/lat in degrees, km, WGS84)"),
            (message::<EconForm>("x"), "unknown form 'x'; valid: \"inverse\", \"inverse_squared\", \"exp\""),
            (message::<Rule>("x"), "unknown rule 'x'; valid: \"queen\", \"rook\""),
            (message::<ResilienceKind>("x"), "unknown kind 'x'; valid: \"growth_change\" (growth-rate inputs, docs/methods.md §1.1 variant B), \"level_growth\" (GDP levels, variant A)"),
            (message::<MarKind>("lq"), "unknown mar 'lq'; valid: \"max_lq\", \"krugman\", \"max_share\", \"lq:SECTOR\""),
            (message::<JacobsKind>("x"), "unknown jacobs 'x'; valid: \"rdi\", \"rdi_squared\", \"inverse_hhi\""),
            (message::<MissingSector>("x"), "unknown missing_sector 'x'; valid: \"missing\", \"zero\""),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
