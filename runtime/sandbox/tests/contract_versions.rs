//! Both versions of the script contract, on real components: a module built against
//! `huashu:dialogue@0.1.0` still loads and runs unchanged (also from its stored artifact
//! after a restart), and a 0.2.0 module's `opt-out` reaches the call record.
//!
//! The guests are built from source for `wasm32-wasip2` into `target/guests`, where the
//! end-to-end tests and the bench build them too: `tests/guests/contract-0-1` (pinned to
//! the 0.1.0 text kept in `runtime/sandbox/wit-0.1.0/`) and `guest-examples/birthday-coupon`
//! (the current SDK, 0.2.0).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use huashu_contract::{
    Action, CallScript, CallStarted, Channel, Direction, Event, IntentLevel, Transcript,
};
use huashu_sandbox::{
    ArtifactCache, CallSetup, ContractVersion, Limits, Sandbox, SandboxConfig, ScriptInstance,
    ScriptModule, TenantKv,
};
use huashu_session::{CallerInput, EstimatedPlayout, Session, SessionConfig};
use huashu_store::MemoryKeyValue;

/// The guest pinned to 0.1.0, and a real example built with the current SDK.
const PINNED: &str = "contract-0-1";
const CURRENT: &str = "birthday-coupon";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("wit").is_dir())
        .expect("the crate sits inside the huashu workspace")
        .to_path_buf()
}

/// The component of guest crate `name`, built (once per test process) with the others.
fn guest_bytes(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let target = workspace_root().join("target").join("guests");
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .arg("--target-dir")
            .arg(&target)
            .args(["-p", PINNED, "-p", CURRENT])
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "cargo exited with {status}; is the wasm32-wasip2 target installed?"
            ))
        }
    });
    if let Err(why) = built {
        panic!("building the guest components failed: {why}");
    }
    let path = target
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn call(channel: Channel, variables: &[(&str, &str)]) -> CallStarted {
    CallStarted {
        call_id: "c_versions".into(),
        direction: Direction::Outbound,
        caller: "4008001234".into(),
        callee: "13800138000".into(),
        channel,
        variables: variables
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        started_at_ms: 1_795_399_200_000,
        random_seed: 7,
    }
}

fn setup(kv: &Arc<MemoryKeyValue>) -> CallSetup {
    CallSetup {
        call_id: "c_versions".into(),
        limits: Limits::default(),
        kv: TenantKv {
            tenant: "t_versions".into(),
            store: kv.clone(),
        },
        started_at_ms: 1_795_399_200_000,
        random_seed: 7,
        turns: None,
    }
}

fn said(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(say) => Some(say.text.as_str()),
            _ => None,
        })
        .collect()
}

fn final_transcript(text: &str) -> Transcript {
    Transcript::typed(text)
}

/// Runs the pinned guest through a call on a SIP channel and checks everything it does: a
/// 0.1.0 script sees a SIP call as `twilio`, its log and key-value imports work, and its
/// outcome and hang-up come back as contract actions.
async fn the_pinned_guest_answers_a_call(sandbox: &Sandbox, module: &ScriptModule, calls: u32) {
    let kv = Arc::new(MemoryKeyValue::new(1 << 20));
    let mut instance: ScriptInstance = sandbox
        .instantiate(module, setup(&kv))
        .await
        .expect("a 0.1.0 module instantiates");
    for expected in 1..=calls {
        let reply = instance
            .handle(&Event::CallStarted(call(Channel::Sip, &[])), 0)
            .await
            .expect("call-started is answered");
        assert_eq!(
            said(&reply.actions),
            ["channel: twilio".to_string(), format!("calls: {expected}")],
            "{:?}",
            reply.actions
        );
        assert!(
            reply
                .logs
                .iter()
                .any(|line| line.message.contains("a 0.1.0 script answering")),
            "{:?}",
            reply.logs
        );
    }
    let reply = instance
        .handle(&Event::FinalTranscript(final_transcript("好的")), 2_000)
        .await
        .expect("the answer is handled");
    let [Action::SetOutcome(outcome), Action::HangUp { reason }] = &reply.actions[..] else {
        panic!("an outcome and a hang-up, got {:?}", reply.actions);
    };
    assert_eq!(outcome.intent, Some(IntentLevel::A));
    assert_eq!(outcome.disposition.as_deref(), Some("heard"));
    assert!(!outcome.opted_out);
    assert_eq!(reason, "done");
}

