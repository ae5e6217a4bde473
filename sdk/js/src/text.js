// Text normalisation shared by intent matching: full-width to half-width, lowercase,
// punctuation and whitespace dropped except one space between two words of a spaced
// script. The same rules as the Rust SDK (sdk/rust/src/text.rs).
//
// The engine componentize-js embeds has no Unicode property tables (`\p{L}` is a syntax
// error there), so letters and digits are told by code point ranges: ASCII, Latin, Greek and
// Cyrillic letters, and the CJK, kana and Hangul blocks. Punctuation and symbols are outside
// them.

const LETTER_RANGES = [
  [0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0xaa, 0xaa], [0xb5, 0xb5], [0xba, 0xba],
  [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2af], [0x370, 0x3ff], [0x400, 0x52f],
  [0x3040, 0x30ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xac00, 0xd7af], [0xf900, 0xfaff],
  [0x20000, 0x3134f],
];

function isAlnum(c) {
  const code = c.codePointAt(0);
  return LETTER_RANGES.some(([low, high]) => code >= low && code <= high) && code !== 0x37e;
}

/** Full-width ASCII and the ideographic space to half-width, then lowercase. */
export function fold(text) {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0);
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0);
    else if (code === 0x3000) out += ' ';
    else out += c;
  }
  return out.toLowerCase();
}

/** A letter or digit of a script written with spaces (Latin, digits…), not CJK. */
export function isWordChar(c) {
  return isAlnum(c) && c.codePointAt(0) < 0x2e80;
}

/** The form phrases are matched in. */
export function normalize(text) {
  const out = [];
  let gap = false;
  for (const c of fold(text)) {
    if (!isAlnum(c)) {
      gap = true;
      continue;
    }
    if (gap && isWordChar(c) && out.length > 0 && isWordChar(out[out.length - 1])) out.push(' ');
    gap = false;
    out.push(c);
  }
  return out.join('');
}
