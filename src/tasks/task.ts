/**
 * The contract every task implements (docs/architecture.md, "Tasks"). A task turns an application request (text, an
 * image, audio) into tensors, runs the model, and turns the outputs back into an answer. Pre- and
 * post-processing are separate functions beside the runtime, never inside it, so each is testable without a
 * model; routes never know which task they serve (`src/tasks/index.ts` is the one table of tasks).
 */
import type { z } from "zod";
import type { Manifest, Task, VersionEntry } from "../registry/manifest";
import type { NamedTensors } from "../runtime/tensor";
import type { LabelScore } from "./classification-output";

/** A body that is not JSON, in one of the task's `mediaTypes` (an image, a WAV file). */
export interface MediaBody {
  bytes: Uint8Array;
  /** The request's Content-Type without parameters, lowercased (e.g. `image/png`). */
  contentType: string;
  /** The request's query string: options for media bodies (e.g. `?top_k=3`). */
  query: URLSearchParams;
}

export interface TaskLimits {
  /** Items one session call takes (manifest `limits.maxBatch`); larger requests are split into several calls. */
  maxBatch: number;
  /** Items (texts, images) one request may carry; more is refused with `batch_too_large` (413). */
  maxItems: number;
  /** Elements of one input tensor (manifest `limits.maxElements` or the server's default). */
  maxElements: number;
  /** Pixels of one decoded image; checked from the image header, before decoding allocates (413). */
  maxImagePixels: number;
  /** One more session call's cost in padded token positions, for grouping texts by length (./batching.ts). */
  batchCallCost: number;
}

/** One version of one model, as a task sees it. */
export interface ModelHandle {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
  readonly entry: VersionEntry;
  /** Runs this version once; the runtime serializes runs on one session. Counts into the `run` timing. */
  run(inputs: NamedTensors, outputNames?: string[]): Promise<NamedTensors>;
  /**
   * A file uploaded with the model and pinned by this version (e.g. `tokenizer.json`), parsed by `parse` once per
   * isolate and kept while the version is in use. Missing assets are `invalid_manifest` (422).
   */
  asset<T>(name: string, parse: (bytes: Uint8Array) => T | Promise<T>): Promise<T>;
}

export interface TaskContext {
  /** The model the request names. */
  readonly model: ModelHandle;
  readonly limits: TaskLimits;
  /**
   * Another model a pipeline needs (OCR: detector, then classifier and recognizer), `name` or `name@version`. The
   * references the task's `stages` names come back exactly as resolved for the response cache key.
   */
  resolve(reference: string): Promise<ModelHandle>;
  /**
   * Tells the caller how the request was served when it differs from what was asked (a text truncated to the
   * model's length, audio resampled). Sent as an RFC 7234 `Warning: 299` header, so response bodies keep their shape.
   */
  warn(message: string): void;
}

/**
 * @typeParam Request   the validated request (JSON bodies are parsed with `request`; media bodies by `fromMedia`)
 * @typeParam Prepared  what `preprocess` hands to `infer` and `postprocess` (tensors, plus what decoding learnt)
 * @typeParam Raw       what `infer` returns (usually output tensors per batch)
 * @typeParam Response  the answer, described by `response`
 */
export interface TaskDefinition<Request = any, Prepared = any, Raw = any, Response = any> {
  readonly name: Task;
  /** One line for the OpenAPI document and `GET /v1/models`. */
  readonly summary: string;
  /** The JSON request body; also documented in OpenAPI and shown by `GET /v1/models`. */
  readonly request: z.ZodType<Request>;
  readonly response: z.ZodType<Response>;
  /** Content types accepted as the raw body besides JSON, e.g. `image/png`; others are 415. */
  readonly mediaTypes?: readonly string[];
  /** Turns a media body into a request. Cheap checks only (headers, sizes); throw `AppError` for bad input. */
  fromMedia?(body: MediaBody): Request;
  /**
   * The manifest's `preprocess`/`postprocess` for this task, validated when the manifest is uploaded (422
   * `invalid_manifest` if it does not parse), so a request never meets a broken configuration.
   */
  readonly config?: z.ZodType<unknown>;
  /**
   * The other models this version of the model runs (a pipeline's stages: role → `name` or `name@version`), read
   * from the manifest's configuration. They are resolved before the response cache is consulted and their weights'
   * and assets' digests go into the cache key, so a changed stage (another version, a moved alias, weights uploaded
   * again under the same name) never serves an answer computed with the old one. A pipeline resolves only these.
   */
  stages?(manifest: Manifest, version: string): Record<string, string>;
  /** Metered units (texts, images, seconds of audio), known before any work is done. */
  units(request: Request): number;
  preprocess(request: Request, context: TaskContext): Promise<Prepared> | Prepared;
  infer(prepared: Prepared, context: TaskContext): Promise<Raw>;
  postprocess(raw: Raw, prepared: Prepared, context: TaskContext): Promise<Response> | Response;
  /**
   * Classifiers: the top-1 label and its score of each item answered. The metrics count them per version, so two
   * versions can be compared on what they answer (`GET /admin/models/{model}/compare`), a first drift signal.
   */
  topLabels?(response: Response): LabelScore[];
}
