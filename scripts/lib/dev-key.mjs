// The local developer's API key: `npm run dev` creates a tenant "local" with a key on first start and keeps the
// plaintext in a git-ignored file (the server stores only its hash), re-creating it if the local state was wiped.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const LOCAL_LIMITS = { requestsPerMinute: 6000, monthlyUnits: 10_000_000 };

/**
 * @param {{baseUrl: string, adminToken: string, path: string}} options
 * @returns {Promise<{key: string, created: boolean}>}
 */
export async function ensureDevKey({ baseUrl, adminToken, path }) {
  const saved = existsSync(path) ? readFileSync(path, "utf8").trim() : "";
  if (saved && (await fetch(`${baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${saved}` } })).ok)
    return { key: saved, created: false };

  const admin = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
  const tenant = await expectJson(
    await fetch(`${baseUrl}/admin/tenants`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "local", limits: LOCAL_LIMITS }),
    }),
  );
  const created = await expectJson(
    await fetch(`${baseUrl}/admin/tenants/${tenant.id}/keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "npm run dev" }),
    }),
  );
  writeFileSync(path, `${created.key}\n`, { mode: 0o600 });
  return { key: created.key, created: true };
}

async function expectJson(response) {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}
