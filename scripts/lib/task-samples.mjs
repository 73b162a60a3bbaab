// One realistic task request per bundled model that serves a task on `POST /v1/run/{model}` (text, an image, a WAV
// file), shared by the smoke test and the benchmark. Files come from the test data committed under test/data/.
import { readFileSync } from "node:fs";
import { repoPath } from "./bundled-models.mjs";

const json = (value) => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
const file = (path, contentType) => ({ headers: { "Content-Type": contentType }, body: readFileSync(repoPath(path)) });

/** model name → a request ({headers, body}) and what it is, for tables */
const SAMPLES = {
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
function heldOutRows(model, count) {
  const rows = JSON.parse(readFileSync(repoPath(`test/data/tabular/${model}.json`), "utf8"));
  return rows.slice(0, count).map((row) => row.features);
}

/**
 * @param {Record<string, any>} manifest a bundled manifest
 * @returns {{what: string, headers: Record<string, string>, body: string | Uint8Array} | undefined} undefined for `tensor` models
 */
export function taskSample(manifest) {
  if (manifest.task === "tensor") return undefined;
  const sample = SAMPLES[manifest.name];
  if (!sample)
    throw new Error(
      `bundled model '${manifest.name}' (task ${manifest.task}) has no sample in scripts/lib/task-samples.mjs`,
    );
  return sample();
}
