//! A telephone switchboard for the SIP tests. It greets, then waits for one key:
//!
//! - `1`: presses `42#` back (RFC 4733 out), then hangs up after two seconds;
//! - `9`: transfers the call to the `transfer_to` variable and records how that went in
//!   the outcome's `transfer` field (`connected`, or `failed: …`);
//! - anything else is recorded as field `key` and the call ends.

use huashu_sdk::prelude::*;

#[derive(Default)]
struct Switchboard {
    transfer_to: String,
}

impl Dialogue for Switchboard {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        self.transfer_to = call.var_or("transfer_to", "").to_owned();
        out.say("Press one or nine.").barge_in();
        out.listen(Listen::new().no_input_ms(20_000).dtmf(1, "", 3000));
    }

    fn on_dtmf(&mut self, dtmf: &Dtmf, out: &mut Actions) {
        out.field("key", dtmf.digits.as_str());
        match dtmf.digits.as_str() {
            "1" => {
                out.send_dtmf("42#");
                out.start_timer("bye", 2_000);
            }
            "9" => {
                out.transfer(self.transfer_to.as_str(), "the caller pressed 9");
            }
            _ => {
                out.hang_up("other-key");
            }
        }
    }

    fn on_timer_fired(&mut self, _timer: &TimerFired, out: &mut Actions) {
        out.intent(IntentLevel::A);
        out.hang_up("keys-sent");
    }

    fn on_transfer_result(&mut self, result: &TransferResult, out: &mut Actions) {
        match result {
            TransferResult::Connected => {
                out.field("transfer", "connected").intent(IntentLevel::A);
            }
            TransferResult::Failed(why) => {
                out.field("transfer", format!("failed: {why}"));
                out.hang_up("transfer-failed");
            }
        }
    }

    fn on_no_input(&mut self, _: &NoInput, out: &mut Actions) {
        out.hang_up("no-key");
    }
}

huashu_sdk::export_dialogue!(Switchboard);
