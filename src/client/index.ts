/**
 * The typed edge-maas client (docs/cli.md, "The client"). Types come from `./generated/openapi.ts`, which
 * `npm run client:generate` writes from the Worker's own `/openapi.json`.
 */
export type {
  AdminUsageQuery,
  KeyInput,
  KeyPatch,
  KeyRotation,
  ManifestInput,
  TenantInput,
  TenantPatch,
  UploadOptions,
} from "./admin-api";
export { createEdgeMaasClient, type EdgeMaasClient } from "./client";
export { EdgeMaasError } from "./errors";
export type { components, paths } from "./generated/openapi";
export type { InferOptions, RunFile, RunInput, RunOptions, RunOutput, UsageQuery } from "./public-api";
export type { RetryOptions } from "./retry";
export type {
  Datatype,
  InferRequest,
  InferResult,
  InputTensor,
  OutputTensor,
  TensorData,
  TypedData,
} from "./tensors";
export type { CallOptions, ClientOptions, MeteredCallOptions } from "./transport";
export type { Progress } from "./upload";
