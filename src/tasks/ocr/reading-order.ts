/**
 * Reading order of text lines, column by column. Boxes are taken as the axis-aligned bounds of the detected regions
 * (before they are grown, so neighbours do not touch), seen upright (turned back by the page's remaining skew).
 *
 * The order, recursively over a block of boxes (the whole page first):
 * 1. Columns: boxes whose x-ranges overlap, directly or through others, are one column; columns are separated by
 *    a gap of at least `GUTTER` line heights. Several columns: read them left to right, each as a block.
 * 2. Otherwise cut the block into bands (boxes overlapping vertically) and join each band to the section above it
 *    while the joined section still splits into columns, unless the section is one column and the band several
 *    (a heading over columns). A heading or footer across a two-column page stays a section of its own, so the
 *    columns between them are read one after the other.
 * 3. A band that cannot be split further is a row: left to right.
 *
 * PaddleOCR's `sorted_boxes` (top to bottom, left to right within 10 pixels) reads a two-column page across both
 * columns, line by line.
 */
import type { Point, Quad } from "./geometry";

/** Columns are apart by at least this many line heights (the median height of the regions). */
const GUTTER = 2;
/** Boxes overlapping vertically by less than this share of a line height are in different bands. */
const BAND_OVERLAP = 0.25;

interface Span {
  index: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * The order in which to read `regions`, as indices into it.
 * @param skew degrees the page's lines are still tilted clockwise (they are turned back before ordering)
 * @example readingOrder([rightColumnLine, leftColumnLine]) // [1, 0]
 */
export function readingOrder(regions: readonly Quad[], skew = 0): number[] {
  const radians = (-skew * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  const turn = ([x, y]: Point): Point => [cos * x - sin * y, sin * x + cos * y];
  const spans = regions.map((region, index): Span => {
    const corners = region.map(turn);
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    return { index, left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
  });
  const lineHeight = median(spans.map((s) => s.bottom - s.top));
  return orderBlock(spans, lineHeight).map((s) => s.index);
}

function orderBlock(spans: Span[], lineHeight: number): Span[] {
  if (spans.length <= 1) return spans;
  const columns = splitColumns(spans, lineHeight);
  if (columns.length > 1) return columns.flatMap((column) => orderBlock(column, lineHeight));
  const bands = splitBands(spans, lineHeight);
  if (bands.length === 1) return [...spans].sort((a, b) => a.left - b.left || a.top - b.top);
  const sections: Span[][] = [bands[0]!];
  for (const band of bands.slice(1)) {
    const section = sections.at(-1)!;
    const joined = [...section, ...band];
    // a single column above columns is a heading (or a paragraph) over them, even where it misses one of them
    const heading = splitColumns(section, lineHeight).length === 1 && splitColumns(band, lineHeight).length > 1;
    if (!heading && splitColumns(joined, lineHeight).length > 1) sections[sections.length - 1] = joined;
    else sections.push(band);
  }
  return sections.flatMap((section) => orderBlock(section, lineHeight));
}

/** Left to right, a new column wherever the boxes so far end at least a gutter before the next one starts. */
function splitColumns(spans: readonly Span[], lineHeight: number): Span[][] {
  const sorted = [...spans].sort((a, b) => a.left - b.left);
  const columns: Span[][] = [];
  let right = -Infinity;
  for (const span of sorted) {
    if (span.left - right >= GUTTER * lineHeight) columns.push([]);
    columns.at(-1)!.push(span);
    right = Math.max(right, span.right);
  }
  return columns;
}

/** Top to bottom, a new band wherever the next box starts below the band's bottom (less a little overlap). */
function splitBands(spans: readonly Span[], lineHeight: number): Span[][] {
  const sorted = [...spans].sort((a, b) => a.top - b.top);
  const bands: Span[][] = [];
  let bottom = -Infinity;
  for (const span of sorted) {
    if (span.top > bottom - BAND_OVERLAP * lineHeight) {
      bands.push([]);
      bottom = -Infinity;
    }
    bands.at(-1)!.push(span);
    bottom = Math.max(bottom, span.bottom);
  }
  return bands;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}
