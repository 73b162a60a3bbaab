/**
 * `edge-maas seed [models...]`: uploads the bundled models (models/*.json) into any server, local or remote, the
 * way `npm run dev` does. Versions already stored with the same bytes are skipped, so it is safe to run again.
 */
import type { Command } from "commander";
import { bundledManifests, readRepoFile } from "../../../scripts/lib/bundled-models";
import { companionOf } from "../../../scripts/lib/companion";
import { seedModels } from "../../../scripts/lib/seed-models";
import type { Config } from "../config";
import { CliError } from "../errors";
import { printRows } from "../output";
import { progressBar } from "../progress";
import { configOf } from "./context";

export function registerSeed(program: Command): void {
  program
    .command("seed [models...]")
    .description("Upload the bundled models (all, or those named) into the server")
    .action(async (names: string[], _flags: unknown, command: Command) => {
      const config = configOf(command);
      const results = await seed(config, names);
      printRows(config.json, results, results, { model: "model", version: "version", uploaded: "uploaded" });
    });
}

/** Seeds the bundled models, one progress step per model; shared with `deploy`. */
export async function seed(
  config: Config,
  names: string[] = [],
): Promise<{ model: string; version: string; uploaded: boolean }[]> {
  if (!config.adminToken)
    throw new CliError(
      "seeding needs the admin token: --admin-token, EDGE_MAAS_ADMIN_TOKEN or a profile's admin_token",
    );
  const all = bundledManifests();
  const unknown = names.filter((name) => !all.some((m) => m.name === name));
  if (unknown.length > 0)
    throw new CliError(`no bundled model ${unknown.join(", ")}; bundled: ${all.map((m) => m.name).join(", ")}`);
  const manifests = names.length === 0 ? all : all.filter((m) => names.includes(m.name));
  const bar = config.json ? undefined : progressBar("seeding", manifests.length, "items");
  const results = [];
  try {
    for (const [done, manifest] of manifests.entries()) {
      results.push(
        ...(await seedModels({
          manifests: [manifest],
          fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(300_000) }),
          baseUrl: config.url,
          token: config.adminToken,
          readWeights: readRepoFile,
          optimize: companionOf,
        })),
      );
      bar?.update(done + 1);
    }
  } catch (error) {
    throw seedError(error, config.url);
  } finally {
    bar?.stop();
  }
  return results;
}

/** seedModels reports failures as `what: HTTP status body`; keep the server's code and message on one line. */
function seedError(error: unknown, url: string): Error {
  const message = (error as Error).message ?? String(error);
  const http = /: HTTP (\d+) (.*)$/s.exec(message);
  if (http) {
    let body: { error?: string | { code?: string; message?: string } } = {};
    try {
      body = JSON.parse(http[2]!);
    } catch {}
    const inner = typeof body.error === "object" ? body.error : undefined;
    const text = inner?.message ?? (typeof body.error === "string" ? body.error : http[2]!.slice(0, 200));
    return new CliError(`${inner?.code ?? `http_${http[1]}`}: ${text} (HTTP ${http[1]})`);
  }
  if (error instanceof TypeError)
    return new CliError(`network_error: could not reach ${url}: ${(error.cause as Error)?.message ?? message}`);
  return error as Error;
}
