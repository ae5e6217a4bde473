//! A script that listens to the customer's audio itself: what `tests/voice_calls.rs` uses
//! to check that `subscribe-audio` delivers the call's audio to the script.
//!
//! - On call start it subscribes to the audio at 8 kHz and waits for keys.
//! - Every `audio-frame` is counted, and counted as loud when its RMS is above 1 % of
//!   full scale.
//! - Key `1`: the counts so far go into the outcome under `8k_*`, and the subscription
//!   moves to 16 kHz. Key `#`: the counts since go in under `16k_*`, and it hangs up.

use huashu_sdk::prelude::*;

#[derive(Default)]
struct AudioMeter {
    frames: u32,
    loud: u32,
    /// Samples in the latest frame, and its rate.
    last: (usize, u32),
}

/// RMS above 1 % of full scale: speech, not the line's silence.
fn is_loud(samples: &[i16]) -> bool {
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / samples.len().max(1) as f64).sqrt();
    rms > 327.0
}

impl AudioMeter {
    fn report(&mut self, prefix: &str, out: &mut Actions) {
        out.field(format!("{prefix}_frames"), self.frames.to_string())
            .field(format!("{prefix}_loud_frames"), self.loud.to_string())
            .field(
                format!("{prefix}_samples_per_frame"),
                self.last.0.to_string(),
            )
            .field(format!("{prefix}_sample_rate"), self.last.1.to_string());
        *self = Self::default();
    }
}

fn wait_for_a_key(out: &mut Actions) {
    out.listen(Listen::new().no_input_ms(60_000).dtmf(1, "", 0));
}

impl Dialogue for AudioMeter {
    fn on_call_started(&mut self, _: &CallStarted, out: &mut Actions) {
        out.subscribe_audio(8_000);
        wait_for_a_key(out);
    }

    fn on_audio_frame(&mut self, frame: &AudioFrame, _: &mut Actions) {
        self.frames += 1;
        if is_loud(&frame.samples) {
            self.loud += 1;
        }
        self.last = (frame.samples.len(), frame.sample_rate);
    }

    fn on_dtmf(&mut self, dtmf: &Dtmf, out: &mut Actions) {
        if dtmf.digits == "1" {
            self.report("8k", out);
            out.subscribe_audio(16_000);
            wait_for_a_key(out);
        } else {
            self.report("16k", out);
            out.unsubscribe_audio().hang_up("measured");
        }
    }

    fn on_no_input(&mut self, _: &NoInput, out: &mut Actions) {
        wait_for_a_key(out);
    }
}

huashu_sdk::export_dialogue!(AudioMeter);
