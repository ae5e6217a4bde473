//! One line of the customer's side, typed at the terminal or read from a `--script` file,
//! and the client message it becomes. The syntax (also in `huashu call --help`):
//!
//! - any text: the customer says it;
//! - `#` and keys: the customer presses them (`#1` presses 1, `#123#` presses 1, 2, 3, #;
//!   `##` presses #);
//! - `!silence`: the customer says nothing until the bot does something (a no-input timeout);
//! - `!connected`, `!failed [reason]`: the answer to the bot's transfer;
//! - `!hangup`: the customer hangs up;
//! - blank lines and lines starting with `//` are skipped.

use serde_json::{Value, json};

/// Most keys one `dtmf` message may carry (the server refuses more).
const MAX_KEYS: usize = 32;

/// What the customer does on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerLine {
    Says(String),
    Presses(String),
    /// Waits for the bot without saying anything.
    Silence,
    TransferAnswer {
        connected: bool,
        reason: String,
    },
    HangsUp,
}

impl CustomerLine {
    /// Reads one line: `Ok(None)` for a blank or `//` comment line, `Err` saying what is wrong
    /// with a `#` or `!` line that means nothing.
    pub fn parse(line: &str) -> Result<Option<CustomerLine>, String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            return Ok(None);
        }
        if let Some(keys) = line.strip_prefix('#') {
            return keys_pressed(keys).map(|keys| Some(CustomerLine::Presses(keys)));
        }
        if let Some(command) = line.strip_prefix('!') {
            let (word, rest) = command.split_once(' ').unwrap_or((command, ""));
            return match word {
                "silence" => Ok(Some(CustomerLine::Silence)),
                "connected" => Ok(Some(CustomerLine::TransferAnswer {
                    connected: true,
                    reason: String::new(),
                })),
                "failed" => Ok(Some(CustomerLine::TransferAnswer {
                    connected: false,
                    reason: rest.trim().to_owned(),
                })),
                "hangup" => Ok(Some(CustomerLine::HangsUp)),
                _ => Err(format!(
                    "`!{word}` is not a command: use !silence, !connected, !failed REASON or !hangup"
                )),
            };
        }
        Ok(Some(CustomerLine::Says(line.to_owned())))
    }

    /// The client message to send; `None` for silence.
    pub fn message(&self) -> Option<Value> {
        Some(match self {
            Self::Says(text) => json!({ "type": "text", "text": text }),
            Self::Presses(keys) => json!({ "type": "dtmf", "digit": keys }),
            Self::Silence => return None,
            Self::TransferAnswer { connected, reason } => {
                json!({ "type": "transfer_result", "connected": connected, "reason": reason })
            }
            Self::HangsUp => json!({ "type": "hangup" }),
        })
    }
}

/// The keys after a line's `#`: spaces dropped, `a`–`d` upper-cased.
fn keys_pressed(keys: &str) -> Result<String, String> {
    let keys: String = keys
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if keys.is_empty() {
        return Err(
            "`#` needs the keys to press after it: `#1`, `#123#`, `##` for the # key".into(),
        );
    }
    if let Some(bad) = keys
        .chars()
        .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
    {
        return Err(format!(
            "`{bad}` is not a phone key: a `#` line presses 0-9, *, # and A-D"
        ));
    }
    if keys.chars().count() > MAX_KEYS {
        return Err(format!("at most {MAX_KEYS} keys on one line"));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::CustomerLine::{self, *};

    fn parse(line: &str) -> Option<CustomerLine> {
        CustomerLine::parse(line).expect("parses")
    }

    #[test]
    fn text_is_said_trimmed_and_blank_or_comment_lines_are_skipped() {
        assert_eq!(parse("  好的，谢谢 "), Some(Says("好的，谢谢".into())));
        assert_eq!(parse("   "), None);
        assert_eq!(parse("// the member accepts"), None);
    }

    #[test]
    fn a_hash_line_presses_the_keys_after_the_hash() {
        assert_eq!(parse("#1"), Some(Presses("1".into())));
        assert_eq!(parse("#123#"), Some(Presses("123#".into())));
        assert_eq!(parse("##"), Some(Presses("#".into())));
        assert_eq!(parse("# 1 2 *d"), Some(Presses("12*D".into())));
    }

    #[test]
    fn a_hash_line_without_keys_or_with_other_characters_is_refused() {
        assert!(CustomerLine::parse("#").is_err());
        assert!(CustomerLine::parse("#hashtag").is_err());
        assert!(CustomerLine::parse(&format!("#{}", "1".repeat(33))).is_err());
    }

    #[test]
    fn bang_commands_answer_transfers_stay_silent_and_hang_up() {
        assert_eq!(parse("!silence"), Some(Silence));
        assert_eq!(parse("!hangup"), Some(HangsUp));
        assert_eq!(
            parse("!failed no agent free"),
            Some(TransferAnswer {
                connected: false,
                reason: "no agent free".into()
            })
        );
        assert!(CustomerLine::parse("!dance").is_err());
    }

    #[test]
    fn lines_become_the_protocols_client_messages() {
        let text = Says("你好".into()).message().expect("a message");
        assert_eq!(text.to_string(), r#"{"type":"text","text":"你好"}"#);
        let keys = Presses("1#".into()).message().expect("a message");
        assert_eq!(keys.to_string(), r##"{"type":"dtmf","digit":"1#"}"##);
        assert_eq!(Silence.message(), None);
    }
}
