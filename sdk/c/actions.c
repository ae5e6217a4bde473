/* The action builder: each hs_* call appends one action of the contract's list<action>,
 * with every string copied onto the heap (the generated post-return code frees them once
 * the host has read the reply). The outcome shorthands merge into one set-outcome action. */
#include <stdlib.h>
#include <string.h>

#include "huashu.h"

static void *checked(void *p) {
    if (p == NULL) abort(); /* out of memory: trap, the host runs the tenant's fallback */
    return p;
}

/* Copies `text` into `s`; NULL or "" is the empty string (no allocation). */
static void dup_str(dialogue_string_t *s, const char *text) {
    s->ptr = NULL;
    s->len = 0;
    if (text != NULL && text[0] != '\0') dialogue_string_dup(s, text);
}

static huashu_dialogue_types_action_t *push(hs_actions_t *out, uint8_t tag) {
    if (out->list.len == out->capacity) {
        out->capacity = out->capacity ? out->capacity * 2 : 4;
        out->list.ptr = checked(realloc(out->list.ptr, out->capacity * sizeof *out->list.ptr));
    }
    huashu_dialogue_types_action_t *action = &out->list.ptr[out->list.len++];
    memset(action, 0, sizeof *action);
    action->tag = tag;
    return action;
}

void hs_say(hs_actions_t *out, const char *text, hs_say_opts_t opts) {
    huashu_dialogue_types_say_t *say = &push(out, HUASHU_DIALOGUE_TYPES_ACTION_SAY)->val.say;
    dup_str(&say->text, text);
    dup_str(&say->voice, opts.voice);
    dup_str(&say->id, opts.id);
    say->barge_in = opts.barge_in;
}

void hs_play(hs_actions_t *out, const char *prompt, hs_say_opts_t opts) {
    huashu_dialogue_types_play_t *play = &push(out, HUASHU_DIALOGUE_TYPES_ACTION_PLAY)->val.play;
    dup_str(&play->prompt, prompt);
    dup_str(&play->id, opts.id);
    play->barge_in = opts.barge_in;
}

void hs_say_parts(hs_actions_t *out, const hs_speech_part_t *parts, size_t count,
                  hs_say_opts_t opts) {
    huashu_dialogue_types_say_parts_t *say =
        &push(out, HUASHU_DIALOGUE_TYPES_ACTION_SAY_PARTS)->val.say_parts;
    if (count > 0) say->parts.ptr = checked(calloc(count, sizeof *say->parts.ptr));
    for (size_t i = 0; i < count; i++) {
        huashu_dialogue_types_speech_part_t *part = &say->parts.ptr[say->parts.len];
        if (parts[i].prompt != NULL) {
            part->tag = HUASHU_DIALOGUE_TYPES_SPEECH_PART_PROMPT;
            dup_str(&part->val.prompt, parts[i].prompt);
        } else if (parts[i].text != NULL) {
            part->tag = HUASHU_DIALOGUE_TYPES_SPEECH_PART_TEXT;
            dup_str(&part->val.text, parts[i].text);
        } else {
            continue;
        }
        say->parts.len++;
    }
    dup_str(&say->voice, opts.voice);
    dup_str(&say->id, opts.id);
    say->barge_in = opts.barge_in;
}

void hs_stop_playback(hs_actions_t *out) { push(out, HUASHU_DIALOGUE_TYPES_ACTION_STOP_PLAYBACK); }

void hs_listen(hs_actions_t *out, hs_listen_opts_t opts) {
    huashu_dialogue_types_listen_t *listen =
        &push(out, HUASHU_DIALOGUE_TYPES_ACTION_LISTEN)->val.listen;
    listen->no_input_ms = opts.no_input_ms;
    listen->end_silence_ms = opts.end_silence_ms;
    listen->max_speech_ms = opts.max_speech_ms;
    size_t hints = 0;
    while (opts.hints != NULL && opts.hints[hints] != NULL) hints++;
    if (hints > 0) {
        listen->hints.ptr = checked(calloc(hints, sizeof *listen->hints.ptr));
        listen->hints.len = hints;
        for (size_t i = 0; i < hints; i++) dup_str(&listen->hints.ptr[i], opts.hints[i]);
    }
    if (opts.dtmf_max_digits > 0) {
        listen->dtmf.is_some = true;
        listen->dtmf.val.max_digits = opts.dtmf_max_digits;
        dup_str(&listen->dtmf.val.terminator, opts.dtmf_terminator);
        listen->dtmf.val.inter_digit_timeout_ms = opts.dtmf_inter_digit_timeout_ms;
    }
    dup_str(&listen->language, opts.language);
    listen->hint_silence_ms = opts.hint_silence_ms;
}

void hs_start_timer(hs_actions_t *out, const char *id, uint32_t after_ms) {
    huashu_dialogue_types_timer_t *timer =
        &push(out, HUASHU_DIALOGUE_TYPES_ACTION_START_TIMER)->val.start_timer;
    dup_str(&timer->id, id);
    timer->after_ms = after_ms;
}

void hs_cancel_timer(hs_actions_t *out, const char *id) {
    dup_str(&push(out, HUASHU_DIALOGUE_TYPES_ACTION_CANCEL_TIMER)->val.cancel_timer, id);
}

void hs_subscribe_audio(hs_actions_t *out, uint32_t sample_rate) {
    push(out, HUASHU_DIALOGUE_TYPES_ACTION_SUBSCRIBE_AUDIO)->val.subscribe_audio = sample_rate;
}

