"""Unit tests of the Python SDK, run natively with CPython against the contract's bindings:

    componentize-py -d wit -w dialogue bindings target/guests/python-bindings
    PYTHONPATH=target/guests/python-bindings:sdk/python python3 -m unittest discover sdk/python/tests

(tests/languages.rs does exactly this.) The cases mirror the Rust SDK's own tests."""

import unittest

from componentize_py_types import Err, Ok

from huashu_sdk import (
    DEFAULT_MIN_CONFIDENCE, Actions, Dialogue, HttpFailure, HttpResult, IntentLevel,
    IntentMatcher, NoMatchCounter, Prompt, Retries, Text, confident_texts, dispatch, http, kv,
    not_understood, parse_number,
)
from huashu_sdk.contract import wit
from huashu_sdk.text import normalize


def transcript(text, *alternatives):
    return wit.Transcript(text, 1.0, [wit.Alternative(a, 0.5) for a in alternatives], None)


def heard(text, confidence, *alternatives, why=None):
    """A recognised transcript; ``alternatives`` are (text, confidence) pairs."""
    return wit.Transcript(text, confidence, [wit.Alternative(t, c) for t, c in alternatives],
                          why)


REPLIES = (
    IntentMatcher()
    .intent("yes", ["好的", "好", "可以", "行", "没问题", "需要", "要", "yes", "sure", "ok", "okay"])
    .intent("no", ["不要", "不需要", "不用", "不行", "算了", "no", "not interested"])
    .intent("busy", ["在忙", "开会", "开车", "晚点再打", "没空", "busy", "call me later"])
    .intent("who", ["你是谁", "哪位", "哪里", "who is this", "who are you"])
)


class TextTests(unittest.TestCase):
    def test_normalize_folds_width_and_case_and_drops_punctuation(self):
        self.assertEqual(normalize("好的，ＯＫ！"), "好的ok")
        self.assertEqual(normalize("不 需 要 。"), "不需要")
        self.assertEqual(normalize("Not, interested!"), "not interested")
        self.assertEqual(normalize("I don't  know"), "i don t know")
        self.assertEqual(normalize("我要 coupon 谢谢"), "我要coupon谢谢")
        self.assertEqual(normalize("１２月５号"), "12月5号")


