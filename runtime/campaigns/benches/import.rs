//! How fast a large contact list imports, and that memory stays flat while it does:
//! `cargo bench -p huashu-campaigns --bench import` (`IMPORT_ROWS=…` to change the size,
//! 1,000,000 by default).
//!
//! The CSV is made on the fly by a `Read` that writes one row at a time, as an upload
//! arrives from the request body, so the list itself never sits in memory: a peak resident
//! size that does not grow with `IMPORT_ROWS` shows the import streams. Rows look like a CRM
//! export: `+86138xxxxxxxx,REF123,王先生,50`, every number different. They go into a real
//! sled store in a fresh directory under `target/` (a real disk, not tmpfs), so every batch
//! pays its durable write.

use std::io::{self, Read};
use std::time::Instant;

use huashu_campaigns::import::{ImportFormat, ImportRules, import_contacts};
use huashu_store::campaigns::{Campaign, CampaignStore};
use huashu_store_sled::SledStore;

/// Rows when `IMPORT_ROWS` is not set: a large campaign's list.
const DEFAULT_ROWS: u64 = 1_000_000;

/// A CSV list of `rows` contacts, written as it is read.
struct GeneratedCsv {
    rows: u64,
    /// The next row to write (0 is the header).
    next: u64,
    line: Vec<u8>,
    /// How much of `line` was handed out.
    taken: usize,
}

impl GeneratedCsv {
    fn new(rows: u64) -> Self {
        Self {
            rows,
            next: 0,
            line: Vec::with_capacity(64),
            taken: 0,
        }
    }
}

impl Read for GeneratedCsv {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.taken == self.line.len() {
            if self.next > self.rows {
                return Ok(0);
            }
            self.line.clear();
            if self.next == 0 {
                self.line
                    .extend_from_slice(b"phone,reference,name,amount\n");
            } else {
                let i = self.next - 1;
                let row = format!("+86138{i:08},REF{i},王先生,50\n");
                self.line.extend_from_slice(row.as_bytes());
            }
            self.next += 1;
            self.taken = 0;
        }
        let n = buf.len().min(self.line.len() - self.taken);
        buf[..n].copy_from_slice(&self.line[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// A peak or current size from `/proc/self/status` (`VmHWM`, `VmRSS`), in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn campaign(now_ms: u64) -> Campaign {
    Campaign::draft(
        "cp_00000000000be7c4",
        "t_bench",
        "Import bench",
        "birthday",
        "carrier",
        now_ms,
    )
}

fn main() {
    let rows: u64 = std::env::var("IMPORT_ROWS")
        .ok()
        .map(|v| v.parse().expect("IMPORT_ROWS is a number of rows"))
        .unwrap_or(DEFAULT_ROWS);
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_millis(),
    )
    .expect("milliseconds fit in u64");

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let store = SledStore::open(dir.path()).expect("a sled store");
    let campaign = campaign(now_ms);
    campaign.validate().expect("a valid campaign");
    store.put_campaign(&campaign).expect("campaign stored");
    let rules = ImportRules {
        max_dials_per_number_per_day: 3,
        now_ms,
    };

    let peak_before = status_kib("VmHWM:");
    let started = Instant::now();
    let report = import_contacts(
        &store,
        &campaign,
        ImportFormat::Csv,
        GeneratedCsv::new(rows),
        &rules,
    )
    .expect("the import runs");
    let elapsed = started.elapsed();
    let peak_after = status_kib("VmHWM:");

    assert_eq!(report.lines, rows, "every row read");
    assert_eq!(report.accepted, rows, "every row accepted: {report:?}");
    let stats = store
        .campaign_stats(&campaign.id)
        .expect("the campaign's counts");
    println!("import: {rows} CSV rows into sled");
    println!("  elapsed        {:.2} s", elapsed.as_secs_f64());
    println!(
        "  rate           {:.0} rows/s",
        rows as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  accepted       {} (duplicate {}, invalid {}, do-not-call {})",
        report.accepted, report.duplicate, report.invalid, report.do_not_call
    );
    println!("  campaign stats {stats:?}");
    println!(
        "  peak RSS       {} before, {} after",
        mib(peak_before),
        mib(peak_after)
    );
    println!("  RSS now        {}", mib(status_kib("VmRSS:")));
}
