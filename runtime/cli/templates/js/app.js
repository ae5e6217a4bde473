// A call script for huashu: greets the customer, asks whether now is a good time, and
// records the answer as the call's outcome. `scenarios/` says what must happen on a call;
// `huashu test .` builds the script and plays them.

import { Dialogue, IntentLevel, IntentMatcher, exportDialogue } from 'huashu-sdk';

// The longest phrase wins, so 不方便 is a "no" although it contains 方便.
const replies = new IntentMatcher()
  .intent('yes', ['方便', '可以', '好的', 'yes'])
  .intent('no', ['不方便', '没空', 'no']);

class Greeter extends Dialogue {
  onCallStarted(call, out) {
    out.say(`${call.varOr('name', '')}您好，我是优选会员中心。请问现在方便说话吗？`, { bargeIn: true });
    out.listen({ noInputMs: 6000, hints: ['方便', '不方便'] });
  }

  onFinalTranscript(transcript, out) {
    if (replies.classifyTranscript(transcript) === 'yes') {
      out.say('好的，稍后为您发送会员礼包，再见！');
      out.intent(IntentLevel.A).tag('reached');
    } else {
      out.say('好的，不打扰您了，再见！');
      out.intent(IntentLevel.D);
    }
    out.hangUp('done');
  }

  onNoInput(noInput, out) {
    out.say('您好，还在听吗？我们改天再联系您。');
    out.intent(IntentLevel.E);
    out.hangUp('no-answer');
  }
}

export const script = exportDialogue(Greeter);
