//! Exploratory statistics (docs/methods.md §3): Moran's I, Geary's C, local Moran, permutation tests,
//! panel tables and plots, against spdep/esda reference values, docs/methods.md Appendix B closed forms
//! and exact enumeration of the permutation distribution.

use crate::common::{assert_abs, assert_close, citycluster, expected, fixture, ring, weights_in_order};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{key_of_number, Column, Frame, Panel};
use spillover::esda::{geary, local_moran, moran, moran_panel, MoranOptions};
use spillover::weights::{Standardization, Weights};

fn columbus() -> (Vec<f64>, Weights) {
    let f = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let ids = f.keys("POLYID").unwrap();
    let w = weights_in_order(&fixture("columbus/weights.csv"), &ids);
    (f.numeric("CRIME").unwrap().to_vec(), w)
}

fn perms(k: usize) -> MoranOptions {
    MoranOptions {
        permutations: Some(k),
        seed: 20240611,
    }
}

#[test]
fn columbus_moran_matches_spdep_and_esda() {
    let (x, w) = columbus();
    let m = moran(&x, &w, &MoranOptions::default()).unwrap();
    let r = 1e-9;
    assert_close("I", m.i, expected("columbus", "moran.CRIME.normality.I"), r);
    assert_close("I (esda)", m.i, expected("columbus", "moran.CRIME.I"), r);
    assert_close("E(I)", m.expected, expected("columbus", "moran.CRIME.normality.E_I"), r);
    assert_close(
        "Var_N",
        m.variance_normal,
        expected("columbus", "moran.CRIME.normality.Var_I"),
        r,
    );
    assert_close("z_N", m.z_normal, expected("columbus", "moran.CRIME.normality.z"), r);
    assert_close(
        "p_N",
        m.p_normal,
        expected("columbus", "moran.CRIME.normality.p_two_sided"),
        r,
    );
    assert_close(
        "p_N>",
        m.p_normal_greater,
        expected("columbus", "moran.CRIME.normality.p_greater"),
        r,
    );
    assert_close(
        "E(I) R",
        m.expected,
        expected("columbus", "moran.CRIME.randomisation.E_I"),
        r,
    );
    assert_close(
        "Var_R",
        m.variance_random,
        expected("columbus", "moran.CRIME.randomisation.Var_I"),
        r,
    );
    assert_close(
        "z_R",
        m.z_random,
        expected("columbus", "moran.CRIME.randomisation.z"),
        r,
    );
    assert_close(
        "p_R",
        m.p_random,
        expected("columbus", "moran.CRIME.randomisation.p_two_sided"),
        r,
    );
    assert_close(
        "p_R>",
        m.p_random_greater,
        expected("columbus", "moran.CRIME.randomisation.p_greater"),
        r,
    );
    // esda's one-sided p is the tail on the side of z (Appendix C 7): half the two-sided p here.
    assert_close(
        "p_R esda",
        m.p_random / 2.0,
        expected("columbus", "moran.CRIME.randomisation.p_one_sided"),
        r,
    );
    assert!(m.p_sim.is_none() && m.warning.is_none());
}

#[test]
fn columbus_permutation_p_is_small_and_moments_agree() {
    let (x, w) = columbus();
    let m = moran(&x, &w, &perms(999)).unwrap();
    let p = m.p_sim.unwrap();
    // Reference: spdep moran.mc and esda both give 0.001 (RNG-dependent; compare loosely).
    assert!(p <= 0.01, "p_sim {p}");
    let t = m.permutation.as_ref().unwrap();
    assert_eq!(t.p_sim, p);
    assert!(t.p_greater <= 0.01);
    assert_abs("mean of permuted I", t.mean, m.expected, 0.01);
    let ratio = t.sd * t.sd / m.variance_random;
    assert!((0.8..1.25).contains(&ratio), "permutation variance / Var_R = {ratio}");
}

