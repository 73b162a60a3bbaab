/**
 * Bringing any image to a model's input size: alpha flattened onto a background, then one of three fits —
 * `stretch` (resize to the size, aspect ratio lost), `contain` (the whole image, scaled to fit, centred, the rest
 * padded with a colour or by repeating the edge pixels) or `cover` (the centre region with the target's aspect
 * ratio, cropped, then resized). The result holds the tensor's channels (./planes.ts), unrounded.
 */
import { type ChannelOrder, colorLevels, type Rgb, toPlanes } from "./planes";
import { type ResizeMethod, resizeToFloat } from "./resize";
import { type FloatImage, pixelWords, type RgbaImage } from "./rgba";

export type { Rgb } from "./planes";
export const FIT_MODES = ["stretch", "contain", "cover"] as const;
export type FitMode = (typeof FIT_MODES)[number];
/** What fills the margins of `contain`: a colour, or the nearest edge pixel of the image. */
export type Padding = "edge" | Rgb;

export interface FitSpec {
  width: number;
  height: number;
  fit: FitMode;
  padding: Padding;
  resize: ResizeMethod;
  /** The tensor's channels: `gray` is resampled as one luma channel, `rgb` and `bgr` as RGB. */
  channels: ChannelOrder;
}

/**
 * Composites the image over `background` (`out = c·a + bg·(1 − a)`, rounded), leaving every pixel opaque.
 * @example flattenAlpha(transparentPng, [255, 255, 255]) // as a browser shows it on a white page
 */
export function flattenAlpha(image: RgbaImage, background: Rgb): RgbaImage {
  if (image.opaque) return image;
  const { data } = image;
  // alpha is the high byte of each little-endian pixel word
  const words = pixelWords(image);
  let opaque = true;
  for (let i = 0; i < words.length && opaque; i++) opaque = words[i]! >>> 24 === 255;
  if (opaque) return image;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3]!;
    for (let c = 0; c < 3; c++) out[i + c] = Math.round((data[i + c]! * alpha + background[c]! * (255 - alpha)) / 255);
    out[i + 3] = 255;
  }
  return { width: image.width, height: image.height, data: out, opaque: true };
}

/**
 * The opaque image at exactly `width`×`height`, in the tensor's channels, with unrounded levels.
 * @example fitImage(digit, { width: 28, height: 28, fit: "contain", padding: "edge", resize: "auto", channels: "gray" })
 */
export function fitImage(image: RgbaImage, spec: FitSpec): FloatImage {
  const { width, height } = spec;
  if (spec.fit === "stretch") return resizeToFloat(toPlanes(image, spec.channels), width, height, spec.resize);
  if (spec.fit === "cover") {
    const scale = Math.max(width / image.width, height / image.height);
    const cropWidth = Math.min(image.width, Math.max(1, Math.round(width / scale)));
    const cropHeight = Math.min(image.height, Math.max(1, Math.round(height / scale)));
    const left = Math.floor((image.width - cropWidth) / 2);
    const top = Math.floor((image.height - cropHeight) / 2);
    return resizeToFloat(
      toPlanes(crop(image, left, top, cropWidth, cropHeight), spec.channels),
      width,
      height,
      spec.resize,
    );
  }
  const scale = Math.min(width / image.width, height / image.height);
  const innerWidth = Math.min(width, Math.max(1, Math.round(image.width * scale)));
  const innerHeight = Math.min(height, Math.max(1, Math.round(image.height * scale)));
  const inner = resizeToFloat(toPlanes(image, spec.channels), innerWidth, innerHeight, spec.resize);
  const fill = spec.padding === "edge" ? undefined : colorLevels(spec.padding, spec.channels);
  return pad(inner, width, height, Math.floor((width - innerWidth) / 2), Math.floor((height - innerHeight) / 2), fill);
}

export function crop(image: RgbaImage, left: number, top: number, width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 4;
    data.set(image.data.subarray(from, from + width * 4), y * width * 4);
  }
  return { width, height, data, opaque: image.opaque };
}

/** Places `image` at (left, top) on a width×height canvas; margins take `fill`, or the nearest edge pixel without one. */
function pad(
  image: FloatImage,
  width: number,
  height: number,
  left: number,
  top: number,
  fill: readonly number[] | undefined,
): FloatImage {
  const { channels, data: source } = image;
  if (width === image.width && height === image.height) return image;
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels;
      const inside = x >= left && x < left + image.width && y >= top && y < top + image.height;
      // inside the image, or (edge padding) the nearest edge pixel of it
      const from = (clamp(y - top, image.height) * image.width + clamp(x - left, image.width)) * channels;
      for (let c = 0; c < channels; c++) data[at + c] = fill && !inside ? fill[c]! : source[from + c]!;
    }
  }
  return { width, height, channels, data };
}

function clamp(value: number, size: number): number {
  return value < 0 ? 0 : value >= size ? size - 1 : value;
}
