//! Scenario files (`docs/scenarios.md`), which tenants write and `huashu test` reads: any
//! text must load into a scenario or an error that says why, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = huashu_scenario::Scenario::parse(text);
});
