/**
 * Every HTTP route the Worker serves is in its OpenAPI document, and the API manual (docs/api.md) shows a curl
 * example for each.
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

  it("docs/api.md shows a curl example for every route", async () => {
    const examples = curlExamples(await repoText("docs/api.md"));
    expect(examples.length, "curl examples found in docs/api.md").toBeGreaterThan(0);
    const missing = [...new Set(served)].filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      const pattern = new RegExp(`^${path.replace(/{\w+}/g, "[^/]+")}$`);
      return !examples.some((example) => example.method === method && pattern.test(example.path));
    });
    expect(missing, "routes without a curl example in docs/api.md").toEqual([]);
  });
});

/**
 * Method and path of every `curl ... $BASE/...` command in a markdown text: continuation lines joined, and a curl
 * inside a line counted too (`TENANT=$(curl -s -X POST $BASE/admin/tenants ... | field id)`).
 */
function curlExamples(markdown: string): { method: string; path: string }[] {
  const commands = markdown
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .flatMap((line) => line.split(/(?:^|[\s($|;&])(?=curl\s)/).filter((part) => /^curl\s/.test(part)));
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
