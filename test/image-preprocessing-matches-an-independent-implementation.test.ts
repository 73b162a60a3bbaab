/**
 * Image preprocessing (src/media/image: alpha flattening, stretch/contain/cover fits with colour or edge padding,
 * bilinear/area/auto resampling, rgb/bgr/gray, nchw/nhwc, scale/mean/std, invert true/auto), run inside workerd,
 * gives the tensors an independent Node implementation written from the same definitions gives (1e-5): it decodes
 * with sharp (whose JPEG pixels the Worker's libjpeg-turbo matches exactly), resamples each output pixel on its own in 2-D
 * float64 where the Worker runs separable passes, and pads, converts and normalizes pixel by pixel.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../src/media/image/decode";
import { fitImage, flattenAlpha } from "../src/media/image/fit";
import { channelCount, writeImageTensor } from "../src/media/image/tensorize";
import { type ImagePreprocess, ImagePreprocessSchema } from "../src/tasks/image-preprocess-config";
import { expectClose, fromBase64, reference, repoFile, toBase64 } from "./support/worker";

const CONFIGS: Record<string, Record<string, unknown>> = {
  "stretch, bilinear, rgb nchw, ImageNet mean/std": {
    width: 32,
    height: 32,
    fit: "stretch",
    resize: "bilinear",
    channels: "rgb",
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  "cover, area, bgr nhwc, black background": {
    width: 20,
    height: 12,
    fit: "cover",
    resize: "area",
    channels: "bgr",
    layout: "nhwc",
    mean: [0.5],
    std: [0.25],
    background: [0, 0, 0],
  },
  "contain with a colour, auto (enlarging: bilinear), gray, inverted": {
    width: 48,
    height: 40,
    fit: "contain",
    padding: [255, 0, 128],
    resize: "auto",
    channels: "gray",
    invert: true,
  },
  "contain with edge padding, auto, gray, auto invert (the digit model's)": {
    width: 16,
    height: 16,
    fit: "contain",
    padding: "edge",
    resize: "auto",
    channels: "gray",
    invert: "auto",
    mean: [0.5],
    std: [0.5],
  },
  "cover enlarging, rgb nhwc, scale 1": {
    width: 64,
    height: 64,
    fit: "cover",
    resize: "auto",
    channels: "rgb",
    layout: "nhwc",
    scale: 1,
  },
};

let images: { name: string; bytes: Uint8Array }[] = [];

beforeAll(async () => {
  const samples = (await (await reference.fetch("http://reference/image/samples")).json()) as {
    name: string;
    base64: string;
  }[];
  const pick = [
    "png rgba 8-bit",
    "png palette 4-bit with alpha interlaced",
    "png grey 16-bit",
    "jpeg 4:2:0 q85",
    "jpeg exif orientation 6",
  ];
  images = pick.map((name) => ({ name, bytes: fromBase64(samples.find((s) => s.name === name)!.base64) }));
  for (const file of ["6-0041.jpg", "6-0047.png", "3-0029.png"])
    images.push({ name: `test/data/digits/${file}`, bytes: await repoFile(`test/data/digits/${file}`) });
});

function workerTensor(bytes: Uint8Array, config: ImagePreprocess): Float32Array {
  const width = config.width!;
  const height = config.height!;
  const out = new Float32Array(channelCount(config.channels) * width * height);
  const fitted = fitImage(flattenAlpha(decodeImage(bytes, 1 << 22), config.background), { ...config, width, height });
  writeImageTensor(fitted, config, out, 0);
  return out;
}

async function referenceTensor(
  bytes: Uint8Array,
  config: ImagePreprocess,
): Promise<{ shape: number[]; data: Float32Array }> {
  const body = { input: "x", output: "y", images: [toBase64(bytes)], preprocess: config };
  const response = await reference.fetch("http://reference/image/classify", {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(await response.text());
  const { tensor } = (await response.json()) as { tensor: { shape: number[]; base64: string } };
  const raw = fromBase64(tensor.base64);
  return { shape: tensor.shape, data: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) };
}

describe("preprocessed tensors equal the independent implementation's", () => {
  for (const [label, input] of Object.entries(CONFIGS)) {
    it(label, async () => {
      const config = ImagePreprocessSchema.parse(input);
      expect(images).toHaveLength(8);
      for (const image of images) {
        const expected = await referenceTensor(image.bytes, config);
        const channels = channelCount(config.channels);
        expect(expected.shape).toEqual(
          config.layout === "nchw"
            ? [1, channels, config.height, config.width]
            : [1, config.height, config.width, channels],
        );
        const actual = workerTensor(image.bytes, config);
        expectClose(actual, expected.data, 1e-5);
      }
    });
  }

  it("the configurations differ from each other (a wrong option would show)", async () => {
    const image = images[0]!.bytes;
    const gray = ImagePreprocessSchema.parse(
      CONFIGS["contain with edge padding, auto, gray, auto invert (the digit model's)"],
    );
    const notInverted = workerTensor(image, { ...gray, invert: false });
    const inverted = workerTensor(image, { ...gray, invert: true });
    expect(Math.max(...notInverted.map((v, i) => Math.abs(v + inverted[i]!)))).toBeLessThan(1e-5); // (255 - v) mirrors around 0.5
    const bgr = ImagePreprocessSchema.parse(CONFIGS["cover, area, bgr nhwc, black background"]);
    const rgb = workerTensor(image, { ...bgr, channels: "rgb" });
    const swapped = workerTensor(image, bgr);
    expect(rgb[0]).toBeCloseTo(swapped[2]!, 6);
    expect(rgb[0]).not.toBeCloseTo(swapped[0]!, 2);
  });
});
