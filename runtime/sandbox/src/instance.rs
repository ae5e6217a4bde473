//! One call's instance: created fresh for the call, fed one event at a time, dropped at
//! hang-up. Every way a guest can misbehave ends here as a [`ScriptFailure`].

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, UpdateDeadline};

use super::bindings::{v0_1, v0_2};
use super::call_clock::{CallClock, locked_down_wasi};
use super::call_state::{CallState, HostLimits, HostState, OutputCapture, TenantKv};
use super::convert;
use super::cpu_budget::{CpuBudget, CpuExhausted};
use super::limits::{CallResourceLimiter, Limits};
use super::module::{ScriptModule, ScriptPre};
use super::turns::taking_turns;
use huashu_contract::{Action, CallScript, Event, LogLevel, Millis, ScriptFailure, ScriptReply};

/// What the sandbox needs to know about a call to start its instance.
pub struct CallSetup {
    /// The call's id, for logs and trap messages.
    pub call_id: String,
    /// The tenant's limits for this call (memory, CPU, output sizes).
    pub limits: Limits,
    /// The tenant's key-value space, reached through the `kv` import.
    pub kv: TenantKv,
    /// Wall-clock start of the call (ms since the Unix epoch): the guest's WASI wall clock.
    pub started_at_ms: u64,
    /// Seeds the guest's WASI randomness.
    pub random_seed: u64,
    /// The tenant's turns at running guest code, if it shares the machine with others:
    /// the instance's start and each event hold one, so however many of its calls are
    /// busy at once, one tenant's guests never occupy every core (see
    /// `huashu_calls::CallService`). `None` runs unrestricted (tests, replay).
    pub turns: Option<Arc<tokio::sync::Semaphore>>,
}

/// A live script instance for one call.
pub struct ScriptInstance {
    store: Store<CallState>,
    bindings: ScriptBindings,
    clock: CallClock,
    budget: Arc<CpuBudget>,
    actions_limit: usize,
    /// Wall-clock time one event may take.
    wall_limit: Duration,
    string_limit: usize,
    /// Set after the first failure: the instance is never entered again.
    failed: Option<ScriptFailure>,
    turns: Option<Arc<tokio::sync::Semaphore>>,
}

/// An instance's exports, in the bindings of the contract version its module was built
/// against.
enum ScriptBindings {
    V0_1(v0_1::Dialogue),
    V0_2(v0_2::Dialogue),
}

/// A reply as the guest returned it, before conversion to the contract's actions.
enum WitReply {
    V0_1(Vec<v0_1::huashu::dialogue::types::Action>),
    V0_2(Vec<v0_2::huashu::dialogue::types::Action>),
}

impl WitReply {
    fn len(&self) -> usize {
        match self {
            WitReply::V0_1(actions) => actions.len(),
            WitReply::V0_2(actions) => actions.len(),
        }
    }

    fn into_contract(self) -> Vec<Action> {
        match self {
            WitReply::V0_1(actions) => actions
                .into_iter()
                .map(convert::v0_1::action_from_wit)
                .collect(),
            WitReply::V0_2(actions) => actions
                .into_iter()
                .map(convert::v0_2::action_from_wit)
                .collect(),
        }
    }
}

impl ScriptInstance {
    pub(crate) async fn new(
        engine: &Engine,
        module: &ScriptModule,
        setup: CallSetup,
    ) -> Result<Self, ScriptFailure> {
        let limits = &setup.limits;
        let clock = CallClock::new(setup.started_at_ms);
        // Twice the log budget: a guest that prints past its budget is caught after the event
        // (or, printing in a loop, when the pipe fills) rather than silently cut off.
        let pipe_bytes = limits.log_bytes_per_call.saturating_mul(2);
        let stdout = OutputCapture::new(pipe_bytes, LogLevel::Info);
        let stderr = OutputCapture::new(pipe_bytes, LogLevel::Warn);
        let wasi = locked_down_wasi(&clock, setup.random_seed, stdout.pipe(), stderr.pipe());
        let budget = CpuBudget::new(limits.cpu_per_event, limits.cpu_per_call);
        let host = HostState::new(
            setup.call_id,
            HostLimits {
                log_bytes: limits.log_bytes_per_call,
                string_bytes: limits.string_bytes,
                kv_ops: limits.kv_ops_per_call,
            },
            setup.kv,
            stdout,
            stderr,
        );
        let state = CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: CallResourceLimiter::new(limits),
            budget: budget.clone(),
            host,
        };
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_callback(|ctx| match ctx.data().budget.check() {
            Ok(()) => Ok(UpdateDeadline::Yield(1)),
            Err(exhausted) => Err(wasmtime::Error::new(exhausted)),
        });
        store.set_epoch_deadline(1);

