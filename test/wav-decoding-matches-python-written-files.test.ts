/**
 * The WAV reader (src/media/audio/wav.ts) inside workerd: every encoding in test/data/vad/formats/, written by
 * Python from the RIFF/WAVE specification (and read back there with scipy), decodes to the samples Python computed
 * for it; streaming placeholders and trailing bytes are read; broken files are `invalid_media` (422) and sound files
 * in encodings it does not take are `unsupported_media_type` (415), each with a message naming the problem.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../src/errors";
import { decodeMono, decodeMonoRange, readWavHeader, type WavHeader } from "../src/media/audio/wav";
import { expectClose, repoFile } from "./support/worker";

const FORMATS = "test/data/vad/formats";

const FIXTURES: Record<string, Partial<WavHeader>> = {
  pcm8: { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 8, containerBytes: 1 },
  pcm16: { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16, containerBytes: 2 },
  pcm24: { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 24, containerBytes: 3 },
  pcm32: { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 32, containerBytes: 4 },
  float32: { encoding: "float", channels: 1, sampleRate: 16000, bitsPerSample: 32, containerBytes: 4 },
  float64: { encoding: "float", channels: 1, sampleRate: 16000, bitsPerSample: 64, containerBytes: 8 },
  "pcm16-stereo": { encoding: "pcm", channels: 2, sampleRate: 16000, bitsPerSample: 16, containerBytes: 2 },
  "pcm24-6ch-extensible": { encoding: "pcm", channels: 6, sampleRate: 48000, bitsPerSample: 24, containerBytes: 3 },
  "pcm20-in-24-extensible": { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 20, containerBytes: 3 },
  "float32-stereo-extensible": {
    encoding: "float",
    channels: 2,
    sampleRate: 44100,
    bitsPerSample: 32,
    containerBytes: 4,
  },
  "pcm16-odd-chunks": { encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16, containerBytes: 2 },
  mulaw: { encoding: "mulaw", channels: 1, sampleRate: 8000, bitsPerSample: 8, containerBytes: 1 },
  alaw: { encoding: "alaw", channels: 1, sampleRate: 8000, bitsPerSample: 8, containerBytes: 1 },
};

async function fixture(name: string): Promise<{ bytes: Uint8Array; expected: Float32Array }> {
  const bytes = await repoFile(`${FORMATS}/${name}.wav`);
  const raw = await repoFile(`${FORMATS}/${name}.f32`);
  return { bytes, expected: new Float32Array(raw.slice().buffer) };
}

/** The AppError `run` throws (fails the test when it throws nothing or something else). */
function failure(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

const edit = (bytes: Uint8Array, change: (view: DataView, copy: Uint8Array) => void): Uint8Array => {
  const copy = bytes.slice();
  change(new DataView(copy.buffer), copy);
  return copy;
};
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

describe("every encoding decodes to the samples Python wrote", () => {
  for (const [name, header] of Object.entries(FIXTURES)) {
    it(name, async () => {
      const { bytes, expected } = await fixture(name);
      const read = readWavHeader(bytes);
      expect(read).toMatchObject({ ...header, frames: 800, seconds: 800 / header.sampleRate! });
      // float32 rounding of the mean is all that may differ
      expectClose(decodeMono(bytes, read), expected, 1e-7);
    });
  }
});

describe("decoding a range of frames (a long file a block at a time)", () => {
  it("gives the same samples as decoding it all, for every encoding; a range past the end is a RangeError", async () => {
    for (const name of Object.keys(FIXTURES)) {
      const { bytes } = await fixture(name);
      const header = readWavHeader(bytes);
      const whole = decodeMono(bytes, header);
      for (const [from, count] of [
        [0, 1],
        [1, 99],
        [333, 467],
        [799, 1],
        [0, 800],
      ] as const) {
        expect(decodeMonoRange(bytes, header, from, new Float32Array(count)), `${name} ${from}+${count}`).toEqual(
          whole.subarray(from, from + count),
        );
      }
      expect(() => decodeMonoRange(bytes, header, 790, new Float32Array(11))).toThrow(RangeError);
    }
  });
});

describe("headers written by streaming tools, and bytes after the file", () => {
  it("data and RIFF sizes 0xFFFFFFFF (a pipe): the samples run to the end of the body", async () => {
    const { bytes, expected } = await fixture("pcm16");
    const streamed = edit(bytes, (view) => {
      view.setUint32(4, 0xffffffff, true);
      view.setUint32(40, 0xffffffff, true);
    });
    const header = readWavHeader(streamed);
    expect(header.frames).toBe(800);
    expectClose(decodeMono(streamed, header), expected, 0);
  });

  it("sizes left at their start values (data 0, RIFF up to the data: Python's wave on a pipe): the same", async () => {
    const { bytes } = await fixture("pcm16");
    expect(
      readWavHeader(edit(bytes, (view) => (view.setUint32(4, 36, true), view.setUint32(40, 0, true)))).frames,
    ).toBe(800);
  });

  it("a data chunk that is really empty, with chunks after it the RIFF size covers, has no samples", async () => {
    const { bytes } = await fixture("pcm16");
    const list = concat(ascii("LIST"), Uint8Array.of(12, 0, 0, 0), ascii("INFOICMT"), Uint8Array.of(0, 0, 0, 0));
    const empty = edit(
      concat(bytes.subarray(0, 44), list),
      (view) => (view.setUint32(4, 36 + list.length, true), view.setUint32(40, 0, true)),
    );
    const error = failure(() => readWavHeader(empty));
    expect(error.code).toBe("invalid_media");
    expect(error.message).toMatch(/no samples/);
  });

  it("bytes after the RIFF chunk (an appended tag) are not samples; a trailing half frame is dropped", async () => {
    const { bytes, expected } = await fixture("pcm16");
    const tagged = concat(bytes, ascii("ID3\u0004 junk after the RIFF chunk"));
    expect(readWavHeader(tagged).frames).toBe(800);
    const odd = edit(concat(bytes, new Uint8Array(1)), (view) => view.setUint32(40, 1601, true));
    const header = readWavHeader(odd);
    expect(header.frames).toBe(800);
    expectClose(decodeMono(odd, header), expected, 0);
  });
});

describe("broken files are invalid_media (422), with the reason", () => {
  const cases: [string, (good: Uint8Array) => Uint8Array, RegExp][] = [
    ["an empty body", () => new Uint8Array(0), /0 bytes/],
    ["a PNG", () => Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82), /not a WAV file/],
    ["RIFF but not WAVE (AVI)", (good) => edit(good, (_, copy) => copy.set(ascii("AVI "), 8)), /not a WAV file/],
    [
      "a data chunk cut short",
      (good) => good.subarray(0, good.length - 100),
      /truncated: its 'data' chunk at byte 36 declares 1600 bytes, 1500 are present/,
    ],
    ["a file cut inside a chunk before the data", (good) => good.subarray(0, 30), /truncated: its 'fmt ' chunk/],
    [
      "no samples",
      (good) => edit(good.subarray(0, 44), (view) => (view.setUint32(4, 36, true), view.setUint32(40, 0, true))),
      /no samples/,
    ],
    ["no fmt chunk", (good) => edit(good, (_, copy) => copy.set(ascii("fmtX"), 12)), /no 'fmt ' chunk/],
    ["no data chunk", (good) => edit(good, (_, copy) => copy.set(ascii("datX"), 36)), /no 'data' chunk/],
    [
      "a 14-byte fmt chunk",
      (good) =>
        concat(
          good.subarray(0, 12),
          ascii("fmt "),
          Uint8Array.of(14, 0, 0, 0),
          good.subarray(20, 34),
          good.subarray(36),
        ),
      /has 14 bytes; it needs at least 16/,
    ],
    ["0 channels", (good) => edit(good, (view) => view.setUint16(22, 0, true)), /0 channels/],
    ["a sample rate of 0", (good) => edit(good, (view) => view.setUint32(24, 0, true)), /sample rate of 0/],
    [
      "a block size that does not fit",
      (good) => edit(good, (view) => view.setUint16(32, 3, true)),
      /inconsistent: 1 channels of 16 bits need frames of 2 bytes, it says 3/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const { bytes } = await fixture("pcm16");
      const error = failure(() => readWavHeader(make(bytes)));
      expect(error.code).toBe("invalid_media");
      expect(error.message).toMatch(message);
    });
  }

  it("float samples that are not finite", async () => {
    const { bytes } = await fixture("float32");
    const bad = edit(bytes, (view) => view.setFloat32(bytes.length - 40, Number.NaN, true));
    const error = failure(() => decodeMono(bad, readWavHeader(bad)));
    expect(error.code).toBe("invalid_media");
    expect(error.message).toMatch(/sample frame 790 .* not a finite number/);
  });
});