class IntentTests(unittest.TestCase):
    def test_chinese_utterances(self):
        self.assertEqual(REPLIES.classify("好的，谢谢"), "yes")
        self.assertEqual(REPLIES.classify("不用了不用了"), "no")
        self.assertEqual(REPLIES.classify("我现在在开会，晚点再打吧"), "busy")
        self.assertEqual(REPLIES.classify("喂？你是谁啊"), "who")
        self.assertIsNone(REPLIES.classify("喂？"))

    def test_longest_phrase_wins_so_negations_are_not_read_as_assent(self):
        self.assertEqual(REPLIES.classify("好的，不过不需要"), "no")
        self.assertEqual(REPLIES.best_match("不需要"), ("no", "不需要"))

    def test_english_matches_whole_words_only(self):
        self.assertEqual(REPLIES.classify("OKAY"), "yes")
        self.assertEqual(REPLIES.classify("I'm not interested!"), "no")
        self.assertIsNone(REPLIES.classify("I know nothing about it"))
        self.assertIsNone(REPLIES.classify("look at the book"))

    def test_excluded_phrases_hide_their_occurrences_only(self):
        m = IntentMatcher().intent_excluding("interested", ["感兴趣"], ["不感兴趣"])
        self.assertIsNone(m.classify("我不感兴趣"))
        self.assertEqual(m.classify("不感兴趣？其实我感兴趣"), "interested")

    def test_ties_go_to_the_intent_declared_first(self):
        m = IntentMatcher().intent("first", ["可以"]).intent("second", ["没空"])
        self.assertEqual(m.classify("可以，但是没空"), "first")

    def test_transcripts_fall_back_to_confident_alternatives(self):
        self.assertEqual(REPLIES.classify_transcript(transcript("嗯嗯", "", "行")), "yes")

    def test_low_confidence_guesses_classify_as_no_intent(self):
        self.assertIsNone(REPLIES.classify_transcript(heard("好的", 0.4)))
        self.assertIsNone(REPLIES.classify_transcript(heard("嗯嗯", 0.4, ("行", 0.3))))
        self.assertIsNone(REPLIES.classify_transcript(heard("嗯嗯", 0.9, ("好的", 0.49))))

    def test_readings_at_or_above_the_threshold_classify(self):
        self.assertEqual(REPLIES.classify_transcript(heard("好的", DEFAULT_MIN_CONFIDENCE)), "yes")
        self.assertEqual(REPLIES.classify_transcript(heard("好的", 0.3, ("不需要", 0.7))), "no")

    def test_a_not_understood_transcript_classifies_as_no_intent(self):
        m = IntentMatcher().intent("yes", ["好的"]).min_confidence(0.0)
        for why in [wit.NotUnderstood_NoMatch(), wit.NotUnderstood_NoRecogniser("en-US"),
                    wit.NotUnderstood_Failed("timeout")]:
            self.assertIsNone(m.classify_transcript(heard("好的", 0.9, why=why)))

    def test_a_custom_threshold_is_honoured(self):
        t = heard("好的", 0.7, ("不需要", 0.3))
        m = IntentMatcher().intent("yes", ["好的"]).intent("no", ["不需要"])
        self.assertEqual(m.classify_transcript(t), "yes")
        self.assertIsNone(m.min_confidence(0.8).classify_transcript(t))
        self.assertEqual(m.min_confidence(0.2).readings(t), ["好的", "不需要"])
        self.assertEqual(confident_texts(t), ["好的"])
        self.assertEqual(confident_texts(heard("好的", float("nan")), 0.0), [])

    def test_not_understood_says_why_as_kind_and_detail(self):
        self.assertIsNone(not_understood(heard("好的", 0.9)))
        self.assertEqual(not_understood(heard("", 0.0, why=wit.NotUnderstood_NoRecogniser("en-US"))),
                         ("no-recogniser", "en-US"))
        self.assertEqual(not_understood(heard("", 0.0, why=wit.NotUnderstood_NoMatch())),
                         ("no-match", ""))
        self.assertEqual(not_understood(heard("", 0.0, why=wit.NotUnderstood_Failed("reset"))),
                         ("failed", "reset"))


class NumberTests(unittest.TestCase):
    def test_numbers(self):
        for text, n in [("5", 5), ("２５", 25), ("五", 5), ("十五", 15), ("一百零五", 105),
                        ("三百二", 320), ("两千五", 2500), ("一万五", 15000),
                        ("二零二六", 2026), ("Five", 5), ("twenty-one", 21)]:
            self.assertEqual(parse_number(text), n, text)
        for text in ["", "五分", "三四", "百", "十十", "fivefold", "twenty twenty"]:
            self.assertIsNone(parse_number(text), text)


class RetriesTests(unittest.TestCase):
    def test_counters(self):
        r = Retries(1)
        self.assertTrue(r.try_again())
        self.assertFalse(r.try_again())
        n = NoMatchCounter(1)
        self.assertTrue(n.miss())
        n.matched()
        self.assertTrue(n.miss())
        self.assertFalse(n.miss())
        self.assertEqual(n.total, 3)


