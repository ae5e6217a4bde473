//! What a new project holds, per language: the templates from `runtime/cli/templates/`
//! filled in for its name, the vendored SDK ([`super::vendor`]) and, for Rust, the cargo
//! files ([`super::cargo_files`]).

use std::borrow::Cow;
use std::path::Path;

use super::{Lang, cargo_files, vendor};

/// A file of the new project, by its path inside it.
pub struct ProjectFile {
    pub path: String,
    pub bytes: Cow<'static, [u8]>,
    pub executable: bool,
}

impl ProjectFile {
    fn text(path: &str, text: impl Into<String>) -> Self {
        ProjectFile {
            path: path.to_owned(),
            bytes: Cow::Owned(text.into().into_bytes()),
            executable: path.ends_with(".sh"),
        }
    }
}

/// A template from `runtime/cli/templates/`.
macro_rules! template {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $path))
    };
}

/// The files of a project `name` in `lang`.
pub fn project_files(
    name: &str,
    lang: Lang,
    checkout: Option<&Path>,
) -> anyhow::Result<Vec<ProjectFile>> {
    let package = cargo_package_name(name);
    let crate_name = package.replace('-', "_");
    let home = shell_quote(
        &checkout
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    let (readme, entry, source, toolchain_note) = match lang {
        Lang::Rust => (
            template!("rust/README.md"),
            "lib.rs",
            template!("rust/lib.rs"),
            "",
        ),
        Lang::Python => (
            template!("common/README.md"),
            "app.py",
            template!("python/app.py"),
            PYTHON_TOOLCHAIN,
        ),
        Lang::Js => (
            template!("common/README.md"),
            "app.js",
            template!("js/app.js"),
            JS_TOOLCHAIN,
        ),
        Lang::C => (
            template!("common/README.md"),
            "app.c",
            template!("c/app.c"),
            C_TOOLCHAIN,
        ),
    };
    let sdk_note = if lang == Lang::Rust {
        "\n  Its `Cargo.toml` spells out the settings the repository's workspace gave it."
    } else {
        ""
    };
    let vars: &[(&str, &str)] = &[
        ("name", name),
        ("package", &package),
        ("crate", &crate_name),
        ("entry", entry),
        ("lang_dir", lang.sdk_dir()),
        ("lang_title", lang.title()),
        ("world", vendor::world_package()),
        ("huashu_version", env!("CARGO_PKG_VERSION")),
        ("huashu_home", &home),
        ("toolchain_note", toolchain_note),
        ("sdk_note", sdk_note),
    ];
    let mut files = vec![
        ProjectFile::text("README.md", fill(readme, vars)),
        ProjectFile::text(".gitignore", template!("common/gitignore")),
        ProjectFile::text("scenarios/yes.yaml", template!("common/yes.yaml")),
        ProjectFile::text(
            "vendor/huashu/README.md",
            fill(template!("common/vendor-README.md"), vars),
        ),
        ProjectFile::text(&format!("src/{entry}"), source),
    ];
    for (path, bytes) in vendor::WIT.iter().chain(vendor::sdk_files(lang)) {
        files.push(ProjectFile {
            path: format!("vendor/huashu/{path}"),
            bytes: Cow::Borrowed(bytes),
            executable: path.ends_with(".sh"),
        });
    }
    let build_script = match lang {
        Lang::Rust => {
            files.push(ProjectFile::text(
                "Cargo.toml",
                fill(template!("rust/Cargo.toml.tmpl"), vars),
            ));
            files.push(ProjectFile::text("Cargo.lock", cargo_files::lockfile()?));
            files.push(ProjectFile::text(
                "vendor/huashu/sdk/rust/Cargo.toml",
                cargo_files::sdk_manifest()?,
            ));
            return Ok(files);
        }
        Lang::Python => template!("python/build.sh"),
        Lang::Js => template!("js/build.sh"),
        Lang::C => template!("c/build.sh"),
    };
    files.push(ProjectFile::text("build.sh", fill(build_script, vars)));
    Ok(files)
}

// The README's paragraph on the toolchain, per language.
const PYTHON_TOOLCHAIN: &str = "\
The build needs componentize-py as `./scripts/setup` installs it in a huashu checkout:
`build.sh` uses the one in `$HUASHU_HOME`, by default the checkout this project was
created from.";
const JS_TOOLCHAIN: &str = "\
The build needs Node.js, rolldown and componentize-js: `build.sh` uses
`vendor/huashu/sdk/js/node_modules` once you ran `npm ci` there, otherwise those
`./scripts/setup` installed in the huashu checkout in `$HUASHU_HOME`, by default the
checkout this project was created from.";
const C_TOOLCHAIN: &str = "\
The build needs clang-22 and wasi-libc (Debian packages), and wit-bindgen and
wasm-component-ld as `./scripts/setup` installs them in a huashu checkout: `build.sh` uses
those in `$HUASHU_HOME`, by default the checkout this project was created from.";

/// `template` with each `{{key}}` replaced by its value.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{{{{key}}}}}"), value)
    })
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The cargo package for the module `name`: cargo allows no `.`, and the library's crate
/// name must be an identifier that is not a keyword or a crate every build already has.
fn cargo_package_name(name: &str) -> String {
    const TAKEN: &[&str] = &[
        "as",
        "async",
        "await",
        "break",
        "const",
        "continue",
        "crate",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "gen",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "macro",
        "override",
        "priv",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "yield",
        "alloc",
        "core",
        "proc_macro",
        "std",
        "test",
    ];
    let package = name.replace('.', "-");
    let starts_with_letter = package.starts_with(|c: char| c.is_ascii_alphabetic());
    if starts_with_letter && !TAKEN.contains(&package.replace('-', "_").as_str()) {
        package
    } else {
        format!("script-{package}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_placeholder_is_filled_in_every_language() {
        let placeholder = regex::Regex::new(r"\{\{[a-z_]+\}\}").unwrap();
        for lang in [Lang::Rust, Lang::Python, Lang::Js, Lang::C] {
            let files = project_files("my.bot", lang, Some(Path::new("/opt/it's huashu"))).unwrap();
            for file in &files {
                if !file.path.starts_with("vendor/huashu/sdk")
                    && !file.path.starts_with("vendor/huashu/wit")
                {
                    let text = String::from_utf8_lossy(&file.bytes);
                    assert!(
                        !placeholder.is_match(&text),
                        "{lang:?} {}: {text}",
                        file.path
                    );
                }
            }
            let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            assert!(paths.contains(&"scenarios/yes.yaml"), "{paths:?}");
            assert!(paths.contains(&"vendor/huashu/wit/world.wit"), "{paths:?}");
        }
    }

    #[test]
    fn a_build_script_quotes_the_checkout_path() {
        let files = project_files("bot", Lang::C, Some(Path::new("/opt/it's huashu"))).unwrap();
        let build = files.iter().find(|f| f.path == "build.sh").unwrap();
        assert!(build.executable);
        let text = String::from_utf8_lossy(&build.bytes);
        assert!(
            text.contains(r"home=${HUASHU_HOME:-'/opt/it'\''s huashu'}"),
            "{text}"
        );
    }

    #[test]
    fn module_names_become_valid_cargo_package_names() {
        assert_eq!(cargo_package_name("birthday-coupon"), "birthday-coupon");
        assert_eq!(cargo_package_name("survey.v2"), "survey-v2");
        assert_eq!(cargo_package_name("2024-offer"), "script-2024-offer");
        assert_eq!(cargo_package_name("_x"), "script-_x");
        assert_eq!(cargo_package_name("test"), "script-test");
        assert_eq!(cargo_package_name("fn"), "script-fn");
    }
}
