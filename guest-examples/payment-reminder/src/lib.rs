//! Payment reminder: an outbound collections call that confirms the customer's identity,
//! states the bill and captures a promise-to-pay date.
//!
//! Variables: `name`, `amount` (yuan), `due_date` (ISO `2026-11-25`; spoken as `11月25日`,
//! or as days overdue once past), `agent_queue` (transfer target, default
//! `collections-agents`). "Today" is the call's date in Beijing time.
//!
//! 1. **Identity** ("请问是王芳本人吗"): yes → the bill; wrong person → apology, intent
//!    **E** `wrong-person`; unclear or silent → asked once more, then **E**
//!    (`identity-unconfirmed` / `no-response`).
//! 2. **The bill and the date question.** The customer names a day ("明天", "下周一",
//!    "12月5号") or presses 1 (today), 2 (within three days: the third day) or 3 (key the
//!    date as eight digits, `20261205`, ended by `#` or the eighth digit). A date from today
//!    to 30 days out is registered: intent **A**, disposition `promise-to-pay`, fields
//!    `promise_date` and `promise_channel` (`speech`/`dtmf`). A past or too distant date,
//!    an invalid key or entry, "好的" without a day, hardship or anything unclear is asked
//!    again once; then **B** `promise-no-date` (if they said they would pay) or **C**
//!    `no-commitment`. Refusal → **D** `refused-to-pay`; "已经还了" → **C** `claims-paid`;
//!    silence twice → **C** `no-response`.
//! 3. **Disputes** ("我没有借过", "金额不对", "投诉") or a request for an agent, at any
//!    stage → transfer to `agent_queue`, intent **C**, disposition `dispute` /
//!    `agent-requested`. A failed transfer → apology and hang-up, tag `transfer-failed`.
//!
//! A customer who hangs up first gets disposition `customer-hung-up` (E before the
//! identity was confirmed, C after).

mod lines;
mod promise;
mod replies;

use huashu_sdk::prelude::*;
use lines::Reask;
use promise::{DateCheck, MAX_PROMISE_DAYS, MenuKey};
use replies::{Escalation, Identity, Promise};

const DEFAULT_AGENT_QUEUE: &str = "collections-agents";

/// Where the call is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Asked whether we speak to the customer.
    #[default]
    ConfirmIdentity,
    /// Stated the bill; waiting for a date, a menu key or an objection.
    AskDate,
    /// Waiting for an eight-digit date on the keypad.
    EnterDate,
    /// Handing over to an agent.
    Transferring,
    /// The outcome is recorded and the goodbye queued.
    Finished,
}

#[derive(Default)]
struct PaymentReminder {
    stage: Stage,
    name: Option<String>,
    amount: String,
    agent_queue: String,
    today: Date,
    /// The bill and the date question, prepared when the call starts.
    statement: String,
    /// Said they would pay, without naming a day.
    willing: bool,
    unclear_identity: NoMatchCounter,
    no_date: NoMatchCounter,
    bad_entries: Retries,
    silence: Retries,
}

