//! Contacts from a CSV file, row by row: the header says which column holds the number,
//! the reference and the time zone (by name, in English or Chinese), and every other
//! column becomes a variable for the script. Rows are cut by the `csv` parser, read as
//! bytes so a file in another encoding is refused row by row with advice instead of
//! failing whole. The checks every format shares are in [`super::row`].

use std::io::Read;

use csv::{ByteRecord, ReaderBuilder};

use super::ImportError;
use super::csv_lines::WatchedStream;
use super::report::{ImportReport, RowProblem, clip};
use super::row::{Broken, RawRow, ReadRow, RowSource};

/// Most bytes one CSV row may take. The largest row that can be imported (64 variables of
/// 1 KiB, a reference, a number) is under 70 KiB; a row far past that is a quote opened and
/// never closed, which would otherwise run the rest of the file into one field held in
/// memory.
const MAX_ROW_BYTES: usize = 1 << 20;
/// Header names listed when none of them is a number column.
const MAX_LISTED_HEADERS: usize = 20;
/// Longest header name repeated in that list.
const MAX_ECHOED_HEADER_CHARS: usize = 40;

/// Header names (lower-cased, spaces and dashes read as `_`) of the column of numbers.
const NUMBER_HEADERS: &[&str] = &[
    "phone",
    "number",
    "phone_number",
    "mobile",
    "tel",
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "电话号码",
    "联系电话",
    "号码",
];
/// Header names of the column of the tenant's own ids.
const REFERENCE_HEADERS: &[&str] = &["reference", "ref", "external_id", "id", "客户编号"];
/// Header names of the column of per-contact time zones.
const TIME_ZONE_HEADERS: &[&str] = &["time_zone", "timezone", "tz"];

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Number,
    Reference,
    TimeZone,
    /// A value for the script, under the header's name as written.
    Variable(String),
    /// No header name: nothing to call the value, so it is left out.
    Unnamed,
}

/// The rows of a CSV file, after its header.
pub(super) struct CsvRows<R: Read> {
    reader: csv::Reader<WatchedStream<R>>,
    record: ByteRecord,
    columns: Vec<Column>,
    number_column: usize,
    /// The line the last row read starts on (the header's, before any).
    last_line: u64,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header from `input` and works out what each column holds.
    pub fn new(input: R) -> Result<Self, ImportError> {
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(WatchedStream::new(input, MAX_ROW_BYTES));
        let mut rows = Self {
            reader,
            record: ByteRecord::new(),
            columns: Vec::new(),
            number_column: 0,
            last_line: 0,
        };
        let header = match rows.read() {
            Ok(true) => rows.record.clone(),
            Ok(false) => return Err(ImportError::Empty),
            Err(broken) => return Err(super::whole_file_error(broken, ImportReport::default())),
        };
        let mut names = Vec::with_capacity(header.len());
        for field in &header {
            let name = std::str::from_utf8(field).map_err(|_| ImportError::HeaderNotUtf8)?;
            // A BOM the parser left (one behind leading blank lines) is no part of a name.
            names.push(name.trim_start_matches('\u{feff}').trim().to_owned());
        }
        rows.columns = columns(&names);
        rows.number_column = rows
            .columns
            .iter()
            .position(|c| *c == Column::Number)
            .ok_or_else(|| ImportError::NoNumberColumn {
                found: listed(&names),
            })?;
        Ok(rows)
    }

    /// Reads the next record into `self.record`; false at the end.
    fn read(&mut self) -> Result<bool, Broken> {
        let result = self.reader.read_byte_record(&mut self.record);
        let stream = self.reader.get_mut();
        match result {
            Ok(more) => {
                if more {
                    let start = self.record.position().map_or(0, csv::Position::byte);
                    self.last_line = stream.line_at(start);
                }
                let next = self.reader.position().byte();
                self.reader.get_mut().row_done(next);
                Ok(more)
            }
            Err(_) if stream.tripped() => {
                let start = stream.row_start();
                Err(Broken::RowTooLong {
                    line: stream.line_at(start),
                    limit: MAX_ROW_BYTES,
                })
            }
            Err(error) => Err(Broken::Io {
                after_line: self.last_line,
                source: match error.into_kind() {
                    csv::ErrorKind::Io(source) => source,
                    other => std::io::Error::other(format!("{other:?}")),
                },
            }),
        }
    }

