/**
 * The one table of tasks: `POST /v1/run/{model}` dispatches on the manifest's `task` through it. Adding a task
 * means one file under `src/tasks/` and one line here; routes do not change.
 */
import { featureExtraction } from "./feature-extraction";
import { imageClassification } from "./image-classification";
import { ocr } from "./ocr";
import { tabularClassification } from "./tabular-classification";
import { tabularRegression } from "./tabular-regression";
import type { TaskDefinition } from "./task";
import { textClassification } from "./text-classification";
import { voiceActivity } from "./voice-activity";

export const TASK_DEFINITIONS: Readonly<Record<string, TaskDefinition>> = Object.freeze({
  "feature-extraction": featureExtraction,
  "image-classification": imageClassification,
  ocr,
  "voice-activity": voiceActivity,
  "text-classification": textClassification,
  "tabular-classification": tabularClassification,
  "tabular-regression": tabularRegression,
});

/** `tensor` models have no task definition: they are served as OIP tensors in and out. */
export const TENSOR_TASK = "tensor";

/** Every task a manifest may name. */
export const TASK_NAMES: readonly string[] = Object.freeze([TENSOR_TASK, ...Object.keys(TASK_DEFINITIONS)]);

export function taskDefinition(task: string): TaskDefinition | undefined {
  return Object.hasOwn(TASK_DEFINITIONS, task) ? TASK_DEFINITIONS[task] : undefined;
}
