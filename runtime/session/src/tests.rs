//! Session behaviour with a script written in plain Rust: the telephony rules, without
//! WebAssembly in the way.

use std::sync::{Arc, Mutex};

use super::playout::test_playouts::SlowPlayout;
use super::*;
use huashu_contract::{
    Action, CallScript, Channel, Direction, DtmfEnd, DtmfOptions, IntentLevel, Outcome,
    PlaybackFinished, Say, ScriptReply, Timer, Transcript, TransferResult,
};

mod http;
mod opt_out;

type Handler = Box<dyn FnMut(&Event) -> Result<Vec<Action>, ScriptFailure> + Send>;

/// A script that answers with a closure and remembers every event it got.
struct FakeScript {
    handler: Handler,
    seen: Arc<Mutex<Vec<(Millis, Event)>>>,
}

impl CallScript for FakeScript {
    async fn handle(
        &mut self,
        event: &Event,
        elapsed: Millis,
    ) -> Result<ScriptReply, ScriptFailure> {
        self.seen
            .lock()
            .expect("not poisoned")
            .push((elapsed, event.clone()));
        Ok(ScriptReply {
            actions: (self.handler)(event)?,
            ..ScriptReply::default()
        })
    }
}

/// The call every session test starts with.
pub(crate) fn call() -> CallStarted {
    CallStarted {
        call_id: "c1".into(),
        direction: Direction::Outbound,
        caller: "4008001234".into(),
        callee: "13800138000".into(),
        channel: Channel::Text,
        variables: vec![("name".into(), "王芳".into())],
        started_at_ms: 0,
        random_seed: 1,
    }
}

struct Harness {
    session: Session<FakeScript, EstimatedPlayout>,
    seen: Arc<Mutex<Vec<(Millis, Event)>>>,
}

impl Harness {
    fn new(
        handler: impl FnMut(&Event) -> Result<Vec<Action>, ScriptFailure> + Send + 'static,
    ) -> Self {
        Self::with_config(SessionConfig::default(), handler)
    }

    fn with_config(
        config: SessionConfig,
        handler: impl FnMut(&Event) -> Result<Vec<Action>, ScriptFailure> + Send + 'static,
    ) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = FakeScript {
            handler: Box::new(handler),
            seen: seen.clone(),
        };
        let playout = EstimatedPlayout {
            prompts: [("greeting".to_string(), 2000)].into_iter().collect(),
            default_prompt_ms: 3000,
        };
        Self {
            session: Session::new(script, playout, call(), config),
            seen,
        }
    }

    /// Events the script received, without the first `call-started`.
    fn events(&self) -> Vec<(Millis, Event)> {
        self.seen.lock().expect("not poisoned")[1..].to_vec()
    }
}

fn block<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn say(text: &str, barge_in: bool) -> Action {
    Action::Say(Say {
        text: text.into(),
        voice: String::new(),
        id: String::new(),
        barge_in,
    })
}

fn play(prompt: &str, barge_in: bool) -> Action {
    Action::Play(huashu_contract::Play {
        prompt: prompt.into(),
        id: prompt.into(),
        barge_in,
    })
}

fn listen(no_input_ms: u32) -> Action {
    Action::Listen(Listen {
        no_input_ms,
        ..Listen::default()
    })
}

#[test]
fn prompts_play_back_to_back_and_report_when_finished() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![play("greeting", false), play("offer", false)],
            _ => vec![],
        })
    });
    block(async {
        let out = h.session.start().await;
        assert!(matches!(&out[..], [Output::Play { at_ms: 0, item }] if item.id == "greeting"));
        assert_eq!(h.session.next_deadline(), Some(2000));
        let out = h.session.advance(2000).await;
        assert!(matches!(&out[..], [Output::Play { at_ms: 2000, item }] if item.id == "offer"));
        h.session.advance(10_000).await;
    });
    let finished: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::PlaybackFinished(p) => Some((at, p.id, p.interrupted)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        vec![
            (2000, "greeting".into(), false),
            (5000, "offer".into(), false)
        ]
    );
}