#[test]
fn local_moran_sums_to_s0_times_i() {
    let (x, w) = columbus();
    let m = moran(&x, &w, &MoranOptions::default()).unwrap();
    let l = local_moran(&x, &w, &MoranOptions::default()).unwrap();
    let (s0, _, _) = w.s012();
    assert_close("S0 (row-standardised)", s0, 49.0, 1e-12);
    assert_close("Σ I_i = N·I", l.ii.iter().sum::<f64>(), 49.0 * m.i, 1e-12);
    // Also for unstandardised (binary) weights: Σ I_i = S0·I.
    let wb = ring(9, Standardization::None);
    let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0];
    let (mb, lb) = (
        moran(&y, &wb, &MoranOptions::default()).unwrap(),
        local_moran(&y, &wb, &MoranOptions::default()).unwrap(),
    );
    assert_close("Σ I_i = S0·I (binary)", lb.ii.iter().sum::<f64>(), 18.0 * mb.i, 1e-12);
    // Quadrants follow the signs of z_i and (Wz)_i.
    let xbar = y.iter().sum::<f64>() / 9.0;
    for (i, yi) in y.iter().enumerate() {
        let q = lb.quadrant[i].as_str();
        let want = format!(
            "{}{}",
            if *yi > xbar { 'H' } else { 'L' },
            if lb.lag[i] > 0.0 { 'H' } else { 'L' }
        );
        assert_eq!(q, want, "unit {i}");
    }
    let f = l.to_frame().unwrap();
    assert_eq!(f.nrows(), 49);
    for c in ["id", "ii", "z", "p_sim", "quadrant"] {
        assert!(f.has(c), "column {c}");
    }
}

/// Calls `f` on every permutation of `v` (Heap's algorithm).
fn each_permutation(v: &mut [f64], f: &mut impl FnMut(&[f64])) {
    let n = v.len();
    let mut c = vec![0usize; n];
    f(v);
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                v.swap(0, i);
            } else {
                v.swap(c[i], i);
            }
            f(v);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

/// A small asymmetric, unstandardised W (7 units) and a skewed variable.
fn small_case() -> (Vec<f64>, Weights) {
    let ids: Vec<String> = (1..=7).map(|i| format!("u{i}")).collect();
    let t = [
        (0, 1, 1.0),
        (0, 2, 0.5),
        (1, 0, 2.0),
        (1, 3, 1.0),
        (2, 3, 1.5),
        (2, 4, 0.3),
        (3, 1, 1.0),
        (3, 5, 0.7),
        (4, 6, 1.0),
        (4, 0, 0.2),
        (5, 4, 1.1),
        (5, 6, 0.9),
        (6, 5, 1.0),
        (6, 2, 0.4),
    ];
    let w = Weights::from_triplets(ids, &t, Standardization::None, false).unwrap();
    (vec![1.0, 4.0, 2.5, 9.0, 0.3, 3.3, 7.1], w)
}

/// Mean and variance (divisor count) of a statistic over all permutations of `x`.
fn exact_moments(x: &[f64], stat: impl Fn(&[f64]) -> f64) -> (f64, f64) {
    let (mut s, mut s2, mut k) = (0.0, 0.0, 0.0);
    let mut v = x.to_vec();
    each_permutation(&mut v, &mut |p| {
        let a = stat(p);
        s += a;
        s2 += a * a;
        k += 1.0;
    });
    let mean = s / k;
    (mean, s2 / k - mean * mean)
}

#[test]
fn randomisation_moments_equal_exact_permutation_moments() {
    // Under randomisation E and Var are the moments over all N! permutations (Cliff & Ord).
    let (x, w) = small_case();
    let opts = MoranOptions::default();
    let m = moran(&x, &w, &opts).unwrap();
    let (mean, var) = exact_moments(&x, |p| moran(p, &w, &opts).unwrap().i);
    assert_close("E(I) by enumeration", m.expected, mean, 1e-10);
    assert_close("Var_R(I) by enumeration", m.variance_random, var, 1e-10);
    let g = geary(&x, &w, &opts).unwrap();
    let (mean, var) = exact_moments(&x, |p| geary(p, &w, &opts).unwrap().c);
    assert_close("E(C) by enumeration", 1.0, mean, 1e-10);
    assert_close("Var_R(C) by enumeration", g.variance_random, var, 1e-10);
}

