/**
 * Raises a model's default-domain opset import to 13, the first opset whose DequantizeLinear takes an `axis`
 * (per-channel weights), rewriting the nodes whose operator changed meaning on the way. Only the changes the
 * operators below went through between opset 7 and 13 are handled; any other operator whose definition changed in
 * that range makes the upgrade refuse (`OpsetUpgradeError` names it) rather than guess.
 *
 * Sources: onnx/docs/Changelog.md and onnx/version_converter (the adapters it registers for 8→13).
 */
import {
  findAttribute,
  forEachGraph,
  type GraphProto,
  intAttribute,
  intsAttribute,
  type ModelProto,
  makeNode,
  type NodeProto,
  opsetVersion,
  removeAttributes,
} from "../../src/onnx/model";
import { floatScalar, indexModel, int64Tensor, type NameAllocator } from "./graph";

export const DEQUANTIZE_AXIS_OPSET = 13;
const OLDEST_SUPPORTED = 7;

export class OpsetUpgradeError extends Error {
  override name = "OpsetUpgradeError";
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(message);
  }
}

export interface OpsetUpgrade {
  from: number;
  to: number;
  /** One line per kind of rewrite, e.g. "Clip: min/max attributes → inputs (×18)". */
  rewrites: string[];
}

/**
 * Operators whose every change between opset 7 and 13 keeps old graphs valid and meaning the same: new types,
 * negative axes, optional inputs or attributes whose defaults are the old behaviour, documentation fixes.
 */
const COMPATIBLE = new Set(
  (
    "Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool Cast Ceil Celu Compress Concat Constant " +
    "ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Det Div DynamicQuantizeLinear " +
    "Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU Gather GatherElements GatherND Gemm GlobalAveragePool GlobalLpPool " +
    "GlobalMaxPool Greater GreaterOrEqual HardSigmoid Identity If InstanceNormalization IsInf IsNaN LRN LSTM LeakyRelu Less " +
    "LessOrEqual Log Loop LpNormalization LpPool MatMul MatMulInteger Max MaxPool MaxRoiPool MaxUnpool Mean " +
    "MeanVarianceNormalization Min Mod Mul Neg NonMaxSuppression NonZero Not OneHot Or PRelu Pow QLinearConv QLinearMatMul " +
    "QuantizeLinear RNN Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin " +
    "ReduceProd ReduceSumSquare Relu Reshape ReverseSequence RoiAlign Round ScatterElements ScatterND Selu Shape Shrink Sigmoid " +
    "Sign Sin Sinh Size Softplus Softsign SpaceToDepth Sqrt Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Where Xor"
  ).split(" "),
);

type Adapter = (node: NodeProto, graph: GraphProto, names: NameAllocator, from: number) => NodeProto[] | "unchanged";

/** Operators that changed in a way a local rewrite undoes; keyed by op, applied when `from` is below `before`. */
const ADAPTERS: Record<string, { before: number; what: string; adapt: Adapter }> = {
  Clip: { before: 11, what: "min/max attributes → inputs", adapt: clipToInputs },
  Slice: {
    before: 10,
    what: "starts/ends/axes attributes → inputs",
    adapt: attributesToInputs(["starts", "ends", "axes"]),
  },
  Squeeze: { before: 13, what: "axes attribute → input", adapt: attributesToInputs(["axes"]) },
  Unsqueeze: { before: 13, what: "axes attribute → input", adapt: attributesToInputs(["axes"]) },
  ReduceSum: { before: 13, what: "axes attribute → input", adapt: attributesToInputs(["axes"]) },
  Split: { before: 13, what: "split attribute → input", adapt: splitToInput },
  Pad: { before: 11, what: "pads/value attributes → inputs", adapt: padToInputs },
  TopK: { before: 10, what: "k attribute → input", adapt: attributesToInputs(["k"]) },
  Dropout: {
    before: 12,
    what: "ratio attribute dropped (inference: Dropout is the identity)",
    adapt: (node) => (removeAttributes(node, "ratio", "is_test"), [node]),
  },
  BatchNormalization: { before: 9, what: "spatial attribute dropped", adapt: batchNormSpatial },
  Softmax: { before: 13, what: "coerced-2D axis → Flatten, Softmax, Reshape", adapt: coercedTo2d },
  LogSoftmax: { before: 13, what: "coerced-2D axis → Flatten, LogSoftmax, Reshape", adapt: coercedTo2d },
  Hardmax: { before: 13, what: "coerced-2D axis → Flatten, Hardmax, Reshape", adapt: coercedTo2d },
  Resize: { before: 11, what: "", adapt: () => refuse("Resize", "Resize-10 changed coordinate semantics in opset 11") },
};

