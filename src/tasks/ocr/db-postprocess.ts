/**
 * Text boxes from the detector's probability map, as PaddleOCR's `DBPostProcess` (ppocr/postprocess/
 * db_postprocess.py, quad boxes, "fast" score) followed by `TextDetector.filter_tag_det_res` (tools/infer/
 * predict_det.py): threshold the map, take each region's minimum-area rectangle, keep those whose mean
 * probability reaches `boxThresh`, grow ("unclip") them by area × ratio / perimeter, scale them back to the
 * original image and clip them to it.
 *
 * Unclipping: PaddleOCR offsets the rectangle with pyclipper (round joins) and takes the minimum-area rectangle of
 * the result again. For a rectangle that result is exact without a polygon library: the offset polygon is the
 * rectangle grown by the distance on every side with rounded corners, and its minimum-area rectangle is the
 * rectangle grown by the distance on every side (same centre and angle).
 */
import { regionOutlines } from "./components";
import {
  distance,
  growRect,
  mapQuad,
  minAreaRect,
  miniBoxOrder,
  orderClockwise,
  type Point,
  type Quad,
  roundHalfEven,
} from "./geometry";

export interface DbSettings {
  /** A pixel is text when its probability exceeds this (PaddleOCR `det_db_thresh`, 0.3). */
  thresh: number;
  /** A box is kept when the mean probability inside it reaches this (`det_db_box_thresh`, 0.6). */
  boxThresh: number;
  /** How far boxes grow: area × ratio / perimeter (`det_db_unclip_ratio`, 1.5). */
  unclipRatio: number;
  /** Regions examined at most (`max_candidates`, 1000). */
  maxCandidates: number;
}

export const DB_DEFAULTS: DbSettings = { thresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, maxCandidates: 1000 };

/** DBPostProcess's `min_size`: rectangles with a shorter side (in map pixels) are noise. */
const MIN_SIZE = 3;

export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
}

export interface TextBox {
  /** Integer corners in original image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: Quad;
  /** Mean probability inside the box before unclipping. */
  score: number;
  /**
   * The region's rectangle before it was grown, in original image pixels (unrounded, `miniBoxOrder`): where the
   * text's core lies, for the page's geometry and reading order (grown boxes of neighbouring lines overlap).
   */
  core: Quad;
}

/**
 * @param map     the detector's output for one image (its input size)
 * @param source  the original image's size: boxes are scaled to it
 * @example boxesFromProbabilityMap({data, width: 32, height: 32}, {width: 64, height: 64}, DB_DEFAULTS)
 */
export function boxesFromProbabilityMap(
  map: ProbabilityMap,
  source: { width: number; height: number },
  settings: DbSettings,
): TextBox[] {
  const { width, height, data } = map;
  const bitmap = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bitmap[i] = data[i]! > settings.thresh ? 1 : 0;

  const boxes: TextBox[] = [];
  for (const outline of regionOutlines(bitmap, width, height, settings.maxCandidates)) {
    const rect = minAreaRect(outline);
    if (Math.min(rect.width, rect.height) < MIN_SIZE) continue;
    const score = meanInside(map, miniBoxOrder(rect.corners));
    if (score < settings.boxThresh) continue;
    const grown = growRect(rect, unclipDistance(rect.width, rect.height, settings.unclipRatio));
    if (Math.min(grown.width, grown.height) < MIN_SIZE + 2) continue;

    const toSource = ([x, y]: Point): Point => [(x / width) * source.width, (y / height) * source.height];
    const scaled = mapQuad(miniBoxOrder(grown.corners), ([x, y]) => [
      clamp(roundHalfEven((x / width) * source.width), 0, source.width),
      clamp(roundHalfEven((y / height) * source.height), 0, source.height),
    ]);
    const box = mapQuad(orderClockwise(scaled), ([x, y]) => [
      clamp(x, 0, source.width - 1),
      clamp(y, 0, source.height - 1),
    ]);
    if (Math.trunc(distance(box[0], box[1])) <= 3 || Math.trunc(distance(box[0], box[3])) <= 3) continue;
    boxes.push({ box, score, core: mapQuad(miniBoxOrder(rect.corners), toSource) });
  }
  return boxes;
}

/** The offset distance of DB's unclip for a `width` × `height` rectangle: area × ratio / perimeter. */
export function unclipDistance(width: number, height: number, ratio: number): number {
  return (width * height * ratio) / (2 * (width + height));
}

/**
 * Mean of the map over the pixels of the box (PaddleOCR's `box_score_fast`): the box's corners, relative to its
 * bounding window and truncated to integers, form the polygon; pixels inside it or on its edges count.
 */
export function meanInside(map: ProbabilityMap, box: Quad): number {
  const { width, height, data } = map;
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const xmin = clamp(Math.floor(Math.min(...xs)), 0, width - 1);
  const xmax = clamp(Math.ceil(Math.max(...xs)), 0, width - 1);
  const ymin = clamp(Math.floor(Math.min(...ys)), 0, height - 1);
  const ymax = clamp(Math.ceil(Math.max(...ys)), 0, height - 1);
  const polygon = box.map(([x, y]): Point => [Math.trunc(x - xmin), Math.trunc(y - ymin)]);
  let sum = 0;
  let count = 0;
  for (let y = 0; y <= ymax - ymin; y++) {
    for (let x = 0; x <= xmax - xmin; x++) {
      if (!insideOrOn(polygon, x, y)) continue;
      sum += data[(y + ymin) * width + x + xmin]!;
      count += 1;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** Whether (x, y) is inside the convex polygon or on its boundary, whichever way it winds. */
function insideOrOn(polygon: readonly Point[], x: number, y: number): boolean {
  let positive = false;
  let negative = false;
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (cross > 0) positive = true;
    else if (cross < 0) negative = true;
    if (positive && negative) return false;
  }
  return true;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
