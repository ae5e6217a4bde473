// Unit tests of the JavaScript SDK, run natively with node's test runner
// (`node --test sdk/js/test/`; tests/languages.rs runs them). host.js is left out: its
// imports exist only inside the component. The cases mirror the Rust SDK's own tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Actions, IntentLevel, MAX_SAY_PARTS } from '../src/actions.js';
import { Dialogue, dispatch, exportDialogue } from '../src/dialogue.js';
import { HttpFailure, HttpResult, http } from '../src/http.js';
import {
  DEFAULT_MIN_CONFIDENCE,
  IntentMatcher,
  confidentTexts,
  whyNotUnderstood,
} from '../src/intent.js';
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
});

const heard = (text, confidence, alternatives = [], notUnderstood = undefined) => ({
  text,
  confidence,
  alternatives: alternatives.map(([t, c]) => ({ text: t, confidence: c })),
  notUnderstood,
});

test('transcripts fall back to confident alternatives', () => {
  assert.equal(replies.classifyTranscript(heard('嗯', 0.9, [['要', 0.6]])), 'yes');
});

test('low-confidence guesses classify as no intent', () => {
  assert.equal(replies.classifyTranscript(heard('好的', 0.4)), undefined);
  assert.equal(replies.classifyTranscript(heard('嗯', 0.4, [['要', 0.3]])), undefined);
  assert.equal(replies.classifyTranscript(heard('嗯', 0.9, [['好的', 0.49]])), undefined);
  assert.equal(replies.classifyTranscript({ text: '好的', alternatives: [] }), undefined);
});

test('readings at or above the threshold classify', () => {
  assert.equal(replies.classifyTranscript(heard('好的', DEFAULT_MIN_CONFIDENCE)), 'yes');
  assert.equal(replies.classifyTranscript(heard('好的', 0.3, [['不需要', 0.7]])), 'no');
  assert.equal(replies.classifyTranscript(heard('好的', 1)), 'yes');
});

test('a not-understood transcript classifies as no intent', () => {
  const m = new IntentMatcher().intent('yes', ['好的']).minConfidence(0);
  for (const why of [
    { tag: 'no-match' },
    { tag: 'no-recogniser', val: 'en-US' },
    { tag: 'failed', val: 'timeout' },
  ]) {
    assert.equal(m.classifyTranscript(heard('好的', 0.9, [], why)), undefined);
  }
});

test('a custom threshold is honoured', () => {
  const t = heard('好的', 0.7, [['不需要', 0.3]]);
  const m = new IntentMatcher().intent('yes', ['好的']).intent('no', ['不需要']);
  assert.equal(m.classifyTranscript(t), 'yes');
  assert.equal(m.minConfidence(0.8).classifyTranscript(t), undefined);
  assert.deepEqual(m.minConfidence(0.2).readings(t), ['好的', '不需要']);
  assert.deepEqual(confidentTexts(t), ['好的']);
  assert.deepEqual(confidentTexts(heard('好的', NaN), 0), []);
});

test('whyNotUnderstood says why in a sentence', () => {
  assert.equal(whyNotUnderstood(heard('好的', 0.9)), undefined);
  assert.equal(whyNotUnderstood(heard('', 0, [], { tag: 'no-recogniser', val: 'en-US' })), 'no recogniser for en-US');
  assert.equal(whyNotUnderstood(heard('', 0, [], { tag: 'no-match' })), "said nothing the listen's hints cover");
  assert.equal(whyNotUnderstood(heard('', 0, [], { tag: 'failed', val: 'reset' })), 'recogniser failed: reset');
});

test('sayParts is one action with its parts in order', () => {
  const out = new Actions(0);
  out.say('您好').sayParts([{ prompt: 'greeting-a' }, { text: '王芳' }, { prompt: 'greeting-b' }], {
    bargeIn: true,
    voice: 'cmn',
    id: 'greeting',
  });
  assert.deepEqual(out.list[1], {
    tag: 'say-parts',
    val: {
      parts: [
        { tag: 'prompt', val: 'greeting-a' },
        { tag: 'text', val: '王芳' },
        { tag: 'prompt', val: 'greeting-b' },
      ],
      voice: 'cmn',
      id: 'greeting',
      bargeIn: true,
    },
  });
  assert.deepEqual(new Actions(0).sayParts([{ text: '50' }]).list[0].val, {
    parts: [{ tag: 'text', val: '50' }],
    voice: '',
    id: '',
    bargeIn: false,
  });
  assert.equal(MAX_SAY_PARTS, 16);
});

