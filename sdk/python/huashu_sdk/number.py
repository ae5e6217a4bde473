"""Numbers as customers say them: Arabic digits (``25``), Chinese numerals (``二十五``,
``两千五``) and English words (``twenty-five``). A port of the Rust SDK's ``parse_number``."""

from .text import normalize

_CHINESE_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_ENGLISH = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_ENGLISH.update({w: 20 + 10 * i for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())})


def parse_number(text: str):
    """The number an utterance consists of (``"5"``, ``"五"``, ``"二十五"``, ``"Five"``,
    ``"twenty-one"``), or ``None`` if it holds anything else (``"五分"``)."""
    text = normalize(text)
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    n = parse_chinese_numeral(text)
    if n is not None:
        return n
    return _parse_english(text)


def parse_chinese_numeral(text: str):
    """Counting form (``十五``, ``一百零五``, ``三百二`` = 320, ``一万五`` = 15000) or digit by
    digit (``二零二六``, three digits or more)."""
    if text and all(c in _CHINESE_DIGITS for c in text):
        if len(text) == 1:
            return _CHINESE_DIGITS[text]
        # Two digits in a row (三四天) mean "three or four", not 34.
        if len(text) == 2 or "两" in text:
            return None
        return int("".join(str(_CHINESE_DIGITS[c]) for c in text))
    return _counting_form(text)


def _counting_form(text: str):
    wan = section = last_unit = 0
    pending = None
    section_unit = None
    after_zero = False
    for c in text:
        digit = _CHINESE_DIGITS.get(c)
        if digit == 0:
            if pending is not None:
                return None
            after_zero = True
        elif digit is not None:
            if pending is not None:
                return None
            pending = digit
        elif c in _UNITS:
            unit = _UNITS[c]
            if section_unit is not None and unit >= section_unit:
                return None
            if pending is None and unit != 10:
                return None
            section += (1 if pending is None else pending) * unit
            pending = None
            last_unit, section_unit, after_zero = unit, unit, False
        elif c == "万":
            if wan:
                return None
            section += pending or 0
            pending = None
            if section == 0:
                return None
            wan = section * 10_000
            section, last_unit, section_unit, after_zero = 0, 10_000, None, False
        else:
            return None
    if pending is not None:
        # 三百二 is 320: a trailing digit counts in the unit below the last one.
        scale = last_unit // 10 if last_unit >= 100 and not after_zero else 1
        section += pending * scale
    return wan + section


def _parse_english(text: str):
    """An English number from 0 to 99 that is the whole of ``text``."""
    words = text.replace("-", " ").split(" ")
    values = [_ENGLISH.get(w) for w in words]
    if None in values:
        return None
    if len(values) == 1:
        return values[0]
    tens, units = values if len(values) == 2 else (None, None)
    if tens is not None and tens >= 20 and tens % 10 == 0 and 1 <= units <= 9:
        return tens + units
    return None
