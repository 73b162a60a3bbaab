/**
 * Speech segments from probabilities (src/tasks/voice/speech-segments.ts) on synthetic sequences whose answers are
 * worked out below by hand from silero-vad's `get_speech_timestamps` rules (all in samples), and on 240 random
 * sequences (test/data/vad/segment-cases.json, every option, both rates, splits at max_speech_duration_s) whose
 * answers silero-vad's own function gave (test/data/vad/make-segment-cases.py: utils_vad.py run with torch and a
 * model stub replaying the probabilities).
 *
 * Defaults at 16 kHz: window 512, threshold 0.5, neg threshold 0.35, min speech 250 ms = 4000, min silence
 * 100 ms = 1600, pad 30 ms = 480. Window i starts at 512·i.
 */
import { describe, expect, it } from "vitest";
import { type SegmentOptions, speechSegments } from "../src/tasks/voice/speech-segments";
import { repoText } from "./support/worker";

const RATE = 16000;
const WINDOW = 512;
const DEFAULTS: SegmentOptions = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechSamples: 4000,
  minSilenceSamples: 1600,
  speechPadSamples: 480,
  maxSpeechSeconds: Infinity,
};

/** Runs of [windows, probability]. */
const sequence = (...runs: [number, number][]) => runs.flatMap(([count, p]) => Array<number>(count).fill(p));
const segments = (
  probabilities: number[],
  options: Partial<SegmentOptions> = {},
  totalSamples = probabilities.length * WINDOW,
  rate = RATE,
  window = WINDOW,
) =>
  speechSegments(probabilities, { ...DEFAULTS, ...options }, { sampleRate: rate, windowSamples: window, totalSamples });

describe("speech segments as silero-vad's get_speech_timestamps makes them", () => {
  it("one utterance: starts at its first speech window, ends where the silence began, padded 480 each side", () => {
    // speech in windows 10-29 → [5120, 15360); the silence from 15360 lasts 1600 by window 34 → padded
    expect(segments(sequence([10, 0.1], [20, 0.9], [10, 0.1]))).toEqual([{ start: 5120 - 480, end: 15360 + 480 }]);
  });

  it("segments of min_speech_duration or less are dropped: 7 windows (3584 samples) go, 8 (4096) stay", () => {
    expect(segments(sequence([10, 0.1], [7, 0.9], [10, 0.1]))).toEqual([]);
    expect(segments(sequence([10, 0.1], [8, 0.9], [10, 0.1]))).toEqual([{ start: 4640, end: 9216 + 480 }]);
  });

  it("hysteresis: probabilities between neg_threshold and threshold keep speech going but never start it", () => {
    expect(segments(sequence([10, 0.1], [10, 0.9], [20, 0.4], [10, 0.1]))).toEqual([
      { start: 4640, end: 40 * 512 + 480 },
    ]);
    expect(segments(sequence([10, 0.1], [20, 0.4], [10, 0.1]))).toEqual([]);
  });

  it("≥ threshold is speech, < neg_threshold is silence: values exactly at either", () => {
    expect(segments(sequence([10, 0.1], [10, 0.5], [10, 0.35], [10, 0.1]))).toEqual([
      { start: 4640, end: 30 * 512 + 480 },
    ]);
  });

  it("a silence ends a segment once it has lasted min_silence_duration: 4 windows do not split, 5 do", () => {
    // 4 silent windows (20-23): at window 23 the silence is 1536 < 1600 old, and window 24 is speech again
    expect(segments(sequence([10, 0.1], [10, 0.9], [4, 0.1], [10, 0.9], [10, 0.1]))).toEqual([
      { start: 4640, end: 34 * 512 + 480 },
    ]);
    // 5 (20-24): at window 24 it is 2048 old → [5120, 10240) and [12800, 17920), each padded by 480
    expect(segments(sequence([10, 0.1], [10, 0.9], [5, 0.1], [10, 0.9], [10, 0.1]))).toEqual([
      { start: 4640, end: 10720 },
      { start: 12320, end: 18400 },
    ]);
  });

  it("pads share a gap narrower than both: speech_pad_ms 100 (1600) on a 2560 gap gives 1280 to each side", () => {
    expect(
      segments(sequence([10, 0.1], [10, 0.9], [5, 0.1], [10, 0.9], [10, 0.1]), { speechPadSamples: 1600 }),
    ).toEqual([
      { start: 5120 - 1600, end: 10240 + 1280 },
      { start: 12800 - 1280, end: 17920 + 1600 },
    ]);
  });

  it("speech running to the end closes at the last sample; pads never pass either end", () => {
    expect(segments(sequence([10, 0.1], [20, 0.9]), {}, 30 * 512 - 100)).toEqual([
      { start: 4640, end: 30 * 512 - 100 },
    ]);
    expect(segments(sequence([40, 0.9]))).toEqual([{ start: 0, end: 40 * 512 }]);
    expect(segments(sequence([3, 0.9], [10, 0.1]), { minSpeechSamples: 0 })).toEqual([{ start: 0, end: 1536 + 480 }]);
  });

  it("max_speech_duration_s: split at the longest silence over 98 ms, else cut at the limit", () => {
    // limit 1 s: a segment splits once it is longer than 16000 − 512 − 2·480 = 14528 samples.
    // Speech from 5120; silences 10240 + 2048 (4 windows, over 1568 = 98 ms: a split point) and 15360 + 1536
    // (3 windows, under 98 ms: not one). At window 39 (19968 − 5120 > 14528) it splits at 10240 and speech resumes
    // at 12288; at window 53 (27136 − 12288 > 14528), no split point left: cut at 27136.
    const probabilities = sequence([10, 0.1], [10, 0.9], [4, 0.1], [6, 0.9], [3, 0.1], [18, 0.9], [10, 0.1]);
    expect(segments(probabilities, { maxSpeechSeconds: 1 })).toEqual([
      { start: 5120 - 480, end: 10240 + 480 },
      { start: 12288 - 480, end: 27136 + 480 },
    ]);
    expect(segments(probabilities)).toEqual([{ start: 4640, end: 51 * 512 + 480 }]);
  });

  it("a higher threshold finds nothing in probabilities under it", () => {
    expect(segments(sequence([10, 0.1], [20, 0.7], [10, 0.1]), { threshold: 0.8, negThreshold: 0.65 })).toEqual([]);
  });

  it("at 8 kHz (window 256, every duration in 8 kHz samples) the same utterance lands at the same seconds", () => {
    const at8k = { minSpeechSamples: 2000, minSilenceSamples: 800, speechPadSamples: 240 };
    const found = segments(sequence([10, 0.1], [20, 0.9], [10, 0.1]), at8k, 40 * 256, 8000, 256);
    expect(found).toEqual([{ start: 2320, end: 7920 }]);
    expect(found.map((s) => [s.start / 8000, s.end / 8000])).toEqual([[0.29, 0.99]]);
  });

  it("no probabilities, no segments", () => {
    expect(segments([])).toEqual([]);
  });
});