test('sayParts refuses a part that is neither prompt nor text', () => {
  assert.throws(() => new Actions(0).sayParts([{ prompt: 'a' }, '王芳']), /part 1 is "王芳"/);
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

const answered = (status, body, headers = [['content-type', 'application/json']]) => ({
  id: 'coupon',
  outcome: { tag: 'ok', val: { status, headers, body } },
  elapsedMs: 300,
});
const failed = (error) => ({ id: 'coupon', outcome: { tag: 'err', val: error }, elapsedMs: 2000 });

test('a JSON post carries its body, content type, secrets and options', () => {
  const action = http.post('https://coupons.example.com/v1/coupons', {
    json: { phone: '13800138000', campaign: '生日' },
    headers: { 'Content-Type': 'text/plain', 'x-campaign': 'birthday' },
    secretHeaders: { authorization: 'coupon-api-token' },
    readHeaders: ['x-request-id'],
    timeoutMs: 1500,
    id: 'coupon',
  });
  assert.deepEqual(action, {
    tag: 'http-request',
    val: {
      id: 'coupon',
      method: 'POST',
      url: 'https://coupons.example.com/v1/coupons',
      headers: [['x-campaign', 'birthday'], ['content-type', 'application/json']],
      secretHeaders: [['authorization', 'coupon-api-token']],
      body: '{"phone":"13800138000","campaign":"生日"}',
      readHeaders: ['x-request-id'],
      timeoutMs: 1500,
    },
  });
});

test('a GET has no body and leaves the id and timeout to the host; http is an action in order', () => {
  const out = new Actions(0).say('请稍等。').http(http.get('https://crm.example.com/a'));
  assert.deepEqual(out.list[1], {
    tag: 'http-request',
    val: {
      id: '', method: 'GET', url: 'https://crm.example.com/a', headers: [], secretHeaders: [],
      body: '', readHeaders: [], timeoutMs: 0,
    },
  });
  assert.equal(http.request('patch', 'u').val.method, 'PATCH');
  assert.equal(http.post('u', { json: undefined }).val.body, 'null');
});

test('a 2xx JSON answer gives its fields, status and headers', () => {
  const result = new HttpResult(answered(201, '{"code": "BDAY-50", "amount": 50}', [['x-request-id', 'r-42']]));
  assert.equal(result.ok, true);
  assert.equal(result.status, 201);
  assert.deepEqual(result.json(), { code: 'BDAY-50', amount: 50 });
  assert.equal(result.header('X-Request-ID'), 'r-42');
  assert.equal(result.header('etag'), undefined);
  assert.equal(result.error, undefined);
  assert.equal(result.errorMessage, undefined);
});

test('a non-2xx or non-JSON answer throws a readable HttpFailure', () => {
  assert.throws(() => new HttpResult(answered(503, ' down for maintenance\n')).json(), (failure) => {
    assert.ok(failure instanceof HttpFailure);
    assert.equal(failure.message, 'the service answered 503: down for maintenance');
    assert.equal(failure.status, 503);
    return true;
  });
  assert.throws(() => new HttpResult(answered(200, '<html>')).json(),
    /^HttpFailure: the service answered 200 with a body that is not JSON/);
});

test('every host error reads as a sentence', () => {
  for (const [error, message] of [
    [{ tag: 'refused', val: 'not on the allowlist' }, 'refused before connecting: not on the allowlist'],
    [{ tag: 'limited', val: '20 requests per call' }, 'not sent, a limit was reached: 20 requests per call'],
    [{ tag: 'timeout' }, 'no response in time'],
    [{ tag: 'too-large' }, "the response was larger than the tenant's cap"],
    [{ tag: 'failed', val: 'connection reset' }, 'the exchange failed: connection reset'],
  ]) {
    const result = new HttpResult(failed(error));
    assert.equal(result.ok, false);
    assert.equal(result.status, undefined);
    assert.deepEqual(result.error, error);
    assert.equal(result.errorMessage, message);
    assert.throws(() => result.json(), (failure) => failure.message === message && failure.error === error);
  }
});

test('dispatch hands the answer to onHttpResponse', () => {
  const seen = [];
  class Coupon extends Dialogue {
    onHttpResponse(result, out) {
      seen.push([result.id, result.json().code]);
    }
  }
  dispatch(new Coupon(), { tag: 'http-response', val: answered(200, '{"code": "B-1"}') }, new Actions(0));
  assert.deepEqual(seen, [['coupon', 'B-1']]);
});
