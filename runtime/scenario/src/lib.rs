//! Offline runs of a script, in virtual time: scenario files (`huashu test`), where a script
//! is called by imagined customers and every expectation is checked; and replays
//! (`huashu replay`), where a recorded call's customer is played back to another version.
//!
//! The file format is documented in `docs/scenarios.md`; [`file`] parses it, with
//! [`http_stubs`] for its `http:` list (the answers to the script's requests) and
//! [`request_step`] for its `bot_requests` step; [`runner`] plays it against any
//! [`huashu_contract::CallScript`] (its findings are typed in `scenario_result`, the
//! `outcome:` check is `outcome_check`), [`report`] prints the result; [`replay`] re-runs
//! recorded calls. Neither a run nor a replay makes a network request.

pub mod file;
pub mod http_stubs;
mod outcome_check;
pub mod replay;
pub mod report;
pub mod request_step;
pub mod runner;
mod scenario_result;
mod timestamp;

pub use file::{Scenario, ScenarioError};
pub use replay::{Divergence, Replay, replay};
pub use runner::{BotAct, Mismatch, ScenarioResult, run_scenario};
