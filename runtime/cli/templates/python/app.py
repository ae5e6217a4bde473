"""A call script for huashu: greets the customer, asks whether now is a good time, and
records the answer as the call's outcome. `scenarios/` says what must happen on a call;
`huashu test .` builds the script and plays them."""

from huashu_sdk import Dialogue, IntentLevel, IntentMatcher, export

# The longest phrase wins, so 不方便 is a "no" although it contains 方便.
REPLIES = (
    IntentMatcher()
    .intent("yes", ["方便", "可以", "好的", "yes"])
    .intent("no", ["不方便", "没空", "no"])
)


class Greeter(Dialogue):
    def on_call_started(self, call, out):
        out.say(f"{call.var_or('name', '')}您好，我是优选会员中心。请问现在方便说话吗？", barge_in=True)
        out.listen(no_input_ms=6000, hints=["方便", "不方便"])

    def on_final_transcript(self, t, out):
        if REPLIES.classify_transcript(t) == "yes":
            out.say("好的，稍后为您发送会员礼包，再见！")
            out.intent(IntentLevel.A).tag("reached")
        else:
            out.say("好的，不打扰您了，再见！")
            out.intent(IntentLevel.D)
        out.hang_up("done")

    def on_no_input(self, no_input, out):
        out.say("您好，还在听吗？我们改天再联系您。")
        out.intent(IntentLevel.E)
        out.hang_up("no-answer")


Script = export(Greeter)  # componentize-py looks for `Script` in app.py
