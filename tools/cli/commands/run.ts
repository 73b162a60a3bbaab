/**
 * `edge-maas run <model> <text|file>`: the model's task on a text, or on a file (an image, a WAV file, a JSON
 * request body), with a tenant's API key. Prints the answer as JSON.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import type { Command } from "commander";
import type { RunFile } from "../../../src/client";
import { tenantClient } from "../config";
import { printJson } from "../output";
import { configOf } from "./context";

const MEDIA: Record<string, RunFile["contentType"]> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".wav": "audio/wav",
};

export function registerRun(program: Command): void {
  program
    .command("run <model> <input>")
    .description("Run a model's task on a text or a file (.png, .jpg, .wav, or .json for a request body)")
    .option("--query <name=value...>", "task options (top_k=3, ...)")
    .action(async (model: string, input: string, flags: { query?: string[] }, command: Command) => {
      const config = configOf(command);
      const query = Object.fromEntries((flags.query ?? []).map((pair) => pair.split("=", 2) as [string, string]));
      const client = tenantClient(config);
      const isFile = existsSync(input) && statSync(input).isFile();
      const extension = extname(input).toLowerCase();
      const answer = !isFile
        ? await client.run(model, { text: input }, { query })
        : extension === ".json"
          ? await client.run(model, JSON.parse(readFileSync(input, "utf8")), { query })
          : MEDIA[extension]
            ? await client.run(
                model,
                { body: new Uint8Array(readFileSync(input)), contentType: MEDIA[extension]! },
                { query },
              )
            : await client.run(model, { text: readFileSync(input, "utf8") }, { query });
      printJson(answer);
    });
}
