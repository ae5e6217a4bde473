"""``Dialogue``: the class a script subclasses, one method per event of the call, and
``export``, which makes it the component's ``script`` export.

The host delivers the events of one call, in order, to one object of your class (created
just before ``call-started``; every call gets a fresh component instance). Keep what you
need to remember between events in its attributes. Each handler answers through ``out``
(an ``Actions``); nothing happens while it runs, so never wait in a handler: ask for a
``listen`` or a timer and return."""

from .actions import Actions
from .call import Call
from .contract import wit
from .http import HttpResult


class Dialogue:
    """Override the handlers for the events you care about; the others do nothing."""

    def on_call_started(self, call: Call, out: Actions):
        """The call is connected. The first event, exactly once: greet and listen here."""

    def on_speech_started(self, out: Actions):
        """The customer started speaking (barge-in itself is handled by the host)."""

    def on_partial_transcript(self, transcript, out: Actions):
        """A running guess of what the customer is saying; decide on the final one."""

    def on_final_transcript(self, transcript, out: Actions):
        """What the customer said, final (``text``, ``confidence``, ``alternatives``,
        ``not_understood``). Classify it with an ``IntentMatcher``, which ignores readings
        below its minimum confidence; ``not_understood(transcript)`` says why there are no
        words (``("no-recogniser", "en-US")``, ``("no-match", "")``…)."""

    def on_no_input(self, no_input, out: Actions):
        """The customer said nothing in time; ``no_input.count`` says how often in a row."""

    def on_dtmf(self, dtmf, out: Actions):
        """The customer pressed keys (``dtmf.digits``, ``dtmf.ended_by``)."""

    def on_playback_finished(self, playback, out: Actions):
        """A say or play finished or was stopped (``interrupted``, ``played_ms``)."""

    def on_timer_fired(self, timer, out: Actions):
        """A timer started with ``out.start_timer`` fired (``timer.id``)."""

    def on_audio_frame(self, frame, out: Actions):
        """Customer audio, only after ``out.subscribe_audio``."""

    def on_transfer_result(self, result, out: Actions):
        """The answer to ``out.transfer``: ``TransferResult_Connected`` or
        ``TransferResult_Failed`` (then you are still talking to the customer)."""

    def on_http_response(self, result: HttpResult, out: Actions):
        """The answer to ``out.http(...)``: ``result.id`` says which request;
        ``result.json()`` reads a 2xx JSON body or raises ``HttpFailure`` saying why not."""

    def on_hang_up(self, hang_up, out: Actions):
        """The call is over; only outcome changes and logging still have an effect."""

    def on_event(self, event, out: Actions):
        """Every event comes here first; the default calls the matching handler."""
        dispatch(self, event, out)


_HANDLERS = {
    wit.Event_CallStarted: lambda d, e, out: d.on_call_started(Call(e.value), out),
    wit.Event_SpeechStarted: lambda d, e, out: d.on_speech_started(out),
    wit.Event_PartialTranscript: lambda d, e, out: d.on_partial_transcript(e.value, out),
    wit.Event_FinalTranscript: lambda d, e, out: d.on_final_transcript(e.value, out),
    wit.Event_NoInput: lambda d, e, out: d.on_no_input(e.value, out),
    wit.Event_Dtmf: lambda d, e, out: d.on_dtmf(e.value, out),
    wit.Event_PlaybackFinished: lambda d, e, out: d.on_playback_finished(e.value, out),
    wit.Event_TimerFired: lambda d, e, out: d.on_timer_fired(e.value, out),
    wit.Event_AudioFrame: lambda d, e, out: d.on_audio_frame(e.value, out),
    wit.Event_TransferResult: lambda d, e, out: d.on_transfer_result(e.value, out),
    wit.Event_HangUp: lambda d, e, out: d.on_hang_up(e.value, out),
    wit.Event_HttpResponse: lambda d, e, out: d.on_http_response(HttpResult(e.value), out),
}


def dispatch(dialogue: Dialogue, event, out: Actions):
    """Calls the handler of ``dialogue`` that matches ``event``."""
    _HANDLERS[type(event)](dialogue, event, out)


def handle_event(slot: list, dialogue_class, event, elapsed_ms: int):
    """Runs one event through the dialogue kept in ``slot``, creating it first if needed."""
    if not slot:
        slot.append(dialogue_class())
    out = Actions(elapsed_ms)
    slot[0].on_event(event, out)
    return out.list


def _log_traceback():
    try:
        import traceback

        from .host import log

        log.error(traceback.format_exc())
    except BaseException:
        pass  # e.g. no memory left to format it: the trap is reported all the same


def export(dialogue_class):
    """The component's ``script`` export for ``dialogue_class``. In the script's entry module
    (``app.py``), write ``Script = export(MyDialogue)``: componentize-py looks for a class
    named ``Script`` there."""
    from wit_world import exports

    slot = []

    class Script(exports.Script):
        def handle(self, event, elapsed_ms):
            try:
                return handle_event(slot, dialogue_class, event, elapsed_ms)
            except MemoryError:
                raise  # nothing left to format a traceback with
            except BaseException:
                # componentize-py turns an exception into a bare trap ("Python function
                # threw an unexpected exception"): put the traceback in the call's log
                # first, where the tenant reads it. The call still fails.
                _log_traceback()
                raise

    Script.__qualname__ = f"Script[{dialogue_class.__name__}]"
    return Script
