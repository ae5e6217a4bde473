// The audio thread's half of a voice call, as two AudioWorklet processors:
// - `capture`: microphone samples at the context's rate → band-limited resampling to the
//   call's rate → fixed 20 ms frames posted to the page (16-bit for PCM, float for Opus);
// - `playback`: the bot's frames from the page → resampled to the context's rate → a
//   small jitter buffer → the speakers; `clear` drops everything queued (barge-in).
// Nothing here blocks: the page posts and receives messages, the audio thread never waits.

/** Kernel phases between two input samples: fine enough that rounding to one is inaudible. */
const PHASES = 256;
/** Zero crossings of the sinc on each side: sharper band edge against more work. */
const ZERO_CROSSINGS = 16;

/**
 * Streaming band-limited resampler from `from` Hz to `to` Hz: a windowed-sinc (Blackman)
 * interpolator, with the cutoff just under the lower rate's Nyquist frequency, so that
 * lowering the rate does not fold high frequencies back into the speech band (aliasing
 * garbles speech for a recogniser) and raising it adds no images. The kernel is tabulated
 * for `PHASES` fractional positions once per resampler.
 */
class Resampler {
  constructor(from, to) {
    this.same = from === to;
    this.step = from / to;
    const cutoff = Math.min(1, to / from) * 0.97;
    this.half = Math.ceil(ZERO_CROSSINGS / cutoff);
    const taps = 2 * this.half;
    this.table = [];
    for (let p = 0; p <= PHASES; p++) {
      const frac = p / PHASES;
      const row = new Float32Array(taps);
      for (let k = 0; k < taps; k++) {
        const d = frac + this.half - 1 - k;
        const x = Math.PI * cutoff * d;
        const sinc = d === 0 ? 1 : Math.sin(x) / x;
        const w = 0.42 + 0.5 * Math.cos((Math.PI * d) / this.half) + 0.08 * Math.cos((2 * Math.PI * d) / this.half);
        row[k] = Math.abs(d) < this.half ? cutoff * sinc * w : 0;
      }
      this.table.push(row);
    }
    let size = 1;
    while (size < taps + 2) size *= 2;
    this.history = new Float32Array(size);
    this.mask = size - 1;
    this.received = -1;
    this.next = 0;
  }

  /** Feeds one input sample; calls `emit` for each output sample it completes. */
  push(x, emit) {
    if (this.same) {
      emit(x);
      return;
    }
    this.received += 1;
    this.history[this.received & this.mask] = x;
    while (this.next + this.half <= this.received) {
      const base = Math.floor(this.next);
      const row = this.table[Math.round((this.next - base) * PHASES)];
      const first = base - this.half + 1;
      let sum = 0;
      for (let k = 0; k < row.length; k++) sum += this.history[(first + k) & this.mask] * row[k];
      emit(sum);
      this.next += this.step;
    }
  }
}

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate, frameSamples, format } = options.processorOptions;
    this.resampler = new Resampler(sampleRate, targetRate);
    this.frameSamples = frameSamples;
    this.format = format;
    this.frame = new Float32Array(frameSamples);
    this.filled = 0;
    this.muted = false;
    this.port.onmessage = (e) => {
      if (e.data?.type === 'mute') this.muted = Boolean(e.data.muted);
    };
    this.emit = (sample) => {
      this.frame[this.filled++] = sample;
      if (this.filled === this.frameSamples) this.flush();
    };
  }

  flush() {
    let energy = 0;
    for (let i = 0; i < this.frameSamples; i++) energy += this.frame[i] * this.frame[i];
    const level = Math.sqrt(energy / this.frameSamples);
    if (this.format === 'i16') {
      const out = new Int16Array(this.frameSamples);
      for (let i = 0; i < this.frameSamples; i++) {
        const s = Math.max(-1, Math.min(1, this.muted ? 0 : this.frame[i]));
        out[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
      }
      this.port.postMessage({ frame: out.buffer, level }, [out.buffer]);
    } else {
      const out = this.muted ? new Float32Array(this.frameSamples) : this.frame.slice();
      this.port.postMessage({ frame: out.buffer, level }, [out.buffer]);
    }
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length) {
      const channels = input.length;
      const n = input[0].length;
      for (let i = 0; i < n; i++) {
        let x = input[0][i];
        for (let c = 1; c < channels; c++) x += input[c][i];
        this.resampler.push(x / channels, this.emit);
      }
    }
    return true;
  }
}

/** Audio waits this long before it starts, so a late frame does not cause a click. */
const PREBUFFER_SECONDS = 0.06;
/** More queued than this is dropped from the front (the server paces in real time). */
const MAX_QUEUED_SECONDS = 30;

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.playing = false;
    this.waited = 0;
    this.resamplers = new Map();
    this.port.onmessage = (e) => {
      const message = e.data;
      if (message?.type === 'frame') this.enqueue(new Float32Array(message.samples), message.rate);
      else if (message?.type === 'clear') this.clear();
    };
  }

  enqueue(samples, rate) {
    let resampler = this.resamplers.get(rate);
    if (!resampler) {
      resampler = new Resampler(rate, sampleRate);
      this.resamplers.set(rate, resampler);
    }
    const out = [];
    const push = (s) => out.push(s);
    for (let i = 0; i < samples.length; i++) resampler.push(samples[i], push);
    this.queue.push(Float32Array.from(out));
    this.queued += out.length;
    while (this.queued > MAX_QUEUED_SECONDS * sampleRate && this.queue.length > 1) {
      this.queued -= this.queue[0].length - this.head;
      this.queue.shift();
      this.head = 0;
    }
  }

  clear() {
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.waited = 0;
    this.resamplers.clear();
    if (this.playing) {
      this.playing = false;
      this.port.postMessage({ playing: false });
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing) {
      if (this.queued === 0) return true;
      this.waited += out.length;
      const ready = this.queued >= PREBUFFER_SECONDS * sampleRate || this.waited >= PREBUFFER_SECONDS * sampleRate;
      if (!ready) return true;
      this.playing = true;
      this.waited = 0;
      this.port.postMessage({ playing: true });
    }
    let i = 0;
    while (i < out.length && this.queue.length) {
      const chunk = this.queue[0];
      const n = Math.min(out.length - i, chunk.length - this.head);
      out.set(chunk.subarray(this.head, this.head + n), i);
      i += n;
      this.head += n;
      this.queued -= n;
      if (this.head === chunk.length) {
        this.queue.shift();
        this.head = 0;
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    if (this.queued === 0) {
      this.playing = false;
      this.port.postMessage({ playing: false });
    }
    return true;
  }
}

registerProcessor('capture', CaptureProcessor);
registerProcessor('playback', PlaybackProcessor);
