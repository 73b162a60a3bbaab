/**
 * Every HTTP route the Worker serves is in its OpenAPI document, and every documented route is in the README's
 * API section with a curl example.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import { call, json, repoText } from "./support/worker";

const served = createApp()
  .routes.filter((route) => route.method !== "ALL")
  .map((route) => `${route.method.toUpperCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);

describe("documentation", () => {
  it("serves an OpenAPI 3.1 document listing every route", async () => {
    const document = await json(call("/openapi.json"));
    expect(document.openapi).toBe("3.1.0");
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
  });

  it("the README shows a curl example for every route", async () => {
    const examples = curlExamples(await repoText("README.md"));
    const missing = [...new Set(served)].filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      const pattern = new RegExp(`^${path.replace(/{\w+}/g, "[^/]+")}$`);
      return !examples.some((example) => example.method === method && pattern.test(example.path));
    });
    expect(missing, "routes without a curl example in README.md").toEqual([]);
  });
});

/** Method and path of every `curl ... $BASE/...` command in a markdown text (continuation lines joined). */
function curlExamples(markdown: string): { method: string; path: string }[] {
  const commands = markdown
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((line) => /^\s*curl\s/.test(line));
  return commands.flatMap((command) => {
    const url = /\$BASE(\/[^\s"'?]*)/.exec(command);
    if (!url) return [];
    const explicit = /(?:-X|--request)\s+([A-Z]+)/.exec(command)?.[1];
    const method =
      explicit ??
      (/\s(?:-T|--upload-file)\s/.test(command) ? "PUT" : /\s(?:-d|--data[\w-]*)\s/.test(command) ? "POST" : "GET");
    return [{ method, path: url[1]! }];
  });
}