void hs_unsubscribe_audio(hs_actions_t *out) {
    push(out, HUASHU_DIALOGUE_TYPES_ACTION_UNSUBSCRIBE_AUDIO);
}

void hs_transfer(hs_actions_t *out, const char *target, const char *reason) {
    huashu_dialogue_types_transfer_t *transfer =
        &push(out, HUASHU_DIALOGUE_TYPES_ACTION_TRANSFER)->val.transfer;
    dup_str(&transfer->target, target);
    dup_str(&transfer->reason, reason);
}

void hs_hang_up(hs_actions_t *out, const char *reason) {
    dup_str(&push(out, HUASHU_DIALOGUE_TYPES_ACTION_HANG_UP)->val.hang_up, reason);
}

void hs_send_dtmf(hs_actions_t *out, const char *digits) {
    dup_str(&push(out, HUASHU_DIALOGUE_TYPES_ACTION_SEND_DTMF)->val.send_dtmf, digits);
}

void hs_opt_out(hs_actions_t *out, const char *reason) {
    dup_str(&push(out, HUASHU_DIALOGUE_TYPES_ACTION_OPT_OUT)->val.opt_out, reason);
}

/* The number of entries before the terminating NULL (0 for a NULL list). */
static size_t count(const char *const *list) {
    size_t n = 0;
    while (list != NULL && list[n] != NULL) n++;
    return n;
}

/* Appends the (name, value) pairs of a NULL-terminated name, value, … list. */
static void add_pairs(dialogue_list_tuple2_string_string_t *pairs, const char *const *list) {
    size_t n = count(list) / 2;
    if (n == 0) return;
    pairs->ptr = checked(realloc(pairs->ptr, (pairs->len + n) * sizeof *pairs->ptr));
    for (size_t i = 0; i < n; i++) {
        dup_str(&pairs->ptr[pairs->len].f0, list[2 * i]);
        dup_str(&pairs->ptr[pairs->len].f1, list[2 * i + 1]);
        pairs->len++;
    }
}

void hs_http(hs_actions_t *out, const char *method, const char *url, hs_http_opts_t opts) {
    huashu_dialogue_types_http_request_t *request =
        &push(out, HUASHU_DIALOGUE_TYPES_ACTION_HTTP_REQUEST)->val.http_request;
    dup_str(&request->id, opts.id);
    dup_str(&request->method, method);
    dup_str(&request->url, url);
    add_pairs(&request->headers, opts.headers);
    if (opts.content_type != NULL) {
        const char *const content_type[] = {"content-type", opts.content_type, NULL};
        add_pairs(&request->headers, content_type);
    }
    add_pairs(&request->secret_headers, opts.secret_headers);
    dup_str(&request->body, opts.body);
    size_t reads = count(opts.read_headers);
    if (reads > 0) {
        request->read_headers.ptr = checked(calloc(reads, sizeof *request->read_headers.ptr));
        request->read_headers.len = reads;
        for (size_t i = 0; i < reads; i++) {
            dup_str(&request->read_headers.ptr[i], opts.read_headers[i]);
        }
    }
    request->timeout_ms = opts.timeout_ms;
}

void hs_http_post_json(hs_actions_t *out, const char *url, const char *json,
                       hs_http_opts_t opts) {
    opts.body = json;
    opts.content_type = "application/json";
    hs_http(out, "POST", url, opts);
}

static huashu_dialogue_types_outcome_t *merged(hs_actions_t *out) {
    if (out->merged < 0) {
        push(out, HUASHU_DIALOGUE_TYPES_ACTION_SET_OUTCOME);
        out->merged = (ptrdiff_t)out->list.len - 1;
    }
    return &out->list.ptr[out->merged].val.set_outcome;
}

void hs_intent(hs_actions_t *out, int level) {
    huashu_dialogue_types_outcome_t *outcome = merged(out);
    outcome->intent.is_some = true;
    outcome->intent.val = (huashu_dialogue_types_intent_level_t)level;
}

void hs_disposition(hs_actions_t *out, const char *disposition) {
    huashu_dialogue_types_outcome_t *outcome = merged(out);
    if (outcome->disposition.is_some) dialogue_string_free(&outcome->disposition.val);
    outcome->disposition.is_some = true;
    dup_str(&outcome->disposition.val, disposition);
}

void hs_tag(hs_actions_t *out, const char *tag) {
    dialogue_list_string_t *tags = &merged(out)->tags;
    for (size_t i = 0; i < tags->len; i++) {
        if (hs_str_eq(&tags->ptr[i], tag)) return;
    }
    tags->ptr = checked(realloc(tags->ptr, (tags->len + 1) * sizeof *tags->ptr));
    dup_str(&tags->ptr[tags->len++], tag);
}

void hs_field(hs_actions_t *out, const char *key, const char *value) {
    dialogue_list_tuple2_string_string_t *fields = &merged(out)->fields;
    for (size_t i = 0; i < fields->len; i++) {
        if (hs_str_eq(&fields->ptr[i].f0, key)) {
            dialogue_string_free(&fields->ptr[i].f1);
            dup_str(&fields->ptr[i].f1, value);
            return;
        }
    }
    fields->ptr = checked(realloc(fields->ptr, (fields->len + 1) * sizeof *fields->ptr));
    dup_str(&fields->ptr[fields->len].f0, key);
    dup_str(&fields->ptr[fields->len].f1, value);
    fields->len++;
}
