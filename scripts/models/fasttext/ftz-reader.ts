/**
 * Reads a fastText model file (`.bin`, or `.ftz` once quantized) as fastText itself loads it (fasttext.cc
 * `loadModel`): magic and version, Args, Dictionary (words, labels, and the prune index of a model cut off by
 * `quantize -cutoff`), the input matrix (dense, or product-quantized with optional quantized norms), then the output
 * matrix (dense, or quantized when `qout`). All numbers are little-endian, as fastText writes them on x86.
 */

export const FASTTEXT_MAGIC = 793712314;
/** The newest file version fastText writes (12); 11 is the older supervised layout without char n-grams. */
export const FASTTEXT_VERSION = 12;

/** args.h: `enum class loss_name : int { hs = 1, ns, softmax, ova }`. */
export const LOSS_NAMES = { 1: "hs", 2: "ns", 3: "softmax", 4: "ova" } as const;
export type LossName = (typeof LOSS_NAMES)[keyof typeof LOSS_NAMES];
/** args.h: `enum class model_name : int { cbow = 1, sg, sup }`. */
export const MODEL_NAMES = { 1: "cbow", 2: "sg", 3: "sup" } as const;
export type ModelName = (typeof MODEL_NAMES)[keyof typeof MODEL_NAMES];

/** The Args fastText saves (args.cc `save`, in this order); the label prefix is not saved (always `__label__`). */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  loss: LossName;
  model: ModelName;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  t: number;
}

/** dictionary.h: `enum class entry_type : int8_t { word = 0, label = 1 }`. */
export interface DictionaryEntry {
  /** The entry's bytes as saved (UTF-8 in practice). */
  bytes: Uint8Array;
  count: number;
  type: "word" | "label";
}

export interface FastTextDictionary {
  nwords: number;
  nlabels: number;
  ntokens: number;
  /** Words first (ids 0..nwords-1), then labels. */
  entries: DictionaryEntry[];
  /** Char/word n-gram bucket → row offset after the words; `undefined` when the model was not pruned. */
  pruneIndex?: Map<number, number>;
}

export interface DenseMatrix {
  kind: "dense";
  rows: number;
  cols: number;
  data: Float32Array;
}

/** productquantizer.h: `ksub_ = 1 << nbits_`, `nbits_ = 8`. */
export const KSUB = 256;

export interface ProductQuantizer {
  dim: number;
  nsubq: number;
  dsub: number;
  lastdsub: number;
  /** `dim * KSUB` floats: sub-quantizer m's centroid i starts at `(m * KSUB + i) * dsub`, the last one's at `m * KSUB * dsub + i * lastdsub`. */
  centroids: Float32Array;
}

export interface QuantMatrix {
  kind: "quantized";
  rows: number;
  cols: number;
  /** `rows * nsubq` codes, one byte per sub-quantizer. */
  codes: Uint8Array;
  pq: ProductQuantizer;
  /** With `qnorm`: one code per row into `npq` (a 1-dimensional quantizer of the rows' L2 norms). */
  norm?: { codes: Uint8Array; pq: ProductQuantizer };
}

export type FastTextMatrix = DenseMatrix | QuantMatrix;

export interface FastTextModel {
  version: number;
  args: FastTextArgs;
  dictionary: FastTextDictionary;
  input: FastTextMatrix;
  output: FastTextMatrix;
}

class Cursor {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(size: number): number {
    if (size < 0 || this.offset + size > this.bytes.length)
      throw new Error(`truncated fastText model: ${size} bytes wanted at offset ${this.offset}`);
    const at = this.offset;
    this.offset += size;
    return at;
  }

