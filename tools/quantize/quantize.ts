/**
 * The quantizer: ONNX bytes in, smaller ONNX bytes and a report out. Pure TypeScript over @bufbuild/protobuf, so it
 * runs in Node (`edge-maas quantize`, tools/cli/commands/quantize.ts) and in a Worker alike.
 *
 * Modes (see docs/design/quantization.md for what each costs in onnxruntime-web's WASM kernels):
 * - `weight-int8`: every weight → int8 per channel + DequantizeLinear(axis) (opset upgraded to 13 when older);
 * - `weight-int8-folded`: the same int8 storage restored by Cast × scale, which onnxruntime constant-folds at
 *   session creation: float32 speed, int8 file;
 * - `dynamic-int8`: MatMul/Gemm with a weight B → DynamicQuantizeLinear + MatMulInteger (fused by onnxruntime into
 *   DynamicQuantizeMatMul); other weights stay float32 unless `rest` says otherwise;
 * - `matmul-nbits`: MatMul/Gemm with a weight B → com.microsoft MatMulNBits (`bits` 4 or 8, blocks along K).
 */
import { create } from "@bufbuild/protobuf";
import { OperatorSetIdProtoSchema } from "../../src/onnx/gen/onnx_pb";
import {
  decodeModel,
  encodeModel,
  forEachGraph,
  type GraphProto,
  type ModelProto,
  opsetVersion,
} from "../../src/onnx/model";
import { type GraphIndex, indexModel } from "./graph";
import { type MatMulKind, type MatMulOutcome, rewriteMatMuls } from "./matmul-int8";
import { DEQUANTIZE_AXIS_OPSET, type OpsetUpgrade, upgradeOpset } from "./opset-upgrade";
import { type Dequantize, type QuantizedWeight, storeWeightsAsInt8 } from "./weight-int8";
import { floatWeights, type Weight, whyNotQuantizable } from "./weights";

export const MODES = ["weight-int8", "weight-int8-folded", "dynamic-int8", "matmul-nbits"] as const;
export type Mode = (typeof MODES)[number];

export interface QuantizeOptions {
  mode: Mode;
  /** Weights with fewer elements stay float32 (default 1024). */
  minElements?: number;
  /** For the MatMul modes: what happens to the weights of other operators (default "none": they stay float32). */
  rest?: "none" | "weight-int8" | "weight-int8-folded";
  /** Weights to leave in float32: exact names, or substrings of names when they end with "*" (e.g. "stft*"). */
  exclude?: string[];
  /** matmul-nbits: 4 or 8 (default 8). */
  bits?: 4 | 8;
  /** matmul-nbits: block size along K, a power of two ≥ 16 (default 32). */
  blockSize?: number;
}

export interface KeptFloat {
  reason: string;
  tensors: number;
  elements: number;
  examples: string[];
}

export interface QuantizeReport {
  mode: Mode;
  options: Required<Omit<QuantizeOptions, "mode">>;
  bytes: { before: number; after: number; ratio: number };
  opset: OpsetUpgrade;
  /** Operator counts over every graph ("Op" for the default domain, "domain:Op" otherwise). */
  ops: { before: Record<string, number>; after: Record<string, number> };
  /** Float32 weights: those now stored in int8, and those left in float32 grouped by reason. */
  weights: { quantized: QuantizedWeight[]; keptFloat: KeptFloat[]; floatElementsBefore: number; int8Elements: number };
  /** MatMul/Gemm nodes (MatMul modes only): rewritten or left in float32, and why. */
  matmuls: MatMulOutcome[];
  /** Every compute node still computing in float32 with a float32 weight, grouped by operator and reason. */
  nodesKeptFloat: { op: string; reason: string; count: number; examples: string[] }[];
}

export interface QuantizeResult {
  bytes: Uint8Array;
  report: QuantizeReport;
}

const MATMUL_OPSET = 11; // DynamicQuantizeLinear

