/**
 * voice-activity over HTTP (`POST /v1/run/silero-vad`, Silero VAD v5) on real speech from Debian's
 * pocketsphinx-testdata (test/data/vad/README.md): each window's probability (`?frames=true`) equals onnxruntime-node
 * running silero-vad's frame loop on the same samples (1e-4), at 16 kHz, natively at 8 kHz and after resampling;
 * the segments cover the speech found by energy alone; silence and white noise give none; the 8 kHz, 44.1 kHz,
 * 48 kHz, float32 and stereo copies of the clip give the 16 kHz segments within 0.1 s; options come from the query
 * string or the JSON body and change the segments as silero-vad's algorithm says; the units are seconds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { resample } from "../src/media/audio/resample";
import { decodeMono, readWavHeader } from "../src/media/audio/wav";
import { speechSegments } from "../src/tasks/voice/speech-segments";
import { energyRegions, type Region, readPcm16, referenceFrames } from "./support/vad-reference";
import { BUNDLED, call, expectClose, json, repoFile, seedBundled, toBase64, uploadModel } from "./support/worker";

const MODEL = "silero-vad";
const DATA = "test/data/vad";
const FRAME_TOLERANCE = 1e-4;
/** How far a variant's segment boundaries may move from the 16 kHz PCM16 clip's (three 32 ms windows). */
const VARIANT_TOLERANCE = 0.1;

type Segment = { start: number; end: number };
type Answer = { segments: Segment[]; frames?: number[] };

const wavBody = async (file: string) => repoFile(`${DATA}/${file}`);
const runWav = (body: Uint8Array, query = "", contentType = "audio/wav") =>
  call(`/v1/run/${MODEL}${query}`, {
    method: "POST",
    headers: { "Content-Type": contentType, "Cache-Control": "no-store" },
    body,
  });
