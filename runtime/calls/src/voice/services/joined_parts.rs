//! The canonical audio of a `say-parts`: each part from the shared cache, as a `play` or
//! `say` of it would get it (so a prompt is read and a name synthesised once for all
//! calls), fetched all at once, then joined with a crossfade at each seam. Caching the
//! joined clip itself is the caller's: this is what it runs on a miss.

use std::future::Future;

use futures_util::future::try_join_all;
use huashu_contract::SpeechPart;
use huashu_media::joining;
use huashu_media::prompt_cache::{CacheError, PromptCache};
use huashu_session::PlaySource;

use super::{audio_key, sentence};

/// `parts` joined into one canonical clip. `load_single` loads or synthesises one part
/// the cache does not have (a prompt or speech, never parts). An error names the part
/// (`part 2: …`), counting from 1.
pub(super) async fn load<F, Fut>(
    cache: &PromptCache,
    tenant: &str,
    parts: &[SpeechPart],
    voice: &str,
    load_single: F,
) -> Result<Vec<i16>, CacheError>
where
    F: Fn(PlaySource) -> Fut,
    Fut: Future<Output = Result<Vec<i16>, CacheError>>,
{
    let load_single = &load_single;
    let clips = try_join_all(parts.iter().enumerate().map(|(i, part)| async move {
        let source = match part {
            SpeechPart::Prompt(name) => PlaySource::Prompt { name: name.clone() },
            SpeechPart::Text(text) => PlaySource::Speech {
                text: text.clone(),
                voice: voice.to_owned(),
            },
        };
        cache
            .canonical(&audio_key(tenant, &source), || load_single(source.clone()))
            .await
            .map_err(|e| CacheError::Load(format!("part {}: {}", i + 1, sentence(e))))
    }))
    .await?;
    Ok(joining::join(&clips))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use huashu_media::joining::SEAM_FADE_SAMPLES;
    use huashu_media::pcm::test_signals::sine;
    use huashu_media::pcm::{FRAME_MS, frames_for};
    use huashu_media::transport_codec::TransportCodec;

    fn greeting(name: &str) -> PlaySource {
        PlaySource::Parts {
            parts: vec![
                SpeechPart::Prompt("greeting-a".into()),
                SpeechPart::Text(name.into()),
                SpeechPart::Prompt("greeting-b".into()),
            ],
            voice: "cmn".into(),
        }
    }

    /// What the loader was asked for, and a clip for each: prompts 1 s, speech 0.5 s.
    #[derive(Default)]
    struct Loader {
        asked: Mutex<Vec<PlaySource>>,
    }

    impl Loader {
        async fn load(&self, source: PlaySource) -> Result<Vec<i16>, CacheError> {
            let samples = match &source {
                PlaySource::Prompt { name } if name == "missing" => {
                    return Err(CacheError::Load("no prompt named `missing`".into()));
                }
                PlaySource::Prompt { .. } => sine(300.0, 16_000, 0.3, 16_000),
                _ => sine(200.0, 16_000, 0.3, 8_000),
            };
            self.asked.lock().expect("not poisoned").push(source);
            Ok(samples)
        }

        fn asked(&self) -> usize {
            self.asked.lock().expect("not poisoned").len()
        }
    }

    /// The encoded joined clip of `source`, as `VoiceServices::audio` gets it.
    async fn play(
        cache: &PromptCache,
        loader: &Loader,
        source: &PlaySource,
    ) -> Result<u32, CacheError> {
        let PlaySource::Parts { parts, voice } = source else {
            panic!("parts");
        };
        let audio = cache
            .encoded(&audio_key("t1", source), TransportCodec::Pcm16k, || {
                load(cache, "t1", parts, voice, |part| loader.load(part))
            })
            .await?;
        Ok(audio.duration_ms())
    }

    #[tokio::test]
    async fn a_joined_clip_lasts_its_parts_less_one_fade_per_seam() {
        let (cache, loader) = (PromptCache::default(), Loader::default());
        let ms = play(&cache, &loader, &greeting("张三"))
            .await
            .expect("joined");
        // 2.5 s less two 5 ms fades, played in whole 20 ms frames.
        let samples = 16_000 + 8_000 + 16_000 - 2 * SEAM_FADE_SAMPLES;
        assert_eq!(samples, 39_840);
        assert_eq!(ms as usize, frames_for(samples) * FRAME_MS as usize);
    }

    #[tokio::test]
    async fn the_same_combination_on_another_call_is_a_cache_hit() {
        let (cache, loader) = (PromptCache::default(), Loader::default());
        play(&cache, &loader, &greeting("张三"))
            .await
            .expect("joined");
        assert_eq!(loader.asked(), 3);
        let before = cache.stats();
        play(&cache, &loader, &greeting("张三"))
            .await
            .expect("joined");
        let after = cache.stats();
        assert_eq!(loader.asked(), 3, "nothing loaded or synthesised again");
        assert_eq!((after.loads, after.misses), (before.loads, before.misses));
        assert_eq!(after.hits, before.hits + 1);
        // Another name: only the new name is synthesised; the prompts come from the cache.
        play(&cache, &loader, &greeting("李四"))
            .await
            .expect("joined");
        assert_eq!(loader.asked(), 4);
    }

    #[tokio::test]
    async fn a_part_that_cannot_be_had_is_named_by_its_position() {
        let (cache, loader) = (PromptCache::default(), Loader::default());
        let source = PlaySource::Parts {
            parts: vec![
                SpeechPart::Text("张三".into()),
                SpeechPart::Prompt("missing".into()),
            ],
            voice: String::new(),
        };
        let error = play(&cache, &loader, &source)
            .await
            .expect_err("a missing prompt");
        assert!(
            error.to_string().contains("part 2: no prompt named"),
            "{error}"
        );
    }
}
