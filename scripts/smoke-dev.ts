/**
 * Smoke test of the quick start: runs `npm run dev` on a spare port with fresh state, waits until it has seeded the
 * bundled models, checks that each answers OIP metadata, one inference and (for task models) one task request on
 * /v1/run, then stops it like Ctrl-C does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectOk } from "./lib/api-client";
import { bundledManifests } from "./lib/bundled-models";
import { startDevServer } from "./lib/dev-server";
import { sampleInputs } from "./lib/sample-inputs";
import { taskSample } from "./lib/task-samples";

const state = mkdtempSync(join(tmpdir(), "edge-maas-smoke-"));
const server = await startDevServer({ persistTo: state, echo: true });
try {
  for (const manifest of bundledManifests()) {
    const auth = { Authorization: `Bearer ${server.apiKey}` };
    const metadata = (await (
      await fetch(`${server.baseUrl}/v2/models/${manifest.name}`, { headers: auth })
    ).json()) as {
      name?: string;
    };
    if (metadata.name !== manifest.name) throw new Error(`metadata of ${manifest.name}: ${JSON.stringify(metadata)}`);
    await expectOk(
      fetch(`${server.baseUrl}/v2/models/${manifest.name}/infer`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ inputs: sampleInputs(manifest) }),
      }),
      `infer ${manifest.name}`,
    );
    const task = taskSample(manifest);
    if (task) {
      const answer = await expectOk(
        fetch(`${server.baseUrl}/v1/run/${manifest.name}`, {
          method: "POST",
          headers: { ...auth, ...task.headers },
          body: task.body,
        }),
        `${manifest.task} on ${manifest.name}`,
      );
      console.log(`[smoke] ${manifest.name}: ${manifest.task} on ${task.what}: ${(await answer.text()).slice(0, 120)}`);
    }
    console.log(`[smoke] ${manifest.name}: metadata and inference OK`);
  }
  console.log("[smoke] npm run dev serves every bundled model");
} finally {
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
