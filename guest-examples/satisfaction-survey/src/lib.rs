//! Satisfaction survey: after a service visit, the customer rates it from 1 to 5 on the
//! keypad (or by voice as a fallback).
//!
//! Variables: `name` (optional) and `service` (what is being rated, default "我们刚才的服务").
//!
//! - A key 1–5, or a spoken rating ("五分", "非常满意", "还行", "five"), is recorded as field
//!   `rating` (plus `rating_channel`: `dtmf`/`speech`), disposition `rated`, and graded:
//!   **A** for 4–5 (tag `satisfied`), **B** for 3 (`neutral`), **C** for 1–2
//!   (`dissatisfied`: worth a follow-up). After 1–2 the bot asks what went wrong and keeps
//!   the answer as field `comment`.
//! - An invalid key or an answer that is not a rating is asked again once; the second time
//!   the call ends with **E**, `no-rating`.
//! - Silence: asked again once, then **E**, `no-response`.
//! - "不想评价" / "没空": **D**, `declined-survey`.
//! - A customer who hangs up before rating: **E**, `customer-hung-up`.
//!
//! E ("not reached properly") is used for every call without a rating, so that A–C always
//! mean a real rating.

mod lines;
mod rating;

use huashu_sdk::prelude::*;
use rating::Answer;

/// Where the call is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for the rating.
    #[default]
    AskRating,
    /// Rated 1–2; waiting for what went wrong.
    AskReason,
    /// The goodbye is queued.
    Finished,
}

#[derive(Default)]
struct SatisfactionSurvey {
    stage: Stage,
    /// One retry each for an invalid answer and for silence.
    invalid: NoMatchCounter,
    silence: Retries,
}

impl Dialogue for SatisfactionSurvey {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        let name = call.var("name").filter(|n| !n.trim().is_empty());
        let service = call.var_or("service", "我们刚才的服务");
        out.say(lines::question(name, service))
            .barge_in()
            .id("question");
        listen_for_rating(out);
    }

    fn on_dtmf(&mut self, dtmf: &Dtmf, out: &mut Actions) {
        if self.stage != Stage::AskRating {
            return;
        }
        match rating::keyed(&dtmf.digits) {
            Some(stars) => self.rated(stars, "dtmf", out),
            None => self.invalid_answer(lines::INVALID_KEY, out),
        }
    }

    fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
        match self.stage {
            Stage::AskRating => {
                let matcher = rating::matcher();
                // Only readings the matcher is confident in: a guessed "五" is no rating.
                match matcher
                    .readings(t)
                    .find_map(|text| rating::spoken(&matcher, text))
                {
                    Some(Answer::Rating(stars)) => self.rated(stars, "speech", out),
                    Some(Answer::Decline) => {
                        out.intent(IntentLevel::D).disposition("declined-survey");
                        self.finish(lines::DECLINED, out);
                    }
                    None => self.invalid_answer(lines::NOT_UNDERSTOOD, out),
                }
            }
            Stage::AskReason => {
                out.field("comment", t.text.as_str()).tag("has-comment");
                self.finish(lines::THANKS_FOR_COMMENT, out);
            }
            Stage::Finished => {}
        }
    }

    fn on_no_input(&mut self, _no_input: &NoInput, out: &mut Actions) {
        match self.stage {
            Stage::AskRating if self.silence.try_again() => {
                out.say(lines::STILL_THERE).barge_in();
                listen_for_rating(out);
            }
            Stage::AskRating => {
                out.intent(IntentLevel::E).disposition("no-response");
                self.finish(lines::NO_RESPONSE, out);
            }
            Stage::AskReason => self.finish(lines::NO_COMMENT, out),
            Stage::Finished => {}
        }
    }

    fn on_hang_up(&mut self, _hang_up: &HangUp, out: &mut Actions) {
        if self.stage == Stage::AskRating {
            out.intent(IntentLevel::E).disposition("customer-hung-up");
        }
    }
}

impl SatisfactionSurvey {
    fn rated(&mut self, stars: u8, channel: &str, out: &mut Actions) {
        let (level, tag) = rating::grade(stars);
        huashu_sdk::info!("rated {stars} by {channel}");
        out.intent(level)
            .disposition("rated")
            .tag(tag)
            .field("rating", stars.to_string())
            .field("rating_channel", channel);
        match level {
            IntentLevel::A => self.finish(lines::THANKS_SATISFIED, out),
            IntentLevel::B => self.finish(lines::THANKS_NEUTRAL, out),
            _ => {
                self.stage = Stage::AskReason;
                out.say(lines::ASK_REASON).barge_in();
                out.listen(
                    Listen::new()
                        .no_input_ms(8000)
                        .max_speech_ms(30_000)
                        .hints(["服务态度", "迟到", "没修好", "收费"]),
                );
            }
        }
    }

    fn invalid_answer(&mut self, reprompt: &str, out: &mut Actions) {
        if self.invalid.miss() {
            out.say(reprompt).barge_in();
            listen_for_rating(out);
        } else {
            out.intent(IntentLevel::E).disposition("no-rating");
            self.finish(lines::NO_RATING, out);
        }
    }

    fn finish(&mut self, goodbye: &str, out: &mut Actions) {
        self.stage = Stage::Finished;
        out.say(goodbye);
        out.hang_up("survey-complete");
    }
}

/// One key is the whole answer, so collection ends at the first key; speech still counts.
fn listen_for_rating(out: &mut Actions) {
    out.listen(Listen::new().no_input_ms(6000).dtmf(1, "", 3000).hints([
        "五分",
        "四分",
        "三分",
        "两分",
        "一分",
        "非常满意",
        "满意",
        "一般",
        "不满意",
    ]));
}

huashu_sdk::export_dialogue!(SatisfactionSurvey);

#[cfg(test)]
mod tests;
