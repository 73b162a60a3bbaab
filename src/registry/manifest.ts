/**
 * The model manifest stored at `models/{model}/manifest.json` (docs/architecture.md, "Models in R2"), and the part of it an
 * operator may set. Versions' signatures, digests and sizes are written by the server, never by the caller.
 */
import { z } from "zod";
import { DATATYPES } from "../runtime/datatypes";

/** A manifest's sample input is generated in full before it runs: its size is bounded here, not by the run's plan. */
const MAX_SAMPLE_ELEMENTS = 1 << 20;

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TASK_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** A task's name; the tasks this server serves are the table in src/tasks/index.ts, checked when a manifest is uploaded. */
export type Task = string;

export const ModelName = z
  .string()
  .regex(MODEL_NAME, "lowercase letters, digits, '.', '_' or '-', at most 64")
  .meta({ example: "silero-vad" });
export const VersionName = z
  .string()
  .regex(VERSION_NAME, "letters, digits, '.', '_' or '-', at most 64")
  .meta({ example: "1" });

export const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const AssetName = z
  .string()
  .regex(ASSET_NAME, "letters, digits, '.', '_' or '-', at most 128")
  .meta({ example: "tokenizer.json" });

/** A file stored beside the weights (a tokenizer, a vocabulary), content-addressed like them. */
export const AssetEntrySchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
  })
  .meta({ id: "ModelAsset" });

export const TensorSpecSchema = z
  .object({
    name: z.string(),
    datatype: z.enum(DATATYPES),
    shape: z
      .array(z.number().int())
      .nullable()
      .meta({ description: "-1 marks a dynamic dimension; null an undeclared rank" }),
  })
  .meta({ id: "TensorSpec" });

const MemoryProfileSchema = z
  .object({
    sessionBytes: z.number().int().nonnegative(),
    run: z.object({ fixedBytes: z.number().nonnegative(), bytesPerElement: z.number().nonnegative() }).optional(),
    points: z.array(z.tuple([z.number(), z.number()])).optional(),
    note: z.string().optional(),
  })
  .meta({
    id: "MemoryProfile",
    description:
      "WASM memory measured at upload: the session's own, and one run's peak as `fixedBytes + bytesPerElement × input elements` (from calibration runs `points`: [elements, bytes]); `note` says why a run could not be measured",
  });

const ValueNodeSchema = z.object({
  opType: z.string(),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  attributes: z.record(z.string(), z.union([z.number(), z.array(z.number())])),
});

const SizeProgramSchema = z
  .object({
    constants: z.array(
      z.object({ name: z.string(), dims: z.array(z.number()), values: z.array(z.number()), dataType: z.number() }),
    ),
    nodes: z.array(ValueNodeSchema),
    checks: z.array(
      ValueNodeSchema.omit({ outputs: true }).extend({
        node: z.string(),
        kind: z.enum(["tensor", "loop"]),
        bytesPerElement: z.number(),
      }),
    ),
  })
  .meta({
    id: "SizeProgram",
    description:
      "the graph's sizes that depend on the request (tensors built from input values or shapes, loop trip counts), checked before each run",
  });

/** What the server learnt about a version when it was uploaded. */
export const RuntimeFactsSchema = z
  .object({
    memory: MemoryProfileSchema,
    sizes: z.object({ program: SizeProgramSchema, opset: z.number().int() }).optional(),
    loopCap: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "every Loop's trip count is capped at this (the manifest's limits.maxLoopIterations)" }),
  })
  .meta({ id: "RuntimeFacts" });

/**
 * The onnxruntime levels an optimized graph may be written at: `basic` (hardware-independent rewrites) or `extended`
 * (also fusions into the CPU execution provider's own kernels, which onnxruntime-web's WASM backend is). `all` adds
 * layout changes for the writing machine's CPU, which the Worker's onnxruntime does not have.
 */
export const OPTIMIZATION_LEVELS = ["basic", "extended"] as const;
export type OptimizationLevel = (typeof OPTIMIZATION_LEVELS)[number];

