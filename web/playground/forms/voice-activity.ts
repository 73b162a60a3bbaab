/**
 * `voice-activity`: a WAV file, or a recording from the microphone encoded to a 16 kHz WAV file in the page; the
 * answer is drawn as the waveform with the speech segments shaded (and the speech probability of each 32 ms window
 * as a line), with the segments listed in seconds.
 */
import { field, fill, h } from "../../shared/dom";
import { contentTypeOf } from "../../shared/files";
import { decodeMono, encodeWav, record, SPEECH_RATE } from "../../shared/wav";
import { runPath, type TaskForm, taskForm } from "./form";

const MAX_RECORDING_SECONDS = 15;
const WINDOW_SECONDS = 0.032;

interface VadAnswer {
  segments: { start: number; end: number }[];
  frames?: number[];
}

export const voiceActivityForm: TaskForm = ({ api, model }) => {
  let recorded: Blob | undefined;
  let recording: Awaited<ReturnType<typeof record>> | undefined;
  const file = h("input", { type: "file", accept: "audio/wav,audio/x-wav,.wav" });
  const status = h("p", { class: "hint", attrs: { "aria-live": "polite" } }, "No recording yet.");
  const player = h("div", { class: "player" });
  const recordButton = h("button", { type: "button", attrs: { "aria-pressed": "false" } }, "Record");
  recordButton.addEventListener("click", async () => {
    if (recording) return recording.stop();
    try {
      recording = await record(MAX_RECORDING_SECONDS);
    } catch (error) {
      fill(status, `The microphone is not available: ${(error as Error).message}`);
      return;
    }
    recordButton.textContent = "Stop";
    recordButton.setAttribute("aria-pressed", "true");
    fill(status, `Recording… (at most ${MAX_RECORDING_SECONDS} s)`);
    const blob = await recording.done;
    recording = undefined;
    recordButton.textContent = "Record";
    recordButton.setAttribute("aria-pressed", "false");
    const samples = await decodeMono(blob);
    recorded = encodeWav(samples);
    file.value = "";
    fill(
      status,
      `Recorded ${(samples.length / SPEECH_RATE).toFixed(1)} s, encoded as a 16 kHz WAV file (${recorded.size} bytes).`,
    );
    fill(
      player,
      h("audio", { controls: true, src: URL.createObjectURL(recorded), attrs: { "aria-label": "The recording" } }),
    );
  });
  file.addEventListener("change", () => {
    recorded = undefined;
    fill(status, file.files?.[0] ? `File: ${file.files[0].name}` : "No recording yet.");
    fill(player);
  });
  return taskForm(
    [
      field("WAV file", file),
      h("div", { class: "record" }, h("span", { class: "label" }, "Or the microphone:"), recordButton, status, player),
    ],
    "Find speech",
    async (result) => {
      const picked = file.files?.[0];
      const audio = picked ?? recorded;
      if (!audio) return result.error("no_audio", "choose a WAV file or record from the microphone first");
      const type = picked ? contentTypeOf(picked, "audio/wav") : "audio/wav";
      const answer = await api.call<VadAnswer>("POST", runPath(model, "?frames=true"), audio, { "Content-Type": type });
      const samples = answer.ok ? await decodeMono(audio).catch(() => undefined) : undefined;
      result.show(answer, (data) => [waveform(samples, data), segmentList(data)]);
    },
  );
};

function segmentList({ segments }: VadAnswer): HTMLElement {
  if (segments.length === 0) return h("p", {}, "No speech found.");
  return h(
    "ol",
    { class: "segments" },
    segments.map((s) => h("li", {}, `Speech from ${s.start.toFixed(2)} s to ${s.end.toFixed(2)} s`)),
  );
}

function waveform(samples: Float32Array | undefined, answer: VadAnswer): HTMLElement {
  const width = 720;
  const height = 140;
  const canvas = h("canvas", {
    width,
    height,
    class: "wave",
    attrs: { role: "img", "aria-label": `Waveform with ${answer.segments.length} speech segments shaded` },
  });
  const ctx = canvas.getContext("2d")!;
  const seconds = samples ? samples.length / SPEECH_RATE : (answer.frames?.length ?? 1) * WINDOW_SECONDS;
  const x = (t: number) => (t / seconds) * width;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "rgba(0, 122, 61, 0.22)";
  for (const s of answer.segments) ctx.fillRect(x(s.start), 0, Math.max(1, x(s.end) - x(s.start)), height);
  if (samples) {
    ctx.fillStyle = "#1f3a5f";
    const per = Math.max(1, Math.floor(samples.length / width));
    for (let px = 0; px < width; px++) {
      let lo = 0;
      let hi = 0;
      for (let i = px * per; i < Math.min(samples.length, (px + 1) * per); i++) {
        lo = Math.min(lo, samples[i]!);
        hi = Math.max(hi, samples[i]!);
      }
      ctx.fillRect(px, ((1 - hi) * height) / 2, 1, Math.max(1, ((hi - lo) * height) / 2));
    }
  }
  if (answer.frames) {
    ctx.strokeStyle = "#b3261e";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    answer.frames.forEach((p, i) => {
      const px = x(i * WINDOW_SECONDS);
      const py = height - p * (height - 4) - 2;
      i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py);
    });
    ctx.stroke();
  }
  return h(
    "figure",
    { class: "wave-figure" },
    canvas,
    h("figcaption", {}, "Shaded: speech. Line: speech probability of each 32 ms window. ", `${seconds.toFixed(2)} s`),
  );
}
