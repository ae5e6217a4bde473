//! Media: audio formats and (with the audio pipeline) decoding, resampling and pacing.
//! For now: reading WAV headers of uploaded prompts.

pub mod wav;
