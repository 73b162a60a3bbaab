/**
 * Measures how much WASM memory one run of a model takes, as a function of its input size, when a version is
 * uploaded. The model runs on zero-filled inputs whose dynamic dimensions grow step by step (dimensions with the
 * same symbolic name grow together; the leading batch dimension stays 1 when others can grow) until two runs have
 * grown the heap past 1 MiB, the next would pass the heap's budget, its dimensions reach the manifest's `limits.maxDims`, or it
 * fails. Every free block of the heap is held during the runs (./wasm-heap.ts), so a run's peak shows as the heap's
 * growth; the last two measurable runs give a straight line: a fixed part and bytes per input element. The runs
 * are small (a few MiB), and what they grew stays free for the sessions that come next.
 */
import type { OnnxDim } from "../onnx/reader";
import type { MemoryProfile } from "./budget";
import { type Datatype, datatypeInfo, elementCount, isNumeric } from "./datatypes";
import type { Tensor } from "./tensor";
import type { WasmHeap } from "./wasm-heap";

export interface CalibrationInput {
  name: string;
  datatype: Datatype;
  /** Declared dims: a size, a symbolic name, or undefined for an unnamed dynamic dimension. */
  dims: (number | string | undefined)[];
}

export interface CalibrationOptions {
  maxDims?: Record<string, (number | null)[]>;
  /** Largest element count of one input. */
  maxElements: number;
  /** The heap's budget: no run is tried that the runs before it predict would grow the heap past it. */
  budgetBytes: number;
}

/** Runs the model once on `inputs`; throws what the session throws. */
export type CalibrationRun = (inputs: Record<string, Tensor>) => Promise<void>;

const FIRST_SIZE = 32;
/** Peaks below this are too close to the heap's 64 KiB pages to fit a line through. */
const MEASURABLE_BYTES = 1024 * 1024;
const MAX_STEPS = 14;

/** Declared dims as calibration sees them: sizes, symbolic names, or undefined. */
export function calibrationDims(
  declared: OnnxDim[] | null | undefined,
  shape: number[],
): (number | string | undefined)[] {
  return shape.map((size, axis) => {
    if (size >= 0) return size;
    const dim = declared?.[axis];
    return dim?.param || undefined;
  });
}

