/**
 * The OCR pipeline's pure stages (src/tasks/ocr/) on inputs small enough to work out by hand: DB post-processing
 * (threshold, regions, minimum-area rectangles, box score, unclip, scaling, clipping), reading order by columns,
 * the page's geometry (quarter turn, skew) and frames, the orientation vote, crops, classifier windows, recognizer
 * batching, the detector's size rule and CTC decoding (with the space rule).
 */
import { describe, expect, it } from "vitest";
import type { RgbaImage } from "../src/media/image/decode";
import {
  applyHomography,
  cropLine,
  perspectiveTransform,
  rotateCounterClockwise,
  rotateHalfTurn,
} from "../src/tasks/ocr/crop";
import { ctcDecode, parseAlphabet } from "../src/tasks/ocr/ctc";
import {
  boxesFromProbabilityMap,
  DB_DEFAULTS,
  meanInside,
  type ProbabilityMap,
  unclipDistance,
} from "../src/tasks/ocr/db-postprocess";
import { detectorInputOf, detectorSize } from "../src/tasks/ocr/detector-input";
import { convexHull, minAreaRect, miniBoxOrder, type Point, type Quad, roundHalfEven } from "../src/tasks/ocr/geometry";
import { classifierWindows, recognizerBatches } from "../src/tasks/ocr/line-input";
import { orientLines } from "../src/tasks/ocr/orientation";
import { borderColour, frameDetectorInput, pageFrame } from "../src/tasks/ocr/page-frame";
import { longSideAngle, pageGeometry, weightedMedian } from "../src/tasks/ocr/page-geometry";
import { readLines } from "../src/tasks/ocr/pipeline";
import { readingOrder } from "../src/tasks/ocr/reading-order";

/** A map of `width` x `height` with `value` on the given [x0, x1] x [y0, y1] blocks (inclusive), 0 elsewhere. */
function map(
  width: number,
  height: number,
  blocks: { x: [number, number]; y: [number, number]; value: number }[],
): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (const { x, y, value } of blocks)
    for (let j = y[0]; j <= y[1]; j++) for (let i = x[0]; i <= x[1]; i++) data[j * width + i] = value;
  return { data, width, height };
}

/** An image whose pixel (x, y) has R = x, G = y, B = x + y (mod 256), opaque. */
function coordinateImage(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x + y) % 256, 255], (y * width + x) * 4);
  return { width, height, data };
}

const pixel = (image: RgbaImage, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));

