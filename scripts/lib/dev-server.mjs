// Starts `npm run dev` (scripts/dev.mjs) on a spare port with its own persisted state, for scripts that need a
// running server (smoke test, benchmark). Stops it the way Ctrl-C does: SIGINT to the whole process group.
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./bundled-models.mjs";

/**
 * @param {{port?: number, persistTo: string, echo?: boolean, vars?: Record<string, string>, logTo?: string}} options
 *   no port: a free one; logTo: a file that receives everything the server prints (the Worker's log lines too)
 * @returns {Promise<{baseUrl: string, adminToken: string, apiKey: string, stop: () => Promise<void>}>}
 */
export async function startDevServer({ port, persistTo, echo = false, vars = {}, logTo }) {
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
  let output = "";
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (logTo) appendFileSync(logTo, chunk);
      if (echo) process.stdout.write(chunk);
      if (output.includes("[edge-maas] serving")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`npm run dev exited (${code}) before serving:\n${output}`)));
    setTimeout(() => reject(new Error(`npm run dev did not serve within 180 s:\n${output}`)), 180_000).unref();
  });
  child.stdout.resume();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    adminToken: readAdminToken(),
    apiKey: readFileSync(keyFile, "utf8").trim(),
    async stop() {
      try {
        process.kill(-child.pid, "SIGINT");
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

function readAdminToken() {
  const found = /^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"));
  if (!found) throw new Error(".dev.vars has no ADMIN_TOKEN");
  return found[1].trim();
}

/** A TCP port nothing listens on now, so several servers (and several checkouts' test runs) can run at once. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
