/**
 * Regressions: ragged nested `data` (`[[1,2,3], …781 zeros]` for shape [1,1,28,28]) was accepted with 200, read in
 * an order the caller never meant; and a JSON answer of any size was built as one string (a recognizer's 91.6 MiB
 * output ended in `RangeError: Invalid string length` at 2.3 GB of RSS). Nested data must now match the shape at
 * every level (400 otherwise; flat data still works), and JSON outputs over the server's bound are 413 before any
 * text is built, pointing at the binary extension, which carries the same answer; nothing is charged for the 413.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { writeOnnxModel } from "../src/onnx/writer";
import { decodeResponse, float32Of } from "./support/oip";
import {
  admin,
  createKey,
  createTenant,
  json,
  randomFloats,
  seedBundled,
  uploadModel,
  withKey,
} from "./support/worker";

let key = "";
let tenantId = "";

const infer = (model: string, body: unknown) =>
  withKey(key, `/v2/models/${model}/infer`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
const input = (name: string, shape: number[], data: unknown) => ({ name, datatype: "FP32", shape, data });

/** Nests flat row-major values as `shape` (written here, independently of the codec). */
function nest(values: number[], shape: number[]): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first! }, (_, i) => nest(values.slice(i * size, (i + 1) * size), rest));
}

async function committedUnits(): Promise<number> {
  return (await json(admin(`/admin/tenants/${tenantId}/usage`))).totals.units;
}

beforeAll(async () => {
  await seedBundled("mnist-digits");
  // y[n, m] = x[n, 1] · w[1, m]: a million outputs from two thousand inputs
  const outer = writeOnnxModel({
    inputs: [
      { name: "x", elemType: 1, dims: ["n", 1] },
      { name: "w", elemType: 1, dims: [1, "m"] },
    ],
    outputs: [{ name: "y", elemType: 1, dims: ["n", "m"] }],
    nodes: [{ opType: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
  });
  expect((await uploadModel("outer-product", outer)).status).toBe(201);
  const identity = writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: ["a", "b"] }],
    outputs: [{ name: "y", elemType: 1, dims: ["a", "b"] }],
    nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
  });
  expect((await uploadModel("identity-2d", identity)).status).toBe(201);
  tenantId = (await createTenant({ name: "json", limits: { requestsPerMinute: 1000, monthlyUnits: 1_000_000 } })).id;
  key = (await createKey(tenantId)).key;
});

describe("nested data matches the shape at every level", () => {
  const digit = Array.from(randomFloats(7, 784), (v) => Math.abs(v));
  const mnist = (data: unknown) => infer("mnist-digits", { inputs: [input("image", [1, 1, 28, 28], data)] });

  it("the reported case, [[1,2,3], then 781 numbers] for [1,1,28,28]: 400 naming where, then flat and nested both answer alike", async () => {
    const response = await mnist([[1, 2, 3], ...new Array(781).fill(0)]);
    expect(response.status).toBe(400);
    expect(response.headers.get("X-Error-Code")).toBe("invalid_request");
    expect((await json(response)).error).toMatch(
      /^input 'image' has ragged data: data is 782 items where shape \[1, 1, 28, 28\] needs 1 item;/,
    );
    const flat = float32Of((await decodeResponse(await mnist(digit))).outputs.logits!);
    const nested = float32Of((await decodeResponse(await mnist(nest(digit, [1, 1, 28, 28])))).outputs.logits!);
    expect(Array.from(nested)).toEqual(Array.from(flat));
  });

  const ragged: [string, unknown, RegExp][] = [
    [
      "a short row",
      [
        [1, 2, 3],
        [4, 5],
      ],
      /data\[1\] is 2 items where shape \[2, 3\] needs 3 items/,
    ],
    [
      "a row too many",
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      /data is 3 items where shape \[2, 3\] needs 2 items/,
    ],
    ["an element where a row belongs", [[1, 2, 3], 4], /data\[1\] is an element where shape \[2, 3\] needs 3 items/],
    [
      "an array where an element belongs",
      [
        [1, 2, [3]],
        [4, 5, 6],
      ],
      /data\[0\]\[2\] is an array where shape \[2, 3\] needs an element/,
    ],
    [
      "rows nested one level short of the shape",
      [[1, 2, 3, 4, 5, 6]],
      /data is 1 item where shape \[2, 3\] needs 2 items/,
    ],
  ];
  for (const [name, data, says] of ragged) {
    it(`${name}: 400, then the same values nested right answer 200`, async () => {
      const response = await infer("identity-2d", { inputs: [input("x", [2, 3], data)] });
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatch(says);
      const good = await infer("identity-2d", {
        inputs: [
          input(
            "x",
            [2, 3],
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
          ),
        ],
      });
      expect(Array.from(float32Of((await decodeResponse(good)).outputs.y!))).toEqual([1, 2, 3, 4, 5, 6]);
    });
  }
});

describe("JSON answers have a size bound; binary ones carry the rest", () => {
  const big = (parameters?: unknown, outputs?: unknown) => ({
    inputs: [
      input(
        "x",
        [1000, 1],
        Array.from({ length: 1000 }, (_, i) => i),
      ),
      input("w", [1, 1000], new Array(1000).fill(0.5)),
    ],
    ...(parameters ? { parameters } : {}),
    ...(outputs ? { outputs } : {}),
  });

  it("a million FP32 outputs as JSON: 413 response_too_large pointing at binary, nothing charged", async () => {
    const before = await committedUnits();
    const response = await infer("outer-product", big());
    expect(response.status).toBe(413);
    expect(response.headers.get("X-Error-Code")).toBe("response_too_large");
    const message = (await json(response)).error as string;
    expect(message).toMatch(/output 'y' has shape \[1000, 1000\]/);
    expect(message).toMatch(/binary_data_output/);
    expect(await committedUnits()).toBe(before);
  });

  it("the same request with binary outputs, for all or for that output: 200 with the exact product", async () => {
    for (const body of [
      big({ binary_data_output: true }),
      big(undefined, [{ name: "y", parameters: { binary_data: true } }]),
    ]) {
      const y = float32Of((await decodeResponse(await infer("outer-product", body))).outputs.y!);
      expect(y.length).toBe(1_000_000);
      expect([y[0], y[1001], y[999_999]]).toEqual([0, 0.5, 499.5]);
    }
  });
});
