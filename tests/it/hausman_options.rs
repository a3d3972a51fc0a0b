//! The random-effects options of issue 16 beyond the defaults: the expected information of the
//! spatial random-effects models (docs/methods.md §11.2–11.3, `covariance: "expected"`), fixed
//! period dummies inside random effects (`time_dummies: true`, §12.1, §18) and the Hausman
//! options `covariance: "robust"` (§12.4), `convention: "stata"` and `sigma: "more" | "less"`
//! (§12.1). Checks against docs/methods.md Appendix F on produc and against closed forms built
//! here from the design matrices.

use crate::common::{assert_close, fixture, produc_log_design, produc_log_design_with, root, weights_in_order};
use faer::linalg::solvers::Solve;
use faer::Mat;
use spillover::models::hausman::{
    hausman, invsym, HausmanConvention, HausmanCovariance, HausmanOptions, HausmanParams, HausmanSigma,
};
use spillover::models::ml::{fit_spatial, ReCovariance, ReErrors, SpatialFit, SpatialOptions};
use spillover::models::random::{random_effects, random_effects_with, ReMethod};
use spillover::models::within::demean;
use spillover::models::{Design, Fe, Model, ModelKind};
use spillover::weights::Weights;

fn produc_w(d: &Design) -> Weights {
    weights_in_order(&fixture("produc/weights.csv"), &d.ids)
}

/// Inverse of a p×p row-major matrix.
fn inv(a: &[f64], p: usize) -> Vec<f64> {
    let m = Mat::<f64>::from_fn(p, p, |i, j| a[i * p + j]);
    let x = m.partial_piv_lu().solve(Mat::<f64>::identity(p, p));
    (0..p * p).map(|ij| x[(ij / p, ij % p)]).collect()
}

/// Least squares of y on the columns x: (β, residuals, (X'X)⁻¹).
fn ls(x: &[Vec<f64>], y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let p = x.len();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
    let xtx: Vec<f64> = (0..p * p).map(|ij| dot(&x[ij / p], &x[ij % p])).collect();
    let xi = inv(&xtx, p);
    let xty: Vec<f64> = x.iter().map(|c| dot(c, y)).collect();
    let b: Vec<f64> = (0..p).map(|i| (0..p).map(|j| xi[i * p + j] * xty[j]).sum()).collect();
    let e: Vec<f64> = (0..y.len())
        .map(|r| y[r] - (0..p).map(|j| x[j][r] * b[j]).sum::<f64>())
        .collect();
    (b, e, xi)
}

fn unit_means(x: &[f64], n: usize) -> Vec<f64> {
    let t = x.len() / n;
    (0..n)
        .map(|i| (0..t).map(|s| x[s * n + i]).sum::<f64>() / t as f64)
        .collect()
}

fn quasi(x: &[f64], n: usize, theta: f64) -> Vec<f64> {
    let m = unit_means(x, n);
    x.iter().enumerate().map(|(r, v)| v - theta * m[r % n]).collect()
}

fn re_opts(cov: Option<ReCovariance>) -> SpatialOptions {
    let mut o = SpatialOptions::new(Fe::Random);
    o.covariance = cov;
    o
}

/// The full SAR-RE log-likelihood (docs/methods.md §11.2) at x = (β, ρ, φ, σ²), from the data.
fn sar_re_loglik(d: &Design, w: &Weights, x: &[f64]) -> f64 {
    let (n, t) = (d.n, d.t);
    let k = d.x.len() + 1;
    let (rho, phi, s2) = (x[k], x[k + 1], x[k + 2]);
    let wy = w.lag_panel(&d.y);
    let e: Vec<f64> = (0..d.y.len())
        .map(|r| d.y[r] - rho * wy[r] - x[0] - (1..k).map(|j| x[j] * d.x[j - 1][r]).sum::<f64>())
        .collect();
    let a = 1.0 + t as f64 * phi;
    let es = quasi(&e, n, 1.0 - a.powf(-0.5));
    let ss: f64 = es.iter().map(|v| v * v).sum();
    let nt = (n * t) as f64;
    let spec = w.spectrum().unwrap();
    -0.5 * nt * (2.0 * std::f64::consts::PI * s2).ln() - 0.5 * n as f64 * a.ln() + t as f64 * spec.logdet(rho)
        - ss / (2.0 * s2)
}

