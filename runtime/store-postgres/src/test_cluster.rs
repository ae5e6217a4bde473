//! A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, started
//! with `pg_ctl` on a free loopback port, a fresh database per test, stopped and deleted
//! when dropped. Nothing needs to be installed or running beforehand but the server's
//! binaries, found on `PATH` or in `/usr/lib/postgresql/<version>/bin` (where Debian's
//! `postgresql` package puts them), or in `HUASHU_PG_BIN` when set.
//!
//! PostgreSQL refuses to run as root. Run as root (as CI is), the cluster's commands run
//! as the `postgres` user the package creates, and its directory belongs to that user.
//!
//! Tuned for tests, never for data anyone keeps: no fsync, trust authentication on
//! loopback only.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;

/// Tries at starting the server: a free port found by binding may be taken by another
/// process before the server binds it, so a failed start is retried on another port.
const START_ATTEMPTS: usize = 3;

/// Why the test cluster could not be set up.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// `initdb` and `pg_ctl` are nowhere to be found.
    #[error(
        "PostgreSQL's initdb and pg_ctl were not found on PATH, in /usr/lib/postgresql/*/bin \
         or in HUASHU_PG_BIN: install Debian's `postgresql` package (scripts/setup does)"
    )]
    NoBinaries,
    /// A command could not run, or failed; carries which and what it said.
    #[error("{0}")]
    Command(String),
    /// The temporary directory could not be made.
    #[error("cannot prepare the cluster's directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A running server; stopped and deleted on drop.
pub struct TestCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// The user and group commands run as when this process is root.
    run_as: Option<(u32, u32)>,
    databases: AtomicUsize,
}

impl TestCluster {
    /// Creates and starts a new server.
    pub fn start() -> Result<Self, ClusterError> {
        let bin = find_binaries().ok_or(ClusterError::NoBinaries)?;
        let dir = tempfile::Builder::new().prefix("huashu-pg").tempdir()?;
        let run_as = if is_root()? {
            Some(postgres_user()?)
        } else {
            None
        };
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let mut cluster = Self {
            bin,
            dir,
            port: 0,
            run_as,
            databases: AtomicUsize::new(0),
        };
        let data = cluster.data_dir();
        cluster.command(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            cluster.port = free_port()?;
            let options = format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off",
                cluster.port,
                cluster.dir.path().display()
            );
            let log = cluster.dir.path().join("server.log");
            match cluster.command(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "-w".as_ref(),
                    "start".as_ref(),
                ],
            ) {
                Ok(_) => return Ok(cluster),
                Err(error) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    last_error = Some(ClusterError::Command(format!("{error}\n{log}")));
                }
            }
        }
        Err(last_error.unwrap_or(ClusterError::NoBinaries))
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection string of `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its connection string.
    pub fn create_database(&self) -> Result<String, ClusterError> {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{n}");
        let port = self.port.to_string();
        self.command(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                name.as_ref(),
            ],
        )?;
        Ok(self.url(&name))
    }

    /// Stops the server and starts it again on the same port and data (as an operator's
    /// restart or a crash and recovery would): every open connection is cut.
    pub fn restart(&self) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        // `restart` starts the server with the options it was last started with.
        self.command(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "restart".as_ref(),
            ],
        )
        .map(drop)
    }

    /// Stops the server, as a database outage would (dropping the cluster after this is
    /// fine).
    pub fn stop(&self) -> Result<(), ClusterError> {
        let data = self.data_dir();
        self.command(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        )
        .map(drop)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's programs (as the `postgres` user when root) and fails
    /// with its output if it fails.
    fn command(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<Output, ClusterError> {
        let mut command = Command::new(self.bin.join(program));
        command.args(args).current_dir(self.dir.path());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        let output = command
            .output()
            .map_err(|e| ClusterError::Command(format!("cannot run {program}: {e}")))?;
        if !output.status.success() {
            return Err(ClusterError::Command(format!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(output)
    }
}

impl Drop for TestCluster {
    /// Stops the server at once (nothing in it is kept); the directory goes with `dir`.
    fn drop(&mut self) {
        let data = self.data_dir();
        // Best effort: a server that will not stop is left for the OS, not a panic in drop.
        let _ = self.command(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }
}

/// The directory holding `initdb` and `pg_ctl`: `HUASHU_PG_BIN`, then `PATH`, then the
/// newest `/usr/lib/postgresql/<version>/bin`.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("HUASHU_PG_BIN").map(PathBuf::from) {
        return has_both(&dir).then_some(dir);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                // A symlink on PATH (as Debian's wrappers may be): use the real directory,
                // where `postgres` itself lives too.
                let real = std::fs::canonicalize(dir.join("initdb")).ok();
                return Some(
                    real.and_then(|p| p.parent().map(Path::to_path_buf))
                        .filter(|d| has_both(d))
                        .unwrap_or(dir),
                );
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, ClusterError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether this process runs as root (the owner of its own `/proc` entry).
fn is_root() -> Result<bool, ClusterError> {
    Ok(std::fs::metadata("/proc/self")?.uid() == 0)
}

/// The uid and gid of the `postgres` user, from `/etc/passwd`.
fn postgres_user() -> Result<(u32, u32), ClusterError> {
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .ok_or_else(|| {
            ClusterError::Command(
                "running as root, and there is no `postgres` user to run PostgreSQL as \
                 (Debian's `postgresql` package creates it)"
                    .into(),
            )
        })
}
