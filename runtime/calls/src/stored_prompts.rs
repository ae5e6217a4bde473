//! Calls without audio play no prompts, but a script that plays a prompt its tenant does
//! not have must fail the same way on every channel: on a voice call the audio cannot be
//! loaded and the script fails with an invalid action; [`StoredPrompts`] gives text calls
//! the same check against the tenant's stored prompts, and leaves timing to the playout it
//! wraps.

use std::collections::HashMap;
use std::sync::Arc;

use huashu_contract::{Action, Millis, Play, Say};
use huashu_session::{Playout, Prepared};
use huashu_store::Store;

/// A playout that refuses prompts the tenant has not uploaded; see the module docs.
pub(crate) struct StoredPrompts<P> {
    inner: P,
    store: Arc<dyn Store>,
    tenant: String,
    /// Prompts looked up on this call: whether each exists (or why it cannot be read).
    found: HashMap<String, Result<(), String>>,
}

impl<P: Playout> StoredPrompts<P> {
    pub(crate) fn new(inner: P, store: Arc<dyn Store>, tenant: String) -> Self {
        Self {
            inner,
            store,
            tenant,
            found: HashMap::new(),
        }
    }

    async fn look_up(&mut self, actions: &[Action]) {
        for action in actions {
            let Action::Play(play) = action else { continue };
            if play.prompt.is_empty() || self.found.contains_key(&play.prompt) {
                continue;
            }
            let (store, tenant, name) =
                (self.store.clone(), self.tenant.clone(), play.prompt.clone());
            // Reads the store: off the async workers.
            let found = tokio::task::spawn_blocking(move || store.prompt(&tenant, &name))
                .await
                .map_err(|e| e.to_string())
                .and_then(|read| read.map_err(|e| e.to_string()))
                .and_then(|prompt| match prompt {
                    Some(_) => Ok(()),
                    None => Err("the tenant has no prompt of that name".to_owned()),
                });
            self.found.insert(play.prompt.clone(), found);
        }
    }
}

impl<P: Playout> Playout for StoredPrompts<P> {
    fn prepare<'a>(&'a mut self, now: Millis, actions: &'a [Action]) -> Prepared<'a> {
        Box::pin(async move {
            self.look_up(actions).await;
            self.inner.prepare(now, actions).await
        })
    }

    fn prompt_ms(&self, play: &Play) -> Result<u32, String> {
        if let Some(Err(why)) = self.found.get(&play.prompt) {
            return Err(format!("prompt `{}` cannot be played: {why}", play.prompt));
        }
        self.inner.prompt_ms(play)
    }

    fn speech_ms(&self, say: &Say) -> Result<u32, String> {
        self.inner.speech_ms(say)
    }
}
