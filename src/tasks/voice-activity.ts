/**
 * `voice-activity` (docs/architecture.md, "Tasks"): a WAV file → the stretches of it that hold speech,
 * `{segments: [{start, end}]}` in seconds, for Silero VAD v5 models (inputs `input`, `state`, `sr`; outputs
 * `output`, `stateN`). Bodies: the raw file (`audio/wav`, options in the query string, e.g. `?threshold=0.6&frames=true`)
 * or JSON `{audio, ...options}` with the file as base64 or as an array of its bytes (Workers AI's `{audio: number[]}`).
 *
 * The header is read when the request is (./audio/wav.ts: broken files 422, unsupported encodings 415), so the
 * units (seconds of audio, rounded up) and the length limit (413) are known before any decoding. The samples are
 * averaged to mono and, unless the model takes their rate natively (16 kHz, 8 kHz), resampled to 16 kHz
 * (./audio/resample.ts; 8 kHz for a model that takes only that); a `Warning` header says so. Inference runs window by window as silero-vad's
 * `OnnxWrapper.__call__` does: 512 samples at 16 kHz (256 at 8 kHz), each preceded by the 64 (32) samples before it
 * (zeros for the first window), the recurrent state carried from one window to the next, the last window padded
 * with zeros. The probabilities become segments as silero-vad's `get_speech_timestamps` makes them
 * (./audio/speech-segments.ts). `?frames=true` adds each window's probability.
 *
 * Manifest: `preprocess: {maxSeconds: 600, sampleRates: [16000, 8000]}` (the rates the model takes natively),
 * `postprocess: {threshold: 0.5, negThreshold?, minSpeechDurationMs: 250, minSilenceDurationMs: 100, speechPadMs: 30,
 * maxSpeechDurationS?}`: defaults every request may override (snake_case: `threshold`, `neg_threshold`, …).
 */
import { z } from "zod";
import { AppError } from "../errors";
import { resampledLength, resampleSource, type SampleSource } from "../media/audio/resample";
import { decodeMono, decodeMonoRange, readWavHeader, type WavHeader } from "../media/audio/wav";
import type { Tensor } from "../runtime/tensor";
import { taskConfig } from "./config";
import { float32ToJson } from "./float-json";
import { optionsFromQuery } from "./query-options";
import type { MediaBody, TaskContext, TaskDefinition } from "./task";
import { type SegmentOptions, speechSegments } from "./voice/speech-segments";

export const WAV_MEDIA_TYPES = ["audio/wav", "audio/x-wav", "audio/wave"] as const;

/** Rates taken: below 8 kHz speech has lost what Silero listens to; above 192 kHz is not speech audio. */
const MIN_RATE = 8000;
const MAX_RATE = 192000;
/** Silero's window is 32 ms (512 samples at 16 kHz), preceded by 4 ms of context (64 samples). */
const WINDOW_SECONDS = 0.032;
const CONTEXT_SECONDS = 0.004;
const MODEL_IO = { audio: "input", state: "state", rate: "sr", probability: "output", nextState: "stateN" } as const;

/** Options a request may set, as JSON fields and as query parameters of the same names. */
const OptionsShape = {
  threshold: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .meta({ description: "speech probability at or above which a window is speech (default 0.5)" }),
  neg_threshold: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .meta({ description: "probability below which speech may end (default threshold − 0.15, at least 0.01)" }),
  min_speech_duration_ms: z
    .number()
    .int()
    .min(0)
    .max(600_000)
    .optional()
    .meta({ description: "segments this short or shorter are dropped (default 250)" }),
  min_silence_duration_ms: z
    .number()
    .int()
    .min(0)
    .max(600_000)
    .optional()
    .meta({ description: "silence needed to end a segment (default 100)" }),
  speech_pad_ms: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .optional()
    .meta({ description: "padding added to both ends of each segment (default 30)" }),
  max_speech_duration_s: z
    .number()
    .gt(0)
    .optional()
    .meta({ description: "longer segments are split at their longest silence (default: no limit)" }),
  frames: z.boolean().optional().meta({ description: "also return each 32 ms window's speech probability" }),
};
type RequestOptions = z.infer<z.ZodObject<typeof OptionsShape>>;

