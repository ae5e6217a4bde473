//! Builder methods on the contract's [`Listen`] record: how long to wait for the customer,
//! which phrases and language to expect, and whether to collect keypad digits.

use crate::{DtmfOptions, Listen};

impl Listen {
    /// Wait for the customer with the host's defaults: no no-input timeout, no hints, and
    /// each key press delivered on its own.
    pub fn new() -> Self {
        Listen {
            no_input_ms: 0,
            end_silence_ms: 0,
            max_speech_ms: 0,
            hints: Vec::new(),
            dtmf: None,
            language: String::new(),
            hint_silence_ms: 0,
        }
    }

    /// The language the customer is expected to speak, as a BCP 47 tag (`zh-CN`, `en-US`);
    /// without it the module's language applies (given at upload), else the tenant's.
    pub fn language(mut self, tag: impl Into<String>) -> Self {
        self.language = tag.into();
        self
    }

    /// Silence that ends an utterance once what was said matches a hint (0: the host
    /// default, 200 ms). Raise it for customers who pause mid-answer.
    pub fn hint_silence_ms(mut self, ms: u32) -> Self {
        self.hint_silence_ms = ms;
        self
    }

    /// Raise `no-input` if the customer neither speaks nor presses a key for `ms` after the
    /// prompts finished (0: never).
    pub fn no_input_ms(mut self, ms: u32) -> Self {
        self.no_input_ms = ms;
        self
    }

    /// Silence that ends an utterance (0: the host default).
    pub fn end_silence_ms(mut self, ms: u32) -> Self {
        self.end_silence_ms = ms;
        self
    }

    /// Cut an utterance off after `ms` (0: the host default).
    pub fn max_speech_ms(mut self, ms: u32) -> Self {
        self.max_speech_ms = ms;
        self
    }

    /// Phrases the customer is likely to say; the recogniser favours them. Adds to any hints
    /// given before.
    pub fn hints<I, S>(mut self, hints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hints.extend(hints.into_iter().map(Into::into));
        self
    }

    /// Collect keypad input: deliver the digits once `max_digits` (1 to 32) were pressed, when
    /// `terminator` (usually `#`, or empty for none) is pressed, or after
    /// `inter_digit_timeout_ms` without a key.
    pub fn dtmf(
        mut self,
        max_digits: u8,
        terminator: impl Into<String>,
        inter_digit_timeout_ms: u32,
    ) -> Self {
        self.dtmf = Some(DtmfOptions {
            max_digits,
            terminator: terminator.into(),
            inter_digit_timeout_ms,
        });
        self
    }
}

impl Default for Listen {
    fn default() -> Self {
        Listen::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_every_option() {
        let listen = Listen::new()
            .no_input_ms(6000)
            .end_silence_ms(800)
            .max_speech_ms(15000)
            .hints(["好的", "不需要"])
            .hints(vec![String::from("yes")])
            .dtmf(8, "#", 5000)
            .language("zh-CN")
            .hint_silence_ms(300);
        assert_eq!(listen.no_input_ms, 6000);
        assert_eq!(listen.end_silence_ms, 800);
        assert_eq!(listen.max_speech_ms, 15000);
        assert_eq!(listen.hints, ["好的", "不需要", "yes"]);
        assert_eq!(listen.language, "zh-CN");
        assert_eq!(listen.hint_silence_ms, 300);
        assert_eq!(
            listen.dtmf,
            Some(DtmfOptions {
                max_digits: 8,
                terminator: "#".into(),
                inter_digit_timeout_ms: 5000
            })
        );
    }

    #[test]
    fn default_uses_host_defaults() {
        assert_eq!(Listen::default(), Listen::new());
        assert_eq!(Listen::new().dtmf, None);
    }
}
