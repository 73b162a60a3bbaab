/**
 * Pixels → model input: channel order (`rgb`, `bgr`, or `gray` as BT.601 luma 0.299 R + 0.587 G + 0.114 B),
 * optional inversion (255 − v; `auto` inverts when the image's border is light, i.e. a dark subject on a light
 * background), then `v · scale`, minus `mean`, divided by `std` per tensor channel, written in `nchw` or `nhwc`.
 */
import type { AnyRgbaImage } from "./rgba";

export const CHANNEL_ORDERS = ["rgb", "bgr", "gray"] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];
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

export function channelCount(order: ChannelOrder): number {
  return order === "gray" ? 1 : 3;
}

/**
 * Writes one opaque image into `out` at `offset` (the start of its slot in a batch tensor).
 * @returns whether the image was inverted
 * @example writeImageTensor(image28x28, { channels: "gray", layout: "nchw", scale: 1 / 255, mean: [0.5], std: [0.5], invert: "auto" }, batch, i * 784)
 */
export function writeImageTensor(image: AnyRgbaImage, spec: TensorSpec, out: Float32Array, offset: number): boolean {
  const { width, height, data } = image;
  const pixels = width * height;
  const count = channelCount(spec.channels);
  const invert = spec.invert === "auto" ? hasLightBorder(image) : spec.invert;
  const sources = spec.channels === "bgr" ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < count; c++) {
    const mean = spec.mean[spec.mean.length === 1 ? 0 : c]!;
    const std = spec.std[spec.std.length === 1 ? 0 : c]!;
    const source = sources[c]!;
    for (let p = 0; p < pixels; p++) {
      let value = spec.channels === "gray" ? luma(data, p * 4) : data[p * 4 + source]!;
      if (invert) value = 255 - value;
      const at = spec.layout === "nchw" ? c * pixels + p : p * count + c;
      out[offset + at] = (value * spec.scale - mean) / std;
    }
  }
  return invert;
}

/** ITU-R BT.601 luma, as PIL's "L" conversion and OpenCV's RGB2GRAY weigh the channels (unrounded). */
export function luma(data: ArrayLike<number>, at: number): number {
  return 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
}

/** Whether the mean luma of the outermost rows and columns is above mid-grey. */
export function hasLightBorder(image: AnyRgbaImage): boolean {
  const { width, height, data } = image;
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
  const pixels = [...new Set(border)];
  const sum = pixels.reduce((total, p) => total + luma(data, p * 4), 0);
  return sum / pixels.length > 127.5;
}