/** One line of test/data/vad/segment-cases.json: silero-vad's options (null: its default), its answer in samples. */
interface SileroCase {
  sampleRate: 16000 | 8000;
  totalSamples: number;
  threshold: number;
  neg_threshold: number | null;
  min_speech_duration_ms: number;
  min_silence_duration_ms: number;
  speech_pad_ms: number;
  max_speech_duration_s: number | null;
  probabilities: number[];
  segments: [number, number][];
}

describe("random sequences: the answers of silero-vad's own get_speech_timestamps", () => {
  it("all 240 cases, segment for segment, to the sample", async () => {
    const cases = JSON.parse(await repoText("test/data/vad/segment-cases.json")) as SileroCase[];
    expect(cases).toHaveLength(240);
    expect(cases.filter((c) => c.max_speech_duration_s !== null && c.segments.length > 1).length).toBeGreaterThan(20);
    cases.forEach((c, i) => {
      const samples = (ms: number) => (c.sampleRate * ms) / 1000;
      const options: SegmentOptions = {
        threshold: c.threshold,
        negThreshold: c.neg_threshold ?? Math.max(c.threshold - 0.15, 0.01), // silero-vad's default, as the task's
        minSpeechSamples: samples(c.min_speech_duration_ms),
        minSilenceSamples: samples(c.min_silence_duration_ms),
        speechPadSamples: samples(c.speech_pad_ms),
        maxSpeechSeconds: c.max_speech_duration_s ?? Infinity,
      };
      const geometry = {
        sampleRate: c.sampleRate,
        windowSamples: c.sampleRate === 16000 ? 512 : 256,
        totalSamples: c.totalSamples,
      };
      const found = speechSegments(c.probabilities, options, geometry).map((s) => [s.start, s.end]);
      expect(found, `case ${i}`).toEqual(c.segments);
    });
  });
});
