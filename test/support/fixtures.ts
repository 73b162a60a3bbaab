/**
 * Small ONNX graphs written by the tests themselves (src/onnx/writer.ts) to cover what the bundled models do
 * not: every datatype, several inputs and outputs, dynamic dimensions, scalars. Fixtures, not product models.
 */
import { float32Initializer, int64Initializer, type NodeSpec, writeOnnxModel } from "../../src/onnx/writer";

/** ONNX `TensorProto.DataType` of each OIP datatype. */
export const ONNX_TYPES = {
  BOOL: 9,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  UINT32: 12,
  INT32: 6,
  UINT64: 13,
  INT64: 7,
  FP16: 10,
  FP32: 1,
  FP64: 11,
} as const;
export type FixtureDatatype = keyof typeof ONNX_TYPES;

/** One Identity per datatype: input `in_<TYPE>` [n] -> output `out_<TYPE>` [n], all with dynamic n. */
export function identityPerDatatype(): Uint8Array {
  const types = Object.entries(ONNX_TYPES);
  return writeOnnxModel({
    inputs: types.map(([t, e]) => ({ name: `in_${t}`, elemType: e, dims: [`n_${t}`] })),
    outputs: types.map(([t, e]) => ({ name: `out_${t}`, elemType: e, dims: [`n_${t}`] })),
    nodes: types.map(([t]) => ({ opType: "Identity", inputs: [`in_${t}`], outputs: [`out_${t}`] })),
  });
}

/**
 * Three inputs (a FP32 [batch, n], b FP32 [n], k INT64 scalar) and three outputs:
 * sum = a + b (broadcast), scaled = a * float(k), shape = Shape(a) (INT64 [2]).
 */
export function multiInputOutput(): Uint8Array {
  return writeOnnxModel({
    inputs: [
      { name: "a", elemType: 1, dims: ["batch", "n"] },
      { name: "b", elemType: 1, dims: ["n"] },
      { name: "k", elemType: 7, dims: [] },
    ],
    outputs: [
      { name: "sum", elemType: 1, dims: ["batch", "n"] },
      { name: "scaled", elemType: 1, dims: ["batch", "n"] },
      { name: "shape", elemType: 7, dims: [2] },
    ],
    nodes: [
      { opType: "Add", inputs: ["a", "b"], outputs: ["sum"] },
      { opType: "Cast", inputs: ["k"], outputs: ["kf"], attributes: { to: 1 } },
      { opType: "Mul", inputs: ["a", "kf"], outputs: ["scaled"] },
      { opType: "Shape", inputs: ["a"], outputs: ["shape"] },
    ],
  });
}

/** Relu over a FP32 input of fixed shape [2, 3]. */
export function fixedShapeRelu(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: [2, 3] }],
    outputs: [{ name: "y", elemType: 1, dims: [2, 3] }],
    nodes: [{ opType: "Relu", inputs: ["x"], outputs: ["y"] }],
  });
}

/** `y = x * factor` for FP32 x of any shape: two factors make two versions with different outputs. */
export function scaleBy(factor: number): Uint8Array {
  const raw = new Uint8Array(new Float32Array([factor]).buffer);
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: ["n"] }],
    outputs: [{ name: "y", elemType: 1, dims: ["n"] }],
    initializers: [{ name: "factor", elemType: 1, dims: [], raw }],
    nodes: [{ opType: "Mul", inputs: ["x", "factor"], outputs: ["y"] }],
  });
}

/** y [1, 1] = x [1, n] · w [n, 1]: a session that holds n float32 weights (4n bytes) of WASM memory. */
export function weightedSum(n: number, seed: number): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: [1, n] }],
    outputs: [{ name: "y", elemType: 1, dims: [1, 1] }],
    initializers: [float32Initializer("w", [n, 1], table(n, seed))],
    nodes: [{ opType: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
  });
}

/** y [k] = table [n] at the INT64 indices `i` [k]: a session holding n float32 values, run on a few indices. */
export function lookupTable(n: number, seed: number): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "i", elemType: 7, dims: ["k"] }],
    outputs: [{ name: "y", elemType: 1, dims: ["k"] }],
    initializers: [float32Initializer("table", [n], table(n, seed))],
    nodes: [{ opType: "Gather", inputs: ["table", "i"], outputs: ["y"] }],
  });
}

function table(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 13) / 13);
}

/** y = ConstantOfShape([elements]): a float32 tensor whose size is a constant of the graph. */
export function constantOfShape(elements: number): Uint8Array {
  return writeOnnxModel({
    inputs: [],
    outputs: [{ name: "y", elemType: 1, dims: [elements] }],
    nodes: [
      { opType: "Constant", inputs: [], outputs: ["shape"], attributes: { value_ints: [elements] } },
      { opType: "ConstantOfShape", inputs: ["shape"], outputs: ["y"] },
    ],
  });
}

