//! The `spillover` command: REPL, script runner, one-shot evaluation and function listing.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod repl;

/// Spatial-econometric studies scripted in Rhai.
#[derive(Parser)]
#[command(name = "spillover", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script; ARGS are available to it as the array `ARGS`.
    Run {
        /// The .rhai file.
        file: String,
        /// Arguments passed to the script.
        args: Vec<String>,
    },
    /// Evaluate one snippet and print its value.
    Eval {
        /// Rhai code.
        code: String,
    },
    /// List every registered function with its signature and one-line doc.
    Functions,
    /// Start the interactive REPL (the default).
    Repl,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Repl) {
        Command::Run { file, args } => repl::run_file(&file, args),
        Command::Eval { code } => repl::eval_code(&code),
        Command::Functions => {
            use std::io::Write;
            let engine = spillover::script::new_engine(None);
            let mut out = std::io::stdout().lock();
            for d in spillover::script::docs::function_docs(&engine) {
                if d.name.starts_with("get$") || d.name.starts_with("set$") || d.name.starts_with("index$") {
                    continue;
                }
                // A closed pipe (`spillover functions | head`) just ends the listing.
                if writeln!(out, "{}\n    {}", d.signature, d.summary()).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Command::Repl => repl::repl(),
    }
}
