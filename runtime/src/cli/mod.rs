//! The `huashu` command line. The binary's `main` only calls [`main`]; each subcommand lives
//! in its own file.

mod guest_build;
mod test_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// huashu runs phone-bot dialogue scripts (话术) as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "huashu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a script against scenario files offline, in virtual time.
    Test(test_cmd::TestArgs),
}

/// Parses the command line, runs the command, and maps its result to an exit code:
/// 0 success, 1 a scenario failed, 2 the command could not run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Test(args) => test_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HUASHU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
