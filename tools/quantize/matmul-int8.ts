/**
 * Integer MatMul rewrites for MatMul/Gemm nodes whose B is a float32 weight [K, N]:
 *
 * - `dynamic`: the pattern onnxruntime's own dynamic quantizer emits, which its optimizer fuses into
 *   com.microsoft DynamicQuantizeMatMul on the CPU (and WASM) execution provider:
 *   DynamicQuantizeLinear(A) → MatMulInteger(A_q, B_q int8, A_zero) → Cast(float) → Mul(A_scale × B_scale[N]).
 *   Activations are quantized per tensor at run time (uint8, asymmetric), weights per column (int8, symmetric).
 * - `nbits`: com.microsoft MatMulNBits (weights in blocks of `blockSize` along K, one scale per block and column,
 *   4 or 8 bits, symmetric around the kernel's default zero point 2^(bits-1)); activations stay float32.
 *
 * Gemm is handled when transA = 0: B is transposed first when transB = 1, alpha folds into the scales and
 * beta × C becomes an Add.
 */
import {
  DataType,
  float32Values,
  floatAttribute,
  type GraphProto,
  intAttribute,
  makeNode,
  makeTensor,
  type NodeProto,
} from "../../src/onnx/model";
import type { GraphIndex } from "./graph";
import { quantizePerChannel, roundHalfEven } from "./int8";
import type { Weight } from "./weights";

export type MatMulKind = { kind: "dynamic" } | { kind: "nbits"; bits: 4 | 8; blockSize: number };

export interface MatMulOutcome {
  node: string;
  op: string;
  /** undefined when rewritten. */
  keptFloatBecause?: string;
}

interface Target {
  node: NodeProto;
  graph: GraphProto;
  weight: Weight;
}

/**
 * Rewrites every MatMul/Gemm whose B is one of `weights` (already checked by `whyNotQuantizable`); reports every
 * MatMul/Gemm of the model, rewritten or not and why. Weights whose every consumer was rewritten are removed.
 */
export function rewriteMatMuls(
  graphs: GraphProto[],
  weights: Map<string, Weight>,
  skipped: Map<string, string>,
  index: GraphIndex,
  how: MatMulKind,
): { outcomes: MatMulOutcome[]; rewrittenUses: Map<Weight, number> } {
  const outcomes: MatMulOutcome[] = [];
  const targets: Target[] = [];
  for (const graph of graphs) {
    for (const node of graph.node) {
      if ((node.domain !== "" && node.domain !== "ai.onnx") || (node.opType !== "MatMul" && node.opType !== "Gemm"))
        continue;
      const label = node.name || node.output[0] || node.opType;
      const b = node.input[1] ?? "";
      const weight = weights.get(b);
      const why = weight
        ? whyNotRewritable(node, weight, how)
        : skipped.has(b)
          ? `B stays float32: ${skipped.get(b)}`
          : weights.has(node.input[0] ?? "") || skipped.has(node.input[0] ?? "")
            ? "the weight is A, not B"
            : "B is computed at run time (activation × activation)";
      outcomes.push({ node: label, op: node.opType, ...(why ? { keptFloatBecause: why } : {}) });
      if (!why) targets.push({ node, graph, weight: weight! });
    }
  }
  const rewrittenUses = new Map<Weight, number>();
  const activations = new Map<string, { q: string; scale: string; zero: string }>();
  for (const target of targets) {
    const replacement =
      how.kind === "dynamic" ? dynamicNodes(target, index, activations) : nbitsNodes(target, index, how);
    const at = target.graph.node.indexOf(target.node);
    target.graph.node.splice(at, 1, ...replacement);
    rewrittenUses.set(target.weight, (rewrittenUses.get(target.weight) ?? 0) + 1);
  }
  for (const [weight, uses] of rewrittenUses) if (uses === weight.consumers.length) removeSource(weight);
  return { outcomes, rewrittenUses };
}

