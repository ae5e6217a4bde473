//! Reads the shell of a documentation code block as a reader's shell would, far enough to
//! find its commands and their words: quotes removed, `\` continuations joined, comments and
//! heredoc bodies skipped, redirections dropped, and commands split at newlines, `;`, `&&`,
//! `||`, `|` and `&`. Expansions are not done here: a word keeps its variables as
//! references, so the caller can expand them with what the block assigned before them.
//! Globs, subshells and arithmetic are left as the literal text they are.

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text (quotes already removed).
    Text(String),
    /// `$NAME`, `${NAME}`, `$!` (as `!`), or `~` at a word's start (as `HOME`).
    Var(String),
    /// `$(…)`, backticks, or a `${…}` with an operator: a value only running the block
    /// would give.
    Unknown,
}

/// A word of a command: the parts that the shell would join into one argument.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// If the word is `NAME=VALUE` (an assignment, when it leads a command): the name, and
    /// the value's parts.
    pub fn assignment(&self) -> Option<(String, Word)> {
        let Some(Part::Text(first)) = self.0.first() else {
            return None;
        };
        let (name, rest) = first.split_once('=')?;
        let mut chars = name.chars();
        let starts_well = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let mut value = vec![Part::Text(rest.to_owned())];
        value.extend(self.0[1..].iter().cloned());
        Some((name.to_owned(), Word(value)))
    }

    /// The word as one string, each variable replaced by what `lookup` gives for it and
    /// each unknown part by `unknown`.
    pub fn expand(&self, lookup: &dyn Fn(&str) -> String, unknown: &str) -> String {
        self.0
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Var(name) => lookup(name),
                Part::Unknown => unknown.to_owned(),
            })
            .collect()
    }

    /// The word's literal text, if it has no expansions.
    pub fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|part| match part {
                Part::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// One simple command of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The line (counted from 0 in the block) its first word is on.
    pub line: usize,
    /// Its words, redirections left out.
    pub words: Vec<Word>,
    /// Its source text, continuation lines joined into one.
    pub source: String,
}