describe("minimum-area rectangles", () => {
  it("fit an axis-aligned block of pixel centres and a rotated rectangle exactly", () => {
    const block: Point[] = [];
    for (let y = 8; y <= 15; y++) for (let x = 10; x <= 29; x++) block.push([x, y]);
    const rect = minAreaRect(block);
    expect([rect.width, rect.height].sort((a, b) => a - b)).toEqual([7, 19]);
    expect(miniBoxOrder(rect.corners).map(([x, y]) => [Math.round(x * 1e9) / 1e9, Math.round(y * 1e9) / 1e9])).toEqual([
      [10, 8],
      [29, 8],
      [29, 15],
      [10, 15],
    ]);

    // a 30 x 10 rectangle turned by atan(3/4): corners on exact integers
    const corners: Point[] = [
      [0, 0],
      [24, 18],
      [18, 26],
      [-6, 8],
    ];
    const turned = minAreaRect([...corners, [9, 9], [12, 13]]);
    expect([turned.width, turned.height].map((v) => Math.round(v * 1e9) / 1e9).sort((a, b) => a - b)).toEqual([10, 30]);
    expect(miniBoxOrder(turned.corners).map(([x, y]) => [Math.round(x) + 0, Math.round(y) + 0])).toEqual([
      [0, 0],
      [24, 18],
      [18, 26],
      [-6, 8],
    ]);
  });

  it("drop interior and collinear points from the hull; degenerate inputs have zero width", () => {
    expect(
      convexHull([
        [0, 0],
        [2, 0],
        [4, 0],
        [4, 4],
        [0, 4],
        [2, 2],
        [0, 4],
      ]),
    ).toEqual([
      [0, 0],
      [4, 0],
      [4, 4],
      [0, 4],
    ]);
    expect(minAreaRect([[3, 3]])).toMatchObject({ width: 0, height: 0 });
    expect(
      Math.min(
        minAreaRect([
          [0, 0],
          [5, 0],
          [9, 0],
        ]).width,
        minAreaRect([
          [0, 0],
          [5, 0],
          [9, 0],
        ]).height,
      ),
    ).toBe(0);
  });

  it("round halves to even, as Python's round()", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
});

describe("DB post-processing", () => {
  it("turns one block into one box: score, unclip by area × ratio / perimeter, scaled to the image", () => {
    const probabilities = map(64, 32, [{ x: [10, 29], y: [8, 15], value: 0.9 }]);
    const boxes = boxesFromProbabilityMap(probabilities, { width: 128, height: 64 }, DB_DEFAULTS);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.score).toBeCloseTo(0.9, 6);
    // rectangle through the pixel centres: 19 x 7; d = 19 · 7 · 1.5 / (2 · 26) = 3.8365…
    const d = unclipDistance(19, 7, 1.5);
    expect(d).toBeCloseTo(199.5 / 52, 12);
    const scale = (v: number) => roundHalfEven(v * 2);
    expect(boxes[0]!.box).toEqual([
      [scale(10 - d), scale(8 - d)],
      [scale(29 + d), scale(8 - d)],
      [scale(29 + d), scale(15 + d)],
      [scale(10 - d), scale(15 + d)],
    ]);
    expect(boxes[0]!.box).toEqual([
      [12, 8],
      [66, 8],
      [66, 38],
      [12, 38],
    ]);
  });

  it("drops regions whose mean probability is under boxThresh, and regions thinner than 3 map pixels", () => {
    const probabilities = map(64, 32, [
      { x: [2, 20], y: [2, 8], value: 0.55 }, // above thresh (0.3), under boxThresh (0.6)
      { x: [30, 60], y: [4, 5], value: 0.95 }, // 2 rows: rectangle height 1 < 3
      { x: [30, 50], y: [20, 26], value: 0.7 },
    ]);
    const boxes = boxesFromProbabilityMap(probabilities, { width: 64, height: 32 }, DB_DEFAULTS);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.score).toBeCloseTo(0.7, 6);
    expect(
      boxesFromProbabilityMap(probabilities, { width: 64, height: 32 }, { ...DB_DEFAULTS, boxThresh: 0.5 }),
    ).toHaveLength(2);
  });

  it("joins pixels that touch diagonally (8-connectivity) and keeps separate blocks apart", () => {
    const probabilities = map(40, 40, [
      { x: [2, 12], y: [2, 8], value: 0.9 },
      { x: [13, 24], y: [9, 15], value: 0.9 }, // touches the first block at one corner only
      { x: [2, 30], y: [30, 36], value: 0.9 },
    ]);
    expect(
      boxesFromProbabilityMap(probabilities, { width: 40, height: 40 }, { ...DB_DEFAULTS, boxThresh: 0.3 }),
    ).toHaveLength(2);
  });

  it("clips boxes to the image (the unclipped box reaches past its edges)", () => {
    const probabilities = map(32, 32, [{ x: [0, 31], y: [0, 9], value: 0.9 }]);
    const [found] = boxesFromProbabilityMap(probabilities, { width: 32, height: 32 }, DB_DEFAULTS);
    // d = 31 · 9 · 1.5 / 80 = 5.23…: x from −5.2 to 36.2, y from −5.2 to 14.2 → clipped to [0, 31]
    expect(found!.box).toEqual([
      [0, 0],
      [31, 0],
      [31, 14],
      [0, 14],
    ]);
  });

  it("scores a box by the mean over the pixels inside it or on its edges", () => {
    const gradient: ProbabilityMap = {
      width: 8,
      height: 4,
      data: Float32Array.from({ length: 32 }, (_, i) => (i % 8) / 10),
    };
    // columns 2..5 of every row: (0.2 + 0.3 + 0.4 + 0.5) / 4
    expect(
      meanInside(gradient, [
        [2, 0],
        [5, 0],
        [5, 3],
        [2, 3],
      ]),
    ).toBeCloseTo(0.35, 6);
    // a triangle-shaped quad (two corners equal): row y covers columns 0..y
    expect(
      meanInside(gradient, [
        [0, 0],
        [0, 0],
        [3, 3],
        [0, 3],
      ]),
    ).toBeCloseTo((0 + 0 + 0.1 + 0 + 0.1 + 0.2 + 0 + 0.1 + 0.2 + 0.3) / 10, 6);
  });

  it("finds nothing in an empty map", () => {
    expect(boxesFromProbabilityMap(map(32, 32, []), { width: 32, height: 32 }, DB_DEFAULTS)).toEqual([]);
  });
});

