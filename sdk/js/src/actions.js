// Actions: the list of things a handler asks the host to do, built one call at a time, in
// the shape the contract's `action` variant takes in JavaScript ({ tag, val }). The outcome
// shorthands (intent, disposition, tag, field) merge into one `set-outcome` action placed
// where the first of them was called, as in the Rust SDK.

/** Intent levels, A (agreed) … F (invalid), as the contract's `intent-level` enum. */
export const IntentLevel = Object.freeze({ A: 'a', B: 'b', C: 'c', D: 'd', E: 'e', F: 'f' });

/** The most parts one `sayParts` may have (the contract's limit; the host refuses more). */
export const MAX_SAY_PARTS = 16;

/** `{ prompt: name }` or `{ text: words }` as the contract's `speech-part` variant. */
function speechPart(part, index) {
  if (typeof part?.prompt === 'string') return { tag: 'prompt', val: part.prompt };
  if (typeof part?.text === 'string') return { tag: 'text', val: part.text };
  throw new TypeError(
    `sayParts: part ${index} is ${JSON.stringify(part)}; use { prompt: name } or { text: words }`,
  );
}

export class Actions {
  #merged;

  /** `elapsedMs`: milliseconds from the start of the call to the event (a number). */
  constructor(elapsedMs = 0) {
    this.elapsedMs = elapsedMs;
    this.list = [];
  }

  /** Speak `text` after whatever is queued. Options: `{ bargeIn, voice, id }`. */
  say(text, { bargeIn = false, voice = '', id = '' } = {}) {
    return this.#push({ tag: 'say', val: { text, voice, id, bargeIn } });
  }

  /** Play the tenant's recorded prompt `prompt`. Options: `{ bargeIn, id }`. */
  play(prompt, { bargeIn = false, id = '' } = {}) {
    return this.#push({ tag: 'play', val: { prompt, id, bargeIn } });
  }

  /**
   * Play recorded prompts with spoken words between them as one prompt, after whatever is
   * queued: `out.sayParts([{ prompt: 'greeting-a' }, { text: name }, { prompt: 'greeting-b' }],
   * { bargeIn: true })`. At most `MAX_SAY_PARTS` parts. Options: `{ voice, bargeIn, id }`,
   * where `voice` speaks the text parts (e.g. `cmn`). (Contract 0.2.0.)
   */
  sayParts(parts, { bargeIn = false, voice = '', id = '' } = {}) {
    return this.#push({
      tag: 'say-parts',
      val: { parts: [...parts].map(speechPart), voice, id, bargeIn },
    });
  }

  /** Stop what is playing and drop everything queued. */
  stopPlayback() {
    return this.#push({ tag: 'stop-playback' });
  }

  /**
   * Wait for the customer. Options: `{ noInputMs, endSilenceMs, maxSpeechMs, hints, dtmf,
   * language, hintSilenceMs }`, where `dtmf` is `{ maxDigits, terminator,
   * interDigitTimeoutMs }` (omit it to get each key on its own), `language` what the
   * customer speaks (`zh-CN`; omit it for the module's), and `hintSilenceMs` the silence
   * that ends an answer matching a hint (0: 200 ms).
   */
  listen({
    noInputMs = 0,
    endSilenceMs = 0,
    maxSpeechMs = 0,
    hints = [],
    dtmf,
    language = '',
    hintSilenceMs = 0,
  } = {}) {
    const collect = dtmf && {
      maxDigits: dtmf.maxDigits ?? 1,
      terminator: dtmf.terminator ?? '',
      interDigitTimeoutMs: dtmf.interDigitTimeoutMs ?? 3000,
    };
    return this.#push({
      tag: 'listen',
      val: {
        noInputMs,
        endSilenceMs,
        maxSpeechMs,
        hints: [...hints],
        dtmf: collect,
        language,
        hintSilenceMs,
      },
    });
  }

  /** Start (or restart) timer `id`; `onTimerFired` is called `afterMs` later. */
  startTimer(id, afterMs) {
    return this.#push({ tag: 'start-timer', val: { id, afterMs } });
  }

  cancelTimer(id) {
    return this.#push({ tag: 'cancel-timer', val: id });
  }

  /** Receive the customer's audio at `sampleRate` (8000 or 16000). */
  subscribeAudio(sampleRate) {
    return this.#push({ tag: 'subscribe-audio', val: sampleRate });
  }

  unsubscribeAudio() {
    return this.#push({ tag: 'unsubscribe-audio' });
  }

  /** Hand the customer to a human at `target`; `onTransferResult` answers. */
  transfer(target, reason) {
    return this.#push({ tag: 'transfer', val: { target, reason } });
  }

  /** End the call once the queued prompts have played. */
  hangUp(reason) {
    return this.#push({ tag: 'hang-up', val: reason });
  }

  /** Send keypad tones (`0`-`9`, `*`, `#`, `A`-`D`, `w` = 0.5 s pause). */
  sendDtmf(digits) {
    return this.#push({ tag: 'send-dtmf', val: digits });
  }

  /**
   * The customer asked never to be called again: the host marks the call record as opted
   * out and the platform puts the number on the tenant's do-not-call list. `reason` goes in
   * the record. It does not end the call: say a short goodbye and `hangUp` as usual.
   * (Contract 0.2.0.)
   */
  optOut(reason) {
    return this.#push({ tag: 'opt-out', val: reason });
  }

  /**
   * Call one of the tenant's own systems: `out.http(http.post(url, { json }))` (see
   * http.js). The handler does not wait: `onHttpResponse` answers later while whatever was
   * queued keeps playing, so say something first if the customer would otherwise hear
   * silence. (Contract 0.2.0.)
   */
  http(request) {
    const action = request.tag === 'http-request' ? request : { tag: 'http-request', val: request };
    return this.#push(action);
  }

  /** Record (part of) the outcome as its own action: `{ intent, disposition, tags, fields }`. */
  setOutcome({ intent, disposition, tags = [], fields = [] }) {
    this.#merged = undefined;
    return this.#push({ tag: 'set-outcome', val: { intent, disposition, tags, fields } });
  }

  /** Set the outcome's intent level: `out.intent(IntentLevel.A)`. */
  intent(level) {
    this.#outcome().intent = level;
    return this;
  }

  disposition(disposition) {
    this.#outcome().disposition = disposition;
    return this;
  }

  /** Add a tag to the outcome (duplicates are ignored). */
  tag(tag) {
    const { tags } = this.#outcome();
    if (!tags.includes(tag)) tags.push(tag);
    return this;
  }

  /** Set one field of the outcome; a key set again is replaced. */
  field(key, value) {
    const { fields } = this.#outcome();
    const slot = fields.find(([k]) => k === key);
    if (slot) slot[1] = String(value);
    else fields.push([key, String(value)]);
    return this;
  }

  #push(action) {
    this.list.push(action);
    return this;
  }

  #outcome() {
    if (!this.#merged) {
      this.#merged = { intent: undefined, disposition: undefined, tags: [], fields: [] };
      this.list.push({ tag: 'set-outcome', val: this.#merged });
    }
    return this.#merged;
  }
}
