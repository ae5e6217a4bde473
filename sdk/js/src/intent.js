// IntentMatcher: what did the customer mean? Phrases are compared on normalised text; a
// phrase in a spaced script (English, digits) must match whole words, Chinese phrases match
// anywhere; occurrences inside an excluded phrase do not count; the longest matching phrase
// wins (so 不需要 is never read as 需要), ties going to the intent declared first.
// Transcripts are judged by confidence first: a reading below the matcher's minimum
// (DEFAULT_MIN_CONFIDENCE unless set with minConfidence) is a guess and matches nothing, and
// so does a transcript that was not understood (`notUnderstood` set).

import { isWordChar, normalize } from './text.js';

/**
 * The confidence a reading needs to count. It sits in the gap the server's grammar
 * recogniser leaves: an answer that is (or contains) one of the listen's hints scores 0.65
 * or more, speech matching none of them 0.11 or less. Acting below it turns a cough into a
 * yes.
 */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

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

/**
 * The best reading of a transcript, then its alternatives; blank readings skipped, whatever
 * their confidence. To act on what the customer said, use `confidentTexts` (or a matcher's
 * `readings`).
 */
export function transcriptTexts(transcript) {
  return [transcript.text, ...transcript.alternatives.map((a) => a.text)].filter(
    (t) => t.trim() !== '',
  );
}

/**
 * The readings whose confidence is at least `minConfidence`, best first; none when the
 * transcript was not understood. A reading below the threshold is a guess.
 */
export function confidentTexts(transcript, minConfidence = DEFAULT_MIN_CONFIDENCE) {
  if (transcript.notUnderstood != null) return [];
  const readings = [
    { text: transcript.text, confidence: transcript.confidence },
    ...transcript.alternatives,
  ];
  // `>=` is false for NaN (and a missing confidence), which therefore counts as too low.
  return readings
    .filter(({ text, confidence }) => confidence >= minConfidence && text.trim() !== '')
    .map(({ text }) => text);
}

/**
 * One sentence for the call log saying why `transcript` has no words, or undefined when it
 * has some. To act on the reason, read `transcript.notUnderstood.tag`: `'no-recogniser'`
 * (`val`: the language no recogniser on the server handles; asking again will not help,
 * offer keys instead), `'no-match'` (none of the listen's hints was said) or `'failed'`
 * (`val`: why the recogniser failed).
 */
export function whyNotUnderstood(transcript) {
  const why = transcript.notUnderstood ?? undefined;
  switch (why?.tag) {
    case undefined:
      return undefined;
    case 'no-recogniser':
      return `no recogniser for ${why.val}`;
    case 'no-match':
      return "said nothing the listen's hints cover";
    default:
      return `recogniser failed: ${why.val}`;
  }
}

export class IntentMatcher {
  #intents = [];
  #minConfidence = DEFAULT_MIN_CONFIDENCE;

  /**
   * Ignore transcript readings whose confidence is below `minConfidence` (0 to 1; a reading
   * exactly at it counts; 0 accepts every reading). Typed text has confidence 1.
   */
  minConfidence(minConfidence) {
    this.#minConfidence = minConfidence;
    return this;
  }

  /**
   * The readings of `transcript` this matcher acts on (confident enough), best first. Read
   * dates and numbers from these too, so a guess never becomes an answer.
   */
  readings(transcript) {
    return confidentTexts(transcript, this.#minConfidence);
  }

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

  /**
   * The intent of the first reading of `transcript` (best, then alternatives) that matches.
   * Only readings at or above the minimum confidence count; undefined when the transcript
   * was not understood.
   */
  classifyTranscript(transcript) {
    for (const text of this.readings(transcript)) {
      const label = this.classify(text);
      if (label !== undefined) return label;
    }
    return undefined;
  }
}