#[test]
fn no_input_timer_starts_when_playback_ends_and_counts_in_a_row() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![play("greeting", true), listen(5000)],
            Event::NoInput(_) => vec![listen(5000)],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        // Playback ends at 2000, so no-input fires at 7000, not 5000.
        h.session.advance(6999).await;
        assert!(
            !h.events()
                .iter()
                .any(|(_, e)| matches!(e, Event::NoInput(_)))
        );
        h.session.advance(12_000).await;
        h.session
            .input(
                12_500,
                CallerInput::Final {
                    transcript: Transcript::typed("喂"),
                },
            )
            .await;
    });
    let no_inputs: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::NoInput(n) => Some((at, n.count)),
            _ => None,
        })
        .collect();
    assert_eq!(no_inputs, vec![(7000, 1), (12_000, 2)]);
    assert!(matches!(
        h.events().last(),
        Some((12_500, Event::FinalTranscript(_)))
    ));
}

#[test]
fn customer_speech_barges_in_on_an_interruptible_prompt() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                say(
                    "您好，王女士，今天是您的生日，我们为您准备了一张优惠券",
                    true,
                ),
                say("请问您需要吗", true),
            ],
            _ => vec![],
        })
    });
    let out = block(async {
        h.session.start().await;
        h.session.input(1500, CallerInput::SpeechStarted).await
    });
    assert_eq!(out, vec![Output::StopPlayback { at_ms: 1500 }]);
    let events = h.events();
    assert!(matches!(
        &events[0],
        (1500, Event::PlaybackFinished(PlaybackFinished { id, interrupted: true, played_ms: 1500, .. })) if id == "p1"
    ));
    assert!(matches!(
        &events[1],
        (
            1500,
            Event::PlaybackFinished(PlaybackFinished {
                interrupted: true,
                played_ms: 0,
                ..
            })
        )
    ));
    assert!(matches!(events[2], (1500, Event::SpeechStarted)));
    assert!(!h.session.is_playing());
}

#[test]
fn speech_over_a_prompt_that_cannot_be_interrupted_is_ignored_and_recorded() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![play("greeting", false)],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session
            .input(
                500,
                CallerInput::Final {
                    transcript: Transcript::typed("不要"),
                },
            )
            .await;
    });
    assert!(h.events().is_empty());
    assert!(h.session.is_playing());
    assert!(
        h.session
            .record()
            .timeline
            .iter()
            .any(|e| matches!(e, TimelineEntry::Ignored { at_ms: 500, .. }))
    );
}

#[test]
fn dtmf_is_collected_until_the_terminator() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![Action::Listen(Listen {
                no_input_ms: 8000,
                dtmf: Some(DtmfOptions {
                    max_digits: 8,
                    terminator: "#".into(),
                    inter_digit_timeout_ms: 3000,
                }),
                ..Listen::default()
            })],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        for (at, digit) in [(100, '2'), (300, '0'), (500, '#')] {
            h.session.input(at, CallerInput::Dtmf { digit }).await;
        }
        // The no-input timer was cancelled by the first key.
        h.session.advance(20_000).await;
    });
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(
        &events[0],
        (500, Event::Dtmf(d)) if d.digits == "20" && d.ended_by == DtmfEnd::Terminator
    ));
}

#[test]
fn hang_up_waits_for_queued_prompts_and_is_the_last_event() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                say("再见", false),
                Action::HangUp {
                    reason: "done".into(),
                },
            ],
            Event::HangUp(_) => vec![
                Action::SetOutcome(Outcome {
                    intent: Some(IntentLevel::C),
                    ..Outcome::default()
                }),
                say("ignored after the call", false),
            ],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        assert!(!h.session.is_ended());
        let out = h.session.advance(5000).await;
        assert!(
            matches!(out.last(), Some(Output::Ended { end }) if end.at_ms == 500 && end.by == Party::Script)
        );
    });
    let events = h.events();
    assert!(matches!(
        events.last(),
        Some((
            500,
            Event::HangUp(HangUp {
                by: Party::Script,
                ..
            })
        ))
    ));
    assert_eq!(h.session.record().outcome.intent, Some(IntentLevel::C));
    assert_eq!(h.session.next_deadline(), None);
}