#[test]
fn local_moments_equal_exact_conditional_permutation_moments() {
    let (x, w) = small_case();
    let l = local_moran(&x, &w, &MoranOptions::default()).unwrap();
    let n = x.len();
    let xbar = x.iter().sum::<f64>() / n as f64;
    let z: Vec<f64> = x.iter().map(|v| v - xbar).collect();
    let m2 = z.iter().map(|v| v * v).sum::<f64>() / n as f64;
    let dense = w.to_dense();
    for i in 0..n {
        let mut others: Vec<f64> = (0..n).filter(|&j| j != i).map(|j| z[j]).collect();
        let (mut s, mut s2, mut k) = (0.0, 0.0, 0.0);
        each_permutation(&mut others, &mut |p| {
            // Place the permuted others back around unit i and compute I_i.
            let mut lag = 0.0;
            let mut t = 0;
            for j in 0..n {
                if j != i {
                    lag += dense[i * n + j] * p[t];
                    t += 1;
                }
            }
            let ii = z[i] * lag / m2;
            s += ii;
            s2 += ii * ii;
            k += 1.0;
        });
        let mean = s / k;
        assert_close(&format!("E(I_{i})"), l.expected[i], mean, 1e-10);
        assert_close(&format!("Var(I_{i})"), l.variance[i], s2 / k - mean * mean, 1e-10);
    }
}

#[test]
fn geary_closed_forms_on_four_ring() {
    // Row-standardised 4-ring, x = (1,−1,1,−1): S0 = 4, S1 = 4, S2 = 16, K = 1.
    // C = 3·16/(2·4·4) = 1.5; Var_N = ((8+16)·3 − 64)/(2·5·16) = 0.05;
    // Var_R = [3·4·4 − ¼·3·16·8 + 16·4]/(4·2·1·16) = 16/128 = 0.125.
    let w = ring(4, Standardization::Row);
    let g = geary(&[1.0, -1.0, 1.0, -1.0], &w, &MoranOptions::default()).unwrap();
    assert_close("C", g.c, 1.5, 1e-14);
    assert_close("Var_N(C)", g.variance_normal, 0.05, 1e-14);
    assert_close("Var_R(C)", g.variance_random, 0.125, 1e-14);
    assert_close("z_R (spdep sign: (1 − C)/sd)", g.z, -0.5 / 0.125f64.sqrt(), 1e-14);
    assert_eq!(g.variance, g.variance_random);
}

#[test]
fn four_ring_moran_is_minus_one() {
    let w = ring(4, Standardization::Row);
    let m = moran(&[1.0, -1.0, 1.0, -1.0], &w, &MoranOptions::default()).unwrap();
    assert_close("I", m.i, -1.0, 1e-14);
    assert_close("E(I)", m.expected, -1.0 / 3.0, 1e-14);
    let (s0, s1, s2) = w.s012();
    assert_eq!((s0, s1, s2), (4.0, 4.0, 16.0));
}

#[test]
fn deterministic_panel_case_year_one() {
    // docs/methods.md Appendix B "Deterministic panel test case": Moran of y in year 1.
    let (design, w) = crate::common::appendix_b();
    assert_close("W[1,2]", w.to_dense()[1], 0.2893967506, 1e-9);
    let y = design.y[..12].to_vec();
    assert_close("y_11", y[0], 1.713655, 1e-6);
    let m = moran(&y, &w, &MoranOptions::default()).unwrap();
    let r = 1e-8;
    assert_close("I", m.i, 0.442130482, r);
    assert_close("E(I)", m.expected, -0.0909090909, r);
    assert_close("Var_N", m.variance_normal, 0.0104800250, r);
    assert_close("Z_N", m.z_normal, 5.20688869, r);
    assert_close("p_N", m.p_normal, 1.9203e-7, 1e-4);
    assert_close("Var_R", m.variance_random, 0.0112654056, r);
    assert_close("Z_R", m.z_random, 5.02210787, r);
}

fn city_panel() -> (Panel, Weights) {
    let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    // Weights in an order different from the panel's, to exercise alignment.
    let mut ids = p.ids().to_vec();
    ids.reverse();
    let w = weights_in_order(&citycluster("weights.csv"), &ids);
    (p, w)
}

