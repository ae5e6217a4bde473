//! Conversions between [`huashu_contract`] types and the generated component bindings.
//! This is the only place the two meet.
//!
//! Each contract version has its own generated types. Their shapes are the same except
//! where a version added something, so the arms they share are written once
//! (`conversions!`) and each version module spells out only what differs: how a
//! [`huashu_contract::Channel`] reads to its scripts, and the actions it added. A 0.1.0
//! script never sees `sip` and cannot return `opt-out`: its types have neither.

/// `event_to_wit` and `action_from_wit` for the version whose types are in scope as `wit`;
/// `channel_to_wit`, `transcript` and `listen_from_wit` must be defined beside it, `extra_events` lists the arms for the events
/// that version added (an event a version lacks converts to `None` and is not delivered),
/// and `extra_actions` the arms for the actions it added.
macro_rules! conversions {
    (
        extra_events: { $($event_pattern:pat => $event:expr,)* }
        extra_actions: { $($pattern:pat => $action:expr,)* }
    ) => {
        pub(crate) fn event_to_wit(event: &c::Event) -> Option<wit::Event> {
            Some(match event {
                c::Event::CallStarted(s) => wit::Event::CallStarted(wit::CallStarted {
                    call_id: s.call_id.clone(),
                    direction: match s.direction {
                        c::Direction::Outbound => wit::Direction::Outbound,
                        c::Direction::Inbound => wit::Direction::Inbound,
                    },
                    caller: s.caller.clone(),
                    callee: s.callee.clone(),
                    channel: channel_to_wit(s.channel),
                    variables: s.variables.clone(),
                    started_at_ms: s.started_at_ms,
                    random_seed: s.random_seed,
                }),
                c::Event::SpeechStarted => wit::Event::SpeechStarted,
                c::Event::PartialTranscript(t) => wit::Event::PartialTranscript(transcript(t)),
                c::Event::FinalTranscript(t) => wit::Event::FinalTranscript(transcript(t)),
                c::Event::NoInput(n) => wit::Event::NoInput(wit::NoInput { count: n.count }),
                c::Event::Dtmf(d) => wit::Event::Dtmf(wit::Dtmf {
                    digits: d.digits.clone(),
                    ended_by: match d.ended_by {
                        c::DtmfEnd::MaxDigits => wit::DtmfEnd::MaxDigits,
                        c::DtmfEnd::Terminator => wit::DtmfEnd::Terminator,
                        c::DtmfEnd::Timeout => wit::DtmfEnd::Timeout,
                        c::DtmfEnd::Single => wit::DtmfEnd::Single,
                    },
                }),
                c::Event::PlaybackFinished(p) => wit::Event::PlaybackFinished(wit::PlaybackFinished {
                    id: p.id.clone(),
                    interrupted: p.interrupted,
                    played_ms: p.played_ms,
                    total_ms: p.total_ms,
                }),
                c::Event::TimerFired { id } => wit::Event::TimerFired(wit::TimerFired { id: id.clone() }),
                c::Event::AudioFrame(f) => wit::Event::AudioFrame(wit::AudioFrame {
                    samples: f.samples.clone(),
                    sample_rate: f.sample_rate,
                }),
                c::Event::TransferResult(r) => wit::Event::TransferResult(match r {
                    c::TransferResult::Connected => wit::TransferResult::Connected,
                    c::TransferResult::Failed(why) => wit::TransferResult::Failed(why.clone()),
                }),
                c::Event::HangUp(h) => wit::Event::HangUp(wit::HangUp {
                    by: match h.by {
                        c::Party::Customer => wit::Party::Customer,
                        c::Party::Script => wit::Party::Script,
                        c::Party::Host => wit::Party::Host,
                    },
                    reason: h.reason.clone(),
                }),
                $($event_pattern => $event,)*
            })
        }

        fn alternatives(t: &c::Transcript) -> Vec<wit::Alternative> {
            t.alternatives
                .iter()
                .map(|a| wit::Alternative {
                    text: a.text.clone(),
                    confidence: a.confidence,
                })
                .collect()
        }

        fn dtmf_options(d: wit::DtmfOptions) -> c::DtmfOptions {
            c::DtmfOptions {
                max_digits: d.max_digits,
                terminator: d.terminator,
                inter_digit_timeout_ms: d.inter_digit_timeout_ms,
            }
        }

        pub(crate) fn action_from_wit(action: wit::Action) -> c::Action {
            match action {
                wit::Action::Play(p) => c::Action::Play(c::Play {
                    prompt: p.prompt,
                    id: p.id,
                    barge_in: p.barge_in,
                }),
                wit::Action::Say(s) => c::Action::Say(c::Say {
                    text: s.text,
                    voice: s.voice,
                    id: s.id,
                    barge_in: s.barge_in,
                }),
                wit::Action::StopPlayback => c::Action::StopPlayback,
                wit::Action::Listen(l) => c::Action::Listen(listen_from_wit(l)),
                wit::Action::StartTimer(t) => c::Action::StartTimer(c::Timer {
                    id: t.id,
                    after_ms: t.after_ms,
                }),
                wit::Action::CancelTimer(id) => c::Action::CancelTimer { id },
                wit::Action::SubscribeAudio(sample_rate) => c::Action::SubscribeAudio { sample_rate },
                wit::Action::UnsubscribeAudio => c::Action::UnsubscribeAudio,
                wit::Action::Transfer(t) => c::Action::Transfer(c::Transfer {
                    target: t.target,
                    reason: t.reason,
                }),
                wit::Action::HangUp(reason) => c::Action::HangUp { reason },
                wit::Action::SetOutcome(o) => c::Action::SetOutcome(c::Outcome {
                    intent: o.intent.map(|i| match i {
                        wit::IntentLevel::A => c::IntentLevel::A,
                        wit::IntentLevel::B => c::IntentLevel::B,
                        wit::IntentLevel::C => c::IntentLevel::C,
                        wit::IntentLevel::D => c::IntentLevel::D,
                        wit::IntentLevel::E => c::IntentLevel::E,
                        wit::IntentLevel::F => c::IntentLevel::F,
                    }),
                    disposition: o.disposition,
                    tags: o.tags,
                    fields: o.fields,
                    // Only the `opt-out` action sets these, never `set-outcome`.
                    ..c::Outcome::default()
                }),
                wit::Action::SendDtmf(digits) => c::Action::SendDtmf { digits },
                $($pattern => $action,)*
            }
        }
    };
}

