/** Helpers for driving `wrangler dev` and workerd from Node scripts, offline. */

import { workerdEnv } from "./workerd-v8-flags";

/**
 * The process environment with wrangler's telemetry and Miniflare's cf.json download turned off, and workerd started
 * with our V8 flags (./workerd-v8-flags.ts).
 */
export function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...workerdEnv(),
    ...extra,
  };
}

/** Polls GET /v2/health/live until it answers 200 or `timeoutMs` passes. */
export async function waitUntilLive(baseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${baseUrl}/v2/health/live`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${baseUrl} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The ADMIN_TOKEN line of a .dev.vars file's text, if it has one. */
export function adminTokenIn(devVars: string): string | undefined {
  return /^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(devVars)?.[1]?.trim();
}
