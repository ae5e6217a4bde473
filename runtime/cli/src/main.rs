//! The `huashu` command line. The binary's `main` only calls [`main`]; each subcommand lives
//! in its own file.

mod call_cmd;
mod data_dir;
mod descriptors;
mod guest_build;
use huashu_loadgen as loadgen;
mod new_cmd;
mod replay_cmd;
mod serve;
mod speech_engines;
mod test_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::filter::{LevelFilter, Targets};

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
    /// Start a new call script, in Rust, Python, JavaScript or C, that builds and passes its
    /// first scenario wherever it is created.
    New(new_cmd::NewArgs),
    /// Run a script against scenario files offline, in virtual time.
    Test(test_cmd::TestArgs),
    /// Re-run a recorded call against another module version and show where it diverges.
    Replay(replay_cmd::ReplayArgs),
    /// Talk to a script on a running server: type the customer's side, or play it from a file.
    Call(call_cmd::CallArgs),
    /// Open many Twilio Media Streams calls against a running server and report whether it
    /// kept up: calls held, frames late or dropped, turn latency, CPU.
    Loadgen(loadgen::LoadgenArgs),
}

/// Parses the command line, runs the command, and maps its result to an exit code:
/// 0 success, 1 a scenario failed, a replay diverged or a call ended abnormally, 2 the
/// command could not run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        Command::New(_)
        | Command::Test(_)
        | Command::Replay(_)
        | Command::Call(_)
        | Command::Loadgen(_) => "warn",
    };
    init_logging(cli.log_format, default_level);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::New(args) => new_cmd::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Replay(args) => replay_cmd::run(args),
        Command::Call(args) => call_cmd::run(args),
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
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let spec = std::env::var("HUASHU_LOG").unwrap_or_else(|_| default_level.to_owned());
    let filter = log_filter(&spec).unwrap_or_else(|| {
        eprintln!("HUASHU_LOG={spec:?} is not a log filter; logging at {default_level}");
        log_filter(default_level).unwrap_or_else(|| Box::new(LevelFilter::INFO))
    });
    let registry = tracing_subscriber::registry().with(filter);
    let text = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => registry.with(text).try_init(),
        LogFormat::Json => registry.with(text.json()).try_init(),
    };
}

type LogFilter = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

/// The filter for `spec`, `None` if it does not parse. Targets and levels (the usual case)
/// are decided once per call site by `Targets`. `EnvFilter` is used only when a directive
/// names spans or fields (`[` or `{`): it also takes a lock shared by every task whenever one
/// enters or leaves a span, which every call's task does at every poll.
fn log_filter(spec: &str) -> Option<LogFilter> {
    if spec.contains(['[', '{']) {
        let filter = tracing_subscriber::EnvFilter::try_new(spec).ok()?;
        return Some(Box::new(filter));
    }
    let targets: Targets = spec.parse().ok()?;
    Some(Box::new(targets))
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn log_filters_of_targets_and_levels_parse() {
        for spec in ["info", "warn,huashu::script=debug", "huashu=trace", "off"] {
            assert!(log_filter(spec).is_some(), "{spec}");
        }
    }

    #[test]
    fn span_directives_are_kept_and_garbage_is_refused() {
        assert!(log_filter("huashu[call]=debug").is_some());
        assert!(log_filter("huashu=loud").is_none());
        assert!(log_filter("a=b=c").is_none());
    }
}