/// `huashu:dialogue@0.1.0`.
pub(crate) mod v0_1 {
    use crate::bindings::v0_1::huashu::dialogue::types as wit;
    use huashu_contract as c;

    /// 0.1.0 has no `sip` case: a script written for it reads a SIP call as what it is to
    /// the script, a telephone call from a gateway.
    fn channel_to_wit(channel: c::Channel) -> wit::Channel {
        match channel {
            c::Channel::Browser => wit::Channel::Browser,
            c::Channel::Twilio | c::Channel::Sip => wit::Channel::Twilio,
            c::Channel::Text => wit::Channel::Text,
        }
    }

    /// 0.1.0 transcripts have no `not-understood`: the script sees the empty text.
    fn transcript(t: &c::Transcript) -> wit::Transcript {
        wit::Transcript {
            text: t.text.clone(),
            confidence: t.confidence,
            alternatives: alternatives(t),
        }
    }

    /// 0.1.0 listens have no language (the module's applies) and no hint silence.
    fn listen_from_wit(l: wit::Listen) -> c::Listen {
        c::Listen {
            no_input_ms: l.no_input_ms,
            end_silence_ms: l.end_silence_ms,
            max_speech_ms: l.max_speech_ms,
            hints: l.hints,
            dtmf: l.dtmf.map(dtmf_options),
            ..c::Listen::default()
        }
    }

    // 0.1.0 scripts cannot make HTTP requests, so they are never answered.
    conversions!(
        extra_events: { c::Event::HttpResponse(_) => return None, }
        extra_actions: {}
    );
}

/// `huashu:dialogue@0.2.0`: the real `sip` channel, `opt-out`, outbound HTTP, listen
/// languages, `not-understood` and `say-parts`.
pub(crate) mod v0_2 {
    use crate::bindings::v0_2::huashu::dialogue::types as wit;
    use huashu_contract as c;

    fn channel_to_wit(channel: c::Channel) -> wit::Channel {
        match channel {
            c::Channel::Browser => wit::Channel::Browser,
            c::Channel::Twilio => wit::Channel::Twilio,
            c::Channel::Sip => wit::Channel::Sip,
            c::Channel::Text => wit::Channel::Text,
        }
    }

