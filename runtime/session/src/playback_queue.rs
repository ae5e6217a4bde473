//! The call's outbound playback: what is playing, since when, and what is queued behind it.
//! Items play back to back; stopping one (barge-in, `stop-playback`, hang-up) drops the rest.

use std::collections::VecDeque;

use huashu_contract::{Millis, PlaybackFinished, SpeechPart};

/// What is played: a recorded prompt, text-to-speech, or both joined into one clip.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PlaySource {
    /// One of the tenant's uploaded recordings.
    Prompt {
        /// Name the prompt was uploaded under.
        name: String,
    },
    /// Text-to-speech.
    Speech {
        /// What the bot says.
        text: String,
        /// Voice name (e.g. `en-us`, `cmn`); empty means the tenant's default voice.
        voice: String,
    },
    /// Recorded prompts and spoken text joined into one clip (`say-parts`).
    Parts {
        /// The prompts and texts in playing order.
        parts: Vec<SpeechPart>,
        /// Voice of the text parts; empty means the tenant's default voice.
        voice: String,
    },
}

impl PlaySource {
    /// A stable name for what is played, to look up its length in a call record.
    pub fn playout_key(&self) -> String {
        match self {
            Self::Prompt { name } => format!("prompt:{name}"),
            Self::Speech { text, voice } => format!("say:{voice}:{text}"),
            // Each part's kind and byte length keep the boundaries, whatever it holds.
            Self::Parts { parts, voice } => {
                let mut key = format!("say-parts:{voice}:");
                for part in parts {
                    let (kind, text) = match part {
                        SpeechPart::Prompt(name) => ('p', name),
                        SpeechPart::Text(text) => ('t', text),
                    };
                    key.push_str(&format!("{kind}{}:{text}", text.len()));
                }
                key
            }
        }
    }

    /// What is played as a person reads it: the text of speech, a prompt's name in
    /// brackets, and parts as `[greeting-a] 张三 [greeting-b]`. What text channels show.
    pub fn readable(&self) -> String {
        match self {
            Self::Prompt { name } => format!("[{name}]"),
            Self::Speech { text, .. } => text.clone(),
            Self::Parts { parts, .. } => readable_parts(parts),
        }
    }
}

/// Parts as a person reads them: prompts by name in brackets, text as it is spoken, e.g.
/// `[greeting-a] 张三 [greeting-b]`. What text channels show for a `say-parts`.
fn readable_parts(parts: &[SpeechPart]) -> String {
    let shown: Vec<String> = parts
        .iter()
        .map(|part| match part {
            SpeechPart::Prompt(name) => format!("[{name}]"),
            SpeechPart::Text(text) => text.trim().to_owned(),
        })
        .collect();
    shown.join(" ")
}

/// One queued or playing item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlayItem {
    /// Reported back in `playback-finished`: the script's id, or the host's (`p1`, `p2`…).
    pub id: String,
    /// What is played.
    pub source: PlaySource,
    /// If true, the customer speaking or pressing a key stops it; if false, such input is
    /// dropped while it plays.
    pub barge_in: bool,
    /// Its full length in milliseconds, as the [`Playout`](crate::Playout) gave it.
    pub total_ms: u32,
}

#[derive(Debug, Default)]
pub(crate) struct PlaybackQueue {
    /// The playing item and when it started.
    current: Option<(PlayItem, Millis)>,
    queued: VecDeque<PlayItem>,
    next_id: u32,
}

impl PlaybackQueue {
    /// An id for an item the script did not name: `p1`, `p2`…
    pub(crate) fn assign_id(&mut self) -> String {
        self.next_id += 1;
        format!("p{}", self.next_id)
    }

    /// Queues an item. Returns it if it starts playing right away.
    pub(crate) fn push(&mut self, item: PlayItem, now: Millis) -> Option<&PlayItem> {
        if self.current.is_none() {
            self.current = Some((item, now));
            return self.current.as_ref().map(|(item, _)| item);
        }
        self.queued.push_back(item);
        None
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.current.is_none()
    }

