/**
 * `edge-maas models push|ls|show|alias|rm-alias|rm-asset|rm-version|rm`: the model registry, through the admin API.
 * `push` uploads the manifest (when new, or when told), the assets, then the ONNX file with a progress bar, then
 * (unless `--no-optimize`) the graph optimized ahead of time by onnxruntime-node, which the version's sessions are
 * created from with optimizations off (a faster cold start).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { INPUT_FIELDS } from "../../../scripts/lib/seed-models";
import { type Companion, storeCompanion } from "../../../scripts/lib/store-companion";
import type { ManifestInput } from "../../../src/client";
import { readOnnxModel } from "../../../src/onnx/reader";
import type { OptimizationLevel } from "../../../src/registry/manifest";
import { MODES, type Mode, quantizeModel } from "../../quantize/quantize";
import { adminClient } from "../config";
import { CliError } from "../errors";
import { printJson, printRecord, printRows } from "../output";
import { progressBar } from "../progress";
import { configOf } from "./context";

interface PushFlags {
  version?: string;
  alias?: string[];
  task?: string;
  asset?: string[];
  quantize?: string;
  visibility?: "public" | "private";
  owner?: string;
  description?: string;
  default: boolean;
  optimize: boolean;
}

export function registerModels(program: Command): void {
  const models = program.command("models").description("Upload, list, alias and delete models");

  models
    .command("push <name> <file>")
    .description("Upload an .onnx file as a version of a model (created if new)")
    .option("--version <version>", "the version's name (default: one more than the highest numbered version)")
    .option("--alias <alias...>", "aliases to point at the new version")
    .option("--task <task>", "the model's task (tensor, text-classification, ...; new models default to tensor)")
    .option("--asset <file...>", "files the task needs (tokenizer.json, a vocabulary), uploaded first")
    .option("--quantize <mode>", `quantize before uploading (${MODES.join(", ")})`)
    .option("--visibility <visibility>", "public or private")
    .option("--owner <tenant>", "the owning tenant of a private model")
    .option("--description <text>", "what the model does")
    .option("--no-default", "do not move the default alias to this version")
    .option("--no-optimize", "do not upload the graph optimized ahead of time (sessions then optimize it on creation)")
    .action(async (name: string, file: string, flags: PushFlags, command: Command) => {
      const config = configOf(command);
      const client = adminClient(config);
      let bytes: Uint8Array = new Uint8Array(readFileSync(file));
      try {
        readOnnxModel(bytes); // before anything changes on the server
      } catch (error) {
        throw new CliError(`${file} is not an ONNX model: ${(error as Error).message}`);
      }
      const assets = (flags.asset ?? []).map((path) => ({
        name: basename(path),
        bytes: new Uint8Array(readFileSync(path)),
      }));
      if (flags.visibility && !["public", "private"].includes(flags.visibility))
        throw new CliError(`--visibility is public or private (got '${flags.visibility}')`);
      if (flags.quantize) {
        if (!MODES.includes(flags.quantize as Mode))
          throw new CliError(`unknown --quantize mode '${flags.quantize}'; modes: ${MODES.join(", ")}`);
        bytes = quantizeModel(bytes, { mode: flags.quantize as Mode }).bytes;
      }

      const existing = await client.admin.models.get(name).catch((error: { code?: string }) => {
        if (error.code === "model_not_found") return undefined;
        throw error;
      });
      const changes: Partial<ManifestInput> = {
        ...(flags.task ? { task: flags.task as ManifestInput["task"] } : {}),
        ...(flags.visibility ? { visibility: flags.visibility } : {}),
        ...(flags.owner ? { owner: flags.owner } : {}),
        ...(flags.description ? { description: flags.description } : {}),
      };
      if (!existing || Object.keys(changes).length > 0) {
        const kept = existing
          ? Object.fromEntries(INPUT_FIELDS.flatMap((k) => (existing[k] === undefined ? [] : [[k, existing[k]]])))
          : {};
        await client.admin.models.put(name, { task: "tensor", ...kept, ...changes } as ManifestInput);
      }
      for (const asset of assets) await client.admin.models.uploadAsset(name, asset.name, asset.bytes);

      const version = flags.version ?? nextVersion(Object.keys(existing?.versions ?? {}));
      const bar = config.json ? undefined : progressBar(`uploading ${name}@${version}`, bytes.byteLength, "bytes");
      const uploaded = await client.admin.models
        .uploadVersion(name, version, bytes, {
          makeDefault: flags.default,
          onProgress: bar ? (sent, total) => bar.update(sent, total) : undefined,
        })
        .finally(() => bar?.stop());
      for (const alias of flags.alias ?? []) await client.admin.models.setAlias(name, alias, version);
      const optimized = flags.optimize
        ? await pushOptimized(client, name, version, bytes)
        : "not asked (--no-optimize)";
      if (config.json) return printJson({ ...uploaded, aliases: flags.alias ?? [], optimized });
      printRecord(false, {
        model: uploaded.model,
        version: uploaded.version,
        sha256: uploaded.sha256,
        bytes: uploaded.bytes,
        default: uploaded.default,
        inputs: uploaded.inputs.map((t) => `${t.name} ${t.datatype} [${(t.shape ?? []).join(", ")}]`),
        outputs: uploaded.outputs.map((t) => `${t.name} ${t.datatype} [${(t.shape ?? []).join(", ")}]`),
        optimized:
          typeof optimized === "string"
            ? optimized
            : `${optimized.sha256} (${optimized.bytes} bytes, ${optimized.level} level)`,
      });
    });

  models
    .command("ls")
    .description("List models")
    .action(async (_flags: unknown, command: Command) => {
      const config = configOf(command);
      const listed = await adminClient(config).admin.models.list();
      printRows(config.json, listed, listed.models, {
        name: "name",
        task: "task",
        visibility: "visibility",
        versions: "versions",
        aliases: "aliases",
      });
    });

  models
    .command("show <name>")
    .description("A model's manifest: versions, aliases, assets")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const manifest = await adminClient(config).admin.models.get(name);
      if (config.json) return printJson(manifest);
      const { versions, aliases, assets, ...rest } = manifest;
      printRecord(false, { ...rest, aliases, assets: Object.keys(assets ?? {}) });
      printRows(
        false,
        versions,
        Object.entries(versions).map(([version, entry]) => ({ version, ...entry })),
        { version: "version", sha256: "sha256", bytes: "bytes", created: "createdAt" },
      );
    });

  models
    .command("alias <name> <alias> <version>")
    .description("Point an alias at a version")
    .action(async (name: string, alias: string, version: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const manifest = await adminClient(config).admin.models.setAlias(name, alias, version);
      printRecord(config.json, config.json ? manifest : { model: name, aliases: manifest.aliases });
    });

  models
    .command("rm-alias <name> <alias>")
    .description("Delete an alias (not default)")
    .action(async (name: string, alias: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const manifest = await adminClient(config).admin.models.deleteAlias(name, alias);
      printRecord(config.json, config.json ? manifest : { model: name, aliases: manifest.aliases });
    });

  models
    .command("rm-asset <name> <asset>")
    .description("Delete an asset (versions that pinned it keep it)")
    .action(async (name: string, asset: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const manifest = await adminClient(config).admin.models.deleteAsset(name, asset);
      printRecord(config.json, config.json ? manifest : { model: name, assets: Object.keys(manifest.assets ?? {}) });
    });

  models
    .command("rm-version <name> <version>")
    .description("Delete a version")
    .action(async (name: string, version: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const manifest = await adminClient(config).admin.models.deleteVersion(name, version);
      printRecord(config.json, config.json ? manifest : { model: name, versions: Object.keys(manifest.versions) });
    });

  models
    .command("rm <name>")
    .description("Delete a model and all its weights")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      await adminClient(config).admin.models.delete(name);
      printRecord(config.json, { deleted: name });
    });
}

/** One more than the highest numbered version ("1" for a new model). */
function nextVersion(versions: string[]): string {
  const numbers = versions.map(Number).filter((n) => Number.isSafeInteger(n) && n >= 0);
  return String(numbers.length === 0 ? 1 : Math.max(...numbers) + 1);
}

/**
 * Writes the version's graph optimized ahead of time with onnxruntime-node and uploads it. The version is stored
 * already: a graph that cannot be made or that the server refuses is reported, and the version is served as uploaded.
 */
async function pushOptimized(
  client: ReturnType<typeof adminClient>,
  name: string,
  version: string,
  bytes: Uint8Array,
): Promise<{ sha256: string; bytes: number; level: OptimizationLevel } | string> {
  let companionOf: (model: Uint8Array, level: OptimizationLevel) => Promise<Companion>;
  try {
    ({ companionOf } = await import("../../../scripts/lib/companion"));
  } catch (error) {
    return `not made (${(error as Error).message}); is onnxruntime-node installed (npm ci)? --no-optimize skips it`;
  }
  try {
    const result = await storeCompanion(
      (level) => companionOf(bytes, level),
      (graph, level) => client.admin.models.uploadOptimized(name, version, graph, level),
    );
    if ("notStored" in result) return `not stored: ${result.notStored}`;
    const { sha256, bytes: size, level } = result.stored.optimized;
    return { sha256, bytes: size, level };
  } catch (error) {
    return `not made: onnxruntime-node could not optimize it (${(error as Error).message}); --no-optimize skips it`;
  }
}
