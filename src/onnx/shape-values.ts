/**
 * Evaluates the small integer (and float) tensors a graph computes its sizes from: `Shape`, `Gather`, `Concat`,
 * arithmetic and the like, over values of at most `SMALL_TENSOR_ELEMENTS` elements. Used twice: when a model is
 * uploaded (over its constants) and before each run (over the request's input shapes and small inputs), so the size
 * of every tensor a graph builds from numbers is known before onnxruntime allocates it. Operators follow the ONNX
 * operator specification; anything not listed here leaves its outputs unknown.
 */
import { SMALL_TENSOR_ELEMENTS } from "./reader";

/** A tensor whose values are known: row-major `values` of shape `dims`. */
export interface KnownTensor {
  dims: number[];
  values: number[];
  /** `TensorProto.DataType`: integer types divide by truncation. */
  dataType: number;
}

/** What an operator needs of a node: enough to be stored in a manifest and evaluated per request. */
export interface ValueNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Integer and integer-list attributes the evaluated operators read (axis, axes, starts, to, value...). */
  attributes: Record<string, number | number[]>;
}

const FLOAT_TYPES = new Set([1, 10, 11, 16]);
const INT64 = 7;

export function isFloatType(dataType: number): boolean {
  return FLOAT_TYPES.has(dataType);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

type Inputs = readonly (KnownTensor | undefined)[];
type Evaluate = (inputs: Inputs, attributes: ValueNode["attributes"], shapeOf: ShapeOf) => KnownTensor | undefined;
/** The dims of any value whose shape is known (graph inputs at request time, constants), for `Shape` and `Size`. */
export type ShapeOf = (name: string) => number[] | undefined;

/** Operators whose outputs this module can compute; `Shape` and `Size` read dims rather than values. */
export function evaluates(opType: string): boolean {
  return opType in OPERATORS || opType === "Shape" || opType === "Size";
}

/**
 * Computes a node's first output, or undefined when an input is unknown, too large, or the operator is not one of
 * those listed.
 */
export function evaluateNode(
  node: ValueNode,
  get: (name: string) => KnownTensor | undefined,
  shapeOf: ShapeOf,
): KnownTensor | undefined {
  if (node.opType === "Shape" || node.opType === "Size") {
    const dims = node.inputs[0] ? shapeOf(node.inputs[0]) : undefined;
    if (!dims) return undefined;
    if (node.opType === "Size") return scalar(elementCount(dims), INT64);
    const rank = dims.length;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
    const start = clamp(numberAttribute(node.attributes.start, 0));
    const end = clamp(numberAttribute(node.attributes.end, rank));
    const values = dims.slice(start, Math.max(start, end));
    return { dims: [values.length], values, dataType: INT64 };
  }
  const evaluate = OPERATORS[node.opType];
  if (!evaluate) return undefined;
  const inputs = node.inputs.map((name) => (name ? get(name) : undefined));
  // every input the node names must be known; "" marks an optional input left out
  if (inputs.some((tensor, i) => tensor === undefined && node.inputs[i] !== "")) return undefined;
  try {
    const result = evaluate(inputs, node.attributes, shapeOf);
    return result && result.values.length <= SMALL_TENSOR_ELEMENTS && result.values.every(Number.isFinite)
      ? result
      : undefined;
  } catch {
    return undefined; // malformed for this operator: unknown, and onnxruntime will say why
  }
}

function numberAttribute(value: number | number[] | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function scalar(value: number, dataType: number): KnownTensor {
  return { dims: [], values: [value], dataType };
}

function ints(tensor: KnownTensor | undefined): number[] | undefined {
  return tensor?.values.map(Math.trunc);
}

/** Numpy-style broadcasting of two known tensors, element by element. */
function broadcast(
  a: KnownTensor,
  b: KnownTensor,
  op: (x: number, y: number) => number,
  dataType = a.dataType,
): KnownTensor {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (dims: number[]) => [...Array(rank - dims.length).fill(1), ...dims];
  const [da, db] = [pad(a.dims), pad(b.dims)];
  const dims = da.map((d, i) => {
    const e = db[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error("shapes do not broadcast");
    return Math.max(d, e);
  });
  const count = elementCount(dims);
  if (count > SMALL_TENSOR_ELEMENTS) throw new Error("too large");
  const values = Array.from({ length: count }, (_, flat) => {
    let ia = 0;
    let ib = 0;
    let rest = flat;
    let strideA = 1;
    let strideB = 1;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const index = rest % dims[axis]!;
      rest = Math.floor(rest / dims[axis]!);
      if (da[axis] !== 1) ia += index * strideA;
      if (db[axis] !== 1) ib += index * strideB;
      strideA *= da[axis]!;
      strideB *= db[axis]!;
    }
    return op(a.values[ia]!, b.values[ib]!);
  });
  return { dims, values, dataType };
}

function binary(op: (x: number, y: number, integer: boolean) => number): Evaluate {
  return ([a, b]) => {
    if (!a || !b) return undefined;
    const integer = !isFloatType(a.dataType);
    return broadcast(a, b, (x, y) => op(x, y, integer));
  };
}

function comparison(op: (x: number, y: number) => boolean): Evaluate {
  return ([a, b]) => (a && b ? broadcast(a, b, (x, y) => (op(x, y) ? 1 : 0), 9) : undefined);
}

function unary(op: (x: number) => number): Evaluate {
  return ([a]) => (a ? { ...a, values: a.values.map(op) } : undefined);
}

/** Resolves negative axes against `rank`. */
function axis(value: number, rank: number): number {
  return value < 0 ? value + rank : value;
}

/** `axes` from the attribute (older opsets) or the second input (newer). */
function axesOf(inputs: Inputs, attributes: ValueNode["attributes"]): number[] | undefined {
  const attribute = attributes.axes;
  if (Array.isArray(attribute)) return attribute;
  return ints(inputs[1]);
}

function reduce(op: (values: number[]) => number): Evaluate {
  return ([a], attributes) => {
    if (!a) return undefined;
    const axes = attributes.axes;
    if (Array.isArray(axes) && axes.length > 0 && axes.length !== a.dims.length) return undefined; // whole-tensor only
    const keep = numberAttribute(attributes.keepdims, 1) === 1;
    return { dims: keep ? a.dims.map(() => 1) : [], values: [op(a.values)], dataType: a.dataType };
  };
}

function castTo(value: number, to: number): number {
  if (to === 9) return value !== 0 ? 1 : 0;
  return isFloatType(to) ? value : Math.trunc(value);
}

/** Row-major strides of `dims`. */
function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = stride;
    stride *= dims[i]!;
  }
  return out;
}

