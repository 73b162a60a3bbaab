// Builds the browser pages (web/) into .generated/assets/, the folder wrangler serves as static assets ([assets] in
// wrangler.toml): /playground and /console, their scripts and styles, and the headers they are served with. One
// esbuild call (the bundler wrangler itself uses); no CDN, nothing fetched. Run before `wrangler dev` and
// `wrangler deploy` by wrangler.toml's [build] command, and before the tests by vitest.config.ts.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WEB = join(ROOT, "web");
export const ASSETS = join(ROOT, ".generated", "assets");

export interface BuiltFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Builds the pages; returns the files written, with their sizes. */
export async function buildPages({ quiet = false }: { quiet?: boolean } = {}): Promise<BuiltFile[]> {
  rmSync(ASSETS, { recursive: true, force: true });
  mkdirSync(join(ASSETS, "pages"), { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: {
      playground: "web/playground/main.ts",
      console: "web/console/main.ts",
      style: "web/shared/style.css",
    },
    outdir: join(ASSETS, "pages"),
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome111", "firefox113", "safari16.4"],
    sourcemap: false,
    legalComments: "none",
    logLevel: quiet ? "silent" : "warning",
  });
  for (const file of ["playground.html", "console.html", "_headers"]) copyFileSync(join(WEB, file), join(ASSETS, file));
  const files = listFiles(ASSETS).map((path) => {
    const bytes = readFileSync(path);
    return { file: path.slice(ASSETS.length + 1), bytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength };
  });
  if (!quiet) {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    for (const f of files) console.log(`[pages] ${f.file}: ${kb(f.bytes)} (${kb(f.gzipBytes)} gzip)`);
  }
  return files;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPages();
