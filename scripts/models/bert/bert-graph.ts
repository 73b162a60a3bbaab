/**
 * A BERT encoder as an ONNX graph (opset 17), laid out like Hugging Face's `BertModel` exported by optimum:
 * inputs `input_ids`, `attention_mask`, `token_type_ids` (INT64 [batch, sequence]); outputs `last_hidden_state`
 * (FP32 [batch, sequence, hidden]) and `pooler_output` (FP32 [batch, hidden], tanh(dense([CLS]))).
 * Word + position + token-type embeddings, LayerNorm; per layer: multi-head self-attention with the additive
 * attention mask (-10000 on padding, as BERT does), residual, LayerNorm, GELU (erf) feed-forward, residual,
 * LayerNorm. Weights are deterministic pseudo-random numbers: a test fixture, never a product model.
 */
import {
  float32Initializer,
  type InitializerSpec,
  int64Initializer,
  type ModelSpec,
  type NodeSpec,
} from "../../../src/onnx/writer.ts";

export interface BertShape {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
}

/**
 * Uniform numbers in [-1, 1) from a 32-bit xorshift generator: integer arithmetic and one division only, so the
 * weights (and the model's sha256) are the same on every machine.
 */
function uniformGenerator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 31 - 1;
  };
}

export function bertGraph(shape: BertShape, seed = 20260101): ModelSpec {
  const { vocabSize, hidden: H, layers, heads, intermediate, maxPositions, typeVocabSize } = shape;
  if (H % heads !== 0) throw new Error(`hidden ${H} is not a multiple of heads ${heads}`);
  const headSize = H / heads;
  const random = uniformGenerator(seed);
  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];

  const weight = (name: string, dims: number[], scale: number) => {
    const count = dims.reduce((a, b) => a * b, 1);
    initializers.push(
      float32Initializer(
        name,
        dims,
        Array.from({ length: count }, () => random() * scale),
      ),
    );
    return name;
  };
  const constant = (name: string, dims: number[], values: number[]) => (
    initializers.push(float32Initializer(name, dims, values)), name
  );
  const ints = (name: string, dims: number[], values: number[]) => (
    initializers.push(int64Initializer(name, dims, values)), name
  );
  const node = (opType: string, inputs: string[], output: string, attributes?: NodeSpec["attributes"]) => {
    nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  };
  const linear = (x: string, prefix: string, fanIn: number, fanOut: number) => {
    const product = node(
      "MatMul",
      [x, weight(`${prefix}.weight`, [fanIn, fanOut], Math.sqrt(3 / fanIn))],
      `${prefix}.matmul`,
    );
    return node("Add", [product, weight(`${prefix}.bias`, [fanOut], 0.1)], `${prefix}.out`);
  };
  const layerNorm = (x: string, prefix: string) => {
    const gamma = constant(
      `${prefix}.gamma`,
      [H],
      Array.from({ length: H }, () => 1 + random() * 0.1),
    );
    const beta = weight(`${prefix}.beta`, [H], 0.1);
    return node("LayerNormalization", [x, gamma, beta], `${prefix}.out`, { axis: -1, epsilon: { float: 1e-12 } });
  };

  // embeddings
  const words = node("Gather", [weight("embeddings.word", [vocabSize, H], 1), "input_ids"], "embeddings.words");
  const inputShape = node("Shape", ["input_ids"], "embeddings.input_shape");
  const sequence = node("Gather", [inputShape, ints("const.one_index", [], [1])], "embeddings.sequence");
  const positionIds = node(
    "Range",
    [ints("const.zero", [], [0]), sequence, ints("const.one", [], [1])],
    "embeddings.position_ids",
  );
  const positions = node(
    "Gather",
    [weight("embeddings.position", [maxPositions, H], 1), positionIds],
    "embeddings.positions",
  );
  const types = node(
    "Gather",
    [weight("embeddings.token_type", [typeVocabSize, H], 1), "token_type_ids"],
    "embeddings.types",
  );
  const summed = node("Add", [node("Add", [words, positions], "embeddings.words_positions"), types], "embeddings.sum");
  let hidden = layerNorm(summed, "embeddings.norm");

  // attention mask: 0 where attended, -10000 on padding, shaped [batch, 1, 1, sequence]
  const maskFloat = node("Cast", ["attention_mask"], "mask.float", { to: 1 });
  const inverted = node("Sub", [constant("const.one_float", [], [1]), maskFloat], "mask.inverted");
  const additive = node("Mul", [inverted, constant("const.mask_value", [], [-10000])], "mask.additive");
  const mask = node("Unsqueeze", [additive, ints("const.mask_axes", [2], [1, 2])], "mask.broadcast");
  const splitHeads = ints("const.split_heads", [4], [0, 0, heads, headSize]);
  const mergeHeads = ints("const.merge_heads", [3], [0, 0, H]);
  const scale = constant("const.attention_scale", [], [1 / Math.sqrt(headSize)]);
  const invSqrt2 = constant("const.inv_sqrt2", [], [Math.SQRT1_2]);
  const half = constant("const.half", [], [0.5]);

  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const heads4 = (name: string, perm: number[]) =>
      node(
        "Transpose",
        [node("Reshape", [linear(hidden, `${p}.${name}`, H, H), splitHeads], `${p}.${name}.heads`)],
        `${p}.${name}.t`,
        { perm },
      );
    const q = heads4("query", [0, 2, 1, 3]);
    const k = heads4("key", [0, 2, 3, 1]);
    const v = heads4("value", [0, 2, 1, 3]);
    const scores = node(
      "Add",
      [node("Mul", [node("MatMul", [q, k], `${p}.scores`), scale], `${p}.scaled`), mask],
      `${p}.masked`,
    );
    const probs = node("Softmax", [scores], `${p}.probs`, { axis: -1 });
    const context = node("MatMul", [probs, v], `${p}.context`);
    const merged = node(
      "Reshape",
      [node("Transpose", [context], `${p}.context.t`, { perm: [0, 2, 1, 3] }), mergeHeads],
      `${p}.context.merged`,
    );
    const attention = linear(merged, `${p}.attention_output`, H, H);
    hidden = layerNorm(node("Add", [attention, hidden], `${p}.attention_residual`), `${p}.attention_norm`);

    const up = linear(hidden, `${p}.intermediate`, H, intermediate);
    const erf = node("Erf", [node("Mul", [up, invSqrt2], `${p}.gelu.scaled`)], `${p}.gelu.erf`);
    const gate = node("Mul", [node("Add", [erf, "const.one_float"], `${p}.gelu.plus_one`), half], `${p}.gelu.gate`);
    const gelu = node("Mul", [up, gate], `${p}.gelu.out`);
    const down = linear(gelu, `${p}.output`, intermediate, H);
    hidden = layerNorm(node("Add", [down, hidden], `${p}.output_residual`), `${p}.output_norm`);
  }

  node("Identity", [hidden], "last_hidden_state");
  const first = node("Gather", [hidden, ints("const.cls_index", [], [0])], "pooler.cls", { axis: 1 });
  node("Tanh", [linear(first, "pooler.dense", H, H)], "pooler_output");

  const tokens = (name: string) => ({ name, elemType: 7, dims: ["batch", "sequence"] });
  return {
    producer: "edge-maas scripts/models/bert-fixture.ts",
    opset: 17,
    inputs: [tokens("input_ids"), tokens("attention_mask"), tokens("token_type_ids")],
    outputs: [
      { name: "last_hidden_state", elemType: 1, dims: ["batch", "sequence", H] },
      { name: "pooler_output", elemType: 1, dims: ["batch", H] },
    ],
    nodes,
    initializers,
  };
}
