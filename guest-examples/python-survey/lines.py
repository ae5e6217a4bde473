"""Everything the bot says, in one place: the same wording as the Rust satisfaction-survey
(guest-examples/satisfaction-survey/src/lines.rs), so the same scenario files pass."""


def question(name, service):
    hello = f"{name}您好" if name else "您好"
    return (
        f"{hello}，这里是安心家电客服中心，耽误您一分钟做个回访。请您对{service}打分："
        "非常满意请按5，满意按4，一般按3，不满意按2，非常不满意按1。您也可以直接说出分数。"
    )


INVALID_KEY = "无效按键。请按1到5之间的数字打分，5分表示非常满意。"
NOT_UNDERSTOOD = "不好意思，我没听清楚。请按1到5打分，或者直接说几分。"
STILL_THERE = "您好，请问您还在听吗？请按1到5给我们的服务打分，5分表示非常满意。"

THANKS_SATISFIED = "感谢您的好评！祝您生活愉快，再见！"
THANKS_NEUTRAL = "感谢您的评价，我们会继续改进服务。再见！"
ASK_REASON = "非常抱歉没能让您满意。请问主要是哪方面不满意呢？您的意见我们会转给相关负责人。"
THANKS_FOR_COMMENT = "谢谢您的反馈，我们会尽快改进。再见！"
NO_COMMENT = "没关系，感谢您的反馈，我们会努力改进。再见！"

DECLINED = "好的，不打扰您了。祝您生活愉快，再见！"
NO_RATING = "抱歉没能收到您的评分。感谢您的接听，再见！"
NO_RESPONSE = "可能您现在不方便，感谢您的接听，再见！"
