"""Satisfaction survey in Python: a port of guest-examples/satisfaction-survey (Rust) that
passes the same scenario files (scenarios/ is a link to the Rust example's).

After a service visit the customer rates it from 1 to 5 on the keypad, or by voice. A
rating is recorded as field ``rating`` (+ ``rating_channel``), disposition ``rated``, and
graded A (4–5), B (3) or C (1–2, then the bot asks why and keeps the answer as ``comment``).
An invalid answer or silence is asked again once, then the call ends with E; 没空 / 不想评价
is D; hanging up before rating is E."""

from huashu_sdk import DtmfOptions, Dialogue, IntentLevel, NoMatchCounter, Retries, export, log

import lines
import rating

ASK_RATING, ASK_REASON, FINISHED = "ask-rating", "ask-reason", "finished"
RATING_HINTS = ["五分", "四分", "三分", "两分", "一分", "非常满意", "满意", "一般", "不满意"]


def listen_for_rating(out):
    """One key is the whole answer, so collection ends at the first key; speech counts too."""
    out.listen(no_input_ms=6000, dtmf=DtmfOptions(1, "", 3000), hints=RATING_HINTS)


class SatisfactionSurvey(Dialogue):
    def __init__(self):
        self.stage = ASK_RATING
        self.invalid = NoMatchCounter(1)
        self.silence = Retries(1)

    def on_call_started(self, call, out):
        name = call.var("name")
        name = name if name and name.strip() else None
        service = call.var_or("service", "我们刚才的服务")
        out.say(lines.question(name, service), barge_in=True, id="question")
        listen_for_rating(out)

    def on_dtmf(self, dtmf, out):
        if self.stage != ASK_RATING:
            return
        stars = rating.keyed(dtmf.digits)
        if stars is None:
            self.invalid_answer(lines.INVALID_KEY, out)
        else:
            self.rated(stars, "dtmf", out)

    def on_final_transcript(self, t, out):
        if self.stage == ASK_RATING:
            m = rating.matcher()
            # Only readings the matcher is confident in: a guessed "五" is no rating.
            answer = next(
                (a for a in (rating.spoken(m, text) for text in m.readings(t)) if a),
                None,
            )
            if answer == rating.DECLINE:
                out.intent(IntentLevel.D).disposition("declined-survey")
                self.finish(lines.DECLINED, out)
            elif answer is None:
                self.invalid_answer(lines.NOT_UNDERSTOOD, out)
            else:
                self.rated(answer, "speech", out)
        elif self.stage == ASK_REASON:
            out.field("comment", t.text).tag("has-comment")
            self.finish(lines.THANKS_FOR_COMMENT, out)

    def on_no_input(self, no_input, out):
        if self.stage == ASK_RATING:
            if self.silence.try_again():
                out.say(lines.STILL_THERE, barge_in=True)
                listen_for_rating(out)
            else:
                out.intent(IntentLevel.E).disposition("no-response")
                self.finish(lines.NO_RESPONSE, out)
        elif self.stage == ASK_REASON:
            self.finish(lines.NO_COMMENT, out)

    def on_hang_up(self, hang_up, out):
        if self.stage == ASK_RATING:
            out.intent(IntentLevel.E).disposition("customer-hung-up")

    def rated(self, stars, channel, out):
        level, tag = rating.grade(stars)
        log.info(f"rated {stars} by {channel}")
        out.intent(level).disposition("rated").tag(tag)
        out.field("rating", str(stars)).field("rating_channel", channel)
        if level == IntentLevel.A:
            self.finish(lines.THANKS_SATISFIED, out)
        elif level == IntentLevel.B:
            self.finish(lines.THANKS_NEUTRAL, out)
        else:
            self.stage = ASK_REASON
            out.say(lines.ASK_REASON, barge_in=True)
            out.listen(no_input_ms=8000, max_speech_ms=30_000,
                       hints=["服务态度", "迟到", "没修好", "收费"])

    def invalid_answer(self, reprompt, out):
        if self.invalid.miss():
            out.say(reprompt, barge_in=True)
            listen_for_rating(out)
        else:
            out.intent(IntentLevel.E).disposition("no-rating")
            self.finish(lines.NO_RATING, out)

    def finish(self, goodbye, out):
        self.stage = FINISHED
        out.say(goodbye)
        out.hang_up("survey-complete")


Script = export(SatisfactionSurvey)
