/**
 * The `edge-maas` CLI, spawned as a user runs it (its package.json `bin`, through node), against `npm run dev` in
 * JSON mode: each command changes the server as asked, which the admin API (plain fetch, not the CLI) confirms
 * afterwards. Bad input (a missing file, a non-ONNX file, a bad URL, a wrong token, a server that is down) gets one
 * line on stderr and exit code 1, never a stack trace. `deploy --dry-run` prints every step and measures the bundle
 * offline; a full `deploy` against a stand-in wrangler (the one boundary that needs an account) creates the
 * resources, writes the production config, deploys with the secret, waits for readiness on the dev server, seeds it
 * and saves a profile, and reuses what exists when run again.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scaleBy } from "../support/fixtures";
import { devServer } from "./dev-server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "tools", "cli", "bin.mjs");
const scratch = mkdtempSync(join(tmpdir(), "edge-maas-cli-"));
/** A tiny model (y = 2x), so the shared dev server's heap barely notices the uploads. */
const MODEL_FILE = join(scratch, "scale.onnx");
writeFileSync(MODEL_FILE, scaleBy(2));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const unique = `${process.pid}-${Date.now().toString(36)}`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `edge-maas <args>` with the dev server's URL and admin token in the environment. */
function cli(args: string[], env: Record<string, string> = {}): Run {
  const { baseUrl, adminToken } = devServer();
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: {
      ...process.env,
      PORT: "",
      EDGE_MAAS_URL: baseUrl,
      EDGE_MAAS_ADMIN_TOKEN: adminToken,
      EDGE_MAAS_CONFIG: join(scratch, "config.toml"),
      ...env,
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `edge-maas --json <args>`, expected to succeed; its JSON answer. */
function json<T = any>(args: string[], env?: Record<string, string>): T {
  const run = cli(["--json", ...args], env);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/**
 * A GET to the dev server. The CLI runs for a second or more between two of them, long enough for the server to
 * close the idle keep-alive connection as undici reuses it ("other side closed"): such a GET is sent once more.
 */
async function get(path: string, token: string): Promise<Response> {
  const { baseUrl } = devServer();
  const send = () => fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  try {
    return await send();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
    return send();
  }
}

async function admin<T = any>(path: string): Promise<{ status: number; body: T }> {
  const response = await get(path, devServer().adminToken);
  return { status: response.status, body: (await response.json()) as T };
}

function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.status).toBe(1);
  expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).toMatch(pattern);
}

describe("models", () => {
  const model = `cli-scale-${unique}`;

  it("push uploads the manifest, an asset and the version, and points aliases at it", async () => {
    writeFileSync(join(scratch, "labels.txt"), "0\n180\n");
    const pushed = json([
      "models",
      "push",
      model,
      MODEL_FILE,
      "--task",
      "tensor",
      "--alias",
      "stable",
      "--asset",
      join(scratch, "labels.txt"),
      "--description",
      "direction classifier",
    ]);
    expect(pushed).toMatchObject({ model, version: "1", default: true, aliases: ["stable"] });
    const { body } = await admin(`/admin/models/${model}`);
    expect(body.aliases).toEqual({ default: "1", stable: "1" });
    expect(Object.keys(body.assets)).toEqual(["labels.txt"]);
    expect(body.description).toBe("direction classifier");
    expect(body.versions["1"].sha256).toBe(pushed.sha256);
    // the graph optimized by onnxruntime-node (fused into the CPU kernels: `extended`) went up beside the version,
    // and the server checked and kept it
    expect(pushed.optimized.level).toBe("extended");
    expect(body.versions["1"].optimized).toMatchObject({ sha256: pushed.optimized.sha256, level: "extended" });
    expect(json(["models", "push", model, MODEL_FILE, "--no-default", "--no-optimize"])).toMatchObject({
      version: "2",
      default: false,
      optimized: "not asked (--no-optimize)",
    });
    expect((await admin(`/admin/models/${model}`)).body.versions["2"].optimized).toBeUndefined();
  });

  it("ls, show, alias, rm-alias, rm-asset and rm-version change what the admin API shows", async () => {
    expect(json(["models", "ls"]).models.map((m: { name: string }) => m.name)).toContain(model);
    expect(json(["models", "show", model]).name).toBe(model);
    json(["models", "alias", model, "canary", "2"]);
    expect((await admin(`/admin/models/${model}`)).body.aliases.canary).toBe("2");
    json(["models", "rm-alias", model, "canary"]);
    json(["models", "rm-asset", model, "labels.txt"]);
    json(["models", "rm-version", model, "2"]);
    const { body } = await admin(`/admin/models/${model}`);
    expect(body.aliases).toEqual({ default: "1", stable: "1" });
    expect(body.assets).toEqual({});
    expect(Object.keys(body.versions)).toEqual(["1"]);
    json(["models", "rm", model]);
    expect((await admin(`/admin/models/${model}`)).status).toBe(404);
  });
});

