//! `say-parts` in the session: refused with a reason when malformed, otherwise played as
//! one item whose report carries the action's id.

use super::super::*;
use crate::tests::call;
use huashu_contract::{
    Action, CallScript, Event, Millis, PlaybackFinished, SayParts, ScriptFailure, ScriptReply,
    SpeechPart,
};

/// A script that answers `call-started` with `actions` and remembers the reports it got.
struct PartsScript {
    actions: Vec<Action>,
    finished: Vec<PlaybackFinished>,
}

impl CallScript for PartsScript {
    async fn handle(
        &mut self,
        event: &Event,
        _elapsed: Millis,
    ) -> Result<ScriptReply, ScriptFailure> {
        let actions = match event {
            Event::CallStarted(_) => std::mem::take(&mut self.actions),
            Event::PlaybackFinished(done) => {
                self.finished.push(done.clone());
                Vec::new()
            }
            _ => Vec::new(),
        };
        Ok(ScriptReply {
            actions,
            ..ScriptReply::default()
        })
    }
}

fn say_parts(parts: Vec<SpeechPart>) -> Action {
    Action::SayParts(SayParts {
        parts,
        voice: String::new(),
        id: "greeting".into(),
        barge_in: false,
    })
}

fn greeting() -> Vec<SpeechPart> {
    vec![
        SpeechPart::Prompt("greeting-a".into()),
        SpeechPart::Text("张三".into()),
        SpeechPart::Prompt("greeting-b".into()),
    ]
}

fn session(action: Action) -> Session<PartsScript, EstimatedPlayout> {
    let script = PartsScript {
        actions: vec![action],
        finished: Vec::new(),
    };
    let playout = EstimatedPlayout {
        prompts: [
            ("greeting-a".to_string(), 1_200),
            ("greeting-b".to_string(), 800),
        ]
        .into_iter()
        .collect(),
        default_prompt_ms: 3_000,
    };
    Session::new(script, playout, call(), SessionConfig::default())
}

fn block<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime for the test")
        .block_on(f)
}

/// Why the script failed at its first reply, if it did.
fn refusal(parts: Vec<SpeechPart>) -> Option<String> {
    let mut session = session(say_parts(parts));
    block(session.start());
    match &session.record().error {
        Some(ScriptFailure::InvalidAction(why)) => Some(why.clone()),
        _ => None,
    }
}

#[test]
fn say_parts_without_parts_is_refused() {
    let why = refusal(Vec::new()).expect("refused");
    assert!(why.contains("at least one part"), "{why}");
}

#[test]
fn say_parts_with_more_than_the_most_parts_is_refused() {
    let parts = vec![SpeechPart::Text("一".into()); SayParts::MAX_PARTS + 1];
    let why = refusal(parts).expect("refused");
    assert!(why.contains("at most 16 parts, not 17"), "{why}");
    let most = vec![SpeechPart::Text("一".into()); SayParts::MAX_PARTS];
    assert_eq!(refusal(most), None);
}

#[test]
fn a_prompt_part_without_a_name_is_refused_with_its_position() {
    let parts = vec![
        SpeechPart::Prompt("greeting-a".into()),
        SpeechPart::Prompt(String::new()),
    ];
    let why = refusal(parts).expect("refused");
    assert!(why.contains("part 2 of `say-parts`"), "{why}");
    assert!(why.contains("uploaded prompt"), "{why}");
}

#[test]
fn a_blank_text_part_is_refused_with_its_position() {
    let parts = vec![
        SpeechPart::Text(" \t".into()),
        SpeechPart::Prompt("greeting-a".into()),
    ];
    let why = refusal(parts).expect("refused");
    assert!(why.contains("part 1 of `say-parts` is blank text"), "{why}");
}

#[test]
fn parts_play_as_one_item_and_finish_with_the_actions_id() {
    let mut session = session(say_parts(greeting()));
    let out = block(session.start());
    let total = 1_200 + estimate_speech_ms("张三") + 800;
    let [Output::Play { at_ms: 0, item }] = &out[..] else {
        panic!("one item plays: {out:?}");
    };
    assert_eq!(item.id, "greeting");
    assert_eq!(item.total_ms, total);
    assert_eq!(item.source.readable(), "[greeting-a] 张三 [greeting-b]");
    let bot_line = &session.record().transcript[0];
    assert_eq!(bot_line.text, "[greeting-a] 张三 [greeting-b]");
    block(session.advance(Millis::from(total)));
    let script = session
        .script
        .as_ref()
        .expect("the script is still running");
    let finished = &script.finished;
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert_eq!(finished[0].id, "greeting");
    assert_eq!(finished[0].total_ms, total);
    assert!(!finished[0].interrupted);
}
