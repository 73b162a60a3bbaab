/**
 * A bounded fuzz run, in CI: 14 classes × 100 malformed requests (bad JSON, wrong types, ragged data, huge strings,
 * bad shapes, wrong datatypes, bad binary headers, prototype names, bad content types, oversized bodies, bad query
 * parameters, bad model references, bad credentials, bad task bodies), generated from a fixed seed against the
 * Worker in workerd. Every answer is a 4xx whose body is JSON in its route's error shape (OIP, OpenAI, ours) and
 * about 1 KB at most; the tenant that sent them is charged nothing (its ledger is read back); the WASM heap grows
 * by less than 10%; and a good request succeeds at the end.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import { multiInputOutput } from "./support/fixtures";
import { silentWav } from "./support/wav";
import { ADMIN_TOKEN, createKey, createTenant, json, seedBundled, uploadModel } from "./support/worker";

const PER_CLASS = 100;
/** Requests in flight at once. */
const IN_FLIGHT = 5;
const MAX_ERROR_BODY_BYTES = 1300;
/** The test Worker's body cap (vitest.config.ts) and the admin JSON cap (src/config.ts). */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_ADMIN_JSON_BYTES = 256 * 1024;
const MODEL = "fuzz-multi";
const INFER = `/v2/models/${MODEL}/infer`;
const PROTO_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

type Credentials = "tenant" | "admin" | "none" | { bearer: string };
interface Probe {
  path: string;
  init?: RequestInit;
  as?: Credentials;
}
type Generator = (rng: Rng, i: number) => Probe;

