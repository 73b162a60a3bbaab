/**
 * Opaque 8-bit RGBA → the float channels a tensor is made of, at the image's own size: grey (BT.601 luma) for
 * `gray` inputs, RGB for `rgb` and `bgr` ones (bgr is only reordered when the tensor is written). Converting before
 * resampling gives what converting after would (both are linear) while resampling a quarter or three quarters of
 * the values.
 */
import type { FloatImage, RgbaImage } from "./rgba";

export const CHANNEL_ORDERS = ["rgb", "bgr", "gray"] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];
export type Rgb = readonly [number, number, number];

export function channelCount(order: ChannelOrder): number {
  return order === "gray" ? 1 : 3;
}

/** ITU-R BT.601 luma, as PIL's "L" conversion and OpenCV's RGB2GRAY weigh the channels (unrounded). */
export function luma(data: ArrayLike<number>, at: number): number {
  return 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
}

/** The image's channels for a tensor in `order` (alpha dropped: flatten it first). */
export function toPlanes(image: RgbaImage, order: ChannelOrder): FloatImage {
  const { width, height, data } = image;
  const channels = channelCount(order);
  const out = new Float32Array(width * height * channels);
  if (channels === 1) {
    // luma() inlined: a shared helper sees several array types and reads them several times slower
    for (let p = 0, at = 0; p < out.length; p++, at += 4)
      out[p] = 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
  } else {
    for (let p = 0, at = 0, to = 0; p < width * height; p++, at += 4, to += 3) {
      out[to] = data[at]!;
      out[to + 1] = data[at + 1]!;
      out[to + 2] = data[at + 2]!;
    }
  }
  return { width, height, channels, data: out };
}

/** A colour in the channels `toPlanes` gives for `order`. */
export function colorLevels(color: Rgb, order: ChannelOrder): number[] {
  return channelCount(order) === 1 ? [luma(color, 0)] : [...color];
}