        let wall_limit = limits.wall_per_event;
        let turns = setup.turns.clone();
        // The wall clock starts when the guest first runs, not while it waits for its
        // tenant's turn: waiting is not the guest's doing.
        let instantiated = taking_turns(turns.as_ref(), &budget.ticked, async {
            tokio::time::timeout(
                wall_limit,
                budget.metered(async {
                    match &module.pre {
                        ScriptPre::V0_1(pre) => pre
                            .instantiate_async(&mut store)
                            .await
                            .map(ScriptBindings::V0_1),
                        ScriptPre::V0_2(pre) => pre
                            .instantiate_async(&mut store)
                            .await
                            .map(ScriptBindings::V0_2),
                    }
                }),
            )
            .await
        })
        .await
        .map_err(|_| wall_clock_failure(wall_limit))?
        .0;
        let bindings =
            instantiated.map_err(|error| match classify(&mut store, &budget, error) {
                ScriptFailure::Trap { message, .. } => ScriptFailure::Instantiate(message),
                other => other,
            })?;
        Ok(Self {
            bindings,
            store,
            clock,
            budget,
            actions_limit: limits.actions_per_event,
            wall_limit,
            string_limit: limits.string_bytes,
            failed: None,
            turns,
        })
    }

    /// The guest's linear memory in use, in bytes (for metrics).
    pub fn memory_used(&self) -> u64 {
        self.store.data().limiter.granted()
    }

    async fn call(&mut self, event: &Event, elapsed: Millis) -> Result<ScriptReply, ScriptFailure> {
        if let Some(failure) = &self.failed {
            return Err(failure.clone());
        }
        if self.budget.call_exhausted() {
            return Err(CpuExhausted::Call.failure(&self.budget));
        }
        self.clock.set_elapsed(elapsed);
        self.store.set_epoch_deadline(1);
        let budget = self.budget.clone();
        let turns = self.turns.clone();
        let store = &mut self.store;
        // The event goes in, and the actions come out, in the module's own version's types;
        // everything after this is version-blind. An event the module's version does not
        // have (it could not have asked for it) is answered with no actions.
        let handle = async {
            match &self.bindings {
                ScriptBindings::V0_1(bindings) => {
                    let Some(wit_event) = convert::v0_1::event_to_wit(event) else {
                        return Ok(WitReply::V0_1(Vec::new()));
                    };
                    let actions = bindings
                        .huashu_dialogue_script()
                        .call_handle(store, &wit_event, elapsed)
                        .await?;
                    Ok(WitReply::V0_1(actions))
                }
                ScriptBindings::V0_2(bindings) => {
                    let Some(wit_event) = convert::v0_2::event_to_wit(event) else {
                        return Ok(WitReply::V0_2(Vec::new()));
                    };
                    let actions = bindings
                        .huashu_dialogue_script()
                        .call_handle(store, &wit_event, elapsed)
                        .await?;
                    Ok(WitReply::V0_2(actions))
                }
            }
        };
        // Dropping the guest's future mid-call leaves the instance unusable: it is marked
        // failed and the call ends with the fallback.
        // The wall clock starts when the guest first runs (see `new`).
        let wall_limit = self.wall_limit;
        let timed = taking_turns(turns.as_ref(), &budget.ticked, async {
            tokio::time::timeout(wall_limit, budget.metered(handle)).await
        })
        .await;
        let Ok((result, cpu)) = timed else {
            let failure = wall_clock_failure(self.wall_limit);
            self.failed = Some(failure.clone());
            return Err(failure);
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => return Err(classify(&mut self.store, &self.budget, error)),
        };
        self.check_reply_size(reply.len())?;
        let actions = reply.into_contract();
        for action in &actions {
            for s in action.strings() {
                if s.len() > self.string_limit {
                    return Err(ScriptFailure::StringTooLong {
                        bytes: s.len(),
                        limit: self.string_limit,
                    });
                }
            }
        }
        let logs = self.store.data_mut().host.take_logs()?;
        Ok(ScriptReply { actions, logs, cpu })
    }

    fn check_reply_size(&self, count: usize) -> Result<(), ScriptFailure> {
        if count > self.actions_limit {
            return Err(ScriptFailure::TooManyActions {
                count,
                limit: self.actions_limit,
            });
        }
        Ok(())
    }
}