/** mulberry32: a fixed seed gives the same requests on every run. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  text(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.int(32, 126));
    return out;
  }
}

/** A request `fuzz-multi` accepts: a [2, 3] + b [3], scaled by k. */
const good = () => ({
  inputs: [
    { name: "a", datatype: "FP32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    { name: "b", datatype: "FP32", shape: [3], data: [1, 1, 1] },
    { name: "k", datatype: "INT64", shape: [], data: [2] },
  ],
});
type GoodBody = ReturnType<typeof good> & Record<string, unknown>;

const post = (path: string, body: unknown, type = "application/json", headers: Record<string, string> = {}) => ({
  path,
  init: {
    method: "POST",
    headers: { "Content-Type": type, ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  },
});
const mutate = (change: (body: GoodBody) => void): GoodBody => {
  const body = good() as GoodBody;
  change(body);
  return body;
};

function binary(header: unknown, payload: Uint8Array, headerLength?: string): Probe {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(head.byteLength + payload.byteLength);
  body.set(head);
  body.set(payload, head.byteLength);
  return post(INFER, body, "application/octet-stream", {
    "Inference-Header-Content-Length": headerLength ?? String(head.byteLength),
  });
}

const WAV = silentWav();
const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CLASSES: Record<string, Generator> = {
  "bad JSON": (rng) => {
    const text = JSON.stringify(good());
    const path = rng.pick([INFER, `/v1/run/${MODEL}`, "/v1/embeddings", `/admin/models/${MODEL}/versions/1/profile`]);
    const as: Credentials = path.startsWith("/admin") ? "admin" : "tenant";
    const body = rng.pick([
      () => text.slice(0, rng.int(0, text.length - 1)),
      () => `{${rng.text(rng.int(1, 40))}\u0000`,
      () => `${text},`,
      () => text.replace(/"/g, "'"),
      () => new Uint8Array(Array.from({ length: rng.int(1, 64) }, () => rng.int(0x80, 0xff))),
      () => rng.pick(["42", '"inputs"', "[]", "null", "true", "{}"]),
    ])();
    return { ...post(path, body), as };
  },

  "wrong types": (rng) => {
    const wrong: [string, (b: GoodBody) => void][] = [
      ["inputs", (b) => (b.inputs = rng.pick([{}, "x", 1, null, [], [1], [null]]) as never)],
      ["name", (b) => ((b.inputs[0] as Record<string, unknown>).name = rng.pick([5, null, "", [], {}]))],
      [
        "shape",
        (b) =>
          ((b.inputs[0] as Record<string, unknown>).shape = rng.pick([
            "2,3",
            [2.5, 3],
            [-1, 3],
            [true, 3],
            null,
            {},
            [[2], [3]],
          ])),
      ],
      ["datatype", (b) => ((b.inputs[0] as Record<string, unknown>).datatype = rng.pick([7, null, [], {}, true]))],
      ["data", (b) => ((b.inputs[0] as Record<string, unknown>).data = rng.pick(["abc", { a: 1 }, 5, true, null]))],
      ["element", (b) => ((b.inputs[1]!.data as unknown[])[rng.int(0, 2)] = rng.pick(["1", null, {}, [], true]))],
      ["parameters", (b) => (b.parameters = rng.pick([[1], "x", 5, { binary_data_output: {} }]))],
      [
        "binary size",
        (b) =>
          ((b.inputs[0] as Record<string, unknown>).parameters = { binary_data_size: rng.pick(["8", -8, 2.5, true]) }),
      ],
      ["outputs", (b) => (b.outputs = rng.pick(["sum", [{}], [{ name: 5 }], 7, [null]]))],
      ["id", (b) => ((b.id = rng.pick([5, {}, [], true])), ((b.inputs[2] as Record<string, unknown>).data = ["x"]))],
    ];
    return { ...post(INFER, mutate(rng.pick(wrong)[1])), as: "tenant" };
  },

  "ragged data": (rng) => {
    const corruptions: ((rows: unknown[][]) => unknown)[] = [
      (rows) => (rows[rng.int(0, 1)]!.pop(), rows),
      (rows) => (rows[rng.int(0, 1)]!.push(rng.int(0, 9)), rows),
      (rows) => [rows[0], rng.int(0, 9)],
      (rows) => ((rows[rng.int(0, 1)]![rng.int(0, 2)] = [rng.int(0, 9)]), rows),
      (rows) => [...rows, [7, 8, 9]],
      (rows) => [rows[0]],
      (rows) => rows.map((row) => [row]),
      (rows) => [rows.flat()],
      (rows) => [1, rows[1], 2, 3],
    ];
    const body = mutate(
      (b) =>
        (b.inputs[0]!.data = rng.pick(corruptions)([
          [1, 2, 3],
          [4, 5, 6],
        ]) as never),
    );
    return { ...post(rng.pick([INFER, `/v1/run/${MODEL}`]), body), as: "tenant" };
  },

  "huge strings": (rng) => {
    const huge = "x".repeat(rng.int(64 * 1024, 2 * 1024 * 1024));
    const short = huge.slice(0, 60 * 1024);
    return rng.pick<() => Probe>([
      () => ({
        ...post(
          INFER,
          mutate((b) => ((b.inputs[1]!.data as unknown[])[0] = huge)),
        ),
        as: "tenant",
      }),
      () => ({
        ...post(
          INFER,
          mutate((b) => (b.inputs[0]!.name = huge)),
        ),
        as: "tenant",
      }),
      () => ({
        ...post(
          INFER,
          mutate((b) => (b.inputs[0]!.datatype = huge)),
        ),
        as: "tenant",
      }),
      () => ({ ...post(INFER, { ...good(), outputs: [{ name: huge }] }), as: "tenant" }),
      () => ({ ...post(`/v2/models/${short}/infer`, good()), as: "tenant" }),
      () => ({ ...post("/v1/embeddings", { model: `fuzz-nope-${short}`, input: huge }), as: "tenant" }),
      () => ({ ...post(INFER, good(), `text/${short}`), as: "tenant" }),
      () => ({ ...post(INFER, good(), "application/json", { "Idempotency-Key": short }), as: "tenant" }),
    ])();
  },

  "bad shapes": (rng) => {
    const shapes: [number, unknown][] = [
      [0, [3, 3]],
      [0, [2, 3, 1]],
      [0, [2_147_483_647, 3]],
      [0, [1e10, 3]],
      [0, []],
      [0, new Array(rng.int(3, 100)).fill(1)],
      [0, [6]],
      [1, [4]],
      [1, [1, 3]],
      [2, [1]],
      [2, [2]],
    ];
    const [at, shape] = rng.pick(shapes);
    return {
      ...post(
        INFER,
        mutate((b) => (b.inputs[at]!.shape = shape as number[])),
      ),
      as: "tenant",
    };
  },

  "wrong datatypes": (rng) => {
    const changes: ((b: GoodBody) => void)[] = [
      (b) => (b.inputs[rng.int(0, 1)]!.datatype = rng.pick(["FP64", "FP16", "INT32", "UINT8", "INT64", "BYTES"])),
      (b) =>
        (b.inputs[rng.int(0, 2)]!.datatype = rng.pick(["FLOAT", "fp32", "float32", "INT128", "", "BF16", "STRING"])),
      (b) => (b.inputs[2]!.data = [rng.pick([2.5, 2 ** 60, -(2 ** 60), Number.NaN, "2", true])] as never),
      (b) => ((b.inputs[2]!.datatype = "BOOL"), (b.inputs[2]!.data = [true] as never)),
      (b) => (b.inputs[1]!.data = [true, false, true] as never),
    ];
    return { ...post(INFER, mutate(rng.pick(changes))), as: "tenant" };
  },

  "bad binary headers": (rng) => {
    const declared = (sizes: unknown[]) => ({
      inputs: good().inputs.map(({ data: _data, ...input }, i) => ({
        ...input,
        parameters: { binary_data_size: sizes[i] },
      })),
    });
    return rng.pick<() => Probe>([
      () =>
        binary(
          declared([24, 12, 8]),
          new Uint8Array(44),
          rng.pick(["abc", "-1", "1e3", "", " ", "99999999999", "0x10"]),
        ),
      () => binary(declared([24, 12, 8]), new Uint8Array(44), String(rng.int(100_000, 200_000))),
      () => binary(declared([24, 12, 8]), new Uint8Array(44), "0"),
      () => binary(declared([rng.int(25, 400), 12, 8]), new Uint8Array(44)),
      () => binary(declared([-24, 12, 8]), new Uint8Array(44)),
      () => binary(declared([23.5, 12, 8]), new Uint8Array(44)),
      () => binary(declared([24, 12, 8]), new Uint8Array(44 + rng.int(1, 64))),
      () => binary(declared([20, 12, 8]), new Uint8Array(40)),
      () => binary(declared([24, 12, 4]), new Uint8Array(40)),
      () => binary({ ...declared([24, 12, 8]), inputs: [] }, new Uint8Array(44)),
    ])();
  },

  "prototype names": (rng) => {
    const name = rng.pick(PROTO_NAMES);
    return rng.pick<() => Probe>([
      () => ({ ...post(`/v2/models/${name}/infer`, good()), as: "tenant" }),
      () => ({ ...post(`/v2/models/${MODEL}/versions/${name}/infer`, good()), as: "tenant" }),
      () => ({ path: `/v2/models/${MODEL}/versions/${name}/ready`, as: "tenant" }),
      () => ({ path: `/v2/models/${MODEL}/versions/${name}`, as: "tenant" }),
      () => ({ ...post(`/v1/run/${MODEL}@${name}`, good()), as: "tenant" }),
      () => ({
        ...post("/v1/embeddings", { model: rng.pick([name, `${MODEL}@${name}`]), input: "hello" }),
        as: "tenant",
      }),
      () => ({
        ...post(
          INFER,
          mutate((b) => (b.inputs[rng.int(0, 2)]!.name = name)),
        ),
        as: "tenant",
      }),
      () => ({ ...post(INFER, { ...good(), outputs: [{ name }] }), as: "tenant" }),
      () => ({ path: `/v1/models/${MODEL}@${name}`, as: "tenant" }),
      () => ({ path: `/admin/models/${MODEL}/versions/${name}`, init: { method: "DELETE" }, as: "admin" }),
      () => ({ path: `/admin/tenants/${name}/usage`, as: "admin" }),
      () => ({ path: `/admin/keys/${name}`, init: { method: "DELETE" }, as: "admin" }),
      () => ({ ...post(`/v1/run/silero-vad?${name}=1`, WAV, "audio/wav"), as: "tenant" }),
    ])();
  },

  "bad content types": (rng) => {
    const type = rng.pick([
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "image/png",
      "application/xml",
      "garbage",
      "application/jsonx",
      "audio/wav",
    ]);
    return rng.pick<() => Probe>([
      () => ({ ...post(INFER, good(), type), as: "tenant" }),
      () => ({ ...post(`/v1/run/${MODEL}`, good(), type), as: "tenant" }),
      () => ({ ...post("/v1/embeddings", { model: MODEL, input: "hi" }, type), as: "tenant" }),
      () => ({
        ...post("/v1/run/mnist-digits", WAV, rng.pick(["text/plain", "audio/wav", "image/gif", "image/webp"])),
        as: "tenant",
      }),
      () => ({ ...post("/v1/run/silero-vad", WAV, rng.pick(["image/png", "audio/mpeg", "text/csv"])), as: "tenant" }),
    ])();
  },

  "oversized bodies": (rng) =>
    rng.pick<() => Probe>([
      () => ({ ...post(INFER, OVERSIZED), as: "tenant" }),
      () => ({ ...post(`/v1/run/${MODEL}`, OVERSIZED), as: "tenant" }),
      () => ({ ...post("/v1/embeddings", OVERSIZED), as: "tenant" }),
      () => ({
        path: `/admin/models/${MODEL}`,
        init: { method: "PUT", headers: { "Content-Type": "application/json" }, body: OVERSIZED_ADMIN },
        as: "admin",
      }),
      () => ({
        path: INFER,
        init: {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: streamOf(MAX_REQUEST_BYTES + 1),
        },
        as: "tenant",
      }),
    ])(),

  "bad query parameters": (rng) =>
    rng.pick<() => Probe>([
      () => ({
        ...post(
          `/admin/models/${MODEL}/versions/1/profile?iterations=${rng.pick(["abc", "0", "1001", "-1", "1.5", ""])}`,
          good(),
        ),
        as: "admin",
      }),
      () => ({
        path: `/v1/usage?${rng.pick(["from=yesterday", "granularity=week", "from=2026-01-02&to=2026-01-01", "to=soon"])}`,
        as: "tenant",
      }),
      () => ({ path: `/v1/usage?granularity=hour&from=2020-01-01&to=2026-01-01`, as: "tenant" }),
      () => ({
        ...post(
          `/v1/run/silero-vad?${rng.pick(["threshold=2", "threshold=abc", "frames=maybe", "unknown=1", "threshold=0.5&threshold=0.6", "minSpeechDurationMs=-5"])}`,
          WAV,
          "audio/wav",
        ),
        as: "tenant",
      }),
      () => ({
        ...post(
          `/v1/run/mnist-digits?top_k=${rng.pick(["0", "-1", "abc", "1.5", ""])}`,
          new Uint8Array(PNG_SIGNATURE),
          "image/png",
        ),
        as: "tenant",
      }),
    ])(),

  "bad model references": (rng) => {
    const reference = rng.pick([
      "@x",
      `${MODEL}@`,
      `${MODEL}@1@2`,
      "UPPER-case",
      "-dash-first",
      "%00nul",
      "caf%C3%A9",
      "a".repeat(rng.int(65, 300)),
      `${MODEL}@no-such-version`,
      "no-such-model",
    ]);
    return rng.pick<() => Probe>([
      () => ({ ...post(`/v1/run/${reference}`, good()), as: "tenant" }),
      () => ({ ...post("/v1/embeddings", { model: decodeURIComponent(reference), input: "hello" }), as: "tenant" }),
      () => ({ ...post(`/v2/models/${reference}/infer`, good()), as: "tenant" }),
      () => ({ ...post(`/v2/models/${MODEL}/versions/${reference}/infer`, good()), as: "tenant" }),
      () => ({ path: `/v1/models/${reference}`, as: "tenant" }),
      () => ({ ...post("/v1/embeddings", { model: rng.pick(["", 123, null, ["x"]]), input: "hello" }), as: "tenant" }),
    ])();
  },

  "bad credentials": (rng) => {
    const bearer = rng.pick([
      "",
      "Bearer",
      "Basic dXNlcjpwYXNz",
      "Bearer emk_live_short",
      `Bearer emk_live_${rng.text(43).replace(/[^A-Za-z0-9_-]/g, "A")}`,
      `Bearer ${rng.text(rng.int(1, 80))}`,
      "bearer  test-admin-token-not",
    ]);
    return rng.pick<() => Probe>([
      () => ({ ...post(INFER, good()), as: { bearer } }),
      () => ({ ...post("/v1/embeddings", { model: MODEL, input: "x" }), as: { bearer } }),
      () => ({ path: "/v1/usage", as: { bearer } }),
      () => ({ path: "/admin/models", as: { bearer } }),
      () => ({ ...post(INFER, good()), as: "none" }),
    ])();
  },

  "bad task bodies": (rng) =>
    rng.pick<() => Probe>([
      () => ({
        ...post(
          "/v1/run/mnist-digits",
          rng.pick([
            { image: "notbytes" },
            { image: [300, -1] },
            { image: [] },
            {},
            { image: PNG_SIGNATURE, top_k: 0 },
            { image: [PNG_SIGNATURE, []] },
          ]),
        ),
        as: "tenant",
      }),
      () => ({ ...post("/v1/run/mnist-digits", { image: PNG_SIGNATURE }), as: "tenant" }),
      () => ({
        ...post(
          "/v1/run/silero-vad",
          rng.pick([
            { audio: "!!not base64" },
            { audio: [1, 2, 3] },
            { audio: "UklGRg==" },
            {},
            { audio: 5 },
            { audio: "", threshold: 2 },
          ]),
        ),
        as: "tenant",
      }),
      () => ({
        ...post(
          "/v1/embeddings",
          rng.pick([
            { model: MODEL, input: "a text" },
            { model: MODEL },
            { input: "x" },
            { model: MODEL, input: 5 },
            { model: MODEL, input: [] },
            { model: MODEL, input: "x", encoding_format: "hex" },
          ]),
        ),
        as: "tenant",
      }),
    ])(),
};

const OVERSIZED = new Uint8Array(MAX_REQUEST_BYTES + 1).fill(32);
const OVERSIZED_ADMIN = new Uint8Array(MAX_ADMIN_JSON_BYTES + 1).fill(32);

function streamOf(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(32);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const part = chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent));
      sent += part.byteLength;
      controller.enqueue(part);
    },
  });
}

