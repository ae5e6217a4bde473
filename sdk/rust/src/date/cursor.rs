//! [`Cursor`]: the small hand-written scanner the date phrase patterns are built from.

use super::calendar::Date;
use super::phrase::Found;
use crate::number::{take_english_number, take_number};

/// A position in the text being matched, advanced by the `eat…` methods only on success.
pub(super) struct Cursor<'a> {
    text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(super) fn text_before(&self) -> &'a str {
        &self.text[..self.pos]
    }

    pub(super) fn eat(&mut self, literal: &str) -> bool {
        let ok = self.rest().starts_with(literal);
        if ok {
            self.pos += literal.len();
        }
        ok
    }

    /// Eats the first of `literals` that matches (list longer ones first) and returns its
    /// index.
    pub(super) fn eat_any(&mut self, literals: &[&str]) -> Option<usize> {
        literals.iter().position(|l| self.eat(l))
    }

    /// Eats an English word from `words` that is not followed by more letters.
    pub(super) fn eat_word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let index = words.iter().position(|w| *w == &rest[..len])?;
        self.pos += len;
        Some(index)
    }

    pub(super) fn char(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn number(&mut self) -> Option<u32> {
        let (n, len) = take_number(self.rest())?;
        self.pos += len;
        Some(n)
    }

    pub(super) fn arabic_number(&mut self, max_len: usize) -> Option<u32> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if len == 0 || len > max_len {
            return None;
        }
        self.pos += len;
        rest[..len].parse().ok()
    }

    pub(super) fn english_number(&mut self) -> Option<u32> {
        if let Some(n) = self.arabic_number(3) {
            return Some(n);
        }
        let (n, len) = take_english_number(self.rest())?;
        self.pos += len;
        Some(n)
    }

    pub(super) fn at_word_end(&self) -> bool {
        !self.rest().starts_with(|c: char| c.is_ascii_alphanumeric())
    }

    pub(super) fn found(&self, date: Option<Date>) -> Option<Found> {
        Some((self.pos, date))
    }
}
