//! What `huashu call` prints on stdout: the conversation, one line per thing that happened,
//! stamped with the call's clock, then the outcome. Script logs and dropped input are
//! dimmed on a terminal (unless `NO_COLOR` is set). Hints for the person typing go to
//! stderr, so stdout stays a transcript.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};

use huashu_contract::{Millis, Outcome, Party};

use super::customer_line::CustomerLine;
use super::server_message::ServerMessage;

pub struct TranscriptPrinter {
    dim: bool,
    /// Whether someone types at a terminal (hints go to stderr for them).
    interactive: bool,
}

impl TranscriptPrinter {
    pub fn new(interactive: bool) -> Self {
        let dim = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self { dim, interactive }
    }

    /// Prints a server message worth showing.
    pub fn bot(&self, message: &ServerMessage) {
        match message {
            ServerMessage::Say { at_ms, text } | ServerMessage::SayParts { at_ms, text } => {
                self.line("bot", *at_ms, text);
            }
            ServerMessage::Play { at_ms, prompt } => {
                self.line("bot", *at_ms, &format!("▶ prompt {prompt}"));
            }
            ServerMessage::SendDtmf { at_ms, digits } => {
                self.line("bot", *at_ms, &format!("⌨ sends keys {digits}"));
            }
            ServerMessage::Transfer {
                at_ms,
                target,
                reason,
            } => {
                let why = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                self.line("bot", *at_ms, &format!("↪ transfers to {target}{why}"));
                if self.interactive {
                    eprintln!("(answer the transfer: !connected, or !failed REASON)");
                }
            }
            ServerMessage::Log {
                at_ms,
                level,
                message,
            } => {
                let level = format!("{level:?}").to_lowercase();
                self.dimmed("log", *at_ms, &format!("{level}: {message}"));
            }
            ServerMessage::Ignored { at_ms, what, why } => {
                self.dimmed("", *at_ms, &format!("(ignored the {what}: {why})"));
            }
            ServerMessage::Error { at_ms, message } => {
                self.line("err", *at_ms, &format!("the script failed: {message}"));
            }
            ServerMessage::Hangup { at_ms, by, reason } => {
                let who = match by {
                    Party::Customer => "the customer hung up",
                    Party::Script => "the bot hung up",
                    Party::Host => "the server ended the call",
                };
                self.line("end", *at_ms, &format!("{who} ({reason})"));
            }
            ServerMessage::BadMessage { message } => {
                eprintln!("warning: the server did not take that: {message}");
            }
            ServerMessage::Event { .. } | ServerMessage::Action { .. } => self.http(message),
            ServerMessage::Listen { .. } | ServerMessage::Outcome(_) | ServerMessage::Trace => {}
        }
    }

    /// The script's HTTP requests and their answers: what a script author waits on.
    fn http(&self, message: &ServerMessage) {
        if let Some((at_ms, request)) = message.http_request() {
            let id = if request.id.is_empty() {
                String::new()
            } else {
                format!(" [{}]", request.id)
            };
            let text = format!("→ {} {}{id}", request.method, request.url);
            self.line("http", at_ms, &text);
        } else if let Some((at_ms, result)) = message.http_response() {
            let answer = match &result.outcome {
                Ok(response) => format!("← {}", response.status),
                Err(error) => format!("← {error}"),
            };
            let text = format!("{answer} [{}] after {} ms", result.id, result.elapsed_ms);
            self.line("http", at_ms, &text);
        }
    }

    /// Echoes what a paced customer does (a typing one sees their own line already).
    pub fn customer(&self, line: &CustomerLine, at_ms: Millis) {
        let shown = match line {
            CustomerLine::Says(text) => text.clone(),
            CustomerLine::Presses(keys) => format!("⌨ {keys}"),
            CustomerLine::Silence => "(stays silent)".into(),
            CustomerLine::TransferAnswer {
                connected: true, ..
            } => "↪ transfer connected".into(),
            CustomerLine::TransferAnswer {
                connected: false,
                reason,
            } => format!("↪ transfer failed: {reason}"),
            // The server's `hangup` says it.
            CustomerLine::HangsUp => return,
        };
        self.line("you", at_ms, &shown);
    }

    /// The call's result (`None`: not known, the record is not stored) and its id.
    pub fn outcome(&self, outcome: Option<&Outcome>, call_id: &str) {
        match outcome {
            Some(outcome) => print_out(&outcome_block(outcome, call_id)),
            None => print_out(&format!(
                "\noutcome      (unknown: the call's record is not stored yet)\ncall id      {call_id}\n"
            )),
        }
    }

    fn line(&self, who: &str, at_ms: Millis, text: &str) {
        print_out(&format!("{who:<4} {} {text}\n", stamp(at_ms)));
    }

    fn dimmed(&self, who: &str, at_ms: Millis, text: &str) {
        let line = format!("{who:<4} {} {text}", stamp(at_ms));
        if self.dim {
            print_out(&format!("\x1b[2m{line}\x1b[0m\n"));
        } else {
            print_out(&format!("{line}\n"));
        }
    }
}

/// `[+1.23s]`: seconds since the call connected.
fn stamp(at_ms: Millis) -> String {
    format!("[+{}.{:02}s]", at_ms / 1000, at_ms % 1000 / 10)
}

fn outcome_block(outcome: &Outcome, call_id: &str) -> String {
    let none = || "(none)".to_owned();
    let mut block = String::from("\n");
    let intent = outcome.intent.map_or_else(none, |i| i.to_string());
    let disposition = outcome.disposition.clone().unwrap_or_else(none);
    let tags = if outcome.tags.is_empty() {
        none()
    } else {
        outcome.tags.join(", ")
    };
    let fields = if outcome.fields.is_empty() {
        none()
    } else {
        let pairs: Vec<String> = outcome
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join(", ")
    };
    for (label, value) in [
        ("intent", intent),
        ("disposition", disposition),
        ("tags", tags),
        ("fields", fields),
        ("call id", call_id.to_owned()),
    ] {
        let _ = writeln!(block, "{label:<12} {value}");
    }
    block
}

/// Writes to stdout; a closed stdout (`| head`) is not worth a panic.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_contract::IntentLevel;

    #[test]
    fn stamps_are_seconds_with_two_decimals() {
        assert_eq!(stamp(0), "[+0.00s]");
        assert_eq!(stamp(1234), "[+1.23s]");
        assert_eq!(stamp(61_005), "[+61.00s]");
    }

    #[test]
    fn the_outcome_block_lists_every_part_and_the_call_id() {
        let outcome = Outcome {
            intent: Some(IntentLevel::A),
            disposition: Some("coupon-accepted".into()),
            tags: vec!["coupon-accepted".into(), "vip".into()],
            fields: vec![("coupon_amount".into(), "50".into())],
            ..Outcome::default()
        };
        let block = outcome_block(&outcome, "c_1");
        assert!(block.contains("intent       A\n"), "{block}");
        assert!(
            block.contains("tags         coupon-accepted, vip\n"),
            "{block}"
        );
        assert!(block.contains("fields       coupon_amount=50\n"), "{block}");
        assert!(block.contains("call id      c_1\n"), "{block}");
        let empty = outcome_block(&Outcome::default(), "c_2");
        assert!(empty.contains("disposition  (none)\n"), "{empty}");
    }
}
