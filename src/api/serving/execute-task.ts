/**
 * Runs a task's stages in order (preprocess → infer → postprocess, as kserve's `Model.__call__` does) and times
 * each, so a response can show how much was spent outside the model.
 */
import type { TaskContext, TaskDefinition } from "../../tasks/task";

export interface StageTimings {
  pre: number;
  infer: number;
  post: number;
}

export async function executeTask<Request, Response>(
  task: TaskDefinition<Request, unknown, unknown, Response>,
  request: Request,
  context: TaskContext,
): Promise<{ response: Response; timings: StageTimings }> {
  const started = performance.now();
  const prepared = await task.preprocess(request, context);
  const preprocessed = performance.now();
  const raw = await task.infer(prepared, context);
  const inferred = performance.now();
  const response = await task.postprocess(raw, prepared, context);
  const finished = performance.now();
  return {
    response,
    timings: { pre: preprocessed - started, infer: inferred - preprocessed, post: finished - inferred },
  };
}
