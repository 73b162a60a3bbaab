import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { buildPages } from "./scripts/build-pages.ts";
import { workerdEnv } from "./scripts/lib/workerd-v8-flags.ts";
import { referenceService } from "./test/node/reference-service.ts";

// wrangler.toml's [assets] folder must exist before the Workers pool reads the config (wrangler dev and deploy build
// it themselves through [build]); the e2e tests' `npm run dev` builds it again
await buildPages({ quiet: true });

// the Workers pool's workerd runs with our V8 flags, as `npm run dev`'s does (scripts/lib/workerd-v8-flags.ts)
Object.assign(process.env, workerdEnv());

// Two projects, one command (`npm test`):
// - `workers`: tests inside workerd with the Worker's real bindings (local R2/KV/Durable Objects from wrangler.toml).
//   REFERENCE is a test-only service binding that runs in Node: it serves files of this checkout (bundled model
//   weights, docs/api.md) and runs onnxruntime-node, the independent reference for parity checks.
// - `e2e`: tests in Node against `npm run dev` itself, started once on a free port with fresh local state
//   (test/e2e/global-setup.ts): what a new user meets, driven by real clients (browsers, SDKs, the CLI).
export default defineConfig({
  test: {
    // One test file at a time: with two files in parallel on CI's 2 cores, a runner's connection to workerd was once
    // lost mid-run and vitest waited on it until CI's 90-minute limit (every file passes on its own).
    maxWorkers: 1,
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // a 4 MiB body cap and a 256 KiB cached-response cap keep the oversized tests cheap; metrics without
              // the JSON log line per request: each line would travel to vitest's console, which slows down with
              // every line it receives (a 2,000-request test took minutes; the e2e tests read the lines instead)
              bindings: {
                MONITORING: "metrics",
                // the metrics buffer is sent when full or when found 5 s old, not by a timer (see metrics-buffer.ts)
                METRICS_FLUSH_TIMER: "off",
                ADMIN_TOKEN: "test-admin-token",
                ADMIN_TOKEN_NEXT: "test-admin-token-next",
                MAX_REQUEST_BYTES: String(4 * 1024 * 1024),
                CACHE_MAX_BYTES: String(256 * 1024),
              },
              serviceBindings: { REFERENCE: referenceService },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
