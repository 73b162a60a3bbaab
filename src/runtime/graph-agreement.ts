/**
 * Whether two graphs of one version agree: the uploaded graph and the same graph optimized ahead of time (the
 * version's companion). They must declare the same inputs and outputs, and answer the same on generated inputs: the
 * companion replaces the served graph, so it must not change a single answer beyond float rounding. Generated
 * inputs, not zeros alone: a graph with other weights may still map zeros to the same output (a linear model's
 * bias), never a varied input.
 */
import { type Datatype, datatypeInfo, elementCount, isNumeric } from "./datatypes";
import type { Signature, TensorSpec } from "./signature";
import type { NamedTensors, Tensor } from "./tensor";

/**
 * Floats agree when `|a - b| <= ABSOLUTE + RELATIVE × |b|`: fusions and constant folding reorder float operations,
 * which moves results by a few units in the last place, far below this; other weights move them far above it.
 * Integers, booleans and strings must be equal.
 */
export const TOLERANCE = { absolute: 1e-4, relative: 1e-3 } as const;

/** Per input, the shape and values a model's generated inputs must have (a manifest's `sampleInputs`). */
export type SampleInputs = Record<string, { shape?: number[]; data?: number[] }>;

/** A dynamic non-leading dimension's size in generated inputs: what calibration first runs a model at. */
const DYNAMIC_SIZE = 32;
/** FP16 bit patterns of 0, ±0.5, ±1: small values whose sums stay finite. */
const HALF_VALUES = [0x0000, 0x3800, 0xb800, 0x3c00, 0xbc00];

/** The first difference between two signatures (names, order, datatypes, shapes), or undefined when they match. */
export function signatureDifference(served: Signature, candidate: Signature): string | undefined {
  return (
    specsDifference("input", served.inputs, candidate.inputs) ??
    specsDifference("output", served.outputs, candidate.outputs)
  );
}

function specsDifference(kind: string, served: TensorSpec[], candidate: TensorSpec[]): string | undefined {
  const names = (specs: TensorSpec[]) => specs.map((spec) => `'${spec.name}'`).join(", ");
  if (served.length !== candidate.length || served.some((spec, i) => spec.name !== candidate[i]!.name))
    return `its ${kind}s are ${names(candidate)}; the version's are ${names(served)}`;
  for (const [i, spec] of served.entries()) {
    const other = candidate[i]!;
    if (other.datatype !== spec.datatype)
      return `${kind} '${spec.name}' is ${other.datatype}; the version's is ${spec.datatype}`;
    if (JSON.stringify(other.shape) !== JSON.stringify(spec.shape))
      return `${kind} '${spec.name}' has shape ${formatShape(other.shape)}; the version's has ${formatShape(spec.shape)}`;
  }
  return undefined;
}

/**
 * Inputs for a signature, the same every time: leading dynamic dimensions 1, other dynamic ones 32 (where the
 * upload's calibration first ran the model). `varied`: floats in [-1, 1), integers 0 or 1 (valid token ids, masks
 * and indices for any model that takes them), words for strings; `zeros`: zeros and empty strings. An input named in
 * `samples` takes its shape and values from there instead (values repeat to fill the shape).
 */
export function generatedInputs(
  inputs: TensorSpec[],
  kind: "varied" | "zeros",
  samples: SampleInputs = {},
): NamedTensors {
  let state = 0x9e3779b9;
  const next = () => {
    // xorshift32: deterministic, no dependency
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const varied = kind === "varied";
  return Object.fromEntries(
    inputs.map((spec) => {
      const sample = Object.hasOwn(samples, spec.name) ? samples[spec.name] : undefined;
      const shape =
        sample?.shape ?? (spec.shape ?? []).map((dim, axis) => (dim >= 0 ? dim : axis === 0 ? 1 : DYNAMIC_SIZE));
      const count = elementCount(shape);
      const given = sample?.data;
      const data = given
        ? values(spec.datatype, count, (i) => given[i % given.length]!, true)
        : values(spec.datatype, count, varied ? next : () => 0);
      return [spec.name, { datatype: spec.datatype, shape, data }];
    }),
  );
}

/** `next` gives a number in [0, 1) to map onto the datatype, or (`exact`) the value itself. */
function values(datatype: Datatype, count: number, next: (i: number) => number, exact = false): Tensor["data"] {
  if (!isNumeric(datatype)) return Array.from({ length: count }, (_, i) => (next(i) === 0 ? "" : word(() => next(i))));
  const info = datatypeInfo(datatype);
  const data = new info.array(count);
  for (let i = 0; i < count; i++) {
    const r = next(i);
    if (exact) {
      data[i] = info.big ? BigInt(Math.trunc(r)) : r;
      continue;
    }
    if (datatype === "FP16") data[i] = HALF_VALUES[Math.floor(r * HALF_VALUES.length)]!;
    else if (datatype === "FP32" || datatype === "FP64") data[i] = r === 0 ? 0 : 2 * r - 1;
    else data[i] = info.big ? BigInt(Math.floor(r * 2)) : Math.floor(r * 2);
  }
  return data;
}

function word(next: () => number): string {
  return Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
    String.fromCharCode(97 + Math.floor(next() * 26)),
  ).join("");
}

/** The first output of `candidate` that differs from `reference` beyond the tolerance, described; undefined if none. */
export function outputsDifference(reference: NamedTensors, candidate: NamedTensors): string | undefined {
  for (const [name, expected] of Object.entries(reference)) {
    const actual = candidate[name];
    if (!actual) return `it returned no output '${name}'`;
    if (actual.datatype !== expected.datatype)
      return `output '${name}' came out ${actual.datatype}; the version's is ${expected.datatype}`;
    if (JSON.stringify(actual.shape) !== JSON.stringify(expected.shape))
      return `output '${name}' came out with shape ${formatShape(actual.shape)}; the version's with ${formatShape(expected.shape)}`;
    const at = firstDifference(expected, actual);
    if (at !== undefined)
      return `output '${name}' differs at element ${at}: ${show(actual, at)} where the version gives ${show(expected, at)} (tolerance ${TOLERANCE.absolute} + ${TOLERANCE.relative} × |value|)`;
  }
  return undefined;
}

function firstDifference(expected: Tensor, actual: Tensor): number | undefined {
  const float = expected.datatype === "FP32" || expected.datatype === "FP64" || expected.datatype === "FP16";
  for (let i = 0; i < expected.data.length; i++) {
    const a = element(actual, i);
    const b = element(expected, i);
    if (a === b) continue;
    if (!float || typeof a !== "number" || typeof b !== "number") return i;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= TOLERANCE.absolute + TOLERANCE.relative * Math.abs(b))) return i;
  }
  return undefined;
}

function element(tensor: Tensor, i: number): number | bigint | string {
  const value = tensor.data[i]!;
  return tensor.datatype === "FP16" ? halfToFloat(value as number) : value;
}

function show(tensor: Tensor, i: number): string {
  const value = element(tensor, i);
  return typeof value === "string" ? JSON.stringify(value.slice(0, 32)) : String(value);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function formatShape(shape: readonly number[] | null): string {
  return shape ? `[${shape.join(", ")}]` : "of undeclared rank";
}
