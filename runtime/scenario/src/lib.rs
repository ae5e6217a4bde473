//! Offline runs of a script, in virtual time: scenario files (`huashu test`), where a script
//! is called by imagined customers and every expectation is checked; and replays
//! (`huashu replay`), where a recorded call's customer is played back to another version.
//!
//! The file format is documented in `docs/scenarios.md`; [`file`] parses it, [`runner`]
//! plays it against any [`huashu_contract::CallScript`], [`report`] prints the result;
//! [`replay`] re-runs recorded calls.

pub mod file;
pub mod replay;
pub mod report;
pub mod runner;
mod timestamp;

pub use file::{Scenario, ScenarioError};
pub use replay::{Divergence, Replay, replay};
pub use runner::{BotAct, Mismatch, ScenarioResult, run_scenario};
