/** The operator's side of `npm run dev` for e2e tests: admin calls, tenants with keys, and uploaded versions. */
import { expect } from "vitest";
import { devServer } from "../dev-server";

/** Calls the dev server with the admin token. */
export async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const { baseUrl, adminToken } = devServer();
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${adminToken}`);
  return fetch(`${baseUrl}${path}`, { ...init, headers });
}

/** Sends `body` as JSON with the admin token and expects `status`; returns the parsed answer. */
export async function adminJson(path: string, method: string, body: unknown, status: number): Promise<any> {
  const response = await admin(path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, `${method} ${path}: ${response.status}`).toBe(status);
  return response.json();
}

/** Creates a tensor model with one version per entry (the first becomes the default). */
export async function tensorModel(model: string, versions: [name: string, onnx: Uint8Array][]): Promise<void> {
  await adminJson(`/admin/models/${model}`, "PUT", { task: "tensor" }, 201);
  for (const [index, [version, bytes]] of versions.entries()) {
    const response = await admin(`/admin/models/${model}/versions/${version}${index === 0 ? "" : "?default=false"}`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    expect(response.status).toBe(201);
  }
}

/** A new tenant (limits no test reaches) and one API key of it. */
export async function tenantKey(name: string, metering: "exact" | "leased" = "exact"): Promise<string> {
  const limits = { requestsPerMinute: 1_000_000, monthlyUnits: 1_000_000_000 };
  const tenant = await adminJson("/admin/tenants", "POST", { name, limits, metering }, 201);
  return (await adminJson(`/admin/tenants/${tenant.id}/keys`, "POST", { name: "e2e" }, 201)).key;
}
