/**
 * The frame a page is detected in: the decoded image turned clockwise about its centre by a quarter turn, a small
 * deskewing angle or both, on a canvas just large enough to hold it. Only the detector looks at the turned page
 * (sampled once, at its own input size); lines are still cut from the decoded image, through `toImage`, so no
 * pixel is resampled twice.
 */
import type { RgbaImage } from "../../media/image/decode";
import { type DetectorInput, detectorInputOf, detectorSize } from "./detector-input";
import type { Point } from "./geometry";

export interface PageFrame {
  /** The canvas, in pixels. */
  width: number;
  height: number;
  /** How far the image is turned clockwise in this frame. */
  degrees: number;
  /** A point of the frame → the same point of the image (continuous coordinates: pixel corners at integers). */
  toImage(point: Point): Point;
}

/** Snaps the cosine and sine of quarter turns to exact values, so a quarter-turned canvas is exactly the image's size. */
function exact(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value - rounded) < 1e-12 ? rounded : value;
}

/**
 * The image turned clockwise by `degrees`.
 * @example pageFrame({width: 40, height: 10}, -90).toImage([0, 0]) // [40, 0]: the canvas' top-left was the image's top-right
 */
export function pageFrame(image: { width: number; height: number }, degrees: number): PageFrame {
  const radians = (degrees * Math.PI) / 180;
  const cos = exact(Math.cos(radians));
  const sin = exact(Math.sin(radians));
  const width = Math.max(1, Math.ceil(Math.abs(image.width * cos) + Math.abs(image.height * sin) - 1e-6));
  const height = Math.max(1, Math.ceil(Math.abs(image.width * sin) + Math.abs(image.height * cos) - 1e-6));
  // frame = R(θ)(image − centre) + frame centre, with R(θ) = [cos −sin; sin cos] (clockwise, y pointing down)
  const toImage = ([x, y]: Point): Point => {
    const u = x - width / 2;
    const v = y - height / 2;
    return [cos * u + sin * v + image.width / 2, -sin * u + cos * v + image.height / 2];
  };
  return { width, height, degrees, toImage };
}

/**
 * The detector's input for the page seen in `frame`: the canvas scaled as `detectorSize` says, each pixel sampled
 * bilinearly from the image at the point it comes from; what lies beyond the image is the colour of its border.
 */
export function frameDetectorInput(image: RgbaImage, frame: PageFrame, maxPixels: number): DetectorInput {
  const { width, height } = detectorSize(frame.width, frame.height, maxPixels);
  const data = new Uint8Array(width * height * 4);
  const fill = borderColour(image);
  const [originX, originY] = frame.toImage([0, 0]);
  const [stepXx, stepXy] = minus(frame.toImage([frame.width / width, 0]), [originX, originY]);
  const [stepYx, stepYy] = minus(frame.toImage([0, frame.height / height]), [originX, originY]);
  const stride = image.width * 4;
  const source = image.data;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      // the pixel's centre in image coordinates, then as a position between pixel centres
      const x = originX + (i + 0.5) * stepXx + (j + 0.5) * stepYx;
      const y = originY + (i + 0.5) * stepXy + (j + 0.5) * stepYy;
      const out = (j * width + i) * 4;
      if (x < 0 || y < 0 || x > image.width || y > image.height) {
        data.set(fill, out);
        continue;
      }
      const sx = Math.min(Math.max(x - 0.5, 0), image.width - 1);
      const sy = Math.min(Math.max(y - 0.5, 0), image.height - 1);
      const left = Math.floor(sx);
      const top = Math.floor(sy);
      const right = Math.min(left + 1, image.width - 1);
      const bottom = Math.min(top + 1, image.height - 1);
      const fx = sx - left;
      const fy = sy - top;
      for (let c = 0; c < 3; c++) {
        const a = source[top * stride + left * 4 + c]!;
        const b = source[top * stride + right * 4 + c]!;
        const d = source[bottom * stride + left * 4 + c]!;
        const e = source[bottom * stride + right * 4 + c]!;
        const upper = a + (b - a) * fx;
        data[out + c] = Math.round(upper + (d + (e - d) * fx - upper) * fy);
      }
      data[out + 3] = 255;
    }
  }
  return detectorInputOf({ width, height, data });
}

function minus(a: Point, b: Point): Point {
  return [a[0] - b[0], a[1] - b[1]];
}

/** Per channel, the median of the image's outermost pixels: the paper (or the table) the page lies on. */
export function borderColour(image: RgbaImage): Uint8Array {
  const histograms = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let count = 0;
  const add = (x: number, y: number) => {
    const at = (y * image.width + x) * 4;
    for (let c = 0; c < 3; c++) histograms[c]![image.data[at + c]!]! += 1;
    count += 1;
  };
  for (let x = 0; x < image.width; x++) {
    add(x, 0);
    if (image.height > 1) add(x, image.height - 1);
  }
  for (let y = 1; y < image.height - 1; y++) {
    add(0, y);
    if (image.width > 1) add(image.width - 1, y);
  }
  const colour = new Uint8Array([0, 0, 0, 255]);
  histograms.forEach((histogram, c) => {
    let seen = 0;
    let level = 0;
    while (level < 255 && (seen += histogram[level]!) * 2 < count) level += 1;
    colour[c] = level;
  });
  return colour;
}
