// Write huashu call scripts (话术) in JavaScript.
//
//   import { Dialogue, IntentLevel, IntentMatcher, exportDialogue } from 'huashu-sdk';
//
//   class Greeter extends Dialogue {
//     onCallStarted(call, out) {
//       out.say(`${call.varOr('name', '')}您好，请问现在方便吗？`, { bargeIn: true });
//       out.listen({ noInputMs: 6000, hints: ['方便', '不方便'] });
//     }
//   }
//   export const script = exportDialogue(Greeter);
//
// Build with `node sdk/js/build.mjs app.js out.wasm` (componentize-js, world `dialogue`).
//
// Layout: dialogue.js (Dialogue, Call, dispatch, exportDialogue), actions.js (Actions,
// IntentLevel, sayParts' limit), http.js (http, HttpResult, HttpFailure: calling the
// tenant's own systems), intent.js (IntentMatcher with its minimum confidence,
// confidentTexts, whyNotUnderstood), retries.js (Retries, NoMatchCounter), text.js
// (normalize), host.js (log, kv).

export { Actions, IntentLevel, MAX_SAY_PARTS } from './actions.js';
export { Call, Dialogue, dispatch, exportDialogue } from './dialogue.js';
export { HttpFailure, HttpResult, http, httpErrorMessage } from './http.js';
export {
  DEFAULT_MIN_CONFIDENCE,
  IntentMatcher,
  confidentTexts,
  transcriptTexts,
  whyNotUnderstood,
} from './intent.js';
export { NoMatchCounter, Retries } from './retries.js';
export { normalize } from './text.js';
export { kv, log } from './host.js';