describe("reading order", () => {
  /** A line's region: `width` x 10 pixels from (x, y). */
  const line = (x: number, y: number, width = 100): Quad => [
    [x, y],
    [x + width, y],
    [x + width, y + 10],
    [x, y + 10],
  ];

  it("reads a single column top to bottom, and boxes side by side in a row left to right", () => {
    const boxes = [line(0, 60), line(0, 0), line(60, 30, 40), line(0, 31, 50)];
    // the row at y 30-31: its two boxes are 10 px apart, less than a gutter (2 line heights), so left to right
    expect(readingOrder(boxes)).toEqual([1, 3, 2, 0]);
  });

  it("reads two columns one after the other, between a heading and a footer across both", () => {
    const heading = line(60, 0, 150); // centred: misses the left column's first line, crosses the gutter
    const left = [line(0, 30, 20), line(0, 60), line(0, 90)];
    const right = [line(140, 30), line(140, 60)];
    const footer = line(0, 130, 240);
    const boxes = [right[1]!, footer, left[2]!, heading, left[0]!, right[0]!, left[1]!];
    expect(readingOrder(boxes).map((i) => boxes[i])).toEqual([heading, ...left, ...right, footer]);
  });

  it("leaves out lines that read as nothing: a speck in the gutter does not join two columns into rows", () => {
    const regions = [line(0, 30), line(105, 32, 30), line(140, 30), line(0, 60), line(140, 60)];
    // without the speck (105-135) the gap between the columns is 40 px; with it, 5 px on either side
    expect(readingOrder(regions)).toEqual([0, 1, 2, 3, 4]);
    // two steps per line over blank, a, b, space: "a", nothing, "b", "ab", "ba"
    const [blank, a, b] = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ];
    const output = Float32Array.from([a, blank, blank, blank, b, blank, a, b, b, a].flat());
    const outputs = {
      boxes: regions,
      layout: { regions, skew: 0 },
      batches: [{ lines: [0, 1, 2, 3, 4], output: { data: output, shape: [5, 2, 4] } }],
      angle: 0,
      skew: 0,
    };
    const read = readLines(outputs, ["", "a", "b", " "], { dropScore: 0.5, spaceThreshold: 1 });
    expect(read.map((l) => l.text)).toEqual(["a", "ab", "b", "ba"]);
  });

  it("orders a tilted page as it reads once turned back", () => {
    const tilt = (quad: Quad, degrees: number): Quad => {
      const r = (degrees * Math.PI) / 180;
      return quad.map(([x, y]) => [x * Math.cos(r) - y * Math.sin(r), x * Math.sin(r) + y * Math.cos(r)]) as never;
    };
    const boxes = [line(0, 0), line(0, 30), line(140, 0), line(140, 30)].map((q) => tilt(q, 8));
    // tilted 8° clockwise, the right column's first line sits 20 px lower than the left's
    expect(readingOrder(boxes, 8)).toEqual([0, 1, 2, 3]);
  });
});

