/**
 * The typed client (src/client) in a real headless Chromium against `npm run dev`: bundled for the browser by
 * esbuild at test time (in memory, nothing downloaded) and loaded into the playground page, under that page's own
 * Content-Security-Policy (`script-src 'self'; connect-src 'self'`). There it lists the same models as Node's plain
 * `fetch` of `/v1/models`, answers a task call and an OIP inference (typed arrays in and out, binary and JSON) with
 * exactly what the same client answers in Node, and turns a wrong key into its one `EdgeMaasError` with code,
 * status and request id.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdgeMaasClient, EdgeMaasError } from "../../src/client";
import { devServer } from "./dev-server";
import { launchBrowser, type TestBrowser } from "./support/browser";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where the page loads the bundle from: same origin, so the playground's `script-src 'self'` allows it. */
const BUNDLE_PATH = "/__test__/edge-maas-client.js";
const WRONG_KEY = "emk_live_not_a_key";

let browser: TestBrowser;
let page: Page;
let errors: string[];

/** src/client as one browser script that puts its exports on `window.EdgeMaas`. */
async function browserBundle(): Promise<string> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/client/index.ts"],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "EdgeMaas",
    platform: "browser",
    target: ["chrome111", "firefox113", "safari16.4"],
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

beforeAll(async () => {
  const [code, launched] = await Promise.all([browserBundle(), launchBrowser()]);
  browser = launched;
  ({ page, errors } = await browser.page());
  page.setDefaultTimeout(15_000);
  const { baseUrl } = devServer();
  await page.route(`${baseUrl}${BUNDLE_PATH}`, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: code }),
  );
  await page.goto(`${baseUrl}/playground`);
  await page.addScriptTag({ url: `${baseUrl}${BUNDLE_PATH}` });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** The client's exports as the bundle left them on `window`. */
type Bundle = typeof import("../../src/client");

describe("the typed client in a real browser", () => {
  it("loads under the playground's CSP and lists the same models as Node's fetch of /v1/models", async () => {
    const { baseUrl, apiKey } = devServer();
    const fromNode = (await (
      await fetch(`${baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } })
    ).json()) as { data: { id: string }[] };
    const fromBrowser = await page.evaluate(
      async ({ baseUrl, apiKey }) => {
        const { createEdgeMaasClient } = (globalThis as unknown as { EdgeMaas: Bundle }).EdgeMaas;
        const models = await createEdgeMaasClient({ baseUrl, apiKey }).models.list();
        return models.data.map((m) => m.id);
      },
      { baseUrl, apiKey },
    );
    expect(fromBrowser.length).toBeGreaterThan(0);
    expect(fromBrowser.sort()).toEqual(fromNode.data.map((m) => m.id).sort());
  });

  it("a task call (lid-176) answers in the browser exactly as in Node", async () => {
    const { baseUrl, apiKey } = devServer();
    const input = { text: "Bonjour tout le monde, comment ça va ?" };
    const inNode = await createEdgeMaasClient({ baseUrl, apiKey }).run("lid-176", input);
    const inBrowser = await page.evaluate(
      async ({ baseUrl, apiKey, input }) => {
        const { createEdgeMaasClient } = (globalThis as unknown as { EdgeMaas: Bundle }).EdgeMaas;
        return createEdgeMaasClient({ baseUrl, apiKey }).run("lid-176", input);
      },
      { baseUrl, apiKey, input },
    );
    expect((inBrowser as { label: string }[])[0]!.label).toBe("fr");
    expect(inBrowser).toEqual(inNode);
  });

  it("OIP: ppocr-cls@1 on typed arrays, binary and JSON, gives a Float32Array equal to Node's, number for number", async () => {
    const { baseUrl, apiKey } = devServer();
    const shape = [2, 3, 48, 192];
    const x = Float32Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.sin(i * 12.9898));
    for (const binary of [true, false]) {
      const inNode = await createEdgeMaasClient({ baseUrl, apiKey }).oip.infer(
        "ppocr-cls",
        { inputs: [{ name: "x", shape, data: x }] },
        { version: "1", binary },
      );
      const inBrowser = await page.evaluate(
        async ({ baseUrl, apiKey, shape, values, binary }) => {
          const { createEdgeMaasClient } = (globalThis as unknown as { EdgeMaas: Bundle }).EdgeMaas;
          const result = await createEdgeMaasClient({ baseUrl, apiKey }).oip.infer(
            "ppocr-cls",
            { inputs: [{ name: "x", shape, data: Float32Array.from(values) }] },
            { version: "1", binary },
          );
          const output = result.outputs[0]!;
          return {
            type: output.data.constructor.name,
            shape: output.shape,
            values: Array.from(output.data as Float32Array),
          };
        },
        { baseUrl, apiKey, shape, values: Array.from(x), binary },
      );
      const output = inNode.outputs[0]!;
      expect(inBrowser.type, binary ? "binary" : "JSON").toBe("Float32Array");
      expect(inBrowser.shape).toEqual(output.shape);
      expect(inBrowser.values).toEqual(Array.from(output.data as Float32Array));
    }
  });

  it("a wrong key is the client's one EdgeMaasError with the code, status and a request id, as in Node", async () => {
    const { baseUrl } = devServer();
    const inNode = (await createEdgeMaasClient({ baseUrl, apiKey: WRONG_KEY, retry: false })
      .models.list()
      .catch((error: unknown) => error)) as EdgeMaasError;
    const refused = await page.evaluate(
      async ({ baseUrl, wrongKey }) => {
        const { createEdgeMaasClient, EdgeMaasError } = (globalThis as unknown as { EdgeMaas: Bundle }).EdgeMaas;
        try {
          await createEdgeMaasClient({ baseUrl, apiKey: wrongKey, retry: false }).models.list();
          return { thrown: false };
        } catch (error) {
          const e = error as InstanceType<typeof EdgeMaasError>;
          return {
            thrown: true,
            isEdgeMaasError: error instanceof EdgeMaasError,
            name: e.name,
            code: e.code,
            status: e.status,
            requestId: e.requestId,
          };
        }
      },
      { baseUrl, wrongKey: WRONG_KEY },
    );
    expect(refused).toMatchObject({
      thrown: true,
      isEdgeMaasError: true,
      name: "EdgeMaasError",
      code: "malformed_key",
      status: 401,
    });
    expect(inNode).toBeInstanceOf(EdgeMaasError);
    expect(refused).toMatchObject({ code: inNode.code, status: inNode.status });
    expect(refused.requestId).toMatch(/.+/);
    // Chromium logs the 401 it was answered ("Failed to load resource"); nothing else may be on the console
    expect(errors.filter((e) => !(e.startsWith("Failed to load resource") && e.includes("status of 401")))).toEqual([]);
  });
});
