//! Panel regression models: the within transformation, OLS with fixed effects and its
//! specification tests, and the spatial models estimated by maximum likelihood.

pub mod bayes;
pub mod bsjk;
pub mod bsk;
pub mod compare;
pub mod dense;
pub mod fe_tests;
pub mod fit;
pub mod formula;
pub mod hausman;
pub mod lm;
pub mod ml;
pub mod ols;
pub mod panel_r2;
pub mod random;
pub mod result;
pub mod robustness;
pub mod simulate;
pub mod spatial_tests;
pub mod terms;
pub mod time_dummies;
pub mod unit_scores;
pub mod within;

pub use fit::{fit, fit_by, Fitted};
pub use formula::{Design, Formula};
pub use result::{Coef, Model, ModelKind, Provenance, Timings, WeightsFingerprint};
pub use within::Fe;
