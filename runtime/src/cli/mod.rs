//! The `huashu` command line. The binary's `main` only calls [`main`]; each subcommand lives
//! in its own file.

mod guest_build;
mod loadgen;
mod replay_cmd;
mod serve;
mod speech_engines;
mod test_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// huashu runs phone-bot dialogue scripts (话术) as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "huashu", version, about)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: HTTP API, call WebSockets, embedded store.
    Serve(serve::ServeArgs),
    /// Run a script against scenario files offline, in virtual time.
    Test(test_cmd::TestArgs),
    /// Re-run a recorded call against another module version and show where it diverges.
    Replay(replay_cmd::ReplayArgs),
    /// Open many Twilio Media Streams calls against a running server and report whether it
    /// kept up: calls held, frames late or dropped, turn latency, CPU.
    Loadgen(loadgen::LoadgenArgs),
}

/// Parses the command line, runs the command, and maps its result to an exit code:
/// 0 success, 1 a scenario failed or a replay diverged, 2 the command could not run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        Command::Test(_) | Command::Replay(_) | Command::Loadgen(_) => "warn",
    };
    init_logging(cli.log_format, default_level);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Replay(args) => replay_cmd::run(args),
        Command::Loadgen(args) => loadgen::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, filtered by `HUASHU_LOG` (e.g. `info,huashu::script=debug`).
fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HUASHU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
