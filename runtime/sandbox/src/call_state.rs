//! What one call's wasmtime `Store` holds: the locked-down WASI context, the resource
//! limiter, the CPU budget, and the state behind the host imports (log and key-value).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::cpu_budget::CpuBudget;
use super::limits::CallResourceLimiter;
use huashu_contract::{LogLevel, LogLine, ScriptFailure};
use huashu_store::KeyValueStore;

/// Store data of one call's instance.
pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: CallResourceLimiter,
    pub(crate) budget: Arc<CpuBudget>,
    pub(crate) host: HostState,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The tenant's key-value space as a call sees it.
pub struct TenantKv {
    /// Whose space it is: every key the script uses is inside this tenant's.
    pub tenant: String,
    /// Where the space lives.
    pub store: Arc<dyn KeyValueStore>,
}

/// State behind the `log` and `kv` imports.
pub(crate) struct HostState {
    pub(crate) call_id: String,
    pub(crate) logs: Vec<LogLine>,
    log_bytes: usize,
    log_limit: usize,
    pub(crate) string_limit: usize,
    pub(crate) kv: TenantKv,
    pub(crate) kv_ops: u32,
    pub(crate) kv_limit: u32,
    /// Set by a host import just before it traps the guest, so the trap is reported as what
    /// it was (a flood), not as a generic crash.
    pub(crate) failure: Option<ScriptFailure>,
    /// What the guest logged during the event that failed, for the call record.
    pub(crate) failure_logs: Vec<LogLine>,
    stdout: OutputCapture,
    stderr: OutputCapture,
}

/// A guest's stdout or stderr: a bounded in-memory pipe, drained into log lines after each
/// event.
pub(crate) struct OutputCapture {
    pipe: MemoryOutputPipe,
    read: usize,
    level: LogLevel,
}

impl OutputCapture {
    pub(crate) fn new(capacity: usize, level: LogLevel) -> Self {
        Self {
            pipe: MemoryOutputPipe::new(capacity),
            read: 0,
            level,
        }
    }

    pub(crate) fn pipe(&self) -> MemoryOutputPipe {
        self.pipe.clone()
    }

    /// Bytes the guest has written so far.
    fn written(&self) -> usize {
        self.pipe.contents().len()
    }

    fn drain_lines(&mut self) -> Vec<String> {
        let contents = self.pipe.contents();
        let Some(unread) = contents.get(self.read..) else {
            return Vec::new();
        };
        // Hold back a partial last line until it is finished (or the call ends).
        let complete = match unread.iter().rposition(|&b| b == b'\n') {
            Some(pos) => pos + 1,
            None => return Vec::new(),
        };
        self.read += complete;
        String::from_utf8_lossy(&unread[..complete])
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Limits the host state enforces, from the tenant's [`super::Limits`].
pub(crate) struct HostLimits {
    pub(crate) log_bytes: usize,
    pub(crate) string_bytes: usize,
    pub(crate) kv_ops: u32,
}

impl HostState {
    pub(crate) fn new(
        call_id: String,
        limits: HostLimits,
        kv: TenantKv,
        stdout: OutputCapture,
        stderr: OutputCapture,
    ) -> Self {
        Self {
            call_id,
            logs: Vec::new(),
            log_bytes: 0,
            log_limit: limits.log_bytes,
            string_limit: limits.string_bytes,
            kv,
            kv_ops: 0,
            kv_limit: limits.kv_ops,
            failure: None,
            failure_logs: Vec::new(),
            stdout,
            stderr,
        }
    }

    /// Records a log line against the call's log budget. Over the budget the guest is
    /// ended: a script that floods its log is broken.
    pub(crate) fn push_log(
        &mut self,
        level: LogLevel,
        mut message: String,
    ) -> wasmtime::Result<()> {
        if message.len() > self.string_limit {
            let mut cut = self.string_limit;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        self.log_bytes += message.len();
        if self.log_bytes > self.log_limit {
            return Err(self.fail(ScriptFailure::LogFlood {
                limit_bytes: self.log_limit,
            }));
        }
        tracing::debug!(target: "huashu::script", call_id = %self.call_id, ?level, "{message}");
        self.logs.push(LogLine { level, message });
        Ok(())
    }

    /// Moves stdout/stderr output into the log and hands over everything logged since the
    /// last call.
    pub(crate) fn take_logs(&mut self) -> Result<Vec<LogLine>, ScriptFailure> {
        for capture in [0, 1] {
            let (lines, level) = {
                let c = if capture == 0 {
                    &mut self.stdout
                } else {
                    &mut self.stderr
                };
                (c.drain_lines(), c.level)
            };
            for line in lines {
                if self.push_log(level, line).is_err() {
                    return Err(self.failure.take().unwrap_or(ScriptFailure::LogFlood {
                        limit_bytes: self.log_limit,
                    }));
                }
            }
        }
        Ok(std::mem::take(&mut self.logs))
    }

    pub(crate) fn log_limit(&self) -> usize {
        self.log_limit
    }

    /// Whether stdout or stderr alone took more than the call's log budget (the pipes hold
    /// twice the budget, so a guest printing in a loop fills one within a single event).
    pub(crate) fn output_over_budget(&self) -> bool {
        self.stdout.written().max(self.stderr.written()) > self.log_limit
    }

    /// Everything logged and printed but not yet handed over, outside the log budget (the
    /// pipes bound it): after a failure, to keep the guest's last words.
    pub(crate) fn salvage_logs(&mut self) -> Vec<LogLine> {
        let mut lines = std::mem::take(&mut self.logs);
        for capture in [&mut self.stdout, &mut self.stderr] {
            let level = capture.level;
            lines.extend(
                capture
                    .drain_lines()
                    .into_iter()
                    .map(|message| LogLine { level, message }),
            );
        }
        lines
    }

    /// Remembers why the guest is being ended and returns the trap that ends it.
    pub(crate) fn fail(&mut self, failure: ScriptFailure) -> wasmtime::Error {
        let trap = wasmtime::Error::msg(failure.to_string());
        self.failure = Some(failure);
        trap
    }
}
