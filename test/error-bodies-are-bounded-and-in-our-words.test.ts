/**
 * Regressions: a 15 MiB string in `data` came back as a 15 MiB 400, and onnxruntime's own text reached callers:
 * C++ build paths (`/mnt/…/onnxruntime/core/…h:563`), signatures, node names. Every route shape (OIP, task and
 * OpenAI-style routes, admin) now answers at most about 1 KB whatever it echoes, and real failing models and inputs
 * are explained by operator, input and what was wrong, with nothing of onnxruntime's build in the message. After
 * each refusal a good request still succeeds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { float32Initializer, type ModelSpec, type NodeSpec, writeOnnxModel } from "../src/onnx/writer";
import { scaleBy } from "./support/fixtures";
import { admin, anonymous, call, createKey, createTenant, json, uploadModel, withKey } from "./support/worker";

/** The envelope and the request id around a message of at most 1,024 bytes. */
const MAX_ERROR_BODY_BYTES = 1024 + 200;
const FLOAT = 1;
const INT64 = 7;

const postJson = (path: string, body: unknown, send = call) =>
  send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const scaleInputs = (data: unknown[] = [1, 2, 3], name = "x") => ({
  inputs: [{ name, datatype: "FP32", shape: [data.length], data }],
});

/** The message of an error body, whichever envelope its route uses. */
function messageOf(body: { error: string | { message: string } }): string {
  return typeof body.error === "string" ? body.error : body.error.message;
}

async function expectGoodRequestStillWorks(): Promise<void> {
  const response = await postJson("/v2/models/echo-scale/infer", scaleInputs());
  expect(response.status).toBe(200);
}

let key = "";

beforeAll(async () => {
  expect((await uploadModel("echo-scale", scaleBy(2))).status).toBe(201);
  const tenant = await createTenant({ name: "bounded", limits: { requestsPerMinute: 10_000, monthlyUnits: 10_000 } });
  key = (await createKey(tenant.id)).key;
});

