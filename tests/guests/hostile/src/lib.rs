//! A script that misbehaves on purpose, in the way its `mode` call variable names, so the
//! test suite can prove the sandbox contains it. With `mode` = `polite` it behaves: greets,
//! listens, and hangs up when the customer answers.

wit_bindgen::generate!({ world: "dialogue", path: "../../../wit" });

use std::cell::RefCell;

use exports::huashu::dialogue::script::Guest;
use huashu::dialogue::kv;
use huashu::dialogue::log::{self, Level};
use huashu::dialogue::types::{Action, Event, Listen, Play, Say};

thread_local! {
    static MODE: RefCell<String> = const { RefCell::new(String::new()) };
}

fn say(text: &str) -> Action {
    Action::Say(Say {
        text: text.into(),
        voice: String::new(),
        id: String::new(),
        barge_in: true,
    })
}

fn listen() -> Action {
    Action::Listen(Listen {
        no_input_ms: 5000,
        end_silence_ms: 0,
        max_speech_ms: 0,
        hints: Vec::new(),
        dtmf: None,
        language: String::new(),
        hint_silence_ms: 0,
    })
}

#[inline(never)]
#[allow(unconditional_recursion, reason = "unbounded recursion is the point")]
fn recurse(depth: u64) -> u64 {
    // `black_box` keeps the optimiser from turning the recursion into a loop.
    std::hint::black_box(depth) + recurse(depth + 1)
}

/// Misbehaves as `mode` says, or answers normally.
fn misbehave(mode: &str) -> Vec<Action> {
    match mode {
        "loop" => loop {
            std::hint::black_box(());
        },
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("the script hit a bug on purpose"),
        "recursion" => vec![say(&recurse(0).to_string())],
        "actions" => (0..1_000).map(|i| say(&i.to_string())).collect(),
        "string" => vec![say(&"话".repeat(1 << 20))],
        "log-flood" => loop {
            log::write(Level::Info, &"flood ".repeat(100));
        },
        "kv-flood" => loop {
            let _ = kv::get("counter");
        },
        "stdout-flood" => loop {
            println!("{}", "noise ".repeat(100));
        },
        // A prompt the tenant never uploaded.
        "missing-prompt" => vec![Action::Play(Play {
            prompt: "no-such-prompt".into(),
            id: String::new(),
            barge_in: false,
        })],
        // Blocks on a WASI clock pollable: no CPU used, so only a wall clock ends it.
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(3_600));
            vec![say("睡醒了")]
        }
        _ => vec![say("您好，这里是测试。请问您现在方便吗？"), listen()],
    }
}

struct Hostile;

impl Guest for Hostile {
    fn handle(event: Event, _elapsed_ms: u64) -> Vec<Action> {
        match event {
            Event::CallStarted(call) => {
                let mode = call
                    .variables
                    .iter()
                    .find(|(k, _)| k == "mode")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                MODE.with(|m| *m.borrow_mut() = mode.clone());
                misbehave(&mode)
            }
            Event::FinalTranscript(t) => {
                // `late-trap` behaves at first and fails on the customer's answer;
                // `late-sleep` falls asleep on it.
                match MODE.with(|m| m.borrow().clone()).as_str() {
                    "late-trap" => panic!("late failure after hearing `{}`", t.text),
                    "late-sleep" => return misbehave("sleep"),
                    _ => {}
                }
                log::write(Level::Info, &format!("heard: {}", t.text));
                let _ = kv::set("last-answer", t.text.as_bytes());
                vec![say("好的，再见。"), Action::HangUp("completed".into())]
            }
            _ => Vec::new(),
        }
    }
}

export!(Hostile);
