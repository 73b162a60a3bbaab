/**
 * The Worker entry point. Nothing heavy happens at import time (the startup limit is 1 s): onnxruntime-web
 * initialises on the first request that needs a model.
 */
import { createApp } from "./api/app";

export { MetricsObject } from "./monitoring/metrics-object";
export { DirectoryObject } from "./tenancy/directory-object";
export { TenantObject } from "./tenancy/tenant-object";

export default createApp();
