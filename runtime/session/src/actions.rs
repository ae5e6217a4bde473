//! Carrying out one action of the script's reply. An action that cannot be carried out is
//! the script's bug: the error string says why, and the session runs the fallback.

use super::dtmf_collector::is_dtmf_digit;
use super::http_requests::Verdict;
use super::{AfterPlayback, Output, PlayItem, PlaySource, Playout, Session};
use huashu_contract::{Action, CallScript, Event, Listen, Millis, Party, SayParts, SpeechPart};

/// Longest timer a script may start: one hour, far beyond any call.
const MAX_TIMER_MS: u32 = 60 * 60 * 1000;
/// Most digits one DTMF collection may ask for (card and account numbers fit).
const MAX_DTMF_DIGITS: u8 = 32;
/// Sample rates a script may subscribe to audio at.
const AUDIO_RATES: [u32; 2] = [8_000, 16_000];

impl<S: CallScript, P: Playout> Session<S, P> {
    pub(super) fn apply(&mut self, action: Action) -> Result<(), String> {
        match action {
            Action::Play(play) => {
                if play.prompt.is_empty() {
                    return Err("`play` needs the name of an uploaded prompt".into());
                }
                let total_ms = self.playout.prompt_ms(&play)?;
                let id = self.item_id(play.id);
                self.enqueue(PlayItem {
                    id,
                    source: PlaySource::Prompt { name: play.prompt },
                    barge_in: play.barge_in,
                    total_ms,
                });
            }
            Action::Say(say) => {
                if say.text.trim().is_empty() {
                    return Err("`say` needs some text".into());
                }
                let total_ms = self.playout.speech_ms(&say)?;
                let id = self.item_id(say.id);
                self.enqueue(PlayItem {
                    id,
                    source: PlaySource::Speech {
                        text: say.text,
                        voice: say.voice,
                    },
                    barge_in: say.barge_in,
                    total_ms,
                });
            }
            Action::SayParts(say) => {
                check_parts(&say)?;
                let total_ms = self.playout.parts_ms(&say)?;
                let id = self.item_id(say.id);
                self.enqueue(PlayItem {
                    id,
                    source: PlaySource::Parts {
                        parts: say.parts,
                        voice: say.voice,
                    },
                    barge_in: say.barge_in,
                    total_ms,
                });
            }
            Action::StopPlayback => self.stop_playback(),
            Action::Listen(listen) => self.listen(listen)?,
            Action::StartTimer(timer) => {
                if timer.id.is_empty() {
                    return Err("`start-timer` needs an id".into());
                }
                if timer.after_ms == 0 || timer.after_ms > MAX_TIMER_MS {
                    return Err(format!(
                        "timer `{}` must fire 1 ms to 1 hour from now, not {} ms",
                        timer.id, timer.after_ms
                    ));
                }
                self.timers
                    .insert(timer.id, self.now + Millis::from(timer.after_ms));
            }
            Action::CancelTimer { id } => {
                self.timers.remove(&id);
            }
            Action::SubscribeAudio { sample_rate } => {
                if !AUDIO_RATES.contains(&sample_rate) {
                    return Err(format!(
                        "audio can be delivered at 8000 or 16000 Hz, not {sample_rate}"
                    ));
                }
                self.subscribe_audio(Some(sample_rate));
            }
            Action::UnsubscribeAudio => self.subscribe_audio(None),
            Action::Transfer(transfer) => {
                if transfer.target.trim().is_empty() {
                    return Err("`transfer` needs a target".into());
                }
                self.finish_with(AfterPlayback::Transfer(transfer))?;
            }
            Action::HangUp { reason } => self.finish_with(AfterPlayback::HangUp {
                by: Party::Script,
                reason: if reason.is_empty() {
                    "completed".into()
                } else {
                    reason
                },
            })?,
            Action::SetOutcome(outcome) => self.record.outcome.merge(outcome),
            // Recorded only: the call goes on until the script hangs up, and the do-not-call
            // list is the campaigns stage's business, read from the record.
            Action::OptOut { reason } => self.record.outcome.opt_out(reason),
            Action::HttpRequest(request) => match self.http.ask(request, self.now) {
                Verdict::Send(request) => self.outputs.push(Output::HttpRequest {
                    at_ms: self.now,
                    request,
                }),
                Verdict::Answer(result) => self.pending.push_back(Event::HttpResponse(result)),
            },
            Action::SendDtmf { digits } => {
                if digits.is_empty() || !digits.chars().all(|c| is_dtmf_digit(c) || c == 'w') {
                    return Err(format!(
                        "`send-dtmf` takes 0-9, *, #, A-D and w, not `{digits}`"
                    ));
                }
                self.outputs.push(Output::SendDtmf {
                    at_ms: self.now,
                    digits,
                });
            }
        }
        Ok(())
    }

    fn item_id(&mut self, id: String) -> String {
        if id.is_empty() {
            self.playback.assign_id()
        } else {
            id
        }
    }

    fn listen(&mut self, listen: Listen) -> Result<(), String> {
        if let Some(dtmf) = &listen.dtmf {
            if dtmf.max_digits == 0 || dtmf.max_digits > MAX_DTMF_DIGITS {
                return Err(format!(
                    "DTMF collection takes 1 to {MAX_DTMF_DIGITS} digits, not {}",
                    dtmf.max_digits
                ));
            }
            if dtmf.terminator.chars().count() > 1
                || dtmf.terminator.chars().any(|c| !is_dtmf_digit(c))
            {
                return Err(format!(
                    "the DTMF terminator must be one key, not `{}`",
                    dtmf.terminator
                ));
            }
        }
        self.dtmf.configure(listen.dtmf.clone());
        self.no_input_at = None;
        self.listening = Some(listen);
        self.listen_announced = false;
        self.arm_no_input();
        Ok(())
    }

    /// Media delivers the customer's audio at `rate` from now on (`None`: no more).
    fn subscribe_audio(&mut self, rate: Option<u32>) {
        if self.audio_rate != rate {
            self.audio_rate = rate;
            self.outputs.push(Output::AudioSubscription {
                at_ms: self.now,
                sample_rate: rate,
            });
        }
    }

    /// Records a transfer or hang-up to carry out once queued prompts have played.
    fn finish_with(&mut self, next: AfterPlayback) -> Result<(), String> {
        if self.awaiting_transfer {
            return Err("a transfer is already under way".into());
        }
        self.after_playback = Some(next);
        Ok(())
    }
}

/// Why a `say-parts` cannot be played as the script wrote it, if it cannot: 1 to
/// [`SayParts::MAX_PARTS`] parts, each prompt named, each text with something to say.
fn check_parts(say: &SayParts) -> Result<(), String> {
    if say.parts.is_empty() {
        return Err("`say-parts` needs at least one part".into());
    }
    if say.parts.len() > SayParts::MAX_PARTS {
        return Err(format!(
            "`say-parts` joins at most {} parts, not {}",
            SayParts::MAX_PARTS,
            say.parts.len()
        ));
    }
    for (n, part) in say.parts.iter().enumerate().map(|(i, p)| (i + 1, p)) {
        match part {
            SpeechPart::Prompt(name) if name.is_empty() => {
                return Err(format!(
                    "part {n} of `say-parts` needs the name of an uploaded prompt"
                ));
            }
            SpeechPart::Text(text) if text.trim().is_empty() => {
                return Err(format!(
                    "part {n} of `say-parts` is blank text: leave it out or give it words"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
