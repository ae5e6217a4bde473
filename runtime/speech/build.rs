//! Links the embedded speech recogniser, Debian's PocketSphinx (`asr::pocketsphinx`),
//! found through pkg-config so a missing package fails the build with a message saying
//! which, and compiles the recogniser's small C helper against the installed headers.

use std::process::Command;

const CMN_HELPER: &str = "src/asr/pocketsphinx/cmn.c";

fn pkg_config(flag: &str) -> String {
    let out = Command::new("pkg-config")
        .args([flag, "pocketsphinx"])
        .output()
        .ok()
        .filter(|out| out.status.success());
    match out {
        Some(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        None => panic!(
            "huashu links the PocketSphinx speech recogniser, which pkg-config cannot find: \
             install the Debian packages libpocketsphinx-dev, libsphinxbase-dev and pkg-config \
             (./scripts/setup does)"
        ),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={CMN_HELPER}");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let mut helper = cc::Build::new();
    helper.file(CMN_HELPER).warnings(true);
    for flag in pkg_config("--cflags").split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-I") {
            helper.include(dir);
        }
    }
    helper.compile("huashu_pocketsphinx_cmn");
    // After the helper, so the linker sees the libraries it uses after it.
    for flag in pkg_config("--libs").split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            // libsphinxad is sphinxbase's microphone capture; audio reaches us as frames.
            if lib != "sphinxad" {
                println!("cargo:rustc-link-lib={lib}");
            }
        }
    }
}
