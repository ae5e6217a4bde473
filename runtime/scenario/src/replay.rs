//! Replaying a recorded call against another module version: the same customer, at the same
//! moments, saying the same things — and where the bot's behaviour diverges.
//!
//! The recorded inputs (speech, keys, transfer answers, the answers to HTTP requests,
//! hang-up) are fed to a fresh session at their original call times, with the original
//! `call-started` (same variables, clock and random seed), so a module that behaves the
//! same produces the same actions.
//!
//! A replay performs no I/O. It has no HTTP client: the session's
//! [`Output::HttpRequest`](huashu_session::Output::HttpRequest)s are dropped, and the
//! script gets the recorded answers instead, matched by request id. A version that asks
//! for something else diverges at that `http_request` action; one that asks for more gets
//! no answer to the extra requests.

use std::collections::BTreeMap;

use huashu_contract::{Action, CallScript, Channel, Millis, Outcome, Play, Say, SayParts};
use huashu_session::{
    CallRecord, EstimatedPlayout, InstantPlayout, PlaySource, Playout, Prepared, Session,
    SessionConfig,
};

/// Where a replay first differs from the original.
#[derive(Debug, Clone, PartialEq)]
pub enum Divergence {
    /// The `index`-th action differs (or exists on one side only).
    Action {
        /// Position of the action among all the call's actions, from 0.
        index: usize,
        /// When it was returned (the original's time if the original has it), in ms since
        /// the call started.
        at_ms: Millis,
        /// The original call's action there; `None` if the replay returned more actions.
        original: Option<Action>,
        /// The replay's action there; `None` if it returned fewer actions.
        replayed: Option<Action>,
        /// What the customer said last before it, for context.
        after_customer: Option<String>,
    },
    /// Same actions, different outcome.
    Outcome {
        /// The original call's outcome.
        original: Outcome,
        /// The replay's outcome.
        replayed: Outcome,
    },
}

/// The result of a replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The replayed call's record.
    pub record: CallRecord,
    /// Where the replay first differs from the original; `None` if it behaved the same.
    pub divergence: Option<Divergence>,
}

/// Playback timed as the recorded call timed it: the lengths in its record (a voice
/// call's real audio), and the channel's own rule for anything the original never played;
/// and the time the original spent getting replies' audio ready, at the same moments.
struct RecordedPlayout {
    lengths: BTreeMap<String, u32>,
    preparing: BTreeMap<Millis, u32>,
    otherwise: Box<dyn Playout>,
}

impl Playout for RecordedPlayout {
    fn prepare<'a>(&'a mut self, now: Millis, _actions: &'a [Action]) -> Prepared<'a> {
        Box::pin(std::future::ready(
            self.preparing.remove(&now).unwrap_or_default(),
        ))
    }

    fn prompt_ms(&self, play: &Play) -> Result<u32, String> {
        let key = PlaySource::Prompt {
            name: play.prompt.clone(),
        }
        .playout_key();
        match self.lengths.get(&key) {
            Some(ms) => Ok(*ms),
            None => self.otherwise.prompt_ms(play),
        }
    }

    fn speech_ms(&self, say: &Say) -> Result<u32, String> {
        let key = PlaySource::Speech {
            text: say.text.clone(),
            voice: say.voice.clone(),
        }
        .playout_key();
        match self.lengths.get(&key) {
            Some(ms) => Ok(*ms),
            None => self.otherwise.speech_ms(say),
        }
    }

    fn parts_ms(&self, say: &SayParts) -> Result<u32, String> {
        let key = PlaySource::Parts {
            parts: say.parts.clone(),
            voice: say.voice.clone(),
        }
        .playout_key();
        match self.lengths.get(&key) {
            Some(ms) => Ok(*ms),
            None => self.otherwise.parts_ms(say),
        }
    }
}