export async function calibrate(
  run: CalibrationRun,
  heap: WasmHeap,
  inputs: CalibrationInput[],
  options: CalibrationOptions,
): Promise<Pick<MemoryProfile, "run" | "points" | "note">> {
  try {
    return await calibrateRuns(run, heap, inputs, options);
  } catch (error) {
    // a size that ran once failed when run again: no estimate is better than a wrong one
    return { note: `calibration failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function calibrateRuns(
  run: CalibrationRun,
  heap: WasmHeap,
  inputs: CalibrationInput[],
  options: CalibrationOptions,
): Promise<Pick<MemoryProfile, "run" | "points" | "note">> {
  const growing = growingDims(inputs);
  const tried: Record<string, Tensor>[] = [];
  let failure: string | undefined;
  let points = await measure(run, heap, options, (points, room) => {
    const step = tried.length;
    if (step >= MAX_STEPS || (step > 0 && growing.keys.length === 0)) return undefined;
    if (measured(points).length >= 2) return undefined;
    const feeds = feedsAt(inputs, growing, step, options);
    if (!feeds || predicted(points, feeds) > room) return undefined;
    tried.push(feeds);
    return feeds;
  }).catch((error: unknown) => {
    failure = `${describeFeeds(tried.at(-1) ?? {})}: ${error instanceof Error ? error.message : String(error)}`;
    tried.pop();
    return undefined;
  });
  // a size failed: measure the sizes before it again (a failed run may have left the heap in between)
  points ??= await measure(run, heap, options, replay(tried));
  if (points.length === 0)
    return { note: `the model did not run on zero-filled inputs (${failure ?? "no input shape to try"})` };
  const stopped = failure ? { note: `calibration stopped where the model failed (${failure})` } : {};
  return { run: fitLine(points), points: points.map((p) => [p.elements, p.bytes]), ...stopped };
}

function measured(points: Point[]): Point[] {
  return points.filter((p) => p.exact && p.bytes >= MEASURABLE_BYTES);
}

/** What the next run will peak at by the runs so far, with room for a line that bends upwards. */
function predicted(points: Point[], feeds: Record<string, Tensor>): number {
  return points.length === 0 ? 0 : 1.5 * estimate(fitLine(points), elementsOf(feeds));
}

/**
 * Runs `next()`'s inputs until it says stop, with every free block of the heap held so that a run's peak shows as
 * the heap's growth when it peaks above the runs before it. `next` gets the room a run may peak in without the heap
 * passing its budget. What the runs grew stays free for what comes next.
 */
async function measure(
  run: CalibrationRun,
  heap: WasmHeap,
  options: CalibrationOptions,
  next: (points: Point[], room: number) => Record<string, Tensor> | undefined,
): Promise<Point[]> {
  const points: Point[] = [];
  const held = heap.holdFree();
  const start = heap.bytes();
  try {
    for (
      let feeds = next(points, options.budgetBytes - start);
      feeds;
      feeds = next(points, options.budgetBytes - start)
    ) {
      const before = heap.bytes();
      await run(feeds);
      points.push({ elements: elementsOf(feeds), bytes: heap.bytes() - start, exact: heap.bytes() > before });
    }
  } finally {
    held.release();
  }
  return points;
}

function replay(feeds: Record<string, Tensor>[]): () => Record<string, Tensor> | undefined {
  let index = 0;
  return () => feeds[index++];
}

function elementsOf(feeds: Record<string, Tensor>): number {
  return Object.values(feeds).reduce((sum, tensor) => sum + elementCount(tensor.shape), 0);
}

function estimate(line: NonNullable<MemoryProfile["run"]>, elements: number): number {
  return line.fixedBytes + line.bytesPerElement * elements;
}

interface Point {
  elements: number;
  /** The heap's growth since the runs started: the run's peak if it grew the heap, else at most that. */
  bytes: number;
  /** The heap grew during this run: it peaked above every run before it, and `bytes` is its peak. */
  exact: boolean;
}

/**
 * The dims that grow between steps, keyed by symbolic name (unnamed ones by input and axis), in the order they take
 * turns; `batch` when only leading (batch) dims are dynamic.
 */
interface Growth {
  keys: string[];
  batch: boolean;
}

function growingDims(inputs: CalibrationInput[]): Growth {
  const dynamic: { key: string; axis: number }[] = [];
  for (const input of inputs)
    input.dims.forEach((dim, axis) => {
      if (typeof dim !== "number") dynamic.push({ key: dimKey(input.name, axis, dim), axis });
    });
  const beyondBatch = dynamic.filter((d) => d.axis > 0);
  const chosen = beyondBatch.length > 0 ? beyondBatch : dynamic;
  return { keys: [...new Set(chosen.map((d) => d.key))], batch: beyondBatch.length === 0 };
}

function dimKey(input: string, axis: number, dim: string | undefined): string {
  return dim === undefined ? `${input}#${axis}` : `=${dim}`;
}

/** Zero-filled inputs for `step`, or undefined when no growing dimension grew since the step before. */
function feedsAt(
  inputs: CalibrationInput[],
  growth: Growth,
  step: number,
  options: CalibrationOptions,
): Record<string, Tensor> | undefined {
  const shapes = inputs.map((input) => shapeAt(input, growth, step, options));
  if (step > 0) {
    const before = inputs.map((input) => shapeAt(input, growth, step - 1, options));
    if (shapes.every((shape, i) => shape.every((size, axis) => size === before[i]![axis]))) return undefined;
  }
  if (shapes.some((shape) => elementCount(shape) > options.maxElements)) return undefined;
  return Object.fromEntries(
    inputs.map((input, i) => {
      const shape = shapes[i]!;
      const count = elementCount(shape);
      // BYTES inputs take empty strings; every other datatype zeros
      const data = isNumeric(input.datatype)
        ? new (datatypeInfo(input.datatype).array)(count)
        : new Array<string>(count).fill("");
      return [input.name, { datatype: input.datatype, shape, data }];
    }),
  );
}

/**
 * Growing dims start at 32 (a multiple of common strides; a batch starts at 1) and take turns doubling, one per
 * step, so the input's size doubles each step; other dynamic dims stay 1.
 */
function shapeAt(input: CalibrationInput, growth: Growth, step: number, options: CalibrationOptions): number[] {
  const caps = options.maxDims && Object.hasOwn(options.maxDims, input.name) ? options.maxDims[input.name] : undefined;
  const base = growth.batch ? 1 : FIRST_SIZE;
  const n = growth.keys.length;
  return input.dims.map((dim, axis) => {
    if (typeof dim === "number") return dim;
    const cap = caps?.[axis] ?? Number.POSITIVE_INFINITY;
    const turn = growth.keys.indexOf(dimKey(input.name, axis, dim));
    if (turn < 0) return Math.min(1, cap);
    const doublings = step > turn ? Math.floor((step - 1 - turn) / n) + 1 : 0;
    return Math.min(base * 2 ** doublings, cap);
  });
}

function describeFeeds(feeds: Record<string, Tensor>): string {
  return Object.entries(feeds)
    .map(([name, tensor]) => `'${name}' [${tensor.shape.join(", ")}]`)
    .join(", ");
}

/**
 * A line through the last two measurable points (the largest runs); with fewer, the line from the origin through the
 * last point, which overestimates larger inputs rather than underestimating them.
 */
function fitLine(points: Point[]): NonNullable<MemoryProfile["run"]> {
  const exact = measured(points);
  const last = points.at(-1)!;
  if (exact.length >= 2) {
    const [a, b] = exact.slice(-2) as [Point, Point];
    const slope = Math.max(0, (b.bytes - a.bytes) / (b.elements - a.elements));
    const fixed = b.bytes - slope * b.elements;
    if (fixed >= 0) return { fixedBytes: Math.round(fixed), bytesPerElement: slope };
  }
  return { fixedBytes: 0, bytesPerElement: last.bytes / last.elements };
}
