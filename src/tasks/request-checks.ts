/**
 * Checks a task makes before any work is done: how many items a request carries, and which of the model's outputs
 * it reads.
 */
import { AppError } from "../errors";
import type { TaskContext } from "./task";

/**
 * Refuses more than the model's `limits.maxItems` items in one request (`batch_too_large`, 413); `param` names the
 * request field that holds them, for error envelopes that say which (OpenAI's).
 * @example checkItemCount(texts.length, "texts", context)
 */
export function checkItemCount(count: number, items: string, context: TaskContext, param?: string): void {
  const { maxItems } = context.limits;
  if (count > maxItems)
    throw new AppError(
      "batch_too_large",
      `${count} ${items} in one request; model '${context.model.name}' takes at most ${maxItems}`,
      { param },
    );
}

/**
 * The output a task reads: the one its manifest names, else the model's first; `invalid_manifest` (422) when the
 * model has no such output.
 */
export function chosenOutput(configured: string | undefined, context: TaskContext): string {
  const outputs = context.model.entry.outputs;
  const output = configured ?? outputs[0]?.name;
  if (output === undefined || !outputs.some((spec) => spec.name === output)) {
    throw new AppError(
      "invalid_manifest",
      `model '${context.model.name}' has no output '${output}'; its outputs are ${outputs.map((spec) => spec.name).join(", ")}`,
    );
  }
  return output;
}
