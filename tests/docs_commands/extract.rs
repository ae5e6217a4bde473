//! Finds the huashu commands of the docs: in shell code blocks, run as written (see the
//! test's module doc for which blocks and lines), and in running text, the inline code
//! spans that name a huashu command, often shortened (`huashu loadgen … --server-pid`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::shell;

/// One above the largest process id Linux hands out (`pid_max` is at most 2^22), so a
/// `--server-pid` never names a live process.
pub const DEAD_PID: &str = "4194305";

/// The server's default address, for a never-assigned `$SERVER`: documented values are
/// checked as written by the `--help` run, and moved out of reach before the real one.
pub const DOCUMENTED_SERVER: &str = "http://127.0.0.1:7070";

/// A value the reader fills in (`$KEY`, `$(curl …)`).
pub const PLACEHOLDER: &str = "placeholder";

/// A documented command that runs huashu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Where it is: `docs/tenant-guide.md:328`.
    pub place: String,
    /// The command as the document spells it.
    pub source: String,
    /// The arguments given to huashu, variables expanded.
    pub args: Vec<String>,
    /// The variables the block exported, and the command's own `NAME=value` prefixes.
    pub env: Vec<(String, String)>,
}

/// `README.md` and every `*.md` under `docs/`, in a stable order.
pub fn doc_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a docs dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files[1..].sort();
    files
}

/// The shell of each code block that may hold huashu commands: its first line's index in
/// the file (from 0), and its text, lines that are not commands blanked so that line
/// numbers stay right.
fn shell_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String, usize, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                for fence in ["```", "~~~"] {
                    if let Some(info) = trimmed.strip_prefix(fence) {
                        let lang = info.trim_start_matches(fence.chars().next().unwrap_or('`'));
                        let lang = lang.split_whitespace().next().unwrap_or("").to_lowercase();
                        open = Some((fence.to_owned(), lang, index + 1, Vec::new()));
                        break;
                    }
                }
            }
            Some((fence, _, _, lines)) => {
                let bare = line.trim();
                if bare.starts_with(fence.as_str()) && bare.trim_matches(['`', '~']).is_empty() {
                    if let Some((_, lang, first, lines)) = open.take()
                        && let Some(script) = block_script(&lang, &lines)
                    {
                        blocks.push((first, script));
                    }
                } else {
                    lines.push(line);
                }
            }
        }
    }
    blocks
}

/// The commands of a block whose language is `lang`, or `None` if it is not shell.
fn block_script(lang: &str, lines: &[&str]) -> Option<String> {
    let every_line = match lang {
        "sh" | "bash" | "shell" | "zsh" => true,
        "console" | "" => false,
        _ => return None,
    };
    let mut kept = Vec::with_capacity(lines.len());
    let mut continued = false;
    for line in lines {
        let trimmed = line.trim_start();
        let command = trimmed.strip_prefix("$ ");
        let keep = every_line
            || continued
            || match lang {
                "console" => command.is_some(),
                _ => command.unwrap_or(trimmed).starts_with("huashu "),
            };
        let text = if keep { command.unwrap_or(line) } else { "" };
        continued = keep && text.trim_end().ends_with('\\');
        kept.push(text);
    }
    Some(kept.join("\n"))
}

/// The huashu commands of one document.
pub fn invocations_in(label: &str, text: &str, home: &Path) -> Vec<Invocation> {
    let mut found = Vec::new();
    for (first_line, script) in shell_blocks(text) {
        let mut vars = HashMap::from([("HOME".to_owned(), home.display().to_string())]);
        let mut exported = BTreeSet::new();
        for command in shell::commands(&script) {
            let expand = |word: &shell::Word, vars: &HashMap<String, String>| {
                let lookup = |name: &str| {
                    vars.get(name)
                        .cloned()
                        .unwrap_or_else(|| placeholder_for(name).to_owned())
                };
                word.expand(&lookup, PLACEHOLDER).replace('…', "x")
            };
            let words = &command.words;
            if words.first().and_then(shell::Word::literal).as_deref() == Some("export") {
                for word in &words[1..] {
                    if let Some((name, value)) = word.assignment() {
                        let value = expand(&value, &vars);
                        vars.insert(name.clone(), value);
                        exported.insert(name);
                    } else if let Some(name) = word.literal() {
                        exported.insert(name);
                    }
                }
                continue;
            }
            let prefixes = words.iter().map_while(shell::Word::assignment).count();
            let own_env: Vec<(String, String)> = words[..prefixes]
                .iter()
                .filter_map(shell::Word::assignment)
                .map(|(name, value)| {
                    let value = expand(&value, &vars);
                    (name, value)
                })
                .collect();
            if prefixes == words.len() {
                vars.extend(own_env);
                continue;
            }
            let argv: Vec<String> = words[prefixes..].iter().map(|w| expand(w, &vars)).collect();
            if let Some(args) = huashu_args(&argv) {
                let mut env: Vec<(String, String)> = exported
                    .iter()
                    .filter_map(|name| Some((name.clone(), vars.get(name)?.clone())))
                    .collect();
                env.extend(own_env);
                found.push(Invocation {
                    place: format!("{label}:{}", first_line + command.line + 1),
                    source: command.source.clone(),
                    args,
                    env,
                });
            }
        }
    }
    found
}

