//! What every voice call shares: where a `play` or `say` gets its audio (the tenant's
//! prompts in the store, the text-to-speech engine, both through the process-wide cache of
//! encoded clips), and the speech recognisers by language.
//!
//! A `say-parts` is one clip: each part's canonical audio comes the way a `play` or `say`
//! of it would (so shared with them in the cache), the parts are joined with a crossfade
//! at each seam (`huashu_media::joining`), and the joined clip is cached under the whole combination
//! (tenant, voice, parts). A second call with the same combination neither loads, nor
//! synthesises, nor joins, nor encodes. A changed prompt drops every joined clip that
//! includes it ([`VoiceServices::prompt_changed`]).

mod joined_parts;

use std::sync::Arc;

use huashu_contract::SpeechPart;
use huashu_media::prompt_cache::{AudioKey, CacheError, JoinedPart, PromptCache};
use huashu_media::transport_codec::{EncodedAudio, TransportCodec};
use huashu_media::wav;
use huashu_session::PlaySource;
use huashu_speech::asr::languages::Recognizers;
use huashu_speech::tts::{self, TextToSpeech};
use huashu_store::Store;

/// The speech engines and audio cache of the server's voice calls.
pub struct VoiceServices {
    store: Arc<dyn Store>,
    cache: Arc<PromptCache>,
    tts: Arc<dyn TextToSpeech>,
    asr: Arc<Recognizers>,
}

impl VoiceServices {
    /// The speech engines and the shared cache of encoded audio, over `store`'s prompts.
    pub fn new(
        store: Arc<dyn Store>,
        cache: Arc<PromptCache>,
        tts: Arc<dyn TextToSpeech>,
        asr: Arc<Recognizers>,
    ) -> Self {
        Self {
            store,
            cache,
            tts,
            asr,
        }
    }

    /// The speech recognisers calls listen with, by language.
    pub fn recognizers(&self) -> &Arc<Recognizers> {
        &self.asr
    }

    /// Prompts and synthesised speech, encoded once per codec and shared by all calls.
    pub fn cache(&self) -> &Arc<PromptCache> {
        &self.cache
    }

    /// Forgets a tenant's prompt (it was replaced or deleted), and every joined clip that
    /// includes it: the next call that plays it reads the new one.
    pub fn prompt_changed(&self, tenant: &str, name: &str) {
        self.cache.remove(&prompt_key(tenant, name));
    }

    /// The audio of `source` for a call of `tenant`, encoded for `codec`. The error is a
    /// sentence for the call record: a prompt that does not exist, text the engine refused.
    pub async fn audio(
        &self,
        tenant: &str,
        source: &PlaySource,
        codec: TransportCodec,
    ) -> Result<Arc<EncodedAudio>, String> {
        self.cache
            .encoded(&audio_key(tenant, source), codec, || {
                self.load(tenant, source)
            })
            .await
            .map_err(sentence)
    }

    /// The canonical (16 kHz) audio of `source`, the clip [`Self::audio`] encodes: a cache
    /// hit right after it. For call recordings.
    pub async fn canonical(&self, tenant: &str, source: &PlaySource) -> Result<Arc<[i16]>, String> {
        self.cache
            .canonical(&audio_key(tenant, source), || self.load(tenant, source))
            .await
            .map_err(sentence)
    }

    /// Loads or synthesises `source` when the cache does not have it.
    async fn load(&self, tenant: &str, source: &PlaySource) -> Result<Vec<i16>, CacheError> {
        match source {
            PlaySource::Parts { parts, voice } => {
                joined_parts::load(&self.cache, tenant, parts, voice, |part| async move {
                    self.load_single(tenant, &part).await
                })
                .await
            }
            single => self.load_single(tenant, single).await,
        }
    }

    /// Loads a prompt or synthesises speech: one clip, never parts.
    async fn load_single(&self, tenant: &str, source: &PlaySource) -> Result<Vec<i16>, CacheError> {
        match source {
            PlaySource::Prompt { name } => self.load_prompt(tenant, name).await,
            PlaySource::Speech { text, voice } => {
                let speech = tts::synthesize(self.tts.clone(), voice, text)
                    .await
                    .map_err(|e| CacheError::Load(e.to_string()))?;
                Ok(speech.samples().to_vec())
            }
            PlaySource::Parts { .. } => Err(CacheError::Load(
                "a part of `say-parts` cannot itself have parts".into(),
            )),
        }
    }

    async fn load_prompt(&self, tenant: &str, name: &str) -> Result<Vec<i16>, CacheError> {
        let store = self.store.clone();
        let (tenant, name) = (tenant.to_owned(), name.to_owned());
        tokio::task::spawn_blocking(move || {
            let (_, bytes) = store
                .prompt(&tenant, &name)
                .map_err(|e| CacheError::Load(e.to_string()))?
                .ok_or_else(|| {
                    CacheError::Load(format!("no prompt named `{name}` was uploaded"))
                })?;
            Ok(wav::decode_to_canonical(&bytes)?)
        })
        .await
        .map_err(|e| CacheError::Load(format!("the prompt loader failed: {e}")))?
    }
}

/// What the cache calls `source`'s audio for `tenant`.
fn audio_key(tenant: &str, source: &PlaySource) -> AudioKey {
    match source {
        PlaySource::Prompt { name } => prompt_key(tenant, name),
        PlaySource::Speech { text, voice } => AudioKey::Speech {
            tenant: tenant.to_owned(),
            voice: voice.clone(),
            text: text.clone(),
        },
        PlaySource::Parts { parts, voice } => AudioKey::Joined {
            tenant: tenant.to_owned(),
            voice: voice.clone(),
            parts: parts
                .iter()
                .map(|part| match part {
                    SpeechPart::Prompt(name) => JoinedPart::Prompt(name.clone()),
                    SpeechPart::Text(text) => JoinedPart::Speech(text.clone()),
                })
                .collect(),
        },
    }
}

fn sentence(error: CacheError) -> String {
    match error {
        CacheError::Load(why) | CacheError::Encode(why) => why,
    }
}

/// Prompts are keyed by name, not by version: uploads and deletes go through
/// [`VoiceServices::prompt_changed`], so the cache never holds a stale one.
fn prompt_key(tenant: &str, name: &str) -> AudioKey {
    AudioKey::Prompt {
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        version: String::new(),
    }
}
