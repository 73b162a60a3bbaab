/**
 * How to call a model, derived from its task: the content types its `/v1/run` route takes and the JSON Schema of
 * the JSON form. Shown by `GET /v1/models` and in OIP model metadata `parameters`.
 */
import { z } from "@hono/zod-openapi";
import type { Task } from "../../registry/manifest";
import { taskDefinition } from "../../tasks/index";
import { InferRequestSchema } from "./oip/schemas";

export interface TaskRequestDescription {
  contentTypes: string[];
  schema: Record<string, unknown>;
}

const described = new Map<Task, TaskRequestDescription | undefined>();

export function describeTaskRequest(task: Task): TaskRequestDescription | undefined {
  if (!described.has(task)) described.set(task, describe(task));
  return described.get(task);
}

function describe(task: Task): TaskRequestDescription | undefined {
  if (task === "tensor")
    return { contentTypes: ["application/json", "application/octet-stream"], schema: jsonSchema(InferRequestSchema) };
  const definition = taskDefinition(task);
  if (!definition) return undefined;
  return {
    contentTypes: ["application/json", ...(definition.mediaTypes ?? [])],
    schema: jsonSchema(definition.request),
  };
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
