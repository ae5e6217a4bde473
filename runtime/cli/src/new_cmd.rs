//! `huashu new NAME --lang rust|python|js|c [--dir PATH]`: starts a call script from scratch,
//! as a project that builds and passes its first scenario wherever it is created.
//!
//! A project is a small dialogue (greet, listen with hints, record an outcome, hang up), one
//! scenario in `scenarios/`, a README with the build, test and upload commands, and its own
//! copy of the SDK in `vendor/huashu/`: this server's `wit/` and the language's SDK, laid out
//! as in the huashu repository ([`vendor`]). Vendored, not reached by a path into a huashu
//! checkout (which breaks as soon as the project moves, as copying an example out of the
//! repository does) nor by git (the network, and a published repository to point at): the
//! project is pinned to the SDK matching the contract of the server that created it.
//!
//! The templates are in `runtime/cli/templates/`; a Rust project also gets a `Cargo.lock`
//! and a standalone manifest for the vendored SDK ([`cargo_files`]). Python, JavaScript and
//! C projects get a `build.sh` that runs the vendored SDK's build script with the toolchains
//! `./scripts/setup` installed in a huashu checkout (`$HUASHU_HOME`, by default the one this
//! binary was built from); `huashu test DIR` runs that `build.sh`.

mod cargo_files;
mod project;
mod vendor;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use huashu_store::{NAME_RULE, valid_name};

use project::{ProjectFile, project_files};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The script's name, also its module name on the server (1 to 64 letters, digits, `.`,
    /// `_` or `-`).
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Lang,
    /// The project's directory (default: ./NAME). It must not exist yet, or be empty.
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
}

/// A language an SDK covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    #[value(alias = "javascript")]
    Js,
    C,
}

impl Lang {
    fn title(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
            Lang::C => "C",
        }
    }

    /// The SDK's directory under `sdk/`, also the `--lang` value.
    fn sdk_dir(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
            Lang::C => "c",
        }
    }
}

pub fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    if !valid_name(&args.name) {
        bail!("`{}` cannot name a script: {NAME_RULE}", args.name);
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let checkout = huashu_checkout();
    let files = project_files(&args.name, args.lang, checkout.as_deref())?;
    write_project(&dir, &files)?;
    println!(
        "created the {} script `{}` in {}",
        args.lang.title(),
        args.name,
        dir.display()
    );
    println!(
        "  cd {} && huashu test .    # build it, then play scenarios/yes.yaml",
        dir.display()
    );
    if args.lang != Lang::Rust && checkout.is_none() {
        println!(
            "  (build.sh needs HUASHU_HOME: a huashu checkout where ./scripts/setup installed the {} toolchain)",
            args.lang.title()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The huashu checkout this binary was built from, if it is still there: where
/// `./scripts/setup` installed the Python, JavaScript and C toolchains.
fn huashu_checkout() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .ok()?;
    root.join("scripts/setup-guest-toolchains")
        .is_file()
        .then_some(root)
}

/// Writes `files` into `dir`, which must not exist or be empty. If writing fails half-way,
/// what was written is removed again.
fn write_project(dir: &Path, files: &[ProjectFile]) -> anyhow::Result<()> {
    let created = if dir.is_dir() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} already exists and is not empty: huashu new never overwrites; choose another NAME or --dir",
                dir.display()
            );
        }
        false
    } else if dir.exists() {
        bail!("{} already exists and is not a directory", dir.display());
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        true
    };
    let written = files.iter().try_for_each(|file| write_file(dir, file));
    if written.is_err() {
        if created {
            let _ = std::fs::remove_dir_all(dir);
        } else if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }
    written
}

fn write_file(dir: &Path, file: &ProjectFile) -> anyhow::Result<()> {
    let path = dir.join(&file.path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&path, &file.bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if file.executable {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}
