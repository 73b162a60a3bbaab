/**
 * `ocr`: an image → its text lines with their boxes (docs/architecture.md, "Tasks"), with PaddleOCR's PP-OCR system:
 * the model named in the request is the text detector (DB); its manifest names the direction classifier and the
 * recognizer (other models, resolved per request) and the recognizer's character dictionary (an asset of the
 * detector's version). Stages: decode and resize (preprocess); detector, boxes, crops, classifier, recognizer
 * (infer: ./ocr/pipeline.ts); CTC decoding (postprocess). One unit per image. Each detector version may name its
 * own classifier and recognizer (./ocr/settings.ts), e.g. the int8 default runs the int8 stages.
 *
 * Request: an `image/png` or `image/jpeg` body (options in the query string: `?orientation=line&deskew=false`), or
 * JSON `{image: number[], orientation?, deskew?}` (the file's bytes).
 * Response: `{angle, skew, lines: [{text, score, box}]}`: how far the page is turned clockwise (0, 90, 180, 270)
 * and tilted beyond that (degrees), and the lines in reading order (column by column); `box` is four corners in the
 * image's pixels, clockwise from the text's top-left as the text reads.
 */
import { z } from "zod";
import { AppError } from "../errors";
import { decodeImage, type RgbaImage } from "../media/image/decode";
import { flattenAlpha } from "../media/image/fit";
import type { Tensor } from "../runtime/tensor";
import { taskConfig } from "./config";
import { type Alphabet, parseAlphabet } from "./ocr/ctc";
import { type DetectorInput, detectorInput } from "./ocr/detector-input";
import {
  type FloatTensor,
  type OcrNetworks,
  type OcrOutputs,
  type OcrSettings,
  readLines,
  runOcrNetworks,
} from "./ocr/pipeline";
import {
  type OcrConfig,
  OcrConfigSchema,
  type OcrOptions,
  OcrOptionsShape,
  type OcrStages,
  ocrSettings,
  ocrStages,
} from "./ocr/settings";
import { optionsFromQuery } from "./query-options";
import type { ModelHandle, TaskContext, TaskDefinition } from "./task";

const Point = z.tuple([z.number().int(), z.number().int()]);

export const OcrRequestSchema = z
  .object({
    image: z.array(z.number().int().min(0).max(255)).min(1).meta({ description: "the bytes of a PNG or JPEG file" }),
    ...OcrOptionsShape,
  })
  .strict()
  .meta({ id: "OcrRequest", example: { image: [137, 80, 78, 71, 13, 10, 26, 10] } });

export const OcrResponseSchema = z
  .object({
    angle: z
      .union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)])
      .meta({ description: "how far the page is turned clockwise; the lines were read with it turned back" }),
    skew: z.number().meta({
      description:
        "degrees the lines are tilted clockwise beyond `angle`, as measured (pages tilted over 1° are turned back before reading)",
    }),
    lines: z.array(
      z.object({
        text: z.string(),
        score: z.number().meta({ description: "mean probability of the recognized characters" }),
        box: z.tuple([Point, Point, Point, Point]).meta({
          description:
            "corners in image pixels, clockwise from the text's top-left as the text reads (top-left, top-right, bottom-right, bottom-left of an upright line)",
        }),
      }),
    ),
  })
  .meta({
    id: "OcrResponse",
    example: {
      angle: 0,
      skew: 0.4,
      lines: [
        {
          text: "Invoice No. 2024-0117",
          score: 0.9652,
          box: [
            [24, 28],
            [340, 27],
            [340, 56],
            [24, 57],
          ],
        },
      ],
    },
  });

/** JSON bodies carry the bytes as numbers; media bodies as they came. */
export interface OcrRequest extends OcrOptions {
  image: ArrayLike<number>;
}
export type OcrResponse = z.infer<typeof OcrResponseSchema>;

export interface PreparedPage {
  image: RgbaImage;
  detection: DetectorInput;
  config: OcrConfig;
  settings: OcrSettings;
  alphabet: Alphabet;
}

