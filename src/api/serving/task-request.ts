/**
 * Reads a task request from the HTTP body: JSON validated by the task's schema, or a media body (an image, a WAV
 * file) in one of the task's media types. Anything else is 415, before the body is parsed.
 */
import type { Context } from "hono";
import { AppError } from "../../errors";
import type { TaskDefinition } from "../../tasks/task";
import { parseOrFail } from "../../validation";
import type { AppEnv } from "../context";

export interface TaskRequest<Request> {
  request: Request;
  /** The bytes that identify the request for the response cache. */
  cacheInputs: Uint8Array[];
}

const encoder = new TextEncoder();

export async function readTaskRequest<Request>(
  c: Context<AppEnv>,
  task: TaskDefinition<Request>,
): Promise<TaskRequest<Request>> {
  const contentType = mediaType(c.req.header("Content-Type"));
  if (contentType === "application/json" || contentType.endsWith("+json")) {
    const request = parseWith(task, await readJson(c));
    return { request, cacheInputs: [encoder.encode(JSON.stringify(request))] };
  }
  if (task.fromMedia && task.mediaTypes?.includes(contentType)) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const query = new URL(c.req.url).searchParams;
    query.sort();
    const request = task.fromMedia({ bytes, contentType, query });
    return { request, cacheInputs: [encoder.encode(`${contentType}?${query}`), bytes] };
  }
  const accepted = ["application/json", ...(task.mediaTypes ?? [])].map((t) => `'${t}'`).join(", ");
  throw new AppError(
    "unsupported_media_type",
    `${task.name} models take ${accepted} (got '${contentType || "no Content-Type"}')`,
  );
}

/** Validates a JSON value against the task's request schema; the first problem becomes a 400. */
export function parseWith<Request>(task: TaskDefinition<Request>, value: unknown): Request {
  return parseOrFail(
    task.request,
    value,
    ({ where, message, path }) =>
      new AppError("invalid_request", `invalid ${task.name} request at '${where}': ${message}`, {
        param: path.length > 0 ? String(path[0]) : undefined,
      }),
  );
}

export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) throw new AppError("invalid_json", "the request body is empty; expected JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_json", `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}
