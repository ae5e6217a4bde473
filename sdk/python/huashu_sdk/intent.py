"""``IntentMatcher``: what did the customer mean? Keyword-phrase classification that works
for Chinese and English alike, with the Rust SDK's rules:

- utterance and phrases are normalised (lowercase, full-width to half-width, punctuation and
  whitespace dropped, one space kept between English words);
- a phrase in a spaced script (English, digits) matches whole words only: ``no`` does not
  match ``know``; Chinese phrases match anywhere;
- an occurrence inside one of the intent's excluded phrases does not count;
- the longest matching phrase wins, so ``不需要`` is never read as ``需要``; between equally
  long ones, the intent declared first wins.
"""

from .text import is_word_char, normalize


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
    """The best reading of a transcript, then its alternatives; blank readings skipped."""
    texts = [transcript.text] + [a.text for a in transcript.alternatives]
    return [t for t in texts if t.strip()]


class IntentMatcher:
    """Classifies utterances into intents by the phrases they contain::

        replies = (IntentMatcher()
                   .intent("yes", ["好的", "可以", "yes", "ok"])
                   .intent("no", ["不要", "不需要", "no"]))
        replies.classify("不需要了")   # "no"

    Labels can be any value: strings, numbers, tuples.
    """

    def __init__(self):
        self._intents = []

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
        when the best reading matches nothing."""
        for text in transcript_texts(transcript):
            label = self.classify(text)
            if label is not None:
                return label
        return None
