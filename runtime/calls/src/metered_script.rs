//! A [`CallScript`] wrapper that reports each event's CPU time to the metrics.

use std::sync::Arc;

use huashu_contract::{CallScript, Event, Millis, ScriptFailure, ScriptReply};
use huashu_metrics::Metrics;
use huashu_sandbox::ScriptInstance;

pub(crate) struct MeteredScript {
    pub(crate) inner: ScriptInstance,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) tenant_id: String,
}

impl CallScript for MeteredScript {
    fn take_logs(&mut self) -> Vec<huashu_contract::LogLine> {
        self.inner.take_logs()
    }

    async fn handle(
        &mut self,
        event: &Event,
        elapsed: Millis,
    ) -> Result<ScriptReply, ScriptFailure> {
        let reply = self.inner.handle(event, elapsed).await;
        if let Ok(reply) = &reply {
            self.metrics.event_handled(&self.tenant_id, reply.cpu);
        }
        reply
    }
}
