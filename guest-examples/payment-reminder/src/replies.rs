//! What the customer may say, and the phrases that tell which. Two matchers: one for the
//! identity question, one for the promise-to-pay question; disputes are recognised at
//! every stage.

use huashu_sdk::IntentMatcher;

/// Answers to "请问是{name}本人吗".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Confirmed,
    WrongPerson,
}

pub fn identity() -> IntentMatcher<Identity> {
    IntentMatcher::new()
        .intent(
            Identity::Confirmed,
            [
                "是",
                "是的",
                "是我",
                "我是",
                "我就是",
                "对",
                "对的",
                "嗯",
                "本人",
                "yes",
                "speaking",
                "that s me",
                "it s me",
            ],
        )
        .intent(
            Identity::WrongPerson,
            [
                "不是",
                "不是我",
                "打错了",
                "不认识",
                "没这个人",
                "他不在",
                "她不在",
                "我是他",
                "我是她",
                "家属",
                "不对",
                "wrong number",
                "not me",
                "no",
                "don t know",
            ],
        )
}

/// Objections that need a human: a disputed debt, or an explicit request for an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    Dispute,
    AgentRequested,
}

impl Escalation {
    /// The disposition recorded for it.
    pub fn disposition(self) -> &'static str {
        match self {
            Escalation::Dispute => "dispute",
            Escalation::AgentRequested => "agent-requested",
        }
    }
}

pub fn escalation() -> IntentMatcher<Escalation> {
    IntentMatcher::new()
        .intent(
            Escalation::Dispute,
            [
                "没有借过",
                "没借过",
                "没借",
                "不是我借的",
                "没有借",
                "金额不对",
                "数目不对",
                "钱数不对",
                "金额有问题",
                "账单有问题",
                "账不对",
                "投诉",
                "我要投诉",
                "诈骗",
                "never borrowed",
                "wrong amount",
                "dispute",
                "complaint",
                "complain",
            ],
        )
        .intent(
            Escalation::AgentRequested,
            [
                "人工",
                "转人工",
                "真人",
                "客服",
                "human",
                "agent",
                "real person",
            ],
        )
}

/// Answers to "请问您打算哪天还款" that name no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promise {
    /// Will pay right away: today.
    Now,
    /// Will pay, but named no day.
    Willing,
    /// Says they cannot pay yet: ask for the latest day they can.
    Hardship,
    /// Says it is already paid.
    AlreadyPaid,
    /// Refuses to pay. Wins over a date in the same sentence ("明天也不还").
    Refuses,
}

pub fn promise() -> IntentMatcher<Promise> {
    IntentMatcher::new()
        .intent(
            Promise::Refuses,
            [
                "不还",
                "不会还",
                "不想还",
                "不打算还",
                "还不起",
                "就是不还",
                "won t pay",
                "not paying",
                "refuse",
            ],
        )
        .intent(
            Promise::AlreadyPaid,
            [
                "已经还了",
                "还过了",
                "已还",
                "已经还过",
                "已经付了",
                "already paid",
            ],
        )
        .intent(
            Promise::Now,
            [
                "马上",
                "马上还",
                "现在就还",
                "立刻",
                "立即",
                "right now",
                "right away",
            ],
        )
        .intent(
            Promise::Hardship,
            [
                "没钱",
                "手头紧",
                "困难",
                "失业",
                "周转不开",
                "no money",
                "can t afford",
            ],
        )
        .intent(
            Promise::Willing,
            [
                "好的",
                "会还",
                "我会还的",
                "尽快",
                "知道了",
                "可以",
                "行",
                "ok",
                "okay",
                "i will pay",
                "i ll pay",
                "sure",
            ],
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_answers() {
        let m = identity();
        for (text, answer) in [
            ("是我，什么事？", Some(Identity::Confirmed)),
            ("嗯，是的", Some(Identity::Confirmed)),
            ("Yes, speaking.", Some(Identity::Confirmed)),
            ("不是，你打错了", Some(Identity::WrongPerson)),
            ("我是他老婆，他不在", Some(Identity::WrongPerson)),
            ("No, wrong number", Some(Identity::WrongPerson)),
            ("喂？", None),
        ] {
            assert_eq!(m.classify(text), answer, "{text}");
        }
    }

    #[test]
    fn escalations() {
        let m = escalation();
        assert_eq!(m.classify("我从来没有借过钱"), Some(Escalation::Dispute));
        assert_eq!(m.classify("这个金额不对吧"), Some(Escalation::Dispute));
        assert_eq!(m.classify("我要投诉你们"), Some(Escalation::Dispute));
        assert_eq!(m.classify("给我转人工"), Some(Escalation::AgentRequested));
        assert_eq!(m.classify("明天还"), None);
    }

    #[test]
    fn promise_answers() {
        let m = promise();
        assert_eq!(m.classify("我不会还的"), Some(Promise::Refuses));
        assert_eq!(m.classify("明天也不还"), Some(Promise::Refuses));
        assert_eq!(m.classify("今天还不了"), None);
        assert_eq!(m.classify("我已经还了啊"), Some(Promise::AlreadyPaid));
        assert_eq!(m.classify("我马上还"), Some(Promise::Now));
        assert_eq!(m.classify("最近手头紧"), Some(Promise::Hardship));
        assert_eq!(m.classify("好的，我会还的"), Some(Promise::Willing));
    }
}
