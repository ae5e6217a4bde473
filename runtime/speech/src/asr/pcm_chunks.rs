//! The customer's canonical frames gathered into the binary messages a recognition server
//! reads: little-endian 16-bit PCM, a fixed number of frames a message, and whatever is
//! left when the utterance ends.

use huashu_media::pcm::FRAME_SAMPLES;

/// Frames waiting to go out as one message.
pub(crate) struct PcmChunks {
    bytes: Vec<u8>,
    frames: usize,
    frames_per_chunk: usize,
}

impl PcmChunks {
    /// Messages of `frames_per_chunk` frames each.
    pub(crate) fn new(frames_per_chunk: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(frames_per_chunk * FRAME_SAMPLES * 2),
            frames: 0,
            frames_per_chunk,
        }
    }

    /// Adds `frame`, or marks the end of the utterance with `None`. Returns a message to
    /// send when one is full, or at the end when any frames are left.
    pub(crate) fn push(&mut self, frame: Option<&[i16]>) -> Option<Vec<u8>> {
        if let Some(frame) = frame {
            self.bytes
                .extend(frame.iter().flat_map(|s| s.to_le_bytes()));
            self.frames += 1;
        }
        let full = self.frames == self.frames_per_chunk;
        if full || (frame.is_none() && self.frames > 0) {
            self.frames = 0;
            Some(std::mem::take(&mut self.bytes))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_go_out_in_whole_chunks_and_the_rest_at_the_end() {
        let mut chunks = PcmChunks::new(2);
        let frame = [1i16; FRAME_SAMPLES];
        assert_eq!(chunks.push(Some(&frame)), None);
        let sent = chunks.push(Some(&frame)).expect("two frames make a chunk");
        assert_eq!(sent.len(), 2 * FRAME_SAMPLES * 2);
        assert_eq!(&sent[..2], &[1, 0], "little-endian");
        assert_eq!(chunks.push(Some(&frame)), None);
        assert_eq!(
            chunks.push(None).map(|rest| rest.len()),
            Some(FRAME_SAMPLES * 2)
        );
        assert_eq!(chunks.push(None), None, "nothing left after the end");
    }
}
