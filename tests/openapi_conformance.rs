//! The OpenAPI document against the real server: a property-based run generates requests
//! from `/v1/openapi.json` (valid ones, and ones that break the schema on purpose) and checks
//! every answer against the document: status documented, JSON where JSON is documented,
//! bodies that fit their schema, schema-valid requests accepted and schema-violating ones
//! refused, no 5xx. One run with a tenant key over the tenant operations, one with the
//! operator token over the operator and public ones; each must report 0 failures.
//!
//! The runner is schemathesis, pinned and installed by `scripts/setup` into
//! `target/toolchains/conformance`; without it this test fails and says how to install it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::server::{OPERATOR_TOKEN, Server, create_tenant};
use support::workspace_root;

/// Examples per operation and phase: about 40 s per run on two cores, so both runs fit in
/// about a minute and a half, with enough cases that every parameter's bounds, every
/// required field and every media type is tried.
const MAX_EXAMPLES: &str = "40";

/// A fixed seed: a failure found once is found again by the next run.
const SEED: &str = "20261207";

/// What JSON Schema cannot say, stated per operation. Each operation listed may refuse a
/// schema-valid request for a reason its description gives:
/// - a module upload must be a WebAssembly component (400 when empty, 422 otherwise);
/// - a tenant's quotas bound each other (`wall_per_event_ms` at least `cpu_per_event_ms`…:
///   400), and its HTTP allowlist holds origins (`https://crm.example.com`: 422 for any other
///   string);
/// - a tenant narrows its HTTP allowlist to origins the operator's list covers (422);
/// - a call, a trunk, a routed number and a campaign name other things that must exist or
///   fit each other (a trunk granted to the tenant, a tenant, a time zone's calendar: 422);
/// - a do-not-call upload is text, so any body is a list: the rows are judged one by one
///   and reported, never the body as a whole.
///
/// A prompt upload (`audio/wav`) cannot be generated and is left out.
const RULES: &str = r#"
[[operations]]
include-name = "PUT /v1/prompts/{name}"
enabled = false

[[operations]]
include-name = "PUT /v1/modules/{name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "429", "400", "422"]

[[operations]]
include-name = ["POST /v1/tenants", "PATCH /v1/tenants/{id}"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "429", "400", "422"]

[[operations]]
include-name = "PUT /v1/http/allowlist"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "422"]

[[operations]]
include-name = "POST /v1/calls"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "429", "400", "422"]

[[operations]]
include-name = ["PUT /v1/trunks/{name}", "PUT /v1/numbers/{number}", "POST /v1/campaigns", "PATCH /v1/campaigns/{id}", "POST /v1/campaigns/{id}/start"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "429", "422"]

[[operations]]
include-name = ["POST /v1/dnc", "POST /v1/platform/dnc"]
checks.negative_data_rejection.enabled = false
"#;

/// The runner: the pinned one `scripts/setup` installs, else one on `PATH`.
fn runner() -> PathBuf {
    let pinned = workspace_root().join("target/toolchains/conformance/bin/schemathesis");
    let candidate = if pinned.is_file() {
        pinned
    } else {
        PathBuf::from("schemathesis")
    };
    let works = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        works,
        "the OpenAPI conformance test needs schemathesis 4: run ./scripts/setup (it installs \
         the pinned version into target/toolchains/conformance), or `pip install \
         'schemathesis==4.32.5'`"
    );
    candidate
}

/// The runner's own crash, not the server's: CPython 3.11 occasionally fails to parse the
/// runner's source while it describes a generator (`AST constructor recursion depth
/// mismatch`). A run that reports only this, and no failure, is run again.
const RUNNER_CRASH: &str = "AST constructor recursion depth mismatch";

/// Runs allowed per selection when the runner crashes on itself ([`RUNNER_CRASH`]).
const ATTEMPTS: usize = 3;

/// One run: the document's operations that `selection` picks, as `token`. Returns the
/// number of generated requests; panics with the runner's report if anything failed.
fn run(runner: &Path, rules: &Path, base: &str, token: &str, selection: &[&str]) -> u64 {
    let scratch = rules
        .parent()
        .expect("the rules sit in the test's directory");
    for attempt in 1..=ATTEMPTS {
        let output = Command::new(runner)
            // The runner writes reports and caches under its working directory: keep them
            // out of the checkout.
            .current_dir(scratch)
            .arg("--config-file")
            .arg(rules)
            .arg("run")
            .arg(format!("{base}/v1/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
            .args([
                "--no-color",
                "--workers",
                "1",
                "--generation-database",
                "none",
            ])
            .args(selection)
            .output()
            .expect("run schemathesis");
        let report = String::from_utf8_lossy(&output.stdout);
        let crashed_on_itself = report.contains(RUNNER_CRASH) && !report.contains("Failures:");
        if !output.status.success() && crashed_on_itself && attempt < ATTEMPTS {
            eprintln!("the runner crashed on itself ({RUNNER_CRASH}); running again");
            continue;
        }
        assert!(
            output.status.success(),
            "the run found failures (or could not run):\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let generated = report
            .lines()
            .find_map(|line| line.trim().split_once(" generated, "))
            .and_then(|(count, _)| count.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no request count in:\n{report}"));
        assert!(generated > 0, "nothing was generated:\n{report}");
        return generated;
    }
    unreachable!("the last attempt returns or panics")
}

#[test]
fn every_answer_of_tenant_and_operator_endpoints_matches_the_openapi_document() {
    let runner = runner();
    let dir = tempfile::tempdir().expect("tempdir");
    // With SIP on, a `"channel": "sip"` call is dialled (and refused for its trunk) instead
    // of answered 503 `sip_unavailable`, which the run counts as a server error.
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--sip-listen", "127.0.0.1:0"],
        |_| {},
    );
    let (_, key) = create_tenant(&server, "Conformance");
    let rules = dir.path().join("conformance.toml");
    std::fs::write(&rules, RULES).expect("write the run's rules");

    let tenant = run(
        &runner,
        &rules,
        &server.base,
        &key,
        &["--include-by", "/security/0/tenantApiKey==[]"],
    );
    // The call WebSockets answer 101 to an upgrade, which an HTTP run cannot follow; their
    // tests are tests/voice_calls.rs and tests/hardening.rs.
    let operator = run(
        &runner,
        &rules,
        &server.base,
        OPERATOR_TOKEN,
        &[
            "--exclude-by",
            "/security/0/tenantApiKey==[]",
            "--exclude-path-regex",
            r"^/v1/calls/(twilio|\{id\}/ws)$",
        ],
    );
    println!(
        "OpenAPI conformance: {tenant} requests as a tenant, {operator} as the operator, \
         0 failures"
    );
}
