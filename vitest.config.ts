import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { referenceService } from "./test/node/reference-service.ts";

// Tests run inside workerd with the Worker's real bindings (local R2/KV/Durable Objects from wrangler.toml).
// REFERENCE is a test-only service binding that runs in Node: it serves files of this checkout (bundled model
// weights, README) and runs onnxruntime-node, the independent reference for parity checks.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // a 4 MiB body cap and a 256 KiB cached-response cap keep the oversized tests cheap
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          MAX_REQUEST_BYTES: String(4 * 1024 * 1024),
          CACHE_MAX_BYTES: String(256 * 1024),
        },
        serviceBindings: { REFERENCE: referenceService },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One test file at a time: with two files in parallel on CI's 2 cores, a runner's connection to workerd was once
    // lost mid-run and vitest waited on it until CI's 90-minute limit (every file passes on its own).
    maxWorkers: 1,
  },
});
