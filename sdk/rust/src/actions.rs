//! [`Actions`]: the list of things a handler asks the host to do, built one call at a time.
//!
//! Each method appends one action of the contract's `list<action>`, in the order called. The
//! outcome shorthands ([`Actions::intent`], [`Actions::tag`]…) are the exception: they merge
//! into a single `set-outcome` action placed where the first of them was called.

use crate::{
    Action, HttpRequest, IntentLevel, Listen, Outcome, Play, Say, SayParts, Timer, Transfer,
};

/// The actions a handler answers with. The SDK creates one per event and hands it to your
/// handler as `out`.
///
/// ```
/// use huashu_sdk::prelude::*;
///
/// let mut out = Actions::new(0);
/// out.say("王芳您好，祝您生日快乐！").barge_in().id("greeting");
/// out.listen(Listen::new().no_input_ms(6000).hints(["好的", "不需要"]));
/// out.intent(IntentLevel::A).tag("greeted");
/// assert_eq!(out.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    list: Vec<Action>,
    elapsed_ms: u64,
    /// Index of the `set-outcome` action the shorthands merge into, once there is one.
    merged_outcome: Option<usize>,
}

impl Actions {
    /// An empty list for an event that arrived `elapsed_ms` after the call started. The SDK
    /// does this for you; it is public so that you can unit-test handlers.
    pub fn new(elapsed_ms: u64) -> Self {
        Actions {
            list: Vec::new(),
            elapsed_ms,
            merged_outcome: None,
        }
    }

    /// Milliseconds from the start of the call to the event being handled.
    pub fn elapsed_ms(&self) -> u64 {
        self.elapsed_ms
    }

