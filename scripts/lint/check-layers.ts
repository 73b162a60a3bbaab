/**
 * Checks that imports between the Worker's folders flow one way (docs/architecture.md, "Layers"): a module
 * imports only from its own folder or from a lower layer, route files never import other route files, and
 * nothing in src/ reaches into the Node-only tools. Run by `npm run lint`; prints every offending import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/** Layers from the bottom up; a path matches the longest prefix listed. */
const LAYERS: ReadonlyArray<readonly [prefix: string, rank: number]> = [
  ["src/errors.ts", 0],
  ["src/validation.ts", 0],
  ["src/lookup.ts", 0],
  ["src/config.ts", 0],
  ["src/types", 0],
  // the typed client: plain fetch, imports nothing of the Worker (the Worker shares its float16 codec)
  ["src/client", 0],
  ["src/onnx", 1],
  ["src/media", 2],
  ["src/runtime", 2],
  ["src/registry", 3],
  ["src/cache", 3],
  ["src/tenancy", 3],
  ["src/tasks", 4],
  ["src/api/middleware", 5],
  ["src/api/context.ts", 6],
  ["src/api/protocol", 7],
  ["src/api/serving", 8],
  ["src/api/routes", 9],
  ["src/api/app.ts", 10],
  ["src/index.ts", 11],
];

const ROUTES = "src/api/routes/";

function layerOf(path: string): { prefix: string; rank: number } | undefined {
  let best: { prefix: string; rank: number } | undefined;
  for (const [prefix, rank] of LAYERS) {
    if ((path === prefix || path.startsWith(`${prefix}/`)) && (!best || prefix.length > best.prefix.length)) {
      best = { prefix, rank };
    }
  }
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
const problems: string[] = [];

for (const file of sourceFiles("src")) {
  if (file.startsWith("src/onnx/gen/")) continue;
  const from = layerOf(file);
  if (!from) {
    problems.push(`${file}: in no layer; add its folder to scripts/lint/check-layers.ts`);
    continue;
  }
  for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const target = relative(".", normalize(join(dirname(file), match[1]!)));
    if (!target.startsWith("src/")) {
      problems.push(`${file} imports ${target}: the Worker's source never imports from outside src/`);
      continue;
    }
    const to = layerOf(target) ?? layerOf(`${target}.ts`);
    if (!to) {
      problems.push(`${file} imports ${target}, which is in no layer`);
      continue;
    }
    if (file.startsWith(ROUTES) && target.startsWith(ROUTES)) {
      problems.push(
        `${file} imports ${target}: routes never import routes; move what they share to serving/ or protocol/`,
      );
    } else if (to.prefix !== from.prefix && to.rank >= from.rank) {
      problems.push(`${file} (${from.prefix}) imports ${target} (${to.prefix}), which is not below it`);
    }
  }
}

if (problems.length > 0) {
  console.error(`${problems.length} import(s) against the layering:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log("imports flow one way between src/ folders");