/** Builds a tensor of `dims` whose element at each index is `data`'s element at `source(index)`. */
function gatherElements(data: KnownTensor, dims: number[], source: (index: number[]) => number[]): KnownTensor {
  const count = elementCount(dims);
  if (count > SMALL_TENSOR_ELEMENTS) throw new Error("too large");
  const from = strides(data.dims);
  const to = strides(dims);
  const values = Array.from({ length: count }, (_, flat) => {
    const index = dims.map((d, axis) => Math.floor(flat / to[axis]!) % d);
    return data.values[source(index).reduce((at, i, axis) => at + i * from[axis]!, 0)]!;
  });
  return { dims, values, dataType: data.dataType };
}

/** ONNX Slice on any rank: starts and ends clamped per axis, negative steps walking backwards. */
function slice(data: KnownTensor, starts: number[], ends: number[], axes?: number[], steps?: number[]): KnownTensor {
  const rank = data.dims.length;
  const first = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const dims = [...data.dims];
  starts.forEach((rawStart, i) => {
    const a = axis(axes?.[i] ?? i, rank);
    const n = data.dims[a]!;
    const s = steps?.[i] ?? 1;
    if (s === 0 || a < 0 || a >= rank) throw new Error("bad slice");
    const resolve = (v: number) => (v < 0 ? v + n : v);
    const [low, high] = s > 0 ? [0, n] : [-1, n - 1];
    const begin = Math.min(Math.max(resolve(rawStart), 0), s > 0 ? n : n - 1);
    const end = Math.min(Math.max(resolve(ends[i]!), low), high);
    first[a] = begin;
    step[a] = s;
    dims[a] = Math.max(0, Math.ceil((end - begin) / s));
  });
  return gatherElements(data, dims, (index) => index.map((i, a) => first[a]! + i * step[a]!));
}

