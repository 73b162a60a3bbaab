/**
 * Audio in the page: recordings decoded and resampled to 16 kHz mono with the browser's own audio engine
 * (OfflineAudioContext), then written as a 16-bit PCM WAV file (RIFF, WAVE_FORMAT_PCM), the format the API reads.
 */
import { pcm16Wav } from "./wav-file";

export const SPEECH_RATE = 16_000;

/** Mono samples at `rate` from any audio the browser can decode (a WAV file, a MediaRecorder blob). */
export async function decodeMono(blob: Blob, rate = SPEECH_RATE): Promise<Float32Array> {
  const bytes = await blob.arrayBuffer();
  const decoder = new OfflineAudioContext(1, 1, rate);
  const decoded = await decoder.decodeAudioData(bytes);
  const frames = Math.max(1, Math.ceil(decoded.duration * rate));
  const render = new OfflineAudioContext(1, frames, rate);
  const source = render.createBufferSource();
  source.buffer = decoded;
  source.connect(render.destination); // channels are mixed down to the one output channel
  source.start();
  return (await render.startRendering()).getChannelData(0);
}

/** A 16-bit PCM mono WAV file of `samples` (floats in [-1, 1], clipped). */
export function encodeWav(samples: Float32Array, rate = SPEECH_RATE): Blob {
  return new Blob([pcm16Wav(samples, rate)], { type: "audio/wav" });
}

/** Records the microphone until `stop()` (or `maxSeconds`), then gives the recording as a blob. */
export async function record(maxSeconds: number): Promise<{ stop: () => void; done: Promise<Blob> }> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const recorder = new MediaRecorder(stream);
  const chunks: Blob[] = [];
  recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
  const done = new Promise<Blob>((resolve, reject) => {
    recorder.addEventListener("stop", () => {
      for (const track of stream.getTracks()) track.stop();
      resolve(new Blob(chunks, { type: recorder.mimeType }));
    });
    recorder.addEventListener("error", () => reject(new Error("the recording failed")));
  });
  recorder.start();
  const timer = setTimeout(() => recorder.state === "recording" && recorder.stop(), maxSeconds * 1000);
  return {
    stop: () => {
      clearTimeout(timer);
      if (recorder.state === "recording") recorder.stop();
    },
    done,
  };
}
