//! Contacts from a JSON Lines file: one object per line,
//! `{"number": "13800138000", "reference": "C1", "time_zone": "Asia/Shanghai",
//! "variables": {"name": "王先生", "amount": 50}}`. Lines are read with a bound, so one
//! giant line costs a row, not the server's memory. The checks every format shares are in
//! [`super::row`].

use std::io::{BufRead, BufReader, ErrorKind, Read};

use serde_json::{Map, Value};

use super::report::RowProblem;
use super::row::{Broken, RawRow, ReadRow, RowSource};

/// Longest line read: a contact at every limit (64 variables of 1 KiB) fits with room for
/// JSON's quoting, and a line past it is refused without being held.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The rows of a JSON Lines file.
pub(super) struct JsonLineRows<R: Read> {
    input: BufReader<R>,
    /// Lines read so far, blank ones included.
    line: u64,
    buf: Vec<u8>,
}

impl<R: Read> JsonLineRows<R> {
    /// Reads `input` a line at a time.
    pub fn new(input: R) -> Self {
        Self {
            input: BufReader::new(input),
            line: 0,
            buf: Vec::new(),
        }
    }

    /// Reads the next line into `self.buf` (its end stripped); `None` at the end of the
    /// file, `Some(false)` for a line longer than [`MAX_LINE_BYTES`] (dropped as it goes).
    fn read_line(&mut self) -> Result<Option<bool>, Broken> {
        self.buf.clear();
        let mut fits = true;
        let mut any = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Broken::Io {
                        after_line: self.line,
                        source,
                    });
                }
            };
            if chunk.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (chunk.len(), false),
            };
            let content = if done { &chunk[..take - 1] } else { chunk };
            if fits && self.buf.len() + content.len() <= MAX_LINE_BYTES {
                self.buf.extend_from_slice(content);
            } else {
                fits = false;
                self.buf.clear();
            }
            self.input.consume(take);
            if done {
                break;
            }
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.line == 1 && self.buf.starts_with("\u{feff}".as_bytes()) {
            self.buf.drain(..3);
        }
        Ok(Some(fits))
    }
}

impl<R: Read> RowSource for JsonLineRows<R> {
    fn next_row(&mut self) -> Result<Option<ReadRow>, Broken> {
        loop {
            let Some(fits) = self.read_line()? else {
                return Ok(None);
            };
            let line = self.line;
            if !fits {
                return Ok(Some(Err(RowProblem::new(
                    line,
                    "",
                    format!(
                        "the line is longer than {} KiB: one contact per line, with its \
                         variables under \"variables\"",
                        MAX_LINE_BYTES / 1024
                    ),
                ))));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return Ok(Some(Err(RowProblem::new(
                    line,
                    "",
                    "the line is not UTF-8 text: save the file as UTF-8 and upload it again",
                ))));
            };
            return Ok(Some(parse(line, text)));
        }
    }
}

/// One line's object as a row.
fn parse(line: u64, text: &str) -> ReadRow {
    let refuse = |number: &str, reason: String| RowProblem::new(line, number, reason);
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            return Err(refuse(
                "",
                "each line must be one JSON object, like {\"number\": \"13800138000\"}".into(),
            ));
        }
        Err(e) => return Err(refuse("", format!("the line is not valid JSON: {e}"))),
    };
    let number = match object.get("number").or_else(|| object.get("phone")) {
        Some(value) => match scalar(value) {
            Some(text) => text,
            None => {
                return Err(refuse(
                    "",
                    "\"number\" must be text, like \"13800138000\"".into(),
                ));
            }
        },
        None => return Err(refuse("", "the line has no \"number\"".into())),
    };
    let mut row = RawRow {
        line,
        number: number.trim().to_owned(),
        ..RawRow::default()
    };
    for (key, value) in &object {
        match key.as_str() {
            "number" | "phone" => {}
            "reference" | "time_zone" | "timezone" | "tz" => {
                let Some(text) = scalar(value) else {
                    return Err(refuse(
                        &row.number,
                        format!("{key:?} must be text, a number or null"),
                    ));
                };
                let text = text.trim();
                if !text.is_empty() {
                    let slot = if key == "reference" {
                        &mut row.reference
                    } else {
                        &mut row.time_zone
                    };
                    *slot = Some(text.to_owned());
                }
            }
            "variables" => variables(value, &mut row.variables)
                .map_err(|reason| refuse(&row.number, reason))?,
            other => {
                return Err(refuse(
                    &row.number,
                    format!(
                        "unknown field {other:?}: a line has \"number\", \"reference\", \
                         \"time_zone\" and \"variables\"; put values for the script under \
                         \"variables\""
                    ),
                ));
            }
        }
    }
    Ok(row)
}

/// The `variables` object's values as text: numbers and booleans as written, `null` and
/// empty text left out.
fn variables(value: &Value, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let object: &Map<String, Value> = match value {
        Value::Object(object) => object,
        Value::Null => return Ok(()),
        _ => {
            return Err(
                "\"variables\" must be an object of names and values, like {\"name\": \"王先生\"}"
                    .into(),
            );
        }
    };
    for (name, value) in object {
        match value {
            Value::Null => {}
            Value::Object(_) | Value::Array(_) => {
                return Err(format!(
                    "variable {name:?} is an object or a list: variables are text, numbers \
                     or true/false"
                ));
            }
            scalar_value => {
                let text = scalar(scalar_value).unwrap_or_default();
                if !text.is_empty() {
                    out.push((name.clone(), text));
                }
            }
        }
    }
    Ok(())
}

