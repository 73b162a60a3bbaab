/**
 * What one request did, gathered by the layers that serve it (model resolution, metering, the cache, the
 * runtime) in one object per request. The request's log line and its metrics are both made from it once the
 * response is ready. It never holds a request's inputs or outputs, nor a key or token: only the key's id.
 */
export interface Observation extends ModelWork {
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** The model and version the request resolved to (the first it resolved, for pipelines). */
  model?: string;
  version?: string;
  keyId?: string;
  /** Metered units. */
  units?: number;
  /** Milliseconds waiting for the key check and metering. */
  authMs: number;
}

/** Where a request's time went around the model, and what the model's runs left to count. */
export interface ModelWork {
  /** Milliseconds waiting for a busy session, summed over the request's runs. */
  queueMs: number;
  /** Milliseconds preparing the model's input (decoding, preprocessing). */
  inputMs: number;
  /** Milliseconds inside `session.run`, summed. */
  inferMs: number;
  /** Milliseconds turning outputs into the answer. */
  outputMs: number;
  /** Milliseconds looking the response up in the cache. */
  cacheMs: number;
  /** Session runs. */
  runs: number;
  /** The request created the model's session (its weights were read and compiled). */
  cold: boolean;
  /** The session's WASM memory charge after the request ran. */
  sessionBytes?: number;
  /** A classifier's top-1 label and score per item. */
  labels?: readonly { label: string; score: number }[];
}

export function startObservation(): Observation {
  return {
    startedAt: performance.now(),
    authMs: 0,
    queueMs: 0,
    inputMs: 0,
    inferMs: 0,
    outputMs: 0,
    cacheMs: 0,
    runs: 0,
    cold: false,
  };
}
