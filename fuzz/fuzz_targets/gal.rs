//! Gal weights files: any bytes give Weights or an error naming the file and line, never a
//! panic; both with islands refused (the default) and kept, as given and row-standardised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spillover::weights::io::{parse_weights, Format, ReadOptions};
use spillover::weights::Standardization;

fuzz_target!(|data: &[u8]| {
    for opts in [
        ReadOptions::default(),
        ReadOptions {
            standardize: Some(Standardization::Row),
            keep_islands: true,
            allow_negative: false,
        },
    ] {
        if let Ok(w) = parse_weights(data, "fuzz.gal", Format::Gal, &opts) {
            assert_eq!(w.ids().len(), w.n());
        }
    }
});