describe("page geometry", () => {
  const rect = (cx: number, cy: number, length: number, height: number, degrees: number): Quad => {
    const r = (degrees * Math.PI) / 180;
    const [ux, uy, vx, vy] = [Math.cos(r), Math.sin(r), -Math.sin(r), Math.cos(r)];
    const at = (u: number, v: number): Point => [cx + u * ux + v * vx, cy + u * uy + v * vy];
    return [
      at(-length / 2, -height / 2),
      at(length / 2, -height / 2),
      at(length / 2, height / 2),
      at(-length / 2, height / 2),
    ];
  };

  it("measures the tilt of a rectangle's long side, clockwise, within (−90, 90]", () => {
    expect(longSideAngle(rect(0, 0, 100, 10, 5)).angle).toBeCloseTo(5, 9);
    expect(longSideAngle(rect(0, 0, 10, 100, 0)).angle).toBeCloseTo(90, 9);
    expect(longSideAngle(rect(0, 0, 100, 10, 175)).angle).toBeCloseTo(-5, 9);
  });

  it("takes the length-weighted median tilt of the elongated regions and ignores squarish ones", () => {
    const regions = [
      rect(0, 0, 300, 10, 4),
      rect(0, 50, 100, 10, 9),
      rect(0, 90, 20, 15, 40),
      rect(0, 120, 200, 10, 3),
    ];
    // weights 300 (4°), 100 (9°), 200 (3°): half of 600 is reached at 4°; the 20x15 region does not count
    expect(pageGeometry(regions)).toEqual({ quarterTurned: false, skew: expect.closeTo(4, 9) });
    expect(weightedMedian([])).toBe(0);
  });

  it("finds a page lying a quarter turn off from tall regions, its tilt measured from the vertical", () => {
    expect(pageGeometry([rect(0, 0, 300, 10, 93), rect(40, 0, 200, 10, -88), rect(0, 0, 40, 12, 0)])).toEqual({
      quarterTurned: true,
      skew: expect.closeTo(3, 9),
    });
  });
});

describe("page frames", () => {
  it("turn a page a quarter counter-clockwise exactly: the canvas swaps sides, corners map back", () => {
    const frame = pageFrame({ width: 40, height: 10 }, -90);
    expect([frame.width, frame.height]).toEqual([10, 40]);
    expect(frame.toImage([0, 0])).toEqual([40, 0]);
    expect(frame.toImage([10, 40])).toEqual([0, 10]);
  });

  it("hold a page tilted by a small angle on a canvas just large enough, its centre fixed", () => {
    const frame = pageFrame({ width: 100, height: 50 }, 10);
    const r = (10 * Math.PI) / 180;
    expect(frame.width).toBe(Math.ceil(100 * Math.cos(r) + 50 * Math.sin(r)));
    expect(frame.toImage([frame.width / 2, frame.height / 2])).toEqual([50, 25]);
    // the image's right-middle point, turned 10° clockwise about the centre
    const [x, y] = frame.toImage([frame.width / 2 + 50 * Math.cos(r), frame.height / 2 + 50 * Math.sin(r)]);
    expect([x, y].map((v) => Math.round(v * 1e9) / 1e9)).toEqual([100, 25]);
  });

  it("sample the detector's input from the image, the uncovered corners in the border's colour", () => {
    const image = coordinateImage(64, 64);
    const straight = frameDetectorInput(image, pageFrame(image, 0), 64 * 64);
    expect(straight.data).toEqual(detectorInputOf(image).data);
    const turned = frameDetectorInput(image, pageFrame(image, 45), 128 * 128);
    const border = borderColour(image);
    const corner = detectorInputOf({
      width: 32,
      height: 32,
      data: new Uint8Array(32 * 32 * 4).fill(0).map((_, i) => border[i % 4]!),
    });
    expect(turned.data[0]).toBeCloseTo(corner.data[0]!, 6);
  });
});

