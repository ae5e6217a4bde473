//! Calls without audio play no prompts, but a script that plays a prompt its tenant does
//! not have must fail the same way on every channel: on a voice call the audio cannot be
//! loaded and the script fails with an invalid action; [`StoredPrompts`] gives text calls
//! the same check against the tenant's stored prompts, and leaves timing to the playout it
//! wraps.

use std::collections::HashMap;
use std::sync::Arc;

use huashu_contract::{Action, Millis, Play, Say, SpeechPart};
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
        for name in actions.iter().flat_map(prompt_names) {
            if name.is_empty() || self.found.contains_key(name) {
                continue;
            }
            let (store, tenant, name) = (self.store.clone(), self.tenant.clone(), name.to_owned());
            let key = name.clone();
            // Reads the store: off the async workers.
            let found = tokio::task::spawn_blocking(move || store.prompt(&tenant, &name))
                .await
                .map_err(|e| e.to_string())
                .and_then(|read| read.map_err(|e| e.to_string()))
                .and_then(|prompt| match prompt {
                    Some(_) => Ok(()),
                    None => Err("the tenant has no prompt of that name".to_owned()),
                });
            self.found.insert(key, found);
        }
    }
}

/// The prompts an action plays: a `play`'s, and the prompt parts of a `say-parts`.
fn prompt_names(action: &Action) -> Vec<&str> {
    match action {
        Action::Play(play) => vec![play.prompt.as_str()],
        Action::SayParts(say) => say
            .parts
            .iter()
            .filter_map(|part| match part {
                SpeechPart::Prompt(name) => Some(name.as_str()),
                SpeechPart::Text(_) => None,
            })
            .collect(),
        _ => Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_contract::SayParts;

    #[test]
    fn a_say_parts_is_checked_for_each_of_its_prompts_and_no_text() {
        let say = Action::SayParts(SayParts {
            parts: vec![
                SpeechPart::Prompt("greeting-a".into()),
                SpeechPart::Text("王芳".into()),
                SpeechPart::Prompt("greeting-b".into()),
            ],
            voice: String::new(),
            id: String::new(),
            barge_in: false,
        });
        assert_eq!(prompt_names(&say), ["greeting-a", "greeting-b"]);
        let play = Action::Play(Play {
            prompt: "intro".into(),
            id: String::new(),
            barge_in: false,
        });
        assert_eq!(prompt_names(&play), ["intro"]);
        assert!(prompt_names(&Action::StopPlayback).is_empty());
    }
}
