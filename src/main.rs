//! The `spillover` command: REPL, script runner, one-shot evaluation and function listing.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod repl;

/// Spatial-econometric studies scripted in Rhai.
#[derive(Parser)]
#[command(name = "spillover", version, about, long_about = None, after_help = LIMITS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Largest script array, in elements (nested arrays count their elements).
    #[arg(long, global = true, value_name = "N", default_value_t = spillover::script::Limits::DEFAULT.max_array_size)]
    max_array_size: usize,
    /// Largest script string, in bytes.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = spillover::script::Limits::DEFAULT.max_string_size)]
    max_string_size: usize,
    /// Largest script object map, in entries.
    #[arg(long, global = true, value_name = "N", default_value_t = spillover::script::Limits::DEFAULT.max_map_size)]
    max_map_size: usize,
    /// Deepest nesting of script function calls (at most 10000).
    #[arg(long, global = true, value_name = "N", default_value_t = spillover::script::Limits::DEFAULT.max_call_levels,
          value_parser = parse_call_levels)]
    max_call_levels: usize,
    /// Largest single native allocation whose size a script's numbers control (simulated
    /// periods × units, draws × units, permutations × units), in megabytes.
    #[arg(long, global = true, value_name = "MB", default_value_t = spillover::budget::DEFAULT_MAX_BYTES >> 20)]
    max_alloc_mb: u64,
}

const LIMITS_HELP: &str = "Limits: a script that builds an array, string or map larger than the limits above, \
recurses deeper, or asks a native function for more memory than --max-alloc-mb stops with an error \
that names the limit (exit status 1) instead of exhausting memory. The defaults are far above what a \
study needs; raise them with the flags (they go before or after the subcommand).

Exit status: 0 on success; 1 on an error; the script's own status with exit(n); 130 after Ctrl-C.";

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

/// `--max-call-levels`: an integer from 1 to [`spillover::script::Limits::MAX_CALL_LEVELS`].
fn parse_call_levels(s: &str) -> Result<usize, String> {
    let max = spillover::script::Limits::MAX_CALL_LEVELS;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected an integer from 1 to {max}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let limits = spillover::script::Limits {
        max_array_size: cli.max_array_size,
        max_string_size: cli.max_string_size,
        max_map_size: cli.max_map_size,
        max_call_levels: cli.max_call_levels,
    };
    spillover::script::set_limits(limits);
    spillover::budget::set_max_bytes(cli.max_alloc_mb.saturating_mul(1 << 20));
    spillover::progress::set_sink(Some(std::sync::Arc::new(repl::ProgressBars)));
    // Scripts run on a thread with a stack sized for the call-depth limit, so deep recursion
    // and deeply nested data end in an error, never in a stack-overflow abort.
    let command = cli.command.unwrap_or(Command::Repl);
    let worker = std::thread::Builder::new()
        .name("spillover".into())
        .stack_size(limits.stack_bytes())
        .spawn(move || run(command));
    match worker {
        Ok(h) => h.join().unwrap_or(ExitCode::from(101)),
        Err(e) => {
            spillover::script::eprint_line(&format!("cannot start the script thread: {e}"));
            ExitCode::from(1)
        }
    }
}

/// Runs one command (on the script thread).
fn run(command: Command) -> ExitCode {
    match command {
        Command::Run { file, args } => repl::run_file(&file, args),
        Command::Eval { code } => repl::eval_code(&code),
        Command::Functions => {
            let engine = spillover::script::new_engine(None);
            for d in spillover::script::docs::function_docs(&engine) {
                if d.name.starts_with("get$") || d.name.starts_with("set$") || d.name.starts_with("index$") {
                    continue;
                }
                // A closed pipe (`spillover functions | head`) just ends the listing.
                if !spillover::script::print_line(&format!("{}\n    {}", d.signature, d.summary())) {
                    break;
                }
            }
            repl::stdout_code().unwrap_or(ExitCode::SUCCESS)
        }
        Command::Repl => repl::repl(),
    }
}
