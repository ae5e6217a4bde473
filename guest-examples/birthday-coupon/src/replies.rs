//! What the member may answer to the coupon offer, and the phrases that tell which.

use huashu_sdk::IntentMatcher;

/// The kinds of answer the script reacts to differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Wants the coupon.
    Yes,
    /// Does not want it.
    No,
    /// Cannot talk now; call again later.
    Busy,
    /// Asks who is calling.
    Who,
    /// Asks never to be called again.
    OptOut,
}

/// Chinese phrases first, English ones as a fallback for bilingual members. Bare `好` is
/// left out on purpose: it is in every `你好`. The opt-out phrases are longer than the
/// `不要` and `再打` inside them, so "不要再打了" is never read as a plain no or as "call
/// again" (the longest phrase wins).
pub fn matcher() -> IntentMatcher<Reply> {
    IntentMatcher::new()
        .intent(
            Reply::Yes,
            [
                "好的",
                "好啊",
                "好呀",
                "好吧",
                "那好",
                "可以",
                "行",
                "行啊",
                "没问题",
                "需要",
                "要",
                "要的",
                "发吧",
                "发给我",
                "yes",
                "yeah",
                "yep",
                "sure",
                "ok",
                "okay",
                "please",
                "of course",
                "sounds good",
            ],
        )
        .intent(
            Reply::No,
            [
                "不要",
                "不需要",
                "不用",
                "算了",
                "不感兴趣",
                "没兴趣",
                "没必要",
                "不想要",
                "不行",
                "别发",
                "no",
                "nope",
                "no thanks",
                "not interested",
                "don't need",
            ],
        )
        .intent(
            Reply::Busy,
            [
                "在忙",
                "很忙",
                "正忙",
                "忙着",
                "开会",
                "开车",
                "上班",
                "没空",
                "不方便",
                "晚点",
                "晚些",
                "改天",
                "回头再说",
                "再说吧",
                "等会",
                "待会",
                "一会儿",
                "再打",
                "busy",
                "later",
                "call me later",
                "call back",
                "driving",
                "in a meeting",
                "not a good time",
            ],
        )
        .intent(
            Reply::Who,
            [
                "你是谁",
                "你是哪位",
                "哪位",
                "哪里",
                "什么公司",
                "哪个公司",
                "你们是",
                "谁啊",
                "谁呀",
                "干什么的",
                "who is this",
                "who are you",
                "who s calling",
                "what company",
            ],
        )
        .intent(
            Reply::OptOut,
            [
                "不要再打",
                "别再打",
                "不要打了",
                "别打了",
                "别再打来",
                "不要再给我打",
                "别再给我打",
                "以后别打",
                "以后不要打",
                "再也别打",
                "不要再联系我",
                "别再联系我",
                "骚扰电话",
                "拉黑",
                "don't call me again",
                "do not call me again",
                "don't call again",
                "stop calling",
                "never call",
                "take me off your list",
                "remove me from your list",
                "do not call",
            ],
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_answers() {
        let m = matcher();
        for (text, reply) in [
            ("好的，谢谢", Some(Reply::Yes)),
            ("可以，发给我吧", Some(Reply::Yes)),
            ("Sure, thanks!", Some(Reply::Yes)),
            ("不需要，谢谢", Some(Reply::No)),
            ("不用了不用了", Some(Reply::No)),
            ("No thanks.", Some(Reply::No)),
            ("我在开车，明天再打给我吧", Some(Reply::Busy)),
            ("不好意思，我在开会", Some(Reply::Busy)),
            ("I'm busy, call me later", Some(Reply::Busy)),
            ("你是谁啊？", Some(Reply::Who)),
            ("Who's calling?", Some(Reply::Who)),
            ("不要再打了", Some(Reply::OptOut)),
            ("以后别再给我打电话了", Some(Reply::OptOut)),
            ("不需要，以后不要打了", Some(Reply::OptOut)),
            ("Don't call me again.", Some(Reply::OptOut)),
            ("Please stop calling me", Some(Reply::OptOut)),
            ("喂，你好", None),
            ("喂，什么事？", None),
        ] {
            assert_eq!(m.classify(text), reply, "{text}");
        }
    }
}