/**
 * A version's graph optimized ahead of time (onnxruntime-node, `basic` or `extended` level), which its sessions are created from
 * with optimizations off; the uploaded graph stays stored beside it.
 */
export const OptimizedGraphSchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    level: z.enum(OPTIMIZATION_LEVELS).meta({ description: "the onnxruntime optimization level it was written at" }),
    runtime: RuntimeFactsSchema.meta({
      description:
        "what its upload measured: its session's memory, and the request-dependent sizes of its own graph; runs are planned with the larger of its memory line and the original's",
    }),
    createdAt: z.string(),
  })
  .meta({
    id: "OptimizedGraph",
    description:
      "the version's graph optimized ahead of time by onnxruntime (`basic` or `extended` level); sessions are created from it with optimizations off. It was checked at upload to have the same inputs and outputs as the served graph and the same outputs on generated inputs",
  });

export const VersionEntrySchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    inputs: z.array(TensorSpecSchema),
    outputs: z.array(TensorSpecSchema),
    opsets: z.record(z.string(), z.number().int()).optional(),
    batchAxes: z.record(z.string(), z.number().int().nonnegative()).optional().meta({
      description:
        "input → the axis of its batch dimension, read from the graph at upload (inputs without one are absent); a manifest's batchAxes overrides it",
    }),
    original: z
      .object({
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().positive(),
        changes: z.array(z.string()),
      })
      .optional()
      .meta({
        description:
          "the uploaded file, when the server changed it before storing it (a ZipMap output is served as its probability tensor): its digest, for provenance; `sha256` and `bytes` are then the served graph's",
      }),
    classLabels: z.record(z.string(), z.array(z.string())).optional().meta({
      description:
        "class labels the graph itself gives an output's columns (a ZipMap's or a classifier node's), int64 labels as decimal strings",
    }),
    assets: z
      .record(z.string(), AssetEntrySchema)
      .optional()
      .meta({ description: "the model's assets when this version was uploaded; the version keeps using them" }),
    runtime: RuntimeFactsSchema.optional(),
    optimized: OptimizedGraphSchema.optional(),
    createdAt: z.string(),
  })
  .meta({ id: "ModelVersion" });

const LimitsSchema = z
  .object({
    maxBatch: z.number().int().positive().optional(),
    maxElements: z.number().int().positive().optional(),
    maxItems: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "texts or images one task request may carry" }),
    maxImagePixels: z.number().int().positive().optional(),
    maxDims: z.record(z.string(), z.array(z.number().int().positive().nullable())).optional().meta({
      description:
        'largest size of each axis of an input, by input name (`null`: no limit on that axis), e.g. `{"x": [32, null, null, 3200]}`; larger requests are refused with 413 `too_much_compute`',
    }),
    maxLoopIterations: z.number().int().positive().optional().meta({
      description:
        "allows Loop nodes whose trip count is not a constant: a trip count taken from the request is checked against it before the run (413 beyond), and every loop is capped at it inside the graph (a Worker cannot stop WebAssembly once it runs)",
    }),
    batchCallCost: z.number().positive().optional().meta({
      description:
        "what one more session call costs, in padded token positions: a request's texts are grouped by length into calls when that saves more padding than the calls cost (default 16, about right for transformer encoders; a model whose positions are nearly free, such as a bag of embeddings, wants more)",
    }),
  })
  .strict();

const SourceSchema = z
  .object({
    url: z.string().optional(),
    license: z.string().optional(),
    package: z.string().optional(),
    notes: z.string().optional(),
  })
  .strict();

/** How a quantized version was made from another, and what it measured against it (as `npm run eval` reports). */
const QuantizationNoteSchema = z
  .looseObject({
    from: z.string().meta({ description: "the version it was made from" }),
    mode: z.string().max(500).optional(),
  })
  .meta({
    description:
      "`from`, `mode`, and measures: `<measure>DeltaPoints` fields are shown as deltas against `from` (e.g. `accuracyDeltaPoints: -0.06`)",
  });

