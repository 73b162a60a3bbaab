/**
 * `image-classification` (docs/architecture.md, "Tasks"): a PNG or JPEG → the model's top-k classes `[{label, score}]`.
 * Bodies: the raw image (`image/png`, `image/jpeg`, with `?top_k=`), or JSON `{image: number[]}` holding the
 * file's bytes as Workers AI takes them; `{image: number[][]}` classifies several images in one call and answers
 * one list per image. Each image is decoded inside workerd (./image/decode.ts; its header is checked against
 * `limits.maxImagePixels` first), flattened onto the background, fitted to the input size, turned into a tensor
 * as the manifest's `preprocess` says (./image/preprocess-config.ts), run in batches of at most `limits.maxBatch`,
 * and scored (softmax by default). Units: one per image.
 *
 * Manifest: `preprocess` (see ImagePreprocessSchema), `postprocess: {activation: "softmax" | "sigmoid" | "none",
 * output?, topK: 5}`, `labels` (one per class; classes without one are named by their index).
 */
import { z } from "zod";
import { AppError, isAppError } from "../errors";
import { decodeImage, imageInfo } from "../media/image/decode";
import { fitImage, flattenAlpha } from "../media/image/fit";
import { channelCount, writeImageTensor } from "../media/image/tensorize";
import type { VersionEntry } from "../registry/manifest";
import { inBatches } from "./batching";
import { ACTIVATIONS, type Activation, classify, classRows, type LabelScore } from "./classification-output";
import { taskConfig } from "./config";
import { type ImagePreprocess, ImagePreprocessSchema } from "./image-preprocess-config";
import { checkItemCount, chosenOutput } from "./request-checks";
import type { MediaBody, TaskContext, TaskDefinition } from "./task";

export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg"] as const;

const ImageBytes = z
  .array(z.number().int().min(0).max(255))
  .min(1, "an image needs its bytes")
  .meta({ description: "the bytes of a PNG or JPEG file" });

export const ImageClassificationRequestSchema = z
  .object({
    image: z.union([ImageBytes, z.array(ImageBytes).min(1, "give at least one image")], {
      error: "image must be an array of bytes (0..255), or an array of those",
    }),
    top_k: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "how many classes to return, best first (default from the manifest, usually 5)" }),
  })
  .strict()
  .meta({
    id: "ImageClassificationRequest",
    example: { image: [137, 80, 78, 71, 13, 10, 26, 10], top_k: 3 },
    description: "`image` holds a whole PNG or JPEG file; the example shows only its first bytes",
  });

const LabelScoreSchema = z.object({ label: z.string(), score: z.number() }).meta({ id: "LabelScore" });
const ScoresSchema = z.array(LabelScoreSchema);

export const ImageClassificationResponseSchema = z.union([ScoresSchema, z.array(ScoresSchema)]).meta({
  id: "ImageClassificationResponse",
  description: "the top-k classes of the image, best first (one such list per image when several were sent)",
});

/** A JSON request, or a media body's bytes (a `Uint8Array` is one image). */
export interface ImageClassificationRequest {
  image: ArrayLike<number> | readonly ArrayLike<number>[];
  top_k?: number;
}
export type ImageClassificationResponse = LabelScore[] | LabelScore[][];

const ConfigSchema = z.object({
  preprocess: ImagePreprocessSchema,
  postprocess: z
    .object({
      activation: z.enum(ACTIVATIONS).default("softmax"),
      output: z.string().optional().meta({ description: "the output holding the class scores (default: the first)" }),
      topK: z.number().int().min(1).default(5),
    })
    .strict(),
  labels: z.array(z.string()).optional(),
});

export interface PreparedImages {
  /** All images' tensors back to back, `perImage` elements each. */
  tensor: Float32Array;
  count: number;
  /** One image's tensor shape without the batch dimension, e.g. [1, 28, 28]. */
  itemShape: number[];
  perImage: number;
  input: string;
  output: string;
  /** Images per session call: `limits.maxBatch`, fewer if the input tensor would pass `limits.maxElements`. */
  batchSize: number;
  activation: Activation;
  labels?: readonly string[];
  topK: number;
  /** The request sent a list of images (answer a list of lists). */
  list: boolean;
}

function imagesOf(request: ImageClassificationRequest): { images: ArrayLike<number>[]; list: boolean } {
  const { image } = request;
  const list = Array.isArray(image) && image.length > 0 && typeof image[0] !== "number";
  return list ? { images: image as ArrayLike<number>[], list } : { images: [image as ArrayLike<number>], list };
}

export async function prepareImages(
  request: ImageClassificationRequest,
  context: TaskContext,
): Promise<PreparedImages> {
  const { images, list } = imagesOf(request);
  const { maxImagePixels, maxBatch, maxElements } = context.limits;
  checkItemCount(images.length, "images", context);
  const config = taskConfig(imageClassification, context.model.manifest);
  const geometry = inputGeometry(config.preprocess, context);
  const output = chosenOutput(config.postprocess.output, context);
  const batchSize = Math.min(maxBatch, Math.floor(maxElements / geometry.perImage));
  if (batchSize < 1)
    throw new AppError(
      "too_many_elements",
      `one ${geometry.itemShape.join("x")} input has ${geometry.perImage} elements; the limit is ${maxElements}`,
    );

  const bytes = images.map((image) => (image instanceof Uint8Array ? image : Uint8Array.from(image)));
  const which = (index: number) => (list ? `image ${index}` : "the image");
  // every header before any decoding, so an oversized image is refused before anything is allocated
  bytes.forEach((file, index) =>
    naming(which(index), () => {
      const { format, width, height } = imageInfo(file);
      if (width * height > maxImagePixels) {
        throw new AppError(
          "too_many_pixels",
          `a ${width}x${height} ${format.toUpperCase()} has ${width * height} pixels; the limit is ${maxImagePixels}`,
        );
      }
    }),
  );
  const tensor = new Float32Array(bytes.length * geometry.perImage);
  const { preprocess } = config;
  bytes.forEach((file, index) =>
    naming(which(index), () => {
      const opaque = flattenAlpha(decodeImage(file, maxImagePixels), preprocess.background);
      const fitted = fitImage(opaque, { ...preprocess, width: geometry.width, height: geometry.height });
      writeImageTensor(fitted, preprocess, tensor, index * geometry.perImage);
    }),
  );
  const { activation, topK: defaultTopK } = config.postprocess;
  return {
    tensor,
    count: bytes.length,
    ...geometry,
    output,
    batchSize,
    activation,
    labels: config.labels,
    topK: request.top_k ?? defaultTopK,
    list,
  };
}

