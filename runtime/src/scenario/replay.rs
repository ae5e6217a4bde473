//! Replaying a recorded call against another module version: the same customer, at the same
//! moments, saying the same things — and where the bot's behaviour diverges.
//!
//! The recorded inputs (speech, keys, transfer answers, hang-up) are fed to a fresh session
//! at their original call times, with the original `call-started` (same variables, clock
//! and random seed), so a module that behaves the same produces the same actions.

use std::collections::BTreeMap;

use crate::contract::{Action, CallScript, Channel, Millis, Outcome, Play, Say};
use crate::session::{
    CallRecord, EstimatedPlayout, InstantPlayout, PlaySource, Playout, Session, SessionConfig,
};

/// Where a replay first differs from the original.
#[derive(Debug, Clone, PartialEq)]
pub enum Divergence {
    /// The `index`-th action differs (or exists on one side only).
    Action {
        index: usize,
        at_ms: Millis,
        original: Option<Action>,
        replayed: Option<Action>,
        /// What the customer said last before it, for context.
        after_customer: Option<String>,
    },
    /// Same actions, different outcome.
    Outcome {
        original: Outcome,
        replayed: Outcome,
    },
}

/// The result of a replay.
#[derive(Debug, Clone)]
pub struct Replay {
    pub record: CallRecord,
    pub divergence: Option<Divergence>,
}

/// Playback timed as the recorded call timed it: the lengths in its record (a voice
/// call's real audio), and the channel's own rule for anything the original never played.
struct RecordedPlayout {
    lengths: BTreeMap<String, u32>,
    otherwise: Box<dyn Playout>,
}

impl Playout for RecordedPlayout {
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
}

/// The playout a recorded call used, so timings match.
fn playout_for(original: &CallRecord) -> Box<dyn Playout> {
    let otherwise: Box<dyn Playout> = match original.call.channel {
        Channel::Text => Box::new(InstantPlayout),
        Channel::Browser | Channel::Twilio => Box::new(EstimatedPlayout::default()),
    };
    Box::new(RecordedPlayout {
        lengths: original.playout_ms.clone(),
        otherwise,
    })
}

/// Re-runs `original`'s customer inputs against `script`.
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
                .filter(|l| l.speaker == crate::session::Speaker::Customer && l.at_ms <= at_ms)
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