/** y = x through `count` Identity nodes. */
export function identityChain(count: number): Uint8Array {
  const names = Array.from({ length: count + 1 }, (_, i) => (i === 0 ? "x" : i === count ? "y" : `v${i}`));
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: [1] }],
    outputs: [{ name: "y", elemType: 1, dims: [1] }],
    nodes: names.slice(1).map((name, i) => ({ opType: "Identity", inputs: [names[i]!], outputs: [name] })),
  });
}

/**
 * y = x + 1 per iteration of a Loop whose condition stays true. `trips` is its trip count: a constant, the INT64
 * scalar input `trips` ("input"), or none at all ("none": the loop never stops by itself).
 */
export function countingLoop(trips: number | "input" | "none"): Uint8Array {
  const body = {
    inputs: [
      { name: "i", elemType: 7, dims: [] },
      { name: "cond_in", elemType: 9, dims: [] },
      { name: "v_in", elemType: 1, dims: [1] },
    ],
    outputs: [
      { name: "cond_out", elemType: 9, dims: [] },
      { name: "v_out", elemType: 1, dims: [1] },
    ],
    initializers: [float32Initializer("one", [1], [1])],
    nodes: [
      { opType: "Identity", inputs: ["cond_in"], outputs: ["cond_out"] },
      { opType: "Add", inputs: ["v_in", "one"], outputs: ["v_out"] },
    ],
  };
  const nodes: NodeSpec[] = [
    { opType: "Constant", inputs: [], outputs: ["keep_going"], attributes: { value: { tensor: boolScalar(true) } } },
  ];
  if (typeof trips === "number")
    nodes.push({ opType: "Constant", inputs: [], outputs: ["trips"], attributes: { value_int: trips } });
  nodes.push({
    opType: "Loop",
    inputs: [trips === "none" ? "" : "trips", "keep_going", "x"],
    outputs: ["y"],
    attributes: { body: { graph: body } },
  });
  return writeOnnxModel({
    inputs: [
      { name: "x", elemType: 1, dims: [1] },
      ...(trips === "input" ? [{ name: "trips", elemType: 7, dims: [] }] : []),
    ],
    outputs: [{ name: "y", elemType: 1, dims: [1] }],
    nodes,
  });
}

function boolScalar(value: boolean) {
  return { name: "", elemType: 9, dims: [], raw: Uint8Array.of(value ? 1 : 0) };
}

/** y = ConstantOfShape(shape): a float32 tensor of the shape the caller sends in the INT64 input `shape`. */
export function shapeFromInput(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "shape", elemType: 7, dims: ["rank"] }],
    outputs: [{ name: "y", elemType: 1, dims: null }],
    nodes: [{ opType: "ConstantOfShape", inputs: ["shape"], outputs: ["y"] }],
  });
}

/** y = Tile(x, [copies]): `copies` times the input's memory, for every element the caller sends. */
export function tiled(copies: number): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: ["n"] }],
    outputs: [{ name: "y", elemType: 1, dims: ["m"] }],
    initializers: [int64Initializer("copies", [1], [copies])],
    nodes: [
      { opType: "Tile", inputs: ["x", "copies"], outputs: ["tiled"] },
      { opType: "ReduceSum", inputs: ["tiled"], outputs: ["y"], attributes: { keepdims: 1 } },
    ],
  });
}

/** y = SequenceConstruct(x): onnxruntime-web loads it, but a sequence is no tensor to answer with. */
export function sequenceOutput(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: [1] }],
    outputs: [{ name: "y", elemType: 1, dims: [1], wrap: ["sequence"] }],
    nodes: [{ opType: "SequenceConstruct", inputs: ["x"], outputs: ["y"] }],
  });
}

/** y = Frobnicate(x): an operator no ONNX schema defines, which onnxruntime refuses when it loads the graph. */
export function unknownOperator(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: [1] }],
    outputs: [{ name: "y", elemType: 1, dims: [1] }],
    nodes: [{ opType: "Frobnicate", inputs: ["x"], outputs: ["y"] }],
  });
}

/**
 * String tensors (ONNX STRING = OIP BYTES): `text` [n] → `same` (Identity) and `translated` (ai.onnx.ml
 * LabelEncoder: "hello" → "bonjour", "héllo wörld" → "🌍", anything else → "?"), so strings are shown to go
 * through a computation and back.
 */
export function stringIdentityAndLookup(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "text", elemType: 8, dims: ["n"] }],
    outputs: [
      { name: "same", elemType: 8, dims: ["n"] },
      { name: "translated", elemType: 8, dims: ["n"] },
    ],
    nodes: [
      { opType: "Identity", inputs: ["text"], outputs: ["same"] },
      {
        opType: "LabelEncoder",
        domain: "ai.onnx.ml",
        inputs: ["text"],
        outputs: ["translated"],
        attributes: {
          keys_strings: { strings: ["hello", "héllo wörld"] },
          values_strings: { strings: ["bonjour", "🌍"] },
          default_string: "?",
        },
      },
    ],
    domainOpsets: [{ domain: "ai.onnx.ml", version: 2 }],
  });
}