class ActionsTests(unittest.TestCase):
    def test_outcome_shorthands_merge_into_one_action_where_first_called(self):
        out = Actions(0)
        out.intent(IntentLevel.B)
        out.say("好的", barge_in=True, id="ok")
        out.tag("callback").tag("callback").field("when", "明天").field("when", "2026-11-24")
        out.disposition("callback").hang_up("done")
        self.assertEqual(len(out), 3)
        self.assertEqual(out.list[0], wit.Action_SetOutcome(wit.Outcome(
            IntentLevel.B, "callback", ["callback"], [("when", "2026-11-24")])))
        self.assertEqual(out.list[1], wit.Action_Say(wit.Say("好的", "", "ok", True)))
        self.assertEqual(out.list[2], wit.Action_HangUp("done"))

    def test_opt_out_is_its_own_action_in_order(self):
        out = Actions(0)
        out.say("好的，以后不再打扰您，再见！").intent(IntentLevel.D)
        out.opt_out("customer asked: 不要再打了").hang_up("opted-out")
        self.assertEqual(out.list[2], wit.Action_OptOut("customer asked: 不要再打了"))
        self.assertEqual(out.list[3], wit.Action_HangUp("opted-out"))

    def test_sip_is_a_channel(self):
        started = wit.CallStarted("c1", wit.Direction.OUTBOUND, "", "", wit.Channel.SIP,
                                  [], 0, 7)
        self.assertEqual(started.channel, wit.Channel.SIP)

    def test_listen_with_dtmf(self):
        out = Actions(0).listen(no_input_ms=6000, hints=["好的"],
                                dtmf=wit.DtmfOptions(1, "", 3000), language="zh-CN",
                                hint_silence_ms=300)
        self.assertEqual(out.list, [wit.Action_Listen(
            wit.Listen(6000, 0, 0, ["好的"], wit.DtmfOptions(1, "", 3000), "zh-CN", 300))])

    def test_say_parts_is_one_action_with_its_parts_in_order(self):
        out = Actions(0).say("您好").say_parts(
            [Prompt("greeting-a"), Text("王芳"), Prompt("greeting-b")],
            barge_in=True, voice="cmn", id="greeting")
        self.assertEqual(out.list[1], wit.Action_SayParts(wit.SayParts(
            [wit.SpeechPart_Prompt("greeting-a"), wit.SpeechPart_Text("王芳"),
             wit.SpeechPart_Prompt("greeting-b")], "cmn", "greeting", True)))
        plain = Actions(0).say_parts((Text("50"),)).list[0].value
        self.assertEqual((plain.voice, plain.id, plain.barge_in), ("", "", False))

    def test_say_parts_refuses_a_part_that_is_neither_prompt_nor_text(self):
        with self.assertRaises(TypeError) as refused:
            Actions(0).say_parts([Prompt("a"), "王芳"])
        self.assertIn("part 1 is '王芳'", str(refused.exception))


class DialogueTests(unittest.TestCase):
    def test_dispatch_routes_events_and_unhandled_ones_do_nothing(self):
        class Echo(Dialogue):
            def on_final_transcript(self, t, out):
                out.say("您说的是" + t.text)

        out = Actions(1200)
        dispatch(Echo(), wit.Event_FinalTranscript(transcript("好的")), out)
        self.assertEqual(out.list, [wit.Action_Say(wit.Say("您说的是好的", "", "", False))])
        out = Actions(0)
        dispatch(Echo(), wit.Event_SpeechStarted(), out)
        self.assertEqual(out.list, [])

    def test_call_variables(self):
        seen = {}

        class Greeter(Dialogue):
            def on_call_started(self, call, out):
                seen.update(name=call.var_or("name", "您"), title=call.var_or("title", "先生"),
                            missing=call.var("amount"), call_id=call.call_id)

        started = wit.CallStarted("c1", wit.Direction.OUTBOUND, "", "", wit.Channel.TEXT,
                                  [("name", "王芳"), ("title", "  ")], 0, 7)
        dispatch(Greeter(), wit.Event_CallStarted(started), Actions(0))
        self.assertEqual(seen, {"name": "王芳", "title": "先生", "missing": None, "call_id": "c1"})

    def test_kv_is_in_memory_outside_the_host(self):
        kv.set("callback", b"2026-11-24")
        self.assertEqual(kv.get("callback"), b"2026-11-24")
        kv.delete("callback")
        kv.delete("callback")
        self.assertIsNone(kv.get("callback"))


def http_result(outcome, id="coupon"):
    return wit.HttpResult(id, outcome, 300)


def answered(status, body, headers=(("content-type", "application/json"),)):
    return http_result(Ok(wit.HttpResponse(status, list(headers), body)))