    /// The record just read as a row, or why it cannot be one.
    fn row(&self) -> ReadRow {
        let line = self.last_line;
        let record = &self.record;
        let number_as_written = || {
            record
                .get(self.number_column)
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
        };
        if record.len() != self.columns.len() {
            return Err(RowProblem::new(
                line,
                &number_as_written(),
                format!(
                    "the row has {} fields but the header has {}: a value containing a comma \
                     must be in double quotes",
                    record.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut row = RawRow {
            line,
            ..RawRow::default()
        };
        for (column, field) in self.columns.iter().zip(record) {
            let Ok(value) = std::str::from_utf8(field) else {
                return Err(RowProblem::new(
                    line,
                    &number_as_written(),
                    "the row is not UTF-8 text: save the file as \"CSV UTF-8\" (Excel: Save As, \
                     CSV UTF-8; WPS: UTF-8 encoding) and upload it again",
                ));
            };
            let value = value.trim();
            match column {
                Column::Number => row.number = value.to_owned(),
                _ if value.is_empty() => {}
                Column::Reference => row.reference = Some(value.to_owned()),
                Column::TimeZone => row.time_zone = Some(value.to_owned()),
                Column::Variable(name) => row.variables.push((name.clone(), value.to_owned())),
                Column::Unnamed => {}
            }
        }
        Ok(row)
    }
}

impl<R: Read> RowSource for CsvRows<R> {
    fn next_row(&mut self) -> Result<Option<ReadRow>, Broken> {
        Ok(self.read()?.then(|| self.row()))
    }
}

/// What each header names. The leftmost column with a number, reference or time zone name
/// is that column; a second one (a landline beside a mobile) becomes a variable.
fn columns(names: &[String]) -> Vec<Column> {
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        let key = name.to_lowercase().replace([' ', '-'], "_");
        let role = if NUMBER_HEADERS.contains(&key.as_str()) {
            Column::Number
        } else if REFERENCE_HEADERS.contains(&key.as_str()) {
            Column::Reference
        } else if TIME_ZONE_HEADERS.contains(&key.as_str()) {
            Column::TimeZone
        } else if name.is_empty() {
            Column::Unnamed
        } else {
            Column::Variable(name.clone())
        };
        let taken = role != Column::Unnamed
            && !matches!(role, Column::Variable(_))
            && columns.contains(&role);
        columns.push(if taken {
            Column::Variable(name.clone())
        } else {
            role
        });
    }
    columns
}

/// The header names, for an error message.
fn listed(names: &[String]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(MAX_LISTED_HEADERS)
        .map(|n| format!("{:?}", clip(n, MAX_ECHOED_HEADER_CHARS)))
        .collect();
    if names.len() > MAX_LISTED_HEADERS {
        shown.push(format!("and {} more", names.len() - MAX_LISTED_HEADERS));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn rows(text: &[u8]) -> Vec<ReadRow> {
        let mut rows = CsvRows::new(text).expect("header");
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
    fn columns_are_found_by_name_and_the_rest_become_variables() {
        let read =
            rows(b"Name, Phone ,REF,Amount,tz\n\xe7\x8e\x8b,13800138000,C1,50,Asia/Shanghai\n");
        let row = good(&read[0]);
        assert_eq!(row.line, 2);
        assert_eq!(row.number, "13800138000");
        assert_eq!(row.reference.as_deref(), Some("C1"));
        assert_eq!(row.time_zone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(
            row.variables,
            vec![
                ("Name".to_owned(), "王".to_owned()),
                ("Amount".to_owned(), "50".to_owned())
            ]
        );
    }

    #[test]
    fn chinese_headers_name_the_number_and_reference_columns() {
        let read =
            rows("客户编号,姓名,手机号,电话\nK001,王先生,138 0013 8000,010-12345678\n".as_bytes());
        let row = good(&read[0]);
        assert_eq!(row.number, "138 0013 8000");
        assert_eq!(row.reference.as_deref(), Some("K001"));
        assert_eq!(
            row.variables,
            vec![
                ("姓名".to_owned(), "王先生".to_owned()),
                ("电话".to_owned(), "010-12345678".to_owned())
            ]
        );
    }

    #[test]
    fn empty_cells_and_unnamed_columns_are_left_out() {
        let read = rows(b"phone,name,,note\n13800138000,,x,\n");
        assert!(good(&read[0]).variables.is_empty());
    }

    #[test]
    fn a_byte_order_mark_before_the_header_is_skipped() {
        let read = rows("\u{feff}phone,name\n13800138000,A\n".as_bytes());
        assert_eq!(good(&read[0]).number, "13800138000");
    }

    #[test]
    fn line_numbers_count_the_lines_of_a_quoted_field_and_blank_lines() {
        let text = "phone,address\n13800138000,\"1 Road\nBuilding 2\nRoom 3\"\n\n13900139000,x\n";
        let read = rows(text.as_bytes());
        assert_eq!(good(&read[0]).line, 2);
        assert_eq!(good(&read[1]).line, 6);
    }

    #[test]
    fn line_numbers_are_right_with_windows_line_ends() {
        let text = "phone,address\r\n1,\"a\r\nb\"\r\n2,x\r\n\r\n3,y";
        let lines: Vec<u64> = rows(text.as_bytes()).iter().map(|r| good(r).line).collect();
        assert_eq!(lines, vec![2, 4, 6]);
    }

    #[test]
    fn a_row_with_the_wrong_number_of_fields_is_refused_by_line() {
        let read = rows(b"phone,name\n13800138000,A,extra\n13900139000\n13700137000,B\n");
        assert_eq!(bad(&read[0]).line, 2);
        assert!(
            bad(&read[0])
                .reason
                .contains("3 fields but the header has 2")
        );
        assert_eq!(bad(&read[0]).number.as_deref(), Some("13800138000"));
        assert_eq!(bad(&read[1]).line, 3);
        assert_eq!(good(&read[2]).line, 4);
    }

    #[test]
    fn a_row_in_another_encoding_is_refused_with_how_to_save_the_file() {
        // "王先生" in GBK, as a Chinese Excel saves "CSV" by default.
        let read = rows(b"phone,name\n13800138000,\xcd\xf5\xcf\xc8\xc9\xfa\n13900139000,ok\n");
        let problem = bad(&read[0]);
        assert_eq!(problem.line, 2);
        assert!(problem.reason.contains("CSV UTF-8"), "{}", problem.reason);
        assert_eq!(good(&read[1]).number, "13900139000");
    }

    #[test]
    fn a_header_without_a_number_column_names_what_it_found() {
        let error = CsvRows::new(&b"name,amount\nA,1\n"[..])
            .err()
            .expect("no number column");
        let message = error.to_string();
        assert!(message.contains("\"name\", \"amount\""), "{message}");
        assert!(message.contains("phone"), "{message}");
    }

    #[test]
    fn an_empty_file_or_a_header_in_another_encoding_is_refused_whole() {
        assert!(matches!(CsvRows::new(&b""[..]), Err(ImportError::Empty)));
        assert!(matches!(
            CsvRows::new(&b"\xcd\xf5,phone\n"[..]),
            Err(ImportError::HeaderNotUtf8)
        ));
    }

    #[test]
    fn a_second_number_column_becomes_a_variable() {
        let read = rows(b"mobile,tel\n13800138000,010-12345678\n");
        let row = good(&read[0]);
        assert_eq!(row.number, "13800138000");
        assert_eq!(row.variables, vec![("tel".into(), "010-12345678".into())]);
    }

    #[test]
    fn a_quote_never_closed_stops_the_file_at_the_row_it_opens() {
        let mut text = b"phone,note\n13800138000,ok\n13900139000,\"oops\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES + 10));
        let mut rows = CsvRows::new(&text[..]).expect("header");
        assert!(rows.next_row().expect("first row").is_some());
        match rows.next_row() {
            Err(Broken::RowTooLong { line, .. }) => assert_eq!(line, 3),
            other => panic!("expected a row too long, got {other:?}"),
        }
    }

    #[test]
    fn a_stream_that_breaks_says_after_which_line() {
        struct Breaks(usize);
        impl Read for Breaks {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let text = b"phone\n13800138000\n1390013";
                if self.0 >= text.len() {
                    return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
                }
                let n = buf.len().min(text.len() - self.0);
                buf[..n].copy_from_slice(&text[self.0..self.0 + n]);
                self.0 += n;
                Ok(n)
            }
        }
        let mut rows = CsvRows::new(Breaks(0)).expect("header");
        assert!(rows.next_row().expect("first row").is_some());
        match rows.next_row() {
            Err(Broken::Io { after_line, .. }) => assert_eq!(after_line, 2),
            other => panic!("expected a broken stream, got {other:?}"),
        }
    }
}
