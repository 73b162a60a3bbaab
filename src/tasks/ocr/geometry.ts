/**
 * Plane geometry for text boxes: convex hulls, minimum-area rectangles (what OpenCV's `minAreaRect` computes) and
 * the corner orders PaddleOCR uses. A box is always four corners, top-left, top-right, bottom-right, bottom-left.
 */

export type Point = readonly [x: number, y: number];
export type Quad = readonly [Point, Point, Point, Point];

export interface RotatedRect {
  /** Corners in order around the rectangle (either direction). */
  corners: Quad;
  /** Side lengths; `width` is along the hull edge the rectangle was fitted to. */
  width: number;
  height: number;
}

/**
 * The convex hull, counter-clockwise in image coordinates seen with y up (Andrew's monotone chain); collinear
 * points dropped. Fewer than three distinct points come back as they are (deduplicated).
 */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique = sorted.filter((p, i) => i === 0 || p[0] !== sorted[i - 1]![0] || p[1] !== sorted[i - 1]![1]);
  if (unique.length < 3) return unique;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = unique.length - 1; i >= 0; i--) {
    const p = unique[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/**
 * The smallest-area rectangle enclosing `points` (one of its sides lies on a hull edge: Freeman & Shapira 1975).
 * Degenerate inputs give zero-width rectangles: one point, or points on a line.
 * @example minAreaRect([[0, 0], [4, 0], [4, 2], [0, 2], [2, 1]]) // width 4, height 2
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) throw new RangeError("minAreaRect of no points");
  if (hull.length === 1) {
    const p = hull[0]!;
    return { corners: [p, p, p, p], width: 0, height: 0 };
  }
  let best: { area: number; rect: RotatedRect } | undefined;
  const edges = hull.length === 2 ? 1 : hull.length;
  for (let i = 0; i < edges; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const ux = (b[0] - a[0]) / length;
    const uy = (b[1] - a[1]) / length;
    let minU = Infinity,
      maxU = -Infinity,
      minV = Infinity,
      maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (best === undefined || area < best.area) {
      // back from (u, v) to (x, y): x = u·ux − v·uy, y = u·uy + v·ux
      const at = (u: number, v: number): Point => [u * ux - v * uy, u * uy + v * ux];
      const corners: Quad = [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)];
      best = { area, rect: { corners, width: maxU - minU, height: maxV - minV } };
    }
  }
  return best!.rect;
}

/** The rectangle grown by `distance` on every side (same centre and orientation). */
export function growRect(rect: RotatedRect, distance: number): RotatedRect {
  const [a, b, , d] = rect.corners;
  const unit = (from: Point, to: Point, length: number): Point =>
    length > 0 ? [(to[0] - from[0]) / length, (to[1] - from[1]) / length] : [0, 0];
  const along = unit(a, b, rect.width);
  const across = unit(a, d, rect.height);
  const shift = (p: Point, su: number, sv: number): Point => [
    p[0] + su * along[0] + sv * across[0],
    p[1] + su * along[1] + sv * across[1],
  ];
  const [, , c] = rect.corners;
  return {
    corners: [
      shift(a, -distance, -distance),
      shift(b, distance, -distance),
      shift(c, distance, distance),
      shift(d, -distance, distance),
    ],
    width: rect.width + 2 * distance,
    height: rect.height + 2 * distance,
  };
}

/**
 * PaddleOCR's `get_mini_boxes` corner order: the two leftmost corners (by x) give top-left and bottom-left by y,
 * the two rightmost give top-right and bottom-right.
 */
export function miniBoxOrder(corners: Quad): Quad {
  const byX = [...corners].sort((p, q) => p[0] - q[0]);
  const [topLeft, bottomLeft] = byX[1]![1] > byX[0]![1] ? [byX[0]!, byX[1]!] : [byX[1]!, byX[0]!];
  const [topRight, bottomRight] = byX[3]![1] > byX[2]![1] ? [byX[2]!, byX[3]!] : [byX[3]!, byX[2]!];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/**
 * PaddleOCR's `order_points_clockwise` (from imutils): the two leftmost corners sorted by y are top-left and
 * bottom-left, the two rightmost sorted by y are top-right and bottom-right.
 */
export function orderClockwise(corners: Quad): Quad {
  const byX = [...corners].sort((p, q) => p[0] - q[0]);
  const [topLeft, bottomLeft] = [byX[0]!, byX[1]!].sort((p, q) => p[1] - q[1]) as [Point, Point];
  const [topRight, bottomRight] = [byX[2]!, byX[3]!].sort((p, q) => p[1] - q[1]) as [Point, Point];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

export function mapQuad(quad: Quad, f: (p: Point) => Point): Quad {
  return [f(quad[0]), f(quad[1]), f(quad[2]), f(quad[3])];
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** `round()` of Python and NumPy: halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
