/**
 * Classifier outputs as scikit-learn exports them (skl2onnx, ai.onnx.ml). Its default export ends in `ZipMap`, which
 * turns the [batch, classes] probability tensor into a sequence of maps; onnxruntime-web returns only tensors, so
 * `servableClassifier` rewrites each ZipMap that feeds a graph output into an `Identity` of its input and declares
 * that output FLOAT [batch, classes]: the graph skl2onnx itself writes with `zipmap=False`, same output name. The
 * class labels the ZipMap carried are returned with the graph, and so are those of classifier nodes whose scores
 * reach an output directly (`zipmap=False` exports), so a task can name the columns.
 *
 * Works on the wire format (./reader.ts's approach): fields it does not change are copied byte for byte, so the
 * weights are never decoded and a large tree ensemble costs one copy of its bytes.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { OnnxFormatError } from "./reader";

export interface ServableClassifier {
  /** The graph to serve: the uploaded bytes when nothing had to change. */
  bytes: Uint8Array;
  /** Graph outputs whose ZipMap was removed. */
  unzipped: string[];
  /** Class labels per graph output, in column order (int64 labels as decimal strings). */
  classLabels: Record<string, string[]>;
}

interface Field {
  field: number;
  wire: WireType;
  /** The whole field (tag and payload), to copy it unchanged. */
  raw: Uint8Array;
  /** The payload of a length-delimited field. */
  body?: Uint8Array;
}

interface NodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  labels?: string[];
}

const ML = "ai.onnx.ml";
/** ai.onnx.ml classifiers: output 0 is the label, output 1 the per-class scores. */
const CLASSIFIERS = new Set(["LinearClassifier", "TreeEnsembleClassifier", "SVMClassifier"]);
/** Nodes between a classifier and its probability output that keep the columns (skl2onnx's normalization, casts). */
const COLUMN_PRESERVING = new Set(["Identity", "Cast", "Normalizer", "ZipMap"]);

export function servableClassifier(bytes: Uint8Array): ServableClassifier {
  const model = fields(bytes);
  const graphField = model.find((f) => f.field === 7 && f.body);
  if (!graphField) throw new OnnxFormatError("not an ONNX model: no graph");
  const graph = fields(graphField.body!);
  const nodes = graph.filter((f) => f.field === 1).map((f) => readNode(f.body!));
  const outputNames = new Set(graph.filter((f) => f.field === 12).map((f) => valueInfoName(f.body!)));
  const zipMaps = nodes.filter(
    (n) => n.opType === "ZipMap" && n.domain === ML && n.outputs.length === 1 && outputNames.has(n.outputs[0]!),
  );
  const classLabels: Record<string, string[]> = {};
  for (const output of outputNames) {
    const labels = labelsReaching(output, nodes);
    if (labels) classLabels[output] = labels;
  }
  if (zipMaps.length === 0) return { bytes, unzipped: [], classLabels };

  const rewritten = new Map(zipMaps.map((z) => [z.outputs[0]!, z]));
  const w = new BinaryWriter();
  for (const f of model) {
    if (f !== graphField) {
      w.raw(f.raw);
      continue;
    }
    w.tag(7, WireType.LengthDelimited).fork();
    let node = 0;
    for (const g of graph) {
      if (g.field === 1) {
        const info = nodes[node++]!;
        const zip = info.opType === "ZipMap" ? rewritten.get(info.outputs[0]!) : undefined;
        if (zip === info) writeIdentity(w, info);
        else w.raw(g.raw);
      } else if (g.field === 12 && rewritten.has(valueInfoName(g.body!))) {
        const zip = rewritten.get(valueInfoName(g.body!))!;
        writeProbabilityOutput(w, zip.outputs[0]!, zip.labels?.length);
      } else w.raw(g.raw);
    }
    w.join();
  }
  if (!hasDefaultOpset(model)) w.tag(8, WireType.LengthDelimited).fork().tag(2, WireType.Varint).int64(1).join();
  return { bytes: w.finish(), unzipped: [...rewritten.keys()], classLabels };
}

