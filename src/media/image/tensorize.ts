/**
 * Fitted channels (./fit.ts: grey, or RGB) → model input: channel order (`rgb`, `bgr`, `gray`), optional inversion
 * (255 − v; `auto` inverts when the image's border is light, i.e. a dark subject on a light background), then
 * `v · scale`, minus `mean`, divided by `std` per tensor channel, written in `nchw` or `nhwc`.
 */
import { type ChannelOrder, channelCount, luma } from "./planes";
import type { FloatImage } from "./rgba";

export { CHANNEL_ORDERS, type ChannelOrder, channelCount } from "./planes";
export const LAYOUTS = ["nchw", "nhwc"] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface TensorSpec {
  channels: ChannelOrder;
  layout: Layout;
  scale: number;
  /** One value per tensor channel (in the tensor's channel order), or one for all. */
  mean: readonly number[];
  std: readonly number[];
  invert: boolean | "auto";
}

/**
 * Writes one fitted image into `out` at `offset` (the start of its slot in a batch tensor).
 * @returns whether the image was inverted
 * @example writeImageTensor(fitted28x28, { channels: "gray", layout: "nchw", scale: 1 / 255, mean: [0.5], std: [0.5], invert: "auto" }, batch, i * 784)
 */
export function writeImageTensor(image: FloatImage, spec: TensorSpec, out: Float32Array, offset: number): boolean {
  const { width, height, data } = image;
  const pixels = width * height;
  const count = channelCount(spec.channels);
  if (image.channels !== count)
    throw new Error(`a ${spec.channels} tensor needs ${count} fitted channels, not ${image.channels}`);
  const invert = spec.invert === "auto" ? hasLightBorder(image) : spec.invert;
  const sources = spec.channels === "bgr" ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < count; c++) {
    const mean = spec.mean[spec.mean.length === 1 ? 0 : c]!;
    const std = spec.std[spec.std.length === 1 ? 0 : c]!;
    const source = sources[c]!;
    const [first, step] = spec.layout === "nchw" ? [offset + c * pixels, 1] : [offset + c, count];
    for (let p = 0, at = first; p < pixels; p++, at += step) {
      const value = data[p * count + source]!;
      out[at] = ((invert ? 255 - value : value) * spec.scale - mean) / std;
    }
  }
  return invert;
}

/** Whether the mean luma of the outermost rows and columns is above mid-grey. */
export function hasLightBorder(image: FloatImage): boolean {
  const { width, height, data, channels } = image;
  const level = (p: number) => (channels === 1 ? data[p]! : luma(data, p * channels));
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
  const pixels = [...new Set(border)];
  const sum = pixels.reduce((total, p) => total + level(p), 0);
  return sum / pixels.length > 127.5;
}
