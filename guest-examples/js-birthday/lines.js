// Everything the bot says, in one place, so the wording (and the scenarios' `bot_says`
// patterns) can be reviewed without reading the dialogue.

export const greeting = (name, amount) =>
  `${name ? `${name}您好` : '您好'}，我是优选会员中心。今天是您的生日，祝您生日快乐！` +
  `我们为您准备了一张${amount}元的生日优惠券，需要为您发放到账户吗？`;

export const OFFER_AGAIN = (amount) => `我们为您准备了一张${amount}元的生日优惠券，需要为您发放到账户吗？`;
export const WHO = '我是优选会员中心的智能客服，专门为会员送上生日祝福。';
export const STILL_THERE = '您好，还在听吗？生日优惠券需要为您发放吗？';
export const NOT_UNDERSTOOD = '不好意思，我没听清楚。需要生日优惠券请说“需要”，不需要请说“不用”。';

export const ACCEPTED = (amount) => `好的，${amount}元优惠券已发送到您的账户，有效期30天。祝您生日快乐，再见！`;
export const DECLINED = '好的，不打扰您了。祝您生日快乐，再见！';
export const CALLBACK = '好的，那我们改天再联系您。祝您生日快乐，再见！';
export const NO_RESPONSE = '可能您现在不方便接听，我们改天再联系您，再见！';
export const NO_CLEAR_ANSWER = '抱歉没能听清您的意思，优惠券可以在会员中心领取。再见！';
