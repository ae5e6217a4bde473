"""The contract's own types, as componentize-py generates them from ``wit/`` (module
``wit_world``, created when the script is built). Scripts use them through the SDK's
re-exports: ``IntentLevel.A``, ``DtmfOptions(...)``, ``Party.CUSTOMER``…"""

from wit_world.imports import types as wit  # noqa: F401  (generated at build time)
from wit_world.imports.types import (  # noqa: F401
    Alternative, AudioFrame, CallStarted, Channel, Direction, Dtmf, DtmfEnd, DtmfOptions,
    HangUp, IntentLevel, Listen, NoInput, Outcome, Party, Play, PlaybackFinished, Say,
    Timer, TimerFired, Transcript, Transfer, TransferResult_Connected,
    TransferResult_Failed, HttpError_Failed, HttpError_Limited, HttpError_Refused,
    HttpError_Timeout, HttpError_TooLarge, HttpRequest, HttpResponse, NotUnderstood_Failed,
    NotUnderstood_NoMatch, NotUnderstood_NoRecogniser, SayParts, SpeechPart_Prompt,
    SpeechPart_Text,
)
