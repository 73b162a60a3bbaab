/** The pixel types the image modules share: RGBA, row-major, `width * height * 4` values. */

/** 8-bit RGBA: what decoding gives. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * RGBA with unrounded levels (0..255 as floats): what resampling gives on its way to a tensor, so the pixels are
 * quantized once (when decoded), not again after resizing.
 */
export interface FloatRgbaImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type AnyRgbaImage = RgbaImage | FloatRgbaImage;

/** The pixels as 32-bit words (one per pixel, for whole-pixel copies); copies when the bytes are not 4-aligned. */
export function pixelWords(image: RgbaImage): Uint32Array {
  const { data } = image;
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, image.width * image.height);
}