/// Text, a number or a boolean as text; `Some("")` for null; `None` for an object or list.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Object(_) | Value::Array(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn rows(text: &[u8]) -> Vec<ReadRow> {
        let mut rows = JsonLineRows::new(text);
        let mut out = Vec::new();
        while let Some(row) = rows.next_row().expect("in memory") {
            out.push(row);
        }
        out
    }

    fn good(row: &ReadRow) -> &RawRow {
        row.as_ref().expect("a good row")
    }

    fn bad(row: &ReadRow) -> &RowProblem {
        row.as_ref().expect_err("a refused row")
    }

    #[test]
    fn an_object_per_line_becomes_a_row_with_numbers_and_booleans_as_text() {
        let text = r#"{"number": "13800138000", "reference": "C1", "time_zone": "Asia/Shanghai", "variables": {"name": "王先生", "amount": 50, "vip": true, "rate": 0.5, "gone": null, "empty": ""}}"#;
        let read = rows(text.as_bytes());
        let row = good(&read[0]);
        assert_eq!(row.line, 1);
        assert_eq!(row.number, "13800138000");
        assert_eq!(row.reference.as_deref(), Some("C1"));
        assert_eq!(row.time_zone.as_deref(), Some("Asia/Shanghai"));
        let mut variables = row.variables.clone();
        variables.sort();
        assert_eq!(
            variables,
            vec![
                ("amount".to_owned(), "50".to_owned()),
                ("name".to_owned(), "王先生".to_owned()),
                ("rate".to_owned(), "0.5".to_owned()),
                ("vip".to_owned(), "true".to_owned()),
            ]
        );
    }

    #[test]
    fn phone_is_read_as_number_and_a_numeric_reference_as_text() {
        let read = rows(br#"{"phone": 13800138000, "reference": 42}"#);
        assert_eq!(good(&read[0]).number, "13800138000");
        assert_eq!(good(&read[0]).reference.as_deref(), Some("42"));
    }

    #[test]
    fn blank_lines_are_skipped_but_counted_for_line_numbers() {
        let text = "{\"number\": \"1\"}\r\n\r\n   \n{\"number\": \"2\"}\n";
        let lines: Vec<u64> = rows(text.as_bytes()).iter().map(|r| good(r).line).collect();
        assert_eq!(lines, vec![1, 4]);
    }

    #[test]
    fn nested_variables_unknown_fields_and_non_objects_are_row_problems() {
        let text = concat!(
            "{\"number\": \"13800138000\", \"variables\": {\"address\": {\"city\": \"x\"}}}\n",
            "{\"number\": \"13800138000\", \"name\": \"王先生\"}\n",
            "[\"13800138000\"]\n",
            "{\"number\": \n",
            "{\"variables\": {}}\n",
            "{\"number\": \"13900139000\"}\n",
        );
        let read = rows(text.as_bytes());
        assert!(bad(&read[0]).reason.contains("\"address\" is an object"));
        assert_eq!(bad(&read[0]).number.as_deref(), Some("13800138000"));
        assert!(bad(&read[1]).reason.contains("unknown field \"name\""));
        assert!(bad(&read[2]).reason.contains("one JSON object"));
        assert!(bad(&read[3]).reason.contains("not valid JSON"));
        assert!(bad(&read[4]).reason.contains("no \"number\""));
        assert_eq!(good(&read[5]).line, 6);
    }

    #[test]
    fn a_giant_line_is_refused_without_losing_the_next_one() {
        let mut text = b"{\"number\": \"".to_vec();
        text.extend(std::iter::repeat_n(b'1', 10 * MAX_LINE_BYTES));
        text.extend_from_slice(b"\"}\n{\"number\": \"13800138000\"}\n");
        let mut rows = JsonLineRows::new(&text[..]);
        let first = rows.next_row().expect("in memory").expect("a row");
        assert!(bad(&first).reason.contains("longer than 64 KiB"));
        assert!(rows.buf.capacity() <= 2 * MAX_LINE_BYTES);
        let second = rows.next_row().expect("in memory").expect("a row");
        assert_eq!(good(&second).line, 2);
    }

    #[test]
    fn a_byte_order_mark_and_a_last_line_without_newline_are_fine() {
        let read = rows("\u{feff}{\"number\": \"1\"}\n{\"number\": \"2\"}".as_bytes());
        assert_eq!(read.len(), 2);
        assert_eq!(good(&read[1]).number, "2");
    }

    #[test]
    fn a_line_in_another_encoding_is_refused() {
        let read = rows(b"{\"number\": \"1\", \"variables\": {\"n\": \"\xcd\xf5\"}}\n");
        assert!(bad(&read[0]).reason.contains("UTF-8"));
    }

    #[test]
    fn a_stream_that_breaks_says_after_which_line() {
        let text: &[u8] = b"{\"number\": \"1\"}\n{\"num";
        let broken = text.chain(FailingRead);
        let mut rows = JsonLineRows::new(broken);
        assert!(rows.next_row().expect("first row").is_some());
        match rows.next_row() {
            Err(Broken::Io { after_line, .. }) => assert_eq!(after_line, 1),
            other => panic!("expected a broken stream, got {other:?}"),
        }
    }

    struct FailingRead;
    impl Read for FailingRead {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(ErrorKind::UnexpectedEof, "cut"))
        }
    }
}
