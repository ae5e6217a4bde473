//! Collects keypad digits for a `listen` with DTMF options: until `max-digits`, the
//! terminator, or the inter-digit timeout.

use huashu_contract::{Dtmf, DtmfEnd, DtmfOptions, Millis};

/// Digits a customer can press (`w`, a pause, is only for sending).
pub(crate) fn is_dtmf_digit(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
}

#[derive(Debug, Default)]
pub(crate) struct DtmfCollector {
    options: Option<DtmfOptions>,
    digits: String,
    deadline: Option<Millis>,
}

impl DtmfCollector {
    /// Starts collecting with `options`, or delivers single keys with `None`.
    pub(crate) fn configure(&mut self, options: Option<DtmfOptions>) {
        self.options = options;
        self.digits.clear();
        self.deadline = None;
    }

    /// Takes one key. Returns the collected input once complete.
    pub(crate) fn press(&mut self, digit: char, now: Millis) -> Option<Dtmf> {
        let Some(options) = &self.options else {
            return Some(Dtmf {
                digits: digit.to_string(),
                ended_by: DtmfEnd::Single,
            });
        };
        if options.terminator.starts_with(digit) {
            return Some(self.complete(DtmfEnd::Terminator));
        }
        self.digits.push(digit);
        if self.digits.len() >= usize::from(options.max_digits) {
            return Some(self.complete(DtmfEnd::MaxDigits));
        }
        self.deadline = Some(now + Millis::from(options.inter_digit_timeout_ms));
        None
    }

    /// When the inter-digit timeout expires, if digits are pending.
    pub(crate) fn deadline(&self) -> Option<Millis> {
        self.deadline
    }

    /// Delivers what was collected when the inter-digit timeout expired.
    pub(crate) fn expire(&mut self, now: Millis) -> Option<Dtmf> {
        match self.deadline {
            Some(deadline) if deadline <= now => Some(self.complete(DtmfEnd::Timeout)),
            _ => None,
        }
    }

    fn complete(&mut self, ended_by: DtmfEnd) -> Dtmf {
        self.deadline = None;
        self.options = None;
        Dtmf {
            digits: std::mem::take(&mut self.digits),
            ended_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(max: u8) -> Option<DtmfOptions> {
        Some(DtmfOptions {
            max_digits: max,
            terminator: "#".into(),
            inter_digit_timeout_ms: 3000,
        })
    }

    #[test]
    fn collects_until_terminator_or_max_digits() {
        let mut c = DtmfCollector::default();
        c.configure(options(8));
        assert_eq!(c.press('1', 0), None);
        assert_eq!(c.press('2', 100), None);
        let done = c.press('#', 200).expect("terminated");
        assert_eq!(
            (done.digits.as_str(), done.ended_by),
            ("12", DtmfEnd::Terminator)
        );

        c.configure(options(2));
        c.press('4', 0);
        assert_eq!(
            c.press('5', 10).map(|d| d.ended_by),
            Some(DtmfEnd::MaxDigits)
        );
    }

    #[test]
    fn delivers_partial_input_after_the_inter_digit_timeout() {
        let mut c = DtmfCollector::default();
        c.configure(options(8));
        c.press('7', 1000);
        assert_eq!(c.expire(3999), None);
        let done = c.expire(4000).expect("timed out");
        assert_eq!(
            (done.digits.as_str(), done.ended_by),
            ("7", DtmfEnd::Timeout)
        );
    }

    #[test]
    fn without_options_every_key_arrives_alone() {
        let mut c = DtmfCollector::default();
        assert_eq!(c.press('3', 0).map(|d| d.ended_by), Some(DtmfEnd::Single));
    }
}
