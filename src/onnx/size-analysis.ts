/**
 * Where a graph's allocation sizes and loop trip counts come from, found before onnxruntime sees the model.
 *
 * A few operators make a tensor whose size is a number the graph computes, not the size of a tensor it already
 * holds: `ConstantOfShape`, `Expand`, `Tile`, `Range`, `Resize`, `Upsample`, `Pad`, `OneHot`, `RandomNormal` and
 * `RandomUniform`. `Loop` runs as many times as its trip count says. For each, the numbers it reads are traced back
 * through the graph (subgraphs included) to one of four origins:
 * - `constant`: known now, so the size is checked at upload;
 * - `request`: computed from the request's input shapes and small inputs by the operators of ./shape-values.ts, so
 *   it is checked before each run with the program this analysis returns;
 * - `shape`: read from the shape of a tensor the run computes (proportional to memory the run already holds);
 * - `run`: computed from values only the run itself knows: nothing can bound it before the run starts.
 * The policy (which origins an upload may have) belongs to the caller.
 */
import type { OnnxGraph, OnnxModelInfo, OnnxNode, OnnxTensorInfo } from "./reader";
import { ELEMENT_BYTES } from "./reader";
import { elementCount, evaluateNode, evaluates, isFloatType, type KnownTensor, type ValueNode } from "./shape-values";

export type Origin = "constant" | "request" | "shape" | "run";

/** An operator that makes a tensor whose size the graph computes. */
export interface Expansion {
  /** The node's name, else its first output. */
  node: string;
  opType: string;
  origin: Origin;
  /** The least number of elements it makes, when the origin is `constant`. */
  elements?: number;
  bytesPerElement: number;
  /** For `run`: the operator whose output made the size unknowable. */
  via?: string;
}

export interface LoopTrip {
  node: string;
  /** `none`: the loop has no trip count and stops only when its condition says so. */
  origin: Origin | "none";
  trips?: number;
  via?: string;
}

/** What a request-time check evaluates: the nodes that compute the checked sizes from the inputs. */
export interface SizeProgram {
  constants: { name: string; dims: number[]; values: number[]; dataType: number }[];
  nodes: ValueNode[];
  checks: SizeCheck[];
}

export interface SizeCheck {
  node: string;
  opType: string;
  kind: "tensor" | "loop";
  /** The node's inputs (and the attributes a size needs), as the expansion rules read them. */
  inputs: string[];
  attributes: Record<string, number | number[]>;
  bytesPerElement: number;
}

export interface SizeAnalysis {
  expansions: Expansion[];
  loops: LoopTrip[];
  /** Checks for every `request` expansion and loop, with what they need to be evaluated. */
  program: SizeProgram;
}

/** Opset of the default domain (the expansion rules changed inputs into attributes and back over the years). */
export function defaultOpset(model: OnnxModelInfo): number {
  return model.opsets.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 1;
}

interface Fact {
  origin: Origin;
  known?: KnownTensor;
  /** Dims, when known now (constants) or at request time (graph inputs). */
  dims?: number[] | "request";
  dataType?: number;
  via?: string;
}

const ORDER: Record<Origin, number> = { constant: 0, request: 1, shape: 2, run: 3 };

function join(facts: readonly Fact[]): Pick<Fact, "origin" | "via"> {
  let worst: Fact = { origin: "constant" };
  for (const fact of facts) if (ORDER[fact.origin] > ORDER[worst.origin]) worst = fact;
  return { origin: worst.origin, via: worst.via };
}

const EXPANDING = new Set([
  "ConstantOfShape",
  "Expand",
  "Tile",
  "Range",
  "Resize",
  "Upsample",
  "Pad",
  "OneHot",
  "RandomNormal",
  "RandomUniform",
]);

export function analyzeSizes(model: OnnxModelInfo): SizeAnalysis {
  const opset = defaultOpset(model);
  const analysis: SizeAnalysis = { expansions: [], loops: [], program: { constants: [], nodes: [], checks: [] } };
  const root = new Scope();
  for (const input of model.graph.inputs) {
    const dims = input.dims?.every((d) => d.value !== undefined && d.value > 0)
      ? input.dims.map((d) => d.value!)
      : "request";
    root.define(input.name, { origin: "request", dims, dataType: input.elemType }, { input: true });
  }
  const defining = new Map<string, OnnxNode>();
  visitGraph(model.graph, root, opset, analysis, defining);
  analysis.program = buildProgram(analysis, defining, root);
  return analysis;
}

