// Dialogue: the class a script extends, one method per event of the call (each a no-op
// until overridden), and exportDialogue, which makes it the component's `script` export.
// The host delivers one call's events, in order, to one object of the class, created just
// before `call-started`; every call gets a fresh component instance.

import { Actions } from './actions.js';
import { HttpResult } from './http.js';

/**
 * The call-started event with `var(name)` and `varOr(name, fallback)`: `callId`,
 * `direction` ('outbound' | 'inbound'), `caller`, `callee`, `channel` ('browser' |
 * 'twilio' | 'text' | 'sip'), `variables`, `startedAtMs`, `randomSeed`.
 */
export class Call {
  constructor(started) {
    Object.assign(this, started);
  }

  var(name) {
    return this.variables.find(([key]) => key === name)?.[1];
  }

  varOr(name, fallback) {
    const value = this.var(name);
    return value !== undefined && value.trim() !== '' ? value : fallback;
  }
}

export class Dialogue {
  /** The call is connected: greet and listen here. */
  onCallStarted(call, out) {}
  /** The customer started speaking. */
  onSpeechStarted(out) {}
  onPartialTranscript(transcript, out) {}
  /**
   * What the customer said, final: `{ text, confidence, alternatives, notUnderstood }`.
   * Classify it with an IntentMatcher, which ignores readings below its minimum confidence;
   * `notUnderstood` (`{ tag: 'no-recogniser', val: 'en-US' }`, `{ tag: 'no-match' }`…) says
   * why there are no words, and `whyNotUnderstood(transcript)` says it in a sentence.
   */
  onFinalTranscript(transcript, out) {}
  /** Silence while listening: `{ count }` in a row. */
  onNoInput(noInput, out) {}
  /** Keys pressed: `{ digits, endedBy }`. */
  onDtmf(dtmf, out) {}
  /** `{ id, interrupted, playedMs, totalMs }`. */
  onPlaybackFinished(playback, out) {}
  /** `{ id }` of a timer started with `out.startTimer`. */
  onTimerFired(timer, out) {}
  onAudioFrame(frame, out) {}
  /** `{ tag: 'connected' }` or `{ tag: 'failed', val: why }`. */
  onTransferResult(result, out) {}
  /**
   * The answer to `out.http(…)`, an HttpResult: `result.id` says which request;
   * `result.json()` reads a 2xx JSON body or throws an HttpFailure saying why not.
   */
  onHttpResponse(result, out) {}
  /** The call is over: `{ by, reason }`. Only outcome changes and logs still count. */
  onHangUp(hangUp, out) {}

  /** Every event comes here first; the default calls the matching handler. */
  onEvent(event, out) {
    dispatch(this, event, out);
  }
}

const HANDLERS = {
  'call-started': (d, val, out) => d.onCallStarted(new Call(val), out),
  'speech-started': (d, _val, out) => d.onSpeechStarted(out),
  'partial-transcript': (d, val, out) => d.onPartialTranscript(val, out),
  'final-transcript': (d, val, out) => d.onFinalTranscript(val, out),
  'no-input': (d, val, out) => d.onNoInput(val, out),
  dtmf: (d, val, out) => d.onDtmf(val, out),
  'playback-finished': (d, val, out) => d.onPlaybackFinished(val, out),
  'timer-fired': (d, val, out) => d.onTimerFired(val, out),
  'audio-frame': (d, val, out) => d.onAudioFrame(val, out),
  'transfer-result': (d, val, out) => d.onTransferResult(val, out),
  'hang-up': (d, val, out) => d.onHangUp(val, out),
  'http-response': (d, val, out) => d.onHttpResponse(new HttpResult(val), out),
};

/** Calls the handler of `dialogue` that matches `event`. */
export function dispatch(dialogue, event, out) {
  HANDLERS[event.tag](dialogue, event.val, out);
}

/** The `script` export for `DialogueClass`: `export const script = exportDialogue(Mine);` */
export function exportDialogue(DialogueClass) {
  let dialogue;
  return {
    handle(event, elapsedMs) {
      dialogue ??= new DialogueClass();
      const out = new Actions(Number(elapsedMs));
      dialogue.onEvent(event, out);
      return out.list;
    },
  };
}
