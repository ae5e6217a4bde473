"""Reading a rating from a key or from speech, and what each rating means for the outcome.
The phrases are those of the Rust version (src/rating.rs); longer phrases win, so
非常不满意 (1) beats 不满意 (2) beats 满意 (4)."""

from huashu_sdk import IntentLevel, IntentMatcher, parse_number

DECLINE = "decline"
"""The answer of a customer who does not want to take part; ratings are the ints 1–5."""


def matcher() -> IntentMatcher:
    return (
        IntentMatcher()
        .intent(5, ["5分", "五分", "5星", "五星", "五颗星", "满分", "非常满意", "十分满意",
                    "特别满意", "很满意", "超级满意", "5", "five", "excellent",
                    "very satisfied", "very good", "perfect"])
        .intent(4, ["4分", "四分", "4", "满意", "比较满意", "挺满意", "挺好", "还不错", "不错",
                    "four", "good", "satisfied", "not bad"])
        .intent(3, ["3分", "三分", "3", "一般", "还行", "还可以", "凑合", "马马虎虎", "普通",
                    "three", "okay", "average", "so so", "neutral"])
        .intent_excluding(
            2,
            ["2分", "两分", "二分", "2", "不满意", "不太满意", "不怎么样", "不好", "two", "bad",
             "not good", "not satisfied", "dissatisfied", "unsatisfied"],
            # 不好意思 is an apology, not a verdict.
            ["不好意思"],
        )
        .intent(1, ["1分", "一分", "1", "非常不满意", "很不满意", "特别不满意", "很差", "太差",
                    "非常差", "差劲", "one", "terrible", "very bad", "very dissatisfied",
                    "awful"])
        .intent(DECLINE, ["不想评价", "不评价", "不评", "不打分", "不想打分", "没空", "不用了",
                          "算了", "不参加", "no thanks", "don t want", "not now"])
    )


def spoken(m: IntentMatcher, text: str):
    """The answer in ``text``: a known phrase, else a bare number from 1 to 5."""
    answer = m.classify(text)
    if answer is not None:
        return answer
    n = parse_number(text)
    return n if n is not None and 1 <= n <= 5 else None


def keyed(digits: str):
    """The rating a key stands for."""
    return int(digits) if digits in ("1", "2", "3", "4", "5") else None


def grade(rating: int):
    """Intent A for 4–5 (satisfied), B for 3 (neutral), C for 1–2 (dissatisfied)."""
    if rating >= 4:
        return IntentLevel.A, "satisfied"
    if rating == 3:
        return IntentLevel.B, "neutral"
    return IntentLevel.C, "dissatisfied"
