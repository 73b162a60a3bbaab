/**
 * Caps the trip count of every `Loop` in a model (subgraphs included): `M` becomes `Min(M, cap)`, or `cap` when the
 * loop has none and would run until its condition turns false. A Worker cannot stop WebAssembly once a run starts,
 * so a loop whose length cannot be checked before the run is bounded inside the graph itself. Applied only to
 * models whose manifest allows such loops (`limits.maxLoopIterations`); the stored weights stay as uploaded.
 */
import { DataType, decodeModel, encodeModel, forEachGraph, makeNode, makeTensor, type NodeProto } from "./model";

/** The model with its loops capped at `cap` iterations; unchanged bytes when it has no `Loop`. */
export function capLoopTripCounts(bytes: Uint8Array, cap: number): Uint8Array {
  const model = decodeModel(bytes);
  let loops = 0;
  forEachGraph(model.graph!, (graph) => {
    graph.node = graph.node.flatMap((node) =>
      node.opType === "Loop" && node.domain === "" ? capped(node, cap, loops++) : [node],
    );
  });
  return loops === 0 ? bytes : encodeModel(model);
}

/** The nodes that replace `loop`: a constant cap, a Min when the loop has a trip count, and the loop reading it. */
function capped(loop: NodeProto, cap: number, index: number): NodeProto[] {
  const prefix = `__edge_maas_loop_cap_${index}`;
  const limit = makeNode("Constant", [], [`${prefix}_limit`], {
    value: makeTensor("", DataType.INT64, [], BigInt64Array.of(BigInt(cap))),
  });
  const tripCount = loop.input[0] ?? "";
  if (!tripCount) {
    loop.input[0] = `${prefix}_limit`;
    if (loop.input.length < 2) loop.input[1] = "";
    return [limit, loop];
  }
  const min = makeNode("Min", [tripCount, `${prefix}_limit`], [`${prefix}_trips`]);
  loop.input[0] = `${prefix}_trips`;
  return [limit, min, loop];
}