/// Central-difference Hessian of f at x with steps h.
fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: &[f64]) -> Vec<f64> {
    let p = x.len();
    let at = |d: &[(usize, f64)]| {
        let mut y = x.to_vec();
        for &(i, s) in d {
            y[i] += s;
        }
        f(&y)
    };
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let v = (at(&[(i, h[i]), (j, h[j])]) - at(&[(i, h[i]), (j, -h[j])]) - at(&[(i, -h[i]), (j, h[j])])
                + at(&[(i, -h[i]), (j, -h[j])]))
                / (4.0 * h[i] * h[j]);
            out[i * p + j] = v;
            out[j * p + i] = v;
        }
    }
    out
}

/// docs/methods.md §11.2: the expected information of SAR-RE, every entry against the closed
/// form built here from W and the data, the standard errors against Appendix F, and every entry
/// but the two † ones against the numerical observed Hessian at the MLE.
#[test]
fn sar_re_expected_information_is_the_closed_form_and_matches_appendix_f() {
    let d = produc_log_design();
    let w = produc_w(&d);
    let fit = fit_spatial(&d, &w, ModelKind::Sar, &re_opts(Some(ReCovariance::Expected))).unwrap();
    let m = &fit.model;
    assert_eq!(m.info["information"], "expected");
    // Appendix F.1, "SAR-RE se, expected information" (own, §11.2 formulas).
    let want = [
        0.167815,
        0.0250845,
        0.0227406,
        0.0285792,
        0.000892937,
        0.0188223,
        4.49772,
    ];
    for (c, se) in m.coefficients.iter().zip(want) {
        assert_close(&c.term, c.std_error, se, 1e-4);
    }
    assert_close("se sigma2", m.extras["se_sigma2"], 6.36329e-5, 1e-4);
    // The closed form.
    let (n, t) = (d.n, d.t);
    let (nf, tf) = (n as f64, t as f64);
    let k = 5;
    let x: Vec<f64> = m.coefficients.iter().map(|c| c.estimate).chain([m.sigma2]).collect();
    let (rho, phi, s2) = (x[k], x[k + 1], x[k + 2]);
    let wd = w.to_dense();
    let a = Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - rho * wd[i * n + j]);
    let ainv = a.partial_piv_lu().solve(Mat::<f64>::identity(n, n));
    let g = Mat::<f64>::from_fn(n, n, |i, j| {
        wd[i * n..(i + 1) * n]
            .iter()
            .enumerate()
            .map(|(l, v)| v * ainv[(l, j)])
            .sum()
    });
    let tr_g: f64 = (0..n).map(|i| g[(i, i)]).sum();
    let mut tr_gg = 0.0;
    let mut tr_gtg = 0.0;
    for i in 0..n {
        for j in 0..n {
            tr_gg += g[(i, j)] * g[(j, i)];
            tr_gtg += g[(i, j)] * g[(i, j)];
        }
    }
    let mut z: Vec<Vec<f64>> = vec![vec![1.0; n * t]];
    z.extend(d.x.iter().cloned());
    let zb: Vec<f64> = (0..n * t).map(|r| (0..k).map(|j| z[j][r] * x[j]).sum()).collect();
    let gzb: Vec<f64> = (0..n * t)
        .map(|r| {
            let (s, i) = (r / n, r % n);
            (0..n).map(|l| g[(i, l)] * zb[s * n + l]).sum()
        })
        .collect();
    let theta = 1.0 - (1.0 + tf * phi).powf(-0.5);
    let zs: Vec<Vec<f64>> = z.iter().map(|c| quasi(c, n, theta)).collect();
    let gs = quasi(&gzb, n, theta);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
    let p = k + 3;
    let mut want = vec![0.0; p * p];
    let mut set = |i: usize, j: usize, v: f64| {
        want[i * p + j] = v;
        want[j * p + i] = v;
    };
    for i in 0..k {
        for j in 0..k {
            set(i, j, dot(&zs[i], &zs[j]) / s2);
        }
        set(i, k, dot(&zs[i], &gs) / s2);
    }
    let af = 1.0 + tf * phi;
    set(k, k, dot(&gs, &gs) / s2 + tf * (tr_gg + tr_gtg));
    set(k, k + 1, tf * tr_g / af);
    set(k, k + 2, tf * tr_g / s2);
    set(k + 1, k + 1, nf * tf * tf / (2.0 * af * af));
    set(k + 1, k + 2, nf * tf / (2.0 * s2 * af));
    set(k + 2, k + 2, nf * tf / (2.0 * s2 * s2));
    let got = inv(&fit.cov_full, p);
    let scale = |i: usize, j: usize| (want[i * p + i] * want[j * p + j]).sqrt();
    for i in 0..p {
        for j in 0..p {
            let diff = (got[i * p + j] - want[i * p + j]).abs() / scale(i, j);
            assert!(
                diff < 1e-8,
                "I[{i},{j}] = {} vs closed form {}",
                got[i * p + j],
                want[i * p + j]
            );
        }
    }
    // The numerical observed Hessian at the MLE: equal except the † entries (β, φ) and (ρ, φ)
    // (METHODS §11.2), which differ by O(1).
    let mut h: Vec<f64> = (0..p).map(|i| 1e-2 / want[i * p + i].sqrt()).collect();
    h[k + 1] = 1e-3 * phi;
    let hs = hessian(&|v: &[f64]| sar_re_loglik(&d, &w, v), &x, &h);
    for i in 0..p {
        for j in 0..p {
            let dagger = (i == k + 1 && j <= k) || (j == k + 1 && i <= k);
            let diff = (-hs[i * p + j] - want[i * p + j]).abs() / scale(i, j);
            if dagger {
                continue;
            }
            // The observed β–ρ and ρ–ρ entries carry the zero-mean parts Z*'(Ḡu)*/σ² and
            // (‖(Wy)*‖² − ‖(ḠZβ)*‖²)/σ² − T tr(G'G), small on produc (≤ 2.5e−3 of the scale); the
            // others agree to the accuracy of the numerical Hessian.
            let tol = if (i == k && j <= k) || (j == k && i <= k) {
                5e-3
            } else {
                1e-4
            };
            assert!(
                diff < tol,
                "observed [{i},{j}] = {} vs expected {}",
                -hs[i * p + j],
                want[i * p + j]
            );
        }
    }
    // METHODS §11.2: the observed (ρ, φ) entry is −3.07 where the expected one is +0.09.
    assert!(
        (want[k * p + k + 1] - 0.09).abs() < 0.005,
        "expected I_rho_phi {}",
        want[k * p + k + 1]
    );
    assert!(
        (-hs[k * p + k + 1] + 3.07).abs() < 0.01,
        "observed I_rho_phi {}",
        -hs[k * p + k + 1]
    );
}