export function quantizeModel(input: Uint8Array, options: QuantizeOptions): QuantizeResult {
  const settings = {
    minElements: options.minElements ?? 1024,
    rest: options.rest ?? "none",
    bits: options.bits ?? 8,
    blockSize: options.blockSize ?? 32,
    exclude: options.exclude ?? [],
  } satisfies QuantizeReport["options"];
  if (!Number.isInteger(Math.log2(settings.blockSize)) || settings.blockSize < 16)
    throw new RangeError(`block size ${settings.blockSize} is not a power of two ≥ 16`);
  const model = decodeModel(input);
  const before = census(model);
  const usesDequantizeLinear = options.mode === "weight-int8" || settings.rest === "weight-int8";
  const neededOpset = usesDequantizeLinear ? DEQUANTIZE_AXIS_OPSET : options.mode === "dynamic-int8" ? MATMUL_OPSET : 0;
  const current = opsetVersion(model) ?? 1;
  const opset =
    current < neededOpset ? upgradeOpset(model, DEQUANTIZE_AXIS_OPSET) : { from: current, to: current, rewrites: [] };

  const index = indexModel(model);
  const all = floatWeights(model, index);
  const usable = new Map<string, Weight>();
  const skipped = new Map<string, string>();
  for (const weight of all) {
    const why = excluded(weight.name, settings.exclude)
      ? "excluded by the caller"
      : whyNotQuantizable(weight, index, settings);
    if (why) skipped.set(weight.name, why);
    else usable.set(weight.name, weight);
  }

  const matmulMode = options.mode === "dynamic-int8" || options.mode === "matmul-nbits";
  const {
    outcomes: matmuls,
    quantized,
    remaining,
  } = matmulMode
    ? quantizeMatMuls(
        model,
        usable,
        skipped,
        index,
        options.mode === "dynamic-int8"
          ? { kind: "dynamic" }
          : { kind: "nbits", bits: settings.bits, blockSize: settings.blockSize },
      )
    : { outcomes: [], quantized: [], remaining: [...usable.values()] };
  const dequantize = DEQUANTIZE[matmulMode ? settings.rest : options.mode];
  if (dequantize) quantized.push(...storeWeightsAsInt8(remaining, index, dequantize));
  else
    for (const weight of remaining)
      skipped.set(weight.name, `mode ${options.mode} quantizes MatMul/Gemm weights only (rest: none)`);

  const bytes = encodeModel(model);
  return {
    bytes,
    report: {
      mode: options.mode,
      options: settings,
      bytes: { before: input.byteLength, after: bytes.byteLength, ratio: input.byteLength / bytes.byteLength },
      opset,
      ops: { before, after: census(model) },
      weights: {
        quantized,
        keptFloat: groupKept(all, skipped),
        floatElementsBefore: all.reduce((sum, w) => sum + w.dims.reduce((a, b) => a * b, 1), 0),
        int8Elements: quantized.reduce((sum, w) => sum + w.dims.reduce((a, b) => a * b, 1), 0),
      },
      matmuls,
      nodesKeptFloat: nodesKeptFloat(all, skipped),
    },
  };
}

const DEQUANTIZE: Partial<Record<string, Dequantize>> = {
  "weight-int8": "DequantizeLinear",
  "weight-int8-folded": "Cast+Mul",
};

/** Rewrites MatMul/Gemm nodes; returns their outcomes, the weights now int8, and the weights still read as float32. */
function quantizeMatMuls(
  model: ModelProto,
  usable: Map<string, Weight>,
  skipped: Map<string, string>,
  index: GraphIndex,
  kind: MatMulKind,
) {
  const graphs: GraphProto[] = [];
  forEachGraph(model.graph!, (g) => graphs.push(g));
  const { outcomes, rewrittenUses } = rewriteMatMuls(graphs, usable, skipped, index, kind);
  if (kind.kind === "nbits") ensureOpset(model, "com.microsoft", 1);
  const quantized: QuantizedWeight[] = [...rewrittenUses.keys()].map((w) => ({
    name: w.name,
    dims: w.dims,
    axis: 1,
    consumers: w.consumers.map((c) => c.node.name || c.node.opType),
  }));
  const remaining = [...usable.values()].filter((w) => (rewrittenUses.get(w) ?? 0) < w.consumers.length);
  return { outcomes, quantized, remaining };
}

function excluded(name: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.includes(p.slice(0, -1)) : name === p));
}

function ensureOpset(model: ModelProto, domain: string, version: number): void {
  if (!model.opsetImport.some((o) => o.domain === domain))
    model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }));
}

/** Operator counts over every graph. */
export function census(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  forEachGraph(model.graph!, (graph) => {
    for (const node of graph.node) {
      const key = node.domain && node.domain !== "ai.onnx" ? `${node.domain}:${node.opType}` : node.opType;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  });
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function groupKept(all: Weight[], skipped: Map<string, string>): KeptFloat[] {
  const groups = new Map<string, KeptFloat>();
  for (const weight of all) {
    const reason = skipped.get(weight.name);
    if (!reason) continue;
    const group = groups.get(reason) ?? { reason, tensors: 0, elements: 0, examples: [] };
    group.tensors += 1;
    group.elements += weight.dims.reduce((a, b) => a * b, 1);
    if (group.examples.length < 3) group.examples.push(weight.name);
    groups.set(reason, group);
  }
  return [...groups.values()].sort((a, b) => b.elements - a.elements);
}

/** Compute nodes reading a weight that stayed float32 (constants feeding only shape logic are not listed). */
function nodesKeptFloat(all: Weight[], skipped: Map<string, string>): QuantizeReport["nodesKeptFloat"] {
  const groups = new Map<string, { op: string; reason: string; count: number; examples: string[] }>();
  const seen = new Set<unknown>();
  for (const weight of all) {
    const reason = skipped.get(weight.name);
    if (!reason) continue;
    for (const { node } of weight.consumers) {
      if (seen.has(node) || !COMPUTE_OPS.has(node.opType)) continue;
      seen.add(node);
      const key = `${node.opType}\n${reason}`;
      const group = groups.get(key) ?? { op: node.opType, reason, count: 0, examples: [] };
      group.count += 1;
      if (group.examples.length < 3) group.examples.push(node.name || node.output[0] || node.opType);
      groups.set(key, group);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** Operators whose weight inputs carry most of a model's parameters. */
const COMPUTE_OPS = new Set([
  "Conv",
  "ConvTranspose",
  "MatMul",
  "Gemm",
  "LSTM",
  "GRU",
  "RNN",
  "Gather",
  "BatchNormalization",
  "Mul",
  "Add",
  "InstanceNormalization",
  "LayerNormalization",
  "PRelu",
]);