fn wall_clock_failure(limit: Duration) -> ScriptFailure {
    ScriptFailure::WallClockPerEvent {
        limit_ms: limit.as_millis() as u64,
    }
}

/// Names what went wrong, most specific first: a flood a host import detected, a CPU budget,
/// the memory cap, and otherwise the trap itself with the guest's backtrace.
fn classify(
    store: &mut Store<CallState>,
    budget: &CpuBudget,
    error: wasmtime::Error,
) -> ScriptFailure {
    let state = store.data_mut();
    // What the guest logged before failing (a Python traceback, a Rust panic message) is
    // kept for the call record, unless logging too much is the failure itself.
    let flood = matches!(state.host.failure, Some(ScriptFailure::LogFlood { .. }))
        || state.host.output_over_budget();
    let logs = if flood {
        Vec::new()
    } else {
        state.host.salvage_logs()
    };
    let failure = if let Some(failure) = state.host.failure.take() {
        failure
    } else if let Some(exhausted) = error.downcast_ref::<CpuExhausted>() {
        exhausted.failure(budget)
    } else if state.limiter.memory_refused {
        ScriptFailure::Memory {
            limit_bytes: state.limiter.limit(),
        }
    } else if state.host.output_over_budget() {
        ScriptFailure::LogFlood {
            limit_bytes: state.host.log_limit(),
        }
    } else {
        // Rust guests print "panicked at file:line:" and the message on the next line.
        let panic = logs
            .iter()
            .rposition(|line| line.message.contains("panicked at"))
            .map(|at| {
                logs[at..]
                    .iter()
                    .take(2)
                    .map(|line| line.message.trim())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        trap_failure(&error, panic)
    };
    tracing::info!(call_id = %state.host.call_id, %failure, "script failed");
    state.host.failure_logs = logs;
    failure
}

/// A trap as the tenant should read it: what happened, the panic message if the guest
/// printed one, and the guest's own frames.
fn trap_failure(error: &wasmtime::Error, panic: Option<String>) -> ScriptFailure {
    let what = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    let message = match panic {
        Some(panic) => format!("{what} ({panic})"),
        None => what,
    };
    let frames: Vec<String> = error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|bt| {
            bt.frames()
                .iter()
                .map(|frame| match frame.func_name() {
                    Some(name) => format!("{:#}", rustc_demangle::demangle(name)),
                    None => format!("function #{}", frame.func_index()),
                })
                .collect()
        })
        .unwrap_or_default();
    // The innermost frames of a panic are the standard library's abort path; the tenant's
    // code starts after them.
    let first_own = frames
        .iter()
        .position(|f| !is_runtime_frame(f))
        .unwrap_or(0);
    let backtrace = frames[first_own..].to_vec();
    ScriptFailure::Trap { message, backtrace }
}

/// Frames of the guest's language runtime (panic and abort machinery), not the tenant's code.
fn is_runtime_frame(name: &str) -> bool {
    name == "abort"
        || [
            "std::",
            "core::",
            "alloc::",
            "__rust",
            "rust_panic",
            "panic_",
            "__wasm",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

impl CallScript for ScriptInstance {
    fn take_logs(&mut self) -> Vec<huashu_contract::LogLine> {
        std::mem::take(&mut self.store.data_mut().host.failure_logs)
    }

    async fn handle(
        &mut self,
        event: &Event,
        elapsed: Millis,
    ) -> Result<ScriptReply, ScriptFailure> {
        let reply = self.call(event, elapsed).await;
        if let Err(failure) = &reply {
            self.failed = Some(failure.clone());
        }
        reply
    }
}
