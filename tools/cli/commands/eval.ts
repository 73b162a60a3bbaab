/**
 * `edge-maas eval --model <name[@version]> --data <file> [--compare <name@version>]`: scores a model on a labelled
 * set through the server's task API (scripts/eval.ts; `npm run eval` is an alias), with a progress bar. The server
 * and key come from the CLI's configuration.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Command } from "commander";
import { ROOT } from "../../../scripts/lib/bundled-models";
import { CliError } from "../errors";
import { configOf } from "./context";

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("Score a model on a labelled set (run 'edge-maas eval --help' for the data formats)")
    .allowUnknownOption()
    .helpOption(false)
    .argument("[options...]", "--model, --data, --compare, --json, --help: see scripts/eval.ts")
    .action((args: string[], _flags: unknown, command: Command) => {
      const config = configOf(command);
      if (!config.apiKey && !args.includes("--help") && !args.includes("-h"))
        throw new CliError("eval needs an API key: --api-key, EDGE_MAAS_API_KEY or a profile's api_key");
      const forwarded = [
        ...args,
        "--base-url",
        config.url,
        ...(config.apiKey ? ["--key", config.apiKey] : []),
        ...(config.json ? ["--json"] : []),
      ];
      const run = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), join(ROOT, "scripts", "eval.ts"), ...forwarded],
        {
          stdio: "inherit",
        },
      );
      if (run.status !== 0) process.exit(run.status === 2 ? 1 : (run.status ?? 1));
    });
}
