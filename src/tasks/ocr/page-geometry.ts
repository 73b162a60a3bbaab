/**
 * What the detected text regions say about the page before any line is read: whether its lines run up or down
 * (the page lies a quarter turn off) and how far they are tilted (skew). Both come from the regions' rectangles as
 * the detector found them (before they are grown): a text line is much longer than high, so its long side runs
 * along the line.
 */
import { distance, type Quad } from "./geometry";

/** A region counts towards the page's direction with its length beyond its height; squarish ones say little. */
const MIN_ELONGATION_FOR_SKEW = 2;

export interface PageGeometry {
  /** Most of the text runs up or down the image: the page lies a quarter turn off (90° or 270°). */
  quarterTurned: boolean;
  /**
   * Degrees clockwise the lines are tilted from the nearest axis, in (−45, 45]: the length-weighted median over
   * regions at least twice as long as high; 0 when there are none.
   */
  skew: number;
}

/** The direction of a rectangle's long side, in degrees clockwise from the x axis, within (−90, 90]. */
export function longSideAngle(rect: Quad): { angle: number; length: number; height: number } {
  const [a, b, , d] = rect;
  const [along, across] = distance(a, b) >= distance(a, d) ? [b, d] : [d, b];
  let angle = (Math.atan2(along[1] - a[1], along[0] - a[0]) * 180) / Math.PI;
  if (angle <= -90) angle += 180;
  if (angle > 90) angle -= 180;
  return { angle, length: distance(a, along), height: distance(a, across) };
}

/**
 * @param regions the detected regions' rectangles (before unclipping), in image pixels
 * @example pageGeometry([[[0, 0], [100, 10], [98, 30], [-2, 20]]]).skew // ≈ 5.7: tilted clockwise
 */
export function pageGeometry(regions: readonly Quad[]): PageGeometry {
  const sides = regions.map(longSideAngle);
  let wide = 0;
  let tall = 0;
  for (const { angle, length, height } of sides) {
    if (Math.abs(angle) > 45) tall += length - height;
    else wide += length - height;
  }
  const quarterTurned = tall > wide;
  const tilts = sides
    .filter(
      ({ angle, length, height }) =>
        length >= MIN_ELONGATION_FOR_SKEW * height && Math.abs(angle) > 45 === quarterTurned,
    )
    .map(({ angle, length }) => ({ value: quarterTurned ? angle - Math.sign(angle) * 90 : angle, weight: length }));
  return { quarterTurned, skew: weightedMedian(tilts) };
}

/** The value at which half the total weight is reached (values sorted); 0 for no values. */
export function weightedMedian(values: readonly { value: number; weight: number }[]): number {
  const sorted = [...values].sort((p, q) => p.value - q.value);
  const total = sorted.reduce((sum, v) => sum + v.weight, 0);
  let seen = 0;
  for (const { value, weight } of sorted) {
    seen += weight;
    if (seen * 2 >= total) return value;
  }
  return 0;
}