/** Runs `step`, prefixing the message of an `AppError` it throws with the image it was about ("image 3: …"). */
function naming(image: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new AppError(error.code, `${image}: ${error.message}`, { cause: error });
  }
}

interface InputGeometry {
  input: string;
  width: number;
  height: number;
  itemShape: number[];
  perImage: number;
}

/** The input's size and layout from the preprocess config and the model's declared input; mismatches are 422. */
function inputGeometry(preprocess: ImagePreprocess, context: TaskContext): InputGeometry {
  const { name: model, entry } = context.model;
  const spec: VersionEntry["inputs"][number] | undefined =
    preprocess.input === undefined ? entry.inputs[0] : entry.inputs.find((input) => input.name === preprocess.input);
  if (!spec) throw new AppError("invalid_manifest", `model '${model}' has no input '${preprocess.input}'`);
  if (spec.datatype !== "FP32")
    throw new AppError(
      "invalid_manifest",
      `image input '${spec.name}' of model '${model}' is ${spec.datatype}; image tasks feed FP32`,
    );
  const shape = spec.shape ?? [-1, -1, -1, -1];
  if (shape.length !== 4)
    throw new AppError(
      "invalid_manifest",
      `image input '${spec.name}' of model '${model}' has shape [${shape}]; expected 4 dimensions (${preprocess.layout})`,
    );
  const [declaredChannels, declaredHeight, declaredWidth] =
    preprocess.layout === "nchw" ? [shape[1]!, shape[2]!, shape[3]!] : [shape[3]!, shape[1]!, shape[2]!];
  const channels = channelCount(preprocess.channels);
  const fixed = (value: number) => (value > 0 ? value : undefined);
  if (fixed(declaredChannels) !== undefined && declaredChannels !== channels) {
    throw new AppError(
      "invalid_manifest",
      `input '${spec.name}' of model '${model}' takes ${declaredChannels} channels, but preprocess.channels '${preprocess.channels}' gives ${channels}`,
    );
  }
  const width = preprocess.width ?? fixed(declaredWidth);
  const height = preprocess.height ?? fixed(declaredHeight);
  if (width === undefined || height === undefined)
    throw new AppError(
      "invalid_manifest",
      `model '${model}' has a dynamic input size; set preprocess.width and preprocess.height`,
    );
  if ((fixed(declaredWidth) ?? width) !== width || (fixed(declaredHeight) ?? height) !== height) {
    throw new AppError(
      "invalid_manifest",
      `input '${spec.name}' of model '${model}' is ${declaredWidth}x${declaredHeight}, but preprocess asks for ${width}x${height}`,
    );
  }
  const itemShape = preprocess.layout === "nchw" ? [channels, height, width] : [height, width, channels];
  return { input: spec.name, width, height, itemShape, perImage: channels * width * height };
}

/** Runs the images in session calls of at most `batchSize`; one row of scores per image. */
export function runImages(prepared: PreparedImages, context: TaskContext): Promise<Float32Array[]> {
  const indexes = Array.from({ length: prepared.count }, (_, i) => i);
  return inBatches(indexes, prepared.batchSize, async (chunk) => {
    const start = chunk[0]! * prepared.perImage;
    const data = prepared.tensor.subarray(start, start + chunk.length * prepared.perImage);
    const feeds = {
      [prepared.input]: { datatype: "FP32" as const, shape: [chunk.length, ...prepared.itemShape], data },
    };
    const result = (await context.model.run(feeds, [prepared.output]))[prepared.output];
    return classRows(result, prepared.output, chunk.length);
  });
}

export function scoreImages(
  rows: readonly Float32Array[],
  prepared: PreparedImages,
  context: TaskContext,
): ImageClassificationResponse {
  return classify(rows, prepared, context.model.name);
}

/** `?top_k=3` → 3; anything but a positive integer is a 400. */
function topKFromQuery(query: URLSearchParams): number | undefined {
  const value = query.get("top_k");
  if (value === null) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(value))
    throw new AppError("invalid_request", `top_k must be a positive integer (got '${value}')`);
  return Number(value);
}

export const imageClassification = {
  name: "image-classification",
  summary:
    "A PNG or JPEG (raw body, or `{image: number[]}` bytes; `number[][]` for several) → `[{label, score}]`, the top-k classes.",
  request: ImageClassificationRequestSchema,
  response: ImageClassificationResponseSchema,
  mediaTypes: IMAGE_MEDIA_TYPES,
  fromMedia: (body: MediaBody) => ({ image: body.bytes, top_k: topKFromQuery(body.query) }),
  config: ConfigSchema,
  units: (request) => imagesOf(request).images.length,
  preprocess: prepareImages,
  infer: runImages,
  postprocess: scoreImages,
} satisfies TaskDefinition<ImageClassificationRequest, PreparedImages, Float32Array[], ImageClassificationResponse>;
