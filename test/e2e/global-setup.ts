/**
 * Starts `npm run dev` once for every e2e test file: a free port, fresh local state in a temporary folder, the
 * bundled models seeded and a tenant key created exactly as a new user's first run does. Test files read where it
 * runs with `devServer()` (./dev-server.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDevServer } from "../../scripts/lib/dev-server";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = mkdtempSync(join(tmpdir(), "edge-maas-e2e-"));
  const server = await startDevServer({ persistTo: state, echo: process.env.E2E_ECHO === "1" });
  project.provide("devServer", { baseUrl: server.baseUrl, adminToken: server.adminToken, apiKey: server.apiKey });
  return async () => {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  };
}