function whyNotRewritable(node: NodeProto, weight: Weight, how: MatMulKind): string | undefined {
  if (weight.dims.length !== 2) return `B has rank ${weight.dims.length}, not 2`;
  if (node.opType === "Gemm" && intAttribute(node, "transA", 0)) return "Gemm with transA = 1";
  if (how.kind === "nbits" && weightKN(node, weight).k < how.blockSize)
    return `K is smaller than the block size ${how.blockSize}`;
  return undefined;
}

/** B as [K, N] row-major float32 values (transposed when the Gemm says transB). */
function weightKN(node: NodeProto, weight: Weight): { values: Float32Array; k: number; n: number } {
  const values = float32Values(weight.tensor)!;
  const [rows, cols] = weight.dims as [number, number];
  if (node.opType !== "Gemm" || !intAttribute(node, "transB", 0)) return { values, k: rows, n: cols };
  const transposed = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = values[r * cols + c]!;
  return { values: transposed, k: cols, n: rows };
}

function dynamicNodes(
  { node, weight }: Target,
  index: GraphIndex,
  activations: Map<string, { q: string; scale: string; zero: string }>,
): NodeProto[] {
  const base = node.name || weight.name;
  const { values, k, n } = weightKN(node, weight);
  const alpha = node.opType === "Gemm" ? floatAttribute(node, "alpha", 1) : 1;
  const { values: q, scales } = quantizePerChannel(values, [k, n], 1);
  const bq = index.names.fresh(`${weight.name}_quantized`);
  const bScale = index.names.fresh(`${weight.name}_scale`);
  weight.graph.initializer.push(
    makeTensor(bq, DataType.INT8, [k, n], q),
    makeTensor(
      bScale,
      DataType.FLOAT,
      [n],
      scales.map((s) => s * alpha),
    ),
  );

  const nodes: NodeProto[] = [];
  const a = node.input[0]!;
  let quantizedA = activations.get(a);
  if (!quantizedA) {
    quantizedA = {
      q: index.names.fresh(`${a}_quantized`),
      scale: index.names.fresh(`${a}_scale`),
      zero: index.names.fresh(`${a}_zero_point`),
    };
    activations.set(a, quantizedA);
    nodes.push(
      makeNode(
        "DynamicQuantizeLinear",
        [a],
        [quantizedA.q, quantizedA.scale, quantizedA.zero],
        {},
        { name: index.names.fresh(`${base}_DynamicQuantizeLinear`) },
      ),
    );
  }
  const integer = index.names.fresh(`${base}_int32`);
  const asFloat = index.names.fresh(`${base}_int32_as_float`);
  const scale = index.names.fresh(`${base}_output_scale`);
  const product = index.names.fresh(`${base}_product`);
  const [y] = node.output;
  const hasBias = node.opType === "Gemm" && node.input[2];
  nodes.push(
    makeNode(
      "MatMulInteger",
      [quantizedA.q, bq, quantizedA.zero],
      [integer],
      {},
      { name: index.names.fresh(`${base}_MatMulInteger`) },
    ),
    makeNode("Cast", [integer], [asFloat], { to: DataType.FLOAT }, { name: index.names.fresh(`${base}_Cast`) }),
    makeNode("Mul", [quantizedA.scale, bScale], [scale], {}, { name: index.names.fresh(`${base}_ScaleProduct`) }),
    makeNode("Mul", [asFloat, scale], [hasBias ? product : y!], {}, { name: index.names.fresh(`${base}_Rescale`) }),
  );
  if (hasBias) nodes.push(...biasNodes(node, product, y!, index));
  return nodes;
}

