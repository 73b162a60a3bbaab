/**
 * A model as `GET /v1/models` lists it: OpenAI's model object (`id`, `object`, `created`, `owned_by`, so its SDKs
 * list and retrieve models), with what edge-maas adds: the task, versions and aliases, the tensors of the version
 * described, and the JSON Schemas of a `POST /v1/run/{model}` request and answer.
 */
import { z } from "@hono/zod-openapi";
import { own } from "../../lookup";
import { type Manifest, versionNames } from "../../registry/manifest";
import { featuresOf, TabularPreprocessSchema } from "../../tasks/tabular/rows";
import { SERVER_NAME } from "./server-info";
import { describeTask } from "./task-docs";

const TensorSchema = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });
const FeatureSchema = z.object({ name: z.string(), min: z.number().optional(), max: z.number().optional() });

export const ModelObjectSchema = z
  .object({
    id: z
      .string()
      .meta({ description: "the model's name, or `name@version` when retrieved so", example: "bert-fixture" }),
    object: z.literal("model"),
    created: z.number().int().meta({ description: "Unix seconds of the model's first upload" }),
    owned_by: z.string().meta({ description: `the owning tenant's id for a private model, else '${SERVER_NAME}'` }),
    task: z.string(),
    description: z.string().optional(),
    versions: z.array(z.string()),
    default: z.string().nullable().meta({ description: "the version the bare name resolves to (its `default` alias)" }),
    aliases: z.record(z.string(), z.string()),
    traffic: z
      .record(z.string(), z.record(z.string(), z.number()))
      .optional()
      .meta({ description: "aliases that split traffic: alias → {version: weight}" }),
    version: z.string().nullable().meta({ description: "the version `inputs` and `outputs` describe" }),
    inputs: z.array(TensorSchema).meta({ description: "-1 for dynamic dimensions" }),
    outputs: z.array(TensorSchema),
    features: z.array(FeatureSchema).optional().meta({
      description:
        "tabular models whose features have names: the features in column order, with the range the manifest gives; rows may be sent as objects of these names",
    }),
    schemas: z
      .object({
        contentTypes: z.array(z.string()),
        request: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema of the JSON request body" }),
        response: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema of the answer" }),
      })
      .nullable()
      .meta({ description: "how to call `POST /v1/run/{model}`: the content types it takes, request and answer" }),
  })
  .meta({ id: "Model" });

export const ModelListSchema = z
  .object({ object: z.literal("list"), data: z.array(ModelObjectSchema) })
  .meta({ id: "ModelList" });

export type ModelObject = z.infer<typeof ModelObjectSchema>;

/**
 * The model object of `manifest`, describing `version` (a version name; the default when absent).
 * @example modelObject(manifest, { id: "bert-fixture@1", version: "1" })
 */
export function modelObject(manifest: Manifest, described: { id?: string; version?: string } = {}): ModelObject {
  const version = described.version ?? manifest.aliases.default ?? null;
  const entry = version === null ? undefined : own(manifest.versions, version);
  const tensors = (specs: { name: string; datatype: string; shape: number[] | null }[] = []) =>
    specs.map((s) => ({ name: s.name, datatype: s.datatype, shape: s.shape ?? [-1] }));
  const uploads = Object.values(manifest.versions).map((v) => Date.parse(v.createdAt));
  const created = uploads.length > 0 ? Math.min(...uploads) : Date.parse(manifest.updatedAt);
  return {
    id: described.id ?? manifest.name,
    object: "model",
    created: Math.floor(created / 1000),
    owned_by: manifest.visibility === "private" && manifest.owner ? manifest.owner : SERVER_NAME,
    task: manifest.task,
    ...(manifest.description ? { description: manifest.description } : {}),
    versions: versionNames(manifest),
    default: manifest.aliases.default ?? null,
    aliases: manifest.aliases,
    ...(manifest.traffic ? { traffic: manifest.traffic } : {}),
    version: entry ? version : null,
    inputs: tensors(entry?.inputs),
    outputs: tensors(entry?.outputs),
    ...featureList(manifest, entry?.inputs),
    schemas: describeTask(manifest.task) ?? null,
  };
}

/** A tabular model's named features: from its manifest, or the names of its inputs when it takes one per feature. */
function featureList(
  manifest: Manifest,
  inputs: { name: string }[] = [],
): { features?: z.infer<typeof FeatureSchema>[] } {
  if (!manifest.task.startsWith("tabular-")) return {};
  const preprocess = TabularPreprocessSchema.safeParse(manifest.preprocess ?? {});
  const declared = preprocess.success ? featuresOf(preprocess.data) : undefined;
  const named = declared ?? (inputs.length > 1 ? inputs.map(({ name }) => ({ name })) : undefined);
  if (!named || named.some((f) => f.name === undefined)) return {};
  return {
    features: named.map(({ name, min, max }: { name?: string; min?: number; max?: number }) => ({
      name: name!,
      min,
      max,
    })),
  };
}
