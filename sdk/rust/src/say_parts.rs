//! Builder methods on the contract's [`SayParts`] record: recorded prompts with spoken
//! variables (a name, an amount) between them, played as one seamless prompt.

use crate::{SayParts, SpeechPart};

impl SayParts {
    /// The most parts one `say-parts` may have (the contract's limit); the host refuses a
    /// longer one. Split a longer sentence into several actions.
    pub const MAX_PARTS: usize = 16;

    /// No parts yet, the tenant's default voice, no id, no barge-in.
    ///
    /// ```
    /// use huashu_sdk::prelude::*;
    ///
    /// let mut out = Actions::new(0);
    /// out.say_parts(
    ///     SayParts::new()
    ///         .prompt("greeting-a")
    ///         .text("王芳")
    ///         .prompt("greeting-b")
    ///         .voice("cmn")
    ///         .barge_in()
    ///         .id("greeting"),
    /// );
    /// assert_eq!(out.len(), 1);
    /// ```
    pub fn new() -> Self {
        SayParts {
            parts: Vec::new(),
            voice: String::new(),
            id: String::new(),
            barge_in: false,
        }
    }

    /// Append the tenant's uploaded recording `name` (as for [`Actions::play`](crate::Actions::play)).
    pub fn prompt(mut self, name: impl Into<String>) -> Self {
        self.parts.push(SpeechPart::Prompt(name.into()));
        self
    }

    /// Append `text`, spoken with text-to-speech in the action's voice.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.parts.push(SpeechPart::Text(text.into()));
        self
    }

    /// Speak the text parts in this voice (e.g. `cmn`) instead of the tenant's default.
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = voice.into();
        self
    }

    /// Name it, so that its `playback-finished` event can be recognised.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Let the customer interrupt it by speaking or pressing a key.
    pub fn barge_in(mut self) -> Self {
        self.barge_in = true;
        self
    }
}

impl Default for SayParts {
    fn default() -> Self {
        SayParts::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Actions};

    #[test]
    fn parts_keep_the_order_they_were_added_in() {
        let parts = SayParts::new()
            .prompt("greeting-a")
            .text("王芳")
            .prompt("greeting-b");
        assert_eq!(
            parts.parts,
            [
                SpeechPart::Prompt("greeting-a".into()),
                SpeechPart::Text("王芳".into()),
                SpeechPart::Prompt("greeting-b".into()),
            ]
        );
    }

    #[test]
    fn options_default_to_the_host_defaults_and_can_be_set() {
        assert_eq!(SayParts::default(), SayParts::new());
        let plain = SayParts::new().text("您好");
        assert_eq!(
            (plain.voice.as_str(), plain.id.as_str(), plain.barge_in),
            ("", "", false)
        );
        let set = SayParts::new().voice("cmn").id("greeting").barge_in();
        assert_eq!(
            (set.voice.as_str(), set.id.as_str(), set.barge_in),
            ("cmn", "greeting", true)
        );
    }

    #[test]
    fn say_parts_is_one_action_queued_in_order() {
        let mut out = Actions::new(0);
        out.say("您好");
        out.say_parts(
            SayParts::new()
                .prompt("amount-a")
                .text("50")
                .prompt("amount-b"),
        )
        .hang_up("done");
        let [Action::Say(_), Action::SayParts(parts), Action::HangUp(_)] = out.as_slice() else {
            panic!("expected say, say-parts, hang-up: {:?}", out.as_slice());
        };
        assert_eq!(parts.parts.len(), 3);
    }
}
