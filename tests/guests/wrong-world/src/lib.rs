//! A component built from a different world: it exports a `run` function instead of
//! `huashu:dialogue/script`. Uploading it must fail with a message that says so.

wit_bindgen::generate!({
    inline: "
        package acme:other@1.0.0;
        world runner {
            export run: func() -> string;
        }
    ",
});

struct Runner;

impl Guest for Runner {
    fn run() -> String {
        "not a call script".into()
    }
}

export!(Runner);
