//! eSpeak NG from Debian (`espeak-ng`), the embedded default text-to-speech: robotic but
//! offline, fast, and it speaks English and Mandarin.
//!
//! Each request runs `espeak-ng -v <voice> -b 1 --stdout` as a child process with the text
//! on its standard input, never through a shell and never as an argument (text starting
//! with `-` would read as an option). Voices come from a configured list of plain names,
//! so nothing a script sends reaches the command line unchecked. The WAV it writes
//! (22.05 kHz) is converted to canonical audio.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{Speech, TextToSpeech, TtsError, check_text};
use crate::canonical::wav_to_canonical;

/// The longest text spoken in one request: 2,000 characters is 2–3 minutes of English or
/// about 8 of Mandarin, far beyond one prompt, and it bounds what one request can cost
/// (a second or so of CPU, ~15 MB of audio).
pub const MAX_TEXT_CHARS: usize = 2_000;

/// How long one synthesis may take. eSpeak NG runs ~100× faster than real time, so even
/// [`MAX_TEXT_CHARS`] takes a few seconds on a busy core; only a hung process reaches this.
const TIMEOUT: Duration = Duration::from_secs(20);

/// What is kept of the engine's error output for the error message.
const STDERR_KEPT: u64 = 2_048;

/// The Debian package that provides the engine, named in errors.
const PACKAGE: &str = "espeak-ng";

/// eSpeak NG, run once per synthesis.
#[derive(Debug, Clone)]
pub struct EspeakTts {
    program: PathBuf,
    voices: Vec<String>,
}

impl Default for EspeakTts {
    /// `espeak-ng` from `PATH`, with the US English (`en-us`, the default) and Mandarin
    /// (`cmn`) voices.
    fn default() -> Self {
        Self {
            program: PathBuf::from("espeak-ng"),
            voices: vec!["en-us".into(), "cmn".into()],
        }
    }
}

impl EspeakTts {
    /// Another set of voices; the first is the default for an empty voice name. Names must
    /// be eSpeak voice names (`en-gb`, `cmn-latn-pinyin`): lower-case letters, digits and
    /// dashes, starting with a letter.
    pub fn with_voices(mut self, voices: &[&str]) -> Result<Self, TtsError> {
        if let Some(bad) = voices.iter().find(|v| !is_voice_name(v)) {
            return Err(TtsError::UnknownVoice {
                voice: (*bad).to_owned(),
                available: "lower-case eSpeak voice names such as en-us or cmn".into(),
            });
        }
        if voices.is_empty() {
            return Err(TtsError::Engine("no voices configured".into()));
        }
        self.voices = voices.iter().map(|v| (*v).to_owned()).collect();
        Ok(self)
    }

    /// Another `espeak-ng` binary than the one on `PATH`.
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// The configured eSpeak voice names; the first is the default.
    pub fn voices(&self) -> &[String] {
        &self.voices
    }

    /// The voice for `text`: the requested one, or with none requested, Mandarin (`cmn`,
    /// if configured) for text with Chinese characters and the first voice otherwise.
    fn voice<'a>(&'a self, requested: &'a str, text: &str) -> Result<&'a str, TtsError> {
        if requested.is_empty() {
            let chinese = text
                .chars()
                .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF));
            let mandarin = self.voices.iter().find(|v| v.as_str() == "cmn");
            return Ok(match (chinese, mandarin) {
                (true, Some(cmn)) => cmn,
                _ => self.voices.first().map(String::as_str).unwrap_or("en-us"),
            });
        }
        self.voices
            .iter()
            .find(|v| v.as_str() == requested)
            .map(String::as_str)
            .ok_or_else(|| TtsError::UnknownVoice {
                voice: requested.to_owned(),
                available: self.voices.join(", "),
            })
    }

    fn spawn(&self, voice: &str) -> Result<Child, TtsError> {
        Command::new(&self.program)
            // -b 1: the input is UTF-8 (Mandarin text).
            .args(["-v", voice, "-b", "1", "--stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => TtsError::EngineMissing {
                    engine: "espeak-ng",
                    package: PACKAGE,
                },
                _ => TtsError::Engine(format!("cannot start espeak-ng: {e}")),
            })
    }
}

impl TextToSpeech for EspeakTts {
    fn synthesize_blocking(&self, voice: &str, text: &str) -> Result<Speech, TtsError> {
        check_text(text, MAX_TEXT_CHARS)?;
        let voice = self.voice(voice, text)?;
        let mut child = self.spawn(voice)?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(TtsError::Engine("espeak-ng's pipes were not opened".into()));
                }
            };
        // Feed, drain and collect on helper threads so a full pipe can never stall the
        // child, and this thread can enforce the deadline.
        let (done, finished) = mpsc::channel();
        let feeder = std::thread::spawn({
            let text = text.to_owned();
            move || {
                let mut stdin = stdin;
                // A write error means the child died early; its exit status says why.
                let _ = stdin.write_all(text.as_bytes());
            }
        });
        let stderr_reader = std::thread::spawn(move || {
            let mut stderr = stderr;
            let mut kept = Vec::new();
            let _ = (&mut stderr).take(STDERR_KEPT).read_to_end(&mut kept);
            // Keep draining: a child blocked on a full stderr pipe would never finish.
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&kept).into_owned()
        });
        std::thread::spawn(move || {
            let mut wav = Vec::new();
            let result = { stdout }.read_to_end(&mut wav).map(|_| wav);
            let _ = done.send(result);
        });
        let wav = match finished.recv_timeout(TIMEOUT) {
            Ok(read) => read,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TtsError::TimedOut(TIMEOUT.as_millis() as u64));
            }
        };
        let status = child
            .wait()
            .map_err(|e| TtsError::Engine(format!("waiting for espeak-ng: {e}")))?;
        let _ = feeder.join();
        let complaint = stderr_reader.join().unwrap_or_default();
        let wav = wav.map_err(|e| TtsError::Engine(format!("reading espeak-ng's audio: {e}")))?;
        if !status.success() {
            return Err(TtsError::Engine(format!(
                "espeak-ng exited with {status}: {}",
                complaint.trim()
            )));
        }
        Ok(Speech::new(wav_to_canonical(&wav)?))
    }
}

/// An eSpeak voice name that cannot be mistaken for an option or a path.
fn is_voice_name(name: &str) -> bool {
    const MAX_VOICE_NAME: usize = 40; // the longest Debian voice name is 21 characters
    name.len() <= MAX_VOICE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_are_checked_before_anything_runs() {
        let tts = EspeakTts::default().with_program("/nonexistent/espeak-ng");
        assert!(matches!(
            tts.synthesize_blocking("--help", "hi"),
            Err(TtsError::UnknownVoice { .. })
        ));
        assert!(matches!(
            tts.synthesize_blocking("en-us", "   "),
            Err(TtsError::EmptyText)
        ));
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(
            tts.synthesize_blocking("en-us", &long),
            Err(TtsError::TextTooLong { .. })
        ));
        assert!(EspeakTts::default().with_voices(&["en-us", "-v"]).is_err());
        assert!(EspeakTts::default().with_voices(&["../x"]).is_err());
    }

    #[test]
    fn a_missing_engine_names_its_package() {
        let tts = EspeakTts::default().with_program("/nonexistent/espeak-ng");
        let err = tts.synthesize_blocking("", "hello").unwrap_err();
        assert_eq!(
            err,
            TtsError::EngineMissing {
                engine: "espeak-ng",
                package: "espeak-ng"
            }
        );
        assert!(err.to_string().contains("./scripts/setup"));
    }
}