#[test]
fn a_failing_script_gets_the_apology_fallback_and_is_never_called_again() {
    let mut h = Harness::new(|event| match event {
        Event::CallStarted(_) => Ok(vec![say("您好", true), listen(5000)]),
        _ => Err(ScriptFailure::Trap {
            message: "boom".into(),
            backtrace: vec![],
        }),
    });
    let outputs = block(async {
        h.session.start().await;
        let mut out = h
            .session
            .input(
                2000,
                CallerInput::Final {
                    transcript: Transcript::typed("好"),
                },
            )
            .await;
        out.extend(h.session.advance(60_000).await);
        out
    });
    assert!(outputs.iter().any(
        |o| matches!(o, Output::Play { item, .. } if item.id == "fallback" && !item.barge_in)
    ));
    assert!(
        matches!(outputs.last(), Some(Output::Ended { end }) if end.by == Party::Host && end.reason == "script-failed")
    );
    let record = h.session.record();
    assert!(matches!(record.error, Some(ScriptFailure::Trap { .. })));
    // The script saw call-started and the transcript that broke it; nothing after.
    assert_eq!(h.events().len(), 1);
}

#[test]
fn an_impossible_action_is_a_script_failure() {
    let mut h = Harness::new(|_| {
        Ok(vec![Action::StartTimer(Timer {
            id: "t".into(),
            after_ms: 0,
        })])
    });
    block(h.session.start());
    assert!(matches!(
        &h.session.record().error,
        Some(ScriptFailure::InvalidAction(why)) if why.contains("timer `t`")
    ));
}

#[test]
fn transfer_fallback_hands_the_call_to_a_human() {
    let config = SessionConfig {
        fallback: Fallback::Transfer {
            target: "agents".into(),
        },
        ..SessionConfig::default()
    };
    let mut h = Harness::with_config(config, |_| Err(ScriptFailure::CpuPerEvent { limit_ms: 50 }));
    let out = block(h.session.start());
    assert!(matches!(&out[..], [Output::Transfer { transfer, .. }] if transfer.target == "agents"));
    let out = block(h.session.input(
        10,
        CallerInput::TransferResult {
            result: TransferResult::Connected,
        },
    ));
    assert!(matches!(&out[..], [Output::Ended { end }] if end.reason == "transferred"));
}

#[test]
fn a_connected_transfer_is_reported_before_the_hang_up() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![Action::Transfer(Transfer {
                target: "agents".into(),
                reason: "asked for a human".into(),
            })],
            Event::TransferResult(TransferResult::Connected) => vec![Action::SetOutcome(Outcome {
                tags: vec!["transferred".into()],
                ..Outcome::default()
            })],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session
            .input(
                100,
                CallerInput::TransferResult {
                    result: TransferResult::Connected,
                },
            )
            .await;
    });
    let events = h.events();
    assert!(
        matches!(
            events[0],
            (100, Event::TransferResult(TransferResult::Connected))
        ),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], (100, Event::HangUp(HangUp { by: Party::Host, reason })) if reason == "transferred")
    );
    assert_eq!(h.session.record().outcome.tags, vec!["transferred"]);
}

#[test]
fn a_failed_transfer_lets_the_script_carry_on() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                say("正在为您转接", false),
                Action::Transfer(Transfer {
                    target: "sip:agent@pbx".into(),
                    reason: "dispute".into(),
                }),
            ],
            Event::TransferResult(TransferResult::Failed(_)) => {
                vec![
                    say("抱歉，坐席繁忙", false),
                    Action::HangUp {
                        reason: String::new(),
                    },
                ]
            }
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        let out = h.session.advance(2000).await;
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Transfer { at_ms: 1500, .. }))
        );
        h.session
            .input(
                4000,
                CallerInput::TransferResult {
                    result: TransferResult::Failed("busy".into()),
                },
            )
            .await;
        h.session.advance(60_000).await;
    });
    let end = h.session.record().end.clone().expect("ended");
    assert_eq!((end.by, end.reason.as_str()), (Party::Script, "completed"));
}

