/**
 * The shell examples of README.md and docs/api.md, pasted in order as a new user would, against `npm run dev`: every
 * `curl` gets an answer (no connection failure, no 5xx), and every answer that is not a 2xx is one its example says
 * it is (the status appears in the example's text, e.g. `# 429 ...`). Blocks that never name `BASE` (install,
 * tests) are not run. The examples run in a scratch folder that holds what a checkout gives them (test data,
 * node_modules) and the two files `npm run dev` writes (.dev.vars, .dev-api-key).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devServer } from "./dev-server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCUMENTED_PORT = "http://127.0.0.1:8787";
/** Writes each answer's status to stderr, leaving the example's own output (and pipes) as they are. */
const CURL = `curl() { command curl -sS -w '%{stderr}@@status %{http_code} %{method} %{url_effective} %header{x-error-code}\\n' "$@"; }`;

const scratch = mkdtempSync(join(tmpdir(), "edge-maas-manual-"));
beforeAll(() => {
  const { adminToken, apiKey } = devServer();
  for (const linked of ["test", "node_modules"]) symlinkSync(join(ROOT, linked), join(scratch, linked), "dir");
  writeFileSync(join(scratch, ".dev.vars"), `ADMIN_TOKEN=${adminToken}\n`);
  writeFileSync(join(scratch, ".dev-api-key"), `${apiKey}\n`);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(["README.md", "docs/api.md"])("%s", (file) => {
  it("every curl example answers, and only the documented errors are errors", () => {
    const { baseUrl } = devServer();
    const blocks = shellBlocks(readFileSync(join(ROOT, file), "utf8")).filter((block) => /\bBASE\b/.test(block));
    const script = [
      CURL,
      ...blocks.flatMap((block, index) => [`echo "@@block ${index}" >&2`, block.replaceAll(DOCUMENTED_PORT, baseUrl)]),
    ].join("\n");
    const run = spawnSync("bash", ["-c", script], { cwd: scratch, encoding: "utf8", timeout: 300_000 });
    expect(run.error, "bash could not run the examples").toBeUndefined();

    const answers = statusesByBlock(run.stderr);
    expect(answers.flat().length, `curl answers from ${file}`).toBeGreaterThan(blocks.length);
    const wrong = answers.flatMap((statuses, index) =>
      statuses
        .filter(({ status }) => status === 0 || status >= 500 || (status >= 300 && !mentions(blocks[index]!, status)))
        .map(({ status, request }) => `${status} ${request} (block ${index}: ${blocks[index]!.split("\n")[0]})`),
    );
    expect(wrong, `answers ${file} does not document\n${run.stderr.slice(-4000)}`).toEqual([]);
  });
});

/** The bodies of the ```sh blocks of a markdown text. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
}

/** The statuses curl wrote to stderr, grouped by the `@@block n` markers. */
function statusesByBlock(stderr: string): { status: number; request: string }[][] {
  const blocks: { status: number; request: string }[][] = [];
  for (const line of stderr.split("\n")) {
    if (line.startsWith("@@block ")) blocks.push([]);
    const answer = /^@@status (\d{3}) (.*)$/.exec(line);
    if (answer) blocks.at(-1)?.push({ status: Number(answer[1]), request: answer[2]! });
  }
  return blocks;
}

function mentions(block: string, status: number): boolean {
  return new RegExp(`\\b${status}\\b`).test(block);
}