/// docs/methods.md §11.3: the expected information of SEM-RE (KKP and BSK) equals the generic
/// formula I_ab = ½ tr(Ω⁻¹Ω_a Ω⁻¹Ω_b), I_aσ² = tr(Ω⁻¹Ω_a)/(2σ²) built here from the NT×NT Ω,
/// and β is orthogonal to the rest with I_ββ = Z'Ω⁻¹Z/σ².
#[test]
fn sem_re_expected_information_equals_the_generic_trace_formula() {
    let d = produc_log_design();
    let w = produc_w(&d);
    let (n, t) = (d.n, d.t);
    let nt = n * t;
    let wd = w.to_dense();
    for errors in [ReErrors::Kkp, ReErrors::Bsk] {
        let mut o = re_opts(Some(ReCovariance::Expected));
        o.errors = Some(errors);
        let fit = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
        let m = &fit.model;
        let k = 5;
        let p = k + 3;
        let lam = m.coef("lambda").unwrap().estimate;
        let phi = m.coef("phi").unwrap().estimate;
        let s2 = m.sigma2;
        // Ω(λ, φ) (NT × NT, time-slow) and its derivatives.
        let b = Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - lam * wd[i * n + j]);
        let wm = Mat::<f64>::from_fn(n, n, |i, j| wd[i * n + j]);
        let btb_inv = (b.transpose() * &b).partial_piv_lu().solve(Mat::<f64>::identity(n, n));
        // d(B'B)⁻¹/dλ = (B'B)⁻¹(W'B + B'W)(B'B)⁻¹.
        let dinv = &btb_inv * (wm.transpose() * &b + b.transpose() * &wm) * &btb_inv;
        let kron = |tm: &dyn Fn(usize, usize) -> f64, nm: &Mat<f64>| {
            Mat::<f64>::from_fn(nt, nt, |r, c| tm(r / n, c / n) * nm[(r % n, c % n)])
        };
        let id = Mat::<f64>::identity(n, n);
        let (omega, o_lam, o_phi) = match errors {
            ReErrors::Kkp => (
                kron(&|a, b| f64::from(a == b) + phi, &btb_inv),
                kron(&|a, b| f64::from(a == b) + phi, &dinv),
                kron(&|_, _| 1.0, &btb_inv),
            ),
            ReErrors::Bsk => {
                let o1 = kron(&|_, _| phi, &id) + kron(&|a, b| f64::from(a == b), &btb_inv);
                (o1, kron(&|a, b| f64::from(a == b), &dinv), kron(&|_, _| 1.0, &id))
            }
        };
        let oi = omega.partial_piv_lu().solve(Mat::<f64>::identity(nt, nt));
        let al = &oi * &o_lam;
        let ap = &oi * &o_phi;
        let tr = |a: &Mat<f64>| (0..nt).map(|i| a[(i, i)]).sum::<f64>();
        let trp = |a: &Mat<f64>, b: &Mat<f64>| {
            let mut s = 0.0;
            for i in 0..nt {
                for j in 0..nt {
                    s += a[(i, j)] * b[(j, i)];
                }
            }
            s
        };
        let zc: Vec<Vec<f64>> = std::iter::once(vec![1.0; nt]).chain(d.x.iter().cloned()).collect();
        let z = Mat::<f64>::from_fn(nt, k, |r, j| zc[j][r]);
        let zoz = z.transpose() * &oi * &z;
        let mut want = vec![0.0; p * p];
        for i in 0..k {
            for j in 0..k {
                want[i * p + j] = zoz[(i, j)] / s2;
            }
        }
        let blk = [
            (k, k, 0.5 * trp(&al, &al)),
            (k, k + 1, 0.5 * trp(&al, &ap)),
            (k + 1, k + 1, 0.5 * trp(&ap, &ap)),
            (k, k + 2, tr(&al) / (2.0 * s2)),
            (k + 1, k + 2, tr(&ap) / (2.0 * s2)),
            (k + 2, k + 2, nt as f64 / (2.0 * s2 * s2)),
        ];
        for (i, j, v) in blk {
            want[i * p + j] = v;
            want[j * p + i] = v;
        }
        let got = inv(&fit.cov_full, p);
        for i in 0..p {
            for j in 0..p {
                let scale = (want[i * p + i] * want[j * p + j]).sqrt();
                let diff = (got[i * p + j] - want[i * p + j]).abs() / scale;
                assert!(
                    diff < 1e-7,
                    "{errors:?}: I[{i},{j}] = {} vs trace formula {}",
                    got[i * p + j],
                    want[i * p + j]
                );
            }
        }
    }
}

