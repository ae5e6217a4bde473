//! Every command in `README.md` and `docs/**/*.md` that runs huashu is one the binary
//! accepts, so a renamed subcommand or flag cannot leave a stale example behind.
//!
//! # Layout
//! - `docs_commands/shell.rs` reads the shell of a code block into commands and words.
//! - `docs_commands/extract.rs` finds the huashu commands of a document.
//! - `docs_commands/run.rs` runs the binary where it can do no harm, and stops it.
//! - This file checks each command, and collects every refusal into one failure.
//!
//! # Which commands
//! Fenced code blocks marked `sh`, `bash`, `shell` or `zsh` are read as the shell would
//! read them (`docs_commands/shell.rs`); in `console` blocks only the `$ ` prompt lines; in
//! unmarked blocks only the lines that start with `huashu ` or `$ huashu `. A command runs
//! huashu when its program is `huashu`, a path ending in `/huashu`
//! (`./target/release/huashu`) or `cargo run [--release] --`, after any `NAME=value`
//! prefixes and `taskset`, `nohup`, `time` or `exec` wrappers. Variables take the value the
//! block assigned them before the command (`SERVER=$!`, `export HUASHU_KEY=hk_…`); one it
//! never assigned, or one only running the block would give (`KEY=$(curl …)`), a
//! placeholder of the right kind: an address for `…SERVER`/`…URL`, a process id for `…PID`
//! and `$!`, a word otherwise. `…` in a value reads as `x`.
//!
//! # How a command is checked without running it
//! clap has no dry run, so each command runs twice, through the real binary:
//! 1. **As documented, with `--help` appended.** clap parses the words in order and only
//!    then acts on `--help`: a misspelled subcommand, an unknown flag or a value its parser
//!    refuses (a `--listen` that is no socket address, `--rtp-ports` that is no range) is
//!    an error before it, while a valid line prints the help and does nothing. It cannot see a required
//!    argument left out, or two flags that conflict: clap checks those after the last word.
//! 2. **For real, where it can do no harm and ends fast.** Every run has its own empty
//!    working directory and `HOME`, so relative paths (and `serve`'s default
//!    `./huashu-data`) land there; absolute paths are moved under a scratch directory;
//!    every address, to listen on or to reach, becomes `127.0.0.1:0` (a free port to
//!    listen on; nothing to connect to); `HUASHU_SERVER` points there too, and `serve` and
//!    `loadgen` are given `--listen` / `--server` when the line has none, since their
//!    defaults are a real local server's. Flags are only appended, never dropped;
//!    `huashu new` really writes its project, into that directory or `HOME`. A
//!    command that got past parsing then fails at its first real step, or, like `serve`,
//!    runs: it is stopped once it says it is listening, or after `RUN_LIMIT`.
//!
//! Commands named in running text (`` `huashu loadgen … --server-pid` ``) are often
//! shortened, so they are not run: their subcommand must exist and every `--flag` they
//! name must be one of its options, as its `--help` lists them. A span whose second word is
//! no subcommand and that names no flag is not a command (`huashu listening on …`).
//!
//! A run failed parsing when clap says so: exit code 2 with clap's usage or its
//! `For more information, try '--help'.` (the binary's own errors also exit 2, but with
//! neither). A panic fails too: a documented command must never crash the binary.

mod support;

#[path = "docs_commands/extract.rs"]
mod extract;
#[path = "docs_commands/run.rs"]
mod run;
#[path = "docs_commands/shell.rs"]
mod shell;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use extract::Invocation;
use run::{Run, harmless, harmless_args, run_huashu, subcommand};

/// Commands checked at once. Most runs wait (a `loadgen` held to its time limit); four
/// debug-build servers starting together on two cores still say they listen well inside
/// the limit.
const PARALLEL_RUNS: usize = 4;