/// The stand-in for a variable the block never assigned.
fn placeholder_for(name: &str) -> &'static str {
    if name == "!" || name.contains("PID") {
        DEAD_PID
    } else if name.contains("SERVER") || name.contains("URL") {
        DOCUMENTED_SERVER
    } else {
        PLACEHOLDER
    }
}

/// The arguments given to huashu, if `argv` runs it.
pub fn huashu_args(argv: &[String]) -> Option<Vec<String>> {
    let argv = without_wrappers(argv);
    let (program, rest) = argv.split_first()?;
    if program == "huashu" || program.ends_with("/huashu") {
        return Some(rest.to_vec());
    }
    if program != "cargo" || rest.first()? != "run" {
        return None;
    }
    let (cargo_args, args) = match rest.iter().position(|a| a == "--") {
        Some(end) => (&rest[1..end], &rest[end + 1..]),
        None => (&rest[1..], &[][..]),
    };
    let runs_another = cargo_args.iter().enumerate().any(|(i, arg)| {
        let names_target = matches!(arg.as_str(), "-p" | "--package" | "--bin")
            && cargo_args.get(i + 1).is_some_and(|name| name != "huashu");
        let names_target_inline = (arg.starts_with("--package=") || arg.starts_with("--bin="))
            && !arg.ends_with("=huashu");
        names_target || names_target_inline || arg.starts_with("--example")
    });
    (!runs_another).then(|| args.to_vec())
}

/// `argv` without the commands that only run the next one (`taskset -c 1 huashu …`).
fn without_wrappers(mut argv: &[String]) -> &[String] {
    loop {
        match argv.first().map(String::as_str) {
            Some("nohup" | "time" | "exec") => argv = &argv[1..],
            Some("taskset") => {
                argv = &argv[1..];
                while argv.first().is_some_and(|a| a.starts_with('-')) {
                    argv = &argv[1..];
                }
                // The CPU mask, or with `-c` the list.
                argv = argv.get(1..).unwrap_or_default();
            }
            _ => return argv,
        }
    }
}

/// The huashu commands named in inline code spans of `text`'s running text. Their words
/// are taken as written: these are often shortened, so only their names are checked.
pub fn mentions_in(label: &str, text: &str) -> Vec<Invocation> {
    let mut found = Vec::new();
    for (line, span) in inline_code(text) {
        for command in shell::commands(&span) {
            let argv: Vec<String> = command
                .words
                .iter()
                .skip_while(|w| w.assignment().is_some())
                .map(|w| w.expand(&|_| PLACEHOLDER.to_owned(), PLACEHOLDER))
                .collect();
            if let Some(args) = huashu_args(&argv) {
                found.push(Invocation {
                    place: format!("{label}:{}", line + 1),
                    source: command.source,
                    args,
                    env: Vec::new(),
                });
            }
        }
    }
    found
}