/// docs/methods.md §12.1, §18: `time_dummies: true` is the same fit as the formula term
/// `factor(time)` (bit for bit), the Swamy–Arora components follow their formula (within
/// divisor NT − N − K − (T − 1); the period dummies are aliased with the intercept in the
/// between regression, divisor N − K − 1), and the pairing of the Hausman test.
#[test]
fn time_dummies_equal_factor_time_and_pair_with_twoway_fe() {
    let d = produc_log_design();
    let df = produc_log_design_with("lgsp ~ lpcap + lpc + lemp + unemp + factor(time)");
    for method in [ReMethod::SwamyArora, ReMethod::Ml] {
        let a = random_effects(&df, method).unwrap();
        let b = random_effects_with(&d, method, Some("factor(time)")).unwrap();
        assert_eq!(a.model.coefficients, b.model.coefficients);
        assert_eq!(a.model.vcov, b.model.vcov);
        assert_eq!(a.sigma2_idios.to_bits(), b.sigma2_idios.to_bits());
        assert_eq!(a.phi.to_bits(), b.phi.to_bits());
        assert_eq!(b.model.provenance.time_dummies.as_deref(), Some("factor(time)"));
        assert_eq!(b.model.provenance.beta_index, vec![1, 2, 3, 4]);
    }
    // Swamy–Arora components by their formula.
    let b = random_effects_with(&d, ReMethod::SwamyArora, Some("factor(time)")).unwrap();
    let (n, t) = (d.n, d.t);
    let (k, nt) = (d.x.len(), n * t);
    let xw: Vec<Vec<f64>> = df.x.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let (_, ew, _) = ls(&xw, &demean(&d.y, n, Fe::Individual));
    let s2nu = ew.iter().map(|v| v * v).sum::<f64>() / (nt - n - k - (t - 1)) as f64;
    assert_close("sigma2_nu", b.sigma2_idios, s2nu, 1e-10);
    let mut xb = vec![vec![1.0; n]];
    xb.extend(d.x.iter().map(|c| unit_means(c, n)));
    let (_, eb, _) = ls(&xb, &unit_means(&d.y, n));
    let s2one = t as f64 * eb.iter().map(|v| v * v).sum::<f64>() / (n - k - 1) as f64;
    assert_close("sigma2_1", b.model.extras["sigma2_1"], s2one, 1e-10);
    assert_close("sigma2_mu", b.sigma2_mu, (s2one - s2nu) / t as f64, 1e-10);
    // Pairing: two-way FE with RE + time dummies; refused otherwise, naming the fix.
    let fe2 = spillover::models::ols::ols(&d, Fe::TwoWays).unwrap().model;
    let fe1 = spillover::models::ols::ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let o = HausmanOptions::default();
    let h = hausman(&fe2, &b.model, &o).unwrap();
    assert_eq!(h.params, ["lpcap", "lpc", "lemp", "unemp"]);
    let e = hausman(&fe2, &re, &o).unwrap_err().to_string();
    assert!(e.contains("time_dummies: true"), "{e}");
    let e = hausman(&fe1, &b.model, &o).unwrap_err().to_string();
    assert!(e.contains("fe: \"twoways\""), "{e}");
    assert!(hausman(&fe1, &re, &o).is_ok());
    // Spatial: SAR-RE with time dummies is the fit with factor(time) in the formula, the
    // dummies have no role, and it pairs with two-way FE-SAR.
    let w = produc_w(&d);
    let mut o = re_opts(None);
    o.time_dummies = Some("factor(time)".into());
    let sar = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap();
    let sar_f = fit_spatial(&df, &w, ModelKind::Sar, &re_opts(None)).unwrap();
    for (a, b) in sar.model.coefficients.iter().zip(&sar_f.model.coefficients) {
        assert_eq!(a.term, b.term);
        assert_eq!(a.estimate.to_bits(), b.estimate.to_bits(), "{}", a.term);
    }
    assert_eq!(sar.beta_index, vec![1, 2, 3, 4]);
    assert_eq!(sar.model.provenance.beta_index, vec![1, 2, 3, 4]);
    let fe_sar = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    let h = hausman(&fe_sar.model, &sar.model, &HausmanOptions::default()).unwrap();
    assert_eq!(h.params, ["lpcap", "lpc", "lemp", "unemp", "rho"]);
    let plain = fit_spatial(&d, &w, ModelKind::Sar, &re_opts(None)).unwrap();
    let e = hausman(&fe_sar.model, &plain.model, &HausmanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("time_dummies: true"), "{e}");
    // SDM: the dummies are never lagged.
    let sdm = fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap();
    assert!(sdm.model.coef("factor(time)1971").is_some());
    assert!(sdm.model.coef("W*factor(time)1971").is_none());
    assert_eq!(sdm.model.provenance.lagged(), ["lpcap", "lpc", "lemp", "unemp"]);
}

