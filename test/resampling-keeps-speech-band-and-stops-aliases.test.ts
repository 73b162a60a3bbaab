/**
 * The resampler (src/media/audio/resample.ts) against pure tones, whose resampled form is known exactly: tones up
 * to 6 kHz come out as the same tone at 16 kHz within −70 dB (peak error over amplitude) for every input rate,
 * including a rate with no small common divisor (44101 Hz: phases rounded to 4096); tones that would alias at
 * 16 kHz (8.5 kHz and above) are attenuated by at least 80 dB; DC passes unchanged; the output length is
 * ceil(n · 16000 / rate); reading the input a block at a time (as the Worker decodes WAV files) gives the same bits
 * as one pass over it, whatever the block size; the kernels kept between requests stay within 8 MiB whatever rates
 * arrive.
 */
import { describe, expect, it } from "vitest";
import { kernelCacheBytes, resample, resampledLength, resampleSource } from "../src/media/audio/resample";

const TO = 16000;
const AMPLITUDE = 0.5;
const PHASE = 0.3;
/** Output samples at each end left out: within a kernel's reach of the edge the input is zero-padded. */
const EDGE = 200;

const tone = (frequency: number, rate: number, seconds = 0.5) =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => AMPLITUDE * Math.sin((2 * Math.PI * frequency * i) / rate + PHASE),
  );

const decibels = (ratio: number) => 20 * Math.log10(ratio);

function peakErrorDb(output: Float32Array, frequency: number): number {
  let worst = 0;
  for (let k = EDGE; k < output.length - EDGE; k++)
    worst = Math.max(worst, Math.abs(output[k]! - AMPLITUDE * Math.sin((2 * Math.PI * frequency * k) / TO + PHASE)));
  return decibels(worst / AMPLITUDE);
}

function rmsGainDb(output: Float32Array): number {
  let sum = 0;
  for (let k = EDGE; k < output.length - EDGE; k++) sum += output[k]! ** 2;
  return decibels(Math.sqrt(sum / (output.length - 2 * EDGE)) / (AMPLITUDE / Math.SQRT2));
}

const RATES = [11025, 12000, 22050, 32000, 44100, 44101, 48000, 96000];

describe("passband: tones come out unchanged", () => {
  for (const rate of RATES) {
    it(`${rate} Hz → 16 kHz`, () => {
      for (const frequency of [100, 1000, 3000, 4000, 5000, 6000].filter((f) => f < 0.75 * (Math.min(rate, TO) / 2))) {
        expect(peakErrorDb(resample(tone(frequency, rate), rate, TO), frequency), `${frequency} Hz`).toBeLessThan(-70);
      }
    });
  }
});

describe("stopband: what would alias at 16 kHz is removed", () => {
  for (const rate of RATES.filter((r) => r > 2 * 8500)) {
    it(`${rate} Hz → 16 kHz`, () => {
      for (const frequency of [8500, 9000, 10000, 12000, 15000, 20000, 40000].filter((f) => f < rate / 2)) {
        expect(rmsGainDb(resample(tone(frequency, rate), rate, TO)), `${frequency} Hz`).toBeLessThan(-80);
      }
    });
  }
});

describe("DC and lengths", () => {
  it("a constant stays that constant away from the edges, and the length is ceil(n · 16000 / rate)", () => {
    for (const rate of RATES) {
      const input = new Float32Array(rate / 4 + 7).fill(0.25);
      const output = resample(input, rate, TO);
      expect(output.length).toBe(Math.ceil((input.length * TO) / rate));
      for (let k = EDGE; k < output.length - EDGE; k++) expect(Math.abs(output[k]! - 0.25)).toBeLessThan(1e-6);
    }
  });

  it("the same rate copies the input; a given output array is written in place", () => {
    const input = tone(440, TO);
    expect(resample(input, TO, TO)).toEqual(input);
    const output = new Float32Array(resampledLength(input.length, TO, 8000) + 5).fill(7);
    expect(resample(input, TO, 8000, output)).toBe(output);
    expect(output.subarray(0, -5)).toEqual(resample(input, TO, 8000));
    expect(Array.from(output.subarray(-5))).toEqual([7, 7, 7, 7, 7]);
  });
});

describe("blocks", () => {
  it("any block size gives exactly the one-pass answer, edges and phases included", () => {
    let seed = 7;
    const noise = (n: number) =>
      Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
    for (const [from, to] of [
      [48000, 16000],
      [44100, 16000],
      [44101, 16000],
      [8000, 16000],
      [16000, 8000],
      [11025, 16000],
      [16000, 16000],
    ] as const) {
      for (const length of [1, 37, 30_000]) {
        const input = noise(length);
        const outputs = resampledLength(length, from, to);
        const reads: [number, number][] = [];
        const source = (copy: boolean) => ({
          length,
          read: (lo: number, hi: number) => (reads.push([lo, hi]), copy ? input.slice(lo, hi) : input.subarray(lo, hi)),
        });
        const onePass = resampleSource(source(false), from, to, undefined, outputs);
        expect(reads).toHaveLength(1);
        expect(resample(input, from, to), `${from} → ${to}, ${length}`).toEqual(onePass);
        for (const block of [1, 7, 4096]) {
          reads.length = 0;
          // a fresh copy per read: the block may only use what it asked for
          expect(
            resampleSource(source(true), from, to, undefined, block),
            `${from} → ${to}, ${length}, blocks of ${block}`,
          ).toEqual(onePass);
          expect(reads.every(([lo, hi]) => lo >= 0 && hi <= length && lo <= hi)).toBe(true);
          expect(reads).toHaveLength(Math.ceil(outputs / block));
        }
      }
    }
  });
});

describe("kernel cache", () => {
  it("odd rates (4096-phase kernels, up to 7 MB each) do not pile up: at most 8 MiB is kept, and results do not change", () => {
    const input = tone(440, 44100, 0.05);
    const before = resample(input, 44100, TO);
    for (const rate of [191_999, 180_001, 96_001, 88_201, 176_399, 150_001])
      resample(new Float32Array(rate / 100), rate, TO);
    expect(kernelCacheBytes()).toBeGreaterThan(0);
    expect(kernelCacheBytes()).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(resample(input, 44100, TO)).toEqual(before); // rebuilt after eviction: the same kernel
  });
});
