/* Phrase matching on normalised text, with the Rust SDK's rules (see hs_classify in
 * huashu.h), over a transcript's readings confident enough to act on. Letters and digits are told by code point ranges (ASCII, Latin, Greek,
 * Cyrillic, kana, Hangul, CJK ideographs); everything else is punctuation or space. Only
 * ASCII letters are lowercased. */
#include <stdlib.h>
#include <string.h>

#include "huashu.h"

static const uint32_t LETTERS[][2] = {
    {0x30, 0x39},     {0x41, 0x5A},     {0x61, 0x7A},     {0xC0, 0xD6},   {0xD8, 0xF6},
    {0xF8, 0x2AF},    {0x370, 0x3FF},   {0x400, 0x52F},   {0x3040, 0x30FF},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7AF}, {0xF900, 0xFAFF},
    {0x20000, 0x3134F},
};

static bool is_alnum(uint32_t c) {
    for (size_t i = 0; i < sizeof LETTERS / sizeof LETTERS[0]; i++) {
        if (c >= LETTERS[i][0] && c <= LETTERS[i][1]) return c != 0x37E;
    }
    return false;
}

/* Written with spaces between words (Latin, digits…), unlike CJK (from U+2E80 on). */
static bool is_word_char(uint32_t c) { return is_alnum(c) && c < 0x2E80; }

/* Decodes the UTF-8 character at s[*i] and advances *i; invalid bytes read as U+FFFD. */
static uint32_t next_char(const uint8_t *s, size_t len, size_t *i) {
    uint8_t b = s[(*i)++];
    int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    uint32_t c = extra == 3 ? b & 0x07u : extra == 2 ? b & 0x0Fu : extra == 1 ? b & 0x1Fu : b;
    if (b >= 0x80 && extra == 0) return 0xFFFD;
    for (; extra > 0; extra--) {
        if (*i >= len || (s[*i] & 0xC0) != 0x80) return 0xFFFD;
        c = (c << 6) | (s[(*i)++] & 0x3Fu);
    }
    return c;
}

/* The character that ends just before byte `end` of valid UTF-8 `s`. */
static uint32_t char_before(const uint8_t *s, size_t end) {
    size_t start = end - 1;
    while (start > 0 && (s[start] & 0xC0) == 0x80) start--;
    return next_char(s, end, &start);
}

static size_t put_char(uint8_t *out, uint32_t c) {
    if (c < 0x80) return out[0] = (uint8_t)c, 1;
    if (c < 0x800) return out[0] = 0xC0 | (c >> 6), out[1] = 0x80 | (c & 0x3F), 2;
    if (c < 0x10000) {
        out[0] = 0xE0 | (c >> 12), out[1] = 0x80 | ((c >> 6) & 0x3F), out[2] = 0x80 | (c & 0x3F);
        return 3;
    }
    out[0] = 0xF0 | (c >> 18), out[1] = 0x80 | ((c >> 12) & 0x3F);
    out[2] = 0x80 | ((c >> 6) & 0x3F), out[3] = 0x80 | (c & 0x3F);
    return 4;
}

/* Normalised copy of `text` (NUL-terminated, malloc'd; the caller frees it). */
static char *normalize(const char *text, size_t len) {
    uint8_t *out = malloc(len + 1);
    if (out == NULL) abort();
    size_t n = 0, i = 0;
    bool gap = false;
    uint32_t last = 0;
    while (i < len) {
        uint32_t c = next_char((const uint8_t *)text, len, &i);
        if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0; /* full-width ASCII */
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (!is_alnum(c)) {
            gap = true;
            continue;
        }
        if (gap && is_word_char(c) && n > 0 && is_word_char(last)) out[n++] = ' ';
        gap = false;
        n += put_char(out + n, c); /* never longer than the input: folding only shrinks */
        last = c;
    }
    out[n] = '\0';
    return (char *)out;
}

static size_t char_count(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((uint8_t)*s & 0xC0) != 0x80;
    return n;
}

/* Whether `phrase` occurs in `text` at [at, at+len) without cutting an English word. */
static bool clean_at(const char *text, size_t at, const char *phrase, size_t len) {
    const uint8_t *t = (const uint8_t *)text;
    size_t i = 0;
    uint32_t first = next_char((const uint8_t *)phrase, len, &i);
    uint32_t final_char = char_before((const uint8_t *)phrase, len);
    if (is_word_char(first) && at > 0 && is_word_char(char_before(t, at))) return false;
    size_t end = at + len, tl = strlen(text);
    if (is_word_char(final_char) && end < tl && is_word_char(next_char(t, tl, &end))) return false;
    return true;
}