fn total_is_zero(what: &str, m: &Model) {
    let s = m
        .provenance
        .scores
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no scores"));
    let p = s.p();
    let total = s.total();
    for (j, tot) in total.iter().enumerate() {
        let rss = (0..s.n).map(|i| s.scores[i * p + j].powi(2)).sum::<f64>().sqrt();
        assert!(
            tot.abs() <= 1e-6 * rss,
            "{what}: total score {j} = {tot} (unit scores {rss})"
        );
    }
}

/// docs/methods.md §12.4: the per-unit scores sum to (about) zero at each estimate; the robust
/// statistic of the non-spatial pair equals the cluster sandwich built here from the design
/// matrices; the spatial pairs give a finite statistic.
#[test]
fn robust_hausman_scores_sum_to_zero_and_match_the_hand_sandwich() {
    let d = produc_log_design();
    let w = produc_w(&d);
    let fe = spillover::models::ols::ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap();
    total_is_zero("within", &fe);
    total_is_zero("re gls", &re.model);
    let fe_sar = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::Individual)).unwrap();
    let fe_sar2 = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    let re_sar = fit_spatial(&d, &w, ModelKind::Sar, &re_opts(None)).unwrap();
    let re_sdm = fit_spatial(&d, &w, ModelKind::Sdm, &re_opts(None)).unwrap();
    for (what, f) in [
        ("fe sar", &fe_sar),
        ("fe sar twoways", &fe_sar2),
        ("re sar", &re_sar),
        ("re sdm", &re_sdm),
    ] {
        total_is_zero(what, &f.model);
    }
    // The hand sandwich of the non-spatial pair.
    let (n, t) = (d.n, d.t);
    let k = d.x.len();
    let xw: Vec<Vec<f64>> = d.x.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let (bf, ef, af) = ls(&xw, &demean(&d.y, n, Fe::Individual));
    let theta = re.theta;
    let zs: Vec<Vec<f64>> = std::iter::once(vec![1.0 - theta; n * t])
        .chain(d.x.iter().map(|c| quasi(c, n, theta)))
        .collect();
    let (br, er, ar) = ls(&zs, &quasi(&d.y, n, theta));
    let dvec: Vec<f64> = (0..k).map(|j| bf[j] - br[j + 1]).collect();
    let mut var = vec![0.0; k * k];
    for i in 0..n {
        let sf: Vec<f64> = (0..k)
            .map(|j| (0..t).map(|s| xw[j][s * n + i] * ef[s * n + i]).sum())
            .collect();
        let sr: Vec<f64> = (0..=k)
            .map(|j| (0..t).map(|s| zs[j][s * n + i] * er[s * n + i]).sum())
            .collect();
        let inf_f: Vec<f64> = (0..k).map(|a| (0..k).map(|b| af[a * k + b] * sf[b]).sum()).collect();
        let inf_r: Vec<f64> = (1..=k)
            .map(|a| (0..=k).map(|b| ar[a * (k + 1) + b] * sr[b]).sum())
            .collect();
        let u: Vec<f64> = (0..k).map(|a| inf_f[a] - inf_r[a]).collect();
        for a in 0..k {
            for b in 0..k {
                var[a * k + b] += u[a] * u[b];
            }
        }
    }
    let vi = inv(&var, k);
    let want: f64 = (0..k)
        .map(|a| dvec[a] * (0..k).map(|b| vi[a * k + b] * dvec[b]).sum::<f64>())
        .sum();
    let robust = HausmanOptions {
        covariance: HausmanCovariance::Robust,
        ..HausmanOptions::default()
    };
    let h = hausman(&fe, &re.model, &robust).unwrap();
    assert_close("robust H", h.statistic, want, 1e-8);
    assert_eq!(h.df, k as f64);
    // Spatial pairs: the sandwich is positive semi-definite, so H ≥ 0 and finite.
    let h = hausman(&fe_sar.model, &re_sar.model, &robust).unwrap();
    assert!(h.statistic.is_finite() && h.statistic > 0.0, "{h:?}");
    assert_eq!(h.params, ["lpcap", "lpc", "lemp", "unemp", "rho"]);
    // Refused without scores (SEM-RE does not record them), naming the fix.
    let mut o = re_opts(None);
    o.errors = Some(ReErrors::Kkp);
    let fe_sem = fit_spatial(&d, &w, ModelKind::Sem, &SpatialOptions::new(Fe::Individual)).unwrap();
    let re_sem = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    let e = hausman(&fe_sem.model, &re_sem.model, &robust).unwrap_err().to_string();
    assert!(e.contains("covariance \"classical\""), "{e}");
}

