//! Data CSV: any bytes give a Frame or an error, never a panic; every column of a parsed frame
//! can be asked for as numbers and as keys, and a panel can be attempted on its first two columns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spillover::data::csv::{parse_csv, CsvOptions};
use spillover::data::Panel;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the delimiter, so ';' and tab files are explored too.
    let (opts, body) = match data.split_first() {
        Some((b, rest)) if *b == b';' || *b == b'\t' => (
            CsvOptions {
                delimiter: *b,
                ..CsvOptions::default()
            },
            rest,
        ),
        _ => (CsvOptions::default(), data),
    };
    if let Ok(f) = parse_csv(body, "fuzz.csv", &opts) {
        let names: Vec<String> = f.names().to_vec();
        for n in &names {
            let _ = f.numeric(n);
            let _ = f.keys(n);
        }
        if names.len() >= 2 {
            let _ = Panel::new(&f, &names[0], &names[1]);
        }
    }
});
