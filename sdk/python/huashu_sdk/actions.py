"""``Actions``: the list of things a handler asks the host to do, built one call at a time.

Each method appends one action, in the order called. The outcome shorthands (``intent``,
``disposition``, ``tag``, ``field``) are the exception: they merge into one ``set-outcome``
action placed where the first of them was called, as in the Rust SDK."""

from .contract import (
    DtmfOptions, IntentLevel, Listen, Outcome, Play, Say, SayParts, SpeechPart_Prompt,
    SpeechPart_Text, Timer, Transfer, wit,
)

Prompt = SpeechPart_Prompt
"""A part of ``say_parts``: the tenant's uploaded recording, by name: ``Prompt("greeting-a")``."""

Text = SpeechPart_Text
"""A part of ``say_parts``: words spoken with text-to-speech: ``Text(name)``."""

MAX_SAY_PARTS = 16
"""The most parts one ``say_parts`` may have (the contract's limit; the host refuses more)."""


class Actions:
    """The actions a handler answers with. The SDK creates one per event (``out``)."""

    def __init__(self, elapsed_ms: int = 0):
        self.elapsed_ms = elapsed_ms
        """Milliseconds from the start of the call to the event being handled."""
        self.list = []
        self._merged = None

    def say(self, text: str, *, barge_in: bool = False, voice: str = "", id: str = ""):
        """Speak ``text`` with text-to-speech after whatever is queued. ``barge_in``: the
        customer may interrupt it; ``voice``: e.g. ``cmn``; ``id``: named in
        ``playback-finished``."""
        return self._push(wit.Action_Say(Say(text, voice, id, barge_in)))

    def play(self, prompt: str, *, barge_in: bool = False, id: str = ""):
        """Play the tenant's recorded prompt ``prompt`` after whatever is queued."""
        return self._push(wit.Action_Play(Play(prompt, id, barge_in)))

    def say_parts(self, parts, *, barge_in: bool = False, voice: str = "", id: str = ""):
        """Play recorded prompts with spoken words between them as one prompt, after whatever
        is queued: ``out.say_parts([Prompt("greeting-a"), Text(name), Prompt("greeting-b")],
        barge_in=True)``. At most ``MAX_SAY_PARTS`` parts; ``voice`` speaks the ``Text``
        parts (e.g. ``cmn``); ``id`` is named in ``playback-finished``. (Contract 0.2.0.)"""
        parts = list(parts)
        for i, part in enumerate(parts):
            if not isinstance(part, (Prompt, Text)):
                raise TypeError(f"say_parts: part {i} is {part!r}; use Prompt(name) or Text(words)")
        return self._push(wit.Action_SayParts(SayParts(parts, voice, id, barge_in)))

    def stop_playback(self):
        """Stop what is playing and drop everything queued."""
        return self._push(wit.Action_StopPlayback())

    def listen(self, *, no_input_ms: int = 0, end_silence_ms: int = 0, max_speech_ms: int = 0,
               hints=(), dtmf: DtmfOptions = None, language: str = "",
               hint_silence_ms: int = 0):
        """Wait for the customer's answer. ``no_input_ms``: raise ``no-input`` after this long
        (0: never); ``hints``: phrases the recogniser favours; ``dtmf``: collect keys,
        ``DtmfOptions(max_digits, terminator, inter_digit_timeout_ms)`` (None: each key on
        its own); ``language``: what the customer speaks (``zh-CN``; empty: the module's);
        ``hint_silence_ms``: silence that ends an answer matching a hint (0: 200 ms)."""
        listen = Listen(no_input_ms, end_silence_ms, max_speech_ms, list(hints), dtmf,
                        language, hint_silence_ms)
        return self._push(wit.Action_Listen(listen))

    def start_timer(self, id: str, after_ms: int):
        """Start (or restart) timer ``id``; ``on_timer_fired`` is called ``after_ms`` later."""
        return self._push(wit.Action_StartTimer(Timer(id, after_ms)))

    def cancel_timer(self, id: str):
        """Cancel timer ``id``; an unknown id is ignored."""
        return self._push(wit.Action_CancelTimer(id))

    def subscribe_audio(self, sample_rate: int):
        """Receive the customer's audio at ``sample_rate`` (8000 or 16000)."""
        return self._push(wit.Action_SubscribeAudio(sample_rate))

    def unsubscribe_audio(self):
        return self._push(wit.Action_UnsubscribeAudio())

    def transfer(self, target: str, reason: str):
        """Hand the customer to a human at ``target``; ``on_transfer_result`` answers."""
        return self._push(wit.Action_Transfer(Transfer(target, reason)))

    def hang_up(self, reason: str):
        """End the call once the queued prompts have played."""
        return self._push(wit.Action_HangUp(reason))

    def send_dtmf(self, digits: str):
        """Send keypad tones (``0``-``9``, ``*``, ``#``, ``A``-``D``, ``w`` = 0.5 s pause)."""
        return self._push(wit.Action_SendDtmf(digits))

    def opt_out(self, reason: str):
        """The customer asked never to be called again: the host marks the call record as
        opted out and the platform puts the number on the tenant's do-not-call list.
        ``reason`` goes in the record. It does not end the call: say a short goodbye and
        ``hang_up`` as usual. (Contract 0.2.0.)"""
        return self._push(wit.Action_OptOut(reason))

    def http(self, request):
        """Call one of the tenant's own systems: ``out.http(http.post(url, json={...}))``
        (see ``huashu_sdk.http``). The handler does not wait: ``on_http_response`` answers
        later while whatever was queued keeps playing, so say something first if the
        customer would otherwise hear silence. (Contract 0.2.0.)"""
        if not isinstance(request, wit.Action_HttpRequest):
            request = wit.Action_HttpRequest(request)
        return self._push(request)

    def set_outcome(self, outcome: Outcome):
        """Record (part of) the outcome as its own ``set-outcome`` action."""
        self._merged = None
        return self._push(wit.Action_SetOutcome(outcome))

    def intent(self, level: IntentLevel):
        """Set the outcome's intent level (``IntentLevel.A`` agreed … ``F`` invalid)."""
        self._outcome().intent = level
        return self

    def disposition(self, disposition: str):
        """Set the outcome's disposition, e.g. ``coupon-accepted``."""
        self._outcome().disposition = disposition
        return self

    def tag(self, tag: str):
        """Add a tag to the outcome (duplicates are ignored)."""
        tags = self._outcome().tags
        if tag not in tags:
            tags.append(tag)
        return self

    def field(self, key: str, value: str):
        """Set one field of the outcome; setting a key again replaces its value."""
        fields = self._outcome().fields
        for i, (k, _) in enumerate(fields):
            if k == key:
                fields[i] = (key, value)
                return self
        fields.append((key, value))
        return self

    def __len__(self):
        return len(self.list)

    def _push(self, action):
        self.list.append(action)
        return self

    def _outcome(self) -> Outcome:
        if self._merged is None:
            self._merged = Outcome(None, None, [], [])
            self.list.append(wit.Action_SetOutcome(self._merged))
        return self._merged
