/**
 * Our scripts start local workerd with V8's `--single-threaded-gc` (scripts/lib/workerd-v8-flags.ts): without it a
 * 2-core machine's workerd could stop for good at 100% CPU (docs/testing.md). Miniflare puts no V8 flags in the
 * config it gives workerd, so scripts/workerd/workerd adds them; workerd itself is the reference that they arrive:
 * it hands each flag to V8's parser and stops at one V8 does not know, naming it.
 */
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { afterEach, describe, expect, it } from "vitest";
import { WORKERD_V8_FLAGS, workerdEnv } from "../../scripts/lib/workerd-v8-flags";
import { offlineEnv } from "../../scripts/lib/wrangler";

const SCRIPT = "export default { fetch: () => new Response('answered') }";
const saved = { ...process.env };

afterEach(() => {
  for (const key of Object.keys(workerdEnv())) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

/** A Worker on workerd started through our wrapper with `flags`; what workerd wrote on stderr. */
async function answerWith(flags: string[]): Promise<{ text?: string; error?: string; stderr: string }> {
  Object.assign(process.env, workerdEnv(), { EDGE_MAAS_WORKERD_V8_FLAGS: flags.join(" ") });
  let stderr = "";
  const mf = new Miniflare({
    modules: true,
    script: SCRIPT,
    compatibilityDate: "2026-05-01",
    handleRuntimeStdio: (_stdout: Readable, err: Readable) => err.on("data", (chunk) => (stderr += String(chunk))),
  });
  try {
    const response = await mf.dispatchFetch("http://localhost/", { signal: AbortSignal.timeout(20_000) });
    return { text: await response.text(), stderr };
  } catch (error) {
    return { error: String(error), stderr };
  } finally {
    await mf.dispose().catch(() => undefined);
  }
}

describe("local workerd runs with the V8 flags our scripts give it", () => {
  it("npm run dev (wrangler dev) and the bench's servers start workerd through the wrapper, with --single-threaded-gc", () => {
    expect(WORKERD_V8_FLAGS).toEqual(["--single-threaded-gc"]);
    expect(offlineEnv().MINIFLARE_WORKERD_PATH).toMatch(/scripts\/workerd\/workerd$/);
    expect(offlineEnv().EDGE_MAAS_WORKERD_V8_FLAGS).toBe("--single-threaded-gc");
  });

  it("a bench's experiment adds its flags after ours, and workerd accepts them (--no-flush-liftoff-code)", async () => {
    const env = workerdEnv(undefined, ["--no-flush-liftoff-code"]);
    expect(env.EDGE_MAAS_WORKERD_V8_FLAGS).toBe("--single-threaded-gc --no-flush-liftoff-code");
    const result = await answerWith(env.EDGE_MAAS_WORKERD_V8_FLAGS!.split(" "));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe("answered");
  }, 30_000);

  it("with --single-threaded-gc, workerd accepts the flag and the Worker answers", async () => {
    const result = await answerWith(WORKERD_V8_FLAGS);
    expect(result.error).toBeUndefined();
    expect(result.text).toBe("answered");
    expect(result.stderr).not.toContain("unrecognized V8 flag");
  }, 30_000);

  it("each flag reaches V8's parser: after --single-threaded-gc, an unknown flag stops workerd, which names it", async () => {
    const result = await answerWith([...WORKERD_V8_FLAGS, "--no-such-v8-flag"]);
    expect(result.text).toBeUndefined();
    expect(result.stderr).toContain("unrecognized V8 flag");
    expect(result.stderr).toContain("--no-such-v8-flag");
    expect(result.stderr).not.toContain("= --single-threaded-gc");
  }, 30_000);
});
