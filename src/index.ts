/**
 * The Worker entry point. onnxruntime-web and the request path's own code start with the isolate, before its first
 * request (./runtime/ort.ts, ./api/serving/warm-start.ts), unless `ORT_START=request`; nothing else runs at import
 * time (the startup limit is 1 s of CPU).
 */
import { env } from "cloudflare:workers";
import { createApp } from "./api/app";
import { warmRequestPath } from "./api/serving/warm-start";
import { readConfig } from "./config";
import { startWithIsolate } from "./runtime/ort";

export { MetricsObject } from "./monitoring/metrics-object";
export { DirectoryObject } from "./tenancy/directory-object";
export { TenantObject } from "./tenancy/tenant-object";

if (readConfig(env).ortStart === "isolate") {
  startWithIsolate();
  warmRequestPath();
}

export default createApp();
