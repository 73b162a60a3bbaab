/**
 * A fastText supervised model with hierarchical softmax as an ONNX graph (opset 17) computing, for every label,
 * exactly the probability fastText's `predict` reports (model.cc `computeHidden`, loss.cc
 * `HierarchicalSoftmaxLoss::dfs`, fasttext.cc `predictLine`):
 *
 *   hidden = mean of the input-matrix rows of the ids (padding excluded)
 *   f(n)   = sigmoid(output row n · hidden) for each internal node n of the Huffman tree
 *   score  = sum along the label's path from the root of log(f + 1e-5) (right turns) or log(1 - f + 1e-5) (left)
 *   p      = exp(score)
 *
 * Input `ids` INT64 [batch, length]: rows of the input matrix, each text padded with any negative id (-1).
 * Output `probabilities` FP32 [batch, labels], in dictionary label order. fastText leaves out labels whose score
 * falls below log(1e-5) while it walks the tree (probability < ~1e-5); the graph gives them too.
 *
 * The input matrix is either dense FP32 rows (`norm * centroid`, the products fastText adds) or, for a quantized
 * model, its product-quantization codes (UINT8) with the centroids and the quantized norms, reconstructed per id
 * with Gathers — the same float32 products, in a file several times smaller.
 */
import {
  float32Initializer,
  type InitializerSpec,
  int32Initializer,
  int64Initializer,
  type ModelSpec,
  type NodeSpec,
  uint8Initializer,
} from "../../../src/onnx/writer.ts";
import { type FastTextModel, KSUB, matrixRow, type QuantMatrix } from "./ftz-reader.ts";
import { huffmanPaths } from "./huffman-tree.ts";

export type InputMatrixLayout = "dense" | "quantized";

/** loss.cc `std_log`: log(x + 1e-5). */
export const LOG_EPSILON = 1e-5;

const FLOAT = 1;
const INT64 = 7;

export function fastTextClassifierGraph(model: FastTextModel, layout: InputMatrixLayout): ModelSpec {
  const { args, dictionary, input, output } = model;
  if (args.model !== "sup") throw new Error(`a ${args.model} model is not a classifier`);
  if (args.loss !== "hs") throw new Error(`loss '${args.loss}' is not implemented (only hierarchical softmax, 'hs')`);
  const labels = dictionary.nlabels;
  const dim = args.dim;
  const internal = labels - 1;

  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];
  const init = (spec: InitializerSpec) => (initializers.push(spec), spec.name);
  const node = (opType: string, inputs: string[], output: string, attributes?: NodeSpec["attributes"]) => {
    nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  };
  const axes = (name: string, values: number[]) => init(int64Initializer(name, [values.length], values));

  // padding: negative ids weigh 0 and read row 0
  const zeroId = init(int64Initializer("zero_id", [], [0]));
  const one = init(float32Initializer("one", [], [1]));
  const valid = node("GreaterOrEqual", ["ids", zeroId], "valid");
  const safeIds = node("Where", [valid, "ids", zeroId], "safe_ids");
  const weight = node("Cast", [valid], "weight", { to: FLOAT });
  const count = node("ReduceSum", [weight, axes("axis_length", [1])], "count", { keepdims: 1 });
  const divisor = node("Max", [count, one], "divisor");

  const rows =
    layout === "dense"
      ? denseRows(model, safeIds, init, node)
      : quantizedRows(asQuantized(input), dim, safeIds, init, node, axes);
  const masked = node("Mul", [rows, node("Unsqueeze", [weight, axes("axis_rows", [2])], "weight_3d")], "masked_rows");
  const sum = node("ReduceSum", [masked, "axis_length"], "row_sum", { keepdims: 0 });
  const hidden = node("Div", [sum, divisor], "hidden");

  // internal node n (0-based, node index - labels) scores with output row n
  const transposed = new Float32Array(dim * internal);
  for (let n = 0; n < internal; n++) {
    const row = matrixRow(output, n);
    for (let d = 0; d < dim; d++) transposed[d * internal + n] = row[d]!;
  }
  const logits = node(
    "MatMul",
    [hidden, init(float32Initializer("output_rows_t", [dim, internal], transposed))],
    "node_logits",
  );
  const f = node("Sigmoid", [logits], "node_f");
  const epsilon = init(float32Initializer("log_epsilon", [], [LOG_EPSILON]));
  const right = node("Log", [node("Add", [f, epsilon], "f_eps")], "log_right");
  const left = node(
    "Log",
    [node("Add", [node("Sub", [one, f], "one_minus_f"), epsilon], "one_minus_f_eps")],
    "log_left",
  );
  const zeros = node("ConstantOfShape", [node("Shape", [divisor], "column_shape")], "zero_column"); // float 0 by default
  const steps = node("Concat", [left, right, zeros], "step_scores", { axis: 1 });

  // each label's steps from the root, as columns of `steps`; shorter paths padded with the zero column
  const paths = huffmanPaths(dictionary.entries.slice(dictionary.nwords).map((entry) => entry.count));
  const depth = Math.max(...paths.map((path) => path.length));
  const pad = 2 * internal;
  const columns = paths.flatMap((path) =>
    Array.from({ length: depth }, (_, i) => (i < path.length ? path[i]!.node + (path[i]!.right ? internal : 0) : pad)),
  );
  const gathered = node(
    "Gather",
    [steps, init(int32Initializer("label_paths", [labels, depth], columns))],
    "path_steps",
    { axis: 1 },
  );
  const score = node("ReduceSum", [gathered, axes("axis_depth", [2])], "label_scores", { keepdims: 0 });
  node("Exp", [score], "probabilities");

  return {
    inputs: [{ name: "ids", elemType: INT64, dims: ["batch", "length"] }],
    outputs: [{ name: "probabilities", elemType: FLOAT, dims: ["batch", labels] }],
    nodes,
    initializers,
    opset: 17,
    producer: "edge-maas scripts/models/fasttext",
  };
}

