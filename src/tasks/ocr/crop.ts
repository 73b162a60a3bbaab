/**
 * Line images cut out of the page, as PaddleOCR's `get_rotate_crop_image` (tools/infer/utility.py): the box is
 * mapped onto an upright rectangle as long as its longer opposite sides (a perspective warp, bicubic, edges
 * replicated, like `cv2.warpPerspective(..., INTER_CUBIC, BORDER_REPLICATE)`), and crops at least 1.5 times taller
 * than wide are turned 90° counter-clockwise (`np.rot90`), since text lines are wide.
 */
import type { RgbaImage } from "../../media/image/decode";
import { distance, type Point, type Quad } from "./geometry";

/**
 * The box's content as an upright image (`box`: top-left, top-right, bottom-right, bottom-left). A box that
 * clipping to the page made degenerate (three corners on a line) is cropped by its bounding rectangle instead.
 */
export function cropLine(image: RgbaImage, box: Quad): RgbaImage {
  const crop = (isConvex(box) && warpBox(image, box)) || warpBox(image, boundingRectangle(box))!;
  return crop.height / crop.width >= 1.5 ? rotateCounterClockwise(crop) : crop;
}

function warpBox(image: RgbaImage, box: Quad): RgbaImage | undefined {
  const [tl, tr, br, bl] = box;
  const width = Math.max(1, Math.trunc(Math.max(distance(tl, tr), distance(br, bl))));
  const height = Math.max(1, Math.trunc(Math.max(distance(tl, bl), distance(tr, br))));
  // maps crop coordinates to page coordinates: the inverse of getPerspectiveTransform(box → crop rectangle)
  const toPage = perspectiveTransform(
    [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ],
    box,
  );
  return toPage && warp(image, toPage, width, height);
}

/** Every turn goes the same way and none is straight. */
function isConvex(box: Quad): boolean {
  const turns = box.map((b, i) => {
    const a = box[(i + 3) % 4]!;
    const c = box[(i + 1) % 4]!;
    return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
  });
  return turns.every((t) => t > 0) || turns.every((t) => t < 0);
}

function boundingRectangle(box: Quad): Quad {
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // a box with no area at all still crops one row or column
  return [
    [left, top],
    [Math.max(right, left + 1), top],
    [Math.max(right, left + 1), Math.max(bottom, top + 1)],
    [left, Math.max(bottom, top + 1)],
  ];
}

/** A 3x3 homography, row-major, mapping (x, y, 1). */
export type Homography = readonly number[];

/**
 * The homography taking each `from` corner to the matching `to` corner (OpenCV's `getPerspectiveTransform`):
 * the 8 unknowns with h33 = 1, solved by Gaussian elimination with partial pivoting. Undefined when the corners
 * are degenerate (three on a line).
 */
export function perspectiveTransform(from: readonly Point[], to: readonly Point[]): Homography | undefined {
  const rows: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    rows.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    rows.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    if (Math.abs(rows[pivot]![col]!) < 1e-9) return undefined;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const head = rows[col]!;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const row = rows[r]!;
      const factor = row[col]! / head[col]!;
      if (factor === 0) continue;
      for (let k = col; k < 9; k++) row[k]! -= factor * head[k]!;
    }
  }
  const h = rows.map((row, i) => row[8]! / row[i]!);
  return [...h, 1];
}

export function applyHomography(h: Homography, x: number, y: number): Point {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

/** OpenCV's bicubic kernel (a = −0.75): the weights of the 4 taps around a sample at fraction `t`, into `out`. */
function cubicWeights(t: number, out: Float64Array): void {
  const a = -0.75;
  out[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  out[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  out[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  out[3] = 1 - out[0] - out[1] - out[2];
}

/**
 * Output pixel (x, y) samples the page at `toPage(x, y)`, bicubically, with the page's edge pixels repeated.
 * The homography's numerators and denominator move by constant steps along a row, so no division is repeated.
 */
function warp(image: RgbaImage, toPage: Homography, width: number, height: number): RgbaImage {
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = toPage as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const data = new Uint8Array(width * height * 4);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const columns = new Int32Array(4);
  const rows = new Int32Array(4);
  const lastX = image.width - 1;
  const lastY = image.height - 1;
  const stride = image.width * 4;
  const source = image.data;
  let out = 0;
  for (let y = 0; y < height; y++) {
    let u = h1 * y + h2;
    let v = h4 * y + h5;
    let w = h7 * y + h8;
    for (let x = 0; x < width; x++, u += h0, v += h3, w += h6, out += 4) {
      const sx = u / w;
      const sy = v / w;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      cubicWeights(sx - x0, wx);
      cubicWeights(sy - y0, wy);
      for (let k = 0; k < 4; k++) {
        const column = x0 - 1 + k;
        const row = y0 - 1 + k;
        columns[k] = (column < 0 ? 0 : Math.min(column, lastX)) * 4;
        rows[k] = (row < 0 ? 0 : Math.min(row, lastY)) * stride;
      }
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let j = 0; j < 4; j++) {
          const at = rows[j]! + c;
          sum +=
            wy[j]! *
            (wx[0]! * source[at + columns[0]!]! +
              wx[1]! * source[at + columns[1]!]! +
              wx[2]! * source[at + columns[2]!]! +
              wx[3]! * source[at + columns[3]!]!);
        }
        data[out + c] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
      }
      data[out + 3] = 255;
    }
  }
  return { width, height, data };
}

/** `np.rot90`: a quarter turn counter-clockwise; output pixel (x, y) is input pixel (width − 1 − y, x). */
export function rotateCounterClockwise(image: RgbaImage): RgbaImage {
  const { width, height } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < height; x++) {
      const from = (x * width + (width - 1 - y)) * 4;
      data.set(image.data.subarray(from, from + 4), (y * height + x) * 4);
    }
  }
  return { width: height, height: width, data };
}

/** A half turn (`cv2.rotate(image, ROTATE_180)`). */
export function rotateHalfTurn(image: RgbaImage): RgbaImage {
  const pixels = new Uint32Array(image.data.slice().buffer);
  pixels.reverse();
  return { width: image.width, height: image.height, data: new Uint8Array(pixels.buffer) };
}