#[test]
fn the_host_ends_a_call_at_the_maximum_length() {
    let config = SessionConfig {
        max_call_ms: 60_000,
        ..SessionConfig::default()
    };
    let mut h = Harness::with_config(config, |event| {
        Ok(match event {
            Event::CallStarted(_) | Event::TimerFired { .. } => {
                vec![Action::StartTimer(Timer {
                    id: "keepalive".into(),
                    after_ms: 25_000,
                })]
            }
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session.advance(1_000_000).await;
    });
    let timers = h
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, Event::TimerFired { .. }))
        .count();
    assert_eq!(timers, 2);
    let end = h.session.record().end.clone().expect("ended");
    assert_eq!(
        (end.at_ms, end.by, end.reason.as_str()),
        (60_000, Party::Host, "max-call-length")
    );
}

#[test]
fn customer_hang_up_stops_playback_and_is_delivered() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![play("greeting", true)],
            _ => vec![],
        })
    });
    let out = block(async {
        h.session.start().await;
        h.session
            .input(
                700,
                CallerInput::HangUp {
                    reason: "customer-hung-up".into(),
                },
            )
            .await
    });
    assert!(matches!(out[0], Output::StopPlayback { at_ms: 700 }));
    assert!(matches!(
        h.events()[..],
        [(
            700,
            Event::HangUp(HangUp {
                by: Party::Customer,
                ..
            })
        )]
    ));
    // Input after the end changes nothing.
    block(h.session.input(800, CallerInput::Dtmf { digit: '1' }));
    assert_eq!(h.events().len(), 1);
}

#[test]
fn subscribed_audio_reaches_the_script_at_its_rate_only_while_subscribed() {
    let frame = |rate: u32| CallerInput::Audio {
        frame: huashu_contract::AudioFrame {
            samples: vec![7; rate as usize / 50],
            sample_rate: rate,
        },
    };
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![Action::SubscribeAudio { sample_rate: 8_000 }],
            Event::Dtmf(_) => vec![Action::UnsubscribeAudio],
            _ => vec![],
        })
    });
    block(async {
        let out = h.session.start().await;
        assert!(
            matches!(
                &out[..],
                [Output::AudioSubscription {
                    at_ms: 0,
                    sample_rate: Some(8_000)
                }]
            ),
            "{out:?}"
        );
        h.session.input(20, frame(8_000)).await;
        // A frame converted before media heard of the rate is not the script's.
        h.session.input(40, frame(16_000)).await;
        let out = h.session.input(60, CallerInput::Dtmf { digit: '1' }).await;
        assert!(
            out.iter().any(|o| matches!(
                o,
                Output::AudioSubscription {
                    at_ms: 60,
                    sample_rate: None
                }
            )),
            "{out:?}"
        );
        h.session.input(80, frame(8_000)).await;
    });
    let audio: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::AudioFrame(f) => Some((at, f.sample_rate, f.samples.len())),
            _ => None,
        })
        .collect();
    assert_eq!(audio, vec![(20, 8_000, 160)]);
}

#[test]
fn time_spent_getting_a_reply_ready_delays_its_playback_and_is_recorded() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let script = FakeScript {
        handler: Box::new(|event| {
            Ok(match event {
                Event::CallStarted(_) => vec![say("您好", true), listen(5_000)],
                _ => vec![],
            })
        }),
        seen: seen.clone(),
    };
    let playout = SlowPlayout {
        preparing_ms: 300,
        length_ms: 1_000,
    };
    let mut session = Session::new(script, playout, call(), SessionConfig::default());
    block(async {
        let out = session.start().await;
        assert!(
            matches!(&out[..], [Output::Play { at_ms: 300, .. }]),
            "the audio starts once it is ready: {out:?}"
        );
        assert_eq!(session.next_deadline(), Some(1_300));
        session.advance(1_300).await;
    });
    let finished: Vec<_> = seen.lock().expect("not poisoned")[1..]
        .iter()
        .filter_map(|(at, e)| match e {
            Event::PlaybackFinished(p) => Some((*at, p.played_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![(1_300, 1_000)]);
    let record = session.into_record();
    assert_eq!(
        record.prepare_ms.into_iter().collect::<Vec<_>>(),
        vec![(0, 300)]
    );
}
