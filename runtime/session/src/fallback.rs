//! What the host does when a script fails mid-call (server-wide today; per tenant once the
//! tenant settings carry it).

use serde::{Deserialize, Serialize};

use super::playout::estimate_speech_ms;
use super::{AfterPlayback, PlayItem, PlaySource, Playout, Session, TimelineEntry};
use huashu_contract::{CallScript, Party, ScriptFailure, Transfer};

/// The tenant's fallback. The script is never called again after a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fallback {
    /// Say `text` (not interruptible) and hang up.
    Apologize {
        /// What the bot says before hanging up, spoken by text-to-speech.
        text: String,
        /// Voice name (e.g. `en-us`, `cmn`); empty means the tenant's default voice.
        voice: String,
    },
    /// Hand the customer to a human; if the transfer fails, the host hangs up.
    Transfer {
        /// Phone number, SIP URI or agent queue name, as the operator's gateway understands it.
        target: String,
    },
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback::Apologize {
            text: "非常抱歉，系统出现问题，我们稍后再联系您。Sorry, something went wrong; we will call you back."
                .into(),
            voice: String::new(),
        }
    }
}

impl<S: CallScript, P: Playout> Session<S, P> {
    /// The script failed: it is never called again, and the tenant's fallback runs.
    pub(super) fn fail(&mut self, failure: ScriptFailure) {
        self.record.timeline.push(TimelineEntry::Failure {
            at_ms: self.now,
            failure: failure.clone(),
        });
        self.record.error = Some(failure);
        self.script = None;
        self.pending.clear();
        if self.ended {
            return;
        }
        self.listening = None;
        self.stop_playback();
        self.timers.clear();
        self.no_input_at = None;
        self.dtmf.configure(None);
        match self.config.fallback.clone() {
            Fallback::Apologize { text, voice } => {
                let say = huashu_contract::Say {
                    id: "fallback".into(),
                    text,
                    voice,
                    barge_in: false,
                };
                let total_ms = self
                    .playout
                    .speech_ms(&say)
                    .unwrap_or_else(|_| estimate_speech_ms(&say.text));
                self.enqueue(PlayItem {
                    id: say.id,
                    source: PlaySource::Speech {
                        text: say.text,
                        voice: say.voice,
                    },
                    barge_in: false,
                    total_ms,
                });
                self.after_playback = Some(AfterPlayback::HangUp {
                    by: Party::Host,
                    reason: "script-failed".into(),
                });
            }
            Fallback::Transfer { target } => {
                self.after_playback = Some(AfterPlayback::Transfer(Transfer {
                    target,
                    reason: "script-failed".into(),
                }));
            }
        }
    }
}