/** Upgrades `model` in place to default-domain opset `target` (≥ its current one). Returns what was rewritten. */
export function upgradeOpset(model: ModelProto, target = DEQUANTIZE_AXIS_OPSET): OpsetUpgrade {
  const from = opsetVersion(model) ?? 1;
  if (from >= target) return { from, to: from, rewrites: [] };
  if (from < OLDEST_SUPPORTED)
    throw new OpsetUpgradeError("", `opset ${from} is older than ${OLDEST_SUPPORTED}; upgrading it is not supported`);
  const { names } = indexModel(model);
  const counts = new Map<string, number>();
  forEachGraph(model.graph!, (graph) => {
    const nodes: NodeProto[] = [];
    for (const node of graph.node) {
      if (node.domain !== "" && node.domain !== "ai.onnx") {
        nodes.push(node);
        continue;
      }
      const adapter = ADAPTERS[node.opType];
      if (adapter && from < adapter.before) {
        const result = adapter.adapt(node, graph, names, from);
        if (result !== "unchanged") {
          const label = `${node.opType}: ${adapter.what}`;
          counts.set(label, (counts.get(label) ?? 0) + 1);
          nodes.push(...result);
          continue;
        }
      } else if (!adapter && !COMPATIBLE.has(node.opType)) {
        refuse(
          node.opType,
          `${node.opType} changed between opset ${from} and ${target} in a way this upgrader does not rewrite`,
        );
      }
      nodes.push(node);
    }
    graph.node = nodes;
  });
  for (const opset of model.opsetImport)
    if (opset.domain === "" || opset.domain === "ai.onnx") opset.version = BigInt(target);
  if (model.irVersion < 7n) model.irVersion = 7n; // opset 13 needs IR version 7
  return { from, to: target, rewrites: [...counts].map(([label, n]) => `${label} (×${n})`) };
}

function refuse(op: string, message: string): never {
  throw new OpsetUpgradeError(op, message);
}

/** Moves integer-list attributes to INT64 inputs, in the order given (trailing absent ones are left out). */
function attributesToInputs(attributes: string[]): Adapter {
  return (node, graph, names) => {
    const values = attributes.map(
      (a) => intsAttribute(node, a) ?? (findAttribute(node, a) ? [intAttribute(node, a, 0)] : undefined),
    );
    if (values.every((v) => v === undefined)) return "unchanged";
    const inputs = [node.input[0]!];
    values.forEach((value, i) => {
      if (value === undefined) inputs.push("");
      else
        inputs.push(
          addInitializer(graph, int64Tensor(names.fresh(`${node.name || node.opType}_${attributes[i]}`), value)),
        );
    });
    while (inputs.at(-1) === "") inputs.pop();
    removeAttributes(node, ...attributes);
    node.input = inputs;
    return [node];
  };
}

function clipToInputs(node: NodeProto, graph: GraphProto, names: NameAllocator): NodeProto[] {
  const bound = (attribute: string) => {
    const found = findAttribute(node, attribute);
    return found ? addInitializer(graph, floatScalar(names.fresh(`${node.name || "Clip"}_${attribute}`), found.f)) : "";
  };
  const inputs = [node.input[0]!, bound("min"), bound("max")];
  while (inputs.at(-1) === "") inputs.pop();
  removeAttributes(node, "min", "max");
  node.input = inputs;
  return [node];
}

function splitToInput(node: NodeProto, graph: GraphProto, names: NameAllocator): NodeProto[] | "unchanged" {
  if (node.input.length > 1) {
    // Split-2/11 with `split` given as a second input only exists from opset 13; before it, a second input is invalid
    refuse("Split", "a Split with a second input below opset 13");
  }
  const split = intsAttribute(node, "split");
  if (!split) return "unchanged";
  node.input = [
    node.input[0]!,
    addInitializer(graph, int64Tensor(names.fresh(`${node.name || "Split"}_split`), split)),
  ];
  removeAttributes(node, "split");
  return [node];
}

function padToInputs(node: NodeProto, graph: GraphProto, names: NameAllocator): NodeProto[] {
  const pads = intsAttribute(node, "pads") ?? refuse("Pad", "a Pad without pads");
  const value = findAttribute(node, "value");
  const inputs = [node.input[0]!, addInitializer(graph, int64Tensor(names.fresh(`${node.name || "Pad"}_pads`), pads))];
  if (value) inputs.push(addInitializer(graph, floatScalar(names.fresh(`${node.name || "Pad"}_value`), value.f)));
  removeAttributes(node, "pads", "value");
  node.input = inputs;
  return [node];
}

function batchNormSpatial(node: NodeProto): NodeProto[] {
  if (intAttribute(node, "spatial", 1) !== 1)
    refuse("BatchNormalization", "BatchNormalization with spatial=0 has no opset-9 equivalent");
  removeAttributes(node, "spatial");
  return [node];
}

/**
 * Before opset 13, Softmax/LogSoftmax/Hardmax flattened the input to 2-D at `axis` (default 1) and normalized each
 * row; from 13 they normalize along `axis` alone. The two agree when `axis` is the last dimension; since ranks are
 * not always declared, the old meaning is spelled out: Flatten(axis) → op(axis=1) → Reshape(Shape(x)).
 */
function coercedTo2d(node: NodeProto, _graph: GraphProto, names: NameAllocator): NodeProto[] {
  const axis = intAttribute(node, "axis", 1);
  if (axis === -1) return [node];
  const base = node.name || node.opType;
  const [x] = node.input;
  const [y] = node.output;
  const flat = names.fresh(`${base}_flat`);
  const normalized = names.fresh(`${base}_2d`);
  const shape = names.fresh(`${base}_shape`);
  removeAttributes(node, "axis");
  return [
    makeNode("Flatten", [x!], [flat], { axis }, { name: names.fresh(`${base}_Flatten`) }),
    makeNode(node.opType, [flat], [normalized], { axis: 1 }, { name: node.name }),
    makeNode("Shape", [x!], [shape], {}, { name: names.fresh(`${base}_Shape`) }),
    makeNode("Reshape", [normalized, shape], [y!], {}, { name: names.fresh(`${base}_Reshape`) }),
  ];
}

function addInitializer(graph: GraphProto, tensor: ReturnType<typeof int64Tensor>): string {
  graph.initializer.push(tensor);
  return tensor.name;
}