/** What `PUT /admin/models/{model}` accepts. Unknown fields are rejected. */
export const ManifestInputSchema = z
  .object({
    name: ModelName.optional().meta({ description: "must equal the path's model name when given" }),
    task: z
      .string()
      .regex(TASK_NAME, "a task name")
      .default("tensor")
      .meta({ description: "`tensor` (OIP only) or one of the tasks this server serves" }),
    description: z.string().max(2000).optional(),
    visibility: z.enum(["public", "private"]).default("public"),
    owner: z.string().optional().meta({ description: "tenant id owning a private model" }),
    labels: z.array(z.string()).optional(),
    preprocess: z.record(z.string(), z.unknown()).optional(),
    postprocess: z.record(z.string(), z.unknown()).optional(),
    cache: z
      .object({
        ttlSeconds: z.number().int().min(0).optional().meta({ description: "0 turns the response cache off" }),
        scope: z.enum(["tenant", "shared"]).optional().meta({
          description:
            "`tenant` (default): each tenant has its own entries, so a hit never tells one tenant what another asked. `shared`: tenants of a public model share entries (more hits; a hit then reveals that someone sent the same input): only for models whose inputs are not sensitive",
        }),
      })
      .strict()
      .optional(),
    limits: LimitsSchema.optional(),
    batchAxes: z
      .record(z.string(), z.number().int().nonnegative().nullable())
      .optional()
      .meta({
        description:
          "input name → the axis of its batch dimension, or null for an input without one: what OIP requests are metered by and limits.maxBatch bounds. Inputs not named keep the batch read from the graph (the symbolic dimension leading the most inputs, else a dynamic leading dimension).",
        example: { state: 1 },
      }),
    sampleInputs: z
      .record(
        z.string(),
        z
          .object({
            shape: z
              .array(z.number().int().nonnegative())
              .max(8)
              .refine((shape) => shape.reduce((product, dim) => product * dim, 1) <= MAX_SAMPLE_ELEMENTS, {
                message: `a sample input holds at most ${MAX_SAMPLE_ELEMENTS} elements`,
              })
              .optional(),
            data: z.array(z.number()).min(1).optional(),
          })
          .strict(),
      )
      .optional()
      .meta({
        description:
          "input name → the shape and/or values the server's own runs of the model must give it (a sample rate its graph checks, a window it needs), in place of generated ones; the values repeat to fill the shape. Used to compare a version's optimized graph with it.",
        example: { sr: { data: [16000] }, input: { shape: [1, 576] } },
      }),
    source: SourceSchema.optional(),
    quantization: z.record(z.string(), QuantizationNoteSchema).optional().meta({
      description: "per version: how it was quantized and its measured deltas (descriptive; the console shows it)",
    }),
  })
  .strict();

export const ManifestSchema = ManifestInputSchema.extend({
  name: ModelName,
  versions: z.record(z.string(), VersionEntrySchema),
  aliases: z.record(z.string(), z.string()),
  traffic: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).optional().meta({
    description:
      "canary splits: alias → {version: weight}; the alias draws one of them per request (sticky for `X-Routing-Key` or an `Idempotency-Key`) and `aliases` holds the version with the largest weight",
  }),
  assets: z
    .record(z.string(), AssetEntrySchema)
    .optional()
    .meta({ description: "current assets; each version pins the ones present at its upload" }),
  updatedAt: z.string(),
}).meta({ id: "Manifest" });

export type ManifestInput = z.infer<typeof ManifestInputSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type VersionEntry = z.infer<typeof VersionEntrySchema>;
export type AssetEntry = z.infer<typeof AssetEntrySchema>;
export type RuntimeFacts = z.infer<typeof RuntimeFactsSchema>;
export type OptimizedGraph = z.infer<typeof OptimizedGraphSchema>;

/** Version names sorted, numeric names numerically ("2" before "10"). */
export function versionNames(manifest: { versions: Readonly<Record<string, unknown>> }): string[] {
  return Object.keys(manifest.versions).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
