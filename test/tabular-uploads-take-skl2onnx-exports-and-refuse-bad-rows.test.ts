/**
 * A data scientist uploads what skl2onnx wrote, unmodified: a classifier ending in ZipMap with int64 labels or with
 * string labels, a `zipmap=False` classifier with tensor outputs, a regressor with one input per DataFrame column.
 * Each is accepted and served; the ZipMap's version keeps the uploaded file's digest. A graph with another
 * non-tensor output or input is a 422 that names it. Each bad row gets a 400 naming the row and the feature, and a
 * good request follows in the same isolate. Expected values come from the held-out files (scikit-learn's own
 * predictions) and, for the hand-written classifier, from its coefficients by plain arithmetic.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  integerColumnsRegressor,
  mapInput,
  PLAIN_CLASSES,
  PLAIN_COEFFICIENTS,
  PLAIN_INTERCEPTS,
  plainLinearClassifier,
  sequenceOutput,
} from "./support/tabular-fixtures";
import { admin, call, createKey, createTenant, json, repoFile, repoText, uploadModel, withKey } from "./support/worker";

interface HeldOutRow {
  features: number[];
  sklearn: { label?: string | number; probabilities?: number[]; value?: number };
}

const FILES = {
  "upload-zipmap-int64": "models/weights/breast-cancer-logreg.onnx",
  "upload-zipmap-strings": "models/weights/iris-forest.onnx",
  "upload-regressor": "models/weights/diabetes-linear.onnx",
} as const;
const HELD_OUT = {
  "upload-zipmap-int64": "breast-cancer-logreg",
  "upload-zipmap-strings": "iris-forest",
  "upload-regressor": "diabetes-linear",
} as const;
const TASKS = {
  "upload-zipmap-int64": "tabular-classification",
  "upload-zipmap-strings": "tabular-classification",
  "upload-regressor": "tabular-regression",
} as const;

const uploads: Record<string, { status: number; body: Record<string, any> }> = {};
const held: Record<string, HeldOutRow[]> = {};
const digests: Record<string, string> = {};

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

beforeAll(async () => {
  for (const [name, file] of Object.entries(FILES)) {
    const bytes = await repoFile(file);
    digests[name] = await sha256(bytes);
    const response = await uploadModel(name, bytes, { manifest: { task: TASKS[name as keyof typeof TASKS] } });
    uploads[name] = { status: response.status, body: await response.json() };
    held[name] = JSON.parse(await repoText(`test/data/tabular/${HELD_OUT[name as keyof typeof HELD_OUT]}.json`));
  }
  const plain = await uploadModel("upload-plain", plainLinearClassifier(), {
    manifest: { task: "tabular-classification" },
  });
  uploads["upload-plain"] = { status: plain.status, body: await plain.json() };
});

const run = (model: string, body: unknown, key?: string) => {
  const init = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  return key ? withKey(key, `/v1/run/${model}`, init) : call(`/v1/run/${model}`, init);
};

describe("skl2onnx's exports are accepted as uploaded and served", () => {
  it("a ZipMap classifier is stored without its ZipMap, keeping the uploaded file's digest and the class labels", async () => {
    for (const name of ["upload-zipmap-int64", "upload-zipmap-strings"]) {
      const { status, body } = uploads[name]!;
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.original.sha256).toBe(digests[name]);
      expect(body.sha256).not.toBe(digests[name]);
      expect(body.original.changes[0]).toMatch(/output 'output_probability': its ZipMap .* removed/);
      expect(body.outputs.find((o: { name: string }) => o.name === "output_probability").datatype).toBe("FP32");
    }
    expect(uploads["upload-zipmap-int64"]!.body.classLabels).toEqual({ output_probability: ["0", "1"] });
    expect(uploads["upload-zipmap-strings"]!.body.classLabels).toEqual({
      output_probability: ["setosa", "versicolor", "virginica"],
    });
  });

  it("uploading the same file again to the same version is a no-op, not a conflict", async () => {
    const again = await admin("/admin/models/upload-zipmap-strings/versions/1", {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: await repoFile(FILES["upload-zipmap-strings"]),
    });
    expect(again.status).toBe(200);
  });

  it("ZipMap classifiers answer scikit-learn's labels with the graph's own class labels (no manifest labels)", async () => {
    for (const name of ["upload-zipmap-int64", "upload-zipmap-strings"]) {
      const rows = held[name]!.slice(0, 100); // the default limits.maxItems is 128
      const answers = (await json(run(name, { features: rows.map((r) => r.features), top_k: 1 }))) as {
        label: string;
      }[][];
      expect(answers.map((a) => a[0]!.label)).toEqual(rows.map((r) => String(r.sklearn.label)));
    }
  });

  it("a regressor with one input per column answers scikit-learn's values", async () => {
    expect(uploads["upload-regressor"]!.status).toBe(201);
    expect(uploads["upload-regressor"]!.body.original).toBeUndefined();
    const rows = held["upload-regressor"]!;
    const values = (await json(run("upload-regressor", { features: rows.map((r) => r.features) }))) as number[];
    values.forEach((v, i) =>
      expect(Math.abs(v - rows[i]!.sklearn.value!)).toBeLessThanOrEqual(1e-5 * Math.abs(rows[i]!.sklearn.value!)),
    );
    const named = await run("upload-regressor", {
      features: {
        age: 0.01,
        sex: 0.05,
        bmi: 0.06,
        bp: 0.02,
        s1: -0.04,
        s2: -0.03,
        s3: -0.04,
        s4: 0,
        s5: 0.02,
        s6: -0.02,
      },
    });
    expect(named.status).toBe(200);
  });

  it("a zipmap=False classifier (tensor outputs, string labels) answers softmax(x·W + b) with its classifier's labels", async () => {
    expect(uploads["upload-plain"]!.status).toBe(201);
    expect(uploads["upload-plain"]!.body.classLabels).toEqual({ probabilities: PLAIN_CLASSES });
    const row = [0.5, -1.5];
    const scores = PLAIN_COEFFICIENTS.map((w, k) => w[0]! * row[0]! + w[1]! * row[1]! + PLAIN_INTERCEPTS[k]!);
    const exps = scores.map((s) => Math.exp(s - Math.max(...scores)));
    const expected = exps.map((e) => e / exps.reduce((a, b) => a + b, 0));
    const answer = (await json(run("upload-plain", { features: row, top_k: 3 }))) as { label: string; score: number }[];
    for (const { label, score } of answer)
      expect(Math.abs(score - expected[PLAIN_CLASSES.indexOf(label)]!)).toBeLessThanOrEqual(1e-6);
    expect(answer[0]!.label).toBe(PLAIN_CLASSES[expected.indexOf(Math.max(...expected))]);
  });
});

describe("integer columns", () => {
  it("take integers by name, and refuse a fraction or a value beyond the safe integers with a 400", async () => {
    const upload = await uploadModel("upload-integers", integerColumnsRegressor(), {
      manifest: { task: "tabular-regression" },
    });
    expect(upload.status).toBe(201);
    const values = await json(run("upload-integers", { features: [{ rooms: 3, floor: 2 }, [1, 0]] }));
    expect(values).toEqual([10 * 3 + 2 * 2 + 5, 10 * 1 + 5]);
    for (const [floor, message] of [
      [1.5, /row 0, feature 'floor' \(column 1\) must be an integer .* got 1.5/],
      [2 ** 60, /must be an integer in \[-9007199254740991, 9007199254740991\] \(the model's input is int64\)/],
    ] as const) {
      const response = await run("upload-integers", { features: { rooms: 3, floor } });
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toMatch(message);
    }
  });
});

describe("graphs with other non-tensor values are refused with a 422 that names them", () => {
  it("a sequence output", async () => {
    const response = await uploadModel("upload-sequence", sequenceOutput());
    expect(response.status).toBe(422);
    expect((await json(response)).error.message).toMatch(/output 'pieces' is not a tensor: sequences and maps/);
  });

  it("a map input", async () => {
    const response = await uploadModel("upload-map-input", mapInput());
    expect(response.status).toBe(422);
    expect((await json(response)).error.message).toMatch(/input 'record' is not a tensor: sequences and maps/);
  });
});

describe("each bad row gets a 400 naming the row and the feature, and a good request follows", () => {
  const MODEL = "upload-ranges";
  const features = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
  const good = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
  beforeAll(async () => {
    const manifest = {
      task: "tabular-classification",
      preprocess: {
        features: [...features.slice(0, 3), { name: "petal_width", min: 0, max: 3 }],
        outOfRange: "reject",
      },
    };
    const response = await uploadModel(MODEL, await repoFile(FILES["upload-zipmap-strings"]), { manifest });
    expect(response.status).toBe(201);
  });

  const cases: { name: string; body: unknown; message: RegExp }[] = [
    { name: "too few values", body: { features: [[5.1, 3.5, 1.4]] }, message: /row 0 has 3 values; the model takes 4/ },
    {
      name: "too many values in the second row",
      body: {
        features: [
          [5.1, 3.5, 1.4, 0.2],
          [5.1, 3.5, 1.4, 0.2, 9],
        ],
      },
      message: /row 1 has 5 values/,
    },
    {
      name: "a missing feature",
      body: { features: [good, { ...good, petal_length: undefined }] },
      message: /row 1, feature 'petal_length' \(column 2\) is missing/,
    },
    {
      name: "an unknown feature",
      body: { features: [{ ...good, petal_lenght: 1 }] },
      message: /row 0 has an unknown feature 'petal_lenght'; the model's features are sepal_length/,
    },
    {
      name: "a string",
      body: { features: [{ ...good, sepal_width: "3.5" }] },
      message: /row 0, feature 'sepal_width' \(column 1\) must be a finite number, got "3.5"/,
    },
    {
      name: "null",
      body: { features: [[5.1, null, 1.4, 0.2]] },
      message: /row 0, feature 'sepal_width' \(column 1\) must be a finite number, got null/,
    },
    {
      name: "Infinity (1e999 in JSON)",
      body: '{"features": [[5.1, 3.5, 1e999, 0.2]]}',
      message: /row 0, feature 'petal_length' \(column 2\) must be a finite number, got null|Infinity/,
    },
    {
      name: "beyond float32",
      body: { features: [[5.1, 3.5, 1e39, 0.2]] },
      message: /row 0, feature 'petal_length' \(column 2\) is 1e\+39, beyond the float32 range/,
    },
    {
      name: "out of the manifest's range (reject)",
      body: { features: [good, { ...good, petal_width: 7 }] },
      message: /row 1, feature 'petal_width' \(column 3\): 7 is above the model's range \[0, 3\]/,
    },
    { name: "a row that is a number", body: { features: [[5.1, 3.5, 1.4, 0.2], 4] }, message: /row 1 is 4; a row is/ },
    { name: "no rows", body: { features: [] }, message: /features has no rows/ },
    { name: "a bad top_k", body: { features: good, top_k: 0 }, message: /top_k/ },
  ];
  for (const { name, body, message } of cases) {
    it(name, async () => {
      const response = await call(`/v1/run/${MODEL}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(JSON.parse(text).error.message).toMatch(message);
      const next = await run(MODEL, { features: good, top_k: 1 });
      expect(next.status).toBe(200);
      expect(((await next.json()) as { label: string }[])[0]!.label).toBe("setosa");
    });
  }

  it("more rows than limits.maxItems is a 413", async () => {
    const response = await run(MODEL, { features: Array.from({ length: 129 }, () => good) });
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe("batch_too_large");
  });
});

describe("ranges that warn, units and the cache", () => {
  it("an out-of-range value of a bundled-style manifest (warn) is served with a Warning: 299 naming it", async () => {
    const manifest = {
      task: "tabular-regression",
      preprocess: {
        features: [{ name: "age", min: -0.1, max: 0.1 }, "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
        outOfRange: "warn",
      },
    };
    expect((await uploadModel("upload-warn", await repoFile(FILES["upload-regressor"]), { manifest })).status).toBe(
      201,
    );
    const row = [0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const response = await run("upload-warn", { features: [row, row.map(() => 0)] });
    expect(response.status).toBe(200);
    expect(response.headers.get("Warning")).toMatch(
      /^299 edge-maas ".*row 0, feature 'age' \(column 0\): 0.5 is above the model's range \[-0.1, 0.1\]"$/,
    );
  });

  it("meters one unit per row; an identical request is answered from the cache", async () => {
    const tenant = await createTenant({
      name: "tabular units",
      limits: { requestsPerMinute: 1000, monthlyUnits: 100 },
    });
    const { key } = await createKey(tenant.id);
    const rows = held["upload-zipmap-strings"]!.slice(0, 7).map((r) => r.features);
    expect((await run("upload-zipmap-strings", { features: rows }, key)).status).toBe(200);
    expect((await run("upload-zipmap-strings", { features: rows[0] }, key)).status).toBe(200);
    const cached = await run("upload-zipmap-strings", { features: rows }, key);
    expect(cached.headers.get("X-Cache")).toBe("HIT");
    expect((await json(admin(`/admin/tenants/${tenant.id}/usage`))).totals.units).toBe(15);
  });

  it("rows beyond limits.maxBatch run in several session calls and keep their order", async () => {
    const manifest = { task: "tabular-classification", limits: { maxBatch: 4 } };
    expect(
      (await uploadModel("upload-small-batch", await repoFile(FILES["upload-zipmap-strings"]), { manifest })).status,
    ).toBe(201);
    const rows = held["upload-zipmap-strings"]!;
    const response = await run("upload-small-batch", { features: rows.map((r) => r.features), top_k: 1 });
    expect(response.headers.get("Server-Timing")).toMatch(/infer;dur=[\d.]+;desc="10 session runs"/);
    const answers = (await response.json()) as { label: string }[][];
    expect(answers.map((a) => a[0]!.label)).toEqual(rows.map((r) => r.sklearn.label));
  });
});
