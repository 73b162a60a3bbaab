/**
 * WAV (RIFF/WAVE) reading inside workerd, by hand: the format is a list of chunks and the encodings speech
 * arrives in are a few lines each, where an npm decoder would add bundle weight and Node `Buffer` assumptions.
 * `readWavHeader` walks the chunks (fmt, data; LIST, fact, JUNK and the like are skipped) and checks the format
 * without touching the samples, so the duration is known before any decoding; `decodeMono` turns the data into
 * float samples in [-1, 1), channels averaged.
 *
 * Encodings: PCM 8-bit (unsigned) to 32-bit in 1-4 byte containers (samples left-justified, so any valid bit
 * count reads right), IEEE float 32/64, G.711 A-law and μ-law, each plain or as WAVE_FORMAT_EXTENSIBLE.
 * A file that is not a WAV, or is broken (truncated, no samples), is `invalid_media` (422); a sound WAV in an
 * encoding or layout this reader does not take (ADPCM, MP3, float16, RIFX, RF64) is `unsupported_media_type` (415).
 * Spec: Microsoft "Multimedia Programming Interface and Data Specifications 1.0" (RIFF, 1991) and "Multiple
 * channel audio data and WAVE files" (WAVE_FORMAT_EXTENSIBLE).
 */
import { AppError } from "../../errors";

export type WavEncoding = "pcm" | "float" | "alaw" | "mulaw";

export interface WavHeader {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  /** Bits per sample as the fmt chunk states them (the valid bits for WAVE_FORMAT_EXTENSIBLE). */
  bitsPerSample: number;
  /** Bytes one sample of one channel occupies. */
  containerBytes: number;
  /** Sample frames (one sample per channel) in the data chunk. */
  frames: number;
  dataOffset: number;
  /** frames / sampleRate */
  seconds: number;
}

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The 14 bytes after the format code in a KSDATAFORMAT_SUBTYPE_* GUID (…-0000-0010-8000-00AA00389B71). */
const SUBTYPE_SUFFIX = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
/**
 * The data size tools streaming to a pipe write when they cannot go back to fill it in: the samples run to the end
 * of the file. Others (Python's `wave`) leave the 0 they started with, and a RIFF size that ends at the data.
 */
const UNKNOWN_SIZE = 0xffffffff;
const MAX_CHANNELS = 32;

/** Names of format codes callers may meet, for clearer refusals. */
const FORMAT_NAMES: Record<number, string> = {
  0x0001: "PCM",
  0x0003: "IEEE float",
  0x0006: "A-law",
  0x0007: "μ-law",
  0x0002: "Microsoft ADPCM",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG",
  0x0055: "MP3",
  0x0161: "WMA",
};

/**
 * Reads and checks the header of a WAV file; the samples are not read.
 * @example
 * const header = readWavHeader(bytes); // {encoding: "pcm", channels: 1, sampleRate: 16000, frames: 80000, seconds: 5, …}
 */
export function readWavHeader(bytes: Uint8Array): WavHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) =>
    String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
  if (bytes.length < 12)
    throw invalid(`the body has ${bytes.length} bytes; a WAV file starts with a 12-byte RIFF header`);
  const container = tag(0);
  if (container === "RIFX") throw unsupported("big-endian WAV (RIFX) is not supported; send little-endian RIFF/WAVE");
  if (container === "RF64" || container === "BW64")
    throw unsupported(`${container} (64-bit WAV) is not supported; send a RIFF/WAVE file under 4 GiB`);
  if (container !== "RIFF" || tag(8) !== "WAVE")
    throw invalid("not a WAV file: it must start with 'RIFF' and have form type 'WAVE'");

  // the RIFF size bounds the chunks when it is plausible; a placeholder (0, 0xFFFFFFFF) or an overlong one is ignored
  const riffSize = view.getUint32(4, true);
  const end = riffSize >= 4 && 8 + riffSize < bytes.length ? 8 + riffSize : bytes.length;
  let format: WavFormat | undefined;
  let data: { offset: number; size: number } | undefined;
  let offset = 12;
  while (offset + 8 <= end && (!format || !data)) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "data" && (size === UNKNOWN_SIZE || (size === 0 && 8 + riffSize <= body))) {
      data ??= { offset: body, size: bytes.length - body };
      break;
    }
    if (body + size > bytes.length)
      throw invalid(
        `the WAV file is truncated: its '${printable(id)}' chunk at byte ${offset} declares ${size} bytes, ${bytes.length - body} are present`,
      );
    if (id === "data") data ??= { offset: body, size };
    else if (id === "fmt ") format ??= readFormat(view, body, size);
    offset = body + size + (size % 2); // chunks are padded to an even size
  }
  if (!format) throw invalid("the WAV file has no 'fmt ' chunk");
  if (!data) throw invalid("the WAV file has no 'data' chunk");
  const frameBytes = format.channels * format.containerBytes;
  const frames = Math.floor(data.size / frameBytes);
  if (frames === 0) throw invalid("the WAV file has no samples (its data chunk is empty)");
  return { ...format, frames, dataOffset: data.offset, seconds: frames / format.sampleRate };
}

type WavFormat = Omit<WavHeader, "frames" | "dataOffset" | "seconds">;