describe("tenants, keys, usage and run", () => {
  it("a tenant and a key made by the CLI serve calls; rotate, update, revoke and rm act at once", async () => {
    const tenant = json(["tenants", "create", `cli ${unique}`, "--rpm", "100", "--monthly-units", "1000"]);
    expect((await admin(`/admin/tenants/${tenant.id}`)).body.limits).toEqual({
      requestsPerMinute: 100,
      monthlyUnits: 1000,
    });
    expect(json(["tenants", "ls"]).tenants.map((t: { id: string }) => t.id)).toContain(tenant.id);
    json(["tenants", "limits", tenant.id, "--monthly-units", "2000", "--metering", "leased"]);
    expect((await admin(`/admin/tenants/${tenant.id}`)).body).toMatchObject({
      metering: "leased",
      limits: { monthlyUnits: 2000 },
    });
    expect(json(["tenants", "show", tenant.id]).month.limit).toBe(2000);

    const key = json(["keys", "create", tenant.id, "--name", "backend", "--rpm", "50"]);
    expect(key.key).toMatch(/^emk_live_/);
    const keyEnv = { EDGE_MAAS_API_KEY: key.key };
    const answer = json(["run", "lid-176", "Guten Morgen, wie geht es dir?"], keyEnv);
    expect(answer[0].label).toBe("de");
    expect(json(["usage"], keyEnv).totals.requests).toBe(1);
    expect(json(["usage", tenant.id]).totals.units).toBe(1);

    json(["keys", "update", key.id, "--name", "renamed", "--rpm", "none"]);
    const listed = json(["keys", "ls", tenant.id]).keys;
    expect(listed).toMatchObject([{ id: key.id, name: "renamed", requestsPerMinute: null }]);
    const rotated = json(["keys", "rotate", key.id, "--grace", "0"]);
    const ok = async (k: string) => (await get("/v1/models", k)).status;
    expect(await ok(key.key)).toBe(401);
    expect(await ok(rotated.key)).toBe(200);
    json(["keys", "revoke", rotated.id]);
    expect(await ok(rotated.key)).toBe(401);

    const other = json(["keys", "create", tenant.id]);
    expect(await ok(other.key)).toBe(200);
    const deleted = json(["tenants", "rm", tenant.id]);
    expect(deleted.usage.totals.requests).toBe(1);
    expect(await ok(other.key)).toBe(401);
    expect((await admin(`/admin/tenants/${tenant.id}`)).status).toBe(404);
  });

  it("seed uploads bundled models into the server (skipping what is stored)", async () => {
    const seeded = json(["seed", "iris-forest"]);
    expect(seeded).toEqual([{ model: "iris-forest", version: "1", uploaded: false }]);
    expect((await admin("/admin/models/iris-forest")).body.versions["1"]).toBeDefined();
  });
});

describe("bad input: one line, exit code 1", () => {
  it("a missing file", () =>
    expectOneLineError(cli(["models", "push", "x", join(scratch, "nope.onnx")]), /no such file/));
  it("a non-ONNX file", () =>
    expectOneLineError(cli(["models", "push", "x", join(ROOT, "package.json")]), /not an ONNX model/));
  it("a bad URL", () =>
    expectOneLineError(cli(["models", "ls"], { EDGE_MAAS_URL: "not a url" }), /not an http\(s\) URL/));
  it("a wrong token", () =>
    expectOneLineError(cli(["models", "ls"], { EDGE_MAAS_ADMIN_TOKEN: "wrong" }), /unauthorized.*HTTP 401/));
  it("a server that is down", () =>
    expectOneLineError(
      cli(["tenants", "ls"], { EDGE_MAAS_URL: "http://127.0.0.1:9" }),
      /network_error: could not reach/,
    ));
  it("an unknown command", () => expectOneLineError(cli(["modles", "ls"]), /unknown command/));
});