describe("error bodies are bounded on every route shape", () => {
  const huge = "x".repeat(3 * 1024 * 1024);
  const big = "y".repeat(64 * 1024);
  const cases: { name: string; send: () => Promise<Response>; status: number; says?: RegExp }[] = [
    {
      name: "OIP: a 3 MiB string where a number belongs",
      send: () => postJson("/v2/models/echo-scale/infer", scaleInputs([1, huge, 3])),
      status: 400,
      says: /input 'x' element 1 \("x{64}…" \(3145728 characters\)\) is not a number/,
    },
    {
      name: "OIP: an input name of 1 MiB",
      send: () => postJson("/v2/models/echo-scale/infer", scaleInputs([1], huge.slice(0, 1024 * 1024))),
      status: 400,
      says: /^unknown input 'x+ … \(\d+ characters cut\) … x+'; the model takes 'x'$/,
    },
    {
      name: "OIP: a model name of 64 KiB in the path",
      send: () => postJson(`/v2/models/${big}/infer`, scaleInputs()),
      status: 404,
      says: /does not exist$/,
    },
    {
      name: "task route: a Content-Type of 64 KiB",
      send: () =>
        call("/v1/run/echo-scale", { method: "POST", headers: { "Content-Type": `text/${big}` }, body: "{}" }),
      status: 415,
    },
    {
      name: "OpenAI-style route: a model name of 1 MiB",
      send: () => postJson("/v1/embeddings", { model: huge.slice(0, 1024 * 1024), input: "hello" }),
      status: 404,
    },
    {
      name: "tenant route: a query value of 64 KiB",
      send: () => withKey(key, `/v1/usage?from=${big}`),
      status: 400,
    },
    {
      name: "admin route: a manifest with an unknown field named by 200 KiB",
      send: () =>
        admin("/admin/models/echo-manifest", {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ task: "tensor", [big.repeat(3)]: 1 }),
        }),
      status: 400,
    },
    { name: "admin route: a tenant id of 64 KiB", send: () => admin(`/admin/tenants/${big}`), status: 404 },
    { name: "no route: a path of 64 KiB", send: () => anonymous(`/${big}`), status: 404 },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} in at most ${MAX_ERROR_BODY_BYTES} bytes`, async () => {
      const response = await c.send();
      const body = new Uint8Array(await response.arrayBuffer());
      expect(response.status).toBe(c.status);
      expect(body.byteLength).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
      const message = messageOf(JSON.parse(new TextDecoder().decode(body)));
      if (c.says) expect(message).toMatch(c.says);
      await expectGoodRequestStillWorks();
    });
  }
});

/** What no message may contain: source locations, C++ names, node names, Emscripten's abort text. */
const INTERNALS = /\.(h|cc|cpp):\d+|\/mnt\/|onnxruntime::|::|Aborted|ASSERTIONS|was false|Name:'|secret_node/;

const io = (name: string, elemType: number, dims: ModelSpec["inputs"][number]["dims"]) => ({ name, elemType, dims });
/** One node, named so that a leaked node name would show; it reads the graph's inputs, then its initializers. */
const oneNode = (
  opType: string,
  inputs: ModelSpec["inputs"],
  extra: Partial<ModelSpec> = {},
  node: Partial<NodeSpec> = {},
): Uint8Array =>
  writeOnnxModel({
    inputs,
    outputs: [io("y", FLOAT, null)],
    nodes: [
      {
        opType,
        name: "/secret_node/layer.3/Op_7",
        inputs: [...inputs.map((input) => input.name), ...(extra.initializers ?? []).map((i) => i.name)],
        outputs: ["y"],
        ...node,
      },
    ],
    ...extra,
  });

const f32 = (name: string, shape: number[]) => ({
  name,
  datatype: "FP32",
  shape,
  data: new Array(shape.reduce((a, b) => a * b, 1)).fill(1),
});
const i64 = (name: string, data: number[]) => ({ name, datatype: "INT64", shape: [data.length], data });

describe("onnxruntime's failures in our words", () => {
  const runs: { model: string; bytes: () => Uint8Array; inputs: unknown[]; says: RegExp }[] = [
    {
      model: "ort-reshape",
      bytes: () => oneNode("Reshape", [io("x", FLOAT, ["n"]), io("s", INT64, [1])]),
      inputs: [f32("x", [6]), i64("s", [4])],
      says: /^operator Reshape failed on these inputs: a tensor of shape \[6\] cannot be reshaped to \[4\]$/,
    },
    {
      model: "ort-gather",
      bytes: () =>
        oneNode(
          "Gather",
          [io("i", INT64, ["n"])],
          { initializers: [float32Initializer("table", [3, 2], [1, 2, 3, 4, 5, 6])] },
          { inputs: ["table", "i"] },
        ),
      inputs: [i64("i", [0, 9])],
      says: /^operator Gather failed on these inputs: index 9 is outside \[-3, 2\]$/,
    },
    {
      model: "ort-matmul",
      bytes: () => oneNode("MatMul", [io("a", FLOAT, ["m", "k"]), io("b", FLOAT, ["k2", "n"])]),
      inputs: [f32("a", [2, 3]), f32("b", [4, 5])],
      says: /^operator MatMul failed on these inputs: the inner dimensions of its two inputs differ$/,
    },
    {
      model: "ort-concat",
      bytes: () =>
        oneNode("Concat", [io("a", FLOAT, ["m", "k"]), io("b", FLOAT, ["m2", "n"])], {}, { attributes: { axis: 0 } }),
      inputs: [f32("a", [2, 3]), f32("b", [4, 5])],
      says: /^operator Concat failed on these inputs: its inputs differ on axis 1 \(5 against 3\)$/,
    },
    {
      model: "ort-add",
      bytes: () => oneNode("Add", [io("a", FLOAT, ["m"]), io("b", FLOAT, ["n"])]),
      inputs: [f32("a", [3]), f32("b", [4])],
      says: /cannot be broadcast together \(a dimension of 3 against 4\)$/,
    },
    {
      model: "ort-conv",
      bytes: () =>
        oneNode("Conv", [io("x", FLOAT, ["n", "c", "h", "w"])], {
          initializers: [float32Initializer("w", [1, 1, 3, 3], new Array(9).fill(1))],
        }),
      inputs: [f32("x", [1, 2, 5, 5])],
      says: /^operator Conv failed on these inputs: the input has 2 channels where its weights take 1$/,
    },
  ];

  for (const run of runs) {
    it(`${run.model}: 400 that says ${run.says.source.slice(0, 60)}…`, async () => {
      const uploaded = await uploadModel(run.model, run.bytes());
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
      const response = await postJson(`/v2/models/${run.model}/infer`, { inputs: run.inputs });
      expect(response.status).toBe(400);
      expect(response.headers.get("X-Error-Code")).toBe("inference_failed");
      const message = messageOf(await json(response));
      expect(message).toMatch(run.says);
      expect(message).not.toMatch(INTERNALS);
      await expectGoodRequestStillWorks();
    });
  }

  const uploads: { model: string; bytes: () => Uint8Array; says: RegExp }[] = [
    {
      model: "ort-mixed-types",
      bytes: () => oneNode("Add", [io("a", FLOAT, [1]), io("b", INT64, [1])]),
      says: /operator Add receives inputs of different types \(float and int64\)/,
    },
    {
      model: "ort-wrong-input-type",
      bytes: () =>
        oneNode("Gather", [io("i", INT64, ["n"])], {
          initializers: [float32Initializer("table", [3, 2], [1, 2, 3, 4, 5, 6])],
        }),
      says: /operator Gather does not accept float for its input 'table'/,
    },
    {
      model: "ort-dangling",
      bytes: () =>
        writeOnnxModel({
          inputs: [io("a", FLOAT, [1])],
          outputs: [io("y", FLOAT, [1])],
          nodes: [{ opType: "Add", name: "/secret_node/Add", inputs: ["a", "nowhere"], outputs: ["y"] }],
        }),
      says: /a node reads 'nowhere', which is neither a graph input, an initializer nor another node's output/,
    },
    {
      model: "ort-shapes",
      bytes: () => oneNode("MatMul", [io("a", FLOAT, [2, 3]), io("b", FLOAT, [4, 5])]),
      says: /shape inference failed: Incompatible dimensions for matrix multiplication/,
    },
    {
      model: "ort-opset",
      bytes: () => oneNode("Relu", [io("a", FLOAT, [2])], { opset: 999 }),
      says: /the model imports opset 999 of ai\.onnx; onnxruntime-web supports up to opset \d+/,
    },
    {
      model: "ort-cycle",
      bytes: () =>
        writeOnnxModel({
          inputs: [io("a", FLOAT, [2])],
          outputs: [io("y", FLOAT, null)],
          nodes: [
            { opType: "Add", inputs: ["a", "z"], outputs: ["y"] },
            { opType: "Relu", inputs: ["y"], outputs: ["z"] },
          ],
        }),
      says: /the graph has a cycle/,
    },
  ];

  for (const upload of uploads) {
    it(`an upload onnxruntime refuses (${upload.model}): 422 in our words, nothing stored`, async () => {
      const response = await uploadModel(upload.model, upload.bytes());
      expect(response.status).toBe(422);
      const message = messageOf(await json(response));
      expect(message).toMatch(upload.says);
      expect(message).not.toMatch(INTERNALS);
      expect((await json(admin(`/admin/models/${upload.model}`))).versions).toEqual({});
      await expectGoodRequestStillWorks();
    });
  }
});
