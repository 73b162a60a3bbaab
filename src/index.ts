/**
 * The Worker entry point. Nothing heavy happens at import time (the startup limit is 1 s): onnxruntime-web
 * initialises on the first request that needs a model.
 */
import { createApp } from "./api/app";

export default createApp();