    /// Whether the playing item may be interrupted by the customer.
    pub(crate) fn current_barge_in(&self) -> Option<bool> {
        self.current.as_ref().map(|(item, _)| item.barge_in)
    }

    /// When the playing item ends.
    pub(crate) fn current_end(&self) -> Option<Millis> {
        self.current
            .as_ref()
            .map(|(item, started)| started + Millis::from(item.total_ms))
    }

    /// Finishes the playing item if it has ended by `now`, starting the next one. Returns
    /// the finished item's report and the item that started.
    pub(crate) fn finish_due(
        &mut self,
        now: Millis,
    ) -> Option<(PlaybackFinished, Option<&PlayItem>)> {
        let end = self.current_end()?;
        if end > now {
            return None;
        }
        let (item, _) = self.current.take()?;
        let finished = PlaybackFinished {
            id: item.id,
            interrupted: false,
            played_ms: item.total_ms,
            total_ms: item.total_ms,
        };
        if let Some(next) = self.queued.pop_front() {
            self.current = Some((next, end));
        }
        Some((finished, self.current.as_ref().map(|(item, _)| item)))
    }

    /// Stops everything: the playing item reports how far it got, queued ones 0 ms.
    pub(crate) fn stop_all(&mut self, now: Millis) -> Vec<PlaybackFinished> {
        let mut reports = Vec::new();
        if let Some((item, started)) = self.current.take() {
            let played = now.saturating_sub(started).min(Millis::from(item.total_ms)) as u32;
            reports.push(PlaybackFinished {
                id: item.id,
                interrupted: true,
                played_ms: played,
                total_ms: item.total_ms,
            });
        }
        reports.extend(self.queued.drain(..).map(|item| PlaybackFinished {
            id: item.id,
            interrupted: true,
            played_ms: 0,
            total_ms: item.total_ms,
        }));
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, ms: u32) -> PlayItem {
        PlayItem {
            id: id.into(),
            source: PlaySource::Prompt { name: id.into() },
            barge_in: true,
            total_ms: ms,
        }
    }

    #[test]
    fn items_play_back_to_back() {
        let mut q = PlaybackQueue::default();
        assert!(q.push(item("a", 1000), 0).is_some());
        assert!(q.push(item("b", 500), 10).is_none());
        assert!(q.finish_due(999).is_none());
        let (done, next) = q.finish_due(1000).expect("a finished");
        assert_eq!(done.id, "a");
        assert_eq!(next.map(|i| i.id.as_str()), Some("b"));
        assert_eq!(q.current_end(), Some(1500));
    }

    #[test]
    fn parts_read_as_bracketed_prompts_and_plain_text() {
        let parts = [
            SpeechPart::Prompt("greeting-a".into()),
            SpeechPart::Text(" 张三 ".into()),
            SpeechPart::Prompt("greeting-b".into()),
        ];
        assert_eq!(readable_parts(&parts), "[greeting-a] 张三 [greeting-b]");
    }

    #[test]
    fn the_playout_key_of_parts_keeps_their_boundaries() {
        let key = |parts: Vec<SpeechPart>| {
            PlaySource::Parts {
                parts,
                voice: String::new(),
            }
            .playout_key()
        };
        assert_ne!(
            key(vec![SpeechPart::Text("a b".into())]),
            key(vec![
                SpeechPart::Text("a".into()),
                SpeechPart::Text("b".into())
            ])
        );
    }

    #[test]
    fn stopping_reports_how_far_the_current_item_got_and_drops_the_rest() {
        let mut q = PlaybackQueue::default();
        q.push(item("a", 1000), 0);
        q.push(item("b", 500), 0);
        let reports = q.stop_all(300);
        assert_eq!(reports[0].played_ms, 300);
        assert!(reports[0].interrupted);
        assert_eq!((reports[1].id.as_str(), reports[1].played_ms), ("b", 0));
        assert!(q.is_idle());
    }
}