let fuzzKey = "";
let tenantId = "";

/**
 * The Worker's own application, called in this isolate with the Worker's real bindings. (Calls through
 * `exports.default.fetch` slow down with every call a test has made, ~30 ms each after a few hundred: fine for
 * ordinary tests, too slow for 1,400 requests.)
 */
const worker = createApp();

async function send({ path, init = {}, as = "tenant" }: Probe): Promise<Response> {
  const headers = new Headers(init.headers);
  if (as === "tenant") headers.set("Authorization", `Bearer ${fuzzKey}`);
  else if (as === "admin") headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  else if (typeof as === "object" && as.bearer) headers.set("Authorization", as.bearer);
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edge-maas.test${path}`, { ...init, headers }), env, ctx);
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

/** Which error envelope a path answers with, decided from the specs rather than from the code under test. */
function expectErrorShape(path: string, body: { error?: unknown }, what: string): void {
  const { pathname } = new URL(path, "http://x");
  if (pathname === "/v2" || pathname.startsWith("/v2/")) {
    expect(typeof body.error, `${what}: OIP errors are {"error": string}`).toBe("string");
    return;
  }
  const error = body.error as Record<string, unknown>;
  expect(typeof error?.message, what).toBe("string");
  if (pathname === "/v1/embeddings" || pathname === "/v1/models" || pathname.startsWith("/v1/models/")) {
    expect(typeof error.type, `${what}: OpenAI's envelope has a type`).toBe("string");
    expect("code" in error && "param" in error, `${what}: OpenAI's envelope has code and param`).toBe(true);
  } else {
    expect(typeof error.code, what).toBe("string");
    expect(typeof error.requestId, what).toBe("string");
  }
}

