//! A script that calls one of the tenant's systems: what `tests/outbound_http.rs` uses to
//! check outbound HTTP through the real server.
//!
//! - On call start it says a holding line, starts a 200 ms timer, and sends one request:
//!   `method` (default `GET`) to the call variable `url`, with the secret named by
//!   `secret` (if given) in `authorization`, asking for the `x-request-id` header back, with
//!   `timeout_ms` (default: the tenant's).
//! - The timer firing while the request is in flight is noted (field `timer_before_answer`).
//! - On the answer it says what it got — the coupon `code` from a JSON body, or the error
//!   in words — records `status` / `code` / `request_id` or `error` as fields, and hangs up.

use huashu_sdk::prelude::*;

#[derive(Default)]
struct HttpCaller {
    answered: bool,
}

impl Dialogue for HttpCaller {
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        // Long enough (about four seconds) to still be playing when a slow request times out.
        out.say("Please hold for a moment while I check your account for you.");
        out.start_timer("tick", 200);
        let mut request = Http::new(call.var_or("method", "GET"), call.var_or("url", ""))
            .read_header("x-request-id")
            .id("probe");
        if let Some(secret) = call.var("secret") {
            request = request.secret_header("authorization", secret);
        }
        if let Some(ms) = call.var("timeout_ms").and_then(|ms| ms.parse().ok()) {
            request = request.timeout_ms(ms);
        }
        if let Some(body) = call.var("body") {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        out.http(request);
    }

    fn on_timer_fired(&mut self, _timer: &TimerFired, out: &mut Actions) {
        if !self.answered {
            out.field("timer_before_answer", "yes");
        }
    }

    fn on_http_response(&mut self, result: &HttpResult, out: &mut Actions) {
        self.answered = true;
        match result.response() {
            Some(response) => {
                out.field("status", response.status.to_string());
                if let Some(id) = response.header("x-request-id") {
                    out.field("request_id", id);
                }
                match result.json() {
                    Ok(json) => {
                        let code = json["code"].as_str().unwrap_or("none").to_owned();
                        out.say(format!("Your coupon code is {code}."));
                        out.field("code", code);
                    }
                    Err(why) => {
                        out.say(format!("The service answered {}.", response.status));
                        out.field("error", why.to_string());
                    }
                }
            }
            None => {
                let why = result.error().map(|e| e.message()).unwrap_or_default();
                out.say(format!("Sorry, I could not check: {why}."));
                out.field("error", why);
            }
        }
        out.hang_up("done");
    }
}

huashu_sdk::export_dialogue!(HttpCaller);