impl Dialogue for PaymentReminder {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        self.name = call
            .var("name")
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned);
        self.amount = call.var_or("amount", "").to_owned();
        self.agent_queue = call.var_or("agent_queue", DEFAULT_AGENT_QUEUE).to_owned();
        self.today = call.local_date(BEIJING);
        out.say(lines::ask_identity(self.name.as_deref()))
            .barge_in()
            .id("identity");
        listen_for_identity(out);
        let due_raw = call.var_or("due_date", "").to_owned();
        self.statement = lines::statement(
            &self.amount,
            Date::parse_iso(&due_raw),
            &due_raw,
            self.today,
        );
    }

    fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
        if matches!(self.stage, Stage::Transferring | Stage::Finished) {
            return;
        }
        huashu_sdk::info!("{:?}: heard {:?}", self.stage, t.text);
        if let Some(escalation) = replies::escalation().classify_transcript(t) {
            self.escalate(escalation, &t.text, out);
        } else if self.stage == Stage::ConfirmIdentity {
            self.on_identity_answer(t, out);
        } else {
            self.on_date_answer(t, out);
        }
    }

    fn on_dtmf(&mut self, dtmf: &Dtmf, out: &mut Actions) {
        match self.stage {
            Stage::AskDate => match promise::menu_key(&dtmf.digits) {
                Some(MenuKey::EnterDate) => {
                    self.stage = Stage::EnterDate;
                    out.say(lines::ENTER_DATE).barge_in();
                    listen_for_entry(out);
                }
                Some(key) => {
                    let date = key.date(self.today).unwrap_or(self.today);
                    self.promise(date, "dtmf", out);
                }
                None => self.ask_again(Reask::InvalidKey, out),
            },
            Stage::EnterDate => match promise::keyed(&dtmf.digits) {
                Some(date) => self.promise(date, "dtmf", out),
                None => self.ask_again(Reask::InvalidEntry, out),
            },
            Stage::ConfirmIdentity | Stage::Transferring | Stage::Finished => {}
        }
    }

    fn on_no_input(&mut self, _no_input: &NoInput, out: &mut Actions) {
        let again = self.silence.try_again();
        match self.stage {
            Stage::ConfirmIdentity if again => {
                out.say(lines::ask_identity(self.name.as_deref()))
                    .barge_in();
                listen_for_identity(out);
            }
            Stage::ConfirmIdentity => {
                out.intent(IntentLevel::E).disposition("no-response");
                self.finish(lines::IDENTITY_NO_RESPONSE, out);
            }
            Stage::AskDate if again => {
                out.say(lines::STILL_THERE).barge_in();
                listen_for_date(out);
            }
            Stage::EnterDate if again => {
                out.say(lines::ENTER_DATE).barge_in();
                listen_for_entry(out);
            }
            Stage::AskDate | Stage::EnterDate => {
                out.intent(IntentLevel::C)
                    .disposition("no-response")
                    .tag("no-response");
                self.finish(lines::NO_COMMITMENT, out);
            }
            Stage::Transferring | Stage::Finished => {}
        }
    }

    fn on_transfer_result(&mut self, result: &TransferResult, out: &mut Actions) {
        self.stage = Stage::Finished;
        match result {
            TransferResult::Connected => {
                out.tag("transferred");
            }
            TransferResult::Failed(why) => {
                huashu_sdk::warn!("transfer to {} failed: {why}", self.agent_queue);
                out.tag("transfer-failed")
                    .field("transfer_error", why.as_str());
                self.finish(lines::TRANSFER_FAILED, out);
            }
        }
    }

    fn on_hang_up(&mut self, hang_up: &HangUp, out: &mut Actions) {
        let level = match self.stage {
            Stage::ConfirmIdentity => IntentLevel::E,
            Stage::AskDate | Stage::EnterDate => IntentLevel::C,
            // A host may end the call as soon as the transfer connects, without a
            // `transfer-result` reaching the script first.
            Stage::Transferring if hang_up.reason == "transferred" => {
                out.tag("transferred");
                return;
            }
            Stage::Transferring | Stage::Finished => return,
        };
        out.intent(level).disposition("customer-hung-up");
    }
}

impl PaymentReminder {
    fn on_identity_answer(&mut self, t: &Transcript, out: &mut Actions) {
        match replies::identity().classify_transcript(t) {
            Some(Identity::Confirmed) => {
                self.stage = Stage::AskDate;
                self.silence.reset();
                out.tag("identity-confirmed");
                out.say(self.statement.as_str()).barge_in().id("statement");
                listen_for_date(out);
            }
            Some(Identity::WrongPerson) => {
                out.intent(IntentLevel::E)
                    .disposition("wrong-person")
                    .tag("wrong-person");
                self.finish(lines::WRONG_PERSON, out);
            }
            None if self.unclear_identity.miss() => {
                out.say(lines::ask_identity_again(self.name.as_deref()))
                    .barge_in();
                listen_for_identity(out);
            }
            None => {
                out.intent(IntentLevel::E)
                    .disposition("identity-unconfirmed");
                self.finish(lines::IDENTITY_UNCONFIRMED, out);
            }
        }
    }

