//! G.711 companding (ITU-T G.711): mu-law (North America, Japan; what Twilio Media Streams
//! carry) and A-law (Europe, China's PSTN; SIP trunks) at 8 kHz, one byte per sample.
//!
//! Table-driven both ways. Decoding is one 256-entry table per law. Encoding indexes a
//! table by the sample's top bits (14 for mu-law, 13 for A-law: the precision G.711 keeps),
//! so it is one shift and one load per sample. The tables are computed at compile time from
//! the reference algorithm (the one in ITU-T G.191's `g711.c`), which stays below as
//! `const fn`s so the tests can check every table entry against it.
//!
//! This module knows nothing of rates: the caller resamples to and from 8 kHz
//! ([`super::resample`]).

/// Added to the magnitude before finding the mu-law segment, so the segments line up on
/// powers of two (G.711 §3.2: the 33 in the 14-bit domain, 132 in 16 bits).
const ULAW_BIAS: i32 = 0x84;
/// The largest 14-bit magnitude mu-law encodes; louder samples clip to the top code.
const ULAW_CLIP: i32 = 8_159;
/// Upper ends of the eight mu-law segments in the biased 14-bit domain.
const ULAW_SEGMENT_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Upper ends of the eight A-law segments in the 13-bit domain.
const ALAW_SEGMENT_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
/// A-law inverts every even bit on the wire (G.711 §3.3), to keep the line busy with ones.
const ALAW_EVEN_BITS: u8 = 0x55;

/// Which companding law a G.711 stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// PCMU.
    Mu,
    /// PCMA.
    A,
}

impl Law {
    /// Appends `codes` decoded to linear 16-bit samples.
    pub fn decode(self, codes: &[u8], out: &mut Vec<i16>) {
        let table = match self {
            Law::Mu => &ULAW_DECODE,
            Law::A => &ALAW_DECODE,
        };
        out.extend(codes.iter().map(|&c| table[usize::from(c)]));
    }

    /// Appends `samples` encoded to G.711 codes.
    pub fn encode(self, samples: &[i16], out: &mut Vec<u8>) {
        match self {
            Law::Mu => out.extend(samples.iter().map(|&s| ulaw_encode(s))),
            Law::A => out.extend(samples.iter().map(|&s| alaw_encode(s))),
        }
    }
}

/// One mu-law code as a linear sample.
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[usize::from(code)]
}

/// One linear sample as a mu-law code.
pub fn ulaw_encode(sample: i16) -> u8 {
    // The top 14 bits, as an unsigned table index.
    ULAW_ENCODE[(sample as u16 >> 2) as usize]
}

/// One A-law code as a linear sample.
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[usize::from(code)]
}

/// One linear sample as an A-law code.
pub fn alaw_encode(sample: i16) -> u8 {
    // The top 13 bits, as an unsigned table index.
    ALAW_ENCODE[(sample as u16 >> 3) as usize]
}

static ULAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = ulaw_to_linear(c as u8);
        c += 1;
    }
    t
};

static ALAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = alaw_to_linear(c as u8);
        c += 1;
    }
    t
};

/// Indexed by the sample's top 14 bits read as unsigned (so negative samples sit in the
/// upper half): 16 KiB.
static ULAW_ENCODE: [u8; 1 << 14] = {
    let mut t = [0u8; 1 << 14];
    let mut i = 0;
    while i < (1 << 14) {
        t[i] = linear_to_ulaw(((i as u16) << 2) as i16);
        i += 1;
    }
    t
};

/// Indexed by the sample's top 13 bits read as unsigned: 8 KiB.
static ALAW_ENCODE: [u8; 1 << 13] = {
    let mut t = [0u8; 1 << 13];
    let mut i = 0;
    while i < (1 << 13) {
        t[i] = linear_to_alaw(((i as u16) << 3) as i16);
        i += 1;
    }
    t
};

const fn segment(value: i32, ends: &[i32; 8]) -> usize {
    let mut seg = 0;
    while seg < 8 {
        if value <= ends[seg] {
            return seg;
        }
        seg += 1;
    }
    8
}

/// The reference mu-law encoder (G.191 `linear2ulaw`): only the top 14 bits count.
const fn linear_to_ulaw(sample: i16) -> u8 {
    let mut value = (sample as i32) >> 2;
    let mask: i32 = if value < 0 {
        value = -value;
        0x7F
    } else {
        0xFF
    };
    if value > ULAW_CLIP {
        value = ULAW_CLIP;
    }
    value += ULAW_BIAS >> 2;
    let seg = segment(value, &ULAW_SEGMENT_END);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let code = ((seg as i32) << 4) | ((value >> (seg + 1)) & 0xF);
    (code ^ mask) as u8
}

