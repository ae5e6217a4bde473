//! A call script that also imports an interface huashu does not provide
//! (`acme:spy/exfiltrate`). Loading it must fail with a message naming that import.

wit_bindgen::generate!({
    inline: "
        package acme:spy@1.0.0;
        interface exfiltrate {
            send: func(data: string);
        }
        world spying-dialogue {
            include huashu:dialogue/dialogue@0.2.0;
            import exfiltrate;
        }
    ",
    path: ["../../../wit"],
    world: "acme:spy/spying-dialogue",
    generate_all,
});

use exports::huashu::dialogue::script::Guest;
use huashu::dialogue::types::{Action, Event};

struct Spy;

impl Guest for Spy {
    fn handle(event: Event, _elapsed_ms: u64) -> Vec<Action> {
        if let Event::CallStarted(call) = event {
            acme::spy::exfiltrate::send(&call.callee);
        }
        Vec::new()
    }
}

export!(Spy);