    /// Speak `text` with text-to-speech, after whatever is already queued. The returned
    /// handle sets the options: `out.say("…").barge_in().voice("cmn").id("offer")`.
    pub fn say(&mut self, text: impl Into<String>) -> SayHandle<'_> {
        self.list.push(Action::Say(Say {
            text: text.into(),
            voice: String::new(),
            id: String::new(),
            barge_in: false,
        }));
        SayHandle {
            list: &mut self.list,
        }
    }

    /// Play the recorded prompt uploaded as `prompt`, after whatever is already queued.
    pub fn play(&mut self, prompt: impl Into<String>) -> PlayHandle<'_> {
        self.list.push(Action::Play(Play {
            prompt: prompt.into(),
            id: String::new(),
            barge_in: false,
        }));
        PlayHandle {
            list: &mut self.list,
        }
    }

    /// Play recorded prompts with spoken variables between them as one prompt, after
    /// whatever is already queued: `out.say_parts(SayParts::new().prompt("greeting-a")
    /// .text(name).prompt("greeting-b").barge_in())`. At most [`SayParts::MAX_PARTS`] parts.
    pub fn say_parts(&mut self, parts: SayParts) -> &mut Self {
        self.push(Action::SayParts(parts))
    }

    /// Stop what is playing and drop everything queued; each reports `playback-finished`
    /// with `interrupted` set.
    pub fn stop_playback(&mut self) -> &mut Self {
        self.push(Action::StopPlayback)
    }

    /// Wait for the customer's answer. The no-input timer starts once everything queued
    /// before it has played.
    pub fn listen(&mut self, listen: Listen) -> &mut Self {
        self.push(Action::Listen(listen))
    }

    /// Start (or restart) the timer `id`; `on_timer_fired` is called `after_ms` later.
    pub fn start_timer(&mut self, id: impl Into<String>, after_ms: u32) -> &mut Self {
        self.push(Action::StartTimer(Timer {
            id: id.into(),
            after_ms,
        }))
    }

    /// Cancel the timer `id`; an unknown id is ignored.
    pub fn cancel_timer(&mut self, id: impl Into<String>) -> &mut Self {
        self.push(Action::CancelTimer(id.into()))
    }

    /// Receive the customer's audio as `audio-frame` events at `sample_rate` (8000 or 16000).
    pub fn subscribe_audio(&mut self, sample_rate: u32) -> &mut Self {
        self.push(Action::SubscribeAudio(sample_rate))
    }

    /// Stop receiving audio frames.
    pub fn unsubscribe_audio(&mut self) -> &mut Self {
        self.push(Action::UnsubscribeAudio)
    }

    /// Hand the customer to a human at `target` (number, SIP URI or agent queue). `reason` is
    /// shown to the agent. `on_transfer_result` answers.
    pub fn transfer(&mut self, target: impl Into<String>, reason: impl Into<String>) -> &mut Self {
        self.push(Action::Transfer(Transfer {
            target: target.into(),
            reason: reason.into(),
        }))
    }

    /// End the call once the queued prompts have played. `reason` goes in the call record.
    pub fn hang_up(&mut self, reason: impl Into<String>) -> &mut Self {
        self.push(Action::HangUp(reason.into()))
    }

    /// Send keypad tones (`0`-`9`, `*`, `#`, `A`-`D`, `w` for a half-second pause).
    pub fn send_dtmf(&mut self, digits: impl Into<String>) -> &mut Self {
        self.push(Action::SendDtmf(digits.into()))
    }

    /// The customer asked never to be called again: the host marks the call record as
    /// opted out and the platform puts the called number on the tenant's do-not-call list,
    /// so no campaign or SIP call reaches it again. `reason` goes in the record (the
    /// customer's words are a good one). It does not end the call: say a short goodbye and
    /// [`hang_up`](Actions::hang_up) as usual.
    ///
    /// ```
    /// use huashu_sdk::prelude::*;
    ///
    /// let mut out = Actions::new(0);
    /// out.say("好的，以后不再打扰您，再见！");
    /// out.intent(IntentLevel::D).disposition("do-not-call");
    /// out.opt_out("customer asked: 不要再打了").hang_up("opted-out");
    /// assert_eq!(out.len(), 4);
    /// ```
    pub fn opt_out(&mut self, reason: impl Into<String>) -> &mut Self {
        self.push(Action::OptOut(reason.into()))
    }

    /// Call one of the tenant's own systems, built with [`Http`](crate::Http). The handler
    /// does not wait: [`on_http_response`](crate::Dialogue::on_http_response) answers later,
    /// while whatever was queued keeps playing. Say something first if the customer would
    /// otherwise hear silence.
    ///
    /// ```
    /// use huashu_sdk::prelude::*;
    ///
    /// let mut out = Actions::new(0);
    /// out.say("好的，请稍等。");
    /// out.http(Http::get("https://crm.example.com/v1/members/42").id("member"));
    /// assert!(matches!(&out.as_slice()[1], huashu_sdk::Action::HttpRequest(r) if r.id == "member"));
    /// ```
    pub fn http(&mut self, request: impl Into<HttpRequest>) -> &mut Self {
        self.push(Action::HttpRequest(request.into()))
    }

    /// Record (part of) the call's outcome as its own `set-outcome` action. The host merges
    /// outcomes: a later intent or disposition replaces an earlier one, tags and fields add up.
    pub fn set_outcome(&mut self, outcome: Outcome) -> &mut Self {
        self.merged_outcome = None;
        self.push(Action::SetOutcome(outcome))
    }

    /// Set the outcome's intent level (A: agreed … F: invalid).
    pub fn intent(&mut self, level: IntentLevel) -> &mut Self {
        self.merged(|o| o.intent = Some(level))
    }

    /// Set the outcome's disposition, a short machine-readable result such as
    /// `coupon-accepted`.
    pub fn disposition(&mut self, disposition: impl Into<String>) -> &mut Self {
        let disposition = disposition.into();
        self.merged(|o| o.disposition = Some(disposition))
    }

    /// Add a tag to the outcome (duplicates are ignored).
    pub fn tag(&mut self, tag: impl Into<String>) -> &mut Self {
        let tag = tag.into();
        self.merged(|o| {
            if !o.tags.contains(&tag) {
                o.tags.push(tag);
            }
        })
    }

    /// Set one field of the outcome, such as `promise_date` = `2026-12-05`.
    pub fn field(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        self.merged(|o| match o.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => o.fields.push((key, value)),
        })
    }

    /// The actions added so far, in order.
    pub fn as_slice(&self) -> &[Action] {
        &self.list
    }

    /// How many actions were added.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True if no action was added.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The finished list, as the host receives it.
    pub fn into_vec(self) -> Vec<Action> {
        self.list
    }

    fn push(&mut self, action: Action) -> &mut Self {
        self.list.push(action);
        self
    }

    fn merged(&mut self, change: impl FnOnce(&mut Outcome)) -> &mut Self {
        let index = match self.merged_outcome {
            Some(index) => index,
            None => {
                self.list.push(Action::SetOutcome(Outcome::new()));
                let index = self.list.len() - 1;
                self.merged_outcome = Some(index);
                index
            }
        };
        if let Some(Action::SetOutcome(outcome)) = self.list.get_mut(index) {
            change(outcome);
        }
        self
    }
}

/// Options of a `say` just added: chain the ones you need.
pub struct SayHandle<'a> {
    list: &'a mut Vec<Action>,
}

