//! Builders of spatial weights from data, gathered in one place: reciprocal economic distance
//! (docs/methods.md §2, [`super::economic`]), inverse distance ([`super::distance`]), distance band
//! ([`super::band`]) and blocks ([`super::block`]); shared options ([`super::builder`]); points
//! and metrics ([`super::points`]); and the detection of W = D⁻¹C with C symmetric
//! (docs/methods.md §4.2, [`super::similarity`]).
//!
//! k-nearest neighbours live in [`super::knn`], polygon contiguity in [`super::contiguity`].

pub use super::band::{weights_band, BandOptions};
pub use super::block::weights_block;
pub use super::builder::{Common, MAX_DENSE_N};
pub use super::distance::{weights_distance, Decay, DistanceOptions};
pub use super::economic::{economic_from_means, weights_economic, EconForm, EconomicOptions};
pub use super::points::{haversine_km, unit_points, unit_rows, Metric, EARTH_RADIUS_KM};
pub use super::similarity::{is_symmetric_fast, is_symmetric_tol, similarity_scale, with_similarity, SIMILARITY_RTOL};