/** Values in scope: a subgraph sees its own and every enclosing graph's. */
class Scope {
  private readonly facts = new Map<string, Fact>();
  readonly inputs = new Set<string>();
  readonly constants = new Map<string, KnownTensor>();
  constructor(readonly parent?: Scope) {}

  define(name: string, fact: Fact, options: { input?: boolean } = {}): void {
    this.facts.set(name, fact);
    if (options.input) this.inputs.add(name);
  }
  get(name: string): Fact | undefined {
    return this.facts.get(name) ?? this.parent?.get(name);
  }
  isGraphInput(name: string): boolean {
    return this.facts.has(name) ? this.inputs.has(name) : (this.parent?.isGraphInput(name) ?? false);
  }
  root(): Scope {
    return this.parent ? this.parent.root() : this;
  }
}

function constantFact(tensor: OnnxTensorInfo): Fact {
  const known = tensor.values && { dims: tensor.dims, values: tensor.values, dataType: tensor.dataType };
  return { origin: "constant", known, dims: tensor.dims, dataType: tensor.dataType };
}

function visitGraph(
  graph: OnnxGraph,
  scope: Scope,
  opset: number,
  out: SizeAnalysis,
  defining: Map<string, OnnxNode>,
): void {
  for (const tensor of graph.initializers) {
    scope.define(tensor.name, constantFact(tensor));
    if (tensor.values) scope.root().constants.set(tensor.name, known(tensor));
  }
  for (const node of graph.nodes) visitNode(node, scope, opset, out, defining);
}

function known(tensor: OnnxTensorInfo): KnownTensor {
  return { dims: tensor.dims, values: tensor.values!, dataType: tensor.dataType };
}

function describe(node: OnnxNode): string {
  return node.name || node.outputs[0] || node.opType;
}

function visitNode(
  node: OnnxNode,
  scope: Scope,
  opset: number,
  out: SizeAnalysis,
  defining: Map<string, OnnxNode>,
): void {
  const facts = node.inputs.map(
    (name): Fact => (name ? (scope.get(name) ?? { origin: "run", via: name }) : { origin: "constant" }),
  );
  for (const attribute of node.attributes.values()) {
    for (const body of attribute.graphs) {
      const inner = new Scope(scope);
      // a body's formal inputs (iteration number, condition, carried and scanned values) exist only while running
      for (const input of body.inputs) inner.define(input.name, { origin: "run", via: describe(node) });
      visitGraph(body, inner, opset, out, defining);
    }
  }
  if (EXPANDING.has(node.opType)) out.expansions.push(expansion(node, facts, scope, opset));
  if (node.opType === "Loop") out.loops.push(loopTrip(node, facts));

  for (const name of node.outputs) if (name) defining.set(name, node);
  const [first, ...rest] = node.outputs;
  if (!first) return;
  const result = outputFact(node, facts, scope);
  scope.define(first, result);
  if (result.known && result.origin === "constant") scope.root().constants.set(first, result.known);
  for (const name of rest) if (name) scope.define(name, { origin: "run", via: describe(node) });
}

function outputFact(node: OnnxNode, facts: Fact[], scope: Scope): Fact {
  if (node.opType === "Constant") {
    const tensor = node.attributes.get("value")?.t;
    if (tensor) return constantFact(tensor);
  }
  if (node.opType === "Shape" || node.opType === "Size") {
    const [source] = facts;
    if (!source || source.dims === undefined) return { origin: "shape", via: describe(node) };
    if (source.dims === "request") return { origin: "request", dataType: 7 };
  }
  if (!evaluates(node.opType)) return { origin: "run", via: describe(node) };
  const origin = join(facts);
  const valueNode = toValueNode(node);
  const getKnown = (name: string) => scope.get(name)?.known;
  const shapeOf = (name: string) => {
    const dims = scope.get(name)?.dims;
    return Array.isArray(dims) ? dims : undefined;
  };
  const computed = origin.origin === "constant" ? evaluateNode(valueNode, getKnown, shapeOf) : undefined;
  if (origin.origin === "constant" && !computed) return { origin: "run", via: describe(node) }; // a constant we cannot compute
  return { ...origin, known: computed, dims: computed?.dims, dataType: computed?.dataType };
}

/** The node as ./shape-values.ts evaluates it: numeric attributes only. */
export function toValueNode(node: OnnxNode): ValueNode {
  // attribute names come from the uploaded file: no prototype for a name like `__proto__` to reach
  const attributes: Record<string, number | number[]> = Object.create(null);
  for (const [name, attribute] of node.attributes) {
    if (attribute.i !== undefined) attributes[name] = attribute.i;
    else if (attribute.ints) attributes[name] = attribute.ints;
    else if (attribute.f !== undefined) attributes[name] = attribute.f;
    else if (attribute.floats) attributes[name] = attribute.floats;
    else if (attribute.t?.values?.length === 1) {
      // ConstantOfShape's fill value: its number and type
      attributes[name] = attribute.t.values[0]!;
      attributes[`${name}_type`] = attribute.t.dataType;
    }
  }
  return { opType: node.opType, inputs: node.inputs, outputs: node.outputs, attributes };
}

