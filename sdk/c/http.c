/* Reading the http-response event that answers an hs_http request (the builder is in
 * actions.c): the status, headers and body, and one readable sentence for every way a
 * request can fail. Bodies are text: a script reads the answer's JSON itself (the SDK
 * carries no JSON parser). */
#include <stdio.h>
#include <string.h>

#include "huashu.h"

const hs_http_response_t *hs_http_response(const hs_http_result_t *result) {
    return result->outcome.is_err ? NULL : &result->outcome.val.ok;
}

int hs_http_status(const hs_http_result_t *result) {
    const hs_http_response_t *response = hs_http_response(result);
    return response != NULL ? response->status : 0;
}

bool hs_http_ok(const hs_http_result_t *result) {
    int status = hs_http_status(result);
    return status >= 200 && status < 300;
}

const dialogue_string_t *hs_http_body(const hs_http_result_t *result) {
    static const dialogue_string_t empty = {NULL, 0};
    const hs_http_response_t *response = hs_http_response(result);
    return response != NULL ? &response->body : &empty;
}

static bool same_name(const dialogue_string_t *s, const char *name) {
    size_t len = strlen(name);
    if (s->len != len) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char a = s->ptr[i], b = (unsigned char)name[i];
        if (a >= 'A' && a <= 'Z') a += 'a' - 'A';
        if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
        if (a != b) return false;
    }
    return true;
}

bool hs_http_header(const hs_http_result_t *result, const char *name, char *buf, size_t size) {
    const hs_http_response_t *response = hs_http_response(result);
    if (response == NULL) return false;
    for (size_t i = 0; i < response->headers.len; i++) {
        if (same_name(&response->headers.ptr[i].f0, name)) {
            hs_str_copy(&response->headers.ptr[i].f1, buf, size);
            return true;
        }
    }
    return false;
}

/* How much of an error body a message quotes: enough for a service's explanation, short
 * enough for one line of the call log. */
#define QUOTED_BODY_BYTES 200

bool hs_http_failure(const hs_http_result_t *result, char *buf, size_t size) {
    if (size == 0) return !hs_http_ok(result);
    buf[0] = '\0';
    if (result->outcome.is_err) {
        const huashu_dialogue_types_http_error_t *error = &result->outcome.val.err;
        const char *what = "failed";
        const dialogue_string_t *why = NULL;
        switch (error->tag) {
        case HUASHU_DIALOGUE_TYPES_HTTP_ERROR_REFUSED:
            what = "refused before connecting: ";
            why = &error->val.refused;
            break;
        case HUASHU_DIALOGUE_TYPES_HTTP_ERROR_LIMITED:
            what = "not sent, a limit was reached: ";
            why = &error->val.limited;
            break;
        case HUASHU_DIALOGUE_TYPES_HTTP_ERROR_TIMEOUT:
            what = "no response in time";
            break;
        case HUASHU_DIALOGUE_TYPES_HTTP_ERROR_TOO_LARGE:
            what = "the response was larger than the tenant's cap";
            break;
        case HUASHU_DIALOGUE_TYPES_HTTP_ERROR_FAILED:
            what = "the exchange failed: ";
            why = &error->val.failed;
            break;
        }
        size_t used = (size_t)snprintf(buf, size, "%s", what);
        if (why != NULL && used < size) hs_str_copy(why, buf + used, size - used);
        return true;
    }
    if (hs_http_ok(result)) return false;
    const dialogue_string_t *body = &result->outcome.val.ok.body;
    size_t used = (size_t)snprintf(buf, size, "the service answered %d",
                                   hs_http_status(result));
    if (body->len > 0 && used + 2 < size) {
        strcpy(buf + used, ": ");
        used += 2;
        size_t room = size - used;
        if (room > QUOTED_BODY_BYTES + 1) room = QUOTED_BODY_BYTES + 1;
        hs_str_copy(body, buf + used, room);
    }
    return true;
}
