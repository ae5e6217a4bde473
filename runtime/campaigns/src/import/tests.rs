//! The import driver against an in-memory store: where each row goes, batches, and what
//! survives a broken upload.

use std::io::{self, Read};

use super::fake_store::FakeStore;
use super::*;

/// The import's clock.
pub(super) const NOW: u64 = 1_800_000_000_000;

fn campaign() -> Campaign {
    Campaign::draft(
        "cp_0123456789abcdef",
        "t_1",
        "Birthday coupons",
        "birthday",
        "carrier",
        0,
    )
}

fn rules() -> ImportRules {
    ImportRules {
        max_dials_per_number_per_day: 3,
        now_ms: NOW,
    }
}

fn import(
    store: &FakeStore,
    format: ImportFormat,
    text: &str,
) -> Result<ImportReport, ImportError> {
    import_contacts(store, &campaign(), format, text.as_bytes(), &rules())
}

/// `count` good CSV rows after a header, made on the fly.
fn csv_rows(count: usize) -> String {
    let mut text = String::from("phone,name\n");
    for i in 0..count {
        text.push_str(&format!("139{i:08},n{i}\n"));
    }
    text
}

#[test]
fn every_row_lands_in_exactly_one_count() {
    let store = FakeStore::with(|s| {
        s.dnc.insert((DncScope::Platform, "+8613700137000".into()));
        s.dnc
            .insert((DncScope::Tenant("t_1".into()), "+8613600136000".into()));
        s.dnc
            .insert((DncScope::Tenant("t_other".into()), "+8613500135000".into()));
        s.dials.insert("+8613800138000".into(), 3);
        s.dials.insert("+8613900139000".into(), 2);
    });
    let text = "\
phone,name
138-0013-8000,capped
139 0013 9000,under the cap
13700137000,platform dnc
13600136000,tenant dnc
13500135000,another tenant's dnc
+86 138 0013 8000,duplicate in the file
10086,service number
";
    let report = import(&store, ImportFormat::Csv, text).expect("imported");
    assert_eq!(
        (
            report.lines,
            report.accepted,
            report.duplicate,
            report.invalid,
            report.do_not_call,
            report.over_frequency_cap
        ),
        (7, 3, 1, 1, 2, 1)
    );
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].line, 8);
    assert_eq!(report.problems[0].number.as_deref(), Some("10086"));
    assert_eq!(
        store.numbers("cp_0123456789abcdef"),
        vec!["+8613800138000", "+8613900139000", "+8613500135000"]
    );
}

#[test]
fn numbers_from_an_earlier_import_count_as_duplicates() {
    let store = FakeStore::default();
    import(&store, ImportFormat::Csv, "phone\n13800138000\n").expect("first");
    let report = import(
        &store,
        ImportFormat::Csv,
        "phone\n13800138000\n13900139000\n",
    )
    .expect("second");
    assert_eq!((report.accepted, report.duplicate), (1, 1));
}

#[test]
fn a_cap_of_zero_counts_nobody_as_over_it() {
    let store = FakeStore::with(|s| {
        s.dials.insert("+8613800138000".into(), 50);
    });
    let rules = ImportRules {
        max_dials_per_number_per_day: 0,
        now_ms: NOW,
    };
    let report = import_contacts(
        &store,
        &campaign(),
        ImportFormat::Csv,
        &b"phone\n13800138000\n"[..],
        &rules,
    )
    .expect("imported");
    assert_eq!((report.accepted, report.over_frequency_cap), (1, 0));
}

#[test]
fn contacts_are_written_in_batches_of_a_thousand() {
    let store = FakeStore::default();
    let report = import(&store, ImportFormat::Csv, &csv_rows(2_500)).expect("imported");
    assert_eq!(report.accepted, 2_500);
    assert_eq!(store.state.lock().expect("not poisoned").add_calls, 3);
}