describe("page orientation", () => {
  const settings = { mode: "page", lineThreshold: 0.9, overrideProbability: 0.99, overrideWindows: 3 } as const;

  it("turns every line of a page the long lines find upside down, a confidently wrong short line too", () => {
    const lines = [
      { upsideDown: 1, windows: 4 },
      { upsideDown: 0.999, windows: 2 },
      { upsideDown: 0.03, windows: 1 }, // "out" upside down, taken as upright with p = 0.97
    ];
    expect(orientLines(lines, settings)).toEqual({ pageTurned: true, turned: [true, true, true] });
    // each line on its own, as PaddleOCR: the short line is read the wrong way up
    expect(orientLines(lines, { ...settings, mode: "line" })).toEqual({
      pageTurned: true,
      turned: [true, true, false],
    });
  });

  it("weighs each line by how sure the classifier was and how much of it it saw", () => {
    const unsure = Array.from({ length: 5 }, () => ({ upsideDown: 0.6, windows: 1 }));
    // five lines at 0.6 (votes 0.2 each) against one 2-window line at 0.1 (votes −0.8 twice)
    expect(orientLines([...unsure, { upsideDown: 0.1, windows: 2 }], settings).pageTurned).toBe(false);
  });

  it("lets a line go against the page only when long and sure of itself", () => {
    const page = [
      { upsideDown: 1, windows: 8 },
      { upsideDown: 0.995, windows: 8 },
    ];
    const long = { upsideDown: 0.002, windows: 3 };
    const short = { upsideDown: 0.002, windows: 2 };
    const unsure = { upsideDown: 0.05, windows: 2 };
    expect(orientLines([...page, long, short, unsure], settings).turned).toEqual([true, true, false, true, true]);
  });
});

describe("crops", () => {
  it("solve the perspective transform that maps the four corners exactly", () => {
    const from: Point[] = [
      [0, 0],
      [100, 0],
      [100, 20],
      [0, 20],
    ];
    const to: Point[] = [
      [10, 5],
      [108, 12],
      [105, 33],
      [8, 25],
    ];
    const h = perspectiveTransform(from, to)!;
    from.forEach((p, i) => {
      const [x, y] = applyHomography(h, p[0], p[1]);
      expect(x).toBeCloseTo(to[i]![0], 9);
      expect(y).toBeCloseTo(to[i]![1], 9);
    });
  });

  it("copy an axis-aligned box pixel for pixel (bicubic weights are 0, 1, 0, 0 on whole pixels)", () => {
    const page = coordinateImage(64, 32);
    const crop = cropLine(page, [
      [5, 3],
      [45, 3],
      [45, 20],
      [5, 20],
    ]);
    expect([crop.width, crop.height]).toEqual([40, 17]);
    expect(pixel(crop, 0, 0)).toEqual(pixel(page, 5, 3));
    expect(pixel(crop, 39, 16)).toEqual(pixel(page, 44, 19));
    expect(pixel(crop, 17, 9)).toEqual(pixel(page, 22, 12));
  });

  it("turn boxes at least 1.5 times taller than wide a quarter counter-clockwise", () => {
    const page = coordinateImage(64, 64);
    const crop = cropLine(page, [
      [10, 5],
      [20, 5],
      [20, 40],
      [10, 40],
    ]);
    expect([crop.width, crop.height]).toEqual([35, 10]);
    // np.rot90: the upright crop's top-right pixel (19, 5) becomes the top-left
    expect(pixel(crop, 0, 0)).toEqual(pixel(page, 19, 5));
    expect(pixel(crop, 34, 0)).toEqual(pixel(page, 19, 39));
    expect(pixel(crop, 0, 9)).toEqual(pixel(page, 10, 5));
  });

  it("fall back to the bounding rectangle when clipping left a degenerate box", () => {
    const page = coordinateImage(32, 32);
    const crop = cropLine(page, [
      [0, 0],
      [20, 0],
      [31, 0],
      [0, 10],
    ]);
    expect([crop.width, crop.height]).toEqual([31, 10]);
    expect(pixel(crop, 3, 4)).toEqual(pixel(page, 3, 4));
  });

  it("rotate by quarter and half turns", () => {
    const image = coordinateImage(3, 2);
    const quarter = rotateCounterClockwise(image);
    expect([quarter.width, quarter.height]).toEqual([2, 3]);
    expect(pixel(quarter, 0, 0)).toEqual(pixel(image, 2, 0));
    expect(pixel(quarter, 1, 2)).toEqual(pixel(image, 0, 1));
    const half = rotateHalfTurn(image);
    expect(pixel(half, 0, 0)).toEqual(pixel(image, 2, 1));
    expect(pixel(half, 2, 1)).toEqual(pixel(image, 0, 0));
  });
});