class HttpTests(unittest.TestCase):
    def test_a_json_post_carries_its_body_content_type_secrets_and_options(self):
        action = http.post("https://coupons.example.com/v1/coupons",
                           json={"phone": "13800138000", "campaign": "生日"},
                           headers={"Content-Type": "text/plain", "x-campaign": "birthday"},
                           secret_headers={"authorization": "coupon-api-token"},
                           read_headers=["x-request-id"], timeout_ms=1500, id="coupon")
        self.assertEqual(action, wit.Action_HttpRequest(wit.HttpRequest(
            "coupon", "POST", "https://coupons.example.com/v1/coupons",
            [("x-campaign", "birthday"), ("content-type", "application/json")],
            [("authorization", "coupon-api-token")],
            '{"phone":"13800138000","campaign":"生日"}', ["x-request-id"], 1500)))

    def test_a_get_has_no_body_and_leaves_id_and_timeout_to_the_host(self):
        action = http.get("https://crm.example.com/a", body="")
        self.assertEqual(action.value, wit.HttpRequest(
            "", "GET", "https://crm.example.com/a", [], [], "", [], 0))
        self.assertEqual(http.request("patch", "u").value.method, "PATCH")
        self.assertEqual(http.post("u", json=None).value.body, "null")

    def test_http_is_an_action_in_order(self):
        out = Actions(0).say("请稍等。").http(http.get("https://crm.example.com/a"))
        self.assertIsInstance(out.list[1], wit.Action_HttpRequest)
        record = wit.HttpRequest("r", "GET", "https://crm.example.com/b", [], [], "", [], 0)
        self.assertEqual(Actions(0).http(record).list, [wit.Action_HttpRequest(record)])

    def test_a_2xx_json_answer_gives_its_fields_status_and_headers(self):
        result = HttpResult(answered(201, '{"code": "BDAY-50", "amount": 50}',
                                     [("x-request-id", "r-42")]))
        self.assertTrue(result.is_success)
        self.assertEqual(result.status, 201)
        self.assertEqual(result.json(), {"code": "BDAY-50", "amount": 50})
        self.assertEqual(result.header("X-Request-ID"), "r-42")
        self.assertIsNone(result.header("etag"))
        self.assertIsNone(result.error)
        self.assertIsNone(result.error_message)

    def test_a_non_2xx_or_non_json_answer_raises_a_readable_failure(self):
        with self.assertRaises(HttpFailure) as failure:
            HttpResult(answered(503, " down for maintenance\n")).json()
        self.assertEqual(str(failure.exception), "the service answered 503: down for maintenance")
        self.assertEqual(failure.exception.status, 503)
        with self.assertRaises(HttpFailure) as failure:
            HttpResult(answered(200, "<html>")).json()
        self.assertTrue(str(failure.exception).startswith(
            "the service answered 200 with a body that is not JSON"), str(failure.exception))

    def test_every_host_error_reads_as_a_sentence(self):
        for error, message in [
            (wit.HttpError_Refused("not on the allowlist"),
             "refused before connecting: not on the allowlist"),
            (wit.HttpError_Limited("20 requests per call"),
             "not sent, a limit was reached: 20 requests per call"),
            (wit.HttpError_Timeout(), "no response in time"),
            (wit.HttpError_TooLarge(), "the response was larger than the tenant's cap"),
            (wit.HttpError_Failed("connection reset"), "the exchange failed: connection reset"),
        ]:
            result = HttpResult(http_result(Err(error)))
            self.assertFalse(result.is_success)
            self.assertIsNone(result.status)
            self.assertEqual(result.error, error)
            self.assertEqual(result.error_message, message)
            with self.assertRaises(HttpFailure) as failure:
                result.json()
            self.assertEqual(str(failure.exception), message)
            self.assertEqual(failure.exception.error, error)

    def test_dispatch_hands_the_answer_to_on_http_response(self):
        seen = []

        class Coupon(Dialogue):
            def on_http_response(self, result, out):
                seen.append((result.id, result.json()["code"]))

        dispatch(Coupon(), wit.Event_HttpResponse(answered(200, '{"code": "B-1"}')), Actions(0))
        self.assertEqual(seen, [("coupon", "B-1")])


if __name__ == "__main__":
    unittest.main()