type Init = (spec: InitializerSpec) => string;
type Node = (opType: string, inputs: string[], output: string, attributes?: NodeSpec["attributes"]) => string;

function asQuantized(matrix: FastTextModel["input"]): QuantMatrix {
  if (matrix.kind !== "quantized") throw new Error("the input matrix is dense: use the dense layout");
  return matrix;
}

/** [batch, length, dim]: the rows as fastText adds them, stored as FP32. */
function denseRows(model: FastTextModel, ids: string, init: Init, node: Node): string {
  const { input } = model;
  const table = new Float32Array(input.rows * input.cols);
  for (let r = 0; r < input.rows; r++) table.set(matrixRow(input, r), r * input.cols);
  return node("Gather", [init(float32Initializer("input_rows", [input.rows, input.cols], table)), ids], "rows", {
    axis: 0,
  });
}

/**
 * [batch, length, dim] from the PQ codes: sub-quantizer m of row r is centroid `codes[r, m]` of m, looked up in one
 * [nsubq * 256, dsub] table (the last sub-quantizer's shorter centroids zero-padded, and sliced off again), then
 * scaled by the row's quantized norm.
 */
function quantizedRows(
  matrix: QuantMatrix,
  dim: number,
  ids: string,
  init: Init,
  node: Node,
  axes: (name: string, values: number[]) => string,
): string {
  const { pq } = matrix;
  const table = new Float32Array(pq.nsubq * KSUB * pq.dsub);
  for (let m = 0; m < pq.nsubq; m++) {
    const width = m === pq.nsubq - 1 ? pq.lastdsub : pq.dsub;
    for (let code = 0; code < KSUB; code++) {
      const start = m === pq.nsubq - 1 ? m * KSUB * pq.dsub + code * pq.lastdsub : (m * KSUB + code) * pq.dsub;
      table.set(pq.centroids.subarray(start, start + width), (m * KSUB + code) * pq.dsub);
    }
  }
  const codes = node(
    "Gather",
    [init(uint8Initializer("pq_codes", [matrix.rows, pq.nsubq], matrix.codes)), ids],
    "row_codes",
    { axis: 0 },
  );
  const offsets = init(
    int64Initializer(
      "pq_offsets",
      [pq.nsubq],
      Array.from({ length: pq.nsubq }, (_, m) => m * KSUB),
    ),
  );
  const index = node("Add", [node("Cast", [codes], "row_codes_64", { to: INT64 }), offsets], "centroid_index");
  const centroids = node(
    "Gather",
    [init(float32Initializer("pq_centroids", [pq.nsubq * KSUB, pq.dsub], table)), index],
    "row_centroids",
    { axis: 0 },
  );
  let rows = node("Reshape", [centroids, init(int64Initializer("rows_shape", [3], [0, 0, -1]))], "rows_padded");
  if (pq.nsubq * pq.dsub !== dim)
    rows = node(
      "Slice",
      [rows, axes("slice_start", [0]), axes("slice_end", [dim]), axes("axis_rows_dim", [2])],
      "rows_unscaled",
    );
  if (!matrix.norm) return rows;
  const normCodes = node(
    "Gather",
    [init(uint8Initializer("norm_codes", [matrix.rows], matrix.norm.codes)), ids],
    "row_norm_codes",
    { axis: 0 },
  );
  const norms = node(
    "Gather",
    [
      init(float32Initializer("norm_centroids", [KSUB], matrix.norm.pq.centroids)),
      node("Cast", [normCodes], "row_norm_codes_64", { to: INT64 }),
    ],
    "row_norms",
    { axis: 0 },
  );
  return node("Mul", [rows, node("Unsqueeze", [norms, axes("axis_norm", [2])], "row_norms_3d")], "rows");
}