/** The labels of the classifier whose scores reach `output` through column-preserving nodes, if any. */
function labelsReaching(output: string, nodes: readonly NodeInfo[]): string[] | undefined {
  let value = output;
  for (let hops = 0; hops < 8; hops++) {
    const producer = nodes.find((n) => n.outputs.includes(value));
    if (!producer) return undefined;
    if (producer.opType === "ZipMap" && producer.labels) return producer.labels;
    if (CLASSIFIERS.has(producer.opType) && producer.domain === ML)
      return producer.outputs[1] === value ? producer.labels : undefined;
    if (!COLUMN_PRESERVING.has(producer.opType) || producer.inputs.length === 0) return undefined;
    value = producer.inputs[0]!;
  }
  return undefined;
}

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  const r = new BinaryReader(bytes);
  try {
    while (r.pos < r.len) {
      const start = r.pos;
      const [field, wire] = r.tag();
      let body: Uint8Array | undefined;
      if (wire === WireType.LengthDelimited) body = r.bytes();
      else r.skip(wire, field);
      out.push({ field, wire, raw: bytes.subarray(start, r.pos), body });
    }
  } catch (error) {
    throw new OnnxFormatError(`not a valid ONNX protobuf (${(error as Error).message})`);
  }
  return out;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** NodeProto: input (1), output (2), name (3), op_type (4), attribute (5), domain (7). */
function readNode(bytes: Uint8Array): NodeInfo {
  const node: NodeInfo = { name: "", opType: "", domain: "", inputs: [], outputs: [] };
  for (const f of fields(bytes)) {
    if (!f.body) continue;
    if (f.field === 1) node.inputs.push(text(f.body));
    else if (f.field === 2) node.outputs.push(text(f.body));
    else if (f.field === 3) node.name = text(f.body);
    else if (f.field === 4) node.opType = text(f.body);
    else if (f.field === 7) node.domain = text(f.body);
    else if (f.field === 5) {
      const labels = classLabelsAttribute(f.body);
      if (labels) node.labels = labels;
    }
  }
  if (node.domain === "ai.onnx") node.domain = "";
  return node;
}

const LABEL_ATTRIBUTES = new Set(["classlabels_strings", "classlabels_int64s", "classlabels_ints"]);

/** AttributeProto name (1), ints (8, packed or not), strings (9): the value of a `classlabels_*` attribute. */
function classLabelsAttribute(bytes: Uint8Array): string[] | undefined {
  const parts = fields(bytes);
  const name = parts.find((f) => f.field === 1 && f.body);
  if (!name || !LABEL_ATTRIBUTES.has(text(name.body!))) return undefined;
  const labels: string[] = [];
  for (const f of parts) {
    if (f.field === 9 && f.body) labels.push(text(f.body));
    else if (f.field === 8 && f.body) {
      const r = new BinaryReader(f.body);
      while (r.pos < r.len) labels.push(r.int64().toString());
    } else if (f.field === 8) labels.push(varintAfterTag(f.raw));
  }
  return labels.length > 0 ? labels : undefined;
}

/** The int64 value of a single varint field (its tag, then the value). */
function varintAfterTag(raw: Uint8Array): string {
  const r = new BinaryReader(raw);
  r.tag();
  return r.int64().toString();
}

/** ValueInfoProto.name (1). */
function valueInfoName(bytes: Uint8Array): string {
  const name = fields(bytes).find((f) => f.field === 1 && f.body);
  return name ? text(name.body!) : "";
}

function hasDefaultOpset(model: readonly Field[]): boolean {
  return model.some((f) => {
    if (f.field !== 8 || !f.body) return false;
    const domain = fields(f.body).find((d) => d.field === 1 && d.body);
    return !domain || ["", "ai.onnx"].includes(text(domain.body!));
  });
}

function writeIdentity(w: BinaryWriter, zip: NodeInfo): void {
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string(zip.inputs[0] ?? "");
  w.tag(2, WireType.LengthDelimited).string(zip.outputs[0]!);
  if (zip.name) w.tag(3, WireType.LengthDelimited).string(zip.name);
  w.tag(4, WireType.LengthDelimited).string("Identity");
  w.join();
}

/** ValueInfoProto of a FLOAT [batch, classes] tensor (batch left dynamic, as skl2onnx declares `None`). */
function writeProbabilityOutput(w: BinaryWriter, name: string, classes: number | undefined): void {
  w.tag(12, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name);
  w.tag(2, WireType.LengthDelimited).fork(); // TypeProto
  w.tag(1, WireType.LengthDelimited).fork(); // TypeProto.Tensor
  w.tag(1, WireType.Varint).int32(1); // FLOAT
  w.tag(2, WireType.LengthDelimited).fork(); // TensorShapeProto
  w.tag(1, WireType.LengthDelimited).fork().join(); // the batch: neither a value nor a name
  w.tag(1, WireType.LengthDelimited).fork();
  if (classes !== undefined) w.tag(1, WireType.Varint).int64(classes);
  w.join();
  w.join().join().join().join();
}