function transpose(data: KnownTensor, perm?: number[]): KnownTensor {
  const order = perm ?? data.dims.map((_, i) => data.dims.length - 1 - i);
  const dims = order.map((a) => data.dims[a]!);
  return gatherElements(data, dims, (index) => {
    const source = new Array<number>(index.length);
    order.forEach((a, i) => {
      source[a] = index[i]!;
    });
    return source;
  });
}

/** Reshape's target: 0 copies the input's dim (unless allowzero), -1 takes what is left. */
function reshapeDims(from: number[], shape: number[], allowZero: boolean): number[] | undefined {
  const dims = shape.map((d, i) => (d === 0 && !allowZero ? from[i]! : d));
  const known = dims.filter((d) => d !== -1);
  if (dims.length - known.length > 1) return undefined;
  const total = elementCount(from);
  const rest = elementCount(known);
  if (known.length < dims.length) {
    if (rest === 0 || total % rest !== 0) return undefined;
    return dims.map((d) => (d === -1 ? total / rest : d));
  }
  return rest === total ? dims : undefined;
}

const OPERATORS: Record<string, Evaluate> = {
  Identity: ([a]) => a,
  Cast: ([a], attributes) => {
    const to = numberAttribute(attributes.to, 1);
    return a ? { dims: a.dims, values: a.values.map((v) => castTo(v, to)), dataType: to } : undefined;
  },
  Constant: (_inputs, attributes) => {
    // only the forms the upload reader turns into numbers: value_int, value_ints (value tensors are constants)
    if (typeof attributes.value_int === "number") return scalar(attributes.value_int, INT64);
    if (Array.isArray(attributes.value_ints))
      return { dims: [attributes.value_ints.length], values: attributes.value_ints, dataType: INT64 };
    return undefined;
  },
  Gather: ([data, indices], attributes) => {
    if (!data || !indices || data.dims.length !== 1 || numberAttribute(attributes.axis, 0) !== 0) return undefined;
    const n = data.dims[0]!;
    const values = indices.values.map((i) => {
      const at = i < 0 ? i + n : i;
      if (at < 0 || at >= n) throw new Error("index out of range");
      return data.values[at]!;
    });
    return { dims: indices.dims, values, dataType: data.dataType };
  },
  Concat: (inputs, attributes) => {
    const parts = inputs.filter((t): t is KnownTensor => t !== undefined);
    if (parts.length !== inputs.length || parts.length === 0) return undefined;
    const rank = parts[0]!.dims.length;
    if (rank !== 1 || axis(numberAttribute(attributes.axis, 0), rank) !== 0) return undefined;
    const values = parts.flatMap((t) => t.values);
    return { dims: [values.length], values, dataType: parts[0]!.dataType };
  },
  Unsqueeze: (inputs, attributes) => {
    const [a] = inputs;
    const axes = axesOf(inputs, attributes);
    if (!a || !axes) return undefined;
    const rank = a.dims.length + axes.length;
    const inserted = new Set(axes.map((x) => axis(x, rank)));
    const dims: number[] = [];
    let from = 0;
    for (let i = 0; i < rank; i++) dims.push(inserted.has(i) ? 1 : a.dims[from++]!);
    return { ...a, dims };
  },
  Squeeze: (inputs, attributes) => {
    const [a] = inputs;
    if (!a) return undefined;
    const axes = axesOf(inputs, attributes)?.map((x) => axis(x, a.dims.length));
    const dims = a.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    return { ...a, dims };
  },
  Reshape: ([a, shape], attributes) => {
    const target = ints(shape);
    if (!a || !target) return undefined;
    const dims = reshapeDims(a.dims, target, numberAttribute(attributes.allowzero, 0) === 1);
    return dims ? { ...a, dims } : undefined;
  },
  Flatten: ([a]) => (a ? { ...a, dims: [1, a.values.length] } : undefined),
  Slice: (inputs, attributes) => {
    const [data] = inputs;
    if (!data) return undefined;
    // opset 1-9 take starts, ends and axes as attributes; later opsets as inputs, with steps
    if (Array.isArray(attributes.starts) && Array.isArray(attributes.ends))
      return slice(data, attributes.starts, attributes.ends, attributes.axes as number[] | undefined);
    const [starts, ends] = [ints(inputs[1]), ints(inputs[2])];
    return starts && ends ? slice(data, starts, ends, ints(inputs[3]), ints(inputs[4])) : undefined;
  },
  Transpose: ([data], attributes) => (data ? transpose(data, attributes.perm as number[] | undefined) : undefined),
  Add: binary((x, y) => x + y),
  Sub: binary((x, y) => x - y),
  Mul: binary((x, y) => x * y),
  Div: binary((x, y, integer) => {
    if (integer && y === 0) throw new Error("division by zero");
    return integer ? Math.trunc(x / y) : x / y;
  }),
  Mod: binary((x, y, integer) => {
    if (integer && y === 0) throw new Error("division by zero");
    return integer ? x - Math.floor(x / y) * y : x % y;
  }),
  Max: binary((x, y) => Math.max(x, y)),
  Min: binary((x, y) => Math.min(x, y)),
  Pow: binary((x, y) => x ** y),
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Sqrt: unary(Math.sqrt),
  Equal: comparison((x, y) => x === y),
  Less: comparison((x, y) => x < y),
  LessOrEqual: comparison((x, y) => x <= y),
  Greater: comparison((x, y) => x > y),
  GreaterOrEqual: comparison((x, y) => x >= y),
  Not: ([a]) => (a ? { ...a, values: a.values.map((v) => (v ? 0 : 1)), dataType: 9 } : undefined),
  Where: ([condition, x, y]) => {
    if (!condition || !x || !y) return undefined;
    const picked = broadcast(condition, x, (c, v) => (c ? v : Number.NaN), x.dataType);
    return broadcast(picked, y, (v, w) => (Number.isNaN(v) ? w : v), x.dataType);
  },
  ReduceProd: reduce((v) => v.reduce((p, x) => p * x, 1)),
  ReduceSum: reduce((v) => v.reduce((p, x) => p + x, 0)),
  ReduceMax: reduce((v) => Math.max(...v)),
  ReduceMin: reduce((v) => Math.min(...v)),
  ConstantOfShape: ([shape], attributes) => {
    const dims = ints(shape);
    if (!dims || elementCount(dims) > SMALL_TENSOR_ELEMENTS) return undefined;
    const fill = numberAttribute(attributes.value, 0);
    const dataType = numberAttribute(attributes.value_type, 1);
    return { dims, values: new Array(elementCount(dims)).fill(fill), dataType };
  },
  Range: ([start, limit, delta]) => {
    const [s, l, d] = [start?.values[0], limit?.values[0], delta?.values[0]];
    if (s === undefined || l === undefined || d === undefined || d === 0) return undefined;
    const count = Math.max(Math.ceil((l - s) / d), 0);
    if (count > SMALL_TENSOR_ELEMENTS) return undefined;
    return { dims: [count], values: Array.from({ length: count }, (_, i) => s + i * d), dataType: start!.dataType };
  },
};
