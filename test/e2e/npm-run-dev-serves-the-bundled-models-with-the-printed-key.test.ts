/**
 * The quick start as a new user meets it: `npm run dev` answers on its port, the key it wrote lists every bundled
 * model, the admin token it created opens the admin API, and onnxruntime is up before the first inference request.
 */
import { describe, expect, it } from "vitest";
import { bundledManifests } from "../../scripts/lib/bundled-models";
import { devServer } from "./dev-server";

describe("npm run dev", () => {
  it("is live and ready", async () => {
    const { baseUrl } = devServer();
    expect((await fetch(`${baseUrl}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/v2/health/ready`)).status).toBe(200);
  });

  it("lists every bundled model to the key it printed", async () => {
    const { baseUrl, apiKey } = devServer();
    const response = await fetch(`${baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(response.status).toBe(200);
    const listed = JSON.stringify(await response.json());
    for (const manifest of bundledManifests()) expect(listed).toContain(`"${manifest.name}"`);
  });

  it("opens the admin API to the token it created, and nothing else", async () => {
    const { baseUrl, adminToken } = devServer();
    expect(
      (await fetch(`${baseUrl}/admin/models`, { headers: { Authorization: `Bearer ${adminToken}` } })).status,
    ).toBe(200);
    expect((await fetch(`${baseUrl}/admin/models`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("started onnxruntime with its isolate, before any request needed it", async () => {
    const { baseUrl, adminToken } = devServer();
    const runtime = await fetch(`${baseUrl}/admin/runtime`, { headers: { Authorization: `Bearer ${adminToken}` } });
    const stats = (await runtime.json()) as { ortStartedBy: string | null; ortInitMillis: number };
    expect(stats.ortStartedBy).toBe("isolate");
    expect(stats.ortInitMillis).toBeGreaterThan(0);
  });
});
