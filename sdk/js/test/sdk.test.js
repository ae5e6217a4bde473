// Unit tests of the JavaScript SDK, run natively with node's test runner
// (`node --test sdk/js/test/`; tests/languages.rs runs them). host.js is left out: its
// imports exist only inside the component. The cases mirror the Rust SDK's own tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Actions, IntentLevel } from '../src/actions.js';
import { Dialogue, dispatch, exportDialogue } from '../src/dialogue.js';
import { IntentMatcher } from '../src/intent.js';
import { NoMatchCounter, Retries } from '../src/retries.js';
import { normalize } from '../src/text.js';

const replies = new IntentMatcher()
  .intent('yes', ['好的', '好', '可以', '需要', '要', 'yes', 'sure', 'ok', 'okay'])
  .intent('no', ['不要', '不需要', '不用', 'no', 'not interested'])
  .intent('who', ['你是谁', 'who is this']);

test('normalize folds width and case and drops punctuation', () => {
  assert.equal(normalize('好的，ＯＫ！'), '好的ok');
  assert.equal(normalize('不 需 要 。'), '不需要');
  assert.equal(normalize('Not, interested!'), 'not interested');
  assert.equal(normalize('１２月５号'), '12月5号');
});

test('the longest phrase wins and English matches whole words', () => {
  assert.equal(replies.classify('好的，不过不需要'), 'no');
  assert.deepEqual(replies.bestMatch('不需要'), { label: 'no', phrase: '不需要' });
  assert.equal(replies.classify('OKAY'), 'yes');
  assert.equal(replies.classify("I'm not interested!"), 'no');
  assert.equal(replies.classify('I know nothing'), undefined);
  assert.equal(replies.classifyTranscript({ text: '嗯', alternatives: [{ text: '要' }] }), 'yes');
});

test('excluded phrases hide their occurrences only', () => {
  const m = new IntentMatcher().intentExcluding('interested', ['感兴趣'], ['不感兴趣']);
  assert.equal(m.classify('我不感兴趣'), undefined);
  assert.equal(m.classify('不感兴趣？其实我感兴趣'), 'interested');
});

test('retries and no-match counters', () => {
  const r = new Retries(1);
  assert.equal(r.tryAgain(), true);
  assert.equal(r.tryAgain(), false);
  const n = new NoMatchCounter(1);
  assert.equal(n.miss(), true);
  assert.equal(n.miss(), false);
  assert.equal(n.total, 2);
});

test('outcome shorthands merge into one action where first called', () => {
  const out = new Actions(0);
  out.intent(IntentLevel.B).say('好的', { bargeIn: true });
  out.tag('callback').tag('callback').field('when', '明天').field('when', '2026-11-24');
  out.disposition('callback').hangUp('done');
  assert.deepEqual(out.list, [
    { tag: 'set-outcome', val: { intent: 'b', disposition: 'callback', tags: ['callback'], fields: [['when', '2026-11-24']] } },
    { tag: 'say', val: { text: '好的', voice: '', id: '', bargeIn: true } },
    { tag: 'hang-up', val: 'done' },
  ]);
});

test('opt-out is its own action, in order', () => {
  const out = new Actions(0);
  out.say('好的，以后不再打扰您，再见！').optOut('customer asked: 不要再打了').hangUp('opted-out');
  assert.deepEqual(out.list.slice(1), [
    { tag: 'opt-out', val: 'customer asked: 不要再打了' },
    { tag: 'hang-up', val: 'opted-out' },
  ]);
});

test('the export keeps one dialogue per instance and routes events', () => {
  class Counter extends Dialogue {
    constructor() {
      super();
      this.heard = 0;
    }
    onFinalTranscript(t, out) {
      this.heard += 1;
      out.say(`${this.heard}:${t.text}`);
    }
  }
  const script = exportDialogue(Counter);
  const event = { tag: 'final-transcript', val: { text: '好', confidence: 1, alternatives: [] } };
  script.handle(event, 10n);
  assert.deepEqual(script.handle(event, 20n), [
    { tag: 'say', val: { text: '2:好', voice: '', id: '', bargeIn: false } },
  ]);
  const out = new Actions(0);
  dispatch(new Counter(), { tag: 'speech-started' }, out);
  assert.deepEqual(out.list, []);
});