/// The pair of produc fits of Appendix F.2: within and Swamy–Arora OLS; FE-SAR and SAR-RE.
fn sar_pair(d: &Design) -> (SpatialFit, SpatialFit) {
    let w = produc_w(d);
    (
        fit_spatial(d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::Individual)).unwrap(),
        fit_spatial(d, &w, ModelKind::Sar, &re_opts(None)).unwrap(),
    )
}

/// docs/methods.md §12.1: Stata's `hausman` (generalized inverse, df = rank, signed) and
/// `sigmamore` / `sigmaless`, against Appendix F.2 and closed forms.
#[test]
fn stata_convention_and_sigma_options() {
    // invsym: the inverse of a positive definite or indefinite full-rank matrix; a generalized
    // inverse of a singular one, with the rank.
    let (g, r) = invsym(&[4.0, 2.0, 2.0, 3.0], 2);
    let want = [3.0 / 8.0, -2.0 / 8.0, -2.0 / 8.0, 4.0 / 8.0];
    assert_eq!(r, 2);
    g.iter().zip(want).for_each(|(a, b)| assert!((a - b).abs() < 1e-15));
    let (g, r) = invsym(&[2.0, 0.0, 0.0, -4.0], 2);
    assert_eq!((r, g), (2, vec![0.5, 0.0, 0.0, -0.25]));
    let (g, r) = invsym(&[1.0, 1.0, 1.0, 1.0], 2);
    assert_eq!((r, g), (1, vec![1.0, 0.0, 0.0, 0.0]));
    let d = produc_log_design();
    let stata = HausmanOptions {
        convention: HausmanConvention::Stata,
        ..HausmanOptions::default()
    };
    // Non-spatial: V_F − V_R positive definite, so Stata's statistic is plm's 9.52541563 (4 df).
    let fe = spillover::models::ols::ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap();
    let h = hausman(&fe, &re.model, &stata).unwrap();
    assert_close("stata", h.statistic, 9.52541563, 1e-8);
    assert_eq!(h.df, 4.0);
    // SAR pair, slopes: V_F − V_R indefinite but of full rank: the signed −8.9648 (App. F.2).
    let (fs, rs) = sar_pair(&d);
    let slopes = HausmanOptions {
        params: HausmanParams::Slopes,
        ..stata
    };
    let h = hausman(&fs.model, &rs.model, &slopes).unwrap();
    assert_close("stata sar", h.statistic, -8.9648, 1e-4);
    assert_eq!(h.df, 4.0);
    assert!(h.warnings.iter().any(|w| w.contains("chi2 < 0")), "{:?}", h.warnings);
    // sigmamore / sigmaless: one σ² for both, from the hand regressions.
    let (n, t) = (d.n, d.t);
    let k = d.x.len();
    let xw: Vec<Vec<f64>> = d.x.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let (bf, ef, af) = ls(&xw, &demean(&d.y, n, Fe::Individual));
    let theta = re.theta;
    let zs: Vec<Vec<f64>> = std::iter::once(vec![1.0 - theta; n * t])
        .chain(d.x.iter().map(|c| quasi(c, n, theta)))
        .collect();
    let (br, er, ar) = ls(&zs, &quasi(&d.y, n, theta));
    let s2f = ef.iter().map(|v| v * v).sum::<f64>() / (n * t - n - k) as f64;
    let s2r = er.iter().map(|v| v * v).sum::<f64>() / (n * t - k - 1) as f64;
    let dvec: Vec<f64> = (0..k).map(|j| bf[j] - br[j + 1]).collect();
    let diff: Vec<f64> = (0..k * k)
        .map(|ab| af[ab] - ar[(ab / k + 1) * (k + 1) + ab % k + 1])
        .collect();
    let quad = |s2: f64| {
        let vi = inv(&diff.iter().map(|v| v * s2).collect::<Vec<f64>>(), k);
        (0..k)
            .map(|a| dvec[a] * (0..k).map(|b| vi[a * k + b] * dvec[b]).sum::<f64>())
            .sum::<f64>()
    };
    for (sigma, s2, conv) in [
        (HausmanSigma::More, s2r, HausmanConvention::Stata),
        (HausmanSigma::Less, s2f, HausmanConvention::Spillover),
    ] {
        let o = HausmanOptions {
            sigma,
            convention: conv,
            ..HausmanOptions::default()
        };
        let h = hausman(&fe, &re.model, &o).unwrap();
        assert_close(sigma.name(), h.statistic, quad(s2), 1e-8);
    }
    // sigma is refused for the spatial pair and with the robust covariance.
    let more = HausmanOptions {
        sigma: HausmanSigma::More,
        ..HausmanOptions::default()
    };
    assert!(hausman(&fs.model, &rs.model, &more)
        .unwrap_err()
        .to_string()
        .contains("non-spatial"));
}

