/* Unit tests of the C SDK's outbound HTTP, run natively (sdk/c/tests/run.sh): the request
 * hs_http builds, and the hs_http_* readers over a response and every error. The cases
 * mirror the Rust SDK's own tests. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "huashu.h"

static void set(dialogue_string_t *s, const char *text) { dialogue_string_dup(s, text); }

static void a_json_post_carries_its_body_content_type_secrets_and_options(void) {
    hs_actions_t out = {.merged = -1};
    hs_say(&out, "请稍等。", (hs_say_opts_t){0});
    const char *const headers[] = {"x-campaign", "birthday", NULL};
    const char *const secrets[] = {"authorization", "coupon-api-token", NULL};
    const char *const reads[] = {"x-request-id", NULL};
    hs_http_post_json(&out, "https://coupons.example.com/v1/coupons",
                      "{\"phone\":\"13800138000\",\"campaign\":\"birthday\"}",
                      (hs_http_opts_t){.id = "coupon", .headers = headers,
                                       .secret_headers = secrets, .read_headers = reads,
                                       .timeout_ms = 1500});
    CHECK(out.list.len == 2);
    CHECK(out.list.ptr[1].tag == HUASHU_DIALOGUE_TYPES_ACTION_HTTP_REQUEST);
    const huashu_dialogue_types_http_request_t *r = &out.list.ptr[1].val.http_request;
    CHECK(hs_str_eq(&r->id, "coupon"));
    CHECK(hs_str_eq(&r->method, "POST"));
    CHECK(hs_str_eq(&r->url, "https://coupons.example.com/v1/coupons"));
    CHECK(r->headers.len == 2);
    CHECK(hs_str_eq(&r->headers.ptr[0].f0, "x-campaign"));
    CHECK(hs_str_eq(&r->headers.ptr[1].f0, "content-type"));
    CHECK(hs_str_eq(&r->headers.ptr[1].f1, "application/json"));
    CHECK(r->secret_headers.len == 1);
    CHECK(hs_str_eq(&r->secret_headers.ptr[0].f0, "authorization"));
    CHECK(hs_str_eq(&r->secret_headers.ptr[0].f1, "coupon-api-token"));
    CHECK(hs_str_eq(&r->body, "{\"phone\":\"13800138000\",\"campaign\":\"birthday\"}"));
    CHECK(r->read_headers.len == 1 && hs_str_eq(&r->read_headers.ptr[0], "x-request-id"));
    CHECK(r->timeout_ms == 1500);
    exports_huashu_dialogue_script_list_action_free(&out.list);
}

static void a_get_has_no_body_and_leaves_id_and_timeout_to_the_host(void) {
    hs_actions_t out = {.merged = -1};
    hs_http(&out, "GET", "https://crm.example.com/a", (hs_http_opts_t){0});
    const huashu_dialogue_types_http_request_t *r = &out.list.ptr[0].val.http_request;
    CHECK(hs_str_eq(&r->method, "GET"));
    CHECK(r->id.len == 0 && r->body.len == 0 && r->timeout_ms == 0);
    CHECK(r->headers.len == 0 && r->secret_headers.len == 0 && r->read_headers.len == 0);
    exports_huashu_dialogue_script_list_action_free(&out.list);
}

static hs_http_result_t answered(uint16_t status, const char *body) {
    hs_http_result_t result = {0};
    set(&result.id, "coupon");
    result.outcome.val.ok.status = status;
    set(&result.outcome.val.ok.body, body);
    dialogue_list_tuple2_string_string_t *headers = &result.outcome.val.ok.headers;
    headers->ptr = calloc(1, sizeof *headers->ptr);
    headers->len = 1;
    set(&headers->ptr[0].f0, "x-request-id");
    set(&headers->ptr[0].f1, "r-42");
    return result;
}

static void a_2xx_answer_gives_its_status_body_and_headers(void) {
    hs_http_result_t result = answered(201, "{\"code\":\"BDAY-50\"}");
    char buf[64];
    CHECK(hs_http_ok(&result));
    CHECK(hs_http_status(&result) == 201);
    CHECK(hs_http_response(&result) != NULL);
    CHECK(hs_str_eq(hs_http_body(&result), "{\"code\":\"BDAY-50\"}"));
    CHECK(hs_http_header(&result, "X-Request-ID", buf, sizeof buf) && strcmp(buf, "r-42") == 0);
    CHECK(!hs_http_header(&result, "etag", buf, sizeof buf));
    CHECK(!hs_http_failure(&result, buf, sizeof buf));
    huashu_dialogue_types_http_result_free(&result);
}

static void a_non_2xx_answer_is_a_failure_that_quotes_the_service(void) {
    hs_http_result_t result = answered(503, "down for maintenance");
    char buf[128];
    CHECK(!hs_http_ok(&result));
    CHECK(hs_http_failure(&result, buf, sizeof buf));
    CHECK(strcmp(buf, "the service answered 503: down for maintenance") == 0);
    char small[30];
    CHECK(hs_http_failure(&result, small, sizeof small));
    CHECK(strcmp(small, "the service answered 503: dow") == 0);
    huashu_dialogue_types_http_result_free(&result);
}

static void every_host_error_reads_as_a_sentence(void) {
    struct {
        uint8_t tag;
        const char *why;
        const char *message;
    } cases[] = {
        {HUASHU_DIALOGUE_TYPES_HTTP_ERROR_REFUSED, "not on the allowlist",
         "refused before connecting: not on the allowlist"},
        {HUASHU_DIALOGUE_TYPES_HTTP_ERROR_LIMITED, "20 requests per call",
         "not sent, a limit was reached: 20 requests per call"},
        {HUASHU_DIALOGUE_TYPES_HTTP_ERROR_TIMEOUT, NULL, "no response in time"},
        {HUASHU_DIALOGUE_TYPES_HTTP_ERROR_TOO_LARGE, NULL,
         "the response was larger than the tenant's cap"},
        {HUASHU_DIALOGUE_TYPES_HTTP_ERROR_FAILED, "connection reset",
         "the exchange failed: connection reset"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hs_http_result_t result = {0};
        result.outcome.is_err = true;
        result.outcome.val.err.tag = cases[i].tag;
        /* refused, limited and failed share the union's string slot. */
        if (cases[i].why != NULL) set(&result.outcome.val.err.val.refused, cases[i].why);
        char buf[128];
        CHECK(!hs_http_ok(&result));
        CHECK(hs_http_status(&result) == 0);
        CHECK(hs_http_response(&result) == NULL);
        CHECK(hs_http_body(&result)->len == 0);
        CHECK(hs_http_failure(&result, buf, sizeof buf));
        if (strcmp(buf, cases[i].message) != 0) {
            fprintf(stderr, "expected \"%s\", got \"%s\"\n", cases[i].message, buf);
            failures++;
        }
        huashu_dialogue_types_http_result_free(&result);
    }
}

