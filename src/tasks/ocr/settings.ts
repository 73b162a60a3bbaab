/**
 * The `ocr` task's manifest configuration (validated at upload): which models and dictionary make up the pipeline
 * and its thresholds. Defaults are PaddleOCR's (tools/infer/utility.py) except the detector's input size, which
 * bounds WASM memory (docs/design/ocr.md).
 *
 * ```json
 * "preprocess": {"maxPixels": 331776, "classifier": "ppocr-cls@int8", "recognizer": "ppocr-rec@int8", "dictionary": "ppocr_keys_v1.txt",
 *                "versions": {"1": {"classifier": "ppocr-cls@1", "recognizer": "ppocr-rec@1"}}},
 * "postprocess": {"thresh": 0.3, "boxThresh": 0.6, "unclipRatio": 2.2, "dropScore": 0.5, "orientation": "page", "deskew": true}
 * ```
 * `versions` gives particular versions of this model (the detector) other stages than the top-level ones: above,
 * version 1 runs the float32 classifier and recognizer, every other version the int8 ones. Name the other models
 * with a version (`name@version`) so that each detector version runs fixed weights; the response cache key holds
 * the stages' weights digests (the task's `stages`, src/api/serving/task-serving.ts), so a changed stage never serves an
 * old answer either way.
 */
import { z } from "zod";
import { own } from "../../lookup";
import { MODEL_NAME, VERSION_NAME, VersionName } from "../../registry/manifest";
import { DB_DEFAULTS } from "./db-postprocess";
import type { OcrSettings } from "./pipeline";

/** The detector's input at most 576x576 pixels: the WASM heap stays at 70 MiB in workerd with all three models (docs/design/ocr.md). */
export const DEFAULT_MAX_PIXELS = 576 * 576;

const probability = z.number().min(0).max(1);
const ORIENTATION_MODES = ["page", "line"] as const;

const ModelReference = z.string().refine((reference) => {
  const [name, version, ...rest] = reference.split("@");
  return MODEL_NAME.test(name!) && (version === undefined || VERSION_NAME.test(version)) && rest.length === 0;
}, "a model reference: 'name' or 'name@version'");

const StageOverrides = z
  .object({
    classifier: ModelReference.optional(),
    recognizer: ModelReference.optional(),
  })
  .strict();

/** The other models one version of the detector runs. */
export interface OcrStages {
  classifier?: string;
  recognizer: string;
}

export const OcrConfigSchema = z.object({
  preprocess: z
    .object({
      maxPixels: z
        .number()
        .int()
        .min(32 * 32)
        .max(4096 * 4096)
        .default(DEFAULT_MAX_PIXELS)
        .meta({
          description: "the detector's input is scaled down to at most this many pixels (WASM memory follows it)",
        }),
      classifier: ModelReference.optional().meta({
        description: "direction classifier model (`name@version`); without it lines are taken as upright",
      }),
      recognizer: ModelReference.meta({ description: "text recognizer model (`name@version`)" }),
      dictionary: z
        .string()
        .min(1)
        .default("ppocr_keys_v1.txt")
        .meta({ description: "asset of this model: the recognizer's characters, one per line" }),
      versions: z.record(VersionName, StageOverrides).default({}).meta({
        description:
          "per version of this model: other `classifier`/`recognizer` references than the ones above (e.g. float32 stages for the float32 detector)",
      }),
    })
    .strict(),
  postprocess: z
    .object({
      thresh: probability.default(DB_DEFAULTS.thresh),
      boxThresh: probability.default(DB_DEFAULTS.boxThresh),
      unclipRatio: z.number().positive().max(10).default(DB_DEFAULTS.unclipRatio),
      maxCandidates: z.number().int().positive().max(10_000).default(DB_DEFAULTS.maxCandidates),
      orientation: z.enum(ORIENTATION_MODES).default("page").meta({
        description:
          "`page`: the lines' classifications vote on 0° or 180° for the whole page (and a quarter turn is found from the boxes); `line`: each line on its own, as PaddleOCR",
      }),
      classifierThreshold: probability.default(0.9).meta({
        description: "orientation `line`: a line is turned when its 180° probability exceeds this",
      }),
      overrideProbability: probability.default(0.99).meta({
        description: "orientation `page`: a line is read against the page's direction only when this sure of its own",
      }),
      overrideWindows: z.number().int().min(1).max(64).default(3).meta({
        description: "orientation `page`: ...and at least this long, in 192x48 classifier windows",
      }),
      deskew: z.boolean().default(true).meta({ description: "turn a tilted page back and detect again" }),
      deskewMinDegrees: z.number().min(0).max(45).default(1),
      deskewMaxDegrees: z.number().min(0).max(45).default(15),
      classifierBatch: z.number().int().positive().max(64).default(6),
      recognizerBatch: z.number().int().positive().max(64).default(6),
      recognizerMinWidth: z.number().int().positive().max(4096).default(320),
      recognizerMaxColumns: z.number().int().min(320).max(65_536).default(3200),
      dropScore: probability.default(0.5),
      spaceThreshold: probability.default(0.05).meta({
        description:
          "a space is written between two characters where the recognizer's space class reaches this probability (1: greedy decoding alone, as PaddleOCR)",
      }),
    })
    .strict(),
});

export type OcrConfig = z.infer<typeof OcrConfigSchema>;

/** Options a request may set (JSON fields, or query parameters of a media body), over the manifest's defaults. */
export const OcrOptionsShape = {
  orientation: z.enum(ORIENTATION_MODES).optional().meta({
    description:
      "`page` (default): one direction for the whole page, decided by all its lines; `line`: each line's own, as PaddleOCR decides it",
  }),
  deskew: z.boolean().optional().meta({ description: "turn a tilted page back before reading it (default true)" }),
};
export type OcrOptions = { [K in keyof typeof OcrOptionsShape]?: z.infer<(typeof OcrOptionsShape)[K]> };

/** The classifier and recognizer that `version` of the detector runs. */
export function ocrStages(config: OcrConfig, version: string): OcrStages {
  const { classifier, recognizer, versions } = config.preprocess;
  const override = own(versions, version) ?? {};
  const stages: OcrStages = { recognizer: override.recognizer ?? recognizer };
  const chosenClassifier = override.classifier ?? classifier;
  if (chosenClassifier !== undefined) stages.classifier = chosenClassifier;
  return stages;
}

export function ocrSettings(config: OcrConfig, options: OcrOptions = {}): OcrSettings {
  const p = config.postprocess;
  return {
    maxPixels: config.preprocess.maxPixels,
    db: { thresh: p.thresh, boxThresh: p.boxThresh, unclipRatio: p.unclipRatio, maxCandidates: p.maxCandidates },
    classifierBatch: p.classifierBatch,
    orientation: {
      mode: options.orientation ?? p.orientation,
      lineThreshold: p.classifierThreshold,
      overrideProbability: p.overrideProbability,
      overrideWindows: p.overrideWindows,
    },
    deskew: { enabled: options.deskew ?? p.deskew, minDegrees: p.deskewMinDegrees, maxDegrees: p.deskewMaxDegrees },
    recognizer: { batchSize: p.recognizerBatch, minWidth: p.recognizerMinWidth, maxColumns: p.recognizerMaxColumns },
    dropScore: p.dropScore,
    spaceThreshold: p.spaceThreshold,
  };
}
