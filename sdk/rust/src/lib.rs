//! Write huashu call scripts (话术) in Rust.
//!
//! A script is a type that implements [`Dialogue`]. The host delivers the events of a call
//! (the call started, the customer said something, pressed a key, stayed silent…) to your
//! handlers one at a time, and each handler answers by adding actions to [`Actions`]: say
//! something (or play recorded prompts with spoken variables between them), listen,
//! transfer, hang up, record the outcome, opt the customer out of
//! further calls, call one of the tenant's own systems over HTTP. Each call gets its own instance
//! of the script, so plain fields are all the state you need.
//!
//! ```no_run
//! use huashu_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Birthday {
//!     name: String,
//! }
//!
//! impl Dialogue for Birthday {
//!     fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
//!         self.name = call.var_or("name", "您").to_owned();
//!         out.say(format!("{}您好，祝您生日快乐！送您一张优惠券，需要吗？", self.name))
//!             .barge_in();
//!         out.listen(Listen::new().no_input_ms(6000).hints(["好的", "不需要"]));
//!     }
//!
//!     fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
//!         let replies = IntentMatcher::new()
//!             .intent("yes", ["好的", "可以", "要", "yes", "ok"])
//!             .intent("no", ["不要", "不需要", "不用", "no"]);
//!         match replies.classify_transcript(t) {
//!             Some("yes") => {
//!                 out.say("已经发到您的账户了，再见！");
//!                 out.intent(IntentLevel::A).disposition("coupon-accepted");
//!             }
//!             _ => {
//!                 out.say("好的，不打扰了，再见！");
//!                 out.intent(IntentLevel::D).disposition("coupon-declined");
//!             }
//!         }
//!         out.hang_up("done");
//!     }
//! }
//!
//! huashu_sdk::export_dialogue!(Birthday);
//! ```
//!
//! Build it as a component with `cargo build --release --target wasm32-wasip2` from a crate
//! with `crate-type = ["cdylib"]`; no other tool is needed.
//!
//! # Layout
//!
//! - [`Dialogue`] (`dialogue`): the trait with one handler per event, and [`export_dialogue!`]
//!   (`export`), which makes a type the component's script.
//! - [`Actions`] (`actions`): the action list a handler builds; [`Listen`], [`Outcome`]
//!   and [`SayParts`] get builder methods in `listen`, `outcome` and `say_parts`.
//! - `call`: reading campaign variables ([`CallStarted::var`]) and the call's local date;
//!   a transcript's confident readings ([`Transcript::confident_texts`]) and why it was
//!   [`NotUnderstood`].
//! - [`Http`] (`http`): the `http-request` action that calls the tenant's own systems, and
//!   readers for the [`HttpResult`] that answers it; [`json`]: the small JSON value its
//!   bodies are built and read with.
//! - [`IntentMatcher`] (`intent`): what did the customer mean, in Chinese or English;
//!   readings below its minimum confidence (0.5 unless set) are guesses and mean nothing.
//! - [`Retries`] and [`NoMatchCounter`] (`retries`): how often to ask again.
//! - [`date`]: dates and [`date::parse_date`] for "明天", "下周一", "12月5号", "tomorrow".
//! - [`number`]: spoken numbers ("二十五", "five") and digit strings.
//! - [`log`] and [`kv`]: the host's call log and the tenant's key-value store.
//! - [`testing`]: drive a script natively in unit tests.
//!
//! The contract's own types ([`Event`], [`Action`], [`CallStarted`], [`Transcript`]…) are
//! re-exported at the crate root with their documentation. This SDK builds against
//! `huashu:dialogue@0.2.0` (`wit/`), which added [`Actions::opt_out`], [`Channel::Sip`],
//! outbound HTTP ([`Actions::http`], [`Dialogue::on_http_response`]),
//! [`Actions::say_parts`] and [`Transcript::not_understood`]; servers still run scripts
//! built against 0.1.0.
//!
//! # Testing scripts
//!
//! Everything except the export runs natively, so ordinary `#[test]`s can drive a script:
//! [`testing::Conversation`] delivers events the way the host does and merges the outcome
//! (or call a handler yourself with [`Actions::new`]). Outside the host, [`log`] writes to
//! standard error and [`kv`] keeps values in memory. For whole conversations with timing
//! and barge-in, write scenario files and run them with `huashu test`.

mod actions;
#[doc(hidden)]
pub mod bindings;
mod call;
pub mod date;
mod dialogue;
mod export;
pub mod http;
mod intent;
pub mod json;
pub mod kv;
mod listen;
pub mod log;
pub mod number;
mod outcome;
mod retries;
mod say_parts;
pub mod testing;
mod text;

pub use actions::{Actions, PlayHandle, SayHandle};
pub use bindings::huashu::dialogue::types::{
    Action, Alternative, AudioFrame, CallStarted, Channel, Direction, Dtmf, DtmfEnd, DtmfOptions,
    Event, HangUp, HttpError, HttpRequest, HttpResponse, HttpResult, IntentLevel, Listen, NoInput,
    NotUnderstood, Outcome, Party, Play, PlaybackFinished, Say, SayParts, SpeechPart, Timer,
    TimerFired, Transcript, Transfer, TransferResult,
};
pub use dialogue::{Dialogue, dispatch};
pub use http::{Http, HttpFailure};
pub use intent::{IntentMatch, IntentMatcher};
pub use retries::{NoMatchCounter, Retries};

/// What most scripts need, in one `use huashu_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::date::{BEIJING, Date, parse_date};
    pub use crate::json::Json;
    pub use crate::{
        Actions, Alternative, AudioFrame, CallStarted, Channel, Dialogue, Direction, Dtmf, DtmfEnd,
        Event, HangUp, Http, HttpError, HttpResponse, HttpResult, IntentLevel, IntentMatcher,
        Listen, NoInput, NoMatchCounter, NotUnderstood, Outcome, Party, PlaybackFinished, Retries,
        SayParts, TimerFired, Transcript, TransferResult,
    };
}

/// Used by the code [`export_dialogue!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::exports::huashu::dialogue::script::Guest;
    pub use crate::export::handle_event;
    pub use std::vec::Vec;
}
