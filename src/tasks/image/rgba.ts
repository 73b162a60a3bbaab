/** The pixel type every image module shares: 8-bit RGBA, row-major, `width * height * 4` bytes. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The pixels as 32-bit words (one per pixel, for whole-pixel copies); copies when the bytes are not 4-aligned. */
export function pixelWords(image: RgbaImage): Uint32Array {
  const { data } = image;
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, image.width * image.height);
}
