//! What one 20 ms frame of media costs, per call direction:
//! `cargo bench -p huashu-speech --bench media`. `docs/benchmarks.md` ("Media") has the figures.
//!
//! - `mulaw_in` — a Twilio frame (160 mu-law bytes) decoded at the line rate (8 kHz):
//!   what every inbound frame costs before the voice activity detector.
//! - `vad_8k` / `vad_16k` — the WebRTC detector judging one frame of speech at 8 kHz (a
//!   telephone line as it arrives) and at 16 kHz (canonical).
//! - `mulaw_to_canonical` — one 8 kHz frame resampled to 16 kHz, which only the frames the
//!   recogniser hears (and a recorded call's) pay.
//! - `mulaw_out` — a canonical frame resampled 16 → 8 kHz and encoded to mu-law.
//! - `opus_decode` / `opus_encode` — libopus alone, one 20 ms packet at 48 kHz.
//! - `opus_in` / `opus_out` — the browser path: Opus plus the 48 ↔ 16 kHz resampler.
//!   (Live browser calls decode at the line rate and resample only speech, like G.711.)
//! - `pacer_cached_mulaw` — the pacer handing out one frame of a cached mu-law prompt
//!   (what most outbound frames of a campaign cost).
//!
//! Each measurement runs a real per-call stream (resampler and codec state carried from
//! frame to frame) over a second of speech-like audio, one frame per iteration.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use huashu_media::opus_codec::{OPUS_FRAME_SAMPLES, OpusDecoder, OpusEncoder};
use huashu_media::pacer::{Pacer, PacerAudio, PacerConfig, PacerEvent};
use huashu_media::pcm::FRAME_SAMPLES;
use huashu_media::transport_codec::{
    EncodedAudio, LineDecoder, LineResampler, OutboundEncoder, TransportCodec,
};
use huashu_speech::vad::{Aggressiveness, VoiceDetector};

/// One second of something like voiced speech at `rate` Hz.
fn speech(rate: u32) -> Vec<i16> {
    (0..rate as usize)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            let voice: f64 = (1..=12)
                .map(|h| (2.0 * std::f64::consts::PI * 140.0 * h as f64 * t).sin() / h as f64)
                .sum();
            let envelope = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
            (voice * envelope * 0.25 * 32_767.0) as i16
        })
        .collect()
}

/// A second of `codec` payloads, encoded as a call would send them.
fn payloads(codec: TransportCodec) -> Vec<Vec<u8>> {
    let mut encoder = OutboundEncoder::new(codec).expect("encoder");
    speech(16_000)
        .chunks_exact(FRAME_SAMPLES)
        .map(|frame| {
            let mut out = Vec::new();
            encoder.encode_frame(frame, &mut out).expect("encodes");
            out
        })
        .collect()
}

fn media(c: &mut Criterion) {
    let mut group = c.benchmark_group("media");
    group.measurement_time(Duration::from_secs(3));
    let canonical = speech(16_000);
    let frames: Vec<&[i16]> = canonical.chunks_exact(FRAME_SAMPLES).collect();

    for (name, codec) in [
        ("mulaw_in", TransportCodec::Mulaw8k),
        ("opus_in", TransportCodec::Opus48k),
    ] {
        let packets = payloads(codec);
        let mut decoder = LineDecoder::new(codec).expect("decoder");
        let mut to_canonical = LineResampler::to_canonical(codec.rate()).expect("converter");
        let resample = codec == TransportCodec::Opus48k;
        let mut out = Vec::with_capacity(codec.frame_samples());
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                decoder
                    .decode(black_box(&packets[i % packets.len()]), &mut out)
                    .expect("decodes");
                i += 1;
                if resample {
                    black_box(to_canonical.convert(&out).expect("converts"));
                }
                black_box(&out);
            })
        });
    }

    let mut decoder = LineDecoder::new(TransportCodec::Mulaw8k).expect("decoder");
    let mut line = Vec::new();
    for payload in payloads(TransportCodec::Mulaw8k) {
        decoder.decode(&payload, &mut line).expect("decodes");
    }
    let line_frames: Vec<&[i16]> = line.chunks_exact(160).collect();
    for (name, rate, frames) in [
        ("vad_8k", 8_000, &line_frames),
        ("vad_16k", 16_000, &frames),
    ] {
        let mut vad = VoiceDetector::new(rate, Aggressiveness::default()).expect("detector");
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(vad.is_voiced(black_box(frames[i % frames.len()])).ok());
                i += 1;
            })
        });
    }
    let mut to_canonical = LineResampler::to_canonical(8_000).expect("converter");
    let mut i = 0;
    group.bench_function("mulaw_to_canonical", |b| {
        b.iter(|| {
            black_box(
                to_canonical
                    .convert(black_box(line_frames[i % line_frames.len()]))
                    .ok(),
            );
            i += 1;
        })
    });

    for (name, codec) in [
        ("mulaw_out", TransportCodec::Mulaw8k),
        ("opus_out", TransportCodec::Opus48k),
    ] {
        let mut encoder = OutboundEncoder::new(codec).expect("encoder");
        let mut out = Vec::with_capacity(1_500);
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                encoder
                    .encode_frame(black_box(frames[i % frames.len()]), &mut out)
                    .expect("encodes");
                i += 1;
                black_box(&out);
            })
        });
    }

    let wide = speech(48_000);
    let wide_frames: Vec<&[i16]> = wide.chunks_exact(OPUS_FRAME_SAMPLES).collect();
    let mut encoder = OpusEncoder::new().expect("encoder");
    let packets: Vec<Vec<u8>> = wide_frames
        .iter()
        .map(|frame| {
            let mut out = Vec::new();
            encoder.encode(frame, &mut out).expect("encodes");
            out
        })
        .collect();
    let mut out = Vec::with_capacity(1_500);
    let mut i = 0;
    group.bench_function("opus_encode", |b| {
        b.iter(|| {
            out.clear();
            encoder
                .encode(black_box(wide_frames[i % wide_frames.len()]), &mut out)
                .expect("encodes");
            i += 1;
            black_box(&out);
        })
    });
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut pcm = Vec::with_capacity(OPUS_FRAME_SAMPLES);
    let mut i = 0;
    group.bench_function("opus_decode", |b| {
        b.iter(|| {
            pcm.clear();
            decoder
                .decode(black_box(&packets[i % packets.len()]), &mut pcm)
                .expect("decodes");
            i += 1;
            black_box(&pcm);
        })
    });

    let prompt =
        Arc::new(EncodedAudio::encode(TransportCodec::Mulaw8k, &canonical).expect("encodes"));
    let mut pacer = Pacer::new(TransportCodec::Mulaw8k, PacerConfig::default()).expect("pacer");
    let start = tokio::time::Instant::now();
    let mut n = 0u32;
    group.bench_function("pacer_cached_mulaw", |b| {
        b.iter(|| {
            if pacer.is_idle() {
                pacer
                    .push("prompt", PacerAudio::Encoded(Arc::clone(&prompt)))
                    .expect("queued");
            }
            // Every call is exactly on the next slot: one frame each.
            let now = start + Duration::from_millis(20) * n;
            n += 1;
            match pacer.poll(now) {
                Some(PacerEvent::Frame { payload, .. }) => {
                    black_box(payload.bytes());
                }
                other => panic!("expected a frame, got {other:?}"),
            }
        })
    });
    group.finish();
}

criterion_group!(benches, media);
criterion_main!(benches);
