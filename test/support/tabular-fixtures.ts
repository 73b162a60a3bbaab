/**
 * Graphs in the other shapes scikit-learn models reach us in, written by the tests (src/onnx/writer.ts): skl2onnx's
 * `zipmap=False` export of a multinomial logistic regression with string labels, and graphs with a sequence output
 * or a map input, which cannot be served. Fixtures, not product models.
 */
import { writeOnnxModel } from "../../src/onnx/writer";

export const PLAIN_CLASSES = ["cat", "dog", "fox"];
/** Class rows of the plain classifier's coefficients (3 classes × 2 features) and its intercepts. */
export const PLAIN_COEFFICIENTS = [
  [1.5, -0.5],
  [-0.25, 0.75],
  [-1.25, -0.25],
];
export const PLAIN_INTERCEPTS = [0.1, -0.2, 0.3];

/**
 * LogisticRegression (multinomial) exported with `zipmap=False`: LinearClassifier (SOFTMAX, string labels), then
 * skl2onnx's Normalizer (L1) so the probabilities sum to 1; outputs `label` STRING [N] and `probabilities` FLOAT [N, 3].
 */
export function plainLinearClassifier(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "float_input", elemType: 1, dims: ["N", 2] }],
    outputs: [
      { name: "label", elemType: 8, dims: ["N"] },
      { name: "probabilities", elemType: 1, dims: ["N", 3] },
    ],
    nodes: [
      {
        opType: "LinearClassifier",
        domain: "ai.onnx.ml",
        inputs: ["float_input"],
        outputs: ["label", "probability_tensor"],
        attributes: {
          classlabels_strings: { strings: PLAIN_CLASSES },
          coefficients: { floats: PLAIN_COEFFICIENTS.flat() },
          intercepts: { floats: PLAIN_INTERCEPTS },
          multi_class: 1,
          post_transform: "SOFTMAX",
        },
      },
      {
        opType: "Normalizer",
        domain: "ai.onnx.ml",
        inputs: ["probability_tensor"],
        outputs: ["probabilities"],
        attributes: { norm: "L1" },
      },
    ],
    domainOpsets: [{ domain: "ai.onnx.ml", version: 1 }],
  });
}

/** `x` FLOAT [N] → `pieces`, a sequence of two tensors (SequenceConstruct). */
export function sequenceOutput(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "x", elemType: 1, dims: ["N"] }],
    outputs: [{ name: "pieces", elemType: 1, dims: null, wrap: ["sequence"] }],
    nodes: [{ opType: "SequenceConstruct", inputs: ["x", "x"], outputs: ["pieces"] }],
  });
}

/** `record`, a map(string, float) → `vector` FLOAT [1, 2] (DictVectorizer): a map input. */
export function mapInput(): Uint8Array {
  return writeOnnxModel({
    inputs: [{ name: "record", elemType: 1, dims: null, wrap: [{ mapKey: 8 }] }],
    outputs: [{ name: "vector", elemType: 1, dims: [1, 2] }],
    nodes: [
      {
        opType: "DictVectorizer",
        domain: "ai.onnx.ml",
        inputs: ["record"],
        outputs: ["vector"],
        attributes: { string_vocabulary: { strings: ["a", "b"] } },
      },
    ],
    domainOpsets: [{ domain: "ai.onnx.ml", version: 1 }],
  });
}

/**
 * A regressor over two INT64 columns (skl2onnx from a DataFrame of integers): `rooms`, `floor` [N, 1] → Concat →
 * Cast to float → LinearRegressor, `price` = 10·rooms + 2·floor + 5.
 */
export function integerColumnsRegressor(): Uint8Array {
  return writeOnnxModel({
    inputs: [
      { name: "rooms", elemType: 7, dims: ["N", 1] },
      { name: "floor", elemType: 7, dims: ["N", 1] },
    ],
    outputs: [{ name: "price", elemType: 1, dims: ["N", 1] }],
    nodes: [
      { opType: "Concat", inputs: ["rooms", "floor"], outputs: ["merged"], attributes: { axis: 1 } },
      { opType: "Cast", inputs: ["merged"], outputs: ["merged_float"], attributes: { to: 1 } },
      {
        opType: "LinearRegressor",
        domain: "ai.onnx.ml",
        inputs: ["merged_float"],
        outputs: ["price"],
        attributes: { coefficients: { floats: [10, 2] }, intercepts: { floats: [5] } },
      },
    ],
    domainOpsets: [{ domain: "ai.onnx.ml", version: 1 }],
  });
}