function readFormat(view: DataView, at: number, size: number): WavFormat {
  if (size < 16) throw invalid(`the WAV 'fmt ' chunk has ${size} bytes; it needs at least 16`);
  let code = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const containerBits = view.getUint16(at + 14, true);
  let bitsPerSample = containerBits;
  if (code === FORMAT_EXTENSIBLE) {
    if (size < 40 || view.getUint16(at + 16, true) < 22)
      throw invalid("the WAV 'fmt ' chunk says WAVE_FORMAT_EXTENSIBLE but is shorter than its 40 bytes");
    bitsPerSample = view.getUint16(at + 18, true) || containerBits; // wValidBitsPerSample; 0 means "all of them"
    code = view.getUint16(at + 24, true);
    const suffix = new Uint8Array(view.buffer, view.byteOffset + at + 26, 14);
    if (SUBTYPE_SUFFIX.some((byte, i) => suffix[i] !== byte))
      throw unsupported("this WAVE_FORMAT_EXTENSIBLE sub-format is not a standard audio format GUID");
  }
  if (channels === 0) throw invalid("the WAV file declares 0 channels");
  if (channels > MAX_CHANNELS)
    throw unsupported(`the WAV file has ${channels} channels; at most ${MAX_CHANNELS} are taken`);
  if (sampleRate === 0) throw invalid("the WAV file declares a sample rate of 0 Hz");
  const containerBytes = Math.ceil(containerBits / 8);
  if (containerBits === 0 || blockAlign !== channels * containerBytes) {
    throw invalid(
      `the WAV 'fmt ' chunk is inconsistent: ${channels} channels of ${containerBits} bits need frames of ${channels * containerBytes} bytes, it says ${blockAlign}`,
    );
  }
  if (bitsPerSample > containerBits)
    throw invalid(`the WAV file declares ${bitsPerSample} valid bits in ${containerBits}-bit samples`);
  const encoding = encodingOf(code, containerBits);
  return { encoding, channels, sampleRate, bitsPerSample, containerBytes };
}

function encodingOf(code: number, bits: number): WavEncoding {
  const described = FORMAT_NAMES[code] ?? `format code 0x${code.toString(16).padStart(4, "0")}`;
  switch (code) {
    case FORMAT_PCM:
      if (bits <= 32) return "pcm";
      break;
    case FORMAT_IEEE_FLOAT:
      if (bits === 32 || bits === 64) return "float";
      break;
    case FORMAT_ALAW:
    case FORMAT_MULAW:
      if (bits === 8) return code === FORMAT_ALAW ? "alaw" : "mulaw";
      break;
    default:
      throw unsupported(
        `WAV encoding ${described} is not supported; send PCM (8-32 bit), IEEE float (32/64 bit), A-law or μ-law`,
      );
  }
  throw unsupported(`${bits}-bit samples in WAV encoding ${described} are not supported`);
}

/**
 * The samples of `header`'s file as one mono channel (the channels' mean), in [-1, 1) for integer encodings,
 * written into `into` (at least `header.frames` long; a new array when omitted).
 * Non-finite float samples are `invalid_media`: they would poison a model's recurrent state.
 */
export function decodeMono(bytes: Uint8Array, header: WavHeader, into = new Float32Array(header.frames)): Float32Array {
  if (into.length < header.frames)
    throw new RangeError(`decoding ${header.frames} frames needs as many samples, got ${into.length}`);
  decodeMonoRange(bytes, header, 0, into.subarray(0, header.frames));
  return into;
}

/** As `decodeMono`, for sample frames `from` … `from + into.length − 1` only (decoding a long file in blocks). */
export function decodeMonoRange(bytes: Uint8Array, header: WavHeader, from: number, into: Float32Array): Float32Array {
  const { channels, frames, dataOffset, containerBytes } = header;
  const count = into.length;
  if (from < 0 || from + count > frames)
    throw new RangeError(`frames ${from} to ${from + count} are not all in the file's ${frames}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, header);
  const frameBytes = channels * containerBytes;
  for (let i = 0, at = dataOffset + from * frameBytes; i < count; i++, at += frameBytes) {
    let sum = 0;
    for (let channel = 0, p = at; channel < channels; channel++, p += containerBytes) sum += read(p);
    into[i] = channels === 1 ? sum : sum / channels;
  }
  if (header.encoding === "float") {
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(into[i]!)) throw invalid(`sample frame ${from + i} of the WAV file is not a finite number`);
    }
  }
  return into;
}

/** A function reading one sample at a byte offset, as a float. */
function sampleReader(view: DataView, header: WavHeader): (offset: number) => number {
  const { encoding, containerBytes } = header;
  if (encoding === "float")
    return containerBytes === 4 ? (p) => view.getFloat32(p, true) : (p) => view.getFloat64(p, true);
  if (encoding === "alaw") return (p) => ALAW_TABLE[view.getUint8(p)]!;
  if (encoding === "mulaw") return (p) => MULAW_TABLE[view.getUint8(p)]!;
  switch (containerBytes) {
    case 1:
      return (p) => (view.getUint8(p) - 128) / 128; // 8-bit PCM is unsigned
    case 2:
      return (p) => view.getInt16(p, true) / 32768;
    case 3:
      return (p) => (view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16)) / 8388608;
    default:
      return (p) => view.getInt32(p, true) / 2147483648;
  }
}

/** G.711 μ-law byte → linear, over 16-bit full scale (ITU-T G.711 §3; the bytes are stored inverted). */
const MULAW_TABLE = Float32Array.from({ length: 256 }, (_, byte) => {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  return (u & 0x80 ? -magnitude : magnitude) / 32768;
});

/** G.711 A-law byte → linear, over 16-bit full scale (even bits are inverted on the wire). */
const ALAW_TABLE = Float32Array.from({ length: 256 }, (_, byte) => {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let magnitude = ((a & 0x0f) << 4) + 8;
  if (exponent > 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return (a & 0x80 ? magnitude : -magnitude) / 32768;
});

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, "?");
}

function invalid(message: string): AppError {
  return new AppError("invalid_media", message);
}

function unsupported(message: string): AppError {
  return new AppError("unsupported_media_type", message);
}
