/** The pixel types the image modules share: row-major, interleaved channels. */

/** 8-bit RGBA (`width * height * 4` values): what decoding gives. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** Every alpha is 255, as the decoder knows without looking (JPEG). */
  opaque?: boolean;
}

/**
 * Unrounded levels (0..255 as floats) with 1 (grey), 3 (RGB) or 4 (RGBA) channels: what resampling gives on its
 * way to a tensor, so the pixels are quantized once (when decoded), not again after resizing.
 */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Either kind, as the resamplers read them. */
export type AnyImage = RgbaImage | FloatImage;

export function channelsOf(image: AnyImage): number {
  return "channels" in image ? image.channels : 4;
}

/** The pixels as 32-bit words (one per pixel, for whole-pixel copies); copies when the bytes are not 4-aligned. */
export function pixelWords(image: RgbaImage): Uint32Array {
  const { data } = image;
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, image.width * image.height);
}
