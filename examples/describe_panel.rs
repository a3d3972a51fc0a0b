//! The core library used from Rust alone (no scripting): load the bundled panel and print the
//! descriptive-statistics table.
//!
//! ```sh
//! cargo run --release --example describe_panel
//! ```

use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{vector, Panel};
use spillover::report::{Cell, Table};

fn main() -> spillover::Result<()> {
    let frame = read_csv("examples/data/citycluster/city_year.csv", &CsvOptions::default())?;
    let panel = Panel::new(&frame, "id", "time")?;
    println!(
        "N = {}, T = {} ({}–{})",
        panel.n(),
        panel.t(),
        panel.times()[0],
        panel.times()[panel.t() - 1]
    );
    let mut table = Table::new(
        "Descriptive statistics",
        ["Variable", "Obs", "Mean", "Std. dev.", "Min", "Max"]
            .map(String::from)
            .to_vec(),
    );
    for name in ["y", "spec", "div", "gdppc"] {
        let (obs, mean, sd, min, max) = vector::describe(panel.var(name)?);
        table.push(vec![
            name.into(),
            Cell::Int(obs as i64),
            mean.into(),
            sd.into(),
            min.into(),
            max.into(),
        ]);
    }
    print!("{table}");
    Ok(())
}