/** A WAV body with its header read and checked. Serialized (for the response cache key) as its bytes in base64. */
export class WavAudio {
  readonly header: WavHeader;
  constructor(readonly bytes: Uint8Array) {
    this.header = readWavHeader(bytes);
    const rate = this.header.sampleRate;
    if (rate < MIN_RATE || rate > MAX_RATE)
      throw new AppError(
        "unsupported_media_type",
        `audio sampled at ${rate} Hz is not taken; send ${MIN_RATE} to ${MAX_RATE} Hz`,
      );
  }
  toJSON(): string {
    let binary = "";
    for (let i = 0; i < this.bytes.length; i += 0x8000)
      binary += String.fromCharCode(...this.bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }
}

export interface VoiceActivityRequest extends RequestOptions {
  audio: WavAudio;
}

const AudioField = z
  .union([z.string().min(1), z.array(z.number().int().min(0).max(255)).min(1)], {
    error: "audio must be the WAV file as a base64 string or an array of its bytes (0..255)",
  })
  .meta({ description: "a whole WAV file: base64, or an array of its bytes as Workers AI takes them" });

export const VoiceActivityRequestSchema = z
  .object({ audio: AudioField, ...OptionsShape })
  .strict()
  .meta({
    id: "VoiceActivityRequest",
    example: { audio: "UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA=", threshold: 0.5, frames: false },
    description: "`audio` holds a whole WAV file; the example is only a header",
  })
  .transform((body, ctx): VoiceActivityRequest => {
    const bytes = typeof body.audio === "string" ? fromBase64(body.audio) : Uint8Array.from(body.audio);
    if (!bytes) {
      ctx.addIssue({ code: "custom", path: ["audio"], message: "audio is not valid base64" });
      return z.NEVER;
    }
    return { ...body, audio: new WavAudio(bytes) };
  });

const SegmentSchema = z.object({
  start: z.number().meta({ description: "seconds" }),
  end: z.number().meta({ description: "seconds" }),
});

export const VoiceActivityResponseSchema = z
  .object({
    segments: z
      .array(SegmentSchema)
      .meta({ description: "the speech, in order, in seconds from the start of the audio" }),
    frames: z.array(z.number()).optional().meta({
      description: "with `frames: true`: the speech probability of each 32 ms window; window i starts at 0.032·i s",
    }),
  })
  .meta({
    id: "VoiceActivityResponse",
    example: {
      segments: [
        { start: 0.482, end: 2.238 },
        { start: 3.682, end: 4.51 },
      ],
    },
  });

export type VoiceActivityResponse = z.infer<typeof VoiceActivityResponseSchema>;

const ConfigSchema = z.object({
  preprocess: z
    .object({
      maxSeconds: z
        .number()
        .positive()
        .default(600)
        .meta({ description: "longer audio is refused (413 audio_too_long), judged from the WAV header" }),
      sampleRates: z
        .array(z.union([z.literal(16000), z.literal(8000)]))
        .min(1)
        .default([16000, 8000])
        .meta({
          description: "rates the model takes natively; others are resampled to 16 kHz (8 kHz for an 8 kHz-only model)",
        }),
    })
    .strict(),
  postprocess: z
    .object({
      threshold: z.number().gt(0).lt(1).default(0.5),
      negThreshold: z.number().gt(0).lt(1).optional(),
      minSpeechDurationMs: z.number().int().min(0).default(250),
      minSilenceDurationMs: z.number().int().min(0).default(100),
      speechPadMs: z.number().int().min(0).default(30),
      maxSpeechDurationS: z.number().positive().optional(),
    })
    .strict()
    .refine((p) => p.negThreshold === undefined || p.negThreshold <= p.threshold, {
      message: "negThreshold must not exceed threshold",
      path: ["negThreshold"],
    }),
});

export interface PreparedAudio {
  /** `contextSamples` zeros, the mono samples at `sampleRate`, zeros up to a whole number of windows. */
  padded: Float32Array;
  sampleRate: number;
  /** Samples of audio at `sampleRate` (without the padding). */
  length: number;
  windowSamples: number;
  contextSamples: number;
  windows: number;
  stateShape: number[];
  seconds: number;
  segmentOptions: SegmentOptions;
  frames: boolean;
}

export function prepareAudio(request: VoiceActivityRequest, context: TaskContext): PreparedAudio {
  const { header, bytes } = request.audio;
  const config = taskConfig(voiceActivity, context.model.manifest);
  if (header.seconds > config.preprocess.maxSeconds) {
    throw new AppError(
      "audio_too_long",
      `the audio lasts ${header.seconds.toFixed(1)} s; model '${context.model.name}' takes at most ${config.preprocess.maxSeconds} s`,
    );
  }
  const segmentOptions = resolveSegmentOptions(request, config.postprocess);
  const stateShape = modelStateShape(context);

  if (header.channels > 1) context.warn(`${header.channels} channels averaged to mono`);
  const rates: readonly number[] = config.preprocess.sampleRates;
  const native = rates.includes(header.sampleRate);
  const sampleRate = native ? header.sampleRate : rates.includes(16000) ? 16000 : 8000;
  const length = native ? header.frames : resampledLength(header.frames, header.sampleRate, sampleRate);
  const windowSamples = Math.round(sampleRate * WINDOW_SECONDS);
  const contextSamples = Math.round(sampleRate * CONTEXT_SECONDS);
  const windows = Math.ceil(length / windowSamples);
  // the samples go straight to their place between the first window's context and the last window's padding
  const padded = new Float32Array(contextSamples + windows * windowSamples);
  const samples = padded.subarray(contextSamples, contextSamples + length);
  if (native) decodeMono(bytes, header, samples);
  else {
    resampleSource(wavSource(bytes, header), header.sampleRate, sampleRate, samples);
    context.warn(`audio resampled from ${header.sampleRate} Hz to ${sampleRate} Hz`);
  }
  return {
    padded,
    sampleRate,
    length,
    windowSamples,
    contextSamples,
    windows,
    stateShape,
    seconds: header.seconds,
    segmentOptions: toSamples(segmentOptions, sampleRate),
    frames: request.frames ?? false,
  };
}

/**
 * The file's mono samples, decoded a block at a time as the resampler asks for them: memory stays at one block
 * (≈ 100 KB) instead of a float array as long as the file (64 MiB for 16 MiB of 8-bit audio).
 */
function wavSource(bytes: Uint8Array, header: WavHeader): SampleSource {
  let scratch = new Float32Array(0);
  return {
    length: header.frames,
    read(from, to) {
      if (scratch.length < to - from) scratch = new Float32Array(to - from);
      return decodeMonoRange(bytes, header, from, scratch.subarray(0, to - from));
    },
  };
}

interface SegmentOptionsMs {
  threshold: number;
  negThreshold: number;
  minSpeechDurationMs: number;
  minSilenceDurationMs: number;
  speechPadMs: number;
  maxSpeechDurationS: number;
}

type PostprocessConfig = z.infer<typeof ConfigSchema>["postprocess"];

/** The request's options over the manifest's defaults; contradictory ones are a 400. */
function resolveSegmentOptions(request: RequestOptions, defaults: PostprocessConfig): SegmentOptionsMs {
  const threshold = request.threshold ?? defaults.threshold;
  const negThreshold =
    request.neg_threshold ??
    (request.threshold === undefined ? defaults.negThreshold : undefined) ??
    Math.max(threshold - 0.15, 0.01);
  if (negThreshold > threshold)
    throw new AppError("invalid_request", `neg_threshold (${negThreshold}) must not exceed threshold (${threshold})`);
  const speechPadMs = request.speech_pad_ms ?? defaults.speechPadMs;
  const maxSpeechDurationS = request.max_speech_duration_s ?? defaults.maxSpeechDurationS ?? Infinity;
  // silero-vad splits a segment once it passes max − one window − both pads: that must leave room for speech
  const roomMs = maxSpeechDurationS * 1000 - WINDOW_SECONDS * 1000 - 2 * speechPadMs;
  if (roomMs < WINDOW_SECONDS * 1000)
    throw new AppError(
      "invalid_request",
      `max_speech_duration_s (${maxSpeechDurationS}) must exceed two 32 ms windows plus twice speech_pad_ms (${speechPadMs} ms)`,
    );
  return {
    threshold,
    negThreshold,
    minSpeechDurationMs: request.min_speech_duration_ms ?? defaults.minSpeechDurationMs,
    minSilenceDurationMs: request.min_silence_duration_ms ?? defaults.minSilenceDurationMs,
    speechPadMs,
    maxSpeechDurationS,
  };
}

function toSamples(options: SegmentOptionsMs, sampleRate: number): SegmentOptions {
  const samples = (ms: number) => (sampleRate * ms) / 1000;
  return {
    threshold: options.threshold,
    negThreshold: options.negThreshold,
    minSpeechSamples: samples(options.minSpeechDurationMs),
    minSilenceSamples: samples(options.minSilenceDurationMs),
    speechPadSamples: samples(options.speechPadMs),
    maxSpeechSeconds: options.maxSpeechDurationS,
  };
}

/** The recurrent state's shape for a batch of one, from the model's declared `state` input ([2, -1, 128]). */
function modelStateShape(context: TaskContext): number[] {
  const { entry, name } = context.model;
  for (const input of [MODEL_IO.audio, MODEL_IO.state, MODEL_IO.rate]) {
    if (!entry.inputs.some((spec) => spec.name === input))
      throw new AppError(
        "invalid_manifest",
        `model '${name}' has no input '${input}'; voice-activity serves Silero VAD v5 models (inputs input, state, sr)`,
      );
  }
  for (const output of [MODEL_IO.probability, MODEL_IO.nextState]) {
    if (!entry.outputs.some((spec) => spec.name === output))
      throw new AppError(
        "invalid_manifest",
        `model '${name}' has no output '${output}'; voice-activity serves Silero VAD v5 models (outputs output, stateN)`,
      );
  }
  const shape = entry.inputs.find((spec) => spec.name === MODEL_IO.state)!.shape;
  if (shape?.length !== 3)
    throw new AppError(
      "invalid_manifest",
      `input 'state' of model '${name}' should be [2, batch, 128]; it is [${shape ?? "undeclared"}]`,
    );
  return shape.map((dim) => (dim < 0 ? 1 : dim));
}

/** One session run per window, in order, each given the state the previous one returned. */
export async function runWindows(prepared: PreparedAudio, context: TaskContext): Promise<Float32Array> {
  const { padded, windowSamples, contextSamples, windows, stateShape } = prepared;
  const probabilities = new Float32Array(windows);
  const rate: Tensor = { datatype: "INT64", shape: [], data: BigInt64Array.of(BigInt(prepared.sampleRate)) };
  let state: Tensor = {
    datatype: "FP32",
    shape: stateShape,
    data: new Float32Array(stateShape.reduce((a, b) => a * b, 1)),
  };
  const width = contextSamples + windowSamples;
  const outputs = [MODEL_IO.probability, MODEL_IO.nextState];
  for (let i = 0; i < windows; i++) {
    // the window and the context before it are contiguous in `padded`: a view, no copy
    const audio: Tensor = {
      datatype: "FP32",
      shape: [1, width],
      data: padded.subarray(i * windowSamples, i * windowSamples + width),
    };
    const result = await context.model.run(
      { [MODEL_IO.audio]: audio, [MODEL_IO.state]: state, [MODEL_IO.rate]: rate },
      outputs,
    );
    const probability = result[MODEL_IO.probability];
    const next = result[MODEL_IO.nextState];
    if (!probability || !(probability.data instanceof Float32Array) || !next || !(next.data instanceof Float32Array)) {
      throw new AppError(
        "inference_failed",
        `model '${context.model.name}' did not return FP32 '${MODEL_IO.probability}' and '${MODEL_IO.nextState}'`,
      );
    }
    probabilities[i] = probability.data[0]!;
    state = next;
  }
  return probabilities;
}

export function segmentSpeech(probabilities: Float32Array, prepared: PreparedAudio): VoiceActivityResponse {
  const { sampleRate, seconds } = prepared;
  const segments = speechSegments(probabilities, prepared.segmentOptions, {
    sampleRate,
    windowSamples: prepared.windowSamples,
    totalSamples: prepared.length,
  }).map((segment) => ({
    start: segment.start / sampleRate,
    end: Math.min(segment.end / sampleRate, seconds), // resampled audio may run a fraction of a sample longer
  }));
  return prepared.frames ? { segments, frames: float32ToJson(probabilities) } : { segments };
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export const voiceActivity = {
  name: "voice-activity",
  summary:
    "A WAV file (raw body, or `{audio}` as base64 or bytes) → `{segments: [{start, end}]}`: where the speech is, in seconds.",
  request: VoiceActivityRequestSchema,
  response: VoiceActivityResponseSchema,
  mediaTypes: WAV_MEDIA_TYPES,
  fromMedia: (body: MediaBody): VoiceActivityRequest => ({
    ...optionsFromQuery("voice-activity", OptionsShape, body.query, ["frames"]),
    audio: new WavAudio(body.bytes),
  }),
  config: ConfigSchema,
  units: (request) => Math.ceil(request.audio.header.seconds),
  preprocess: prepareAudio,
  infer: runWindows,
  postprocess: segmentSpeech,
} satisfies TaskDefinition<VoiceActivityRequest, PreparedAudio, Float32Array, VoiceActivityResponse>;
