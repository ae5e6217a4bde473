//! The `huashu` binary: everything is in the library's [`huashu::cli`].

fn main() -> std::process::ExitCode {
    huashu::cli::main()
}