#[test]
fn panel_table_matches_single_year_and_pooled_matches_block_diagonal() {
    let (p, w) = city_panel();
    let vars = vec!["y".to_string(), "gdppc".to_string()];
    let opts = MoranOptions::default();
    let table = moran_panel(&p, &vars, &w, &opts, false).unwrap();
    assert_eq!(table.rows.len(), 2 * p.t());
    let wa = w.aligned_to(p.ids()).unwrap();
    let n = p.n();
    for m in &table.rows {
        let var = m.variable.clone().unwrap();
        let t = p.times().iter().position(|s| Some(s) == m.period.as_ref()).unwrap();
        let x = &p.var(&var).unwrap()[t * n..(t + 1) * n];
        let mut single = moran(x, &wa, &opts).unwrap();
        single.variable = m.variable.clone();
        single.period = m.period.clone();
        assert_eq!(&single, m, "{var} {t}");
    }
    let text = table.to_table().to_text();
    assert!(
        text.contains("2003") && text.contains("gdppc") && text.contains("(") && text.contains("***"),
        "{text}"
    );
    let long = table.to_long_table();
    assert_eq!(long.rows.len(), 32);
    assert_eq!(long.columns[2], "I");

    // Pooled = Moran's I of the stacked NT-vector under an explicit block-diagonal I_T ⊗ W.
    let pooled = moran_panel(&p, &vars[..1], &w, &opts, true).unwrap();
    assert_eq!(pooled.rows.len(), 1);
    let tt = p.t();
    let mut trip = Vec::new();
    for s in 0..tt {
        for (i, row) in wa.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                trip.push((s * n + i, s * n + j, v));
            }
        }
    }
    let big_ids: Vec<String> = (0..n * tt).map(|k| format!("{}@{}", p.ids()[k % n], k / n)).collect();
    let big = Weights::from_triplets(big_ids, &trip, Standardization::None, false).unwrap();
    let direct = moran(p.var("y").unwrap(), &big, &opts).unwrap();
    let pm = &pooled.rows[0];
    assert_close("pooled I", pm.i, direct.i, 1e-12);
    assert_close("pooled Var_N", pm.variance_normal, direct.variance_normal, 1e-12);
    assert_close("pooled Var_R", pm.variance_random, direct.variance_random, 1e-12);
    assert_eq!(pm.period.as_deref(), Some("pooled"));
}

#[test]
fn same_seed_same_results_for_any_thread_count() {
    let (x, w) = columbus();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            (
                moran(&x, &w, &perms(499)).unwrap(),
                geary(&x, &w, &perms(499)).unwrap(),
                local_moran(&x, &w, &perms(499)).unwrap(),
            )
        })
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    assert_eq!(
        a.0.permutation.as_ref().unwrap().mean,
        b.0.permutation.as_ref().unwrap().mean
    );
    // A different seed gives a different permutation sample.
    let c = moran(
        &x,
        &w,
        &MoranOptions {
            permutations: Some(499),
            seed: 7,
        },
    )
    .unwrap();
    assert_ne!(c.permutation.unwrap().mean, a.0.permutation.unwrap().mean);
    // Local pseudo p: strongly clustered units are significant, and p is a valid pseudo p.
    let ps = a.2.p_sim.unwrap();
    assert!(ps.iter().all(|&p| p > 0.0 && p <= 0.5 + 1e-12));
    assert!(ps.iter().filter(|&&p| p < 0.05).count() >= 5);
}

#[test]
fn geary_on_columbus_is_consistent() {
    let (x, w) = columbus();
    let g = geary(&x, &w, &perms(999)).unwrap();
    // Strong positive autocorrelation: C well below 1, positive z (spdep sign), small p.
    assert!(g.c < 0.7 && g.z > 3.0 && g.p < 1e-3, "{g:?}");
    assert!(g.p_sim.unwrap() <= 0.01);
    assert_close("E(C)", g.expected, 1.0, 0.0);
}

