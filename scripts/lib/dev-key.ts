/**
 * The local developer's API key: `npm run dev` creates a tenant "local" with a key on first start and keeps the
 * plaintext in a git-ignored file (the server stores only its hash), re-creating it if the local state was wiped.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createTenantKey } from "./api-client";

const LOCAL_LIMITS = { requestsPerMinute: 6000, monthlyUnits: 10_000_000 };

export async function ensureDevKey({
  baseUrl,
  adminToken,
  path,
}: {
  baseUrl: string;
  adminToken: string;
  /** The file that keeps the key's plaintext. */
  path: string;
}): Promise<{ key: string; created: boolean }> {
  const saved = existsSync(path) ? readFileSync(path, "utf8").trim() : "";
  if (saved && (await fetch(`${baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${saved}` } })).ok)
    return { key: saved, created: false };
  const key = await createTenantKey({ baseUrl, adminToken }, { name: "local", limits: LOCAL_LIMITS }, "npm run dev");
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}