/// The playout a recorded call used, so timings match.
fn playout_for(original: &CallRecord) -> Box<dyn Playout> {
    let otherwise: Box<dyn Playout> = match original.call.channel {
        Channel::Text => Box::new(InstantPlayout),
        Channel::Browser | Channel::Twilio | Channel::Sip => Box::new(EstimatedPlayout::default()),
    };
    Box::new(RecordedPlayout {
        lengths: original.playout_ms.clone(),
        preparing: original.prepare_ms.clone(),
        otherwise,
    })
}

/// Re-runs `original`'s recorded inputs (the customer's, and the answers to its HTTP
/// requests) against `script`.
pub async fn replay<S: CallScript>(original: &CallRecord, script: S) -> Replay {
    let mut session = Session::new(
        script,
        playout_for(original),
        original.call.clone(),
        SessionConfig::default(),
    );
    session.start().await;
    for (at_ms, input) in original.inputs() {
        if session.is_ended() {
            break;
        }
        session.input(at_ms, input.clone()).await;
    }
    if let Some(end) = &original.end
        && !session.is_ended()
    {
        session.advance(end.at_ms).await;
        if !session.is_ended() {
            session.hang_up(end.at_ms, &end.reason).await;
        }
    }
    let record = session.into_record();
    let divergence = compare(original, &record);
    Replay { record, divergence }
}