/** Which inputs set an expanding operator's size (ONNX operator spec, by opset). */
export function sizeInputs(opType: string, node: { inputs: string[] }, opset: number): string[] {
  const at = (...indices: number[]) => indices.map((i) => node.inputs[i] ?? "").filter(Boolean);
  switch (opType) {
    case "ConstantOfShape":
      return at(0);
    case "Expand":
    case "Tile":
    case "OneHot":
      return at(1);
    case "Range":
      return at(0, 1, 2);
    case "Resize":
      return opset >= 11 ? at(2, 3) : at(1);
    case "Upsample":
      return opset >= 9 ? at(1) : [];
    case "Pad":
      return opset >= 11 ? at(1) : [];
    default:
      return [];
  }
}

function expansion(node: OnnxNode, facts: Fact[], scope: Scope, opset: number): Expansion {
  const names = sizeInputs(node.opType, node, opset);
  const sizeFacts = names.map((name) => facts[node.inputs.indexOf(name)]!);
  const { origin, via } = join(sizeFacts);
  const bytesPerElement = outputBytes(node, facts);
  const found: Expansion = {
    node: describe(node),
    opType: node.opType,
    origin,
    bytesPerElement,
    ...(via ? { via } : {}),
  };
  if (origin !== "constant") return found;
  const get = (name: string) => scope.get(name)?.known;
  const dimsOf = (name: string) => {
    const dims = scope.get(name)?.dims;
    return Array.isArray(dims) ? dims : undefined;
  };
  const elements = expansionElements(toValueNode(node), opset, get, dimsOf);
  return elements === undefined ? { ...found, origin: "run", via: describe(node) } : { ...found, elements };
}

function outputBytes(node: OnnxNode, facts: Fact[]): number {
  const type =
    node.opType === "ConstantOfShape"
      ? (node.attributes.get("value")?.t?.dataType ?? 1)
      : node.opType === "RandomNormal" || node.opType === "RandomUniform"
        ? (node.attributes.get("dtype")?.i ?? 1)
        : (facts[0]?.dataType ?? 1);
  return ELEMENT_BYTES[type] ?? 4;
}

/**
 * The least number of elements an expanding operator makes, from its size inputs (and its data input's dims where
 * they are known; 1 otherwise). Undefined when a size input is unknown.
 */
export function expansionElements(
  node: ValueNode,
  opset: number,
  get: (name: string) => KnownTensor | undefined,
  dimsOf: (name: string) => number[] | undefined,
): number | undefined {
  const value = (index: number) => {
    const name = node.inputs[index];
    return name ? get(name)?.values : undefined;
  };
  const dataElements = () => {
    const dims = node.inputs[0] ? dimsOf(node.inputs[0]) : undefined;
    return dims ? elementCount(dims) : 1;
  };
  const product = (values: number[] | undefined) =>
    values ? values.reduce((p, v) => p * Math.max(v, 0), 1) : undefined;
  switch (node.opType) {
    case "ConstantOfShape":
    case "Expand":
      return product(value(node.opType === "Expand" ? 1 : 0));
    case "Tile": {
      const repeats = product(value(1));
      return repeats === undefined ? undefined : repeats * dataElements();
    }
    case "OneHot": {
      const depth = value(1)?.[0];
      return depth === undefined ? undefined : Math.max(depth, 0) * dataElements();
    }
    case "Range": {
      const [start, limit, delta] = [value(0)?.[0], value(1)?.[0], value(2)?.[0]];
      if (start === undefined || limit === undefined || delta === undefined || delta === 0) return undefined;
      return Math.max(Math.ceil((limit - start) / delta), 0);
    }
    case "Resize":
    case "Upsample": {
      const sizes = opset >= 11 && node.opType === "Resize" ? value(3) : undefined;
      if (sizes && sizes.length > 0) return product(sizes);
      const scales =
        node.opType === "Upsample" && opset < 9
          ? (node.attributes.scales as number[] | undefined)
          : value(opset >= 11 && node.opType === "Resize" ? 2 : 1);
      const factor = product(scales);
      return factor === undefined ? undefined : Math.ceil(factor * dataElements());
    }
    case "Pad": {
      const pads = opset >= 11 ? value(1) : (node.attributes.pads as number[] | undefined);
      if (!pads) return undefined;
      const dims = (node.inputs[0] ? dimsOf(node.inputs[0]) : undefined) ?? new Array<number>(pads.length / 2).fill(1);
      const rank = pads.length / 2;
      return dims.reduce((p, d, i) => p * Math.max(d + (pads[i] ?? 0) + (pads[i + rank] ?? 0), 0), 1);
    }
    case "RandomNormal":
    case "RandomUniform":
      return product(node.attributes.shape as number[] | undefined);
    default:
      return undefined;
  }
}

