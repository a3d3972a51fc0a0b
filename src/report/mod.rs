//! Result tables and their exports: text, Markdown, CSV, JSON ([`table`]), LaTeX ([`latex`]),
//! HTML ([`html`]; whole reports in [`html_report`]), Word ([`docx`]) and Excel ([`xlsx`]) workbooks, saved by extension
//! ([`save`]).

pub mod docx;
pub mod html;
pub mod html_report;
pub mod labels;
pub mod latex;
pub mod save;
pub mod staging;
pub mod table;
pub mod xlsx;

pub use table::{Cell, Table};
