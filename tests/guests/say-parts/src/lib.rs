//! A script that greets with one `say-parts`: the prompt `greeting-a`, the call's `name`
//! variable spoken in the call variable `voice` (the tenant's default when absent), and the
//! prompt `greeting-b`. What `tests/say_parts.rs` uses to check that the parts play as one
//! clip through the real server. The action is built from the contract's types directly,
//! as a script without the SDK's builders would.
//!
//! When the greeting has played it puts what `playback-finished` said into the outcome
//! (`finished_id`, `played_ms`, `total_ms`) and hangs up.

use huashu_sdk::{Action, CallStarted, Event, PlaybackFinished, SayParts, SpeechPart};

/// The greeting for `call`.
fn greeting(call: &CallStarted) -> Action {
    let var = |key: &str| {
        call.variables
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    Action::SayParts(SayParts {
        parts: vec![
            SpeechPart::Prompt("greeting-a".into()),
            SpeechPart::Text(var("name").unwrap_or_else(|| "张三".into())),
            SpeechPart::Prompt("greeting-b".into()),
        ],
        voice: var("voice").unwrap_or_default(),
        id: "greeting".into(),
        barge_in: false,
    })
}

/// The outcome saying how the greeting finished, and the hang-up.
fn finished(done: &PlaybackFinished, elapsed_ms: u64) -> Vec<Action> {
    let mut out = huashu_sdk::Actions::new(elapsed_ms);
    out.field("finished_id", done.id.clone())
        .field("played_ms", done.played_ms.to_string())
        .field("total_ms", done.total_ms.to_string())
        .field("interrupted", done.interrupted.to_string());
    out.hang_up("greeted");
    out.into_vec()
}

/// The script's answer to one event.
pub fn handle(event: Event, elapsed_ms: u64) -> Vec<Action> {
    match event {
        Event::CallStarted(call) => vec![greeting(&call)],
        Event::PlaybackFinished(done) if done.id == "greeting" => finished(&done, elapsed_ms),
        _ => Vec::new(),
    }
}

#[cfg(target_family = "wasm")]
mod export {
    use huashu_sdk::bindings::exports::huashu::dialogue::script::Guest;
    use huashu_sdk::{Action, Event};

    struct SayPartsGreeter;

    impl Guest for SayPartsGreeter {
        fn handle(event: Event, elapsed_ms: u64) -> Vec<Action> {
            super::handle(event, elapsed_ms)
        }
    }

    huashu_sdk::bindings::export!(SayPartsGreeter with_types_in huashu_sdk::bindings);
}
