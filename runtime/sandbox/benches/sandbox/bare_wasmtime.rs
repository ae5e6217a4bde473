//! The baseline the sandbox's figures are divided by: the same component run by wasmtime
//! with nothing of huashu's around it, so a ratio says what huashu adds on top of
//! wasmtime's own work, measured in the same run on the same machine.
//!
//! - The engine is built from [`SandboxConfig::wasmtime_config`]: the same compilation
//!   settings and the same instance pool as the server's (epoch interruption is compiled in
//!   too, so the guest's machine code is identical; nothing ever advances this engine's
//!   epoch, so its checks never fire).
//! - The linker defines the contract's imports trivially (a log write is dropped, the
//!   key-value store is always empty and accepts every write) and every WASI import as a
//!   trap: the guest calls no WASI function on the paths measured, and a trap would fail
//!   the bench loudly rather than time something else.
//! - A store holds no data: no WASI context, no resource limiter, no CPU budget, no
//!   epoch callback, no wall-clock timeout, no turns. An event is one
//!   `call_handle` through the generated bindings, with the event already in the contract's
//!   own types.
//!
//! Only `huashu:dialogue@0.2.0` components are supported: the bench's guests are built
//! against the current contract.

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};

use huashu_sandbox::SandboxConfig;

wasmtime::component::bindgen!({
    world: "dialogue",
    path: "../../wit",
    // The same import and export settings as the sandbox's own bindings, so the guest is
    // entered through the same kind of generated code.
    imports: {
        "huashu:dialogue/kv": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

use huashu::dialogue::{kv, log, types};

pub use huashu::dialogue::types::{CallStarted, Channel, Direction, Event, Transcript};

/// A store's data: nothing. The host functions below keep no state.
pub struct Empty;

impl log::Host for Empty {
    fn write(&mut self, _level: log::Level, _message: String) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl kv::Host for Empty {
    async fn get(
        &mut self,
        _key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, kv::KvError>> {
        Ok(Ok(None))
    }

    async fn set(
        &mut self,
        _key: String,
        _value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), kv::KvError>> {
        Ok(Ok(()))
    }

    async fn delete(&mut self, _key: String) -> wasmtime::Result<Result<(), kv::KvError>> {
        Ok(Ok(()))
    }
}

impl types::Host for Empty {}

/// The engine (same settings as the sandbox's) and the component, linked once.
pub struct Bare {
    engine: Engine,
    pre: DialoguePre<Empty>,
}

/// One bare instance: its store and its exports.
pub struct BareInstance {
    store: Store<Empty>,
    bindings: Dialogue,
}

/// Far beyond any run: nothing advances the bare engine's epoch, but with epoch
/// interruption compiled in, a store's deadline must be set or the guest traps at once.
const NO_DEADLINE: u64 = u64::MAX / 2;

impl Bare {
    /// Compiles `wasm` with a fresh engine of the server's settings and links it.
    pub fn new(wasm: &[u8]) -> Self {
        let engine = Engine::new(&SandboxConfig::default().wasmtime_config())
            .expect("the sandbox's wasmtime settings make an engine");
        let component = Component::new(&engine, wasm).expect("the guest compiles");
        let mut linker = Linker::<Empty>::new(&engine);
        Dialogue::add_to_linker::<Empty, HasSelf<Empty>>(&mut linker, |data| data)
            .expect("the contract's imports link");
        linker
            .define_unknown_imports_as_traps(&component)
            .expect("WASI imports are defined as traps");
        let pre = linker
            .instantiate_pre(&component)
            .expect("the guest's imports are all defined");
        let pre = DialoguePre::new(pre).expect(
            "the guest exports huashu:dialogue/script@0.2.0 (the bench needs a 0.2.0 guest)",
        );
        Self { engine, pre }
    }

    /// A store with empty data and no deadline: what [`Bare::instantiate`] times.
    pub fn store(&self) -> Store<Empty> {
        let mut store = Store::new(&self.engine, Empty);
        store.set_epoch_deadline(NO_DEADLINE);
        store
    }

    /// `InstancePre::instantiate_async` of the component into `store`.
    pub async fn instantiate(&self, mut store: Store<Empty>) -> BareInstance {
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("the guest instantiates bare");
        BareInstance { store, bindings }
    }
}

impl BareInstance {
    /// The guest's `handle`, called directly: returns how many actions it answered with.
    pub async fn handle(&mut self, event: &Event, elapsed_ms: u64) -> usize {
        self.bindings
            .huashu_dialogue_script()
            .call_handle(&mut self.store, event, elapsed_ms)
            .await
            .expect("the guest handles the event bare")
            .len()
    }
}

/// `event` in the contract's own types, built before the clock starts: what the sandbox
/// converts on every event is part of huashu's cost, not of the baseline's.
pub fn to_wit(event: &huashu_contract::Event) -> Event {
    use huashu_contract::Event as E;
    match event {
        E::CallStarted(started) => Event::CallStarted(CallStarted {
            call_id: started.call_id.clone(),
            direction: match started.direction {
                huashu_contract::Direction::Outbound => Direction::Outbound,
                huashu_contract::Direction::Inbound => Direction::Inbound,
            },
            caller: started.caller.clone(),
            callee: started.callee.clone(),
            channel: match started.channel {
                huashu_contract::Channel::Twilio => Channel::Twilio,
                other => panic!("the bench does not send {other:?} calls"),
            },
            variables: started
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            started_at_ms: started.started_at_ms,
            random_seed: started.random_seed,
        }),
        E::SpeechStarted => Event::SpeechStarted,
        E::FinalTranscript(heard)
            if heard.alternatives.is_empty() && heard.not_understood.is_none() =>
        {
            Event::FinalTranscript(Transcript {
                text: heard.text.clone(),
                confidence: heard.confidence,
                alternatives: Vec::new(),
                not_understood: None,
            })
        }
        other => panic!("the bench does not send {other:?}"),
    }
}
