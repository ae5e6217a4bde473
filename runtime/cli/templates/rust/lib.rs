//! A call script for huashu: greets the customer, asks whether now is a good time, and
//! records the answer as the call's outcome. `scenarios/` says what must happen on a call;
//! `huashu test .` builds the script and plays them.

use huashu_sdk::prelude::*;

#[derive(Default)]
struct Greeter;

impl Dialogue for Greeter {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        out.say(format!(
            "{}您好，我是优选会员中心。请问现在方便说话吗？",
            call.var_or("name", "")
        ))
        .barge_in();
        out.listen(Listen::new().no_input_ms(6000).hints(["方便", "不方便"]));
    }

    fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
        // The longest phrase wins, so 不方便 is a "no" although it contains 方便.
        let replies = IntentMatcher::new()
            .intent("yes", ["方便", "可以", "好的", "yes"])
            .intent("no", ["不方便", "没空", "no"]);
        match replies.classify_transcript(t) {
            Some("yes") => {
                out.say("好的，稍后为您发送会员礼包，再见！");
                out.intent(IntentLevel::A).tag("reached");
            }
            _ => {
                out.say("好的，不打扰您了，再见！");
                out.intent(IntentLevel::D);
            }
        }
        out.hang_up("done");
    }

    fn on_no_input(&mut self, _: &NoInput, out: &mut Actions) {
        out.say("您好，还在听吗？我们改天再联系您。");
        out.intent(IntentLevel::E);
        out.hang_up("no-answer");
    }
}

huashu_sdk::export_dialogue!(Greeter);