#[test]
fn bad_input_errors_name_the_problem() {
    let (x, w) = columbus();
    let o = MoranOptions::default();
    let e = moran(&vec![2.0; 49], &w, &o).unwrap_err().to_string();
    assert!(e.contains("constant"), "{e}");
    let mut y = x.clone();
    y[4] = f64::NAN;
    let e = moran(&y, &w, &o).unwrap_err().to_string();
    assert!(e.contains("unit 5") && e.contains("value 5"), "{e}");
    let e = geary(&y, &w, &o).unwrap_err().to_string();
    assert!(e.contains("unit 5"), "{e}");
    let e = moran(&x[..48], &w, &o).unwrap_err().to_string();
    assert!(e.contains("48") && e.contains("49"), "{e}");
    let w3 = ring(3, Standardization::Row);
    let e = moran(&[1.0, 2.0, 3.0], &w3, &o).unwrap_err().to_string();
    assert!(e.contains("N = 3") && e.contains("at least 4"), "{e}");
    let e = local_moran(&[1.0, 2.0, 3.0], &w3, &o).unwrap_err().to_string();
    assert!(e.contains("at least 4"), "{e}");
    // Panel: a missing value names the variable, unit and period.
    let f = Frame::from_columns(vec![
        (
            "id".into(),
            Column::Text((0..8).map(|i| format!("u{}", i % 4 + 1)).collect()),
        ),
        (
            "t".into(),
            Column::Num((0..8).map(|i| if i < 4 { 1.0 } else { 2.0 }).collect()),
        ),
        (
            "v".into(),
            Column::Num(vec![1.0, 2.0, 3.0, 5.0, 2.0, f64::NAN, 1.0, 0.0]),
        ),
    ])
    .unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let w4 = Weights::from_triplets(
        (1..=4).map(|i| format!("u{i}")).collect(),
        &[
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 2, 1.0),
            (2, 1, 1.0),
            (2, 3, 1.0),
            (3, 2, 1.0),
        ],
        Standardization::Row,
        false,
    )
    .unwrap();
    let e = moran_panel(&p, &["v".into()], &w4, &o, false).unwrap_err().to_string();
    assert!(
        e.contains("'v'") && e.contains("unit u2") && e.contains("period 2"),
        "{e}"
    );
    let e = moran_panel(&p, &["nope".into()], &w4, &o, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope"), "{e}");
    assert_eq!(key_of_number(2.0), "2");
}

#[test]
fn plots_write_svg_and_png() {
    let titled = spillover::plot::FigureOptions::titled;
    let dir = std::env::temp_dir().join(format!("spillover_esda_plots_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (x, w) = columbus();
    let (p, wc) = city_panel();
    let table = moran_panel(
        &p,
        &["y".into(), "gdppc".into(), "spec".into()],
        &wc,
        &MoranOptions::default(),
        false,
    )
    .unwrap();
    let panels = vec![
        (
            "east".to_string(),
            vec![
                ("direct: spec".to_string(), 0.12, 0.02, 0.22),
                ("indirect: spec".to_string(), 0.35, -0.05, 0.75),
                ("total: ρ".to_string(), 0.47, 0.1, 0.84),
            ],
        ),
        (
            "central".to_string(),
            vec![
                ("direct: spec".to_string(), -0.08, -0.2, 0.04),
                ("indirect: spec".to_string(), 0.1, -0.3, 0.5),
                ("total: ρ".to_string(), 0.02, -0.4, 0.44),
            ],
        ),
    ];
    for ext in ["svg", "png"] {
        let a = dir.join(format!("moran.{ext}"));
        spillover::plot::plot_moran(&x, &w, a.to_str().unwrap(), &titled("Columbus CRIME"), None).unwrap();
        let b = dir.join(format!("series.{ext}"));
        spillover::plot::plot_moran_series(&table, b.to_str().unwrap(), &Default::default()).unwrap();
        let c = dir.join(format!("intervals.{ext}"));
        spillover::plot::plot_intervals(&panels, c.to_str().unwrap(), &titled("Effects with 95% intervals")).unwrap();
        for f in [&a, &b, &c] {
            assert!(std::fs::metadata(f).unwrap().len() > 1000, "{}", f.display());
        }
    }
    let svg = std::fs::read_to_string(dir.join("moran.svg")).unwrap();
    assert!(
        svg.contains("Columbus CRIME") && svg.contains("0.5002"),
        "title missing"
    );
    let png = std::fs::read(dir.join("moran.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let e = spillover::plot::plot_moran(&x, &w, dir.join("m.pdf").to_str().unwrap(), &titled("t"), None).unwrap_err();
    assert!(e.to_string().contains(".svg or .png"));
    if let Ok(keep) = std::env::var("SPILLOVER_KEEP_PLOTS") {
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, std::path::Path::new(&keep).join(f.file_name().unwrap())).unwrap();
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
