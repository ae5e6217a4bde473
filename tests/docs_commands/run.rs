//! Runs the real binary where a documented command can do no harm: its own empty working
//! directory and `HOME`, absolute paths moved under a scratch directory, every address moved
//! to [`NOWHERE`]; and stops it once it listens or after [`RUN_LIMIT`].

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a command may run before it is stopped. clap refuses a command line within
/// milliseconds of the start; one still running after 3 s on a loaded two-core machine got
/// past parsing long ago (`loadgen` holding calls that fail, a `serve` that is slow to say
/// it listens).
pub const RUN_LIMIT: Duration = Duration::from_secs(3);

/// An address nothing can connect to and anything may listen on: port 0.
pub const NOWHERE: &str = "127.0.0.1:0";

/// What the server prints once it accepts connections.
const LISTENING: &str = "huashu listening on";

/// The documented arguments, made harmless to run, with the flags that keep `serve` and
/// `loadgen` off any real server's address.
pub fn harmless_args(args: &[String], scratch: &Path) -> Vec<String> {
    let mut harmless_args: Vec<String> = args.iter().map(|a| harmless(a, scratch)).collect();
    let has = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let missing = match subcommand(args) {
        Some("serve") if !has("--listen") => Some(["--listen", NOWHERE]),
        Some("loadgen") if !has("--server") => Some(["--server", "http://127.0.0.1:0"]),
        _ => None,
    };
    if let Some(flag) = missing {
        let end_of_options = harmless_args.iter().position(|a| a == "--");
        let at = end_of_options.unwrap_or(harmless_args.len());
        harmless_args.splice(at..at, flag.map(String::from));
    }
    harmless_args
}

/// The subcommand's name: the first word that is neither an option nor its value.
pub fn subcommand(args: &[String]) -> Option<&str> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--log-format" {
            words.next();
        } else if !word.starts_with('-') {
            return Some(word);
        }
    }
    None
}

/// `value` (or the value of a `--flag=value`) made harmless: an absolute path moved under
/// `scratch`, an address (`host:port` or a URL) moved to [`NOWHERE`].
pub fn harmless(value: &str, scratch: &Path) -> String {
    if let Some((flag, inner)) = value.split_once('=')
        && flag.starts_with("--")
    {
        return format!("{flag}={}", harmless(inner, scratch));
    }
    if value.starts_with('/') && !Path::new(value).starts_with(scratch) {
        let moved = scratch.join("root").join(value.trim_start_matches('/'));
        return moved.display().to_string();
    }
    if let Some((scheme, rest)) = value.split_once("://")
        && matches!(scheme, "http" | "https" | "ws" | "wss")
    {
        let path = rest.find('/').map_or("", |at| &rest[at..]);
        return format!("{scheme}://{NOWHERE}{path}");
    }
    let is_address = value.parse::<SocketAddr>().is_ok()
        || value
            .strip_prefix("localhost:")
            .is_some_and(|port| port.parse::<u16>().is_ok());
    if is_address {
        return NOWHERE.to_owned();
    }
    value.to_owned()
}

/// What one run of the binary did.
pub struct Run {
    /// Its exit code; `None` if it was stopped (running, or listening).
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

/// Runs huashu with `args` in a fresh empty directory, with the environment's `HUASHU_*`
/// replaced by `env`; stops it once it listens or after [`RUN_LIMIT`].
pub fn run_huashu(args: &[String], env: &[(String, String)], home: &Path) -> Run {
    let cwd = tempfile::tempdir().expect("a working dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_huashu"));
    command
        .args(args)
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("HUASHU_") {
            command.env_remove(name);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("HUASHU_SERVER", format!("http://{NOWHERE}"))
        .envs(env.iter().map(|(name, value)| (name, value)));
    let mut child = command.spawn().expect("start huashu");

    let (lines, received) = mpsc::channel();
    let pipes: [(bool, Box<dyn Read + Send>); 2] = [
        (false, Box::new(child.stdout.take().expect("piped stdout"))),
        (true, Box::new(child.stderr.take().expect("piped stderr"))),
    ];
    for (is_stderr, pipe) in pipes {
        let lines = lines.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line).into_owned();
                if lines.send((is_stderr, text)).is_err() {
                    break;
                }
                line.clear();
            }
        });
    }
    drop(lines);

    let (mut stdout, mut stderr) = (String::new(), String::new());
    let deadline = Instant::now() + RUN_LIMIT;
    let mut stop = false;
    loop {
        match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((is_stderr, line)) => {
                stop = line.contains(LISTENING);
                if is_stderr { &mut stderr } else { &mut stdout }.push_str(&line);
                if stop {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                stop = true;
                break;
            }
            // Both pipes closed: the process has ended.
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    if stop {
        // Already exited is fine: it is stopped either way.
        let _ = child.kill();
    }
    let status = child.wait().expect("wait for huashu");
    while let Ok((is_stderr, line)) = received.try_recv() {
        if is_stderr { &mut stderr } else { &mut stdout }.push_str(&line);
    }
    Run {
        code: if stop { None } else { status.code() },
        stdout,
        stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::{NOWHERE, harmless, harmless_args};
    use std::path::Path;

    #[test]
    fn paths_and_addresses_are_moved_where_running_them_is_harmless() {
        let scratch = Path::new("/tmp/scratch");
        let args: Vec<String> = [
            "--log-format",
            "json",
            "serve",
            "--data=/var/lib/huashu",
            "--sip-listen",
            "0.0.0.0:5060",
            "--sip-advertise",
            "203.0.113.10",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            harmless_args(&args, scratch),
            [
                "--log-format",
                "json",
                "serve",
                "--data=/tmp/scratch/root/var/lib/huashu",
                "--sip-listen",
                NOWHERE,
                "--sip-advertise",
                "203.0.113.10",
                "--listen",
                NOWHERE
            ]
        );
        assert_eq!(
            harmless("http://localhost:7070/v1", scratch),
            "http://127.0.0.1:0/v1"
        );
        assert_eq!(harmless("localhost:5070", scratch), NOWHERE);
        assert_eq!(
            harmless("/tmp/scratch/home/x", scratch),
            "/tmp/scratch/home/x"
        );
    }

    #[test]
    fn loadgen_gets_a_server_out_of_reach_when_the_line_names_none() {
        let args: Vec<String> = ["loadgen", "--sip", "127.0.0.1:5070"]
            .map(String::from)
            .into();
        assert_eq!(
            harmless_args(&args, Path::new("/tmp/s")),
            [
                "loadgen",
                "--sip",
                NOWHERE,
                "--server",
                "http://127.0.0.1:0"
            ]
        );
    }
}
