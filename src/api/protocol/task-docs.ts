/**
 * How to call a model, derived from its task: the content types its `/v1/run` route takes and the JSON Schemas of
 * the JSON request and of the answer. Shown by `GET /v1/models` and `GET /v1/models/{id}`.
 */
import { z } from "@hono/zod-openapi";
import type { Task } from "../../registry/manifest";
import { taskDefinition } from "../../tasks/index";
import { InferRequestSchema, InferResponseSchema } from "./oip/schemas";

export interface TaskSchemas {
  contentTypes: string[];
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

const described = new Map<Task, TaskSchemas | undefined>();

export function describeTask(task: Task): TaskSchemas | undefined {
  if (!described.has(task)) described.set(task, describe(task));
  return described.get(task);
}

function describe(task: Task): TaskSchemas | undefined {
  if (task === "tensor")
    return {
      contentTypes: ["application/json", "application/octet-stream"],
      request: jsonSchema(InferRequestSchema, "input"),
      response: jsonSchema(InferResponseSchema, "output"),
    };
  const definition = taskDefinition(task);
  if (!definition) return undefined;
  return {
    contentTypes: ["application/json", ...(definition.mediaTypes ?? [])],
    request: jsonSchema(definition.request, "input"),
    response: jsonSchema(definition.response, "output"),
  };
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
}