const heap = async () => (await json(send({ path: "/admin/runtime", as: "admin" }))).wasmMemoryBytes as number;

beforeAll(async () => {
  expect((await uploadModel(MODEL, multiInputOutput())).status).toBe(201);
  await seedBundled("silero-vad", "mnist-digits");
  tenantId = (await createTenant({ name: "fuzz", limits: { requestsPerMinute: 1_000_000, monthlyUnits: 1_000_000 } }))
    .id;
  fuzzKey = (await createKey(tenantId)).key;
  // warm the runtime and the sessions with another tenant's request, so the heap is measured from a working state
  const warm = await createTenant({ name: "fuzz warm-up", limits: { requestsPerMinute: 100, monthlyUnits: 100 } });
  expect(
    (await send({ ...post(INFER, good()), as: { bearer: `Bearer ${(await createKey(warm.id)).key}` } })).status,
  ).toBe(200);
});

describe("malformed requests", () => {
  it(`${Object.keys(CLASSES).length} classes × ${PER_CLASS}: a clean 4xx each, nothing charged, the heap within 10%`, async () => {
    const heapBefore = await heap();
    const rng = new Rng(19);
    const failures: string[] = [];
    const statuses = new Map<string, Map<number, number>>();
    for (const [name, generate] of Object.entries(CLASSES)) {
      const counts = new Map<number, number>();
      statuses.set(name, counts);
      const probes = Array.from({ length: PER_CLASS }, (_, i) => generate(rng, i));
      // a few at a time, as clients would send them: waits on storage overlap, the answers must not change
      for (let start = 0; start < probes.length; start += IN_FLIGHT) {
        const batch = probes.slice(start, start + IN_FLIGHT);
        await Promise.all(
          batch.map(async (probe, offset) => {
            const what = `${name} #${start + offset}: ${probe.init?.method ?? "GET"} ${probe.path.slice(0, 120)}`;
            const response = await send(probe);
            const bytes = new Uint8Array(await response.arrayBuffer());
            counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
            const text = new TextDecoder().decode(bytes);
            if (response.status < 400 || response.status > 499) {
              failures.push(`${what} → ${response.status} ${text.slice(0, 300)}`);
              return;
            }
            expect(bytes.byteLength, `${what}: a bounded error body`).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
            expect(response.headers.get("X-Error-Code"), what).toBeTruthy();
            expectErrorShape(probe.path, JSON.parse(text), what);
          }),
        );
      }
    }
    expect(failures).toEqual([]);

    const usage = await json(send({ path: `/admin/tenants/${tenantId}/usage`, as: "admin" }));
    expect(
      Object.values(usage.totals).every((count) => count === 0),
      JSON.stringify(usage.totals),
    ).toBe(true);
    expect(usage.month).toMatchObject({ committedUnits: 0, reservedUnits: 0 });
    const heapAfter = await heap();
    expect(heapAfter, `WASM heap ${heapBefore} → ${heapAfter} bytes`).toBeLessThan(heapBefore * 1.1);
    console.log(
      "fuzz statuses by class:",
      JSON.stringify(Object.fromEntries([...statuses].map(([name, counts]) => [name, Object.fromEntries(counts)]))),
    );

    // the Worker still serves the tenant that sent them all
    const after = await send(post(INFER, good()));
    expect(after.status).toBe(200);
    await after.arrayBuffer();
  }, 300_000);
});
