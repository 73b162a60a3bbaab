/**
 * Audio in the page: recordings decoded and resampled to 16 kHz mono with the browser's own audio engine
 * (OfflineAudioContext), then written as a 16-bit PCM WAV file (RIFF, WAVE_FORMAT_PCM), the format the API reads.
 */

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
  const data = samples.length * 2;
  const view = new DataView(new ArrayBuffer(44 + data));
  const text = (offset: number, value: string) => {
    for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + data, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // bytes per second
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  text(36, "data");
  view.setUint32(40, data, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([view.buffer], { type: "audio/wav" });
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
