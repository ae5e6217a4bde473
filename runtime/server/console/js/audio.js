// The page's half of a voice call: the microphone (getUserMedia → the `capture` worklet
// → 20 ms frames), the bot's audio (frames → the `playback` worklet), and the codec on
// the wire: Opus through WebCodecs where the browser has it, else 16 kHz 16-bit PCM.
// Frame formats are in docs/console.md.

import { t } from './i18n.js';

/** PCM on the wire: 20 ms of 16 kHz mono, signed 16-bit little-endian (640 bytes). */
const PCM_RATE = 16_000;
const PCM_FRAME_SAMPLES = 320;
/** Opus on the wire: one 20 ms packet of 48 kHz mono per binary frame. */
const OPUS_RATE = 48_000;
const OPUS_FRAME_SAMPLES = 960;
const OPUS_FRAME_US = 20_000;
const OPUS_CONFIG = { codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: 1 };

export const CODEC_NAMES = { opus: 'Opus 48 kHz', pcm16: 'PCM 16 kHz' };

/** Whether this browser can both encode and decode Opus at 48 kHz mono. */
export async function opusAvailable() {
  if (!('AudioEncoder' in window) || !('AudioDecoder' in window)) return false;
  try {
    const [encoder, decoder] = await Promise.all([
      AudioEncoder.isConfigSupported({ ...OPUS_CONFIG, bitrate: 32_000 }),
      AudioDecoder.isConfigSupported(OPUS_CONFIG),
    ]);
    return Boolean(encoder.supported && decoder.supported);
  } catch {
    return false;
  }
}

/** The codec for `preference` (`auto`, `opus` or `pcm16`). */
export async function pickCodec(preference) {
  if (preference === 'pcm16') return 'pcm16';
  const opus = await opusAvailable();
  if (preference === 'opus' && !opus) {
    throw new Error(t('mic.noopus'));
  }
  return opus ? 'opus' : 'pcm16';
}

/** A microphone problem in words. */
export function microphoneProblem(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return t('mic.denied');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return t('mic.none');
    case 'NotReadableError':
      return t('mic.busy');
    default:
      return t('mic.failed', { message: error?.message ?? error });
  }
}

export class CallAudio {
  /**
   * `context` must be created in the click that starts the call (browsers only let audio
   * start from a user gesture). `handlers`: `frame(ArrayBuffer)` to send, `level(0..1)`,
   * `speaking(bool)` while bot audio plays, `error(message)`.
   */
  constructor(context, codec, handlers) {
    this.context = context;
    this.codec = codec;
    this.handlers = handlers;
    this.sending = false;
    this.txTimestamp = 0;
    this.rxTimestamp = 0;
    this.dropBefore = 0;
    /** 20 ms frames sent and received, shown on the page so a silent line is easy to spot. */
    this.framesSent = 0;
    this.framesReceived = 0;
  }

  /** Tells the page how much audio went each way, every half second of either. */
  count(sent, received) {
    this.framesSent += sent;
    this.framesReceived += received;
    if ((this.framesSent + this.framesReceived) % 25 === 0) {
      this.handlers.counters?.({ sentMs: this.framesSent * 20, receivedMs: this.framesReceived * 20 });
    }
  }

  /** Asks for the microphone and builds the audio graph. Frames flow once `startSending`. */
  async open() {
    await this.context.audioWorklet.addModule('/console/js/audio-worklets.js');
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    if (this.context.state !== 'running') await this.context.resume();
    const opus = this.codec === 'opus';
    if (opus) this.openOpus();
    this.capture = new AudioWorkletNode(this.context, 'capture', {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: {
        targetRate: opus ? OPUS_RATE : PCM_RATE,
        frameSamples: opus ? OPUS_FRAME_SAMPLES : PCM_FRAME_SAMPLES,
        format: opus ? 'f32' : 'i16',
      },
    });
    this.capture.port.onmessage = (e) => this.captured(e.data);
    this.source = this.context.createMediaStreamSource(this.stream);
    this.source.connect(this.capture);
    // The capture node writes silence; connecting it keeps the graph pulling it.
    this.capture.connect(this.context.destination);
    this.player = new AudioWorkletNode(this.context, 'playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    this.player.port.onmessage = (e) => this.handlers.speaking?.(Boolean(e.data?.playing));
    this.player.connect(this.context.destination);
  }

  openOpus() {
    this.encoder = new AudioEncoder({
      output: (chunk) => {
        const bytes = new ArrayBuffer(chunk.byteLength);
        chunk.copyTo(bytes);
        if (!this.sending) return;
        this.handlers.frame(bytes);
        this.count(1, 0);
      },
      error: (e) => this.handlers.error?.(`The Opus encoder failed: ${e.message}`),
    });
    this.encoder.configure({ ...OPUS_CONFIG, bitrate: 32_000, opus: { format: 'opus', frameDuration: OPUS_FRAME_US } });
    this.decoder = new AudioDecoder({
      output: (data) => {
        if (data.timestamp >= this.dropBefore) {
          const samples = new Float32Array(data.numberOfFrames);
          data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
          this.player?.port.postMessage({ type: 'frame', samples: samples.buffer, rate: data.sampleRate }, [samples.buffer]);
        }
        data.close();
      },
      error: (e) => this.handlers.error?.(`The Opus decoder failed: ${e.message}`),
    });
    this.decoder.configure(OPUS_CONFIG);
  }

  captured({ frame, level }) {
    this.handlers.level?.(level);
    if (!this.sending) return;
    if (this.codec === 'pcm16') {
      this.handlers.frame(frame);
      this.count(1, 0);
    } else if (this.encoder?.state === 'configured') {
      const data = new AudioData({
        format: 'f32-planar',
        sampleRate: OPUS_RATE,
        numberOfFrames: OPUS_FRAME_SAMPLES,
        numberOfChannels: 1,
        timestamp: this.txTimestamp,
        data: new Float32Array(frame),
      });
      this.txTimestamp += OPUS_FRAME_US;
      this.encoder.encode(data);
      data.close();
    }
  }

  /** Frames captured from now on go to `handlers.frame`. */
  startSending() {
    this.sending = true;
  }

  /** One binary frame from the server. */
  received(bytes) {
    this.count(0, 1);
    if (this.codec === 'pcm16') {
      if (bytes.byteLength % 2) return;
      const pcm = new Int16Array(bytes);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
      this.player?.port.postMessage({ type: 'frame', samples: samples.buffer, rate: PCM_RATE }, [samples.buffer]);
    } else if (this.decoder?.state === 'configured') {
      try {
        this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: this.rxTimestamp, data: bytes }));
      } catch {
        // A packet the decoder cannot take is a gap, not the end of the call.
      }
      this.rxTimestamp += OPUS_FRAME_US;
    }
  }

  /** `stop_playback`: drop every queued and still-decoding frame of bot audio at once. */
  flush() {
    this.dropBefore = this.rxTimestamp;
    this.player?.port.postMessage({ type: 'clear' });
  }

  setMuted(muted) {
    this.capture?.port.postMessage({ type: 'mute', muted });
  }

  close() {
    this.sending = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    for (const codec of [this.encoder, this.decoder]) {
      if (codec && codec.state !== 'closed') codec.close();
    }
    this.context.close().catch(() => {});
    this.handlers.speaking?.(false);
  }
}
