//! Formulas: any text parses or gives an error, never a panic; a parsed formula is looked up
//! in a small frame (unknown names get a "did you mean" hint computed by edit distance).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spillover::data::{Column, Frame};
use spillover::models::{Design, Formula};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = Formula::parse(text) {
        let frame = Frame::from_columns(vec![
            ("y".to_string(), Column::Num(vec![1.0, 2.0, 4.0])),
            ("x".to_string(), Column::Num(vec![0.5, f64::NAN, 3.0])),
            ("gdp pc".to_string(), Column::Num(vec![1e200, 2.0, 3.0])),
            (
                "name".to_string(),
                Column::Text(vec!["a".into(), "b".into(), "c".into()]),
            ),
        ])
        .expect("a valid frame");
        let _ = Design::from_frame(&frame, &f, None);
        let _ = Design::from_frame(&frame, &f, Some("name"));
    }
});
