/**
 * `POST /vad-frames` for the REFERENCE service: Silero VAD's frame loop written plainly after silero-vad's
 * `OnnxWrapper.__call__` (snakers4/silero-vad, src/silero_vad/utils_vad.py), run with onnxruntime-node (native).
 * Body: `{ file, base64, sampleRate }`: the model file (checkout path), mono float32 samples (little endian, base64)
 * and their rate (16000 or 8000). Each window of 512 samples (256 at 8 kHz; the last one zero-padded) is sent
 * with the 64 (32) samples before it in front, zeros for the first; the state starts at zeros and is carried.
 * Answers `{ probabilities: number[] }`, one per window.
 */
import * as ort from "onnxruntime-node";
import { readRepoFile } from "../../scripts/lib/bundled-models.ts";

export interface VadFramesRequest {
  file: string;
  base64: string;
  sampleRate: number;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

export async function vadFrames({ file, base64, sampleRate }: VadFramesRequest): Promise<{ probabilities: number[] }> {
  if (sampleRate !== 16000 && sampleRate !== 8000) throw new Error(`Silero takes 16000 or 8000 Hz, not ${sampleRate}`);
  let session = sessions.get(file);
  if (!session) {
    session = readRepoFile(file).then((bytes: Uint8Array) =>
      ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, executionMode: "sequential" }),
    );
    sessions.set(file, session);
  }
  const model = await session;
  const raw = Buffer.from(base64, "base64");
  const samples = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const windowSize = sampleRate === 16000 ? 512 : 256;
  const contextSize = sampleRate === 16000 ? 64 : 32;

  let context = new Float32Array(contextSize);
  let state: ort.Tensor = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(sampleRate)]), []);
  const probabilities: number[] = [];
  for (let start = 0; start < samples.length; start += windowSize) {
    const chunk = new Float32Array(windowSize); // zero-padded at the end of the audio
    chunk.set(samples.subarray(start, Math.min(start + windowSize, samples.length)));
    const input = new Float32Array(contextSize + windowSize);
    input.set(context, 0);
    input.set(chunk, contextSize);
    const out = await model.run({ input: new ort.Tensor("float32", input, [1, input.length]), state, sr });
    probabilities.push((out.output!.data as Float32Array)[0]!);
    state = out.stateN as ort.Tensor;
    context = input.slice(input.length - contextSize);
  }
  return { probabilities };
}
