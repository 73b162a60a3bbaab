/**
 * The bundled classic models, exported as skl2onnx does and served from workerd, answer as scikit-learn itself did on
 * their held-out rows (test/data/tabular/, written with scikit-learn's own predictions by
 * scripts/models/train-classic-models.py): the same labels, probabilities within 1e-5, regression values within
 * 1e-5 (relative: float32 outputs near 300 are spaced 3e-5 apart), over `POST /v1/run` and over OIP.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeResponse, float32Of, inferJson, type TestTensor } from "./support/oip";
import { BUNDLED, call, json, repoText, seedBundled } from "./support/worker";

interface HeldOutRow {
  features: number[];
  label?: string;
  value?: number;
  sklearn: { label?: string | number; probabilities?: number[]; value?: number };
}

const CLASSIFIERS = ["breast-cancer-logreg", "iris-forest"] as const;
const held: Record<string, HeldOutRow[]> = {};

beforeAll(async () => {
  await seedBundled(...CLASSIFIERS, "diabetes-linear");
  for (const name of [...CLASSIFIERS, "diabetes-linear"])
    held[name] = JSON.parse(await repoText(`test/data/tabular/${name}.json`)) as HeldOutRow[];
});

const run = (model: string, body: unknown) =>
  call(`/v1/run/${model}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

/** The manifest's feature names, in column order. */
const featureNames = (model: string) =>
  (BUNDLED[model]!.preprocess as { features: { name: string }[] }).features.map((f) => f.name);

/** The class names the task answers, in the model's class order (the manifest renames breast_cancer's 0 and 1). */
function classNames(model: string): string[] {
  const labels = BUNDLED[model]!.labels as string[] | undefined;
  return labels ?? (model === "iris-forest" ? ["setosa", "versicolor", "virginica"] : []);
}

function expectWithin(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs scikit-learn's ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

describe("tabular-classification on /v1/run equals scikit-learn on the held-out rows", () => {
  for (const model of CLASSIFIERS) {
    it(`${model}: labels equal, every class probability within 1e-5 (rows as arrays)`, async () => {
      const rows = held[model]!;
      const names = classNames(model);
      const response = await run(model, { features: rows.map((r) => r.features), top_k: names.length });
      expect(response.status).toBe(200);
      const answers = (await response.json()) as { label: string; score: number }[][];
      expect(answers).toHaveLength(rows.length);
      answers.forEach((answer, i) => {
        const sklearn = rows[i]!.sklearn;
        const expectedLabel = typeof sklearn.label === "number" ? names[sklearn.label] : sklearn.label;
        expect(answer[0]!.label, `row ${i}`).toBe(expectedLabel);
        for (const { label, score } of answer)
          expectWithin(score, sklearn.probabilities![names.indexOf(label)]!, 1e-5, `row ${i} ${label}`);
      });
    });
  }

  it("named features give the same answers as arrays, and one row alone is answered alone", async () => {
    const model = "iris-forest";
    const names = featureNames(model);
    const rows = held[model]!.slice(0, 5);
    const named = rows.map((r) => Object.fromEntries(names.map((n, j) => [n, r.features[j]])));
    const byArray = await json(run(model, { features: rows.map((r) => r.features) }));
    expect(await json(run(model, { features: named }))).toEqual(byArray);
    expect(await json(run(model, { features: named[0] }))).toEqual(byArray[0]);
    expect(await json(run(model, { features: rows[0]!.features, top_k: 1 }))).toEqual(byArray[0].slice(0, 1));
  });
});

describe("tabular-regression on /v1/run equals scikit-learn on the held-out rows", () => {
  it("diabetes-linear: every value within 1e-5 (relative), rows as arrays and as named features", async () => {
    const rows = held["diabetes-linear"]!;
    const values = (await json(run("diabetes-linear", { features: rows.map((r) => r.features) }))) as number[];
    expect(values).toHaveLength(rows.length);
    values.forEach((v, i) => {
      const expected = rows[i]!.sklearn.value!;
      expectWithin(v, expected, 1e-5 * Math.max(1, Math.abs(expected)), `row ${i}`);
    });
    const names = featureNames("diabetes-linear");
    const one = Object.fromEntries(names.map((n, j) => [n, rows[0]!.features[j]]));
    expect(await json(run("diabetes-linear", { features: one }))).toBe(values[0]);
  });
});

describe("over OIP, the served graph gives scikit-learn's labels and probabilities", () => {
  for (const model of CLASSIFIERS) {
    it(`${model}: output_label equals scikit-learn's predictions, output_probability within 1e-5`, async () => {
      const rows = held[model]!;
      const width = rows[0]!.features.length;
      const input: TestTensor = {
        name: "float_input",
        datatype: "FP32",
        shape: [rows.length, width],
        data: Float32Array.from(rows.flatMap((r) => r.features)),
      };
      const { outputs } = await decodeResponse(await inferJson(`/v2/models/${model}/infer`, [input]));
      expect(outputs.output_label!.json).toEqual(rows.map((r) => r.sklearn.label));
      expect(outputs.output_probability!.shape).toEqual([rows.length, classNames(model).length]);
      const probabilities = float32Of(outputs.output_probability!);
      rows.forEach((r, i) =>
        r.sklearn.probabilities!.forEach((p, k) =>
          expectWithin(probabilities[i * r.sklearn.probabilities!.length + k]!, p, 1e-5, `row ${i} class ${k}`),
        ),
      );
    });
  }

  it("diabetes-linear: one [N, 1] input per feature; variable within 1e-5 (relative)", async () => {
    const rows = held["diabetes-linear"]!;
    const inputs: TestTensor[] = featureNames("diabetes-linear").map((name, j) => ({
      name,
      datatype: "FP32",
      shape: [rows.length, 1],
      data: Float32Array.from(rows.map((r) => r.features[j]!)),
    }));
    const { outputs } = await decodeResponse(await inferJson("/v2/models/diabetes-linear/infer", inputs));
    const values = float32Of(outputs.variable!);
    rows.forEach((r, i) => expectWithin(values[i]!, r.sklearn.value!, 1e-5 * Math.abs(r.sklearn.value!), `row ${i}`));
  });

  it("metadata shows the ZipMap output as FP32 [-1, classes] and the string labels as BYTES", async () => {
    const metadata = await json(call("/v2/models/iris-forest"));
    expect(metadata.outputs).toEqual([
      { name: "output_label", datatype: "BYTES", shape: [-1] },
      { name: "output_probability", datatype: "FP32", shape: [-1, 3] },
    ]);
  });
});