function loopTrip(node: OnnxNode, facts: Fact[]): LoopTrip {
  const name = describe(node);
  if (!node.inputs[0]) return { node: name, origin: "none" };
  const fact = facts[0]!;
  if (fact.origin === "constant") {
    const trips = fact.known?.values[0];
    return trips === undefined ? { node: name, origin: "run", via: name } : { node: name, origin: "constant", trips };
  }
  return { node: name, origin: fact.origin, ...(fact.via ? { via: fact.via } : {}) };
}

/** The nodes and constants the `request` checks need, in graph order. */
function buildProgram(analysis: SizeAnalysis, defining: Map<string, OnnxNode>, root: Scope): SizeProgram {
  const program: SizeProgram = { constants: [], nodes: [], checks: [] };
  const needed = new Set<OnnxNode>();
  const constants = new Set<string>();
  const visit = (name: string) => {
    if (!name || root.isGraphInput(name)) return;
    if (root.constants.has(name) && !defining.has(name)) {
      constants.add(name);
      return;
    }
    const node = defining.get(name);
    if (!node || needed.has(node)) return;
    needed.add(node);
    for (const input of node.inputs) visit(input);
  };
  const checked = (kind: SizeCheck["kind"], node: OnnxNode, inputs: string[], bytesPerElement: number) => {
    for (const name of inputs) visit(name);
    program.checks.push({
      node: describe(node),
      opType: node.opType,
      kind,
      inputs: node.inputs,
      attributes: toValueNode(node).attributes,
      bytesPerElement,
    });
  };
  const nodes = [...defining.values()];
  const byName = new Map(nodes.map((node) => [describe(node), node]));
  for (const found of analysis.expansions) {
    const node = byName.get(found.node);
    if (found.origin === "request" && node) checked("tensor", node, [...node.inputs], found.bytesPerElement);
  }
  for (const loop of analysis.loops) {
    const node = byName.get(loop.node);
    if (loop.origin === "request" && node) checked("loop", node, [node.inputs[0]!], 8);
  }
  // graph order: `defining` was filled as nodes were visited, outer nodes after the bodies they hold
  const order = new Map(nodes.map((node, i) => [node, i]));
  program.nodes = [...needed].sort((a, b) => order.get(a)! - order.get(b)!).map(toValueNode);
  program.constants = [...constants].map((name) => ({ name, ...root.constants.get(name)! }));
  return program;
}

/** Graph inputs at request time: their dims, and their values when small. */
export interface RequestValues {
  dims(name: string): number[] | undefined;
  values(name: string): KnownTensor | undefined;
}

/** One check's outcome: how many elements the operator makes, or how many times the loop runs. */
export interface CheckedSize {
  check: SizeCheck;
  /** undefined when the request does not determine it (an input too large to read, a malformed shape). */
  amount?: number;
}

/** Evaluates a program's checks for one request. */
export function evaluateProgram(program: SizeProgram, opset: number, request: RequestValues): CheckedSize[] {
  const values = new Map<string, KnownTensor>();
  for (const constant of program.constants) values.set(constant.name, constant);
  const get = (name: string) => values.get(name) ?? request.values(name);
  const dimsOf = (name: string) => request.dims(name) ?? values.get(name)?.dims;
  for (const node of program.nodes) {
    const result = evaluateNode(node, get, dimsOf);
    if (result && node.outputs[0]) values.set(node.outputs[0], result);
  }
  return program.checks.map((check) => {
    const node: ValueNode = { opType: check.opType, inputs: check.inputs, outputs: [], attributes: check.attributes };
    const amount =
      check.kind === "loop" ? get(check.inputs[0]!)?.values[0] : expansionElements(node, opset, get, dimsOf);
    return { check, amount };
  });
}

/** Whether a graph input's values can be read before a run (numeric and small). */
export function readableInput(dataType: number): boolean {
  return isFloatType(dataType) || (ELEMENT_BYTES[dataType] ?? 0) > 0;
}
