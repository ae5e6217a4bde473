"""Write huashu call scripts (话术) in Python.

A script subclasses ``Dialogue`` and overrides the handlers of the events it cares about;
each handler answers by adding actions to ``out`` (an ``Actions``)::

    from huashu_sdk import Actions, Dialogue, IntentLevel, IntentMatcher, export

    class Greeter(Dialogue):
        def on_call_started(self, call, out):
            out.say(f"{call.var_or('name', '')}您好，请问现在方便吗？", barge_in=True)
            out.listen(no_input_ms=6000, hints=["方便", "不方便"])

        def on_final_transcript(self, t, out):
            replies = IntentMatcher().intent("yes", ["方便", "可以"]).intent("no", ["不方便"])
            if replies.classify_transcript(t) == "yes":
                out.say("好的，再见！").intent(IntentLevel.A)
            else:
                out.say("不打扰了，再见！").intent(IntentLevel.D)
            out.hang_up("done")

    Script = export(Greeter)   # componentize-py's entry point

Build it with ``sdk/python/build.sh DIR OUT.wasm`` (componentize-py, the world ``dialogue``
from ``wit/``) and test it with ``huashu test OUT.wasm DIR/scenarios/``.

Layout:

- ``dialogue``: ``Dialogue`` (one handler per event), ``dispatch`` and ``export``.
- ``actions``: ``Actions``, the action list a handler builds, with outcome shorthands;
  ``Prompt`` and ``Text``, the parts of ``out.say_parts([...])``.
- ``call``: ``Call``, the call-started event with ``var`` / ``var_or``.
- ``http``: ``http.get`` / ``http.post``… build the ``http-request`` action (JSON bodies,
  secret headers); ``HttpResult`` reads the ``http-response`` event, ``HttpFailure`` says
  why there is no JSON.
- ``intent``: ``IntentMatcher`` (longest phrase wins; Chinese and English normalised;
  transcript readings below its minimum confidence, 0.5 unless set, are ignored),
  ``confident_texts`` and ``not_understood`` (why a transcript has no words).
- ``retries``: ``Retries`` and ``NoMatchCounter``: how often to ask again.
- ``number``: ``parse_number`` for "五", "二十五", "twenty-one".
- ``host``: ``log`` and ``kv``, the host's call log and the tenant's key-value store.
- ``contract``: the contract's generated types (``IntentLevel``, ``DtmfOptions``…).
"""

from .actions import MAX_SAY_PARTS, Actions, Prompt, Text
from .call import Call
from .contract import (
    Alternative, AudioFrame, CallStarted, Channel, Direction, Dtmf, DtmfEnd, DtmfOptions,
    HangUp, HttpError_Failed, HttpError_Limited, HttpError_Refused, HttpError_Timeout,
    HttpError_TooLarge, HttpResponse, IntentLevel, NoInput, NotUnderstood_Failed,
    NotUnderstood_NoMatch, NotUnderstood_NoRecogniser, Outcome, Party, PlaybackFinished,
    TimerFired, Transcript, TransferResult_Connected, TransferResult_Failed,
)
from . import http
from .http import HttpFailure, HttpResult
from .dialogue import Dialogue, dispatch, export
from .host import KvError, kv, log
from .intent import (
    DEFAULT_MIN_CONFIDENCE, IntentMatcher, confident_texts, not_understood, transcript_texts,
)
from .number import parse_number
from .retries import NoMatchCounter, Retries

__all__ = [
    "Actions", "Alternative", "DEFAULT_MIN_CONFIDENCE", "MAX_SAY_PARTS", "AudioFrame", "Call", "CallStarted", "Channel", "Dialogue",
    "Direction", "Dtmf", "DtmfEnd", "DtmfOptions", "HangUp", "HttpError_Failed",
    "HttpError_Limited", "HttpError_Refused", "HttpError_Timeout", "HttpError_TooLarge",
    "HttpFailure", "HttpResponse", "HttpResult", "IntentLevel", "IntentMatcher",
    "KvError", "NoInput", "NoMatchCounter", "NotUnderstood_Failed", "NotUnderstood_NoMatch",
    "NotUnderstood_NoRecogniser", "Outcome", "Party", "PlaybackFinished", "Prompt",
    "Retries", "Text", "TimerFired", "Transcript", "TransferResult_Connected",
    "TransferResult_Failed", "confident_texts", "dispatch", "export", "http", "kv", "log",
    "not_understood", "parse_number", "transcript_texts",
]
