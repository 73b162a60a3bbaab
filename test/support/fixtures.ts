/**
 * Small ONNX graphs written by the tests themselves (src/onnx/writer.ts) to cover what the bundled models do
 * not: every datatype, several inputs and outputs, dynamic dimensions, scalars. Fixtures, not product models.
 */
import { writeOnnxModel } from "../../src/onnx/writer";

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
