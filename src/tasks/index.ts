/**
 * The one table of tasks: `POST /v1/run/{model}` dispatches on the manifest's `task` through it. Adding a task
 * means one file under `src/tasks/` and one line here; routes do not change.
 */
import type { Task } from "../registry/manifest";
import { featureExtraction } from "./feature-extraction";
import { imageClassification } from "./image-classification";
import { ocr } from "./ocr";
import type { TaskDefinition } from "./task";
import { textClassification } from "./text-classification";
import { voiceActivity } from "./voice-activity";

export const TASK_DEFINITIONS: Readonly<Partial<Record<Task, TaskDefinition>>> = Object.freeze({
  "feature-extraction": featureExtraction,
  "image-classification": imageClassification,
  ocr,
  "voice-activity": voiceActivity,
  "text-classification": textClassification,
});

export function taskDefinition(task: Task): TaskDefinition | undefined {
  return TASK_DEFINITIONS[task];
}