/* Whether `phrase` occurs in `text` outside every occurrence of the `excluding` phrases. */
static bool occurs(const char *text, const char *phrase, char **excluded, size_t n_excluded) {
    size_t len = strlen(phrase);
    for (const char *hit = strstr(text, phrase); hit; hit = strstr(hit + len, phrase)) {
        size_t at = (size_t)(hit - text);
        if (!clean_at(text, at, phrase, len)) continue;
        bool hidden = false;
        for (size_t e = 0; e < n_excluded && !hidden; e++) {
            size_t elen = strlen(excluded[e]);
            for (const char *x = strstr(text, excluded[e]); x && !hidden; x = strstr(x + 1, excluded[e])) {
                size_t xs = (size_t)(x - text);
                hidden = xs <= at && at + len <= xs + elen;
            }
        }
        if (!hidden) return true;
    }
    return false;
}

int hs_classify(const hs_intent_t *intents, size_t count, const char *text, size_t len) {
    char *norm = normalize(text, len);
    int best = HS_NO_MATCH;
    size_t best_len = 0;
    for (size_t k = 0; k < count; k++) {
        char *excluded[16];
        size_t n_excluded = 0;
        for (const char *const *e = intents[k].excluding; e && *e && n_excluded < 16; e++) {
            excluded[n_excluded] = normalize(*e, strlen(*e));
            if (excluded[n_excluded][0] != '\0') n_excluded++;
            else free(excluded[n_excluded]);
        }
        for (const char *const *p = intents[k].phrases; p && *p; p++) {
            char *phrase = normalize(*p, strlen(*p));
            size_t chars = char_count(phrase);
            if (chars > best_len && occurs(norm, phrase, excluded, n_excluded)) {
                best = intents[k].label;
                best_len = chars;
            }
            free(phrase);
        }
        for (size_t e = 0; e < n_excluded; e++) free(excluded[e]);
    }
    free(norm);
    return best;
}

static float min_confidence = HS_DEFAULT_MIN_CONFIDENCE;

void hs_set_min_confidence(float value) { min_confidence = value; }

float hs_min_confidence(void) { return min_confidence; }

/* Whether `s` has a character other than ASCII whitespace. */
static bool blank(const dialogue_string_t *s) {
    for (size_t i = 0; i < s->len; i++) {
        if (s->ptr[i] != ' ' && (s->ptr[i] < '\t' || s->ptr[i] > '\r')) return false;
    }
    return true;
}

/* `>=` is false for NaN, so a NaN confidence counts as too low. */
static bool counts(const dialogue_string_t *text, float confidence) {
    return confidence >= min_confidence && !blank(text);
}

const dialogue_string_t *hs_reading(const hs_transcript_t *t, size_t n) {
    if (t->not_understood.is_some) return NULL;
    if (counts(&t->text, t->confidence) && n-- == 0) return &t->text;
    for (size_t i = 0; i < t->alternatives.len; i++) {
        const huashu_dialogue_types_alternative_t *alt = &t->alternatives.ptr[i];
        if (counts(&alt->text, alt->confidence) && n-- == 0) return &alt->text;
    }
    return NULL;
}

int hs_classify_transcript(const hs_intent_t *intents, size_t count, const hs_transcript_t *t) {
    int label = HS_NO_MATCH;
    const dialogue_string_t *text;
    for (size_t i = 0; label == HS_NO_MATCH && (text = hs_reading(t, i)) != NULL; i++) {
        label = hs_classify(intents, count, (const char *)text->ptr, text->len);
    }
    return label;
}

int hs_not_understood(const hs_transcript_t *t, char *detail, size_t size) {
    if (detail != NULL && size > 0) detail[0] = '\0';
    if (!t->not_understood.is_some) return HS_UNDERSTOOD;
    const huashu_dialogue_types_not_understood_t *why = &t->not_understood.val;
    if (detail != NULL && why->tag == HS_NOT_UNDERSTOOD_NO_RECOGNISER) {
        hs_str_copy(&why->val.no_recogniser, detail, size);
    } else if (detail != NULL && why->tag == HS_NOT_UNDERSTOOD_FAILED) {
        hs_str_copy(&why->val.failed, detail, size);
    }
    return why->tag;
}
