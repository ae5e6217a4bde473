//! `huashu serve`'s speech options: which text-to-speech and recognition engines voice
//! calls use, the embedded ones by default.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use huashu_calls::VoiceServices;
use huashu_media::prompt_cache::PromptCache;
use huashu_speech::asr::SpeechRecognizer;
use huashu_speech::asr::pocketsphinx::{Decoders, PocketSphinx};
use huashu_speech::asr::vosk_ws::VoskWs;
use huashu_speech::tts::TextToSpeech;
use huashu_speech::tts::espeak::EspeakTts;
use huashu_speech::tts::http::HttpTts;
use huashu_store::Store;

#[derive(Debug, Args)]
pub struct SpeechArgs {
    /// Text-to-speech for voice calls: `espeak` (embedded eSpeak NG, English and Mandarin),
    /// the http:// URL of an external TTS service, or `none` (no voice calls).
    #[arg(long, default_value = "espeak")]
    tts: String,
    /// Speech recognition for voice calls: `pocketsphinx` (embedded, English), the ws(s)
    /// URL of a Vosk-protocol recognition server, or `none` (no voice calls).
    #[arg(long, default_value = "pocketsphinx")]
    asr: String,
    /// Utterances the embedded recogniser decodes at once when the script gave phrase hints
    /// (about 7 MB each, built on first need, freed after a minute unused). Past it an
    /// utterance is heard as nothing intelligible.
    #[arg(long, default_value_t = 64)]
    asr_hint_decoders: usize,
    /// Utterances it decodes at once without hints, on the full English language model
    /// (about 95 MB each, built on first need, freed after 30 s unused).
    #[arg(long, default_value_t = 2)]
    asr_open_decoders: usize,
    /// Memory for prompts and speech encoded for calls, shared by all tenants (MiB).
    #[arg(long, default_value_t = 256)]
    audio_cache_mib: usize,
}

impl SpeechArgs {
    /// The engines, or `None` when either is `none`.
    pub fn voice_services(
        &self,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Option<Arc<VoiceServices>>> {
        let (Some(tts), Some(asr)) = (self.tts()?, self.asr()?) else {
            tracing::warn!("no speech engines: voice calls are refused, text calls work");
            return Ok(None);
        };
        let cache = Arc::new(PromptCache::new(self.audio_cache_mib << 20));
        Ok(Some(Arc::new(VoiceServices::new(store, cache, tts, asr))))
    }

    fn tts(&self) -> anyhow::Result<Option<Arc<dyn TextToSpeech>>> {
        Ok(match self.tts.as_str() {
            "none" => None,
            "espeak" => Some(Arc::new(EspeakTts::default())),
            url if url.starts_with("http://") => Some(Arc::new(
                HttpTts::new(url).context("the --tts service URL is not usable")?,
            )),
            other => anyhow::bail!(
                "--tts `{other}`: use espeak, none, or the http:// URL of a TTS service"
            ),
        })
    }

    fn asr(&self) -> anyhow::Result<Option<Arc<dyn SpeechRecognizer>>> {
        Ok(match self.asr.as_str() {
            "none" => None,
            "pocketsphinx" => {
                let limits = Decoders {
                    grammar: self.asr_hint_decoders,
                    language_model: self.asr_open_decoders,
                };
                // No decoder is built ahead: each loads its own model copy (7–92 MB), and
                // the first listen's audio queues while its decoder is built (15–25 ms
                // with hints), so an idle server holds none.
                let engine = PocketSphinx::debian_en_us(limits)
                    .context("the embedded recogniser cannot start (or pass --asr none)")?;
                Some(Arc::new(engine))
            }
            url if url.starts_with("ws://") || url.starts_with("wss://") => Some(Arc::new(
                VoskWs::new(url).context("the --asr server URL is not usable")?,
            )),
            other => anyhow::bail!(
                "--asr `{other}`: use pocketsphinx, none, or the ws(s) URL of a Vosk server"
            ),
        })
    }
}
