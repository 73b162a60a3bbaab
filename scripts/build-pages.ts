// Builds the browser pages (web/) into .generated/assets/, the folder wrangler serves as static assets ([assets] in
// wrangler.toml): /playground and /console, their scripts and styles, and the headers they are served with. One
// esbuild call (the bundler wrangler itself uses); no CDN, nothing fetched. Run before `wrangler dev` and
// `wrangler deploy` by wrangler.toml's [build] command, and before the tests by vitest.config.ts.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WEB = join(ROOT, "web");
export const ASSETS = join(ROOT, ".generated", "assets");

/** The pages, each `web/page.html` filled in: `/{name}` loads `pages/{name}.js` and the listed style sheets. */
const PAGES = [
  { name: "playground", skipTo: "model form", styles: [] },
  { name: "console", skipTo: "console", styles: ["console.css"] },
];

export interface BuiltFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Builds the pages; returns the files written, with their sizes. */
export async function buildPages({ quiet = false }: { quiet?: boolean } = {}): Promise<BuiltFile[]> {
  // written over in place, never by removing the folder: a running `wrangler dev` serves from it, and answered 500 for
  // every page once the folder it watched was deleted (a `wrangler deploy --dry-run` runs this build too)
  mkdirSync(join(ASSETS, "pages"), { recursive: true });
  const result = await build({
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
    metafile: true,
  });
  const template = readFileSync(join(WEB, "page.html"), "utf8");
  for (const page of PAGES) writeFileSync(join(ASSETS, `${page.name}.html`), pageHtml(template, page));
  copyFileSync(join(WEB, "_headers"), join(ASSETS, "_headers"));
  const built = new Set([
    ...Object.keys(result.metafile.outputs).map((output) => join(ROOT, output)),
    ...PAGES.map((page) => join(ASSETS, `${page.name}.html`)),
    join(ASSETS, "_headers"),
  ]);
  for (const path of listFiles(ASSETS)) if (!built.has(path)) rmSync(path); // what an earlier build left
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

function pageHtml(template: string, page: (typeof PAGES)[number]): string {
  const nav = PAGES.map(
    (other) =>
      `<a href="/${other.name}"${other.name === page.name ? ' aria-current="page"' : ""}>${capitalized(other.name)}</a>`,
  ).join(" ");
  const styles = page.styles.map((sheet) => `<link rel="stylesheet" href="/pages/${sheet}" />`).join("\n    ");
  const fields: Record<string, string> = { page: page.name, skipTo: page.skipTo, styles, nav };
  return template.replace(/\{\{(\w+)\}\}/g, (_, field: string) => fields[field] ?? "");
}

const capitalized = (word: string) => word[0]!.toUpperCase() + word.slice(1);

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPages();
