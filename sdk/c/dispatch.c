/* Routing: the component's export calls hs_handle with each event; it calls the matching
 * handler of the script's hs_dialogue_t, hands back the actions, and frees the event (the
 * export owns its arguments). Also the small string helpers handlers need. */
#include <stdlib.h>
#include <string.h>

#include "huashu.h"

#define CALL(handler, ...) \
    do {                   \
        if (handler) handler(__VA_ARGS__); \
    } while (0)

void hs_handle(const hs_dialogue_t *d, exports_huashu_dialogue_script_event_t *event,
               uint64_t elapsed_ms, exports_huashu_dialogue_script_list_action_t *ret) {
    hs_actions_t out = {.elapsed_ms = elapsed_ms, .merged = -1};
    switch (event->tag) {
    case HUASHU_DIALOGUE_TYPES_EVENT_CALL_STARTED:
        CALL(d->on_call_started, &event->val.call_started, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_SPEECH_STARTED:
        CALL(d->on_speech_started, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_PARTIAL_TRANSCRIPT:
        CALL(d->on_partial_transcript, &event->val.partial_transcript, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_FINAL_TRANSCRIPT:
        CALL(d->on_final_transcript, &event->val.final_transcript, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_NO_INPUT:
        CALL(d->on_no_input, &event->val.no_input, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_DTMF:
        CALL(d->on_dtmf, &event->val.dtmf, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_PLAYBACK_FINISHED:
        CALL(d->on_playback_finished, &event->val.playback_finished, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_TIMER_FIRED:
        CALL(d->on_timer_fired, &event->val.timer_fired, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_AUDIO_FRAME:
        CALL(d->on_audio_frame, &event->val.audio_frame, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_TRANSFER_RESULT:
        CALL(d->on_transfer_result, &event->val.transfer_result, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_HANG_UP:
        CALL(d->on_hang_up, &event->val.hang_up, &out);
        break;
    case HUASHU_DIALOGUE_TYPES_EVENT_HTTP_RESPONSE:
        CALL(d->on_http_response, &event->val.http_response, &out);
        break;
    }
    exports_huashu_dialogue_script_event_free(event);
    if (out.list.len == 0) {
        /* The post-return code frees the list only when it is not empty. */
        free(out.list.ptr);
        out.list.ptr = NULL;
    }
    *ret = out.list;
}

bool hs_str_eq(const dialogue_string_t *s, const char *text) {
    size_t len = strlen(text);
    return s->len == len && (len == 0 || memcmp(s->ptr, text, len) == 0);
}

void hs_str_copy(const dialogue_string_t *s, char *buf, size_t size) {
    if (size == 0) return;
    size_t len = s->len < size - 1 ? s->len : size - 1;
    /* Cut at a character boundary: never leave half a UTF-8 sequence. */
    while (len > 0 && len < s->len && (s->ptr[len] & 0xC0) == 0x80) len--;
    if (len > 0) memcpy(buf, s->ptr, len);
    buf[len] = '\0';
}

bool hs_var(const hs_call_t *call, const char *name, char *buf, size_t size) {
    for (size_t i = 0; i < call->variables.len; i++) {
        const dialogue_tuple2_string_string_t *pair = &call->variables.ptr[i];
        if (!hs_str_eq(&pair->f0, name)) continue;
        for (size_t j = 0; j < pair->f1.len; j++) {
            if (pair->f1.ptr[j] != ' ') {
                hs_str_copy(&pair->f1, buf, size);
                return true;
            }
        }
        return false;
    }
    return false;
}

void hs_log(huashu_dialogue_log_level_t level, const char *message) {
    dialogue_string_t s;
    dialogue_string_set(&s, message);
    huashu_dialogue_log_write(level, &s);
}
