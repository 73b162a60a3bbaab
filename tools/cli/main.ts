/**
 * `edge-maas`: the operator's command line (docs/cli.md). One file per command under ./commands; configuration
 * from flags, env or profiles (./config.ts); `--json` or tables (./output.ts); one error printer (./errors.ts).
 *
 * @example
 *   npx edge-maas seed
 *   npx edge-maas models push my-model model.onnx --task tensor
 *   npx edge-maas keys create ten_… --name backend
 */
import { Command, CommanderError } from "commander";
import { registerDeploy } from "./commands/deploy";
import { registerEval } from "./commands/eval";
import { registerKeys } from "./commands/keys";
import { registerModels } from "./commands/models";
import { registerQuantize } from "./commands/quantize";
import { registerRun } from "./commands/run";
import { registerSeed } from "./commands/seed";
import { registerTenants } from "./commands/tenants";
import { registerUsage } from "./commands/usage";
import { exitWith } from "./errors";

process.on("uncaughtException", exitWith);
process.on("unhandledRejection", exitWith);

const program = new Command("edge-maas")
  .description("Operate an edge-maas server: models, tenants, keys, usage, seeding and deploying")
  .option("--url <url>", "the server (env EDGE_MAAS_URL; default: the profile's, else http://127.0.0.1:8787)")
  .option("--admin-token <token>", "the admin token (env EDGE_MAAS_ADMIN_TOKEN)")
  .option("--api-key <key>", "a tenant's API key (env EDGE_MAAS_API_KEY)")
  .option("--profile <name>", "a profile of the config file (env EDGE_MAAS_PROFILE; default: local)")
  .option("--json", "print JSON (for scripts) instead of tables")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.split("\n")[0]!.replace(/^error: /, "error: ") + "\n") });

for (const register of [
  registerModels,
  registerTenants,
  registerKeys,
  registerUsage,
  registerRun,
  registerQuantize,
  registerEval,
  registerSeed,
  registerDeploy,
])
  register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 1);
  exitWith(error);
}
