//! `huashu serve`'s speech options: which text-to-speech and recognition engines voice
//! calls use, the embedded ones by default.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use huashu_calls::VoiceServices;
use huashu_contract::LanguageTag;
use huashu_media::prompt_cache::PromptCache;
use huashu_speech::asr::SpeechRecognizer;
use huashu_speech::asr::funasr_ws::FunAsrWs;
use huashu_speech::asr::languages::{DEFAULT_LANGUAGE, Recognizers};
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
    /// Speech recognition for voice calls, one per language: `LANGUAGE=ENGINE`, repeated
    /// (`--asr en-US=pocketsphinx --asr zh-CN=ws://asr:2700`). ENGINE is `pocketsphinx`
    /// (embedded, US English), the ws:// URL of a Vosk-protocol server, or the
    /// funasr+ws:// URL of a FunASR runtime server. Without `LANGUAGE=` it serves
    /// `--default-language`. `none` alone: no voice calls.
    #[arg(long, default_value = "pocketsphinx")]
    asr: Vec<String>,
    /// The language of listens that name none, in modules that declare none (BCP 47).
    #[arg(long, default_value = DEFAULT_LANGUAGE)]
    default_language: String,
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
        Ok(Some(Arc::new(VoiceServices::new(
            store,
            cache,
            tts,
            Arc::new(asr),
        ))))
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

    /// The recognisers by language, or `None` for `--asr none`.
    fn asr(&self) -> anyhow::Result<Option<Recognizers>> {
        let default = LanguageTag::parse(&self.default_language)
            .map_err(|why| anyhow::anyhow!("--default-language: {why}"))?;
        if self.asr.iter().any(|value| value == "none") {
            anyhow::ensure!(
                self.asr.len() == 1,
                "--asr none turns recognition off; it cannot be combined with other --asr"
            );
            return Ok(None);
        }
        let mut recognizers = Recognizers::new(default.clone());
        for value in &self.asr {
            let (language, engine) = match value.split_once('=') {
                Some((language, engine)) => (
                    LanguageTag::parse(language)
                        .map_err(|why| anyhow::anyhow!("--asr `{value}`: {why}"))?,
                    engine,
                ),
                None => (default.clone(), value.as_str()),
            };
            let recognizer = self
                .recognizer(&language, engine)
                .with_context(|| format!("--asr `{value}`"))?;
            tracing::info!(%language, engine, "speech recognition");
            recognizers.add(language, engine, recognizer);
        }
        if !recognizers.handles(default.as_str()) {
            tracing::warn!(
                language = %default,
                "no --asr recogniser handles the default language: listens in it are heard \
                 as not understood"
            );
        }
        Ok(Some(recognizers))
    }

    /// One recogniser, for `language`.
    fn recognizer(
        &self,
        language: &LanguageTag,
        engine: &str,
    ) -> anyhow::Result<Arc<dyn SpeechRecognizer>> {
        Ok(match engine {
            "pocketsphinx" => {
                anyhow::ensure!(
                    language.primary() == "en",
                    "the embedded recogniser hears US English only, not {language}: give \
                     {language} the URL of a recognition server"
                );
                let limits = Decoders {
                    grammar: self.asr_hint_decoders,
                    language_model: self.asr_open_decoders,
                };
                // No decoder is built ahead: each loads its own model copy (7–92 MB), and
                // the first listen's audio queues while its decoder is built (15–25 ms
                // with hints), so an idle server holds none.
                let engine = PocketSphinx::debian_en_us(limits)
                    .context("the embedded recogniser cannot start (or pass --asr none)")?;
                Arc::new(engine)
            }
            url if url.starts_with("funasr+") => Arc::new(
                FunAsrWs::new(&url["funasr+".len()..])
                    .context("the FunASR server URL is not usable")?,
            ),
            url if url.starts_with("ws://") || url.starts_with("wss://") => {
                Arc::new(VoskWs::new(url).context("the Vosk server URL is not usable")?)
            }
            other => anyhow::bail!(
                "unknown engine `{other}`: use pocketsphinx, the ws:// URL of a Vosk server, \
                 the funasr+ws:// URL of a FunASR server, or none"
            ),
        })
    }
}
