/**
 * `POST /v1/run/{model}[@version]`: the task API in the Workers AI shape. The model's manifest names its task and
 * the table in src/tasks/index.ts says how to serve it; `tensor` models take OIP tensors here as on
 * `/v2/models/{model}/infer`. Adding a task never touches this file.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../../errors";
import { TASK_DEFINITIONS, taskDefinition } from "../../../tasks/index";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";
import { InferRequestSchema, InferResponseSchema } from "../../protocol/oip/schemas";
import { jsonResponse, mountWithOwnBody } from "../../protocol/openapi";
import { serveInference } from "../../serving/inference";
import { resolveModel } from "../../serving/model-access";
import { readAhead } from "../../serving/read-ahead";
import { readTaskRequest } from "../../serving/task-request";
import { parseModelReference, serveTask } from "../../serving/task-serving";

export function registerRunRoute(app: OpenAPIHono<AppEnv>): void {
  const tasks = Object.values(TASK_DEFINITIONS);
  const mediaTypes = [...new Set(tasks.flatMap((task) => task.mediaTypes ?? []))];
  const binary = z.string().meta({ format: "binary" });
  const route = createRoute({
    method: "post",
    path: "/v1/run/{model}",
    tags: ["Tasks"],
    security: [{ apiKey: [] }],
    summary: "Run a model on its task's input (text, image, audio, or OIP tensors)",
    description: [
      "The body depends on the model's task (its manifest's `task`, shown by `GET /v1/models`): JSON for every task, or a raw media body for the tasks that take one.",
      ...tasks.map(
        (task) =>
          `- \`${task.name}\`: ${task.summary}${task.mediaTypes ? ` Also takes ${task.mediaTypes.map((t) => `\`${t}\``).join(", ")}.` : ""}`,
      ),
      "- `tensor`: OIP V2 inputs and outputs, as `POST /v2/models/{model}/infer`.",
      "Responses carry `X-Cache` and `Server-Timing` (`pre`, `infer`, `run` = inside `session.run`, `post`); a `Warning: 299` header says when the input was altered to fit the model (e.g. truncated).",
    ].join("\n"),
    request: {
      params: z.object({
        model: z.string().meta({ description: "`name` or `name@version` (a version or an alias)", example: "lid-176" }),
      }),
      body: {
        required: true,
        content: {
          "application/json": { schema: z.union([...tasks.map((task) => task.request), InferRequestSchema]) },
          ...Object.fromEntries(mediaTypes.map((type) => [type, { schema: binary }])),
        },
      },
    },
    responses: {
      200: jsonResponse(z.union([...tasks.map((task) => task.response), InferResponseSchema]), "The task's answer"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429, 503),
    },
  });
  mountWithOwnBody(app, route, runHandler);
}

async function runHandler(c: Context<AppEnv>): Promise<Response> {
  const { name, version } = parseModelReference(c.req.param("model")!);
  readAhead(c); // onnxruntime starts while the manifest is read
  const model = await resolveModel(c, name, version);
  if (model.manifest.task === "tensor") return serveInference(c, model);
  readAhead(c, model); // the weights are read while the request's body is
  const task = taskDefinition(model.manifest.task);
  if (!task)
    throw new AppError(
      "invalid_request",
      `model '${name}' has task '${model.manifest.task}', which this server does not serve on /v1/run`,
    );
  const { request, cacheInputs } = await readTaskRequest(c, task);
  return serveTask(c, { model, task, request, cacheInputs });
}
