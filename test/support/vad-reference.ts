/**
 * The independent side of the voice-activity tests: Silero's frame loop with onnxruntime-node (REFERENCE
 * `/vad-frames`), a plain reader for the canonical PCM16 files of test/data/vad/ (written apart from
 * src/media/audio/wav.ts), and speech found by energy alone, to judge segments without the model.
 */
import { BUNDLED, reference, repoFile, toBase64 } from "./worker";

/** Per-window speech probabilities of `samples` (mono, 16000 or 8000 Hz) from onnxruntime-node, on the file of the bundled model's default version. */
export async function referenceFrames(
  samples: Float32Array,
  sampleRate: number,
  model = "silero-vad",
): Promise<number[]> {
  const manifest = BUNDLED[model]!;
  const file = manifest.versions[manifest.aliases.default!]!.file;
  const body = {
    file,
    sampleRate,
    base64: toBase64(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)),
  };
  const response = await reference.fetch("http://reference/vad-frames", { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`reference vad-frames failed: ${await response.text()}`);
  return ((await response.json()) as { probabilities: number[] }).probabilities;
}

export interface Pcm16Wav {
  sampleRate: number;
  channels: number;
  /** Channel 0, over 32768. */
  samples: Float32Array;
}

/** Reads a PCM16 WAV written by test/data/vad/make-test-audio.py: 'fmt ' first, then chunks up to 'data'. */
export async function readPcm16(path: string): Promise<Pcm16Wav> {
  const bytes = await repoFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(20, true) !== 1 || view.getUint16(34, true) !== 16) throw new Error(`${path} is not PCM16`);
  const channels = view.getUint16(22, true);
  const sampleRate = view.getUint32(24, true);
  let at = 12;
  while (String.fromCharCode(...bytes.subarray(at, at + 4)) !== "data") at += 8 + view.getUint32(at + 4, true);
  const frames = view.getUint32(at + 4, true) / (2 * channels);
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = view.getInt16(at + 8 + 2 * channels * i, true) / 32768;
  return { sampleRate, channels, samples };
}

export interface Region {
  start: number;
  end: number;
}

/**
 * Where the signal is loud: 10 ms frames whose energy is 25 dB or more above the quietest 10% of frames, joined
 * across gaps under 300 ms (the pauses inside an utterance), regions under 100 ms dropped. Seconds.
 */
export function energyRegions(samples: Float32Array, sampleRate: number): Region[] {
  const hop = sampleRate / 100;
  const levels: number[] = [];
  for (let start = 0; start + hop <= samples.length; start += hop) {
    let sum = 0;
    for (let i = start; i < start + hop; i++) sum += samples[i]! * samples[i]!;
    levels.push(10 * Math.log10(sum / hop + 1e-12));
  }
  const floor = [...levels].sort((a, b) => a - b)[Math.floor(levels.length / 10)]!;
  const regions: Region[] = [];
  levels.forEach((level, i) => {
    if (level < floor + 25) return;
    const last = regions.at(-1);
    if (last && i * 0.01 - last.end < 0.3) last.end = (i + 1) * 0.01;
    else regions.push({ start: i * 0.01, end: (i + 1) * 0.01 });
  });
  return regions.filter((r) => r.end - r.start >= 0.1).map((r) => ({ start: round(r.start), end: round(r.end) }));
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