/** Translucent pixels are laid over white, so a transparent PNG with dark text reads as it is shown. */
const WHITE = [255, 255, 255] as const;

function fromBytes(image: ArrayLike<number>): Uint8Array {
  return image instanceof Uint8Array ? image : Uint8Array.from(image);
}

async function preparePage(request: OcrRequest, context: TaskContext): Promise<PreparedPage> {
  const config = taskConfig(ocr, context.model.manifest);
  const alphabet = await context.model.asset(config.preprocess.dictionary, parseAlphabet);
  const image = flattenAlpha(decodeImage(fromBytes(request.image), context.limits.maxImagePixels), WHITE);
  const settings = ocrSettings(config, request);
  return { image, detection: detectorInput(image, settings.maxPixels), config, settings, alphabet };
}

async function runNetworks(prepared: PreparedPage, context: TaskContext): Promise<OcrOutputs> {
  const stages = ocrStages(prepared.config, context.model.version);
  const recognizer = await context.resolve(stages.recognizer);
  const classifier = stages.classifier === undefined ? undefined : await context.resolve(stages.classifier);
  const networks: OcrNetworks = {
    detect: (input) => runFloat(context.model, input),
    classify: classifier && ((input) => runFloat(classifier, input)),
    recognize: (input) => runFloat(recognizer, input),
  };
  return runOcrNetworks(prepared.image, prepared.detection, networks, prepared.settings);
}

function stageReferences({ classifier, recognizer }: OcrStages): Record<string, string> {
  return classifier === undefined ? { recognizer } : { classifier, recognizer };
}

/** One session call on a model with one FP32 input and one FP32 output. */
async function runFloat(model: ModelHandle, input: FloatTensor): Promise<FloatTensor> {
  const [inputSpec] = model.entry.inputs;
  const [outputSpec] = model.entry.outputs;
  if (!inputSpec || !outputSpec)
    throw new AppError("invalid_manifest", `model '${model.name}' has no input or output to run in the OCR pipeline`);
  const feed: Tensor = { datatype: "FP32", shape: input.shape, data: input.data };
  const output = (await model.run({ [inputSpec.name]: feed }, [outputSpec.name]))[outputSpec.name];
  if (!output || !(output.data instanceof Float32Array))
    throw new AppError("inference_failed", `model '${model.name}' did not return FP32 '${outputSpec.name}'`);
  return { data: output.data, shape: output.shape };
}

export const ocr = {
  name: "ocr",
  summary:
    "An image (`image/png`, `image/jpeg`, or `{image: number[]}` with the file's bytes) → `{angle, skew, lines: [{text, score, box}]}`: the page's orientation and text lines in reading order (column by column) with their corners. Options `orientation` (`page` or `line`) and `deskew`, as JSON fields or query parameters of a media body.",
  request: OcrRequestSchema,
  response: OcrResponseSchema,
  mediaTypes: ["image/png", "image/jpeg"],
  fromMedia: ({ bytes, query }) => ({
    image: bytes,
    ...optionsFromQuery("ocr", OcrOptionsShape, query, ["deskew"]),
  }),
  config: OcrConfigSchema,
  stages: (manifest, version): Record<string, string> =>
    stageReferences(ocrStages(taskConfig<OcrConfig>(ocr, manifest), version)),
  units: () => 1,
  preprocess: preparePage,
  infer: runNetworks,
  postprocess(outputs, prepared) {
    const lines = readLines(outputs, prepared.alphabet, prepared.settings);
    return {
      angle: outputs.angle as OcrResponse["angle"],
      skew: outputs.skew,
      lines: lines.map(({ text, score, box }) => ({
        text,
        score,
        box: box.map(([x, y]) => [x, y] as [number, number]) as OcrResponse["lines"][number]["box"],
      })),
    };
  },
} satisfies TaskDefinition<OcrRequest, PreparedPage, OcrOutputs, OcrResponse>;