/// The commands of `script`, in order.
pub fn commands(script: &str) -> Vec<Command> {
    let mut lexer = Lexer {
        chars: script.chars().collect(),
        at: 0,
        line: 0,
        word: None,
        words: Vec::new(),
        start: None,
        commands: Vec::new(),
        heredocs: Vec::new(),
        drop_next_word: false,
    };
    lexer.run();
    lexer.commands
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
    /// The word being read, if one has started.
    word: Option<Vec<Part>>,
    words: Vec<Word>,
    /// Where the current command started: its line and char offset.
    start: Option<(usize, usize)>,
    commands: Vec<Command>,
    /// Delimiters of heredocs whose bodies start on the next line.
    heredocs: Vec<String>,
    /// The next word is a redirection's target.
    drop_next_word: bool,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let starts_nothing = matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|')
                || (c == '#' && self.word.is_none());
            if self.start.is_none() && !starts_nothing {
                self.start = Some((self.line, self.at));
            }
            match c {
                ' ' | '\t' => {
                    self.end_word();
                    self.at += 1;
                }
                '\n' => {
                    self.end_command();
                    self.at += 1;
                    self.line += 1;
                    self.skip_heredoc_bodies();
                }
                '#' if self.word.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '\\' => {
                    self.at += 1;
                    match self.peek(0) {
                        Some('\n') => {
                            self.at += 1;
                            self.line += 1;
                        }
                        Some(escaped) => {
                            self.at += 1;
                            self.push_char(escaped);
                        }
                        None => {}
                    }
                }
                '\'' => {
                    self.at += 1;
                    let text = self.take_until('\'');
                    self.push_text(&text);
                }
                '"' => {
                    self.at += 1;
                    self.double_quoted();
                }
                '$' => {
                    self.at += 1;
                    let part = self.expansion();
                    self.push_part(part);
                }
                '`' => {
                    self.at += 1;
                    self.take_until('`');
                    self.push_part(Part::Unknown);
                }
                ';' | '&' | '|' => {
                    self.end_command();
                    self.at += 1;
                    if self.peek(0) == Some(c) {
                        self.at += 1;
                    }
                }
                '<' if self.is_placeholder() => {
                    // `<call-id>` in a usage line is a value to fill in, not a redirection.
                    self.at += 1;
                    let text = self.take_until('>');
                    self.push_text(&format!("<{text}>"));
                }
                '<' | '>' => self.redirection(),
                '~' if self.word.is_none()
                    && self.peek(1).is_none_or(|c| c == '/' || c.is_whitespace()) =>
                {
                    self.at += 1;
                    self.push_part(Part::Var("HOME".into()));
                }
                _ => {
                    self.at += 1;
                    self.push_char(c);
                }
            }
        }
        self.end_command();
    }

    /// Reads up to the next `end` (consumed), counting lines.
    fn take_until(&mut self, end: char) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == end {
                break;
            }
            if c == '\n' {
                self.line += 1;
            }
            text.push(c);
        }
        text
    }

    fn double_quoted(&mut self) {
        // An empty `""` is still a word.
        self.push_text("");
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '"' => return,
                '\\' if self
                    .peek(0)
                    .is_some_and(|next| matches!(next, '"' | '\\' | '$' | '`')) =>
                {
                    let escaped = self.chars[self.at];
                    self.at += 1;
                    self.push_char(escaped);
                }
                '$' => {
                    let part = self.expansion();
                    self.push_part(part);
                }
                '`' => {
                    self.take_until('`');
                    self.push_part(Part::Unknown);
                }
                other => {
                    if other == '\n' {
                        self.line += 1;
                    }
                    self.push_char(other);
                }
            }
        }
    }

    /// The expansion after a `$` (already consumed).
    fn expansion(&mut self) -> Part {
        match self.peek(0) {
            Some('(') => {
                self.at += 1;
                self.take_balanced('(', ')');
                Part::Unknown
            }
            Some('{') => {
                self.at += 1;
                let inner = self.take_balanced('{', '}');
                let is_name = !inner.is_empty()
                    && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if is_name {
                    Part::Var(inner)
                } else {
                    Part::Unknown
                }
            }
            Some(c) if "!$?#@*-0123456789".contains(c) => {
                self.at += 1;
                Part::Var(c.to_string())
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek(0)
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.at += 1;
                    name.push(c);
                }
                Part::Var(name)
            }
            _ => Part::Text("$".into()),
        }
    }

    /// Reads up to the `close` matching an `open` already consumed, stepping over quoted
    /// text; returns what was inside.
    fn take_balanced(&mut self, open: char, close: char) -> String {
        let (mut depth, mut inner) = (1, String::new());
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\'' || c == '"' {
                let quoted = self.take_until(c);
                inner.extend([c].into_iter().chain(quoted.chars()).chain([c]));
                continue;
            }
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if c == '\n' {
                self.line += 1;
            }
            inner.push(c);
        }
        inner
    }

    /// `<name>` with no space inside: a placeholder.
    fn is_placeholder(&self) -> bool {
        if !self.peek(1).is_some_and(|c| c.is_alphabetic()) {
            return false;
        }
        let rest = &self.chars[self.at + 1..];
        let close = rest.iter().position(|&c| c == '>');
        let space = rest.iter().position(|c| c.is_whitespace());
        matches!((close, space), (Some(close), Some(space)) if close < space)
            || matches!((close, space), (Some(_), None))
    }

    /// `>`, `>>`, `<`, `2>&1`, `<<EOF` and the like: not arguments.
    fn redirection(&mut self) {
        // `2>`: the descriptor number is part of the operator, not a word.
        if let Some(word) = &self.word
            && matches!(word.as_slice(), [Part::Text(t)] if t.chars().all(|c| c.is_ascii_digit()))
        {
            self.word = None;
        }
        self.end_word();
        let heredoc = self.peek(0) == Some('<') && self.peek(1) == Some('<');
        while self.peek(0).is_some_and(|c| c == '<' || c == '>') {
            self.at += 1;
        }
        if heredoc {
            if self.peek(0) == Some('-') {
                self.at += 1;
            }
            while self.peek(0).is_some_and(|c| c == ' ' || c == '\t') {
                self.at += 1;
            }
            let mut delimiter = String::new();
            while let Some(c) = self.peek(0).filter(|c| !c.is_whitespace()) {
                self.at += 1;
                if c != '\'' && c != '"' {
                    delimiter.push(c);
                }
            }
            self.heredocs.push(delimiter);
        } else if self.peek(0) == Some('&') {
            self.at += 1;
            while self.peek(0).is_some_and(|c| c.is_ascii_digit() || c == '-') {
                self.at += 1;
            }
        } else {
            self.drop_next_word = true;
        }
    }

    /// After a newline: the bodies of the heredocs opened on the line before.
    fn skip_heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            while self.at < self.chars.len() {
                let end = self.chars[self.at..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(self.chars.len(), |n| self.at + n);
                let line: String = self.chars[self.at..end].iter().collect();
                self.at = (end + 1).min(self.chars.len());
                self.line += 1;
                if line.trim() == delimiter {
                    break;
                }
            }
        }
    }

    fn push_char(&mut self, c: char) {
        self.push_text(c.encode_utf8(&mut [0; 4]));
    }

    fn push_text(&mut self, text: &str) {
        self.begin_word();
        let parts = self.word.get_or_insert_with(Vec::new);
        if let Some(Part::Text(last)) = parts.last_mut() {
            last.push_str(text);
        } else {
            parts.push(Part::Text(text.to_owned()));
        }
    }

    fn push_part(&mut self, part: Part) {
        self.begin_word();
        self.word.get_or_insert_with(Vec::new).push(part);
    }

    fn begin_word(&mut self) {
        if self.word.is_none() {
            self.word = Some(Vec::new());
        }
    }

    fn end_word(&mut self) {
        if let Some(parts) = self.word.take() {
            if std::mem::take(&mut self.drop_next_word) {
                return;
            }
            self.words.push(Word(parts));
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        self.drop_next_word = false;
        let words = std::mem::take(&mut self.words);
        let Some((line, from)) = self.start.take() else {
            return;
        };
        if words.is_empty() {
            return;
        }
        let to = self.at.min(self.chars.len());
        let source: String = self.chars[from..to].iter().collect();
        let source = source
            .replace("\\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.commands.push(Command {
            line,
            words,
            source,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Part, Word, commands};

    fn plain(script: &str) -> Vec<Vec<String>> {
        commands(script)
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| w.expand(&|name| format!("<{name}>"), "<?>"))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn quotes_are_removed_and_keep_spaces_inside_one_word() {
        assert_eq!(
            plain(r#"huashu call --var 'name=王 芳' --var "x=\"y\"""#),
            [["huashu", "call", "--var", "name=王 芳", "--var", r#"x="y""#]]
        );
    }

    #[test]
    fn a_backslash_at_the_line_end_continues_the_command_on_the_next_line() {
        let found = commands("huashu serve --data d \\\n     --listen 127.0.0.1:1\nnext");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].words.len(), 6);
        assert_eq!(
            found[0].source,
            "huashu serve --data d --listen 127.0.0.1:1"
        );
        assert_eq!(found[1].line, 2);
    }

    #[test]
    fn a_comment_starts_only_at_a_word_start_outside_quotes() {
        assert_eq!(
            plain("huashu test a#b '# not' # the comment\n"),
            [["huashu", "test", "a#b", "# not"]]
        );
    }

    #[test]
    fn lists_and_pipes_split_commands_and_redirections_are_not_words() {
        assert_eq!(
            plain("cd x && huashu test . > out.txt 2>&1 | tee y; a & b"),
            [
                vec!["cd", "x"],
                vec!["huashu", "test", "."],
                vec!["tee", "y"],
                vec!["a"],
                vec!["b"]
            ]
        );
    }

    #[test]
    fn heredoc_bodies_are_not_commands() {
        let found = plain("cat > s.yaml <<'EOF'\nhuashu serve --bogus\nEOF\nhuashu test .\n");
        assert_eq!(found, [vec!["cat"], vec!["huashu", "test", "."]]);
    }

    #[test]
    fn variables_stay_references_and_substitutions_stay_unknown() {
        assert_eq!(
            plain(r#"KEY=$(curl -s "a b" | jq .k) x=${K%%'"'*} y="$A-${B}" ~/p $!"#),
            [["KEY=<?>", "x=<?>", "y=<A>-<B>", "<HOME>/p", "<!>"]]
        );
    }

    #[test]
    fn a_leading_name_equals_value_word_is_an_assignment() {
        let word = Word(vec![
            Part::Text("HUASHU_KEY=".into()),
            Part::Var("KEY".into()),
        ]);
        let (name, value) = word.assignment().expect("an assignment");
        assert_eq!(name, "HUASHU_KEY");
        assert_eq!(value.expand(&|_| "k".into(), "?"), "k");
        assert!(
            Word(vec![Part::Text("--var=a".into())])
                .assignment()
                .is_none()
        );
    }

    #[test]
    fn an_angle_bracket_placeholder_is_a_word_not_a_redirection() {
        assert_eq!(
            plain("huashu replay <call-id> --module new.wasm"),
            [["huashu", "replay", "<call-id>", "--module", "new.wasm"]]
        );
    }
}
