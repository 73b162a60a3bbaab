import { pcm16Wav } from "../../web/shared/wav-file";

/** A silent 16-bit PCM mono WAV file, for tests that need a valid one and nothing more. */
export function silentWav(samples = 1600, rate = 16000): Uint8Array {
  return pcm16Wav(new Float32Array(samples), rate);
}
