//! [`export_dialogue!`](crate::export_dialogue): turns a [`Dialogue`] type into the
//! component's `script` export, keeping one value of it per component instance (per call).

use crate::actions::Actions;
use crate::dialogue::Dialogue;
use crate::{Action, Event};
use std::cell::RefCell;

/// Exports a [`Dialogue`](crate::Dialogue) type as the script of this component. Use it once,
/// in the crate that is built as the component (`crate-type = ["cdylib"]`):
///
/// ```no_run
/// use huashu_sdk::prelude::*;
///
/// #[derive(Default)]
/// struct Hello;
///
/// impl Dialogue for Hello {
///     fn on_call_started(&mut self, _call: &CallStarted, out: &mut Actions) {
///         out.say("您好，再见！");
///         out.hang_up("done");
///     }
/// }
///
/// huashu_sdk::export_dialogue!(Hello);
/// ```
///
/// The type must implement `Default`: a value is created just before the first event of
/// the call and lives until the call ends. The host gives every call a fresh instance of the
/// component, so one call never sees another's state.
///
/// Only a WebAssembly build exports anything. Built for the host (`cargo build` or `cargo
/// test` of a script crate, to run its unit tests), the macro still checks the type but
/// emits no component exports: their names (`huashu:dialogue/script@0.2.0#handle`) are not
/// symbols a native linker accepts in a shared library.
#[macro_export]
macro_rules! export_dialogue {
    ($script:ty) => {
        /// The script's entry point: one event in, the script's actions out. The component
        /// export calls it; on the host it is what makes the script's code reachable.
        #[doc(hidden)]
        pub fn __huashu_dialogue_handle(
            event: $crate::Event,
            elapsed_ms: u64,
        ) -> $crate::__private::Vec<$crate::Action> {
            ::std::thread_local! {
                static SCRIPT: ::core::cell::RefCell<::core::option::Option<$script>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }
            SCRIPT.with(|script| $crate::__private::handle_event(script, event, elapsed_ms))
        }

        #[cfg(target_family = "wasm")]
        const _: () = {
            struct HuashuScriptExport;

            impl $crate::__private::Guest for HuashuScriptExport {
                fn handle(
                    event: $crate::Event,
                    elapsed_ms: u64,
                ) -> $crate::__private::Vec<$crate::Action> {
                    __huashu_dialogue_handle(event, elapsed_ms)
                }
            }

    $crate::bindings::export!(HuashuScriptExport with_types_in $crate::bindings);
        };
    };
}

/// Runs one event through the script kept in `slot`, creating the script first if needed.
#[doc(hidden)]
pub fn handle_event<D: Dialogue + Default>(
    slot: &RefCell<Option<D>>,
    event: Event,
    elapsed_ms: u64,
) -> Vec<Action> {
    let mut slot = slot.borrow_mut();
    let script = slot.get_or_insert_with(D::default);
    let mut out = Actions::new(elapsed_ms);
    script.on_event(&event, &mut out);
    out.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HangUp, Party};

    #[derive(Default)]
    struct Counter {
        events: u32,
    }

    impl Dialogue for Counter {
        fn on_event(&mut self, event: &Event, out: &mut Actions) {
            self.events += 1;
            if let Event::HangUp(_) = event {
                out.field("events", self.events.to_string());
            }
        }
    }

    #[test]
    fn state_persists_across_events_of_one_slot() {
        let slot = RefCell::new(None::<Counter>);
        assert!(handle_event(&slot, Event::SpeechStarted, 10).is_empty());
        let hang_up = Event::HangUp(HangUp {
            by: Party::Customer,
            reason: "customer-hung-up".into(),
        });
        let actions = handle_event(&slot, hang_up, 20);
        assert!(
            matches!(&actions[..], [Action::SetOutcome(o)] if o.fields == [("events".into(), "2".into())])
        );
    }
}