#[test]
fn json_lines_go_through_the_same_checks() {
    let store = FakeStore::with(|s| {
        s.dnc.insert((DncScope::Platform, "+8613700137000".into()));
    });
    let text = concat!(
        "{\"number\": \"13800138000\", \"variables\": {\"name\": \"王先生\", \"amount\": 50}}\n",
        "\n",
        "{\"phone\": \"13700137000\"}\n",
        "{\"number\": \"13900139000\", \"time_zone\": \"Asia/Nowhere\"}\n",
    );
    let report = import(&store, ImportFormat::JsonLines, text).expect("imported");
    assert_eq!(
        (
            report.lines,
            report.accepted,
            report.do_not_call,
            report.invalid
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(report.problems[0].line, 4);
    let state = store.state.lock().expect("not poisoned");
    let contact = &state.contacts["cp_0123456789abcdef"][0];
    assert_eq!(
        contact.variables,
        vec![
            ("name".to_owned(), "王先生".to_owned()),
            ("amount".to_owned(), "50".to_owned())
        ]
    );
}

/// Hands out `text`, then fails as a dropped connection does.
struct CutAfter<'a> {
    text: &'a [u8],
}

impl Read for CutAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.text.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ));
        }
        self.text.read(buf)
    }
}

#[test]
fn an_upload_cut_off_mid_stream_keeps_what_came_before_and_says_so() {
    for format in [ImportFormat::Csv, ImportFormat::JsonLines] {
        let store = FakeStore::default();
        let mut text = String::from(if format == ImportFormat::Csv {
            "phone\n"
        } else {
            ""
        });
        for i in 0..1_500 {
            text.push_str(&if format == ImportFormat::Csv {
                format!("139{i:08}\n")
            } else {
                format!("{{\"number\": \"139{i:08}\"}}\n")
            });
        }
        text.push_str("1390000");
        let reader = CutAfter {
            text: text.as_bytes(),
        };
        let error =
            import_contacts(&store, &campaign(), format, reader, &rules()).expect_err("cut off");
        let report = error.partial_report().expect("a partial report");
        assert_eq!(report.accepted, 1_500, "{format:?}");
        assert_eq!(store.numbers("cp_0123456789abcdef").len(), 1_500);
        let message = error.to_string();
        assert!(message.contains("cut off"), "{message}");
        assert!(message.contains("1500 contacts accepted"), "{message}");
        let last_line = if format == ImportFormat::Csv {
            1_501
        } else {
            1_500
        };
        assert!(
            matches!(error, ImportError::CutOff { after_line, .. } if after_line == last_line),
            "{message}"
        );
    }
}

#[test]
fn an_import_stops_at_the_line_limit_with_what_it_read_imported() {
    let store = FakeStore::default();
    let error = import_up_to(
        &store,
        &campaign(),
        ImportFormat::Csv,
        csv_rows(30).as_bytes(),
        &rules(),
        25,
    )
    .expect_err("over the limit");
    assert!(matches!(error, ImportError::TooManyLines { limit: 25, .. }));
    assert_eq!(error.partial_report().map(|r| r.accepted), Some(25));
    assert_eq!(store.numbers("cp_0123456789abcdef").len(), 25);
}

#[test]
fn a_failing_store_stops_the_import_with_its_error() {
    let store = FakeStore::with(|s| s.fail_adds = true);
    let error = import(&store, ImportFormat::Csv, "phone\n13800138000\n").expect_err("store");
    assert!(matches!(error, ImportError::Store(StoreError::NoSpace(_))));
}

#[test]
fn a_csv_without_a_number_column_is_refused_whole() {
    let error = import(&FakeStore::default(), ImportFormat::Csv, "name\nA\n").expect_err("no");
    assert!(matches!(error, ImportError::NoNumberColumn { .. }));
}

#[test]
fn content_types_name_their_format() {
    for (content_type, format) in [
        ("text/csv", Some(ImportFormat::Csv)),
        ("Text/CSV; charset=utf-8", Some(ImportFormat::Csv)),
        ("application/x-ndjson", Some(ImportFormat::JsonLines)),
        ("application/jsonl", Some(ImportFormat::JsonLines)),
        ("application/json-lines", Some(ImportFormat::JsonLines)),
        ("application/json", None),
        ("", None),
    ] {
        assert_eq!(
            ImportFormat::from_content_type(content_type),
            format,
            "{content_type}"
        );
    }
}

#[test]
fn the_report_serializes_with_the_names_the_api_shows() {
    let report = ImportReport {
        lines: 1,
        invalid: 1,
        problems: vec![RowProblem::new(2, "110", "bad")],
        ..ImportReport::default()
    };
    let json = serde_json::to_value(&report).expect("serializable");
    for key in [
        "lines",
        "accepted",
        "duplicate",
        "invalid",
        "do_not_call",
        "over_frequency_cap",
        "problems",
        "problems_truncated",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["problems"][0]["line"], 2);
    assert_eq!(json["problems"][0]["number"], "110");
}
