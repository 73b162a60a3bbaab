/**
 * Starts `npm run dev` (scripts/dev.ts) on a spare port with its own persisted state, for scripts and tests that need
 * a running server (smoke test, benchmark, the e2e tests). Stops it the way Ctrl-C does: SIGINT to the whole process
 * group.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./bundled-models";
import { adminTokenIn } from "./wrangler";

export interface DevServerHandle {
  baseUrl: string;
  adminToken: string;
  /** The local tenant's API key that `npm run dev` printed. */
  apiKey: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** No port: a free one. */
  port?: number;
  persistTo: string;
  /** Echo the server's output. */
  echo?: boolean;
  /** Worker variables (`wrangler dev --var`). */
  vars?: Record<string, string>;
}

export async function startDevServer({
  port,
  persistTo,
  echo = false,
  vars = {},
}: DevServerOptions): Promise<DevServerHandle> {
  port ??= await freePort();
  const keyFile = join(persistTo, "api-key");
  const extra = Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const child = spawn("npm", ["run", "dev", "--", "--persist-to", persistTo, ...extra], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), EDGE_MAAS_KEY_FILE: keyFile },
    stdio: ["ignore", "pipe", echo ? "inherit" : "ignore"],
    detached: true,
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const interrupt = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
    } catch {
      // already gone
    }
  };
  // the server has its own process group, so whoever stops this process must not leave it running
  const onSignal = (signal: NodeJS.Signals) => {
    interrupt();
    process.kill(process.pid, signal);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const stop = async () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    interrupt();
    await exited;
  };
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk;
        if (echo) process.stdout.write(chunk);
        if (output.includes("[edge-maas] serving")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`npm run dev exited (${code}) before serving:\n${output}`)));
      setTimeout(() => reject(new Error(`npm run dev did not serve within 180 s:\n${output}`)), 180_000).unref();
    });
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout.resume();
  const adminToken = adminTokenIn(readFileSync(join(ROOT, ".dev.vars"), "utf8"));
  if (!adminToken) {
    await stop();
    throw new Error(".dev.vars has no ADMIN_TOKEN");
  }
  return { baseUrl: `http://127.0.0.1:${port}`, adminToken, apiKey: readFileSync(keyFile, "utf8").trim(), stop };
}

/** A TCP port nothing listens on now, so several servers (and several checkouts' test runs) can run at once. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