/// The reference mu-law decoder (G.191 `ulaw2linear`).
const fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code as i32;
    let mut t = ((u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

/// The reference A-law encoder (G.191 `linear2alaw`): only the top 13 bits count.
const fn linear_to_alaw(sample: i16) -> u8 {
    let mut value = (sample as i32) >> 3;
    let mask: i32 = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let seg = segment(value, &ALAW_SEGMENT_END);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut code = (seg as i32) << 4;
    code |= if seg < 2 {
        (value >> 1) & 0x0F
    } else {
        (value >> seg) & 0x0F
    };
    (code ^ mask) as u8
}

/// The reference A-law decoder (G.191 `alaw2linear`).
const fn alaw_to_linear(code: u8) -> i16 {
    let a = (code ^ ALAW_EVEN_BITS) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::sine;

    #[test]
    fn known_mu_law_code_points() {
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(ulaw_decode(0x00), -32_124);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0x7E), -8);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
    }

    #[test]
    fn known_a_law_code_points() {
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32_256);
        assert_eq!(alaw_decode(0x2A), -32_256);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_decodes_and_encodes_back_to_itself() {
        for code in 0..=255u8 {
            // Mu-law has two zeros; encoding 0 gives the positive one.
            let want = if code == 0x7F { 0xFF } else { code };
            assert_eq!(ulaw_encode(ulaw_decode(code)), want, "mu-law {code:#04x}");
            assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
        }
    }

    #[test]
    fn the_tables_match_the_reference_algorithm_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), linear_to_ulaw(s), "mu-law {s}");
            assert_eq!(alaw_encode(s), linear_to_alaw(s), "A-law {s}");
        }
    }

    #[test]
    fn decoding_gives_128_ordered_levels_per_sign() {
        // Positive mu-law codes run 0xFF (smallest) down to 0x80 (largest).
        let mu: Vec<i16> = (0x80..=0xFFu8).rev().map(ulaw_decode).collect();
        assert!(mu.windows(2).all(|w| w[0] < w[1]));
        // A-law's positive codes are not in value order on the wire (even bits inverted),
        // but they are 128 distinct levels starting at the smallest step.
        let mut a: Vec<i16> = (0x80..=0xFFu8).map(alaw_decode).collect();
        a.sort_unstable();
        a.dedup();
        assert_eq!((a.len(), a[0]), (128, 8));
    }

    #[test]
    fn the_quantisation_error_stays_within_one_step() {
        // G.711's step doubles each segment: error ≤ 1/32 of the magnitude plus the
        // smallest step.
        for s in (i16::MIN + 1..=i16::MAX).step_by(7) {
            let mag = i32::from(s).abs();
            let bound = mag / 32 + 16;
            let mu = (i32::from(ulaw_decode(ulaw_encode(s))) - i32::from(s)).abs();
            let a = (i32::from(alaw_decode(alaw_encode(s))) - i32::from(s)).abs();
            // Mu-law clips at 32,124 and A-law at 32,256: allow for the clip at the top.
            assert!(mu <= bound.max(mag - 32_124 + 1), "mu-law {s}: {mu}");
            assert!(a <= bound.max(mag - 32_256 + 1), "A-law {s}: {a}");
        }
    }

    #[test]
    fn a_sine_survives_mu_law_with_g711_quality() {
        // 1,020 Hz, not 1 kHz: a tone at an eighth of the sample rate hits the same eight
        // sample values over and over and measures those, not the law (ITU test tones
        // avoid submultiples of 8 kHz for the same reason).
        let input = sine(1_020.0, 8_000, 0.5, 8_000);
        for law in [Law::Mu, Law::A] {
            let mut codes = Vec::new();
            law.encode(&input, &mut codes);
            assert_eq!(codes.len(), input.len());
            let mut output = Vec::new();
            law.decode(&codes, &mut output);
            let signal: f64 = input.iter().map(|&s| f64::from(s).powi(2)).sum();
            let noise: f64 = input
                .iter()
                .zip(&output)
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum();
            let snr_db = 10.0 * (signal / noise).log10();
            // G.711 gives about 38 dB SNR over most of its range.
            assert!(snr_db > 35.0, "{law:?}: SNR {snr_db:.1} dB");
        }
    }
}
