//! A campaign's settings and state: what to call with, through which trunk, when, how fast,
//! and what to do when a call is not answered.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a campaign is in its life.
///
/// `draft → running ⇄ paused → completed | cancelled | expired`: a draft is edited and
/// filled with contacts; a running campaign dials; a paused one keeps its contacts and
/// dials nothing; it completes when no contact is left to call, is cancelled by the tenant,
/// or expires when its end date passes with contacts still uncalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Being set up: settings may change, contacts may be added, nothing is dialled.
    Draft,
    /// Dialling within its windows and caps.
    Running,
    /// Stopped by the tenant for now; resumes where it left off.
    Paused,
    /// Every contact reached a final result.
    Completed,
    /// Stopped for good by the tenant.
    Cancelled,
    /// Its end date passed with contacts left.
    Expired,
}

impl CampaignState {
    /// Completed, cancelled or expired: nothing about it changes any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Expired)
    }

    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Monday to Sunday.
    pub const ALL: [Weekday; 7] = [
        Self::Mon,
        Self::Tue,
        Self::Wed,
        Self::Thu,
        Self::Fri,
        Self::Sat,
        Self::Sun,
    ];
}

/// A time of day on the wall clock, to the minute: `"09:30"`. `"24:00"` is the end of the
/// day (only meaningful as the end of a span).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeOfDay {
    minutes: u16,
}

impl TimeOfDay {
    /// Midnight at the start of the day.
    pub const START_OF_DAY: TimeOfDay = TimeOfDay { minutes: 0 };
    /// Midnight at the end of the day (`24:00`).
    pub const END_OF_DAY: TimeOfDay = TimeOfDay { minutes: 24 * 60 };

    /// `hour:minute`; `None` past `24:00`.
    pub fn new(hour: u16, minute: u16) -> Option<Self> {
        let minutes = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && minutes <= 24 * 60).then_some(Self { minutes })
    }

    /// Minutes since midnight, 0 to 1440.
    pub fn minutes(self) -> u16 {
        self.minutes
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;

    /// `HH:MM`, 24-hour, `00:00` to `24:00`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a time of day: write `HH:MM`, 00:00 to 24:00");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Self::new(h, m).ok_or_else(bad)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A span of the day, `start` inclusive to `end` exclusive, both on the local wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpan {
    /// Where it starts.
    pub start: TimeOfDay,
    /// Where it ends; after `start`.
    pub end: TimeOfDay,
}

/// When calls may be placed on some days of the week: `days` from `start` to `end`, local
/// time. A campaign may have several (10:00–12:00 and 14:00–20:00 on weekdays, 10:00–16:00
/// on Saturdays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallingWindow {
    /// The days it applies to; never empty.
    pub days: Vec<Weekday>,
    /// From.
    pub start: TimeOfDay,
    /// To; after `start`.
    pub end: TimeOfDay,
}

/// When a campaign may call, in the callee's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    /// IANA time zone the windows are read in, unless a contact names its own
    /// (`Asia/Shanghai`).
    pub time_zone: String,
    /// When calls may be placed; a call is placed only inside one of these (and inside the
    /// platform's calling hours, which the tenant cannot widen).
    pub windows: Vec<CallingWindow>,
    /// Spans of every day when no call is placed even inside a window (a lunch break).
    pub breaks: Vec<TimeSpan>,
    /// Whole days with no calls (`2027-02-10`: a public holiday), in the callee's local
    /// calendar.
    pub blackout_dates: Vec<String>,
    /// The first day calls may be placed (`YYYY-MM-DD`, in the callee's local calendar
    /// like the blackout dates); `None`: from the start.
    pub starts_on: Option<String>,
    /// The last day calls may be placed (`YYYY-MM-DD`, in `time_zone`); after it the
    /// campaign expires. `None`: no end.
    pub ends_on: Option<String>,
}

impl Default for Schedule {
    /// Beijing time, every day 09:00–12:00 and 13:30–20:00.
    fn default() -> Self {
        Self {
            time_zone: "Asia/Shanghai".into(),
            windows: vec![
                CallingWindow {
                    days: Weekday::ALL.to_vec(),
                    start: TimeOfDay { minutes: 9 * 60 },
                    end: TimeOfDay { minutes: 12 * 60 },
                },
                CallingWindow {
                    days: Weekday::ALL.to_vec(),
                    start: TimeOfDay {
                        minutes: 13 * 60 + 30,
                    },
                    end: TimeOfDay { minutes: 20 * 60 },
                },
            ],
            breaks: Vec::new(),
            blackout_dates: Vec::new(),
            starts_on: None,
            ends_on: None,
        }
    }
}

/// When to try a contact again after one kind of unanswered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRule {
    /// How long to wait before the next attempt, in seconds.
    pub wait_secs: u64,
    /// How many times to try again after this outcome (0: never). The campaign's
    /// `max_attempts` caps all attempts together.
    pub max_retries: u32,
}

