/* Appointment reminder in C: reminds a patient of a clinic appointment and asks them to
 * confirm (key 1 or 确认), reschedule (key 2 or 改期: transferred to the booking desk) or
 * cancel (key 3 or 取消).
 *
 * Variables: `name` (optional), `appointment` (what and when, default 您的预约),
 * `desk` (transfer target for rescheduling, default booking-desk).
 * Outcomes: confirmed A; rescheduled B (`reschedule-transferred`, or `reschedule-callback`
 * when the transfer fails); cancelled D; silence twice E `no-response`; unclear twice C
 * `no-clear-answer`; hung up before answering E `customer-hung-up`. */
#include <stdio.h>

#include "huashu.h"

enum { CONFIRM, RESCHEDULE, CANCEL };

static const char *const CONFIRM_PHRASES[] = {"确认", "会去", "能去", "可以", "好的", "没问题",
                                              "yes", "confirm", "i will be there", NULL};
static const char *const RESCHEDULE_PHRASES[] = {"改期", "改时间", "换个时间", "换一天", "去不了",
                                                 "来不了", "reschedule", "another day", NULL};
static const char *const CANCEL_PHRASES[] = {"取消", "不去了", "不用了", "cancel", NULL};
/* 不确认 is not a confirmation. */
static const char *const NOT_CONFIRM[] = {"不确认", NULL};

static const hs_intent_t ANSWERS[] = {
    {CONFIRM, CONFIRM_PHRASES, NOT_CONFIRM},
    {RESCHEDULE, RESCHEDULE_PHRASES, NULL},
    {CANCEL, CANCEL_PHRASES, NULL},
};

static const char *const HINTS[] = {"确认", "改期", "取消", NULL};

/* The call's state: every call has a fresh instance, so statics are per call. */
static enum { ASKING, TRANSFERRING, DONE } stage = ASKING;
static int silences = 0, unclear = 0;
static char desk[128] = "booking-desk";

static void ask(hs_actions_t *out) {
    hs_listen(out, (hs_listen_opts_t){.no_input_ms = 6000, .hints = HINTS, .dtmf_max_digits = 1,
                                      .dtmf_inter_digit_timeout_ms = 3000});
}

static void finish(hs_actions_t *out, const char *goodbye) {
    stage = DONE;
    hs_say(out, goodbye, (hs_say_opts_t){0});
    hs_hang_up(out, "reminder-complete");
}

static void answer(int choice, const char *channel, hs_actions_t *out) {
    hs_field(out, "answer_channel", channel);
    switch (choice) {
    case CONFIRM:
        hs_intent(out, HS_INTENT_A);
        hs_disposition(out, "confirmed");
        finish(out, "好的，已为您确认预约，请提前十分钟到达。再见！");
        break;
    case RESCHEDULE:
        stage = TRANSFERRING;
        hs_intent(out, HS_INTENT_B);
        hs_say(out, "好的，正在为您转接预约台改期，请稍候。", (hs_say_opts_t){0});
        hs_transfer(out, desk, "reschedule");
        break;
    default:
        hs_intent(out, HS_INTENT_D);
        hs_disposition(out, "cancelled");
        finish(out, "好的，已为您取消预约。祝您健康，再见！");
        break;
    }
}

static void unclear_answer(hs_actions_t *out, const char *reprompt) {
    if (++unclear <= 1) {
        hs_say(out, reprompt, (hs_say_opts_t){.barge_in = true});
        ask(out);
        return;
    }
    hs_intent(out, HS_INTENT_C);
    hs_disposition(out, "no-clear-answer");
    finish(out, "抱歉没能确认您的选择，稍后会有工作人员联系您。再见！");
}

static void on_call_started(const hs_call_t *call, hs_actions_t *out) {
    char name[64], appointment[256], text[512];
    hs_var(call, "desk", desk, sizeof desk);
    if (!hs_var(call, "appointment", appointment, sizeof appointment)) {
        snprintf(appointment, sizeof appointment, "您的预约");
    }
    bool named = hs_var(call, "name", name, sizeof name);
    snprintf(text, sizeof text,
             "%s您好，这里是康宁诊所。提醒您：%s。确认请按1，改期请按2，取消请按3，也可以直接说。",
             named ? name : "", appointment);
    hs_say(out, text, (hs_say_opts_t){.barge_in = true, .id = "reminder"});
    ask(out);
}

static void on_dtmf(const hs_dtmf_t *dtmf, hs_actions_t *out) {
    if (stage != ASKING) return;
    if (hs_str_eq(&dtmf->digits, "1")) answer(CONFIRM, "dtmf", out);
    else if (hs_str_eq(&dtmf->digits, "2")) answer(RESCHEDULE, "dtmf", out);
    else if (hs_str_eq(&dtmf->digits, "3")) answer(CANCEL, "dtmf", out);
    else unclear_answer(out, "无效按键。确认请按1，改期请按2，取消请按3。");
}

static void on_final_transcript(const hs_transcript_t *t, hs_actions_t *out) {
    if (stage != ASKING) return;
    int choice = hs_classify_transcript(ANSWERS, sizeof ANSWERS / sizeof ANSWERS[0], t);
    if (choice == HS_NO_MATCH) unclear_answer(out, "不好意思，我没听清楚。确认请按1，改期请按2，取消请按3。");
    else answer(choice, "speech", out);
}

static void on_no_input(const hs_no_input_t *no_input, hs_actions_t *out) {
    (void)no_input;
    if (stage != ASKING) return;
    if (++silences <= 1) {
        hs_say(out, "您好，请问您还在吗？确认预约请按1，改期请按2，取消请按3。",
               (hs_say_opts_t){.barge_in = true});
        ask(out);
        return;
    }
    hs_intent(out, HS_INTENT_E);
    hs_disposition(out, "no-response");
    finish(out, "可能您现在不方便，我们稍后再联系您。再见！");
}

static void on_transfer_result(const hs_transfer_result_t *result, hs_actions_t *out) {
    if (result->tag == HUASHU_DIALOGUE_TYPES_TRANSFER_RESULT_CONNECTED) {
        stage = DONE;
        hs_disposition(out, "reschedule-transferred");
        return;
    }
    char why[128];
    hs_str_copy(&result->val.failed, why, sizeof why);
    hs_log(HUASHU_DIALOGUE_LOG_LEVEL_WARN, why);
    hs_disposition(out, "reschedule-callback");
    hs_tag(out, "transfer-failed");
    finish(out, "抱歉，预约台暂时无人接听，工作人员会尽快给您回电改期。再见！");
}

static void on_hang_up(const hs_hang_up_t *hang_up, hs_actions_t *out) {
    if (stage == ASKING && hang_up->by == HUASHU_DIALOGUE_TYPES_PARTY_CUSTOMER) {
        hs_intent(out, HS_INTENT_E);
        hs_disposition(out, "customer-hung-up");
    }
}

static const hs_dialogue_t REMINDER = {
    .on_call_started = on_call_started,
    .on_dtmf = on_dtmf,
    .on_final_transcript = on_final_transcript,
    .on_no_input = on_no_input,
    .on_transfer_result = on_transfer_result,
    .on_hang_up = on_hang_up,
};

HS_EXPORT_DIALOGUE(REMINDER)