#[test]
fn every_documented_huashu_command_is_accepted_by_the_binary() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).expect("home dir");
    let root = support::workspace_root();

    let mut invocations = Vec::new();
    let files = extract::doc_files(&root);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a doc file");
        let label = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        invocations.extend(extract::invocations_in(&label, &text, &home));
    }
    // The docs run every subcommand at least once; far fewer found means the reader broke.
    assert!(
        invocations.len() >= 10,
        "only {} huashu commands found in {} files: {invocations:#?}",
        invocations.len(),
        files.len()
    );

    let results = in_parallel(&invocations, |invocation| {
        check(invocation, scratch.path(), &home)
    });
    let refused = refusals(&invocations, results);
    println!(
        "checked {} huashu commands in {} files",
        invocations.len(),
        files.len()
    );
    assert!(
        refused.is_empty(),
        "{} of {} documented huashu commands are refused by the binary:\n\n{}",
        refused.len(),
        invocations.len(),
        refused.join("\n\n")
    );
}

#[test]
fn every_huashu_command_named_in_the_text_uses_real_names() {
    let root = support::workspace_root();
    let mut mentions = Vec::new();
    for file in extract::doc_files(&root) {
        let text = std::fs::read_to_string(&file).expect("read a doc file");
        let label = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        mentions.extend(extract::mentions_in(&label, &text));
    }
    assert!(
        mentions.len() >= 10,
        "only {} huashu commands found in the text: {mentions:#?}",
        mentions.len()
    );
    let mut helps = HelpTexts::default();
    let results: Vec<_> = mentions.iter().map(|m| helps.check(m)).collect();
    let refused = refusals(&mentions, results);
    println!(
        "checked {} huashu commands named in the text",
        mentions.len()
    );
    assert!(
        refused.is_empty(),
        "{} of {} huashu commands named in the docs' text name what the binary lacks:\n\n{}",
        refused.len(),
        mentions.len(),
        refused.join("\n\n")
    );
}

/// `check` of every item, [`PARALLEL_RUNS`] at a time, results in the items' order.
fn in_parallel<T: Sync>(
    items: &[T],
    check: impl Fn(&T) -> Result<(), String> + Sync,
) -> Vec<Result<(), String>> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![Ok(()); items.len()]);
    std::thread::scope(|threads| {
        for _ in 0..PARALLEL_RUNS {
            threads.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = check(item);
                    results.lock().expect("results lock")[index] = result;
                }
            });
        }
    });
    results.into_inner().expect("results lock")
}

/// One paragraph per refused command: where it is, what it says, and why it was refused.
fn refusals(invocations: &[Invocation], results: Vec<Result<(), String>>) -> Vec<String> {
    invocations
        .iter()
        .zip(results)
        .filter_map(|(invocation, result)| {
            let why = result.err()?;
            Some(format!(
                "{}: {}\n{}",
                invocation.place,
                invocation.source,
                indent(&why)
            ))
        })
        .collect()
}

/// Both runs of one command; the first refusal, or a panic, as a message.
fn check(invocation: &Invocation, scratch: &Path, home: &Path) -> Result<(), String> {
    let mut help_args = invocation.args.clone();
    let end_of_options = help_args.iter().position(|a| a == "--");
    help_args.insert(end_of_options.unwrap_or(help_args.len()), "--help".into());
    let run = run_huashu(&help_args, &invocation.env, home);
    if let Some(refusal) = refused(&run) {
        return Err(format!("ran: {}\n{refusal}", shown(&help_args)));
    }
    if run.code != Some(0) || !run.stdout.contains("Usage:") {
        return Err(format!(
            "ran: {}\nwith --help it printed no help (exit {:?}):\n{}",
            shown(&help_args),
            run.code,
            run.stderr.trim()
        ));
    }

    let args = harmless_args(&invocation.args, scratch);
    let env: Vec<(String, String)> = invocation
        .env
        .iter()
        .map(|(name, value)| (name.clone(), harmless(value, scratch)))
        .collect();
    let run = run_huashu(&args, &env, home);
    if let Some(refusal) = refused(&run) {
        return Err(format!("ran: {}\n{refusal}", shown(&args)));
    }
    if run.code == Some(101) || run.stderr.contains("panicked at") {
        return Err(format!(
            "ran: {}\nthe binary panicked:\n{}",
            shown(&args),
            run.stderr.trim()
        ));
    }
    Ok(())
}

/// clap's message, if clap refused the command line.
fn refused(run: &Run) -> Option<String> {
    let clap_said = run.stderr.contains("For more information, try '--help'.")
        || run.stderr.contains("Usage: huashu");
    (run.code == Some(2) && clap_said).then(|| run.stderr.trim().to_owned())
}

