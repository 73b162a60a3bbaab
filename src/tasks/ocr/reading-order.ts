/**
 * Reading order of text boxes, as PaddleOCR's `sorted_boxes` (tools/infer/predict_system.py): by the top-left
 * corner's y, then x; then boxes whose top-left corners are within 10 pixels vertically count as one row and go
 * left to right (an insertion pass over neighbours, as in PaddleOCR 2.6 and later).
 */
import type { Quad } from "./geometry";

const SAME_ROW_PIXELS = 10;

/** The order in which to read `boxes`, as indices into it. */
export function readingOrder(boxes: readonly Quad[]): number[] {
  const order = boxes
    .map((_, i) => i)
    .sort((a, b) => boxes[a]![0][1] - boxes[b]![0][1] || boxes[a]![0][0] - boxes[b]![0][0]);
  for (let i = 0; i < order.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const upper = boxes[order[j]!]![0];
      const lower = boxes[order[j + 1]!]![0];
      if (Math.abs(lower[1] - upper[1]) < SAME_ROW_PIXELS && lower[0] < upper[0]) {
        [order[j], order[j + 1]] = [order[j + 1]!, order[j]!];
      } else {
        break;
      }
    }
  }
  return order;
}
