/**
 * Builds the Hono application: middleware, every route family, the OpenAPI document and the error mapping.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { timing } from "hono/timing";
import { AppError } from "../errors";
import { firstIssue } from "../validation";
import type { AppEnv } from "./context";
import { adminAuth } from "./middleware/admin-auth";
import { compressBinaryResponses } from "./middleware/content-encoding";
import { publicCors } from "./middleware/cors";
import { observeRequests } from "./middleware/observe";
import { requestIdOnEveryResponse } from "./middleware/request-id";
import { services } from "./middleware/services";
import { tenantKey } from "./middleware/tenant-key";
import { notFound, onError } from "./protocol/errors";
import { SERVER_NAME, SERVER_VERSION } from "./protocol/server-info";
import { registerAdminMetricsRoutes } from "./routes/admin/metrics";
import { registerAdminModelRoutes } from "./routes/admin/models";
import { registerAdminProfileRoute } from "./routes/admin/profile";
import { registerAdminRuntimeRoutes } from "./routes/admin/runtime";
import { registerAdminTenantRoutes } from "./routes/admin/tenants";
import { registerHealthRoutes } from "./routes/oip/health";
import { registerOipModelRoutes } from "./routes/oip/models";
import { registerRepositoryRoutes } from "./routes/oip/repository";
import { registerOipStatisticsRoutes } from "./routes/oip/statistics";
import { registerAccountRoutes } from "./routes/v1/account";
import { registerEmbeddingsRoute } from "./routes/v1/embeddings";
import { registerModelRoutes } from "./routes/v1/models";
import { registerRunRoute } from "./routes/v1/run";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const { where, message, path } = firstIssue(result.error);
        const param = path.length > 0 ? String(path[0]) : undefined;
        throw new AppError("invalid_request", `${result.target} '${where}': ${message}`, { param });
      }
    },
  });

  // outermost: it replaces the finished response, which nothing may wrap again
  app.use(compressBinaryResponses());
  app.use(requestIdOnEveryResponse());
  app.use(timing({ totalDescription: "total" }));
  // before anything that needs a key: preflights are answered here
  const cors = publicCors();
  for (const path of ["/v1/*", "/v2/*", "/openapi.json"]) app.use(path, cors);
  app.use(services());
  app.use(observeRequests());
  app.use("/admin/*", adminAuth());
  app.use("/metrics", adminAuth());
  app.use("/v1/*", tenantKey());
  app.use("/v2/models/*", tenantKey());
  app.use("/v2/repository/*", tenantKey());

  registerHealthRoutes(app);
  registerOipStatisticsRoutes(app);
  registerOipModelRoutes(app);
  registerRepositoryRoutes(app);
  registerAdminModelRoutes(app);
  registerAdminRuntimeRoutes(app);
  registerAdminMetricsRoutes(app);
  registerAdminProfileRoute(app);
  registerAdminTenantRoutes(app);
  registerModelRoutes(app);
  registerAccountRoutes(app);
  registerRunRoute(app);
  registerEmbeddingsRoute(app);

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Discovery"],
    summary: "This OpenAPI 3.1 document",
    responses: {
      200: { description: "The document", content: { "application/json": { schema: { type: "object" } } } },
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN secret",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A tenant's API key (emk_live_…)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: SERVER_NAME,
      version: SERVER_VERSION,
      description: "Your ONNX models from R2, served by Cloudflare Workers with onnxruntime-web.",
    },
  });

  app.onError(onError);
  app.notFound(notFound);
  return app;
}
