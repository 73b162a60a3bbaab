/**
 * The runtime's tensor: an OIP datatype, a shape and its elements (a typed array, or strings for `BYTES`).
 * Conversions to and from `ort.Tensor` share the typed array; they never copy numeric element data.
 */
import { type Datatype, datatypeFromOrt, ortType, type TensorData, type TypedData } from "./datatypes";
import { ort } from "./ort";

export interface Tensor {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

export type NamedTensors = Record<string, Tensor>;

export function toOrtTensor(tensor: Tensor): ort.Tensor {
  const type = ortType(tensor.datatype) as ort.Tensor.Type;
  return new ort.Tensor(type, tensor.data as ort.Tensor.DataType, tensor.shape);
}

export function fromOrtTensor(name: string, value: ort.OnnxValue): Tensor {
  if (!(value instanceof ort.Tensor)) throw new TypeError(`output ${name} is not a tensor`);
  const datatype = datatypeFromOrt(value.type);
  if (!datatype) throw new TypeError(`output ${name} has type ${value.type}, which has no OIP datatype`);
  const data = datatype === "BYTES" ? [...(value.data as string[])] : halfAsBits(value.data as TypedData);
  return { datatype, shape: [...value.dims], data };
}

/** Where the runtime has `Float16Array`, onnxruntime-web returns FP16 outputs in one; we carry their bits. */
function halfAsBits(data: TypedData): TypedData {
  const isFloat16 = Object.prototype.toString.call(data) === "[object Float16Array]";
  return isFloat16 ? new Uint16Array(data.buffer, data.byteOffset, data.length) : data;
}
