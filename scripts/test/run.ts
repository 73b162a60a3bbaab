/**
 * `npm test`: both vitest projects, one after the other, each watched for a stall.
 *
 * Why a watchdog: @cloudflare/vitest-pool-workers can stop mid-run after a test file has passed, with no error and
 * no further output, when its connection to workerd drops ("WebSocket peer disconnected"); vitest then waits forever.
 * It is a harness fault (reported upstream in cloudflare/workers-sdk, still open), not a test result, so when no
 * output arrives for TEST_STALL_SECONDS the run is stopped and the files that have not reported yet run again in a new
 * vitest. A file must still pass: a stall that repeats with no file reported in between fails the run.
 *
 * With arguments (`npm test -- test/some.test.ts`), vitest runs them as given, without the watchdog.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/bundled-models";

// vitest prints a file's result when the file ends: the slowest (OCR's 52 pages) is silent ~1 min on a quiet machine,
// up to ~4.5 min on a loaded one
const STALL_SECONDS = Number(process.env.TEST_STALL_SECONDS ?? 600);
const MAX_RESTARTS = 3;
// biome-ignore lint/suspicious/noControlCharactersInRegex: vitest's colours
const ANSI = /\u001b\[[0-9;]*m/g;

/** The test files of each project, as vitest.config.ts includes them. */
const PROJECTS: Record<string, string> = { e2e: "test/e2e", workers: "test" };

const args = process.argv.slice(2);
if (args.length > 0) process.exit(await vitest(["run", ...args], Number.POSITIVE_INFINITY).then((r) => r.code));

let failed = false;
for (const [project, folder] of Object.entries(PROJECTS)) {
  let remaining = testFiles(folder);
  for (let attempt = 0; remaining.length > 0; attempt++) {
    const result = await vitest(["run", "--project", project, ...remaining], STALL_SECONDS);
    if (!result.stalled) {
      failed ||= result.code !== 0;
      break;
    }
    const left = remaining.filter((file) => !result.reported.has(file));
    console.error(
      `\n[test] vitest printed nothing for ${STALL_SECONDS} s in the ${project} project (the pool lost workerd); ` +
        `${remaining.length - left.length} file(s) had reported, running the other ${left.length} again`,
    );
    if (result.failedFiles.size > 0) failed = true;
    if (attempt >= MAX_RESTARTS || left.length === remaining.length) {
      console.error(`[test] stalled again with no file reported: ${left.join(", ")}`);
      failed = true;
      break;
    }
    remaining = left;
  }
}
process.exit(failed ? 1 : 0);

function testFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder))
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `${folder}/${name}`)
    .sort();
}

interface VitestResult {
  code: number;
  stalled: boolean;
  /** Files vitest printed a result for (passed or failed). */
  reported: Set<string>;
  failedFiles: Set<string>;
}

/** Runs vitest with its output passed through; stops its process group after `stallSeconds` without output. */
function vitest(vitestArgs: string[], stallSeconds: number): Promise<VitestResult> {
  const child = spawn(join(ROOT, "node_modules/.bin/vitest"), vitestArgs, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const reported = new Set<string>();
  const failedFiles = new Set<string>();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    if (!Number.isFinite(stallSeconds)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      stopGroup(child);
    }, stallSeconds * 1000);
  };
  const read = (chunk: Buffer, to: NodeJS.WriteStream) => {
    to.write(chunk);
    watch();
    // a file's result line: "✓ workers test/x.test.ts (12 tests) 345ms", "❯ … (3 tests | 1 failed)"
    for (const line of chunk.toString().replace(ANSI, "").split("\n")) {
      const match = /^\s*([✓❯×])\s+(?:e2e|workers)\s+(test\/\S+\.test\.ts)\s/.exec(line);
      if (!match) continue;
      reported.add(match[2]!);
      if (match[1] !== "✓") failedFiles.add(match[2]!);
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => read(chunk, process.stdout));
  child.stderr!.on("data", (chunk: Buffer) => read(chunk, process.stderr));
  watch();
  const stopOnExit = () => stopGroup(child);
  process.once("SIGINT", stopOnExit);
  process.once("SIGTERM", stopOnExit);
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", stopOnExit);
      process.off("SIGTERM", stopOnExit);
      resolve({ code: code ?? (signal ? 1 : 0), stalled, reported, failedFiles });
    });
  });
}

/** SIGTERM to vitest and everything it started (workerd, the e2e dev server's group is its own), SIGKILL if need be. */
function stopGroup(child: ChildProcess): void {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  signalGroup("SIGTERM");
  setTimeout(() => signalGroup("SIGKILL"), 10_000).unref();
}
