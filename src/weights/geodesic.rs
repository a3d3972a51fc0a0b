//! Geodesic distance on the WGS84 ellipsoid (docs/methods.md §16.1).
//!
//! The inverse problem is solved with Vincenty's iteration (T. Vincenty 1975, "Direct and
//! inverse solutions of geodesics on the ellipsoid with application of nested equations",
//! *Survey Review* 23(176):88–93). Away from nearly antipodal points it agrees with Karney's
//! algorithm (C. F. F. Karney 2013, "Algorithms for geodesics", *J. Geodesy* 87:43–55; the
//! GeographicLib used by sf without s2) to well below a millimetre. For nearly antipodal
//! points the iteration may not converge: the distance is then NaN, which the builders report
//! as an error naming the pair.

/// WGS84 semi-major axis in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Geodesic distance in km between (lon, lat) points in degrees on the WGS84 ellipsoid
/// (Vincenty's inverse formula; NaN when the iteration does not converge, which happens only
/// for nearly antipodal points).
///
/// With U = atan((1 − f) tan φ) the reduced latitudes and L = λ₂ − λ₁, iterate on the
/// longitude λ on the auxiliary sphere
/// λ ← L + (1 − C) f sin α (σ + C sin σ (cos 2σₘ + C cos σ (2cos² 2σₘ − 1))) until it moves less
/// than 1e−13, then s = b·A·(σ − Δσ) with Vincenty's series A, B in u² = cos²α (a² − b²)/b².
pub fn ellipsoid_km(p: [f64; 2], q: [f64; 2]) -> f64 {
    let (a, f) = (WGS84_A, WGS84_F);
    let b = (1.0 - f) * a;
    let l = (q[0] - p[0]).to_radians();
    let u1 = ((1.0 - f) * p[1].to_radians().tan()).atan();
    let u2 = ((1.0 - f) * q[1].to_radians().tan()).atan();
    let (su1, cu1) = u1.sin_cos();
    let (su2, cu2) = u2.sin_cos();
    let mut lambda = l;
    for _ in 0..1000 {
        let (sl, cl) = lambda.sin_cos();
        let sin_sigma = ((cu2 * sl).powi(2) + (cu1 * su2 - su1 * cu2 * cl).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return 0.0; // coincident points
        }
        let cos_sigma = su1 * su2 + cu1 * cu2 * cl;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cu1 * cu2 * sl / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        // On the equator (cos²α = 0) the term is 0.
        let cos_2sm = if cos2_alpha != 0.0 {
            cos_sigma - 2.0 * su1 * su2 / cos2_alpha
        } else {
            0.0
        };
        let c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha));
        let prev = lambda;
        lambda = l
            + (1.0 - c)
                * f
                * sin_alpha
                * (sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if (lambda - prev).abs() < 1e-13 {
            let u_sq = cos2_alpha * (a * a - b * b) / (b * b);
            let big_a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)));
            let big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)));
            let delta_sigma = big_b
                * sin_sigma
                * (cos_2sm
                    + big_b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - big_b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return b * big_a * (sigma - delta_sigma) / 1000.0;
        }
        if !lambda.is_finite() || lambda.abs() > std::f64::consts::PI * 1.5 {
            break;
        }
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equator_degree_is_a_times_one_degree() {
        // Along the equator the geodesic is the equator: a·Δλ.
        let d = ellipsoid_km([0.0, 0.0], [1.0, 0.0]);
        assert!((d - WGS84_A / 1000.0 * 1f64.to_radians()).abs() < 1e-9, "{d}");
        assert_eq!(ellipsoid_km([10.0, 20.0], [10.0, 20.0]), 0.0);
    }
}
