//! Birthday coupon: an outbound call that wishes a member happy birthday and offers a
//! coupon.
//!
//! Variables: `name` (the member's name, optional), `coupon_amount` (in yuan, default 50)
//! and `coupon_api` (the coupon service's base URL, default `https://coupons.example.com`).
//! The dialogue:
//!
//! 1. Greeting, then the offer, both interruptible. If the member interrupts the greeting,
//!    the rest of the queue is dropped; an answer we understand is handled at once, anything
//!    else ("喂？什么事？") gets the offer.
//! 2. The answer decides the outcome:
//!    - yes → intent **A**, disposition `coupon-accepted`; "one moment" while the coupon
//!      service issues the coupon (`coupon_api`: an HTTP request, answered by an event while
//!      the line plays). Issued: the member hears the code, field `coupon_code`. Not issued
//!      (error status, timeout, refusal): an apology that the coupon comes by SMS shortly,
//!      tag `coupon-api-failed`, still intent A;
//!    - no → intent **D**, `coupon-declined`;
//!    - busy / call me later → intent **B**, `callback` (field `callback_date` when a day
//!      was named, e.g. "明天再打");
//!    - "你是谁" → who we are, and the offer again (once; asked again, it counts as not
//!      understood);
//!    - "不要再打了" / "don't call me again" → a short goodbye, intent **D**, disposition
//!      `do-not-call`, and an `opt-out`: the platform puts the number on the tenant's
//!      do-not-call list, so no campaign calls it again;
//!    - not understood → asked once more, then intent **C**, `no-clear-answer`;
//!    - silence → asked once more, then intent **E**, `no-response` (a line that stays
//!      silent through the greeting and a re-prompt is usually voicemail or an accidental
//!      answer: not reached properly).
//! 3. A goodbye, and the bot hangs up. A member who hangs up first gets intent **C**,
//!    `customer-hung-up`.

mod coupon_api;
mod lines;
mod replies;

use huashu_sdk::prelude::*;
use replies::Reply;

/// Where the call is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Greeting and offer queued or playing; waiting for the answer.
    #[default]
    Offering,
    /// The member accepted; waiting for the coupon service's answer.
    Issuing,
    /// The outcome is recorded and the goodbye queued; the call is ending.
    Finished,
}

#[derive(Default)]
struct BirthdayCoupon {
    stage: Stage,
    name: Option<String>,
    amount: String,
    /// The called number, which the coupon service knows the member by.
    phone: String,
    /// The coupon service's base URL.
    coupon_api: String,
    today: Option<Date>,
    /// The member interrupted the greeting, so the queued offer was dropped unheard.
    offer_unheard: bool,
    /// One re-prompt for an answer we did not understand, one for silence, and one
    /// explanation of who is calling (each `Default`: one retry).
    unclear: NoMatchCounter,
    silence: Retries,
    explanations: Retries,
}