const runJson = (body: unknown) =>
  call(`/v1/run/${MODEL}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify(body),
  });

async function answer(response: Response | Promise<Response>): Promise<Answer> {
  const r = await response;
  if (r.status !== 200) throw new Error(`${r.status}: ${await r.text()}`);
  return json<Answer>(r);
}

beforeAll(async () => {
  await seedBundled(MODEL);
});

describe("per-window probabilities = onnxruntime-node running silero-vad's frame loop on the same samples", () => {
  for (const [file, rate] of [
    ["speech-16k.wav", 16000],
    ["speech-8k.wav", 8000],
    ["noise-16k.wav", 16000],
  ] as const) {
    it(`${file}: ${rate} Hz, natively`, async () => {
      const wav = await readPcm16(`${DATA}/${file}`);
      expect(wav.sampleRate).toBe(rate);
      const served = await answer(runWav(await wavBody(file), "?frames=true"));
      const expected = await referenceFrames(wav.samples, rate);
      expect(served.frames).toHaveLength(Math.ceil(wav.samples.length / (rate === 16000 ? 512 : 256)));
      expectClose(served.frames!, expected, FRAME_TOLERANCE);
    });
  }

  it("speech-48k.wav: the Worker's 16 kHz resampling of it, run by both", async () => {
    const bytes = await wavBody("speech-48k.wav");
    const header = readWavHeader(bytes);
    const at16k = resample(decodeMono(bytes, header), 48000, 16000);
    const served = await answer(runWav(bytes, "?frames=true"));
    expectClose(served.frames!, await referenceFrames(at16k, 16000), FRAME_TOLERANCE);
  });
});

describe("segments", () => {
  let clean: Segment[] = [];
  let speech: Region[] = [];

  beforeAll(async () => {
    clean = (await answer(runWav(await wavBody("speech-16k.wav")))).segments;
    const wav = await readPcm16(`${DATA}/speech-16k.wav`);
    speech = energyRegions(wav.samples, wav.sampleRate);
  });

  it("cover the speech found by energy, and nothing else", () => {
    expect(speech).toHaveLength(2);
    expect(clean).toHaveLength(2);
    clean.forEach((segment, i) => {
      expect(segment.start).toBeLessThanOrEqual(speech[i]!.start + 0.05);
      expect(segment.end).toBeGreaterThanOrEqual(speech[i]!.end - 0.05);
      expect(speech[i]!.start - segment.start).toBeLessThan(0.2);
      expect(segment.end - speech[i]!.end).toBeLessThan(0.2);
    });
  });

  it("digital silence has none", async () => {
    const served = await answer(runWav(await wavBody("silence-16k.wav"), "?frames=true"));
    expect(served.segments).toEqual([]);
    expect(Math.max(...served.frames!)).toBeLessThan(0.05);
  });

  it("white noise at −20 dBFS has none: no window reaches 0.15", async () => {
    const served = await answer(runWav(await wavBody("noise-16k.wav"), "?frames=true"));
    expect(served.segments).toEqual([]);
    expect(Math.max(...served.frames!)).toBeLessThan(0.15);
  });

  for (const file of ["speech-8k.wav", "speech-44k1.wav", "speech-48k.wav", "speech-f32.wav", "speech-stereo.wav"]) {
    it(`${file} gives the 16 kHz PCM16 segments within ${VARIANT_TOLERANCE} s`, async () => {
      const served = await answer(runWav(await wavBody(file)));
      expect(served.segments).toHaveLength(clean.length);
      served.segments.forEach((segment, i) => {
        expect(Math.abs(segment.start - clean[i]!.start)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
        expect(Math.abs(segment.end - clean[i]!.end)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
      });
    });
  }
});

describe("the request: media types, JSON forms, options, units and headers", () => {
  let bytes: Uint8Array;
  let plain: Answer;

  beforeAll(async () => {
    bytes = await wavBody("speech-16k.wav");
    plain = await answer(runWav(bytes, "?frames=true"));
  });

  it("audio/x-wav, audio/wave and a Content-Type with parameters are WAV too; the answer is in seconds of 16 kHz samples", async () => {
    for (const type of ["audio/x-wav", "audio/wave", "audio/wav; codecs=1"]) {
      expect((await answer(runWav(bytes, "?frames=true", type))).segments).toEqual(plain.segments);
    }
    for (const { start, end } of plain.segments) {
      expect(Number.isInteger(start * 16000) && Number.isInteger(Math.round(end * 16000))).toBe(true);
    }
  });

  it("JSON with the file as base64 or as an array of bytes gives the same answer", async () => {
    expect(await answer(runJson({ audio: toBase64(bytes), frames: true }))).toEqual(plain);
    expect(await answer(runJson({ audio: Array.from(bytes), frames: true }))).toEqual(plain);
    expect((await answer(runJson({ audio: toBase64(bytes) }))).frames).toBeUndefined();
  });

  it("options in the query string or the JSON body give what silero-vad's algorithm gives on the served probabilities", async () => {
    const options = {
      threshold: 0.9,
      neg_threshold: 0.2,
      min_speech_duration_ms: 100,
      min_silence_duration_ms: 40,
      speech_pad_ms: 10,
      max_speech_duration_s: 0.8,
    };
    const query = `?${new URLSearchParams(Object.entries(options).map(([k, v]) => [k, String(v)]))}`;
    const fromQuery = await answer(runWav(bytes, query));
    const fromJson = await answer(runJson({ audio: toBase64(bytes), ...options }));
    const expected = speechSegments(
      plain.frames!,
      {
        threshold: 0.9,
        negThreshold: 0.2,
        minSpeechSamples: 1600,
        minSilenceSamples: 640,
        speechPadSamples: 160,
        maxSpeechSeconds: 0.8,
      },
      { sampleRate: 16000, windowSamples: 512, totalSamples: 78080 },
    );
    expect(fromQuery.segments).toEqual(expected.map((s) => ({ start: s.start / 16000, end: s.end / 16000 })));
    expect(fromJson.segments).toEqual(fromQuery.segments);
    expect(fromQuery.segments.length).toBeGreaterThan(plain.segments.length);
    expect(Math.max(...fromQuery.segments.map((s) => s.end - s.start))).toBeLessThanOrEqual(0.8);
  });

  it("a threshold alone moves neg_threshold with it (threshold − 0.15), as silero-vad does", async () => {
    const served = await answer(runWav(bytes, "?threshold=0.7"));
    const expected = speechSegments(
      plain.frames!,
      {
        threshold: 0.7,
        negThreshold: 0.7 - 0.15,
        minSpeechSamples: 4000,
        minSilenceSamples: 1600,
        speechPadSamples: 480,
        maxSpeechSeconds: Infinity,
      },
      { sampleRate: 16000, windowSamples: 512, totalSamples: 78080 },
    );
    expect(served.segments).toEqual(expected.map((s) => ({ start: s.start / 16000, end: s.end / 16000 })));
  });

  it("costs one unit per second of audio, rounded up; runs one session call per 32 ms window", async () => {
    const response = await runWav(bytes);
    expect(response.headers.get("X-Units")).toBe("5"); // 4.88 s
    const timing = response.headers.get("Server-Timing") ?? "";
    expect(timing).toMatch(/infer;dur=[\d.]+;desc="153 session runs"/);
    for (const stage of ["pre", "run", "post"]) expect(timing).toMatch(new RegExp(`${stage};dur=`));
    expect(response.headers.get("Warning")).toBeNull();
  });

  it("is described in the OpenAPI document and by GET /v1/models: WAV media types and the JSON schema", async () => {
    const document = await json(call("/openapi.json"));
    const run = document.paths["/v1/run/{model}"].post;
    for (const type of ["audio/wav", "audio/x-wav", "audio/wave"]) expect(run.requestBody.content[type]).toBeDefined();
    expect(Object.keys(document.components.schemas.VoiceActivityRequest.properties)).toEqual([
      "audio",
      "threshold",
      "neg_threshold",
      "min_speech_duration_ms",
      "min_silence_duration_ms",
      "speech_pad_ms",
      "max_speech_duration_s",
      "frames",
    ]);
    expect(document.components.schemas.VoiceActivityResponse.properties.segments).toBeDefined();
    const listing = await json(call(`/v1/models/${MODEL}`));
    expect(listing).toMatchObject({
      task: "voice-activity",
      schemas: { contentTypes: ["application/json", "audio/wav", "audio/x-wav", "audio/wave"] },
    });
    expect(listing.schemas.request.$defs.VoiceActivityRequest.required).toEqual(["audio"]);
  });

  it("says in a Warning header when it resampled or averaged channels", async () => {
    const resampled = await runWav(await wavBody("speech-44k1.wav"));
    expect(resampled.headers.get("Warning")).toBe('299 edge-maas "audio resampled from 44100 Hz to 16000 Hz"');
    const stereo = await runWav(await wavBody("speech-stereo.wav"));
    expect(stereo.headers.get("Warning")).toBe('299 edge-maas "2 channels averaged to mono"');
    expect((await runWav(await wavBody("speech-8k.wav"))).headers.get("Warning")).toBeNull();
  });
});

describe("models that take only one rate (preprocess.sampleRates)", () => {
  const ONLY_16K = "silero-vad-16k-only";
  const ONLY_8K = "silero-vad-8k-only";

  beforeAll(async () => {
    const weights = await repoFile(BUNDLED[MODEL]!.versions[BUNDLED[MODEL]!.aliases.default!]!.file); // the weights silero-vad serves
    for (const [name, rate] of [
      [ONLY_16K, 16000],
      [ONLY_8K, 8000],
    ] as const) {
      const manifest = { task: "voice-activity", preprocess: { sampleRates: [rate] } };
      expect((await uploadModel(name, weights, { manifest })).status).toBe(201);
    }
  });

  it("an 8 kHz-only model gets 16 kHz audio resampled to 8 kHz: the segments of the 8 kHz file within 0.1 s", async () => {
    // Our anti-alias filter (cutoff 3.6 kHz) and scipy's resample_poly, which made speech-8k.wav (cutoff 4 kHz), differ
    // near 4 kHz; the probabilities differ by 0.03 on average, 0.64 at one window where speech fades out.
    const response = await call(`/v1/run/${ONLY_8K}?frames=true`, {
      method: "POST",
      headers: { "Content-Type": "audio/wav" },
      body: await wavBody("speech-16k.wav"),
    });
    expect(response.headers.get("Warning")).toBe('299 edge-maas "audio resampled from 16000 Hz to 8000 Hz"');
    const served = await answer(response);
    const native = await answer(runWav(await wavBody("speech-8k.wav"), "?frames=true"));
    expect(served.frames).toHaveLength(native.frames!.length);
    expect(served.segments).toHaveLength(native.segments.length);
    served.segments.forEach((segment, i) => {
      expect(Math.abs(segment.start - native.segments[i]!.start)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
      expect(Math.abs(segment.end - native.segments[i]!.end)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
    });
    const meanDifference =
      served.frames!.reduce((sum, p, i) => sum + Math.abs(p - native.frames![i]!), 0) / served.frames!.length;
    expect(meanDifference).toBeLessThan(0.05);
  });

  it("gets 8 kHz audio resampled to 16 kHz: starts within 0.1 s, ends up to 0.25 s early; the native 8 kHz path is closer", async () => {
    // Upsampled 8 kHz audio has nothing above 4 kHz, where the 16 kHz model hears the fading fricatives at the ends
    // of "meters" and "clubs"; Silero's own 8 kHz weights do not miss them.
    const clean = (await answer(runWav(await wavBody("speech-16k.wav")))).segments;
    const eightKhz = await wavBody("speech-8k.wav");
    const response = await call(`/v1/run/${ONLY_16K}`, {
      method: "POST",
      headers: { "Content-Type": "audio/wav" },
      body: eightKhz,
    });
    expect(response.headers.get("Warning")).toBe('299 edge-maas "audio resampled from 8000 Hz to 16000 Hz"');
    const upsampled = (await answer(response)).segments;
    const native = (await answer(runWav(eightKhz))).segments;
    expect(upsampled).toHaveLength(clean.length);
    const drift = (found: Segment[]) =>
      found.reduce(
        (sum, segment, i) => sum + Math.abs(segment.start - clean[i]!.start) + Math.abs(segment.end - clean[i]!.end),
        0,
      );
    upsampled.forEach((segment, i) => {
      expect(Math.abs(segment.start - clean[i]!.start)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
      expect(clean[i]!.end - segment.end).toBeGreaterThanOrEqual(0);
      expect(clean[i]!.end - segment.end).toBeLessThanOrEqual(0.25);
    });
    expect(drift(native)).toBeLessThan(drift(upsampled));
  });
});