fn compare(original: &CallRecord, replayed: &CallRecord) -> Option<Divergence> {
    let a: Vec<(Millis, &Action)> = original.actions().collect();
    let b: Vec<(Millis, &Action)> = replayed.actions().collect();
    for index in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(index), b.get(index));
        if x.map(|(_, act)| *act) != y.map(|(_, act)| *act) {
            let at_ms = x.or(y).map_or(0, |(at, _)| *at);
            let after_customer = original
                .transcript
                .iter()
                .filter(|l| l.speaker == huashu_session::Speaker::Customer && l.at_ms <= at_ms)
                .map(|l| l.text.clone())
                .next_back();
            return Some(Divergence::Action {
                index,
                at_ms,
                original: x.map(|(_, act)| (*act).clone()),
                replayed: y.map(|(_, act)| (*act).clone()),
                after_customer,
            });
        }
    }
    if original.outcome != replayed.outcome {
        return Some(Divergence::Outcome {
            original: original.outcome.clone(),
            replayed: replayed.outcome.clone(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_contract::{CallStarted, Event, HttpRequest, ScriptFailure, ScriptReply};
    use huashu_session::CallerInput;
    use huashu_session::test_playouts::SlowPlayout;

    use crate::{Scenario, run_scenario};

    /// Asks `url` for a coupon while saying "one moment", then reads out the answer.
    struct CouponFetcher {
        url: &'static str,
    }

    impl CallScript for CouponFetcher {
        async fn handle(&mut self, event: &Event, _: Millis) -> Result<ScriptReply, ScriptFailure> {
            let say = |text: String| {
                Action::Say(Say {
                    text,
                    voice: String::new(),
                    id: String::new(),
                    barge_in: false,
                })
            };
            let actions = match event {
                Event::CallStarted(_) => vec![
                    say("请稍等".into()),
                    Action::HttpRequest(HttpRequest {
                        id: String::new(),
                        method: "POST".into(),
                        url: self.url.into(),
                        headers: vec![],
                        secret_headers: vec![("authorization".into(), "coupon-token".into())],
                        body: r#"{"amount":50}"#.into(),
                        read_headers: vec![],
                        timeout_ms: 0,
                    }),
                ],
                Event::HttpResponse(result) => match &result.outcome {
                    Ok(response) => vec![say(format!("券码 {}", response.body))],
                    Err(error) => vec![say(format!("出错了 {error}"))],
                },
                _ => vec![],
            };
            Ok(ScriptReply {
                actions,
                ..ScriptReply::default()
            })
        }
    }

    #[test]
    fn a_replay_feeds_back_recorded_http_answers_and_catches_a_changed_request() {
        const COUPONS: &str = "https://coupons.example.com/v1/coupons";
        let scenario = Scenario::parse(
            r#"
http:
  - match: POST https://coupons.example.com/v1/coupons
    respond: {status: 201, body: BDAY-50}
    after_ms: 300
steps:
  - bot_says: 券码 BDAY-50
"#,
        )
        .expect("valid");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let original = runtime.block_on(async {
            let run = run_scenario(&scenario, CouponFetcher { url: COUPONS }, "c1".into()).await;
            assert!(run.passed(), "{:?}", run.mismatches);
            run.record
        });
        let answered = |record: &CallRecord| -> Vec<(Millis, String)> {
            record
                .events()
                .filter_map(|(at, e)| match e {
                    Event::HttpResponse(r) => {
                        Some((at, r.outcome.clone().map(|r| r.body).unwrap_or_default()))
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(answered(&original), vec![(300, "BDAY-50".to_string())]);

        let same = runtime.block_on(replay(&original, CouponFetcher { url: COUPONS }));
        assert_eq!(same.divergence, None, "{:?}", same.record.timeline);
        assert_eq!(
            answered(&same.record),
            vec![(300, "BDAY-50".to_string())],
            "the recorded answer, at its recorded time"
        );

        let moved = "https://coupons.example.com/v2/coupons";
        let changed = runtime.block_on(replay(&original, CouponFetcher { url: moved }));
        let Some(Divergence::Action {
            original: Some(Action::HttpRequest(was)),
            replayed: Some(Action::HttpRequest(now)),
            at_ms: 0,
            ..
        }) = changed.divergence
        else {
            panic!("diverges on the request: {:?}", changed.divergence);
        };
        assert_eq!((was.url.as_str(), now.url.as_str()), (COUPONS, moved));
    }

    /// Greets (interruptibly) and apologises when interrupted: whether the customer's
    /// words landed on the greeting decides its actions.
    struct Greeter;

    impl CallScript for Greeter {
        async fn handle(&mut self, event: &Event, _: Millis) -> Result<ScriptReply, ScriptFailure> {
            let say = |text: &str| {
                Action::Say(Say {
                    text: text.into(),
                    voice: String::new(),
                    id: text.into(),
                    barge_in: true,
                })
            };
            let actions = match event {
                Event::CallStarted(_) => vec![say("hello")],
                Event::PlaybackFinished(p) if p.interrupted => vec![say("sorry, go on")],
                _ => vec![],
            };
            Ok(ScriptReply {
                actions,
                ..ScriptReply::default()
            })
        }
    }

    #[test]
    fn a_replay_waits_where_the_call_waited_for_its_audio() {
        let call = CallStarted {
            call_id: "c1".into(),
            direction: huashu_contract::Direction::Outbound,
            caller: String::new(),
            callee: String::new(),
            channel: Channel::Twilio,
            variables: Vec::new(),
            started_at_ms: 0,
            random_seed: 1,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let original = runtime.block_on(async {
            // The greeting's audio took 300 ms to synthesise: it played from 300 to 1,300,
            // so words at 1,200 interrupted it.
            let playout = SlowPlayout {
                preparing_ms: 300,
                length_ms: 1_000,
            };
            let mut session = Session::new(Greeter, playout, call, SessionConfig::default());
            session.start().await;
            session.input(1_200, CallerInput::SpeechStarted).await;
            session.hang_up(3_000, "test over").await;
            session.into_record()
        });
        assert_eq!(original.actions().count(), 2, "{:?}", original.timeline);
        let replayed = runtime.block_on(replay(&original, Greeter));
        assert_eq!(replayed.divergence, None);
        assert_eq!(
            replayed
                .record
                .actions()
                .map(|(at, _)| at)
                .collect::<Vec<_>>(),
            vec![300, 1_200]
        );
    }
}
