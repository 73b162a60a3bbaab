/**
 * A model's input/output signature, read from the model itself, and the checks every request passes before any
 * tensor data is materialised or the model runs.
 */
import { AppError } from "../errors";
import type { OnnxValueInfo } from "../onnx/reader";
import { type Datatype, datatypeFromOrt, elementCount } from "./datatypes";
import type { ort } from "./ort";

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** -1 marks a dynamic dimension; `null` means the model does not declare a rank. */
  shape: number[] | null;
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface TensorLimits {
  /** Largest element count of any one input tensor. */
  maxElements: number;
}

/** What a request declares about one input before its data is decoded. */
export interface DeclaredTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
}

const DYNAMIC = -1;

/**
 * The signature of a created session. onnxruntime-web reports no shape both for scalars and for values whose rank
 * the model leaves open; the graph's own declaration tells them apart.
 */
export function readSignature(session: ort.InferenceSession, declared: Map<string, OnnxValueInfo>): Signature {
  const read = (metadata: readonly ort.InferenceSession.ValueMetadata[], kind: string): TensorSpec[] =>
    metadata.map((value) => {
      if (!value.isTensor)
        throw new AppError(
          "invalid_model",
          `${kind} '${value.name}' is not a tensor: sequences and maps cannot be served (a classifier's ZipMap output is served as the probability tensor that feeds it)`,
        );
      const datatype = datatypeFromOrt(value.type);
      if (!datatype)
        throw new AppError(
          "invalid_model",
          `${kind} '${value.name}' has element type ${value.type}, which edge-maas cannot serve`,
        );
      const rankKnown = declared.get(value.name)?.dims !== null;
      const shape = value.shape.length === 0 && !rankKnown ? null : value.shape.map(toDimension);
      return { name: value.name, datatype, shape };
    });
  return { inputs: read(session.inputMetadata, "input"), outputs: read(session.outputMetadata, "output") };
}

function toDimension(dim: number | string): number {
  // symbolic names, and onnxruntime-web's 2^32 - 1 for unnamed dynamic dimensions
  return typeof dim === "number" && dim >= 0 && dim < 2 ** 31 ? dim : DYNAMIC;
}

/** Checks names, datatypes, ranks, fixed dimensions and limits of the declared inputs against the signature. */
export function checkInputs(signature: Signature, inputs: readonly DeclaredTensor[], limits: TensorLimits): void {
  const specs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
  const seen = new Set<string>();
  for (const input of inputs) {
    const spec = specs.get(input.name);
    if (!spec)
      throw new AppError(
        "tensor_mismatch",
        `unknown input '${input.name}'; the model takes ${listNames(signature.inputs)}`,
      );
    if (seen.has(input.name)) throw new AppError("invalid_request", `input '${input.name}' is given twice`);
    seen.add(input.name);
    checkInput(spec, input, limits);
  }
  const missing = signature.inputs.filter((spec) => !seen.has(spec.name));
  if (missing.length > 0) throw new AppError("tensor_mismatch", `missing input ${listNames(missing)}`);
}

function checkInput(spec: TensorSpec, input: DeclaredTensor, limits: TensorLimits): void {
  const where = `input '${input.name}'`;
  if (input.datatype !== spec.datatype) {
    throw new AppError("tensor_mismatch", `${where} must be ${spec.datatype}, got ${input.datatype}`);
  }
  if (spec.shape) {
    if (input.shape.length !== spec.shape.length) {
      throw new AppError(
        "tensor_mismatch",
        `${where} must have rank ${spec.shape.length} (shape ${formatShape(spec.shape)}), got shape ${formatShape(input.shape)}`,
      );
    }
    spec.shape.forEach((dim, axis) => {
      if (dim !== DYNAMIC && input.shape[axis] !== dim) {
        throw new AppError(
          "tensor_mismatch",
          `${where} must have shape ${formatShape(spec.shape!)}, got ${formatShape(input.shape)} (axis ${axis})`,
        );
      }
    });
  }
  const elements = elementCount(input.shape);
  if (elements > limits.maxElements) {
    throw new AppError("too_many_elements", `${where} has ${elements} elements; the limit is ${limits.maxElements}`);
  }
}

/** Checks requested output names. */
export function checkOutputs(signature: Signature, names: readonly string[]): void {
  const known = new Set(signature.outputs.map((spec) => spec.name));
  for (const name of names) {
    if (!known.has(name))
      throw new AppError(
        "tensor_mismatch",
        `unknown output '${name}'; the model produces ${listNames(signature.outputs)}`,
      );
  }
}

function listNames(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `'${spec.name}'`).join(", ");
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