function nbitsNodes({ node, weight }: Target, index: GraphIndex, how: { bits: 4 | 8; blockSize: number }): NodeProto[] {
  const base = node.name || weight.name;
  const { values, k, n } = weightKN(node, weight);
  const alpha = node.opType === "Gemm" ? floatAttribute(node, "alpha", 1) : 1;
  const packed = packNBits(values, k, n, how.bits, how.blockSize);
  const bq = index.names.fresh(`${weight.name}_q${how.bits}`);
  const bScale = index.names.fresh(`${weight.name}_scales`);
  weight.graph.initializer.push(
    makeTensor(bq, DataType.UINT8, [n, packed.blocks, packed.blobBytes], packed.data),
    makeTensor(
      bScale,
      DataType.FLOAT,
      [n * packed.blocks],
      packed.scales.map((s) => s * alpha),
    ),
  );
  const hasBias = node.opType === "Gemm" && node.input[2];
  const product = index.names.fresh(`${base}_product`);
  const nodes = [
    makeNode(
      "MatMulNBits",
      [node.input[0]!, bq, bScale],
      [hasBias ? product : node.output[0]!],
      { K: k, N: n, bits: how.bits, block_size: how.blockSize },
      { name: index.names.fresh(`${base}_MatMulNBits`), domain: "com.microsoft" },
    ),
  ];
  if (hasBias) nodes.push(...biasNodes(node, product, node.output[0]!, index));
  return nodes;
}

/** Gemm's `+ beta × C`. */
function biasNodes(node: NodeProto, product: string, y: string, index: GraphIndex): NodeProto[] {
  const beta = floatAttribute(node, "beta", 1);
  const base = node.name || y;
  if (beta === 1)
    return [makeNode("Add", [product, node.input[2]!], [y], {}, { name: index.names.fresh(`${base}_Bias`) })];
  const betaName = index.names.fresh(`${base}_beta`);
  const scaled = index.names.fresh(`${base}_scaled_bias`);
  return [
    makeNode("Constant", [], [betaName], { value: makeTensor(betaName, DataType.FLOAT, [], Float32Array.of(beta)) }),
    makeNode("Mul", [node.input[2]!, betaName], [scaled], {}, { name: index.names.fresh(`${base}_Beta`) }),
    makeNode("Add", [product, scaled], [y], {}, { name: index.names.fresh(`${base}_Bias`) }),
  ];
}

export interface PackedNBits {
  /** [N][blocks][blobBytes], low nibble first for 4 bits. */
  data: Uint8Array;
  /** [N × blocks]. */
  scales: Float32Array;
  blocks: number;
  blobBytes: number;
}

/**
 * MatMulNBits' layout (onnxruntime contrib_defs MatMulNBits): for each column n, K is cut into blocks of `blockSize`
 * (the last padded with zeros); each block stores unsigned codes `q + 2^(bits-1)` and one scale. Symmetric: codes
 * span [1, 2^bits − 1] around the default zero point.
 */
export function packNBits(values: Float32Array, k: number, n: number, bits: 4 | 8, blockSize: number): PackedNBits {
  const blocks = Math.ceil(k / blockSize);
  const blobBytes = (blockSize * bits) / 8;
  const levels = 2 ** (bits - 1) - 1; // 7 or 127
  const zero = 2 ** (bits - 1);
  const data = new Uint8Array(n * blocks * blobBytes);
  const scales = new Float32Array(n * blocks);
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < blocks; block++) {
      let maxAbs = 0;
      for (let i = block * blockSize; i < Math.min(k, (block + 1) * blockSize); i++)
        maxAbs = Math.max(maxAbs, Math.abs(values[i * n + col]!));
      const scale = maxAbs > 0 ? maxAbs / levels : 1;
      scales[col * blocks + block] = scale;
      const blob = (col * blocks + block) * blobBytes;
      for (let j = 0; j < blockSize; j++) {
        const row = block * blockSize + j;
        const q = row < k ? Math.max(-levels, Math.min(levels, roundHalfEven(values[row * n + col]! / scale))) : 0;
        const code = q + zero;
        if (bits === 8) data[blob + j] = code;
        else data[blob + (j >> 1)]! |= (j & 1 ? code << 4 : code) & 0xff;
      }
    }
  }
  return { data, scales, blocks, blobBytes };
}

function removeSource(weight: Weight): void {
  const graph = weight.graph;
  if (weight.constant) graph.node = graph.node.filter((n) => n !== weight.constant);
  else graph.initializer = graph.initializer.filter((t) => t !== weight.tensor);
}