/// The new option names compile and run in Rhai scripts.
#[test]
fn option_names_run_in_scripts() {
    let data = root("examples/data/produc/data.csv");
    let wpath = root("examples/data/produc/weights.csv");
    let src = format!(
        r#"
        let p = panel(read_csv("{data}"), "id", "time");
        let w = read_weights("{wpath}");
        let f = "gsp ~ pcap + pc + emp + unemp";
        let re = ols(p, f, #{{fe: "random", time_dummies: true}});
        let fe2 = ols(p, f, #{{fe: "twoways"}});
        let h = hausman(fe2, re, #{{covariance: "robust"}});
        if !(h.statistic > 0.0) {{ throw "robust"; }}
        let h = hausman(ols(p, f, #{{fe: "individual"}}), ols(p, f, #{{fe: "random"}}), #{{convention: "stata", sigma: "more"}});
        if h.df != 4.0 {{ throw "stata"; }}
        let s = sar(p, f, w, #{{fe: "random", covariance: "expected", time_dummies: true}});
        if !(s.coef("phi").std_error > 0.0) {{ throw "expected"; }}
        let e = sem(p, f, w, #{{fe: "random", errors: "kkp", covariance: "expected"}});
        "#
    );
    let engine = spillover::script::new_engine(None);
    engine.run(&src).unwrap_or_else(|e| panic!("{e}"));
}
