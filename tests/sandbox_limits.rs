//! A hostile or broken script ends only its own call, with a recorded reason and the
//! tenant's fallback; modules that do not fit the world are rejected at load, naming why.
//! Every guest here is a real component built from `tests/guests/` at test time.

mod support;

use std::sync::Arc;
use std::time::Duration;

use huashu_contract::{Party, ScriptFailure};
use huashu_sandbox::{
    CallSetup, Limits, ModuleError, Sandbox, SandboxConfig, ScriptModule, TenantKv,
};
use huashu_scenario::{Scenario, ScenarioResult, run_scenario};
use huashu_session::CallRecord;
use huashu_store::MemoryKeyValue;

struct Fixture {
    sandbox: Sandbox,
    hostile: ScriptModule,
}

fn fixture() -> Arc<Fixture> {
    // Pooling, as the server runs, but sized for a test.
    let config = SandboxConfig {
        max_concurrent_calls: 16,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::new(&config).expect("sandbox");
    let hostile = sandbox
        .compile(&support::guest_bytes("hostile"))
        .expect("hostile guest compiles")
        .module;
    Arc::new(Fixture { sandbox, hostile })
}

/// A call where the script runs in `mode` and the customer answers once.
fn scenario(mode: &str) -> Scenario {
    Scenario::parse(&format!(
        "call:\n  variables: {{ mode: {mode} }}\nsteps:\n  - customer_says: 方便\n"
    ))
    .expect("valid scenario")
}

async fn call(fixture: &Fixture, mode: &str, limits: Limits) -> ScenarioResult {
    let setup = CallSetup {
        call_id: format!("call-{mode}"),
        limits,
        kv: TenantKv {
            tenant: "acme".into(),
            store: Arc::new(MemoryKeyValue::default()),
        },
        started_at_ms: 0,
        random_seed: 7,
        turns: None,
    };
    let instance = fixture
        .sandbox
        .instantiate(&fixture.hostile, setup)
        .await
        .expect("instantiate");
    run_scenario(&scenario(mode), instance, format!("call-{mode}")).await
}

/// The call failed with the fallback: apology, then the host hung up.
fn assert_fallback(record: &CallRecord) {
    let end = record.end.as_ref().expect("the call ended");
    assert_eq!(
        (end.by, end.reason.as_str()),
        (Party::Host, "script-failed")
    );
    assert!(
        record
            .transcript
            .iter()
            .any(|l| l.text.contains("非常抱歉")),
        "the apology was said: {:?}",
        record.transcript
    );
}

/// A polite call completed normally: greeting, answer, goodbye, hung up by the script.
fn assert_completed(record: &CallRecord) {
    assert_eq!(record.error, None);
    let end = record.end.as_ref().expect("the call ended");
    assert_eq!((end.by, end.reason.as_str()), (Party::Script, "completed"));
    let said: Vec<&str> = record.transcript.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        said,
        [
            "您好，这里是测试。请问您现在方便吗？",
            "方便",
            "好的，再见。"
        ]
    );
}

#[test]
fn an_infinite_loop_ends_only_its_call_at_the_cpu_budget() {
    let fixture = fixture();
    let rt = support::two_worker_runtime();
    let (looping, polite) = rt.block_on(async {
        let f1 = fixture.clone();
        let f2 = fixture.clone();
        let looping = tokio::spawn(async move { call(&f1, "loop", Limits::default()).await });
        let polite = tokio::spawn(async move { call(&f2, "polite", Limits::default()).await });
        (looping.await.expect("join"), polite.await.expect("join"))
    });
    assert_eq!(
        looping.record.error,
        Some(ScriptFailure::CpuPerEvent { limit_ms: 50 })
    );
    assert_fallback(&looping.record);
    assert_completed(&polite.record);
}

#[test]
fn a_sleeping_script_ends_only_its_call_at_the_wall_clock_limit() {
    let fixture = fixture();
    let rt = support::two_worker_runtime();
    let limits = Limits {
        wall_per_event: Duration::from_millis(200),
        ..Limits::default()
    };
    let (asleep, asleep_later, polite) = rt.block_on(async {
        let (f1, f2, f3) = (fixture.clone(), fixture.clone(), fixture.clone());
        let (l1, l2) = (limits.clone(), limits.clone());
        let asleep = tokio::spawn(async move { call(&f1, "sleep", l1).await });
        let later = tokio::spawn(async move { call(&f2, "late-sleep", l2).await });
        let polite = tokio::spawn(async move { call(&f3, "polite", Limits::default()).await });
        (
            asleep.await.expect("join"),
            later.await.expect("join"),
            polite.await.expect("join"),
        )
    });
    for result in [&asleep, &asleep_later] {
        assert_eq!(
            result.record.error,
            Some(ScriptFailure::WallClockPerEvent { limit_ms: 200 })
        );
        assert_fallback(&result.record);
    }
    assert_completed(&polite.record);
}