describe("line inputs", () => {
  it("give the classifier one window per line up to 4:1, else 192-pixel windows spread over the line", () => {
    expect(classifierWindows(coordinateImage(96, 24))).toHaveLength(1);
    const windows = classifierWindows(coordinateImage(200, 10)); // 48 high: 960 wide → 5 windows at 0, 192, …, 768
    expect(windows.map((w) => [w.width, w.height])).toEqual(Array(5).fill([192, 48]));
    expect(classifierWindows(coordinateImage(1000, 10))).toHaveLength(8);
  });

  it("batch the recognizer's lines by aspect ratio, within batch size and columns", () => {
    const sizes = [
      { width: 400, height: 40 },
      { width: 100, height: 50 },
      { width: 2000, height: 20 },
      { width: 300, height: 30 },
      { width: 900, height: 30 },
    ];
    expect(recognizerBatches(sizes, { batchSize: 6, minWidth: 320, maxColumns: 3200 })).toEqual([
      { lines: [1, 0, 3], width: 480 }, // ratios 2, 10, 10: 48 · 10 wide, 3 · 480 columns
      { lines: [4], width: 1440 }, // ratio 30: joining the others would make 4 · 1440 > 3200 columns
      { lines: [2], width: 3200 }, // ratio 100: 4800 wide, squeezed to maxColumns
    ]);
    expect(recognizerBatches(sizes, { batchSize: 2, minWidth: 320, maxColumns: 65536 }).map((b) => b.lines)).toEqual([
      [1, 0],
      [3, 4],
      [2],
    ]);
  });
});

describe("detector size", () => {
  it("scales down to at most maxPixels, rounds both sides to multiples of 32 (halves to even, at least 32)", () => {
    const cap = 576 * 576;
    expect(detectorSize(1000, 1000, cap)).toEqual({ width: 576, height: 576 });
    // √(331776 / 500000) = 0.8146: 814 x 407 → 800 x 416 = 332800 pixels, over the cap: the width gives way to 768
    expect(detectorSize(1000, 500, cap)).toEqual({ width: 768, height: 416 });
    expect(detectorSize(300, 48, cap)).toEqual({ width: 288, height: 64 }); // 300/32 = 9.4 → 9; 48/32 = 1.5 → 2
    expect(detectorSize(100, 80, cap)).toEqual({ width: 96, height: 64 }); // 80/32 = 2.5 → 2
    expect(detectorSize(20, 10, cap)).toEqual({ width: 32, height: 32 });
    // under the cap as it is, but 704 x 480 after rounding: the longer side gives way
    expect(detectorSize(705, 470, cap)).toEqual({ width: 672, height: 480 });
    // a long thin strip: 32 rows, so at most 10368 columns
    expect(detectorSize(20000, 10, cap)).toEqual({ width: 10368, height: 32 });
    for (const [w, h] of [
      [1000, 1000],
      [1546, 464],
      [20000, 10],
      [599, 555],
      [4096, 1024],
    ] as const) {
      const size = detectorSize(w, h, cap);
      expect(size.width * size.height, `${w}x${h}`).toBeLessThanOrEqual(cap);
    }
    expect(() => detectorSize(100, 100, 500)).toThrow(RangeError);
  });
});

