/* Unit tests of the C SDK's reading of transcripts, run natively (sdk/c/tests/run.sh):
 * intent matching honours the minimum confidence, a not-understood transcript matches
 * nothing and says why. The cases mirror the Rust SDK's own tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "huashu.h"

enum { YES, NO };
static const char *const YES_PHRASES[] = {"好的", "行", "yes", NULL};
static const char *const NO_PHRASES[] = {"不需要", "no", NULL};
static const hs_intent_t REPLIES[] = {{YES, YES_PHRASES, NULL}, {NO, NO_PHRASES, NULL}};
#define CLASSIFY(t) hs_classify_transcript(REPLIES, 2, (t))

/* A transcript of `text` at `confidence`, with up to two alternatives (NULL for none). */
static hs_transcript_t heard(const char *text, float confidence, const char *alt1, float c1,
                             const char *alt2, float c2) {
    hs_transcript_t t = {0};
    dialogue_string_dup(&t.text, text);
    t.confidence = confidence;
    size_t n = (alt1 != NULL) + (alt2 != NULL);
    if (n > 0) t.alternatives.ptr = calloc(n, sizeof *t.alternatives.ptr);
    const char *texts[] = {alt1, alt2};
    float confidences[] = {c1, c2};
    for (size_t i = 0; i < 2; i++) {
        if (texts[i] == NULL) continue;
        dialogue_string_dup(&t.alternatives.ptr[t.alternatives.len].text, texts[i]);
        t.alternatives.ptr[t.alternatives.len++].confidence = confidences[i];
    }
    return t;
}

static void not_understood(hs_transcript_t *t, uint8_t tag, const char *detail) {
    t->not_understood.is_some = true;
    t->not_understood.val.tag = tag;
    if (tag == HS_NOT_UNDERSTOOD_NO_RECOGNISER) {
        dialogue_string_dup(&t->not_understood.val.val.no_recogniser, detail);
    } else if (tag == HS_NOT_UNDERSTOOD_FAILED) {
        dialogue_string_dup(&t->not_understood.val.val.failed, detail);
    }
}

static void transcripts_fall_back_to_confident_alternatives(void) {
    hs_transcript_t t = heard("嗯嗯", 0.9f, "行", 0.6f, NULL, 0);
    CHECK(CLASSIFY(&t) == YES);
    huashu_dialogue_types_transcript_free(&t);
}

static void low_confidence_guesses_classify_as_no_intent(void) {
    hs_transcript_t a = heard("好的", 0.4f, NULL, 0, NULL, 0);
    hs_transcript_t b = heard("嗯嗯", 0.4f, "行", 0.3f, NULL, 0);
    hs_transcript_t c = heard("嗯嗯", 0.9f, "好的", 0.49f, NULL, 0);
    CHECK(CLASSIFY(&a) == HS_NO_MATCH);
    CHECK(CLASSIFY(&b) == HS_NO_MATCH);
    CHECK(CLASSIFY(&c) == HS_NO_MATCH);
    huashu_dialogue_types_transcript_free(&a);
    huashu_dialogue_types_transcript_free(&b);
    huashu_dialogue_types_transcript_free(&c);
}

static void readings_at_or_above_the_threshold_classify(void) {
    hs_transcript_t at = heard("好的", HS_DEFAULT_MIN_CONFIDENCE, NULL, 0, NULL, 0);
    hs_transcript_t alt = heard("好的", 0.3f, "不需要", 0.7f, NULL, 0);
    hs_transcript_t typed = heard("yes", 1.0f, NULL, 0, NULL, 0);
    CHECK(CLASSIFY(&at) == YES);
    CHECK(CLASSIFY(&alt) == NO);
    CHECK(CLASSIFY(&typed) == YES);
    huashu_dialogue_types_transcript_free(&at);
    huashu_dialogue_types_transcript_free(&alt);
    huashu_dialogue_types_transcript_free(&typed);
}

static void a_not_understood_transcript_classifies_as_no_intent_and_says_why(void) {
    hs_set_min_confidence(0.0f);
    char detail[32];
    hs_transcript_t t = heard("好的", 0.9f, NULL, 0, NULL, 0);
    CHECK(hs_not_understood(&t, detail, sizeof detail) == HS_UNDERSTOOD);
    CHECK(strcmp(detail, "") == 0);
    not_understood(&t, HS_NOT_UNDERSTOOD_NO_RECOGNISER, "en-US");
    CHECK(CLASSIFY(&t) == HS_NO_MATCH);
    CHECK(hs_reading(&t, 0) == NULL);
    CHECK(hs_not_understood(&t, detail, sizeof detail) == HS_NOT_UNDERSTOOD_NO_RECOGNISER);
    CHECK(strcmp(detail, "en-US") == 0);
    huashu_dialogue_types_transcript_free(&t);

    t = heard("", 0.0f, NULL, 0, NULL, 0);
    not_understood(&t, HS_NOT_UNDERSTOOD_NO_MATCH, NULL);
    CHECK(CLASSIFY(&t) == HS_NO_MATCH);
    CHECK(hs_not_understood(&t, detail, sizeof detail) == HS_NOT_UNDERSTOOD_NO_MATCH);
    CHECK(strcmp(detail, "") == 0);
    huashu_dialogue_types_transcript_free(&t);

    t = heard("", 0.0f, NULL, 0, NULL, 0);
    not_understood(&t, HS_NOT_UNDERSTOOD_FAILED, "connection reset");
    CHECK(hs_not_understood(&t, NULL, 0) == HS_NOT_UNDERSTOOD_FAILED);
    CHECK(hs_not_understood(&t, detail, 6) == HS_NOT_UNDERSTOOD_FAILED);
    CHECK(strcmp(detail, "conne") == 0);
    huashu_dialogue_types_transcript_free(&t);
    hs_set_min_confidence(HS_DEFAULT_MIN_CONFIDENCE);
}

static void a_custom_threshold_is_honoured(void) {
    hs_transcript_t t = heard("好的", 0.7f, "不需要", 0.3f, "  ", 0.9f);
    CHECK(hs_min_confidence() == HS_DEFAULT_MIN_CONFIDENCE);
    CHECK(CLASSIFY(&t) == YES);
    hs_set_min_confidence(0.8f);
    CHECK(CLASSIFY(&t) == HS_NO_MATCH);
    hs_set_min_confidence(0.2f);
    CHECK(hs_reading(&t, 0) == &t.text);
    CHECK(hs_reading(&t, 1) == &t.alternatives.ptr[0].text);
    CHECK(hs_reading(&t, 2) == NULL); /* blank readings never count */
    hs_set_min_confidence(HS_DEFAULT_MIN_CONFIDENCE);
    CHECK(hs_reading(&t, 1) == NULL);
    huashu_dialogue_types_transcript_free(&t);

    hs_set_min_confidence(0.0f);
    hs_transcript_t nan = heard("好的", NAN, NULL, 0, NULL, 0);
    CHECK(hs_reading(&nan, 0) == NULL);
    huashu_dialogue_types_transcript_free(&nan);
    hs_set_min_confidence(HS_DEFAULT_MIN_CONFIDENCE);
}

int main(void) {
    transcripts_fall_back_to_confident_alternatives();
    low_confidence_guesses_classify_as_no_intent();
    readings_at_or_above_the_threshold_classify();
    a_not_understood_transcript_classifies_as_no_intent_and_says_why();
    a_custom_threshold_is_honoured();
    if (failures == 0) printf("ok: C SDK transcript tests passed\n");
    return failures == 0 ? 0 : 1;
}