#[test]
fn a_module_built_against_0_1_still_loads_and_runs_unchanged() {
    let wasm = guest_bytes(PINNED);
    let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    let compiled = sandbox.compile(&wasm).expect("a 0.1.0 module is accepted");
    assert_eq!(compiled.module.contract_version(), ContractVersion::V0_1);
    runtime().block_on(the_pinned_guest_answers_a_call(
        &sandbox,
        &compiled.module,
        2,
    ));
}

#[test]
fn a_0_1_module_loads_from_its_stored_artifact_after_a_restart() {
    let wasm = guest_bytes(PINNED);
    let artifact = {
        let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
        sandbox.compile(&wasm).expect("compiles").artifact
    };
    // A new process: nothing survives but the stored artifact.
    let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    // SAFETY: the artifact was produced just above by a sandbox of this same build and
    // never left this process.
    let module = unsafe { sandbox.load_precompiled(&artifact, "pinned".into()) }
        .expect("the stored artifact loads");
    assert_eq!(module.contract_version(), ContractVersion::V0_1);
    runtime().block_on(the_pinned_guest_answers_a_call(&sandbox, &module, 1));

    // The on-disk cache the offline runner uses: compiled on the first load, read back on
    // the second by another sandbox, and still a 0.1.0 module.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let first = ArtifactCache::new(dir.path())
        .load(&sandbox, &wasm)
        .expect("compiled and cached");
    assert_eq!(first.contract_version(), ContractVersion::V0_1);
    let restarted = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    let cached = ArtifactCache::new(dir.path())
        .load(&restarted, &wasm)
        .expect("read from the cache");
    assert_eq!(cached.contract_version(), ContractVersion::V0_1);
    runtime().block_on(the_pinned_guest_answers_a_call(&restarted, &cached, 1));
}

#[test]
fn a_0_2_module_opts_out_on_a_sip_call() {
    let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    let compiled = sandbox
        .compile(&guest_bytes(CURRENT))
        .expect("the example is accepted");
    assert_eq!(compiled.module.contract_version(), ContractVersion::V0_2);
    let kv = Arc::new(MemoryKeyValue::new(1 << 20));
    let actions = runtime().block_on(async {
        let mut instance = sandbox
            .instantiate(&compiled.module, setup(&kv))
            .await
            .expect("instantiates");
        let started = call(Channel::Sip, &[("name", "王芳"), ("coupon_amount", "50")]);
        instance
            .handle(&Event::CallStarted(started), 0)
            .await
            .expect("greets");
        instance
            .handle(
                &Event::FinalTranscript(final_transcript("不要再打了")),
                3_000,
            )
            .await
            .expect("answers")
            .actions
    });
    assert!(
        actions.contains(&Action::OptOut {
            reason: "customer asked: 不要再打了".into()
        }),
        "{actions:?}"
    );
    assert!(matches!(actions.last(), Some(Action::HangUp { .. })));
}

#[test]
fn a_0_2_modules_opt_out_lands_in_the_call_record() {
    let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("sandbox");
    let compiled = sandbox
        .compile(&guest_bytes(CURRENT))
        .expect("the example is accepted");
    let kv = Arc::new(MemoryKeyValue::new(1 << 20));
    let record = runtime().block_on(async {
        let script = sandbox
            .instantiate(&compiled.module, setup(&kv))
            .await
            .expect("instantiates");
        let started = call(Channel::Sip, &[("name", "王芳"), ("coupon_amount", "50")]);
        let mut session = Session::new(
            script,
            EstimatedPlayout::default(),
            started,
            SessionConfig::default(),
        );
        session.start().await;
        // The member talks over the greeting (it may be interrupted).
        session.input(800, CallerInput::SpeechStarted).await;
        session
            .input(
                1_500,
                CallerInput::Final {
                    transcript: final_transcript("别再打了，以后不要再给我打电话"),
                },
            )
            .await;
        session.advance(60_000).await;
        assert!(session.is_ended(), "the script hangs up after its goodbye");
        session.into_record()
    });
    assert!(record.outcome.opted_out, "{:?}", record.outcome);
    assert!(
        record
            .outcome
            .opt_out_reason
            .as_deref()
            .is_some_and(|reason| reason.contains("不要再给我打电话")),
        "{:?}",
        record.outcome
    );
    assert_eq!(record.outcome.disposition.as_deref(), Some("do-not-call"));
    assert_eq!(record.error, None);
    let json = serde_json::to_value(&record).expect("the record serialises");
    assert_eq!(json["outcome"]["opted_out"], serde_json::json!(true));
}
