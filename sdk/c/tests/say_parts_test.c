/* Unit tests of the C SDK's say-parts action, run natively (sdk/c/tests/run.sh). The cases
 * mirror the Rust SDK's own tests. */
#include "check.h"
#include "huashu.h"

static void say_parts_is_one_action_with_its_parts_in_order(void) {
    hs_actions_t out = {.merged = -1};
    hs_say(&out, "您好", (hs_say_opts_t){0});
    hs_speech_part_t parts[] = {HS_PROMPT("greeting-a"), HS_TEXT("王芳"), HS_PROMPT("greeting-b")};
    hs_say_parts(&out, parts, 3, (hs_say_opts_t){.barge_in = true, .voice = "cmn", .id = "greeting"});
    hs_hang_up(&out, "done");
    CHECK(out.list.len == 3);
    CHECK(out.list.ptr[1].tag == HUASHU_DIALOGUE_TYPES_ACTION_SAY_PARTS);
    const huashu_dialogue_types_say_parts_t *say = &out.list.ptr[1].val.say_parts;
    CHECK(say->parts.len == 3);
    CHECK(say->parts.ptr[0].tag == HUASHU_DIALOGUE_TYPES_SPEECH_PART_PROMPT);
    CHECK(hs_str_eq(&say->parts.ptr[0].val.prompt, "greeting-a"));
    CHECK(say->parts.ptr[1].tag == HUASHU_DIALOGUE_TYPES_SPEECH_PART_TEXT);
    CHECK(hs_str_eq(&say->parts.ptr[1].val.text, "王芳"));
    CHECK(hs_str_eq(&say->parts.ptr[2].val.prompt, "greeting-b"));
    CHECK(hs_str_eq(&say->voice, "cmn") && hs_str_eq(&say->id, "greeting") && say->barge_in);
    CHECK(out.list.ptr[2].tag == HUASHU_DIALOGUE_TYPES_ACTION_HANG_UP);
    exports_huashu_dialogue_script_list_action_free(&out.list);
}

static void empty_parts_are_skipped_and_options_default_to_the_host(void) {
    hs_actions_t out = {.merged = -1};
    hs_speech_part_t parts[] = {{0}, HS_TEXT("50"), {.prompt = "yuan", .text = "ignored"}};
    hs_say_parts(&out, parts, 3, (hs_say_opts_t){0});
    const huashu_dialogue_types_say_parts_t *say = &out.list.ptr[0].val.say_parts;
    CHECK(say->parts.len == 2);
    CHECK(say->parts.ptr[0].tag == HUASHU_DIALOGUE_TYPES_SPEECH_PART_TEXT);
    CHECK(say->parts.ptr[1].tag == HUASHU_DIALOGUE_TYPES_SPEECH_PART_PROMPT);
    CHECK(hs_str_eq(&say->parts.ptr[1].val.prompt, "yuan"));
    CHECK(say->voice.len == 0 && say->id.len == 0 && !say->barge_in);
    hs_say_parts(&out, NULL, 0, (hs_say_opts_t){0});
    CHECK(out.list.len == 2 && out.list.ptr[1].val.say_parts.parts.len == 0);
    exports_huashu_dialogue_script_list_action_free(&out.list);
}

int main(void) {
    say_parts_is_one_action_with_its_parts_in_order();
    empty_parts_are_skipped_and_options_default_to_the_host();
    if (failures == 0) printf("ok: C SDK say-parts tests passed\n");
    return failures == 0 ? 0 : 1;
}