impl Dialogue for BirthdayCoupon {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        self.name = call
            .var("name")
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned);
        self.amount = call.var_or("coupon_amount", "50").to_owned();
        self.phone = call.callee.clone();
        self.coupon_api = call
            .var_or("coupon_api", coupon_api::DEFAULT_COUPON_API)
            .to_owned();
        self.today = Some(call.local_date(BEIJING));

        out.say(lines::greeting(self.name.as_deref()))
            .barge_in()
            .id("greeting");
        out.say(lines::offer(&self.amount)).barge_in().id("offer");
        listen(out);
    }

    fn on_playback_finished(&mut self, playback: &PlaybackFinished, out: &mut Actions) {
        if self.stage == Stage::Offering && playback.id == "greeting" && playback.interrupted {
            self.offer_unheard = true;
            out.stop_playback();
        }
    }

    fn on_final_transcript(&mut self, transcript: &Transcript, out: &mut Actions) {
        if self.stage != Stage::Offering {
            return;
        }
        let matcher = replies::matcher();
        let reply = matcher.classify_transcript(transcript);
        huashu_sdk::info!("heard {:?} as {reply:?}", transcript.text);
        let offer_unheard = std::mem::take(&mut self.offer_unheard);
        match reply {
            Some(Reply::Yes) => {
                out.intent(IntentLevel::A)
                    .disposition("coupon-accepted")
                    .tag("coupon-accepted")
                    .field("coupon_amount", self.amount.as_str());
                self.issue_coupon(out);
            }
            Some(Reply::No) => {
                out.intent(IntentLevel::D)
                    .disposition("coupon-declined")
                    .tag("declined");
                self.finish(lines::DECLINED, out);
            }
            Some(Reply::Busy) => {
                out.intent(IntentLevel::B)
                    .disposition("callback")
                    .tag("callback");
                let day = self.today.and_then(|today| {
                    matcher
                        .readings(transcript)
                        .find_map(|text| parse_date(text, today))
                });
                if let Some(day) = day {
                    out.field("callback_date", day.to_string());
                }
                self.finish(lines::CALLBACK, out);
            }
            Some(Reply::OptOut) => {
                out.intent(IntentLevel::D)
                    .disposition("do-not-call")
                    .tag("opted-out");
                out.opt_out(format!("customer asked: {}", transcript.text));
                self.finish(lines::OPTED_OUT, out);
            }
            Some(Reply::Who) if self.explanations.try_again() => {
                self.unclear.matched();
                out.tag("asked-who");
                out.say(lines::who_we_are(&self.amount)).barge_in();
                listen(out);
            }
            Some(Reply::Who) | None => {
                if offer_unheard {
                    out.say(lines::offer(&self.amount)).barge_in().id("offer");
                    listen(out);
                } else if self.unclear.miss() {
                    out.say(lines::not_understood(&self.amount)).barge_in();
                    listen(out);
                } else {
                    out.intent(IntentLevel::C).disposition("no-clear-answer");
                    self.finish(lines::NO_CLEAR_ANSWER, out);
                }
            }
        }
    }

    fn on_no_input(&mut self, _no_input: &NoInput, out: &mut Actions) {
        if self.stage != Stage::Offering {
            return;
        }
        if self.silence.try_again() {
            out.say(lines::still_there(&self.amount)).barge_in();
            listen(out);
        } else {
            out.intent(IntentLevel::E)
                .disposition("no-response")
                .tag("no-response");
            self.finish(lines::NO_RESPONSE, out);
        }
    }

    fn on_http_response(&mut self, result: &HttpResult, out: &mut Actions) {
        if self.stage == Stage::Issuing && result.id == coupon_api::REQUEST_ID {
            out.cancel_timer(COUPON_GUARD);
            self.coupon_answered(coupon_api::issued(result), out);
        }
    }

    fn on_timer_fired(&mut self, timer: &TimerFired, out: &mut Actions) {
        if self.stage == Stage::Issuing && timer.id == COUPON_GUARD {
            self.coupon_answered(Err("no answer from the host".to_owned()), out);
        }
    }

    fn on_hang_up(&mut self, hang_up: &HangUp, out: &mut Actions) {
        if self.stage == Stage::Offering {
            huashu_sdk::info!("call ended before an answer: {:?}", hang_up.reason);
            let disposition = match hang_up.by {
                Party::Customer => "customer-hung-up",
                Party::Script | Party::Host => "ended-early",
            };
            out.intent(IntentLevel::C).disposition(disposition);
        }
    }
}

/// The timer that ends the wait for the coupon service should no answer come at all.
const COUPON_GUARD: &str = "coupon-guard";

impl BirthdayCoupon {
    /// A short line (not interruptible: nothing listens meanwhile) covers the request.
    fn issue_coupon(&mut self, out: &mut Actions) {
        self.stage = Stage::Issuing;
        out.say(lines::ONE_MOMENT);
        out.http(coupon_api::issue(&self.coupon_api, &self.phone));
        out.start_timer(COUPON_GUARD, coupon_api::GUARD_MS);
    }

    fn coupon_answered(&mut self, issued: Result<coupon_api::Issued, String>, out: &mut Actions) {
        match issued {
            Ok(coupon) => {
                huashu_sdk::info!("coupon {} issued", coupon.code);
                out.field("coupon_code", coupon.code.as_str());
                let amount = coupon.amount.as_deref().unwrap_or(&self.amount);
                self.finish(lines::issued(amount, &coupon.code), out);
            }
            Err(why) => {
                huashu_sdk::warn!("coupon not issued on the call: {why}");
                out.tag("coupon-api-failed");
                self.finish(lines::by_sms(&self.amount), out);
            }
        }
    }

    fn finish(&mut self, goodbye: impl Into<String>, out: &mut Actions) {
        self.stage = Stage::Finished;
        out.say(goodbye);
        out.hang_up("dialogue-complete");
    }
}

/// The hints steer the recogniser towards the answers the matcher knows: the Chinese ones,
/// and a few English ones for bilingual members (an English-only recogniser uses just
/// those).
fn listen(out: &mut Actions) {
    out.listen(Listen::new().no_input_ms(6000).hints([
        "需要",
        "不需要",
        "好的",
        "可以",
        "在忙",
        "你是谁",
        "yes",
        "yes please",
        "no",
        "no thanks",
        "busy",
        "call me later",
        "who is this",
        "不要再打了",
        "别再打了",
        "don't call me again",
        "stop calling",
    ]));
}

huashu_sdk::export_dialogue!(BirthdayCoupon);

#[cfg(test)]
mod tests;
