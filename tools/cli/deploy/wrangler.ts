/**
 * Every call that needs a Cloudflare account goes through here: `wrangler` itself, run as a child process (its own
 * login, `CLOUDFLARE_API_TOKEN` or `wrangler login`). `EDGE_MAAS_WRANGLER` names another executable with the same
 * arguments, which is how the tests stand in for an account. A dry run records the commands instead of running them.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../../scripts/lib/bundled-models";
import { CliError } from "../errors";

export interface Wrangler {
  /** Runs `wrangler <args>`; returns its stdout, or throws one line naming the command and wrangler's error. */
  run(args: string[], options?: { input?: string; mutates?: boolean }): string;
}

/** The real wrangler (or `EDGE_MAAS_WRANGLER`); `local`: always this checkout's, for what needs no account. */
export function wranglerCli(local = false): Wrangler {
  const pinned = join(ROOT, "node_modules", ".bin", "wrangler");
  const executable = local ? pinned : (process.env.EDGE_MAAS_WRANGLER ?? pinned);
  return {
    run(args, options = {}) {
      const result = spawnSync(executable, args, {
        cwd: ROOT,
        input: options.input,
        encoding: "utf8",
        timeout: 600_000,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" },
      });
      if (result.error) throw new CliError(`could not run wrangler: ${result.error.message}`);
      if (result.status !== 0) {
        const reason = `${result.stderr}\n${result.stdout}`
          .split("\n")
          .map((line) => line.replace(/^[\s✘▲X[\]ERROR]*/, "").trim())
          .find((line) => line.length > 0 && !/^[-─⛅]/.test(line));
        throw new CliError(`wrangler ${args.slice(0, 3).join(" ")} failed: ${reason ?? `exit code ${result.status}`}`);
      }
      return result.stdout;
    },
  };
}

/** Prints what would run; commands that only read answer as an empty account would. */
export function dryRunWrangler(record: (command: string) => void): Wrangler {
  return {
    run(args, options = {}) {
      record(
        `wrangler ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}${options.input ? " (secret on stdin)" : ""}`,
      );
      return "";
    },
  };
}

/** The account's R2 bucket names (`wrangler r2 bucket list`). */
export function bucketNames(wrangler: Wrangler): string[] {
  return [...wrangler.run(["r2", "bucket", "list"]).matchAll(/^name:\s*(\S+)/gm)].map((m) => m[1]!);
}

/** The account's KV namespaces (`wrangler kv namespace list`, JSON). */
export function kvNamespaces(wrangler: Wrangler): { id: string; title: string }[] {
  const out = wrangler.run(["kv", "namespace", "list"]).trim();
  if (!out) return [];
  const start = out.indexOf("[");
  try {
    return JSON.parse(out.slice(start)) as { id: string; title: string }[];
  } catch {
    throw new CliError("could not read `wrangler kv namespace list`'s answer");
  }
}

/** The account wrangler is logged in to (`wrangler whoami`), or a clear error. */
export function whoami(wrangler: Wrangler): string {
  const out = wrangler.run(["whoami"]);
  if (/not authenticated|not logged in/i.test(out))
    throw new CliError("wrangler is not logged in: run `npx wrangler login` or set CLOUDFLARE_API_TOKEN");
  return (
    /logged in with an? [^\n]*?(?:, associated with the email)?\s*([^\s]+@[^\s.]+\.[^\s!]+)/i.exec(out)?.[1] ??
    "logged in"
  );
}
