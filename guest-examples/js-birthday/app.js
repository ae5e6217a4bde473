// Birthday coupon in JavaScript: wishes a member happy birthday and offers a coupon.
//
// Variables: `name` (optional) and `coupon_amount` (yuan, default 50).
// - accepts (好的 / 需要 / sure): A, `coupon-accepted`, field `coupon_amount`
// - declines (不用 / 不需要 / no thanks): D, `coupon-declined`
// - busy (在开会 / 开车 / call me later): B, `callback`
// - asks who is calling: explains once (tag `asked-who`), offers again
// - silence: asks once more, then E `no-response`; unclear twice: C `no-clear-answer`
// - talks over the greeting: a clear answer is handled at once
// - hangs up first: C `customer-hung-up`

import {
  Dialogue,
  IntentLevel,
  IntentMatcher,
  NoMatchCounter,
  Retries,
  exportDialogue,
  log,
} from 'huashu-sdk';
import * as lines from './lines.js';

const replies = new IntentMatcher()
  .intent('yes', ['好的', '好', '可以', '行', '需要', '要', '谢谢', 'yes', 'sure', 'ok', 'okay'])
  .intent('no', ['不要', '不需要', '不用', '不用了', '算了', 'no', 'no thanks', 'not interested'])
  .intent('busy', ['在忙', '开会', '开车', '没空', '晚点再打', 'busy', 'call me later'])
  .intent('who', ['你是谁', '哪位', '哪里', 'who is this', 'who are you']);

const HINTS = ['好的', '需要', '不用', '不需要', '在忙', '你是谁'];

class BirthdayCoupon extends Dialogue {
  constructor() {
    super();
    this.amount = '50';
    this.done = false;
    this.askedWho = false;
    this.silence = new Retries(1);
    this.unclear = new NoMatchCounter(1);
  }

  onCallStarted(call, out) {
    this.amount = call.varOr('coupon_amount', '50');
    out.say(lines.greeting(call.var('name'), this.amount), { bargeIn: true, id: 'greeting' });
    this.listen(out);
  }

  onFinalTranscript(transcript, out) {
    if (this.done) return;
    const answer = replies.classifyTranscript(transcript);
    log.info(`heard "${transcript.text}" as ${answer ?? 'no match'}`);
    switch (answer) {
      case 'yes':
        out.intent(IntentLevel.A).disposition('coupon-accepted').tag('coupon-accepted');
        out.field('coupon_amount', this.amount);
        return this.finish(lines.ACCEPTED(this.amount), out);
      case 'no':
        out.intent(IntentLevel.D).disposition('coupon-declined').tag('declined');
        return this.finish(lines.DECLINED, out);
      case 'busy':
        out.intent(IntentLevel.B).disposition('callback').tag('callback');
        return this.finish(lines.CALLBACK, out);
      case 'who':
        out.tag('asked-who');
        if (!this.askedWho) {
          this.askedWho = true;
          out.say(lines.WHO).say(lines.OFFER_AGAIN(this.amount), { bargeIn: true });
          return this.listen(out);
        }
        return this.unclearAnswer(out);
      default:
        return this.unclearAnswer(out);
    }
  }

  onNoInput(noInput, out) {
    if (this.done) return;
    if (this.silence.tryAgain()) {
      out.say(lines.STILL_THERE, { bargeIn: true });
      return this.listen(out);
    }
    out.intent(IntentLevel.E).disposition('no-response');
    this.finish(lines.NO_RESPONSE, out);
  }

  onHangUp(hangUp, out) {
    if (!this.done && hangUp.by === 'customer') {
      out.intent(IntentLevel.C).disposition('customer-hung-up');
    }
  }

  unclearAnswer(out) {
    if (this.unclear.miss()) {
      out.say(lines.NOT_UNDERSTOOD, { bargeIn: true });
      return this.listen(out);
    }
    out.intent(IntentLevel.C).disposition('no-clear-answer');
    this.finish(lines.NO_CLEAR_ANSWER, out);
  }

  listen(out) {
    out.listen({ noInputMs: 6000, hints: HINTS });
  }

  finish(goodbye, out) {
    this.done = true;
    out.say(goodbye).hangUp('done');
  }
}

export const script = exportDialogue(BirthdayCoupon);
