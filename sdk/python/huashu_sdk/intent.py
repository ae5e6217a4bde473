"""``IntentMatcher``: what did the customer mean? Keyword-phrase classification that works
for Chinese and English alike, with the Rust SDK's rules:

- utterance and phrases are normalised (lowercase, full-width to half-width, punctuation and
  whitespace dropped, one space kept between English words);
- a phrase in a spaced script (English, digits) matches whole words only: ``no`` does not
  match ``know``; Chinese phrases match anywhere;
- an occurrence inside one of the intent's excluded phrases does not count;
- the longest matching phrase wins, so ``不需要`` is never read as ``需要``; between equally
  long ones, the intent declared first wins;
- a transcript reading below the matcher's minimum confidence (``DEFAULT_MIN_CONFIDENCE``,
  0.5, unless set with ``min_confidence``) is a guess and matches nothing, and so does a
  transcript that was not understood (``not_understood`` says why).
"""

from .contract import NotUnderstood_Failed, NotUnderstood_NoMatch, NotUnderstood_NoRecogniser
from .text import is_word_char, normalize

DEFAULT_MIN_CONFIDENCE = 0.5
"""The confidence a reading needs to count. It sits in the gap the server's grammar
recogniser leaves: an answer that is (or contains) one of the listen's hints scores 0.65 or
more, speech matching none of them 0.11 or less. Acting below it turns a cough into a yes."""


def _occurrences(text: str, phrase: str):
    """(start, end) of each non-overlapping occurrence of ``phrase`` in ``text`` that does
    not cut a word of a spaced script in two."""
    starts_word = is_word_char(phrase[0])
    ends_word = is_word_char(phrase[-1])
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        clean_start = not starts_word or at == 0 or not is_word_char(text[at - 1])
        clean_end = not ends_word or end == len(text) or not is_word_char(text[end])
        if clean_start and clean_end:
            yield at, end
        at = text.find(phrase, end)


def transcript_texts(transcript):
    """The best reading of a transcript, then its alternatives; blank readings skipped,
    whatever their confidence. To act on what the customer said, use
    ``confident_texts`` (or a matcher's ``readings``)."""
    texts = [transcript.text] + [a.text for a in transcript.alternatives]
    return [t for t in texts if t.strip()]


def confident_texts(transcript, min_confidence: float = DEFAULT_MIN_CONFIDENCE):
    """The readings whose confidence is at least ``min_confidence``, best first; none when
    the transcript was not understood. A reading below the threshold is a guess."""
    if getattr(transcript, "not_understood", None) is not None:
        return []
    readings = [(transcript.text, transcript.confidence)]
    readings += [(a.text, a.confidence) for a in transcript.alternatives]
    # `>=` is False for NaN, so a NaN confidence counts as too low.
    return [t for t, c in readings if c >= min_confidence and t.strip()]


_WHY = {
    NotUnderstood_NoRecogniser: "no-recogniser",
    NotUnderstood_NoMatch: "no-match",
    NotUnderstood_Failed: "failed",
}


def not_understood(transcript):
    """Why nothing was understood, as ``(kind, detail)``, or ``None`` when the transcript
    has words. ``kind`` is ``"no-recogniser"`` (``detail``: the language no recogniser on
    the server handles; asking again will not help, offer keys instead), ``"no-match"``
    (the customer said none of the listen's hints; ``detail`` is ``""``) or ``"failed"``
    (``detail``: why the recogniser failed)::

        match not_understood(t):
            case ("no-recogniser", language):
                out.say("请按1确认，按2取消。")
            case _:
                out.say("不好意思，我没听清楚。", barge_in=True)
    """
    why = getattr(transcript, "not_understood", None)
    if why is None:
        return None
    return _WHY[type(why)], getattr(why, "value", "")


class IntentMatcher:
    """Classifies utterances into intents by the phrases they contain::

        replies = (IntentMatcher()
                   .intent("yes", ["好的", "可以", "yes", "ok"])
                   .intent("no", ["不要", "不需要", "no"]))
        replies.classify("不需要了")   # "no"

    Labels can be any value: strings, numbers, tuples. Transcripts are judged by
    confidence first: readings below ``DEFAULT_MIN_CONFIDENCE`` (0.5; change it with
    ``min_confidence(0.6)``) match nothing; typed text has confidence 1.0.
    """

    def __init__(self):
        self._intents = []
        self._min_confidence = DEFAULT_MIN_CONFIDENCE

    def min_confidence(self, min_confidence: float):
        """Ignore transcript readings whose confidence is below ``min_confidence`` (0.0 to
        1.0; a reading exactly at it counts; 0.0 accepts every reading)."""
        self._min_confidence = min_confidence
        return self

    def readings(self, transcript):
        """The readings of ``transcript`` this matcher acts on (confident enough), best
        first. Read dates and numbers from these too, so a guess never becomes an answer."""
        return confident_texts(transcript, self._min_confidence)

    def intent(self, label, phrases):
        """Add an intent recognised by any of ``phrases``."""
        return self.intent_excluding(label, phrases, [])

    def intent_excluding(self, label, phrases, excluding):
        """Add an intent recognised by any of ``phrases``, except where the phrase is part of
        one of ``excluding``: ``intent_excluding("interested", ["感兴趣"], ["不感兴趣"])``."""
        prepare = lambda items: [p for p in (normalize(i) for i in items) if p]
        self._intents.append((label, prepare(phrases), prepare(excluding)))
        return self

    def best_match(self, text: str):
        """``(label, phrase)`` of the winning intent, or ``None``."""
        text = normalize(text)
        best = None
        for label, phrases, excluded in self._intents:
            hidden = [r for p in excluded for r in _occurrences(text, p)]
            for phrase in phrases:
                counts = any(
                    not any(s <= start and end <= e for s, e in hidden)
                    for start, end in _occurrences(text, phrase)
                )
                if counts and (best is None or len(phrase) > len(best[1])):
                    best = (label, phrase)
        return best

    def classify(self, text: str):
        """The label of the intent ``text`` expresses, or ``None``."""
        found = self.best_match(text)
        return found[0] if found else None

    def classify_transcript(self, transcript):
        """The intent of the best reading that matches anything, trying the alternatives
        when the best reading matches nothing. Only readings at or above the minimum
        confidence count; ``None`` when the transcript was not understood."""
        for text in self.readings(transcript):
            label = self.classify(text)
            if label is not None:
                return label
        return None
