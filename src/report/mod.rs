//! Result tables and their exports (text, Markdown, CSV, LaTeX, JSON).

pub mod staging;
pub mod table;

pub use table::{Cell, Table};
