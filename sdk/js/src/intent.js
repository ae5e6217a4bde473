// IntentMatcher: what did the customer mean? Phrases are compared on normalised text; a
// phrase in a spaced script (English, digits) must match whole words, Chinese phrases match
// anywhere; occurrences inside an excluded phrase do not count; the longest matching phrase
// wins (so 不需要 is never read as 需要), ties going to the intent declared first.

import { isWordChar, normalize } from './text.js';

function* occurrences(text, phrase) {
  const chars = Array.from(text);
  const needle = Array.from(phrase);
  const startsWord = isWordChar(needle[0]);
  const endsWord = isWordChar(needle[needle.length - 1]);
  let at = 0;
  while (at + needle.length <= chars.length) {
    if (needle.every((c, i) => chars[at + i] === c)) {
      const end = at + needle.length;
      const cleanStart = !startsWord || at === 0 || !isWordChar(chars[at - 1]);
      const cleanEnd = !endsWord || end === chars.length || !isWordChar(chars[end]);
      if (cleanStart && cleanEnd) yield [at, end];
      at = end;
    } else {
      at += 1;
    }
  }
}

/** The best reading of a transcript, then its alternatives; blank readings skipped. */
export function transcriptTexts(transcript) {
  return [transcript.text, ...transcript.alternatives.map((a) => a.text)].filter(
    (t) => t.trim() !== '',
  );
}

export class IntentMatcher {
  #intents = [];

  /** Add an intent recognised by any of `phrases`. */
  intent(label, phrases) {
    return this.intentExcluding(label, phrases, []);
  }

  /** Add an intent recognised by any of `phrases`, except inside one of `excluding`. */
  intentExcluding(label, phrases, excluding) {
    const prepare = (list) => list.map(normalize).filter((p) => p !== '');
    this.#intents.push({ label, phrases: prepare(phrases), excluded: prepare(excluding) });
    return this;
  }

  /** `{ label, phrase }` of the winning intent, or undefined. */
  bestMatch(text) {
    const normalized = normalize(text);
    let best;
    for (const { label, phrases, excluded } of this.#intents) {
      const hidden = excluded.flatMap((p) => [...occurrences(normalized, p)]);
      for (const phrase of phrases) {
        const counts = [...occurrences(normalized, phrase)].some(
          ([start, end]) => !hidden.some(([s, e]) => s <= start && end <= e),
        );
        const length = Array.from(phrase).length;
        if (counts && (best === undefined || length > best.length)) best = { label, phrase, length };
      }
    }
    return best && { label: best.label, phrase: best.phrase };
  }

  /** The label `text` expresses, or undefined. */
  classify(text) {
    return this.bestMatch(text)?.label;
  }

  /** The intent of the first reading of `transcript` (best, then alternatives) that matches. */
  classifyTranscript(transcript) {
    for (const text of transcriptTexts(transcript)) {
      const label = this.classify(text);
      if (label !== undefined) return label;
    }
    return undefined;
  }
}