#[test]
fn a_memory_bomb_ends_at_the_tenants_memory_limit() {
    let fixture = fixture();
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let result = support::two_worker_runtime().block_on(call(&fixture, "memory", limits));
    assert_eq!(
        result.record.error,
        Some(ScriptFailure::Memory {
            limit_bytes: 16 << 20
        })
    );
    assert_fallback(&result.record);
}

#[test]
fn a_trap_ends_only_its_call_and_names_the_panic_and_the_guest_frames() {
    let fixture = fixture();
    let rt = support::two_worker_runtime();
    let (trapping, polite) = rt.block_on(async {
        let f1 = fixture.clone();
        let f2 = fixture.clone();
        let trapping = tokio::spawn(async move { call(&f1, "late-trap", Limits::default()).await });
        let polite = tokio::spawn(async move { call(&f2, "polite", Limits::default()).await });
        (trapping.await.expect("join"), polite.await.expect("join"))
    });
    match &trapping.record.error {
        Some(ScriptFailure::Trap { message, backtrace }) => {
            assert!(
                message.contains("late failure after hearing `方便`"),
                "{message}"
            );
            assert!(
                backtrace.first().is_some_and(|f| f.contains("Hostile")),
                "the innermost frame is the tenant's handler: {backtrace:?}"
            );
            assert!(
                backtrace.iter().all(|f| !f.contains("wasmtime")),
                "no host frames: {backtrace:?}"
            );
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_fallback(&trapping.record);
    assert_completed(&polite.record);
}

#[test]
fn unbounded_recursion_traps_instead_of_crashing_the_host() {
    let result =
        support::two_worker_runtime().block_on(call(&fixture(), "recursion", Limits::default()));
    match &result.record.error {
        Some(ScriptFailure::Trap { message, .. }) => {
            assert!(message.contains("call stack exhausted"), "{message}");
        }
        other => panic!("expected a stack overflow trap, got {other:?}"),
    }
    assert_fallback(&result.record);
}

#[test]
fn floods_and_oversized_replies_end_the_call_with_their_own_reason() {
    let fixture = fixture();
    let rt = support::two_worker_runtime();
    let limits = Limits::default();
    let cases: [(&str, ScriptFailure); 5] = [
        (
            "actions",
            ScriptFailure::TooManyActions {
                count: 1_000,
                limit: limits.actions_per_event,
            },
        ),
        (
            "string",
            ScriptFailure::StringTooLong {
                bytes: 3 << 20,
                limit: limits.string_bytes,
            },
        ),
        (
            "log-flood",
            ScriptFailure::LogFlood {
                limit_bytes: limits.log_bytes_per_call,
            },
        ),
        (
            "kv-flood",
            ScriptFailure::KvFlood {
                limit: limits.kv_ops_per_call,
            },
        ),
        (
            "stdout-flood",
            ScriptFailure::LogFlood {
                limit_bytes: limits.log_bytes_per_call,
            },
        ),
    ];
    for (mode, expected) in cases {
        let result = rt.block_on(call(&fixture, mode, Limits::default()));
        assert_eq!(result.record.error.as_ref(), Some(&expected), "mode {mode}");
        assert_fallback(&result.record);
    }
}

#[test]
fn modules_that_do_not_fit_the_world_are_rejected_with_a_reason() {
    let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    let error = |bytes: &[u8]| sandbox.compile(bytes).err().expect("rejected");

    let wrong_world = error(&support::guest_bytes("wrong-world"));
    assert!(
        matches!(wrong_world, ModuleError::MissingExport { .. }),
        "{wrong_world}"
    );
    let message = wrong_world.to_string();
    assert!(
        message.contains("huashu:dialogue/script@0.1.0") && message.contains("run"),
        "{message}"
    );

    let spy = error(&support::guest_bytes("unknown-import"));
    assert_eq!(
        spy,
        ModuleError::UnknownImport {
            name: "acme:spy/exfiltrate@1.0.0".into()
        }
    );
    assert!(spy.to_string().contains("acme:spy/exfiltrate@1.0.0"));

    assert_eq!(error(b"\0asm\x01\0\0\0"), ModuleError::CoreModule);
    assert_eq!(error(b"GIF89a not wasm at all"), ModuleError::NotWasm);
    let truncated = support::guest_bytes("hostile")[..4096].to_vec();
    assert!(matches!(error(&truncated), ModuleError::Malformed(_)));
}

#[test]
fn the_same_call_replays_identically() {
    let fixture = fixture();
    let rt = support::two_worker_runtime();
    let first = rt
        .block_on(call(&fixture, "polite", Limits::default()))
        .record;
    let second = rt
        .block_on(call(&fixture, "polite", Limits::default()))
        .record;
    let strip = |r: &CallRecord| {
        let mut r = r.clone();
        r.timings = Default::default();
        r
    };
    assert_eq!(strip(&first), strip(&second));
}
