/**
 * Monitoring under `npm run dev`, as an operator meets it: after a known mix of requests (successes, cache hits, 4xx,
 * two versions) `GET /metrics` parses with an independent Prometheus text parser (parse-prometheus-text-format) and
 * its counters equal the mix exactly, histogram buckets are cumulative and `+Inf` equals the count; Triton's
 * statistics validate (ajv) against a JSON Schema transcribed from Triton's statistics extension document and count
 * the same requests; and the server printed one JSON log line per request, with no key, token or input in it.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "../support/fixtures";
import { devServer } from "./dev-server";
import { admin, tensorModel } from "./support/admin";

const MODEL = `metrics-${crypto.randomUUID().slice(0, 8)}`;
/** A value no log line may contain: it is only ever sent as tensor data. */
const SECRET_INPUT = 73_914.625;

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string> }[] };

/** Triton's `$stats_model_response`, transcribed from its statistics extension (docs/protocol/extension_statistics.md). */
const durationStat = {
  type: "object",
  required: ["count", "ns"],
  properties: { count: { type: "number" }, ns: { type: "number" } },
};
const TRITON_STATS_SCHEMA = {
  type: "object",
  required: ["model_stats"],
  properties: {
    model_stats: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "last_inference", "inference_count", "execution_count", "inference_stats"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          last_inference: { type: "number" },
          inference_count: { type: "number" },
          execution_count: { type: "number" },
          inference_stats: {
            type: "object",
            required: ["success", "fail", "queue", "compute_input", "compute_infer", "compute_output"],
            properties: Object.fromEntries(
              [
                "success",
                "fail",
                "queue",
                "compute_input",
                "compute_infer",
                "compute_output",
                "cache_hit",
                "cache_miss",
              ].map((name) => [name, durationStat]),
            ),
          },
          response_stats: { type: "object", additionalProperties: { type: "object" } },
          batch_stats: {
            type: "array",
            items: {
              type: "object",
              required: ["batch_size", "compute_input", "compute_infer", "compute_output"],
              properties: {
                batch_size: { type: "number" },
                compute_input: durationStat,
                compute_infer: durationStat,
                compute_output: durationStat,
              },
            },
          },
          memory_usage: {
            type: "array",
            items: {
              type: "object",
              required: ["type", "id", "byte_size"],
              properties: { type: { type: "string" }, id: { type: "number" }, byte_size: { type: "number" } },
            },
          },
        },
      },
    },
  },
};

const sent: { requestId: string; status: number }[] = [];

