/**
 * `npm run dev`: creates .dev.vars with a random ADMIN_TOKEN if there is none, starts `wrangler dev` on
 * http://127.0.0.1:8787 (`PORT` picks another port; local R2/KV/Durable Objects persisted under .wrangler/state),
 * seeds the bundled models through the admin API once the Worker answers, and makes sure .dev-api-key holds a
 * working API key of a local tenant. Ctrl-C stops everything.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundledManifests, ROOT, readRepoFile } from "./lib/bundled-models";
import { companionOf } from "./lib/companion";
import { ensureDevKey } from "./lib/dev-key";
import { seedModels } from "./lib/seed-models";
import { adminTokenIn, offlineEnv, waitUntilLive } from "./lib/wrangler";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);
const BASE_URL = `http://${HOST}:${PORT}`;
const KEY_FILE = process.env.EDGE_MAAS_KEY_FILE ?? join(ROOT, ".dev-api-key");

const token = ensureAdminToken(join(ROOT, ".dev.vars"));
const wrangler = spawn(
  join(ROOT, "node_modules", ".bin", "wrangler"),
  ["dev", "--ip", HOST, "--port", String(PORT), ...process.argv.slice(2)],
  { cwd: ROOT, env: offlineEnv(), stdio: ["inherit", "inherit", "inherit"] },
);
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => wrangler.kill("SIGINT"));

try {
  await waitUntilLive(BASE_URL, 120_000);
  const results = await seedModels({
    manifests: bundledManifests(),
    fetch,
    baseUrl: BASE_URL,
    token,
    readWeights: readRepoFile,
    optimize: companionOf,
    log: (line) => console.log(`[edge-maas] ${line}`),
  });
  const devKey = await ensureDevKey({ baseUrl: BASE_URL, adminToken: token, path: KEY_FILE });
  console.log(`[edge-maas] ${devKey.created ? "created" : "using"} an API key of tenant "local": ${KEY_FILE}`);
  const models = [...new Set(results.map((r) => r.model))];
  console.log(`[edge-maas] serving ${models.join(", ")} on ${BASE_URL} (API: ${BASE_URL}/openapi.json)`);
  console.log(`[edge-maas] try: curl -H "Authorization: Bearer $(cat ${KEY_FILE})" ${BASE_URL}/v2/models/${models[0]}`);
  // the key and token go in the fragment, which the browser never sends: the page keeps them in sessionStorage
  console.log(`[edge-maas] playground: ${BASE_URL}/playground#key=${devKey.key}`);
  console.log(`[edge-maas] console:    ${BASE_URL}/console#token=${token}`);
} catch (error) {
  console.error(`[edge-maas] could not seed the bundled models: ${(error as Error).message}`);
  wrangler.kill("SIGINT");
  process.exitCode = 1;
}

/** Returns the ADMIN_TOKEN from .dev.vars, creating the file (or the line) with a random token if missing. */
function ensureAdminToken(path: string): string {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const found = adminTokenIn(text);
  if (found) {
    console.log(`[edge-maas] admin token: ADMIN_TOKEN in ${path}`);
    return found;
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${text}${text && !text.endsWith("\n") ? "\n" : ""}ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  console.log(`[edge-maas] created an admin token: ADMIN_TOKEN in ${path}`);
  return token;
}
