/**
 * Scores → answer for classifiers (text and image alike): the model's output split into one row per item, an
 * activation over each row (softmax, sigmoid, or none when the model already outputs probabilities), then the `k`
 * best classes with their labels.
 */
import { AppError } from "../errors";
import type { Tensor } from "../runtime/tensor";

export const ACTIVATIONS = ["softmax", "sigmoid", "none"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface LabelScore {
  label: string;
  score: number;
}

/** @example activate(Float32Array.of(1, 2), "softmax") // [0.2689..., 0.7310...] */
export function activate(logits: ArrayLike<number>, activation: Activation): number[] {
  const values = Array.from(logits);
  if (activation === "none") return values;
  if (activation === "sigmoid") return values.map((v) => 1 / (1 + Math.exp(-v)));
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((total, v) => total + v, 0);
  return exps.map((v) => v / sum);
}

/**
 * The `k` highest scores, best first (ties keep class order); classes without a label are named by their index.
 * Selects with one pass over the scores (k small) instead of sorting them all.
 * @example topK([0.1, 0.7, 0.2], ["cat", "dog", "fox"], 2) // [{label: "dog", score: 0.7}, {label: "fox", score: 0.2}]
 */
export function topK(scores: readonly number[], labels: readonly string[] | undefined, k: number): LabelScore[] {
  const count = Math.min(Math.max(0, Math.floor(k)), scores.length);
  const best: number[] = []; // class indexes, best first
  const before = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  for (let index = 0; index < scores.length && count > 0; index++) {
    if (best.length === count && !before(index, best[count - 1]!)) continue;
    let at = Math.min(best.length, count - 1);
    if (best.length < count) best.push(index);
    while (at > 0 && before(index, best[at - 1]!)) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = index;
  }
  return best.map((index) => ({ label: labels?.[index] ?? String(index), score: scores[index]! }));
}

/** How a classifier's rows become its answer. */
export interface Scoring {
  activation: Activation;
  labels?: readonly string[];
  topK: number;
  /** The request sent a list: answer one list of classes per item. */
  list: boolean;
}

/** The rows of an FP32 [items, classes] output of one session call, one per item (views, not copies). */
export function classRows(result: Tensor | undefined, output: string, items: number): Float32Array[] {
  if (!result || !(result.data instanceof Float32Array) || result.shape[0] !== items) {
    throw new AppError(
      "inference_failed",
      `output '${output}' should be FP32 [${items}, classes]; got ${result?.datatype} [${result?.shape}]`,
    );
  }
  const { data } = result;
  const classes = data.length / items;
  return Array.from({ length: items }, (_, row) => data.subarray(row * classes, (row + 1) * classes));
}

/**
 * The best class of each item of a classifier's answer (one list of classes, or one per item).
 * @example topOnes([[{label: "de", score: 0.9}, {label: "nl", score: 0.05}]]) // [{label: "de", score: 0.9}]
 */
export function topOnes(answer: LabelScore[] | LabelScore[][]): LabelScore[] {
  const lists = answer.length > 0 && Array.isArray(answer[0]) ? (answer as LabelScore[][]) : [answer as LabelScore[]];
  return lists.flatMap((classes) => (classes[0] ? [classes[0]] : []));
}

/** The top-k classes of each row; labels that do not match the model's classes are the manifest's fault (422). */
export function classify(
  rows: readonly Float32Array[],
  scoring: Scoring,
  model: string,
): LabelScore[] | LabelScore[][] {
  const classes = rows[0]?.length ?? 0;
  if (scoring.labels && scoring.labels.length !== classes) {
    throw new AppError(
      "invalid_manifest",
      `model '${model}' has ${scoring.labels.length} labels for ${classes} classes`,
    );
  }
  const answers = rows.map((row) => topK(activate(row, scoring.activation), scoring.labels, scoring.topK));
  return scoring.list ? answers : answers[0]!;
}