async function send(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const { baseUrl, apiKey } = devServer();
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${init.key ?? apiKey}`);
  const response = await fetch(`${baseUrl}${path}`, { ...init, headers });
  await response.arrayBuffer();
  sent.push({ requestId: response.headers.get("X-Request-Id")!, status: response.status });
  return response;
}

function infer(version: string | undefined, input: Record<string, unknown>, cache = true): Promise<Response> {
  const path = version ? `/v2/models/${MODEL}/versions/${version}/infer` : `/v2/models/${MODEL}/infer`;
  return send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(cache ? {} : { "Cache-Control": "no-store" }) },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], ...input }] }),
  });
}

describe("monitoring under npm run dev", () => {
  beforeAll(async () => {
    await tensorModel(MODEL, [
      ["1", scaleBy(1)],
      ["2", scaleBy(3)],
    ]);

    // version 1 (the default): 3 computed, 2 cache hits, 2 refused (a wrong input name, a wrong datatype)
    for (const value of [1, 2, SECRET_INPUT])
      expect((await infer(undefined, { data: [value] })).headers.get("X-Cache")).toBe("MISS");
    for (let i = 0; i < 2; i++) expect((await infer(undefined, { data: [1] })).headers.get("X-Cache")).toBe("HIT");
    expect((await infer(undefined, { name: "nope", data: [1] })).status).toBe(400);
    expect((await infer(undefined, { datatype: "INT64", data: [1] })).status).toBe(400);
    // version 2: 2 computed (no cache), 1 refused
    for (const value of [5, 6]) expect((await infer("2", { data: [value] }, false)).status).toBe(200);
    expect((await infer("2", { shape: [1, 1], data: [[1]] })).status).toBe(400);
  });

  it("GET /metrics parses as Prometheus text and its counters equal the mix exactly", async () => {
    const response = await admin("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheusTextFormat(text) as Family[];
    const value = (name: string, labels: Record<string, string>) => {
      const family = families.find((f) => f.name === name);
      expect(family, name).toBeDefined();
      const matching = family!.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
      return matching.reduce((sum, m) => sum + Number(m.value), 0);
    };
    const v1 = { model: MODEL, version: "1" };
    const v2 = { model: MODEL, version: "2" };
    expect(families.find((f) => f.name === "edge_maas_requests_total")?.type).toBe("COUNTER");
    expect(value("edge_maas_requests_total", { ...v1, status: "2xx", code: "" })).toBe(5);
    expect(value("edge_maas_requests_total", { ...v1, status: "4xx", code: "tensor_mismatch" })).toBe(2);
    expect(value("edge_maas_requests_total", { ...v2, status: "2xx", code: "" })).toBe(2);
    expect(value("edge_maas_requests_total", { ...v2, status: "4xx" })).toBe(1);
    expect(value("edge_maas_cache_hits_total", v1)).toBe(2);
    expect(value("edge_maas_cache_hits_total", v2)).toBe(0);
    expect(value("edge_maas_units_total", v1)).toBe(5);
    expect(value("edge_maas_units_total", v2)).toBe(2);
    expect(value("edge_maas_executions_total", v1)).toBe(3);
    expect(value("edge_maas_executions_total", v2)).toBe(2);

    // this parser folds a labelled histogram's series into one, so its samples are read as plain series (the
    // document without the histograms' TYPE lines), each series' lines a family of their own
    const plain = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, "")) as Family[];
    for (const [labels, requests, ran] of [
      [v1, 7, 3],
      [v2, 3, 2],
    ] as const) {
      for (const [histogram, count] of [
        ["edge_maas_request_duration_seconds", requests],
        ["edge_maas_inference_duration_seconds", ran],
      ] as const) {
        const series = (name: string) =>
          plain
            .filter((f) => f.name === name)
            .flatMap((f) => f.metrics)
            .filter((m) => m.labels?.model === labels.model && m.labels?.version === labels.version);
        const buckets = series(`${histogram}_bucket`);
        const counts = buckets.map((m) => Number(m.value));
        expect(counts, `${histogram} buckets are cumulative`).toEqual([...counts].sort((a, b) => a - b));
        expect(buckets.at(-1)!.labels!.le).toBe("+Inf");
        const [total] = series(`${histogram}_count`);
        expect(Number(total!.value)).toBe(counts.at(-1));
        expect(counts.at(-1)).toBe(count);
      }
    }
  });

  it("Triton's statistics match the extension's schema and count the same requests", async () => {
    const { baseUrl, apiKey } = devServer();
    const get = async (path: string): Promise<any> => {
      const response = await fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
      expect(response.status, path).toBe(200);
      return response.json();
    };
    const validate = new Ajv({ allErrors: true, strict: false }).compile(TRITON_STATS_SCHEMA);
    const model = await get(`/v2/models/${MODEL}/stats`);
    expect(validate(model), JSON.stringify(validate.errors)).toBe(true);
    const stat = (version: string) => model.model_stats.find((s: { version: string }) => s.version === version);
    expect(stat("1")).toMatchObject({
      name: MODEL,
      inference_count: 3,
      execution_count: 3,
      inference_stats: {
        success: { count: 5 },
        fail: { count: 2 },
        cache_hit: { count: 2 },
        compute_infer: { count: 3 },
      },
    });
    expect(stat("2")).toMatchObject({
      inference_count: 2,
      execution_count: 2,
      inference_stats: { fail: { count: 1 } },
    });
    expect(stat("1").last_inference).toBeGreaterThan(Date.now() - 3_600_000);

    const one = await get(`/v2/models/${MODEL}/versions/2/stats`);
    expect(validate(one)).toBe(true);
    expect(one.model_stats).toEqual([stat("2")]);
    const all = await get("/v2/models/stats");
    expect(validate(all), JSON.stringify(validate.errors)).toBe(true);
    expect(all.model_stats.map((s: { name: string }) => s.name)).toContain(MODEL);
    const server = (await (await fetch(`${baseUrl}/v2`)).json()) as { extensions: string[] };
    expect(server.extensions).toContain("statistics");
  });

  it("wrote one JSON log line per request, without key, token or input", async () => {
    const { logFile, apiKey, adminToken } = devServer();
    // the lines are printed as the responses leave; give the dev server's output a moment to reach the file
    let lines: Record<string, unknown>[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      // the Worker's request lines (npm run dev's own banner prints the playground's link, key included)
      const requestLines = readFileSync(logFile, "utf8")
        .split("\n")
        .filter((line) => line.startsWith('{"msg":"request"'));
      for (const line of requestLines) {
        expect(line).not.toContain(apiKey);
        expect(line).not.toContain(adminToken);
      }
      lines = requestLines.map((line) => JSON.parse(line));
      if (sent.every(({ requestId }) => lines.some((line) => line.requestId === requestId))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const { requestId, status } of sent) {
      const mine = lines.filter((line) => line.requestId === requestId);
      expect(mine, requestId).toHaveLength(1);
      expect(mine[0]).toMatchObject({ status, route: expect.stringMatching(/\/infer$/) });
      expect(mine[0]!.model).toMatch(new RegExp(`^${MODEL}@[12]$`));
      const serialized = JSON.stringify(mine[0]);
      expect(serialized).not.toContain(String(SECRET_INPUT));
      expect(serialized).not.toContain("emk_live_");
    }
    const hit = lines.find((line) => line.requestId === sent[3]!.requestId)!;
    expect(hit).toMatchObject({
      cache: "HIT",
      units: 1,
      key: expect.stringMatching(/^key_/),
      tenant: expect.stringMatching(/^ten_/),
    });
    expect(Object.keys(hit.ms as object).sort()).toEqual(["auth", "infer", "queue", "total"]);
  });
});