    fn on_date_answer(&mut self, t: &Transcript, out: &mut Actions) {
        let matcher = replies::promise();
        let reply = matcher.classify_transcript(t);
        // Dates too are read only from readings confident enough to act on.
        let named = matcher
            .readings(t)
            .find_map(|text| promise::spoken(text, self.today));
        match (reply, named) {
            (Some(Promise::Refuses), _) => {
                out.intent(IntentLevel::D)
                    .disposition("refused-to-pay")
                    .tag("refused");
                self.finish(lines::REFUSED, out);
            }
            (_, Some(date)) => self.promise(date, "speech", out),
            (Some(Promise::Now), None) => self.promise(self.today, "speech", out),
            (Some(Promise::AlreadyPaid), None) => {
                out.intent(IntentLevel::C)
                    .disposition("claims-paid")
                    .tag("claims-paid");
                self.finish(lines::ALREADY_PAID, out);
            }
            (Some(Promise::Willing), None) => {
                self.willing = true;
                self.ask_again(Reask::NoDay, out);
            }
            (Some(Promise::Hardship), None) => {
                out.tag("hardship");
                self.ask_again(Reask::Hardship, out);
            }
            (None, None) => self.ask_again(Reask::NotUnderstood, out),
        }
    }

    /// Registers `date` if the rules allow it, or asks again.
    fn promise(&mut self, date: Date, channel: &str, out: &mut Actions) {
        match promise::check(date, self.today) {
            DateCheck::Accepted(date) => {
                out.intent(IntentLevel::A)
                    .disposition("promise-to-pay")
                    .tag("promise-to-pay")
                    .field("promise_date", date.to_string())
                    .field("promise_channel", channel);
                self.finish(lines::promise_registered(date, &self.amount), out);
            }
            DateCheck::Past => self.ask_again(Reask::Passed, out),
            DateCheck::TooFar => self.ask_again(Reask::TooFar, out),
        }
    }

    /// Asks for the date once more, or gives up when that was done already.
    fn ask_again(&mut self, why: Reask, out: &mut Actions) {
        if self.stage == Stage::EnterDate {
            if self.bad_entries.try_again() {
                out.say(lines::reenter(why, MAX_PROMISE_DAYS)).barge_in();
                listen_for_entry(out);
                return;
            }
        } else if self.no_date.miss() {
            out.say(lines::ask_again(why, MAX_PROMISE_DAYS)).barge_in();
            listen_for_date(out);
            return;
        }
        let (level, disposition) = if self.willing {
            (IntentLevel::B, "promise-no-date")
        } else {
            (IntentLevel::C, "no-commitment")
        };
        out.intent(level).disposition(disposition);
        self.finish(lines::NO_COMMITMENT, out);
    }

    fn escalate(&mut self, escalation: Escalation, said: &str, out: &mut Actions) {
        self.stage = Stage::Transferring;
        let disposition = escalation.disposition();
        out.intent(IntentLevel::C)
            .disposition(disposition)
            .tag(disposition);
        out.say(lines::TRANSFERRING);
        out.transfer(self.agent_queue.as_str(), format!("{disposition}: {said}"));
    }

    fn finish(&mut self, goodbye: impl Into<String>, out: &mut Actions) {
        self.stage = Stage::Finished;
        out.say(goodbye);
        out.hang_up("dialogue-complete");
    }
}

fn listen_for_identity(out: &mut Actions) {
    out.listen(
        Listen::new()
            .no_input_ms(6000)
            .hints(["是", "是我", "不是", "打错了"]),
    );
}

fn listen_for_date(out: &mut Actions) {
    out.listen(
        Listen::new()
            .no_input_ms(8000)
            .hints(["今天", "明天", "后天", "下周一", "月底", "已经还了", "人工"])
            .dtmf(1, "", 3000),
    );
}

fn listen_for_entry(out: &mut Actions) {
    out.listen(Listen::new().no_input_ms(10_000).dtmf(8, "#", 5000));
}

huashu_sdk::export_dialogue!(PaymentReminder);

#[cfg(test)]
mod tests;
