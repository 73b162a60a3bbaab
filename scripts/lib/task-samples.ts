/**
 * One realistic task request per bundled model that serves a task on `POST /v1/run/{model}` (text, an image, a WAV
 * file), shared by the smoke test and the benchmark. Files come from the test data committed under test/data/.
 */
import { readFileSync } from "node:fs";
import type { BundledManifest } from "./bundled-manifest";
import { repoPath } from "./bundled-models";

export interface TaskSample {
  /** What the body is, for tables. */
  what: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

const json = (value: unknown) => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
const file = (path: string, contentType: string) => ({
  headers: { "Content-Type": contentType },
  body: new Uint8Array(readFileSync(repoPath(path))),
});

/** model name → its sample request */
const SAMPLES: Record<string, () => TaskSample> = {
  "bert-fixture": () => ({
    what: "one sentence",
    ...json({ text: "The food was great and the service was friendly." }),
  }),
  "mnist-digits": () => ({ what: "a 140x140 JPEG of a digit", ...file("test/data/digits/3-0023.jpg", "image/jpeg") }),
  ppocr: () => ({
    what: "a 3-line English page (745x162 PNG)",
    ...file("test/data/ocr/images/en-doc-08.png", "image/png"),
  }),
  "silero-vad": () => ({
    what: "4.9 s of speech (16 kHz PCM16 WAV)",
    ...file("test/data/vad/speech-16k.wav", "audio/wav"),
  }),
  "iris-forest": () => ({
    what: "one flower's named measurements",
    ...json({ features: { sepal_length: 6.1, sepal_width: 2.8, petal_length: 4.7, petal_width: 1.2 } }),
  }),
  "breast-cancer-logreg": () => ({
    what: "three held-out tumours (30 features each)",
    ...json({ features: heldOutRows("breast-cancer-logreg", 3) }),
  }),
  "diabetes-linear": () => ({
    what: "three held-out patients (10 features each)",
    ...json({ features: heldOutRows("diabetes-linear", 3) }),
  }),
  "lid-176": () => ({
    what: "one sentence",
    ...json({ text: "Le renard brun rapide saute par-dessus le chien paresseux." }),
  }),
};

/** The first rows of a bundled tabular model's held-out set (test/data/tabular/, written by its training script). */
function heldOutRows(model: string, count: number): unknown[] {
  const rows = JSON.parse(readFileSync(repoPath(`test/data/tabular/${model}.json`), "utf8")) as { features: unknown }[];
  return rows.slice(0, count).map((row) => row.features);
}

/** The sample request for a bundled model; `undefined` for `tensor` models (OIP only). */
export function taskSample(manifest: BundledManifest): TaskSample | undefined {
  if (manifest.task === undefined || manifest.task === "tensor") return undefined;
  const sample = SAMPLES[manifest.name];
  if (!sample)
    throw new Error(
      `bundled model '${manifest.name}' (task ${manifest.task}) has no sample in scripts/lib/task-samples.ts`,
    );
  return sample();
}