  int32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  int64(): number {
    const value = this.view.getBigInt64(this.take(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new Error(`int64 ${value} out of range`);
    return Number(value);
  }

  float64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  int8(): number {
    return this.view.getInt8(this.take(1));
  }

  bool(): boolean {
    return this.view.getUint8(this.take(1)) !== 0;
  }

  /** Bytes up to (not including) the next NUL, which is consumed. */
  cString(): Uint8Array {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new Error(`unterminated string at offset ${this.offset}`);
    const start = this.take(end - this.offset + 1);
    return this.bytes.slice(start, end);
  }

  uint8s(count: number): Uint8Array {
    const at = this.take(count);
    return this.bytes.slice(at, at + count);
  }

  float32s(count: number): Float32Array {
    const at = this.take(count * 4);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getFloat32(at + i * 4, true);
    return out;
  }
}

function enumValue<T extends Record<number, string>>(table: T, value: number, what: string): T[keyof T] {
  const name = table[value as keyof T];
  if (name === undefined) throw new Error(`unknown ${what} ${value}`);
  return name;
}

/** args.cc `load`: twelve `int` fields (the two enums among them) as int32, in this order, then `t` as a double. */
const INT_ARGS = [
  "dim",
  "ws",
  "epoch",
  "minCount",
  "neg",
  "wordNgrams",
  "loss",
  "model",
  "bucket",
  "minn",
  "maxn",
  "lrUpdateRate",
] as const;
type IntArg = (typeof INT_ARGS)[number];

function readArgs(cursor: Cursor): FastTextArgs {
  const ints = Object.fromEntries(INT_ARGS.map((name) => [name, cursor.int32()])) as Record<IntArg, number>;
  return {
    ...ints,
    loss: enumValue(LOSS_NAMES, ints.loss, "loss"),
    model: enumValue(MODEL_NAMES, ints.model, "model"),
    t: cursor.float64(),
  };
}

/** dictionary.cc `load`: sizes, entries (NUL-terminated word, int64 count, int8 type), then the prune index pairs. */
function readDictionary(cursor: Cursor): FastTextDictionary {
  const size = cursor.int32();
  const nwords = cursor.int32();
  const nlabels = cursor.int32();
  const ntokens = cursor.int64();
  const pruneSize = cursor.int64();
  if (size !== nwords + nlabels) throw new Error(`dictionary size ${size} is not ${nwords} words + ${nlabels} labels`);
  const entries: DictionaryEntry[] = [];
  for (let i = 0; i < size; i++) {
    const bytes = cursor.cString();
    const count = cursor.int64();
    const type = cursor.int8();
    if (type !== 0 && type !== 1) throw new Error(`entry ${i} has type ${type}`);
    entries.push({ bytes, count, type: type === 0 ? "word" : "label" });
  }
  entries.forEach((entry, i) => {
    if ((entry.type === "word") !== i < nwords)
      throw new Error(`entry ${i} is a ${entry.type}, but words come first (${nwords} of them)`);
  });
  let pruneIndex: Map<number, number> | undefined;
  if (pruneSize >= 0) {
    pruneIndex = new Map();
    for (let i = 0; i < pruneSize; i++) {
      const from = cursor.int32();
      pruneIndex.set(from, cursor.int32());
    }
  }
  return { nwords, nlabels, ntokens, entries, pruneIndex };
}

/** densematrix.cc `load`: int64 rows, int64 cols, then rows * cols floats. */
function readDense(cursor: Cursor): DenseMatrix {
  const rows = cursor.int64();
  const cols = cursor.int64();
  return { kind: "dense", rows, cols, data: cursor.float32s(rows * cols) };
}

/** productquantizer.cc `load`: dim, nsubq, dsub, lastdsub (int32), then `dim * KSUB` centroid floats. */
function readProductQuantizer(cursor: Cursor): ProductQuantizer {
  const dim = cursor.int32();
  const nsubq = cursor.int32();
  const dsub = cursor.int32();
  const lastdsub = cursor.int32();
  if (dsub <= 0 || nsubq !== Math.ceil(dim / dsub) || lastdsub !== dim - (nsubq - 1) * dsub) {
    throw new Error(`inconsistent product quantizer: dim ${dim}, nsubq ${nsubq}, dsub ${dsub}, lastdsub ${lastdsub}`);
  }
  return { dim, nsubq, dsub, lastdsub, centroids: cursor.float32s(dim * KSUB) };
}

/** quantmatrix.cc `load`: qnorm (bool), int64 rows and cols, int32 code size, codes, the PQ, then the norms' codes and PQ. */
function readQuantized(cursor: Cursor): QuantMatrix {
  const qnorm = cursor.bool();
  const rows = cursor.int64();
  const cols = cursor.int64();
  const codeSize = cursor.int32();
  const codes = cursor.uint8s(codeSize);
  const pq = readProductQuantizer(cursor);
  if (pq.dim !== cols || codeSize !== rows * pq.nsubq)
    throw new Error(`quantized ${rows}x${cols} matrix with ${codeSize} codes and a ${pq.dim}-dimensional quantizer`);
  if (!qnorm) return { kind: "quantized", rows, cols, codes, pq };
  const normCodes = cursor.uint8s(rows);
  const normPq = readProductQuantizer(cursor);
  if (normPq.dim !== 1) throw new Error(`the norm quantizer has dimension ${normPq.dim}`);
  return { kind: "quantized", rows, cols, codes, pq, norm: { codes: normCodes, pq: normPq } };
}

export function readFastTextModel(bytes: Uint8Array): FastTextModel {
  const cursor = new Cursor(bytes);
  const magic = cursor.int32();
  if (magic !== FASTTEXT_MAGIC) throw new Error(`not a fastText model (magic ${magic})`);
  const version = cursor.int32();
  if (version > FASTTEXT_VERSION) throw new Error(`fastText file version ${version} is newer than ${FASTTEXT_VERSION}`);
  const args = readArgs(cursor);
  // fasttext.cc: "backward compatibility: old supervised models do not use char ngrams"
  if (version === 11 && args.model === "sup") args.maxn = 0;
  const dictionary = readDictionary(cursor);
  const quantInput = cursor.bool();
  const input = quantInput ? readQuantized(cursor) : readDense(cursor);
  if (!quantInput && dictionary.pruneIndex && dictionary.pruneIndex.size > 0)
    throw new Error("a pruned dictionary needs a quantized input matrix (fastText issue #332)");
  const qout = cursor.bool();
  const output = quantInput && qout ? readQuantized(cursor) : readDense(cursor);
  if (cursor.remaining !== 0) throw new Error(`${cursor.remaining} bytes left after the output matrix`);
  if (input.cols !== args.dim || output.cols !== args.dim)
    throw new Error(`matrices of ${input.cols} and ${output.cols} columns for dim ${args.dim}`);
  return { version, args, dictionary, input, output };
}

/** The centroid of sub-quantizer `m` for `code` (productquantizer.cc `get_centroids`). */
export function centroid(pq: ProductQuantizer, m: number, code: number): Float32Array {
  const width = m === pq.nsubq - 1 ? pq.lastdsub : pq.dsub;
  const start = m === pq.nsubq - 1 ? m * KSUB * pq.dsub + code * pq.lastdsub : (m * KSUB + code) * pq.dsub;
  return pq.centroids.subarray(start, start + width);
}

/**
 * Row `row` of a matrix as fastText adds it to a vector (`addRowToVector`): for a quantized matrix each element is
 * `norm * centroid` in float32, the product fastText's `ProductQuantizer::addcode` adds.
 */
export function matrixRow(matrix: FastTextMatrix, row: number): Float32Array {
  if (matrix.kind === "dense") return matrix.data.slice(row * matrix.cols, (row + 1) * matrix.cols);
  const out = new Float32Array(matrix.cols);
  const norm = matrix.norm ? centroid(matrix.norm.pq, 0, matrix.norm.codes[row]!)[0]! : 1;
  const { pq } = matrix;
  for (let m = 0; m < pq.nsubq; m++) {
    const c = centroid(pq, m, matrix.codes[row * pq.nsubq + m]!);
    for (let n = 0; n < c.length; n++) out[m * pq.dsub + n] = Math.fround(norm * c[n]!);
  }
  return out;
}
