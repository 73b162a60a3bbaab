/**
 * The Worker's bundle size against Cloudflare's limits: `wrangler deploy --dry-run` bundles it locally (no account,
 * no network), and the compressed size is what counts: 3 MB on the free plan, 10 MB on the paid plan.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Wrangler } from "./wrangler";

export const PLAN_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 } as const;

export interface BundleSize {
  bytes: number;
  gzipBytes: number;
  limits: typeof PLAN_LIMITS;
  fits: { free: boolean; paid: boolean };
}

export function measureBundle(wrangler: Wrangler, config: string): BundleSize {
  const outdir = mkdtempSync(join(tmpdir(), "edge-maas-bundle-"));
  try {
    wrangler.run(["deploy", "--dry-run", "--outdir", outdir, "--config", config]);
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of files(outdir)) {
      if (file.endsWith(".map") || file.endsWith("README.md")) continue;
      const content = readFileSync(file);
      bytes += content.byteLength;
      gzipBytes += gzipSync(content, { level: 9 }).byteLength;
    }
    return {
      bytes,
      gzipBytes,
      limits: PLAN_LIMITS,
      fits: { free: gzipBytes <= PLAN_LIMITS.free, paid: gzipBytes <= PLAN_LIMITS.paid },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
