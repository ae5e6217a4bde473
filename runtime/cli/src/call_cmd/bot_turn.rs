//! When a paced customer (a `--script` file, piped input) may act next: once the bot's turn
//! is over. No I/O and no clock of its own: the caller passes the time in and sleeps until
//! [`BotTurn::quiet_deadline`].
//!
//! The server settles a turn before it answers (on a text call playback takes no time), so
//! one customer line is answered by one batch of messages, and the batch ends with what the
//! bot waits for: `listen` (the customer's turn), `transfer` (a transfer answer), `hangup`
//! (nothing more). Some turns end with none of these: a key press that does not complete
//! the script's DTMF collection is answered by nothing at all, a script may reply without
//! listening. For those the turn ends after [`QUIET`] without a message.

use std::time::Duration;

use tokio::time::Instant;

use super::customer_line::CustomerLine;
use super::server_message::ServerMessage;

/// How long the bot stays silent before a turn that ended without `listen` counts as over.
/// A script answers in milliseconds, and the sandbox stops one that takes more than 500 ms
/// of wall-clock time on an event (docs/sandbox.md), so a second of nothing means nothing
/// more is coming; longer would only slow scripted calls that press keys one at a time.
pub const QUIET: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct BotTurn {
    /// The bot's turn is under way: the customer waits.
    waiting: bool,
    /// Whether silence ends the turn: not while the customer stays silent and the bot has
    /// not yet reacted (its no-input timeout may take many seconds).
    quiet_ends_it: bool,
    /// The last thing that happened: the customer's line or the bot's last message.
    since: Instant,
}

impl BotTurn {
    /// A call that just connected: the bot speaks first.
    pub fn new(now: Instant) -> Self {
        Self {
            waiting: true,
            quiet_ends_it: true,
            since: now,
        }
    }

    /// Whether the customer may act now.
    pub fn customer_may_act(&self) -> bool {
        !self.waiting
    }

    /// The customer acted (or chose silence): the bot's turn begins.
    pub fn customer_acted(&mut self, line: &CustomerLine, now: Instant) {
        self.waiting = true;
        self.quiet_ends_it = *line != CustomerLine::Silence;
        self.since = now;
    }

    /// The bot did something.
    pub fn bot_sent(&mut self, message: &ServerMessage, now: Instant) {
        match message {
            ServerMessage::Listen { .. }
            | ServerMessage::Transfer { .. }
            | ServerMessage::Hangup { .. }
            // The customer's message was refused: nothing will answer it.
            | ServerMessage::BadMessage { .. } => self.waiting = false,
            _ => {
                self.quiet_ends_it = true;
                self.since = now;
            }
        }
    }

    /// When the turn counts as over if nothing else arrives.
    pub fn quiet_deadline(&self) -> Option<Instant> {
        (self.waiting && self.quiet_ends_it).then(|| self.since + QUIET)
    }

    /// Nothing arrived by [`Self::quiet_deadline`].
    pub fn quiet_elapsed(&mut self) {
        self.waiting = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say() -> ServerMessage {
        ServerMessage::Say {
            at_ms: 0,
            text: "您好".into(),
        }
    }

    #[test]
    fn the_customer_waits_for_the_greeting_until_the_bot_listens() {
        let t0 = Instant::now();
        let mut turn = BotTurn::new(t0);
        assert!(!turn.customer_may_act());
        turn.bot_sent(&say(), t0);
        assert!(!turn.customer_may_act());
        turn.bot_sent(&ServerMessage::Listen { at_ms: 0 }, t0);
        assert!(turn.customer_may_act());
        assert_eq!(turn.quiet_deadline(), None);
    }

    #[test]
    fn a_turn_without_listen_ends_after_a_quiet_second_from_the_last_message() {
        let t0 = Instant::now();
        let mut turn = BotTurn::new(t0);
        turn.bot_sent(&ServerMessage::Listen { at_ms: 0 }, t0);
        turn.customer_acted(&CustomerLine::Presses("1".into()), t0);
        assert_eq!(turn.quiet_deadline(), Some(t0 + QUIET));
        let later = t0 + Duration::from_millis(300);
        turn.bot_sent(&say(), later);
        assert_eq!(turn.quiet_deadline(), Some(later + QUIET));
        turn.quiet_elapsed();
        assert!(turn.customer_may_act());
    }

    #[test]
    fn silence_waits_for_the_bot_to_react_before_quiet_counts() {
        let t0 = Instant::now();
        let mut turn = BotTurn::new(t0);
        turn.bot_sent(&ServerMessage::Listen { at_ms: 0 }, t0);
        turn.customer_acted(&CustomerLine::Silence, t0);
        assert_eq!(turn.quiet_deadline(), None);
        let no_input = t0 + Duration::from_secs(6);
        turn.bot_sent(&say(), no_input);
        assert_eq!(turn.quiet_deadline(), Some(no_input + QUIET));
    }

    #[test]
    fn hangup_transfer_and_a_refused_message_end_the_turn() {
        let t0 = Instant::now();
        for end in [
            ServerMessage::Hangup {
                at_ms: 0,
                by: huashu_contract::Party::Script,
                reason: "done".into(),
            },
            ServerMessage::Transfer {
                at_ms: 0,
                target: "agents".into(),
                reason: String::new(),
            },
            ServerMessage::BadMessage {
                message: "empty".into(),
            },
        ] {
            let mut turn = BotTurn::new(t0);
            turn.bot_sent(&end, t0);
            assert!(turn.customer_may_act(), "{end:?}");
        }
    }
}
