//! Shared code of the fuzz targets: one macro for the three weights-file targets.

/// Re-exported so that [`weights_target!`] expands in any target.
pub use libfuzzer_sys;

pub use spillover::weights::io::Format;
use spillover::weights::io::{parse_weights, ReadOptions};
use spillover::weights::Standardization;

/// Parses `data` as a weights file in `format` (`path` names it in errors), with islands
/// refused (the default) and kept, as given and row-standardised: any bytes give Weights or an
/// error naming the file and line, never a panic.
pub fn check_weights(data: &[u8], path: &str, format: Format) {
    for opts in [
        ReadOptions::default(),
        ReadOptions {
            standardize: Some(Standardization::Row),
            keep_islands: true,
            allow_negative: false,
        },
    ] {
        if let Ok(w) = parse_weights(data, path, format, &opts) {
            assert_eq!(w.ids().len(), w.n());
        }
    }
}

/// A fuzz target for the weights format `Format::$format`, with `$path` as the file name in
/// errors: `spillover_fuzz::weights_target!(Gal, "fuzz.gal");`.
#[macro_export]
macro_rules! weights_target {
    ($format:ident, $path:literal) => {
        $crate::libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            $crate::check_weights(data, $path, $crate::Format::$format);
        });
    };
}