static int answers_seen;
static void on_http_response(const hs_http_result_t *result, hs_actions_t *out) {
    answers_seen += hs_str_eq(&result->id, "coupon");
    hs_hang_up(out, "done");
}

static void dispatch_hands_the_answer_to_on_http_response(void) {
    hs_dialogue_t dialogue = {.on_http_response = on_http_response};
    exports_huashu_dialogue_script_event_t event = {
        .tag = HUASHU_DIALOGUE_TYPES_EVENT_HTTP_RESPONSE,
        .val.http_response = answered(200, "{}"),
    };
    exports_huashu_dialogue_script_list_action_t actions;
    hs_handle(&dialogue, &event, 1000, &actions);
    CHECK(answers_seen == 1);
    CHECK(actions.len == 1 && actions.ptr[0].tag == HUASHU_DIALOGUE_TYPES_ACTION_HANG_UP);
    exports_huashu_dialogue_script_list_action_free(&actions);
}

int main(void) {
    a_json_post_carries_its_body_content_type_secrets_and_options();
    a_get_has_no_body_and_leaves_id_and_timeout_to_the_host();
    a_2xx_answer_gives_its_status_body_and_headers();
    a_non_2xx_answer_is_a_failure_that_quotes_the_service();
    every_host_error_reads_as_a_sentence();
    dispatch_hands_the_answer_to_on_http_response();
    if (failures == 0) printf("ok: C SDK HTTP tests passed\n");
    return failures == 0 ? 0 : 1;
}
