/**
 * The local workerd our scripts start (`npm run dev`, the tests' and the bench's servers) runs with V8's
 * `--single-threaded-gc`. Without it, local workerd could stop for good at 100% CPU on a 2-core machine: after a
 * request's continuation it drains V8's task queue, where cppgc's incremental sweep re-posts itself until its
 * concurrent sweep job has run; that job needs V8's one worker thread (cores - 1), which a concurrent (Maglev)
 * compile held, parked until the main thread collects garbage. docs/testing.md has the stacks. With the flag cppgc
 * sweeps on the main thread alone, so the queue drains. Production runs another platform, with CPU limits.
 *
 * Miniflare (4.2026-04) fills no `v8Flags` in the config it gives workerd; scripts/workerd/workerd, started through
 * Miniflare's MINIFLARE_WORKERD_PATH, adds them (scripts/workerd/v8-flags.mjs).
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const WORKERD_V8_FLAGS = ["--single-threaded-gc"];

/** The user's EDGE_MAAS_WORKERD_V8_FLAGS, read before our scripts write the variable into their own environment. */
const USER_FLAGS = process.env.EDGE_MAAS_WORKERD_V8_FLAGS;

/**
 * The environment that makes Miniflare (ours, `wrangler dev`'s) start workerd with `flags`, then `extra` (a bench's
 * experiment). Empty when MINIFLARE_WORKERD_PATH names another workerd already, and on Windows (the wrapper is a bash
 * script); EDGE_MAAS_WORKERD_V8_FLAGS, when the user set it, replaces `flags` (space-separated; empty for none).
 */
export function workerdEnv(
  flags: readonly string[] = WORKERD_V8_FLAGS,
  extra: readonly string[] = [],
): Record<string, string> {
  if (process.platform === "win32") return {};
  const wrapper = fileURLToPath(new URL("../workerd/workerd", import.meta.url));
  const current = process.env.MINIFLARE_WORKERD_PATH;
  if (current && current !== wrapper) return {};
  return {
    MINIFLARE_WORKERD_PATH: wrapper,
    EDGE_MAAS_WORKERD_BIN: workerdBinary(),
    EDGE_MAAS_WORKERD_V8_FLAGS: [USER_FLAGS ?? flags.join(" "), ...extra].join(" ").trim(),
  };
}

/** The workerd binary Miniflare would start itself: the `workerd` package next to it. */
function workerdBinary(): string {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const workerd: { default: string } = fromMiniflare("workerd");
  return workerd.default;
}
