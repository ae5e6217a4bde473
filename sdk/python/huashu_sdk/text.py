"""Text normalisation shared by intent matching and number reading, so that what the
recogniser writes (full-width letters, mixed case, punctuation, stray spaces between Chinese
characters) compares equal to what the script author typed. Same rules as the Rust SDK."""


def fold(text: str) -> str:
    """Full-width ASCII (``ＯＫ``, ``１２``) and the ideographic space become half-width;
    letters become lowercase."""
    out = []
    for c in text:
        code = ord(c)
        if 0xFF01 <= code <= 0xFF5E:
            c = chr(code - 0xFEE0)
        elif code == 0x3000:
            c = " "
        out.append(c.lower())
    return "".join(out)


def is_word_char(c: str) -> bool:
    """True for letters and digits of scripts written with spaces between words (Latin,
    digits, Cyrillic…); False for Chinese, Japanese and Korean. U+2E80 is where the CJK
    blocks begin."""
    return c.isalnum() and ord(c) < 0x2E80


def normalize(text: str) -> str:
    """The form phrases are matched in: folded, punctuation and whitespace dropped, except
    one space kept between two words of a spaced script (``not interested``)."""
    out = []
    gap = False
    for c in fold(text):
        if not c.isalnum():
            gap = True
            continue
        if gap and is_word_char(c) and out and is_word_char(out[-1]):
            out.append(" ")
        gap = False
        out.append(c)
    return "".join(out)
