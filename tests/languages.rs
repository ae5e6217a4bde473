//! Scripts in other languages: the Python, JavaScript and C examples pass their scenarios
//! through the real `huashu test`; the Rust satisfaction survey and its Python port pass the
//! very same scenario files; and hostile Python guests are stopped by the same CPU and
//! memory limits as Rust ones. Every guest is built here, at test time, with the real
//! toolchains (`./scripts/setup` installs them; a missing one fails, never skips).

mod support;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use huashu_contract::{Party, ScriptFailure};
use huashu_sandbox::{
    ArtifactCache, CallSetup, Limits, Sandbox, SandboxConfig, ScriptModule, TenantKv,
};
use huashu_scenario::{Scenario, ScenarioResult, run_scenario};
use huashu_store::MemoryKeyValue;
use support::polyglot::{self, Language};

fn assert_all_pass(name: &str, module: &std::path::Path, scenarios: &[PathBuf]) {
    assert!(
        scenarios.len() >= 5,
        "{name} ships at least 5 scenarios, has {}",
        scenarios.len()
    );
    let (ok, stdout, stderr) = polyglot::huashu_test(module, scenarios);
    assert!(ok, "{name}: huashu test failed\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", scenarios.len())),
        "{name}: {stdout}"
    );
}

fn example_scenarios(name: &str) -> Vec<PathBuf> {
    polyglot::scenario_files(
        &support::workspace_root()
            .join("guest-examples")
            .join(name)
            .join("scenarios"),
    )
}

#[test]
fn the_python_javascript_and_c_examples_pass_their_scenarios() {
    for &(name, language) in polyglot::EXAMPLES {
        let wasm = polyglot::example_wasm(name, language);
        assert_all_pass(name, &wasm, &example_scenarios(name));
    }
}

#[test]
fn the_rust_survey_and_its_python_port_pass_the_same_scenario_files() {
    let root = support::workspace_root();
    let rust_dir = root.join("guest-examples/satisfaction-survey/scenarios");
    let python_dir = root.join("guest-examples/python-survey/scenarios");
    assert_eq!(
        python_dir.canonicalize().expect("python-survey/scenarios"),
        rust_dir
            .canonicalize()
            .expect("satisfaction-survey/scenarios"),
        "python-survey/scenarios must be the Rust example's directory, not a copy"
    );
    let scenarios = polyglot::scenario_files(&rust_dir);
    let rust = support::guest_wasm("satisfaction-survey");
    let python = polyglot::example_wasm("python-survey", Language::Python);
    assert_all_pass("satisfaction-survey (Rust)", &rust, &scenarios);
    assert_all_pass("python-survey (Python)", &python, &scenarios);
}

/// A call where the hostile Python guest runs in `mode`, through the library as the server
/// runs it: pooling allocator, the tenant's limits, the fallback on failure.
fn python_call(mode: &str, limits: Limits) -> ScenarioResult {
    // Compiling an 18 MB Python component takes seconds: once per test process at most.
    static FIXTURE: OnceLock<(Sandbox, ScriptModule)> = OnceLock::new();
    let guest = polyglot::python_test_guest("python-hostile");
    let _quiet = polyglot::quiet();
    let (sandbox, module) = FIXTURE.get_or_init(|| {
        let config = SandboxConfig {
            max_concurrent_calls: 16,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::new(&config).expect("sandbox");
        let wasm = std::fs::read(&guest).expect("read guest");
        // The artifact cache the CLI tests use: compiled once until the guest changes.
        let module = ArtifactCache::new(support::guest_target_dir().join("test-cache/artifacts"))
            .load(&sandbox, &wasm)
            .expect("the Python guest compiles");
        (sandbox, module)
    });
    let scenario = Scenario::parse(&format!(
        "call:\n  variables: {{ mode: {mode} }}\nsteps:\n  - customer_says: 方便\n"
    ))
    .expect("valid scenario");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let setup = CallSetup {
            call_id: format!("python-{mode}"),
            limits,
            kv: TenantKv {
                tenant: "acme".into(),
                store: Arc::new(MemoryKeyValue::default()),
            },
            started_at_ms: 0,
            random_seed: 7,
            turns: None,
        };
        let instance = sandbox
            .instantiate(module, setup)
            .await
            .expect("a Python guest instantiates with the pool's defaults");
        run_scenario(&scenario, instance, format!("python-{mode}")).await
    })
}