/// Retry rules per outcome of an unanswered call. An outcome without a rule is final. An
/// invalid number is never retried, whatever the rules say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryRules {
    /// The line was busy (486, 600).
    pub busy: Option<RetryRule>,
    /// Nobody answered before the ring timeout.
    pub no_answer: Option<RetryRule>,
    /// The callee declined (603).
    pub rejected: Option<RetryRule>,
    /// The network or trunk could not take the call (powered off, out of coverage, 5xx).
    pub unavailable: Option<RetryRule>,
    /// Anything else went wrong, including an attempt cut off by a server restart.
    pub failed: Option<RetryRule>,
}

impl Default for RetryRules {
    /// Busy: again after 30 minutes, twice; no answer and unavailable: after an hour, twice;
    /// failed: after 10 minutes, once; a decline is final.
    fn default() -> Self {
        Self {
            busy: Some(RetryRule {
                wait_secs: 30 * 60,
                max_retries: 2,
            }),
            no_answer: Some(RetryRule {
                wait_secs: 60 * 60,
                max_retries: 2,
            }),
            rejected: None,
            unavailable: Some(RetryRule {
                wait_secs: 60 * 60,
                max_retries: 2,
            }),
            failed: Some(RetryRule {
                wait_secs: 10 * 60,
                max_retries: 1,
            }),
        }
    }
}

/// Where a campaign reports finished contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignWebhook {
    /// An `http://` or `https://` URL that receives a JSON POST.
    pub url: String,
    /// The key each POST is signed with (HMAC-SHA256); generated when not given.
    pub secret: String,
    /// Also POST every call (attempt), not only each finished contact.
    #[serde(default)]
    pub per_call: bool,
}

/// Calls up at once when the tenant sets none: a small trunk's worth, so a first campaign
/// cannot flood a carrier.
pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 10;
/// New calls per second when the tenant sets none: what a carrier takes on an ordinary
/// trunk (the trunk's own limit applies too).
pub const DEFAULT_MAX_CALLS_PER_SECOND: u32 = 2;
/// Ring time before an attempt counts as no-answer: about six rings, after which few
/// people still pick up.
pub const DEFAULT_RING_TIMEOUT_SECS: u32 = 30;
/// Attempts per contact when the tenant sets none: the common "no more than 3".
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The middle of the 0–9 priority range.
pub const DEFAULT_PRIORITY: u8 = 5;

/// An outbound campaign: a contact list called by one script through one trunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// `cp_` and 16 hex digits.
    pub id: String,
    /// The tenant that owns it.
    pub tenant_id: String,
    /// A name for people (`"Birthday coupons, December"`).
    pub name: String,
    /// The module (script) every call runs, by name.
    pub module: String,
    /// The module version calls run: set by the tenant, or pinned to the active version
    /// when the campaign starts.
    pub module_version: Option<u32>,
    /// The trunk calls go out through.
    pub trunk: String,
    /// The caller IDs calls present, taken in turn; each must be in the trunk's pool.
    /// Empty: the trunk's whole pool.
    pub caller_ids: Vec<String>,
    /// Calls of this campaign up at once.
    pub max_concurrent_calls: u32,
    /// New calls of this campaign per second.
    pub max_calls_per_second: u32,
    /// How long a callee's phone rings before the attempt counts as no-answer, in seconds.
    pub ring_timeout_secs: u32,
    /// When calls may be placed.
    pub schedule: Schedule,
    /// What to do after an unanswered call.
    pub retry: RetryRules,
    /// Most attempts per contact, all outcomes together.
    pub max_attempts: u32,
    /// Higher goes first when the tenant's running campaigns compete for capacity, 0–9.
    pub priority: u8,
    /// Where finished contacts are reported, if anywhere.
    pub webhook: Option<CampaignWebhook>,
    /// Where the campaign is in its life.
    pub state: CampaignState,
    /// Why it reached its state when the server moved it (`"every contact is done"`,
    /// `"ends_on 2026-12-31 passed"`, `"module … was deleted"`).
    pub state_reason: Option<String>,
    /// When it was created, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// When its settings or state last changed.
    pub updated_at_ms: u64,
    /// When it first started running.
    pub started_at_ms: Option<u64>,
    /// When it reached a final state.
    pub finished_at_ms: Option<u64>,
}

impl Campaign {
    /// A draft campaign with every setting at its default: the trunk's caller IDs, 10
    /// calls at once, 2 per second, 30 s of ringing, 3 attempts, priority 5, the default
    /// schedule and retry rules, no webhook; created (and last changed) at `now_ms`.
    pub fn draft(
        id: impl Into<String>,
        tenant_id: impl Into<String>,
        name: impl Into<String>,
        module: impl Into<String>,
        trunk: impl Into<String>,
        now_ms: u64,
    ) -> Self {
        Self {
            id: id.into(),
            tenant_id: tenant_id.into(),
            name: name.into(),
            module: module.into(),
            module_version: None,
            trunk: trunk.into(),
            caller_ids: Vec::new(),
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_calls_per_second: DEFAULT_MAX_CALLS_PER_SECOND,
            ring_timeout_secs: DEFAULT_RING_TIMEOUT_SECS,
            schedule: Schedule::default(),
            retry: RetryRules::default(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            priority: DEFAULT_PRIORITY,
            webhook: None,
            state: CampaignState::Draft,
            state_reason: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            started_at_ms: None,
            finished_at_ms: None,
        }
    }
}
