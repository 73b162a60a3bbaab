/**
 * The regions of a binary map: 8-connected components of set pixels, each reduced to the points its outline
 * passes through at the left and right end of every row. Their convex hull is the hull of the region's outer
 * contour (OpenCV's `findContours` on the same bitmap), which is all a minimum-area rectangle needs.
 * Holes are not reported: DB's text regions are solid, and a hole's box would be scored against the text around it.
 */
import type { Point } from "./geometry";

/**
 * @param bitmap  `width * height` values, non-zero = set
 * @param limit   stop after this many regions (PaddleOCR's `max_candidates`), in raster order of their first pixel
 * @example regionOutlines(Uint8Array.from([1, 1, 0, 0, 0, 1]), 3, 2) // [[[0,0],[1,0]], [[2,1]]]
 */
export function regionOutlines(bitmap: Uint8Array, width: number, height: number, limit = Infinity): Point[][] {
  if (bitmap.length !== width * height)
    throw new RangeError(`a ${width}x${height} bitmap needs ${width * height} values, got ${bitmap.length}`);
  const seen = new Uint8Array(bitmap.length);
  const stack = new Int32Array(bitmap.length);
  const rowMin = new Int32Array(height);
  const rowMax = new Int32Array(height);
  const startRow = (row: number) => {
    rowMin[row] = width;
    rowMax[row] = -1;
  };
  const regions: Point[][] = [];
  for (let start = 0; start < bitmap.length && regions.length < limit; start++) {
    if (bitmap[start] === 0 || seen[start] === 1) continue;
    const firstRow = (start - (start % width)) / width;
    let top = firstRow;
    let bottom = firstRow;
    startRow(firstRow);
    let size = 0;
    stack[size++] = start;
    seen[start] = 1;
    while (size > 0) {
      const index = stack[--size]!;
      const x = index % width;
      const y = (index - x) / width;
      while (top > y) startRow(--top);
      while (bottom < y) startRow(++bottom);
      if (x < rowMin[y]!) rowMin[y] = x;
      if (x > rowMax[y]!) rowMax[y] = x;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const neighbour = ny * width + nx;
          if (bitmap[neighbour] !== 0 && seen[neighbour] === 0) {
            seen[neighbour] = 1;
            stack[size++] = neighbour;
          }
        }
      }
    }
    const outline: Point[] = [];
    for (let row = top; row <= bottom; row++) {
      if (rowMax[row]! < 0) continue;
      outline.push([rowMin[row]!, row]);
      if (rowMax[row] !== rowMin[row]) outline.push([rowMax[row]!, row]);
    }
    regions.push(outline);
  }
  return regions;
}