impl SayHandle<'_> {
    /// Let the customer interrupt it by speaking or pressing a key.
    pub fn barge_in(self) -> Self {
        self.edit(|say| say.barge_in = true)
    }

    /// Use this text-to-speech voice (e.g. `cmn`, `en-us`) instead of the tenant's default.
    pub fn voice(self, voice: impl Into<String>) -> Self {
        let voice = voice.into();
        self.edit(|say| say.voice = voice)
    }

    /// Name it, so that its `playback-finished` event can be recognised.
    pub fn id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.edit(|say| say.id = id)
    }

    fn edit(self, change: impl FnOnce(&mut Say)) -> Self {
        if let Some(Action::Say(say)) = self.list.last_mut() {
            change(say);
        }
        self
    }
}

/// Options of a `play` just added: chain the ones you need.
pub struct PlayHandle<'a> {
    list: &'a mut Vec<Action>,
}

impl PlayHandle<'_> {
    /// Let the customer interrupt it by speaking or pressing a key.
    pub fn barge_in(self) -> Self {
        self.edit(|play| play.barge_in = true)
    }

    /// Name it, so that its `playback-finished` event can be recognised.
    pub fn id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.edit(|play| play.id = id)
    }

    fn edit(self, change: impl FnOnce(&mut Play)) -> Self {
        if let Some(Action::Play(play)) = self.list.last_mut() {
            change(play);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn say_handle_sets_options_on_the_say_it_created() {
        let mut out = Actions::new(0);
        out.say("您好").barge_in().voice("cmn").id("greeting");
        out.say("再见");
        let [Action::Say(first), Action::Say(second)] = out.as_slice() else {
            panic!("expected two says, got {:?}", out.as_slice());
        };
        assert!(first.barge_in);
        assert_eq!(
            (first.voice.as_str(), first.id.as_str()),
            ("cmn", "greeting")
        );
        assert!(!second.barge_in);
        assert_eq!(second.id, "");
    }

    #[test]
    fn play_handle_sets_options() {
        let mut out = Actions::new(0);
        out.play("greeting").barge_in().id("g1");
        assert_eq!(
            out.as_slice(),
            [Action::Play(Play {
                prompt: "greeting".into(),
                id: "g1".into(),
                barge_in: true
            })]
        );
    }

    #[test]
    fn outcome_shorthands_merge_into_one_action_where_first_called() {
        let mut out = Actions::new(0);
        out.intent(IntentLevel::B);
        out.say("好的");
        out.tag("callback").tag("callback").field("when", "明天");
        out.field("when", "2026-11-24").disposition("callback");
        out.hang_up("done");
        let list = out.into_vec();
        assert_eq!(list.len(), 3);
        assert_eq!(
            list[0],
            Action::SetOutcome(Outcome {
                intent: Some(IntentLevel::B),
                disposition: Some("callback".into()),
                tags: vec!["callback".into()],
                fields: vec![("when".into(), "2026-11-24".into())],
            })
        );
        assert_eq!(list[2], Action::HangUp("done".into()));
    }

    #[test]
    fn shorthands_after_set_outcome_start_a_new_action_so_order_is_kept() {
        let mut out = Actions::new(0);
        out.intent(IntentLevel::A);
        out.set_outcome(Outcome::intent(IntentLevel::B));
        out.intent(IntentLevel::C);
        let intents: Vec<_> = out
            .as_slice()
            .iter()
            .filter_map(|a| match a {
                Action::SetOutcome(o) => o.intent,
                _ => None,
            })
            .collect();
        assert_eq!(intents, [IntentLevel::A, IntentLevel::B, IntentLevel::C]);
    }

    #[test]
    fn simple_actions_are_appended_in_order() {
        let mut out = Actions::new(42);
        out.stop_playback()
            .start_timer("t", 5000)
            .cancel_timer("t")
            .subscribe_audio(16000)
            .unsubscribe_audio()
            .send_dtmf("1w#")
            .transfer("sip:agent@example.com", "dispute")
            .opt_out("asked not to be called")
            .hang_up("bye");
        assert_eq!(out.elapsed_ms(), 42);
        assert_eq!(
            out.into_vec(),
            [
                Action::StopPlayback,
                Action::StartTimer(Timer {
                    id: "t".into(),
                    after_ms: 5000
                }),
                Action::CancelTimer("t".into()),
                Action::SubscribeAudio(16000),
                Action::UnsubscribeAudio,
                Action::SendDtmf("1w#".into()),
                Action::Transfer(Transfer {
                    target: "sip:agent@example.com".into(),
                    reason: "dispute".into()
                }),
                Action::OptOut("asked not to be called".into()),
                Action::HangUp("bye".into()),
            ]
        );
    }
}