/// The inline code spans outside code blocks: the line each starts on (from 0), and its
/// text with line breaks read as spaces.
fn inline_code(text: &str) -> Vec<(usize, String)> {
    let mut prose = String::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let bare = line.trim();
        match fence {
            Some(open) if bare.starts_with(open) && bare.trim_matches(['`', '~']).is_empty() => {
                fence = None;
            }
            Some(_) => {}
            None if bare.starts_with("```") => fence = Some("```"),
            None if bare.starts_with("~~~") => fence = Some("~~~"),
            None => prose.push_str(line),
        }
        prose.push('\n');
    }
    let chars: Vec<char> = prose.chars().collect();
    let run_at = |at: usize| chars[at..].iter().take_while(|&&c| c == '`').count();
    let (mut spans, mut at, mut line) = (Vec::new(), 0, 0);
    while at < chars.len() {
        if chars[at] != '`' {
            line += usize::from(chars[at] == '\n');
            at += 1;
            continue;
        }
        let opening = run_at(at);
        let from = at + opening;
        // The closing run of the same length, within the paragraph.
        let mut to = from;
        let mut close = None;
        while to < chars.len() {
            if chars[to] == '\n' && chars.get(to + 1) == Some(&'\n') {
                break;
            }
            if chars[to] == '`' {
                let run = run_at(to);
                if run == opening {
                    close = Some(to);
                    break;
                }
                to += run;
            } else {
                to += 1;
            }
        }
        let Some(close) = close else {
            at = from;
            continue;
        };
        let span: String = chars[from..close].iter().collect();
        spans.push((line, span.replace('\n', " ").trim().to_owned()));
        line += span.matches('\n').count();
        at = close + opening;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::{DEAD_PID, DOCUMENTED_SERVER, PLACEHOLDER, invocations_in, mentions_in};
    use std::path::Path;

    fn args_in(markdown: &str) -> Vec<Vec<String>> {
        invocations_in("doc.md", markdown, Path::new("/home/reader"))
            .into_iter()
            .map(|i| i.args)
            .collect()
    }

    #[test]
    fn cargo_run_and_the_release_binary_run_huashu_but_cargo_build_does_not() {
        let doc = "```sh\n\
                   cargo build --release -p huashu\n\
                   ./scripts/setup && cargo run --release -- serve   # the server\n\
                   taskset -c 0 target/release/huashu loadgen --calls 5 > out.json &\n\
                   cargo run -p other -- serve\n\
                   ```\n";
        assert_eq!(
            args_in(doc),
            [vec!["serve"], vec!["loadgen", "--calls", "5"]]
        );
    }

    #[test]
    fn only_shell_blocks_and_prompt_lines_are_read() {
        let doc = "```json\nhuashu serve\n```\n\
                   ```console\n$ huashu test .\nhuashu test output, not a command\n```\n\
                   ```\ncarrier ──► huashu --sip-listen\nhuashu new x --lang c\n```\n";
        assert_eq!(
            args_in(doc),
            [vec!["test", "."], vec!["new", "x", "--lang", "c"]]
        );
    }

    #[test]
    fn variables_take_what_the_block_assigned_and_placeholders_otherwise() {
        let doc = "Text.\n\n```sh\n\
                   huashu serve &\n\
                   SERVER=$!\n\
                   export HUASHU_KEY=hk_…\n\
                   KEY=$(curl -s x | jq -r .api_key)\n\
                   huashu loadgen --key \"$KEY\" --server-pid $SERVER --dir ~/x\n\
                   HUASHU_LOG=debug huashu replay $CALL --server \"$SERVER_URL\"\n\
                   ```\n";
        let found = invocations_in("doc.md", doc, Path::new("/home/reader"));
        assert_eq!(found.len(), 3);
        assert_eq!(found[1].place, "doc.md:8");
        assert_eq!(
            found[1].args,
            [
                "loadgen",
                "--key",
                PLACEHOLDER,
                "--server-pid",
                DEAD_PID,
                "--dir",
                "/home/reader/x"
            ]
        );
        assert_eq!(found[1].env, [("HUASHU_KEY".into(), "hk_x".into())]);
        assert_eq!(
            found[2].args,
            ["replay", PLACEHOLDER, "--server", DOCUMENTED_SERVER]
        );
        assert_eq!(found[2].env.len(), 2);
    }

    #[test]
    fn inline_code_naming_huashu_is_a_mention_wherever_its_span_breaks() {
        let doc = "Run `huashu serve --max-calls`, or `N=1 taskset\n-c 0 huashu loadgen … --sip`.\n\
                   Not `huashu:dialogue@0.2.0`, not `cargo build`.\n\
                   ```sh\necho `huashu test x`\n```\n";
        let found = mentions_in("doc.md", doc);
        let args: Vec<&[String]> = found.iter().map(|m| m.args.as_slice()).collect();
        assert_eq!(
            args,
            [
                &["serve", "--max-calls"][..],
                &["loadgen", "…", "--sip"][..]
            ]
        );
        assert_eq!(found[1].place, "doc.md:1");
    }
}
