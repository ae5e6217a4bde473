//! The script `huashu loadgen` calls: a bot that keeps a call going for as long as the
//! caller wants, with every turn costing the server what a real campaign turn costs and no
//! more.
//!
//! - On call start it says a short greeting (barge-in-able) and listens: no-input after two
//!   minutes, one keypad digit per turn, and speech steered by three phrase [`HINTS`] (a
//!   campaign's yes / no / later), so `huashu loadgen --speech` measures hinted listens,
//!   the kind whose turns end early.
//! - On each key press or final transcript it says one of [`REPLIES`] and listens again.
//!   The texts are fixed, so after the first few calls every reply comes from the server's
//!   TTS cache, as a campaign's sentences do.
//! - It never hangs up: the caller ends the call (Twilio `stop`).
//!
//! English with the embedded eSpeak NG `en-us` voice, so the reply audio does not depend on
//! the tenant's default voice.

use huashu_sdk::prelude::*;

/// The voice every sentence is spoken with.
const VOICE: &str = "en-us";

const GREETING: &str = "Hello, this is the load test line.";

/// Short, so a turn's reply is about a second of audio.
const REPLIES: [&str; 3] = ["Got it, thank you.", "Okay, noted.", "Thanks, go on."];

/// What the customer is expected to say; `huashu loadgen --speech` files say one of them.
const HINTS: [&str; 3] = ["yes please", "no thank you", "call me later"];

/// Long enough never to fire between the load generator's turns (seconds apart); if it
/// does fire, the bot asks again instead of ending the call.
const NO_INPUT_MS: u32 = 120_000;

#[derive(Default)]
struct LoadBot {
    turns: usize,
}

fn listen(out: &mut Actions) {
    out.listen(
        Listen::new()
            .no_input_ms(NO_INPUT_MS)
            .hints(HINTS)
            .dtmf(1, "", 0),
    );
}

impl LoadBot {
    fn reply(&mut self, out: &mut Actions) {
        let text = REPLIES[self.turns % REPLIES.len()];
        self.turns += 1;
        out.say(text).voice(VOICE).barge_in();
        listen(out);
    }
}

impl Dialogue for LoadBot {
    fn on_call_started(&mut self, _: &CallStarted, out: &mut Actions) {
        out.say(GREETING).voice(VOICE).barge_in();
        listen(out);
    }

    fn on_dtmf(&mut self, _: &Dtmf, out: &mut Actions) {
        self.reply(out);
    }

    fn on_final_transcript(&mut self, _: &Transcript, out: &mut Actions) {
        self.reply(out);
    }

    fn on_no_input(&mut self, _: &NoInput, out: &mut Actions) {
        out.say("Are you still there?").voice(VOICE).barge_in();
        listen(out);
    }
}

huashu_sdk::export_dialogue!(LoadBot);

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_sdk::Action;

    fn says(out: &Actions) -> Vec<&str> {
        out.as_slice()
            .iter()
            .filter_map(|a| match a {
                Action::Say(say) => Some(say.text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn greets_then_listens_for_one_digit_or_a_hinted_phrase() {
        let mut bot = LoadBot::default();
        let mut out = Actions::new(0);
        let call = CallStarted {
            call_id: "c1".into(),
            direction: Direction::Outbound,
            caller: String::new(),
            callee: String::new(),
            channel: Channel::Twilio,
            variables: Vec::new(),
            started_at_ms: 0,
            random_seed: 7,
        };
        bot.on_call_started(&call, &mut out);
        assert_eq!(says(&out), [GREETING]);
        let Some(Action::Listen(listen)) = out.as_slice().last() else {
            panic!("expected a listen, got {:?}", out.as_slice());
        };
        assert_eq!(listen.dtmf.as_ref().map(|d| d.max_digits), Some(1));
        assert_eq!(listen.hints, HINTS);
    }

    #[test]
    fn every_turn_gets_a_fixed_reply_and_never_a_hang_up() {
        let mut bot = LoadBot::default();
        let mut said = Vec::new();
        for digit in ["1", "2", "3", "4"] {
            let mut out = Actions::new(1000);
            bot.on_dtmf(
                &Dtmf {
                    digits: digit.into(),
                    ended_by: DtmfEnd::MaxDigits,
                },
                &mut out,
            );
            assert!(
                !out.as_slice()
                    .iter()
                    .any(|a| matches!(a, Action::HangUp(_)))
            );
            said.extend(says(&out).into_iter().map(str::to_owned));
        }
        assert_eq!(said, [REPLIES[0], REPLIES[1], REPLIES[2], REPLIES[0]]);
    }
}
