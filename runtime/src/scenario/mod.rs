//! Scenario files and the offline runner behind `huashu test`: a script is called with
//! imagined customers, in virtual time, and every expectation is checked.
//!
//! The file format is documented in `docs/scenarios.md`; [`file`] parses it, [`runner`]
//! plays it against any [`crate::contract::CallScript`], [`report`] prints the result.

pub mod file;
pub mod report;
pub mod runner;
mod timestamp;

pub use file::{Scenario, ScenarioError};
pub use runner::{BotAct, Mismatch, ScenarioResult, run_scenario};