fn assert_fallback(result: &ScenarioResult) {
    let end = result.record.end.as_ref().expect("the call ended");
    assert_eq!(
        (end.by, end.reason.as_str()),
        (Party::Host, "script-failed")
    );
}

#[test]
fn a_polite_python_guest_completes_its_call_with_the_default_limits() {
    let result = python_call("polite", Limits::default());
    assert_eq!(result.record.error, None);
    let said: Vec<&str> = result
        .record
        .transcript
        .iter()
        .map(|l| l.text.as_str())
        .collect();
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
fn a_python_infinite_loop_is_stopped_at_the_cpu_budget() {
    let result = python_call("loop", Limits::default());
    assert_eq!(
        result.record.error,
        Some(ScriptFailure::CpuPerEvent { limit_ms: 50 })
    );
    assert_fallback(&result);
}

#[test]
fn a_python_memory_bomb_is_stopped_at_the_memory_limit() {
    // Half the default, as sandbox_limits.rs lowers it for Rust: the interpreter's own 12 MiB
    // fit, and the bomb reaches the cap in half the CPU time.
    let limits = Limits {
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    let result = python_call("memory", limits);
    assert_eq!(
        result.record.error,
        Some(ScriptFailure::Memory {
            limit_bytes: 32 << 20
        })
    );
    assert_fallback(&result);
}

#[test]
fn the_python_sdk_passes_its_unit_tests_natively() {
    let root = support::workspace_root();
    let bindings = support::guest_target_dir().join("python-bindings");
    let (componentize_py, python) = polyglot::python_tools();
    // componentize-py refuses to write into an existing directory.
    let _ = std::fs::remove_dir_all(&bindings);
    let generated = std::process::Command::new(componentize_py)
        .arg("-d")
        .arg(root.join("wit"))
        .args(["-w", "dialogue", "bindings"])
        .arg(&bindings)
        .output()
        .expect("run componentize-py bindings");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let path = std::env::join_paths([bindings, root.join("sdk/python")]).expect("PYTHONPATH");
    let out = std::process::Command::new(python)
        .args(["-m", "unittest", "discover", "-s"])
        .arg(root.join("sdk/python/tests"))
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3 -m unittest");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && report.contains("OK"), "{report}");
}

#[test]
fn the_javascript_sdk_passes_its_unit_tests_natively() {
    let root = support::workspace_root();
    let out = std::process::Command::new("node")
        .arg("--test")
        .arg(root.join("sdk/js/test"))
        .output()
        .expect("run node --test (node 20 or later; run ./scripts/setup)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("# fail 0"),
        "{report}"
    );
}

#[test]
fn the_c_sdk_passes_its_unit_tests_natively() {
    let root = support::workspace_root();
    let out = std::process::Command::new("bash")
        .arg(root.join("sdk/c/tests/run.sh"))
        .output()
        .expect("run sdk/c/tests/run.sh");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the customer answers the first question with.
enum Reply {
    Keys(&'static str),
    Text(&'static str),
}

#[test]
fn every_language_takes_a_call_through_the_server() {
    use serde_json::json;
    use support::server::{Server, create_tenant};
    use support::ws::TextCall;

    let cases = [
        (
            "python-survey",
            Language::Python,
            json!({ "name": "张先生", "service": "今天上午的空调维修服务" }),
            Reply::Keys("5"),
        ),
        (
            "js-birthday",
            Language::JavaScript,
            json!({ "name": "王芳", "coupon_amount": 80 }),
            Reply::Text("好的，谢谢"),
        ),
        (
            "c-reminder",
            Language::C,
            json!({ "name": "陈女士", "appointment": "明天上午十点的牙科复诊" }),
            Reply::Keys("1"),
        ),
    ];
    let modules: Vec<Vec<u8>> = cases
        .iter()
        .map(|(name, language, _, _)| {
            std::fs::read(polyglot::example_wasm(name, *language)).expect("built component")
        })
        .collect();
    let _quiet = polyglot::quiet();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Polyglot");
    let client = server.client(&key);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for ((name, _, variables, reply), wasm) in cases.iter().zip(&modules) {
        let (status, body) = support::server::upload_waiting(&client, name, wasm);
        assert_eq!(status, 201, "{name}: {body}");
        let (status, call) = client.post(
            "/v1/calls",
            json!({ "module": name, "variables": variables }),
        );
        assert_eq!(status, 201, "{name}: {call}");
        let ws_url = call["ws_url"].as_str().expect("ws_url").to_owned();
        let received = rt.block_on(async {
            let mut call = TextCall::connect(&ws_url).await;
            call.until_listening()
                .await
                .expect("the bot greets and listens");
            match reply {
                Reply::Keys(keys) => call.press(keys).await,
                Reply::Text(text) => call.say(text).await,
            }
            // Whatever the script asks next, the customer has said all they will.
            while call.until_listening().await.is_some() {
                call.send(json!({ "type": "hangup" })).await;
            }
            call
        });
        assert!(!received.said().is_empty(), "{name} said something");
        let call_id = call["call_id"].as_str().expect("call_id");
        let (status, record) = client.get(&format!("/v1/calls/{call_id}"));
        assert_eq!(status, 200);
        assert_eq!(record["status"], "completed", "{name}: {record}");
        assert_eq!(
            record["record"]["outcome"]["intent"], "A",
            "{name}: {record}"
        );
    }
}

/// Talks to a text call at `ws_url` until the bot has greeted and listens, then hangs up;
/// returns what the bot said.
fn greeting(rt: &tokio::runtime::Runtime, ws_url: &str) -> Vec<String> {
    use support::ws::TextCall;
    rt.block_on(async {
        let mut call = TextCall::connect(ws_url).await;
        call.until_listening()
            .await
            .expect("the bot greets and listens");
        call.send(serde_json::json!({ "type": "hangup" })).await;
        call.until_closed().await;
        call.said()
    })
}

/// An upload that does not ask to wait answers at once: the Python survey (seconds of
/// compiling) is 202 `compiling`. Meanwhile a call of the module runs its active version,
/// and a module with no version yet (a Rust upload queued behind the Python compile, since
/// uploads compile one at a time) refuses calls with 409 `module_compiling` naming the
/// upload; once the uploads are `ready`, calls run the new versions.
#[test]
fn a_python_upload_answers_compiling_at_once_and_calls_use_it_once_ready() {
    use serde_json::json;
    use support::server::{Server, create_tenant, upload, upload_outcome};

    let python = std::fs::read(polyglot::example_wasm("python-survey", Language::Python))
        .expect("built component");
    let _quiet = polyglot::quiet();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Polyglot");
    let client = server.client(&key);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let variables = json!({ "name": "张先生", "service": "今天上午的空调维修服务" });

    // Version 1 of `survey` is the Rust survey (the same dialogue), stored before the test.
    assert_eq!(upload(&server, &key, "survey", "satisfaction-survey"), 1);

    // Version 2, the Python port, with the server's default: answered at once.
    let (status, python_upload) = client.put_bytes_as_sent("/v1/modules/survey", &python);
    assert_eq!(status, 202, "{python_upload}");
    assert_eq!(python_upload["state"], "compiling", "{python_upload}");
    assert!(python_upload["version"].is_null(), "{python_upload}");
    let python_id = python_upload["upload_id"].as_str().expect("upload_id");

    // A first version queued behind it.
    let (status, rust_upload) = client.put_bytes_as_sent(
        "/v1/modules/coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 202, "{rust_upload}");
    assert_eq!(rust_upload["state"], "compiling", "{rust_upload}");
    let rust_id = rust_upload["upload_id"].as_str().expect("upload_id");

    // While they compile: the active version answers calls of `survey`…
    let (status, call) = client.post(
        "/v1/calls",
        json!({ "module": "survey", "variables": variables }),
    );
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["module_version"], 1, "{call}");
    // …and `coupon`, with no version yet, says which upload to wait for.
    let (status, refused) = client.post("/v1/calls", json!({ "module": "coupon" }));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "module_compiling", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(rust_id), "{refused}");

    // Once ready, calls use the new versions.
    let (status, version) = upload_outcome(&client, "survey", python_id);
    assert_eq!(status, 201, "{version}");
    assert_eq!(version["version"], 2, "{version}");
    let (status, version) = upload_outcome(&client, "coupon", rust_id);
    assert_eq!(status, 201, "{version}");
    assert_eq!(version["version"], 1, "{version}");
    let (status, call) = client.post(
        "/v1/calls",
        json!({ "module": "survey", "variables": variables }),
    );
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["module_version"], 2, "{call}");
    let said = greeting(&rt, call["ws_url"].as_str().expect("ws_url"));
    assert!(!said.is_empty(), "the Python survey greets");
    let (status, call) = client.post(
        "/v1/calls",
        json!({ "module": "coupon", "variables": { "name": "王芳", "coupon_amount": 50 } }),
    );
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["module_version"], 1, "{call}");
}
