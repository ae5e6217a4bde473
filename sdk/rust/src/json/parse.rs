//! [`Json::parse`]: reads JSON text (RFC 8259) into a [`Json`] value, saying where and why
//! when the text is not JSON.

use std::fmt;

use super::Json;

/// Deeper nesting is refused rather than followed: every level is a frame on the script's
/// stack, and no API answer a call script reads nests anywhere near this deep, while a
/// hostile 256 KiB body of `[[[[…` could otherwise exhaust the stack and end the call.
const MAX_DEPTH: usize = 128;

/// Why a text is not JSON: the byte offset where reading stopped, and what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the text.
    pub offset: usize,
    /// What was expected or found, in words.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not JSON at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for JsonError {}

impl Json {
    /// Reads `text` as one JSON value (surrounding whitespace allowed).
    ///
    /// ```
    /// use huashu_sdk::json::Json;
    ///
    /// assert_eq!(Json::parse(" [1, \"二\"] "), Ok(Json::array([1.into(), "二".into()])));
    /// let error = Json::parse("{\"code\": }").unwrap_err();
    /// assert_eq!(error.to_string(), "not JSON at byte 9: expected a value");
    /// ```
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut reader = Reader {
            text: text.as_bytes(),
            at: 0,
        };
        let value = reader.value(0)?;
        reader.skip_space();
        if reader.at < reader.text.len() {
            return Err(reader.error("unexpected text after the value"));
        }
        Ok(value)
    }
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), JsonError> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested more than 128 levels deep"));
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("the text ends where a value was expected")),
        }
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.at += 1;
        let mut pairs = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(pairs));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key in quotes"));
            }
            let key = self.string()?;
            self.expect(b':', "expected ':' after the key")?;
            pairs.push((key, self.value(depth + 1)?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(pairs));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.at += 1;
        let mut values = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(values));
        }
        loop {
            values.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(values));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after '.'"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            self.digits();
        }
        // The slice is ASCII digits and signs checked above, so both steps succeed.
        std::str::from_utf8(&self.text[start..self.at])
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .map(Json::Number)
            .ok_or(JsonError {
                offset: start,
                reason: "not a number",
            })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    /// Reads a string starting at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("the text ends inside a string")),
                Some(b'"') => {
                    self.at += 1;
                    // The input is a `&str` and escapes add whole characters, so the bytes
                    // are UTF-8; the check only guards that reasoning.
                    return String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"));
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.escape()?;
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(byte) if byte < 0x20 => {
                    return Err(self.error("a control character inside a string"));
                }
                Some(byte) => {
                    out.push(byte);
                    self.at += 1;
                }
            }
        }
    }

    /// Reads the escape after a backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let byte = self
            .peek()
            .ok_or_else(|| self.error("the text ends inside a string"))?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate: a low one must follow to make one character.
                    if !self.text[self.at..].starts_with(b"\\u") {
                        return Err(self.error("a lone surrogate in \\u escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("a lone surrogate in \\u escape"));
                    }
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    char::from_u32(code).ok_or_else(|| self.error("an invalid \\u escape"))?
                } else {
                    char::from_u32(first)
                        .ok_or_else(|| self.error("a lone surrogate in \\u escape"))?
                }
            }
            _ => {
                return Err(JsonError {
                    offset: self.at - 1,
                    reason: "an unknown escape",
                });
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("expected four hex digits"))?;
        let mut code = 0;
        for &d in digits {
            let value = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("expected four hex digits"))?;
            code = code * 16 + value;
        }
        self.at += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_is_read() {
        let value = Json::parse(
            r#" {"s": "a\"b\\c\/\n\u00e9\ud83d\ude00中", "n": -1.5e2, "z": 0, "t": true,
                 "f": false, "nil": null, "list": [1, [], {}]} "#,
        )
        .expect("valid JSON");
        assert_eq!(value["s"].as_str(), Some("a\"b\\c/\né😀中"));
        assert_eq!(value["n"].as_f64(), Some(-150.0));
        assert_eq!(value["z"].as_i64(), Some(0));
        assert_eq!(value["t"].as_bool(), Some(true));
        assert_eq!(value["f"].as_bool(), Some(false));
        assert!(value["nil"].is_null());
        assert_eq!(
            value["list"],
            Json::array([1.into(), Json::Array(vec![]), Json::Object(vec![])])
        );
    }

    #[test]
    fn text_that_is_not_json_says_where_and_why() {
        for (text, offset, reason) in [
            ("", 0, "the text ends where a value was expected"),
            ("{\"a\" 1}", 5, "expected ':' after the key"),
            ("[1,]", 3, "expected a value"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("{a: 1}", 1, "expected a key in quotes"),
            ("01", 1, "unexpected text after the value"),
            ("1.", 2, "expected a digit after '.'"),
            ("\"abc", 4, "the text ends inside a string"),
            ("\"\\x\"", 2, "an unknown escape"),
            ("\"\\ud800\"", 7, "a lone surrogate in \\u escape"),
            ("\"a\nb\"", 2, "a control character inside a string"),
            ("tru", 0, "expected a value"),
            ("<html>", 0, "expected a value"),
        ] {
            assert_eq!(
                Json::parse(text),
                Err(JsonError { offset, reason }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_not_followed() {
        let deep = "[".repeat(MAX_DEPTH + 2);
        let error = Json::parse(&deep).expect_err("too deep");
        assert_eq!(error.reason, "nested more than 128 levels deep");
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Json::parse(&fine).is_ok());
    }
}