describe("deploy", () => {
  it("--dry-run prints every step and the bundle size against the plan limits, offline", () => {
    const report = json(["deploy", "--dry-run"]);
    expect(report.dryRun).toBe(true);
    const commands = report.steps.flatMap((s: { commands: string[] }) => s.commands);
    expect(commands).toEqual([
      "wrangler whoami",
      "wrangler r2 bucket list",
      "wrangler r2 bucket create edge-maas-models",
      "wrangler kv namespace list",
      "wrangler kv namespace create edge-maas-cache",
      "wrangler kv namespace create edge-maas-keys",
      expect.stringMatching(/^wrangler deploy --config \S+wrangler\.production\.toml --secrets-file/),
    ]);
    expect(report.steps.map((s: { step: string }) => s.step).join("\n")).toMatch(
      /health\/ready[\s\S]*seed[\s\S]*profile/,
    );
    expect(report.bundle.gzipBytes).toBeGreaterThan(1_000_000);
    expect(report.bundle.gzipBytes).toBeLessThan(report.bundle.bytes);
    expect(report.bundle.limits).toEqual({ free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 });
    expect(report.bundle.fits.paid).toBe(true);
    expect(existsSync(join(ROOT, "wrangler.production.toml.dry"))).toBe(false);
  });

  it("from zero against a stand-in wrangler: resources, config, secret, readiness, seed, profile; again: reused", () => {
    const { baseUrl, adminToken } = devServer();
    const fake = join(scratch, "wrangler.mjs");
    writeFileSync(fake, FAKE_WRANGLER);
    chmodSync(fake, 0o755);
    const state = join(scratch, "account.json");
    const out = join(scratch, "wrangler.production.toml");
    const env = { EDGE_MAAS_WRANGLER: fake, FAKE_WRANGLER_STATE: state, FAKE_WRANGLER_URL: baseUrl };
    const args = ["deploy", "--config-out", out, "--admin-token", adminToken];

    const first = json([...args], env);
    expect(first.url).toBe(baseUrl);
    const account = JSON.parse(readFileSync(state, "utf8"));
    expect(account.buckets).toEqual(["edge-maas-models"]);
    expect(account.kv.map((kv: { title: string }) => kv.title)).toEqual(["edge-maas-cache", "edge-maas-keys"]);
    expect(account.deployedConfig).toContain('id = "id-edge-maas-cache"');
    expect(account.deployedConfig).toContain('id = "id-edge-maas-keys"');
    expect(JSON.parse(account.secrets)).toEqual({ ADMIN_TOKEN: adminToken });
    expect(readFileSync(join(scratch, "config.toml"), "utf8")).toContain(`url = "${baseUrl}"`);

    const again = json([...args], env);
    const creates = again.steps
      .flatMap((s: { commands: string[] }) => s.commands)
      .filter((c: string) => / create /.test(c));
    expect(creates).toEqual([]);
    expect(JSON.parse(readFileSync(state, "utf8")).kv).toHaveLength(2);
  });
});

/** A stand-in for wrangler: an account kept in a JSON file; `deploy` "publishes" at FAKE_WRANGLER_URL. */
const FAKE_WRANGLER = `#!/usr/bin/env node
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const file = process.env.FAKE_WRANGLER_STATE;
const s = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { buckets: [], kv: [] };
const args = process.argv.slice(2);
const command = args.slice(0, 3).join(" ");
const flag = (name) => args[args.indexOf(name) + 1];
let out = "";
if (args[0] === "whoami") out = "You are logged in with an API Token, associated with the email ops@example.com.";
else if (command === "r2 bucket list") out = s.buckets.map((n) => "name: " + n + "\\ncreation_date: 2026-01-01").join("\\n\\n");
else if (command === "r2 bucket create") s.buckets.push(args[3]);
else if (command === "kv namespace list") out = JSON.stringify(s.kv);
else if (command === "kv namespace create") s.kv.push({ id: "id-" + args[3], title: args[3] });
else if (args[0] === "deploy") {
  s.deployedConfig = readFileSync(flag("--config"), "utf8");
  s.secrets = readFileSync(flag("--secrets-file"), "utf8");
  out = "Uploaded edge-maas\\nDeployed edge-maas triggers\\n  " + process.env.FAKE_WRANGLER_URL + "\\n";
} else {
  console.error("unknown command: wrangler " + args.join(" "));
  process.exit(1);
}
writeFileSync(file, JSON.stringify(s));
process.stdout.write(out);
`;