/// The `--help` of each subcommand, asked once.
#[derive(Default)]
struct HelpTexts {
    /// By subcommand (`""` for huashu itself): its help, or `None` if there is no such
    /// subcommand.
    texts: HashMap<String, Option<String>>,
}

impl HelpTexts {
    fn help(&mut self, sub: &str) -> Option<&str> {
        let text = self.texts.entry(sub.to_owned()).or_insert_with(|| {
            let home = tempfile::tempdir().expect("a home dir");
            let args: Vec<String> = [sub, "--help"]
                .into_iter()
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect();
            let run = run_huashu(&args, &[], home.path());
            (run.code == Some(0)).then_some(run.stdout)
        });
        text.as_deref()
    }

    /// A shortened command: its subcommand exists and has every `--flag` it names.
    fn check(&mut self, mention: &Invocation) -> Result<(), String> {
        let flags: Vec<&str> = mention
            .args
            .iter()
            .filter(|a| a.starts_with("--") && a.as_str() != "--")
            .map(|a| a.split('=').next().unwrap_or(a))
            .collect();
        let sub = subcommand(&mention.args).unwrap_or("");
        let Some(help) = self.help(sub) else {
            if flags.is_empty() {
                // `huashu listening on …`: output, not a command.
                return Ok(());
            }
            return Err(format!("huashu has no subcommand `{sub}`"));
        };
        // Option lines start with the option: `      --server <URL>`, `  -h, --help`.
        let options: Vec<&str> = help
            .lines()
            .map(str::trim_start)
            .filter(|line| line.starts_with('-'))
            .flat_map(|line| line.split([' ', ',']))
            .collect();
        let unknown: Vec<&str> = flags
            .into_iter()
            .filter(|flag| !options.contains(flag))
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!("`huashu {sub}` has no {}", unknown.join(", ")))
        }
    }
}

fn shown(args: &[String]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    format!("huashu {}", quoted.join(" "))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The check itself, on commands known to be wrong or right.
mod the_check {
    use super::{HelpTexts, check};
    use crate::extract::Invocation;
    use std::path::Path;

    fn invocation(args: &[&str]) -> Invocation {
        Invocation {
            place: "doc.md:1".into(),
            source: args.join(" "),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
        }
    }

    fn checked(args: &[&str]) -> Result<(), String> {
        let scratch = tempfile::tempdir().expect("scratch dir");
        check(&invocation(args), scratch.path(), scratch.path())
    }

    #[test]
    fn a_misspelled_flag_is_refused_with_claps_message() {
        let why = checked(&["serve", "--lisen", "127.0.0.1:1"]).expect_err("refused");
        assert!(why.contains("unexpected argument '--lisen'"), "{why}");
    }

    #[test]
    fn a_value_clap_cannot_parse_is_refused() {
        let why = checked(&["serve", "--rtp-ports", "20000"]).expect_err("refused");
        assert!(why.contains("invalid value"), "{why}");
    }

    #[test]
    fn a_missing_required_argument_is_refused_though_help_accepts_the_line() {
        let why = checked(&["replay", "CALL_ID"]).expect_err("refused");
        assert!(
            why.contains("required arguments were not provided"),
            "{why}"
        );
    }

    #[test]
    fn a_server_documented_on_a_system_path_starts_elsewhere_and_is_stopped() {
        let documented = "/var/lib/huashu-docs-commands-check";
        checked(&["serve", "--listen", "0.0.0.0:7070", "--data", documented])
            .expect("serve parses");
        assert!(!Path::new(documented).exists());
    }

    #[test]
    fn a_flag_named_in_the_text_must_be_one_the_subcommand_has() {
        let mut helps = HelpTexts::default();
        assert!(helps.check(&invocation(&["serve", "--max-calls"])).is_ok());
        assert!(
            helps
                .check(&invocation(&["loadgen", "…", "--server-pid"]))
                .is_ok()
        );
        let why = helps
            .check(&invocation(&["serve", "--max-call"]))
            .expect_err("no such flag");
        assert!(why.contains("--max-call"), "{why}");
        assert!(helps.check(&invocation(&["sever", "--data"])).is_err());
        assert!(helps.check(&invocation(&["listening", "on"])).is_ok());
    }
}