    fn transcript(t: &c::Transcript) -> wit::Transcript {
        wit::Transcript {
            text: t.text.clone(),
            confidence: t.confidence,
            alternatives: alternatives(t),
            not_understood: t.not_understood.as_ref().map(|why| match why {
                c::NotUnderstood::NoRecogniser(language) => {
                    wit::NotUnderstood::NoRecogniser(language.clone())
                }
                c::NotUnderstood::NoMatch => wit::NotUnderstood::NoMatch,
                c::NotUnderstood::Failed(why) => wit::NotUnderstood::Failed(why.clone()),
            }),
        }
    }

    fn listen_from_wit(l: wit::Listen) -> c::Listen {
        c::Listen {
            no_input_ms: l.no_input_ms,
            end_silence_ms: l.end_silence_ms,
            max_speech_ms: l.max_speech_ms,
            hints: l.hints,
            dtmf: l.dtmf.map(dtmf_options),
            language: l.language,
            hint_silence_ms: l.hint_silence_ms,
        }
    }

    conversions!(
        extra_events: {
            c::Event::HttpResponse(result) => wit::Event::HttpResponse(http_result_to_wit(result)),
        }
        extra_actions: {
            wit::Action::OptOut(reason) => c::Action::OptOut { reason },
            wit::Action::HttpRequest(r) => c::Action::HttpRequest(c::HttpRequest {
                id: r.id,
                method: r.method,
                url: r.url,
                headers: r.headers,
                secret_headers: r.secret_headers,
                body: r.body,
                read_headers: r.read_headers,
                timeout_ms: r.timeout_ms,
            }),
            wit::Action::SayParts(s) => c::Action::SayParts(c::SayParts {
                parts: s
                    .parts
                    .into_iter()
                    .map(|part| match part {
                        wit::SpeechPart::Prompt(name) => c::SpeechPart::Prompt(name),
                        wit::SpeechPart::Text(text) => c::SpeechPart::Text(text),
                    })
                    .collect(),
                voice: s.voice,
                id: s.id,
                barge_in: s.barge_in,
            }),
        }
    );

    fn http_result_to_wit(result: &c::HttpResult) -> wit::HttpResult {
        wit::HttpResult {
            id: result.id.clone(),
            outcome: match &result.outcome {
                Ok(response) => Ok(wit::HttpResponse {
                    status: response.status,
                    headers: response.headers.clone(),
                    body: response.body.clone(),
                }),
                Err(error) => Err(match error {
                    c::HttpError::Refused(why) => wit::HttpError::Refused(why.clone()),
                    c::HttpError::Limited(why) => wit::HttpError::Limited(why.clone()),
                    c::HttpError::Timeout => wit::HttpError::Timeout,
                    c::HttpError::TooLarge => wit::HttpError::TooLarge,
                    c::HttpError::Failed(why) => wit::HttpError::Failed(why.clone()),
                }),
            },
            elapsed_ms: result.elapsed_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_contract as c;

    fn call_started(channel: c::Channel) -> c::Event {
        c::Event::CallStarted(c::CallStarted {
            call_id: "c1".into(),
            direction: c::Direction::Outbound,
            caller: "4008001234".into(),
            callee: "13800138000".into(),
            channel,
            variables: Vec::new(),
            started_at_ms: 0,
            random_seed: 1,
        })
    }

    #[test]
    fn a_sip_call_reads_as_twilio_to_0_1_scripts_and_as_sip_to_0_2_scripts() {
        use crate::bindings::v0_1::huashu::dialogue::types as old;
        use crate::bindings::v0_2::huashu::dialogue::types as new;
        let event = call_started(c::Channel::Sip);
        let Some(old::Event::CallStarted(started)) = v0_1::event_to_wit(&event) else {
            panic!("a call-started event stays one");
        };
        assert!(matches!(started.channel, old::Channel::Twilio));
        let Some(new::Event::CallStarted(started)) = v0_2::event_to_wit(&event) else {
            panic!("a call-started event stays one");
        };
        assert!(matches!(started.channel, new::Channel::Sip));
    }

    #[test]
    fn a_0_2_opt_out_becomes_the_contract_opt_out() {
        use crate::bindings::v0_2::huashu::dialogue::types as wit;
        assert_eq!(
            v0_2::action_from_wit(wit::Action::OptOut("customer asked".into())),
            c::Action::OptOut {
                reason: "customer asked".into()
            }
        );
    }
}
