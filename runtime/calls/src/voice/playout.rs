//! Playback lengths from real audio: the session's [`Playout`] for voice calls.
//!
//! Before the session applies a reply, [`AudioPlayout::prepare`] gets the audio of each of
//! its `play`, `say` and `say-parts` actions (a `say-parts` as one joined clip) (from the shared cache, synthesising or loading what is
//! missing, all at once), so the lengths the session then times playback by are the
//! lengths the caller hears. The clips stay in the call's [`PreparedAudio`], where the
//! outbound side takes them when the session says to play. A recorded call's clips keep
//! their canonical samples beside them, shared with the cache, for the recorder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures_util::future::join_all;

use super::services::VoiceServices;
use huashu_contract::{Action, Millis, Play, Say, SayParts, SpeechPart};
use huashu_media::transport_codec::{EncodedAudio, TransportCodec};
use huashu_session::{PlaySource, Playout, Prepared};

/// A prepared clip: what the pacer sends, and for a recorded call what it sounds like.
#[derive(Clone)]
pub(super) struct Clip {
    pub encoded: Arc<EncodedAudio>,
    /// The canonical samples `encoded` was made from; kept only for recorded calls, and
    /// `None` if they could not be had (the recording then misses this clip).
    pub canonical: Option<Arc<[i16]>>,
}

type Clips = HashMap<PlaySource, Result<Clip, String>>;

/// One call's clips by what they play, or why one cannot be had.
#[derive(Clone, Default)]
pub struct PreparedAudio {
    clips: Arc<Mutex<Clips>>,
    keep_canonical: bool,
}

impl PreparedAudio {
    /// Clips for a recorded call: each keeps its canonical samples too.
    pub fn keeping_canonical() -> Self {
        Self {
            keep_canonical: true,
            ..Self::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, Clips> {
        // A map replaced entry by entry: consistent whatever panicked while it was held.
        self.clips.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The clip prepared for `source`, if it could be prepared.
    pub fn get(&self, source: &PlaySource) -> Option<Arc<EncodedAudio>> {
        self.lock()
            .get(source)
            .and_then(|r| r.as_ref().ok())
            .map(|clip| clip.encoded.clone())
    }

    /// The canonical samples of a clip [`Self::get`] handed out, if they were kept.
    pub(super) fn canonical_of(&self, encoded: &Arc<EncodedAudio>) -> Option<Arc<[i16]>> {
        self.lock()
            .values()
            .filter_map(|r| r.as_ref().ok())
            .find(|clip| Arc::ptr_eq(&clip.encoded, encoded))
            .and_then(|clip| clip.canonical.clone())
    }

    fn length(&self, source: &PlaySource) -> Result<u32, String> {
        match self.lock().get(source) {
            Some(Ok(clip)) => Ok(clip.encoded.duration_ms()),
            Some(Err(why)) => Err(why.clone()),
            None => Err("its audio was not prepared".into()),
        }
    }

    fn contains(&self, source: &PlaySource) -> bool {
        self.lock().contains_key(source)
    }

    pub(super) fn insert(&self, source: PlaySource, clip: Result<Clip, String>) {
        self.lock().insert(source, clip);
    }
}

/// The [`Playout`] of one voice call.
pub struct AudioPlayout {
    services: Arc<VoiceServices>,
    tenant: String,
    codec: TransportCodec,
    prepared: PreparedAudio,
}

impl AudioPlayout {
    pub fn new(
        services: Arc<VoiceServices>,
        tenant: String,
        codec: TransportCodec,
        prepared: PreparedAudio,
    ) -> Self {
        Self {
            services,
            tenant,
            codec,
            prepared,
        }
    }

    /// Gets `sources` ready (those not ready yet), all at once.
    /// Returns how long it took, in milliseconds (0 when all of them were ready).
    pub async fn prepare_sources(&self, sources: Vec<PlaySource>) -> u32 {
        let missing: Vec<PlaySource> = sources
            .into_iter()
            .filter(|s| !self.prepared.contains(s))
            .collect();
        if missing.is_empty() {
            return 0;
        }
        let began = Instant::now();
        let fetched = join_all(missing.iter().map(|source| self.clip(source))).await;
        for (source, clip) in missing.into_iter().zip(fetched) {
            if let Err(why) = &clip {
                tracing::warn!(?source, %why, "audio for the call could not be prepared");
            }
            self.prepared.insert(source, clip);
        }
        u32::try_from(began.elapsed().as_millis()).unwrap_or(u32::MAX)
    }

    async fn clip(&self, source: &PlaySource) -> Result<Clip, String> {
        let encoded = self
            .services
            .audio(&self.tenant, source, self.codec)
            .await?;
        if !self.prepared.keep_canonical {
            return Ok(Clip {
                encoded,
                canonical: None,
            });
        }
        // Usually a cache hit: the encode needed the same canonical clip moments ago.
        let canonical = match self.services.canonical(&self.tenant, source).await {
            Ok(samples) => Some(samples),
            Err(why) => {
                tracing::warn!(?source, %why, "the call's recording will miss this audio");
                None
            }
        };
        Ok(Clip { encoded, canonical })
    }
}

fn source_of(action: &Action) -> Option<PlaySource> {
    match action {
        Action::Play(play) if !play.prompt.is_empty() => Some(PlaySource::Prompt {
            name: play.prompt.clone(),
        }),
        Action::Say(say) if !say.text.trim().is_empty() => Some(PlaySource::Speech {
            text: say.text.clone(),
            voice: say.voice.clone(),
        }),
        Action::SayParts(say) if playable(say) => Some(PlaySource::Parts {
            parts: say.parts.clone(),
            voice: say.voice.clone(),
        }),
        _ => None,
    }
}

/// Whether a `say-parts` is worth preparing: one the session will refuse (no parts, too
/// many, a nameless prompt, blank text) is not fetched or synthesised at all.
fn playable(say: &SayParts) -> bool {
    (1..=SayParts::MAX_PARTS).contains(&say.parts.len())
        && say.parts.iter().all(|part| match part {
            SpeechPart::Prompt(name) => !name.is_empty(),
            SpeechPart::Text(text) => !text.trim().is_empty(),
        })
}

impl Playout for AudioPlayout {
    fn prepare<'a>(&'a mut self, _now: Millis, actions: &'a [Action]) -> Prepared<'a> {
        Box::pin(self.prepare_sources(actions.iter().filter_map(source_of).collect()))
    }

    fn prompt_ms(&self, play: &Play) -> Result<u32, String> {
        self.prepared
            .length(&PlaySource::Prompt {
                name: play.prompt.clone(),
            })
            .map_err(|why| format!("prompt `{}` cannot be played: {why}", play.prompt))
    }

    fn speech_ms(&self, say: &Say) -> Result<u32, String> {
        self.prepared
            .length(&PlaySource::Speech {
                text: say.text.clone(),
                voice: say.voice.clone(),
            })
            .map_err(|why| format!("text cannot be spoken: {why}"))
    }

    fn parts_ms(&self, say: &SayParts) -> Result<u32, String> {
        self.prepared
            .length(&PlaySource::Parts {
                parts: say.parts.clone(),
                voice: say.voice.clone(),
            })
            .map_err(|why| format!("`say-parts` cannot be played: {why}"))
    }
}