describe("sound files in encodings not taken are unsupported_media_type (415)", () => {
  const cases: [string, string, (good: Uint8Array) => Uint8Array, RegExp][] = [
    [
      "Microsoft ADPCM",
      "pcm16",
      (good) => edit(good, (view) => view.setUint16(20, 2, true)),
      /Microsoft ADPCM is not supported/,
    ],
    ["MP3 in a WAV", "pcm16", (good) => edit(good, (view) => view.setUint16(20, 0x55, true)), /MP3 is not supported/],
    [
      "float16",
      "pcm16",
      (good) => edit(good, (view) => view.setUint16(20, 3, true)),
      /16-bit samples in WAV encoding IEEE float/,
    ],
    [
      "40-bit PCM",
      "pcm16",
      (good) => edit(good, (view) => (view.setUint16(34, 40, true), view.setUint16(32, 5, true))),
      /40-bit samples in WAV encoding PCM/,
    ],
    [
      "16-bit μ-law",
      "mulaw",
      (good) => edit(good, (view) => (view.setUint16(34, 16, true), view.setUint16(32, 2, true))),
      /16-bit samples in WAV encoding μ-law/,
    ],
    [
      "33 channels",
      "pcm16",
      (good) => edit(good, (view) => (view.setUint16(22, 33, true), view.setUint16(32, 66, true))),
      /33 channels; at most 32/,
    ],
    ["big-endian RIFX", "pcm16", (good) => edit(good, (_, copy) => copy.set(ascii("RIFX"), 0)), /RIFX/],
    ["RF64", "pcm16", (good) => edit(good, (_, copy) => copy.set(ascii("RF64"), 0)), /RF64/],
    [
      "an extensible sub-format that is not an audio GUID",
      "pcm20-in-24-extensible",
      (good) => edit(good, (_, copy) => (copy[20 + 8 + 24 + 4] = 0x11)),
      /sub-format/,
    ],
  ];
  for (const [what, base, make, message] of cases) {
    it(what, async () => {
      const { bytes } = await fixture(base);
      const error = failure(() => readWavHeader(make(bytes)));
      expect(error.code).toBe("unsupported_media_type");
      expect(error.message).toMatch(message);
    });
  }
});