describe("CTC decoding", () => {
  const alphabet = ["", "a", "b", " "];
  /** One row of probabilities per step, classes blank, a, b, space. */
  const steps = (...rows: number[][]) => Float32Array.from(rows.flat());

  it("collapses repeats, drops blanks, keeps a repeat separated by a blank, and averages the kept steps' probabilities", () => {
    const probabilities = steps(
      [0.1, 0.7, 0.1, 0.1],
      [0.1, 0.8, 0.05, 0.05],
      [0.9, 0.05, 0.05, 0],
      [0.2, 0.6, 0.1, 0.1],
      [0.1, 0.1, 0.5, 0.3],
      [0.1, 0.1, 0.2, 0.6],
    );
    const [line] = ctcDecode(probabilities, [1, 6, 4], alphabet);
    expect(line!.text).toBe("aab ");
    expect(line!.score).toBeCloseTo((0.7 + 0.6 + 0.5 + 0.6) / 4, 6);
  });

  it("gives an empty line with score 0 when every step is blank, and takes the first class on ties", () => {
    const decoded = ctcDecode(
      steps([1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.2, 0.4, 0.4, 0], [0.2, 0.4, 0.4, 0]),
      [2, 2, 4],
      alphabet,
    );
    expect(decoded).toEqual([
      { text: "", score: 0 },
      { text: "a", score: expect.closeTo(0.4, 6) },
    ]);
  });

  it("writes a space between two characters where the space class reaches the threshold, never at the ends", () => {
    // "a", a blank step where the space is the runner-up at 0.3, "b", then a trailing blank with the same
    const [a, gap, b] = [
      [0.1, 0.8, 0.05, 0.05],
      [0.6, 0.05, 0.05, 0.3],
      [0.1, 0.1, 0.7, 0.1],
    ];
    const probabilities = steps(a!, gap!, b!, gap!);
    expect(ctcDecode(probabilities, [1, 4, 4], alphabet)[0]!.text).toBe("ab");
    const [line] = ctcDecode(probabilities, [1, 4, 4], alphabet, 0.3);
    expect(line).toEqual({ text: "a b", score: expect.closeTo((0.8 + 0.7) / 2, 6) });
    expect(ctcDecode(probabilities, [1, 4, 4], alphabet, 0.31)[0]!.text).toBe("ab");
    // a space the greedy path writes is not written twice
    const spaced = steps([0.1, 0.8, 0.05, 0.05], [0.2, 0.05, 0.05, 0.7], [0.6, 0.05, 0.05, 0.3], [0.1, 0.1, 0.7, 0.1]);
    expect(ctcDecode(spaced, [1, 4, 4], alphabet, 0.05)[0]!.text).toBe("a b");
  });

  it("refuses an output whose classes do not match the dictionary", () => {
    expect(() => ctcDecode(new Float32Array(10), [1, 2, 5], alphabet)).toThrow(/5 classes/);
  });

  it("reads a dictionary: blank first, one character per line (LF or CRLF), space last", () => {
    expect(parseAlphabet(new TextEncoder().encode("a\r\nb\n中\n"))).toEqual(["", "a", "b", "中", " "]);
    expect(parseAlphabet(new TextEncoder().encode("x\ny"))).toEqual(["", "x", "y", " "]);
    expect(() => parseAlphabet(Uint8Array.from([0xff, 0xfe]))).toThrow(/UTF-8/);
  });
});
