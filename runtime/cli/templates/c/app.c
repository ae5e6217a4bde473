/* A call script for huashu: greets the customer, asks whether now is a good time, and
 * records the answer as the call's outcome. `scenarios/` says what must happen on a call;
 * `huashu test .` builds the script and plays them. */
#include <stdio.h>

#include "huashu.h"

enum { YES, NO };

static const char *const YES_PHRASES[] = {"方便", "可以", "好的", "yes", NULL};
static const char *const NO_PHRASES[] = {"不方便", "没空", "no", NULL};
/* The longest phrase wins, so 不方便 is a "no" although it contains 方便. */
static const hs_intent_t REPLIES[] = {{YES, YES_PHRASES, NULL}, {NO, NO_PHRASES, NULL}};
static const char *const HINTS[] = {"方便", "不方便", NULL};

static void on_call_started(const hs_call_t *call, hs_actions_t *out) {
    char name[64] = "", text[256];
    hs_var(call, "name", name, sizeof name);
    snprintf(text, sizeof text, "%s您好，我是优选会员中心。请问现在方便说话吗？", name);
    hs_say(out, text, (hs_say_opts_t){.barge_in = true});
    hs_listen(out, (hs_listen_opts_t){.no_input_ms = 6000, .hints = HINTS});
}

static void on_final_transcript(const hs_transcript_t *t, hs_actions_t *out) {
    if (hs_classify_transcript(REPLIES, sizeof REPLIES / sizeof REPLIES[0], t) == YES) {
        hs_say(out, "好的，稍后为您发送会员礼包，再见！", (hs_say_opts_t){0});
        hs_intent(out, HS_INTENT_A);
        hs_tag(out, "reached");
    } else {
        hs_say(out, "好的，不打扰您了，再见！", (hs_say_opts_t){0});
        hs_intent(out, HS_INTENT_D);
    }
    hs_hang_up(out, "done");
}

static void on_no_input(const hs_no_input_t *no_input, hs_actions_t *out) {
    (void)no_input;
    hs_say(out, "您好，还在听吗？我们改天再联系您。", (hs_say_opts_t){0});
    hs_intent(out, HS_INTENT_E);
    hs_hang_up(out, "no-answer");
}

static const hs_dialogue_t GREETER = {
    .on_call_started = on_call_started,
    .on_final_transcript = on_final_transcript,
    .on_no_input = on_no_input,
};

HS_EXPORT_DIALOGUE(GREETER)
