//! Everything the bot says, in one place, so that the wording can be reviewed (and the
//! scenarios' `bot_says` patterns checked) without reading the dialogue logic.

pub fn question(name: Option<&str>, service: &str) -> String {
    let hello = name.map_or("您好".to_owned(), |name| format!("{name}您好"));
    format!(
        "{hello}，这里是安心家电客服中心，耽误您一分钟做个回访。请您对{service}打分：非常满意请按5，满意按4，一般按3，不满意按2，非常不满意按1。您也可以直接说出分数。"
    )
}

pub const INVALID_KEY: &str = "无效按键。请按1到5之间的数字打分，5分表示非常满意。";
pub const NOT_UNDERSTOOD: &str = "不好意思，我没听清楚。请按1到5打分，或者直接说几分。";
pub const STILL_THERE: &str = "您好，请问您还在听吗？请按1到5给我们的服务打分，5分表示非常满意。";

pub const THANKS_SATISFIED: &str = "感谢您的好评！祝您生活愉快，再见！";
pub const THANKS_NEUTRAL: &str = "感谢您的评价，我们会继续改进服务。再见！";
pub const ASK_REASON: &str =
    "非常抱歉没能让您满意。请问主要是哪方面不满意呢？您的意见我们会转给相关负责人。";
pub const THANKS_FOR_COMMENT: &str = "谢谢您的反馈，我们会尽快改进。再见！";
pub const NO_COMMENT: &str = "没关系，感谢您的反馈，我们会努力改进。再见！";

pub const DECLINED: &str = "好的，不打扰您了。祝您生活愉快，再见！";
pub const NO_RATING: &str = "抱歉没能收到您的评分。感谢您的接听，再见！";
pub const NO_RESPONSE: &str = "可能您现在不方便，感谢您的接听，再见！";
