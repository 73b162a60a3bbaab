/**
 * What the rewrites need to know about a model's graphs: who consumes each value (across subgraphs, which may read
 * outer-scope values), which names exist, and fresh names that collide with none of them.
 */
import { create } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "../../src/onnx/gen/onnx_pb";
import { forEachGraph, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from "../../src/onnx/model";

export interface Consumer {
  node: NodeProto;
  /** Index among the node's inputs. */
  input: number;
  graph: GraphProto;
}

export interface GraphIndex {
  /** Value name → the nodes (in any graph) that read it. */
  consumers: Map<string, Consumer[]>;
  /** Value name → how many times it is defined (graph input, initializer or node output), all scopes together. */
  definitions: Map<string, number>;
  /** Names of the main graph's inputs and outputs and every subgraph's. */
  graphInputs: Set<string>;
  graphOutputs: Set<string>;
  names: NameAllocator;
}

export function indexModel(model: ModelProto): GraphIndex {
  const consumers = new Map<string, Consumer[]>();
  const definitions = new Map<string, number>();
  const graphInputs = new Set<string>();
  const graphOutputs = new Set<string>();
  const used = new Set<string>();
  const define = (name: string) => {
    if (!name) return;
    definitions.set(name, (definitions.get(name) ?? 0) + 1);
    used.add(name);
  };
  forEachGraph(model.graph!, (graph) => {
    for (const value of graph.input) {
      graphInputs.add(value.name);
      define(value.name);
    }
    for (const value of graph.output) {
      graphOutputs.add(value.name);
      used.add(value.name);
    }
    for (const init of graph.initializer) define(init.name);
    for (const node of graph.node) {
      if (node.name) used.add(node.name);
      node.output.forEach(define);
      node.input.forEach((name, input) => {
        if (!name) return;
        used.add(name);
        const list = consumers.get(name) ?? [];
        list.push({ node, input, graph });
        consumers.set(name, list);
      });
    }
  });
  return { consumers, definitions, graphInputs, graphOutputs, names: new NameAllocator(used) };
}

/** Hands out names no value or node of the model uses yet. */
export class NameAllocator {
  constructor(private readonly used: Set<string>) {}

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** An INT64 1-D tensor (for attributes that became inputs, e.g. Slice starts). */
export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return create(TensorProtoSchema, { name, dataType: 7, dims: [BigInt(values.length)], int64Data: values.map(BigInt) });
}

/** A FLOAT scalar tensor. */
export function floatScalar(name: string, value: number): TensorProto {
  return create(TensorProtoSchema, { name, dataType: 1, dims: [], floatData: [value] });
}
