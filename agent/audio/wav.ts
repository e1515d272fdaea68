/** Decoded PCM audio: one Float32Array per channel, samples in [-1, 1). */
export interface Pcm {
  sampleRate: number;
  channels: Float32Array[];
  /** Bits per sample of the source (16, 24, 32) and its encoding. */
  bitsPerSample: number;
  format: "pcm_s16le" | "pcm_s24le" | "pcm_s32le" | "pcm_f32le" | "pcm_u8";
}

/** A WAV the parser cannot read: the message names what is wrong. */
export class WavError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WavError";
  }
}

/** Parses a RIFF/WAVE file (PCM 8/16/24/32-bit integer, 32-bit float, WAVE_FORMAT_EXTENSIBLE). */
export function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new WavError("not a RIFF/WAVE file");
  }
  let off = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | null = null;
  let data: Buffer | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    // streaming writers (arecord to a pipe) leave the data size at 0 or 0xFFFFFFFF: take the rest
    if (id === "data" && (size === 0 || size === 0xffffffff || body + size > buf.length)) size = buf.length - body;
    if (id === "fmt ") {
      if (size < 16) throw new WavError("fmt chunk too short");
      let tag = buf.readUInt16LE(body);
      if (tag === 0xfffe && size >= 26) tag = buf.readUInt16LE(body + 24); // extensible: sub-format GUID starts with the tag
      fmt = { tag, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === "data") {
      data = buf.subarray(body, body + size);
      break;
    }
    off = body + size + (size % 2);
  }
  if (!fmt) throw new WavError("no fmt chunk");
  if (!data) throw new WavError("no data chunk");
  if (fmt.channels < 1 || fmt.channels > 32) throw new WavError(`unsupported channel count ${fmt.channels}`);
  const format = formatOf(fmt.tag, fmt.bits);
  return { sampleRate: fmt.rate, channels: decodeInterleaved(data, fmt.channels, format), bitsPerSample: fmt.bits, format };
}

function formatOf(tag: number, bits: number): Pcm["format"] {
  if (tag === 3 && bits === 32) return "pcm_f32le";
  if (tag === 1 && bits === 8) return "pcm_u8";
  if (tag === 1 && bits === 16) return "pcm_s16le";
  if (tag === 1 && bits === 24) return "pcm_s24le";
  if (tag === 1 && bits === 32) return "pcm_s32le";
  throw new WavError(`unsupported sample format (tag ${tag}, ${bits} bits)`);
}

/** Decodes interleaved little-endian PCM into per-channel float arrays (also for raw `arecord -t raw` output). */
export function decodeInterleaved(data: Buffer, channelCount: number, format: Pcm["format"]): Float32Array[] {
  const bytes = { pcm_u8: 1, pcm_s16le: 2, pcm_s24le: 3, pcm_s32le: 4, pcm_f32le: 4 }[format];
  const frames = Math.floor(data.length / (bytes * channelCount));
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channelCount; c++) {
      const o = (f * channelCount + c) * bytes;
      let v: number;
      switch (format) {
        case "pcm_u8": v = (data[o]! - 128) / 128; break;
        case "pcm_s16le": v = data.readInt16LE(o) / 32768; break;
        case "pcm_s24le": v = data.readIntLE(o, 3) / 8388608; break;
        case "pcm_s32le": v = data.readInt32LE(o) / 2147483648; break;
        case "pcm_f32le": v = data.readFloatLE(o); break;
      }
      channels[c]![f] = v;
    }
  }
  return channels;
}

/** Encodes float channels as 16-bit PCM WAV (fixtures, the canned utterance). */
export function encodeWav16(sampleRate: number, channels: readonly Float32Array[]): Buffer {
  const n = channels[0]?.length ?? 0;
  const c = channels.length;
  const out = Buffer.alloc(44 + n * c * 2);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + n * c * 2, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(c, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * c * 2, 28);
  out.writeUInt16LE(c * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(n * c * 2, 40);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const v = Math.max(-1, Math.min(1, channels[ch]![i]!));
      out.writeInt16LE(Math.round(v < 0 ? v * 32768 : v * 32767), 44 + (i * c + ch) * 2);
    }
  }
  return out;
}

/** Linear-interpolation resampler: good enough for speech into a recogniser; mono in, mono out. */
export function resample(input: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return input.slice();
  const outLen = Math.floor((input.length * to) / from);
  const out = new Float32Array(outLen);
  const ratio = from / to;
  for (let i = 0; i < outLen; i++) {
    const x = i * ratio;
    const i0 = Math.floor(x);
    const i1 = Math.min(i0 + 1, input.length - 1);
    const t = x - i0;
    out[i] = input[i0]! * (1 - t) + input[i1]! * t;
  }
  return out;
}

/** Float mono → PCM16 little-endian bytes (the Realtime API's input_audio_buffer format). */
export function toPcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(Math.round(v < 0 ? v * 32768 : v * 32767), i * 2);
  }
  return out;
}
