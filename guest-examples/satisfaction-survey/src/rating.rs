//! Reading a rating from a key or from speech, and what each rating means for the outcome.

use huashu_sdk::IntentLevel;
use huashu_sdk::IntentMatcher;
use huashu_sdk::number::parse_number;

/// What the customer answered to the rating question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    Rating(u8),
    /// Does not want to take part.
    Decline,
}

/// Spoken answers. Longer phrases win, so `非常不满意` (1) beats `不满意` (2) beats `满意` (4).
pub fn matcher() -> IntentMatcher<Answer> {
    IntentMatcher::new()
        .intent(
            Answer::Rating(5),
            [
                "5分",
                "五分",
                "5星",
                "五星",
                "五颗星",
                "满分",
                "非常满意",
                "十分满意",
                "特别满意",
                "很满意",
                "超级满意",
                "5",
                "five",
                "excellent",
                "very satisfied",
                "very good",
                "perfect",
            ],
        )
        .intent(
            Answer::Rating(4),
            [
                "4分",
                "四分",
                "4",
                "满意",
                "比较满意",
                "挺满意",
                "挺好",
                "还不错",
                "不错",
                "four",
                "good",
                "satisfied",
                "not bad",
            ],
        )
        .intent(
            Answer::Rating(3),
            [
                "3分",
                "三分",
                "3",
                "一般",
                "还行",
                "还可以",
                "凑合",
                "马马虎虎",
                "普通",
                "three",
                "okay",
                "average",
                "so so",
                "neutral",
            ],
        )
        .intent_excluding(
            Answer::Rating(2),
            [
                "2分",
                "两分",
                "二分",
                "2",
                "不满意",
                "不太满意",
                "不怎么样",
                "不好",
                "two",
                "bad",
                "not good",
                "not satisfied",
                "dissatisfied",
                "unsatisfied",
            ],
            // "不好意思" is an apology, not a verdict.
            ["不好意思"],
        )
        .intent(
            Answer::Rating(1),
            [
                "1分",
                "一分",
                "1",
                "非常不满意",
                "很不满意",
                "特别不满意",
                "很差",
                "太差",
                "非常差",
                "差劲",
                "one",
                "terrible",
                "very bad",
                "very dissatisfied",
                "awful",
            ],
        )
        .intent(
            Answer::Decline,
            [
                "不想评价",
                "不评价",
                "不评",
                "不打分",
                "不想打分",
                "没空",
                "不用了",
                "算了",
                "不参加",
                "no thanks",
                "don t want",
                "not now",
            ],
        )
}

/// The answer in `text`: a known phrase, else a bare number from 1 to 5 (`五`, `5`).
pub fn spoken(matcher: &IntentMatcher<Answer>, text: &str) -> Option<Answer> {
    matcher.classify(text).or_else(|| {
        parse_number(text)
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| (1..=5).contains(n))
            .map(Answer::Rating)
    })
}

/// The rating a key stands for.
pub fn keyed(digits: &str) -> Option<u8> {
    match digits {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        "4" => Some(4),
        "5" => Some(5),
        _ => None,
    }
}

/// Intent A for 4–5 (satisfied), B for 3 (neutral), C for 1–2 (dissatisfied: needs a
/// follow-up), with the tag that goes with it.
pub fn grade(rating: u8) -> (IntentLevel, &'static str) {
    match rating {
        4.. => (IntentLevel::A, "satisfied"),
        3 => (IntentLevel::B, "neutral"),
        _ => (IntentLevel::C, "dissatisfied"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_ratings() {
        let m = matcher();
        for (text, answer) in [
            ("五分", Some(Answer::Rating(5))),
            ("非常满意", Some(Answer::Rating(5))),
            ("十分满意", Some(Answer::Rating(5))),
            ("五", Some(Answer::Rating(5))),
            ("Five.", Some(Answer::Rating(5))),
            ("满意", Some(Answer::Rating(4))),
            ("还不错吧", Some(Answer::Rating(4))),
            ("not bad", Some(Answer::Rating(4))),
            ("三分吧，一般般", Some(Answer::Rating(3))),
            ("不太满意", Some(Answer::Rating(2))),
            ("不满意", Some(Answer::Rating(2))),
            ("非常不满意", Some(Answer::Rating(1))),
            ("很差劲", Some(Answer::Rating(1))),
            ("不好意思，我没空", Some(Answer::Decline)),
            ("不好意思，你说什么", None),
            ("十分", None),
            ("你们是哪家公司？", None),
        ] {
            assert_eq!(spoken(&m, text), answer, "{text}");
        }
    }

    #[test]
    fn keys_and_grades() {
        assert_eq!(keyed("5"), Some(5));
        assert_eq!(keyed("0"), None);
        assert_eq!(keyed("#"), None);
        assert_eq!(grade(5), (IntentLevel::A, "satisfied"));
        assert_eq!(grade(4).0, IntentLevel::A);
        assert_eq!(grade(3), (IntentLevel::B, "neutral"));
        assert_eq!(grade(2).0, IntentLevel::C);
        assert_eq!(grade(1), (IntentLevel::C, "dissatisfied"));
    }
}
