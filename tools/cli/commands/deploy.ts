/**
 * `edge-maas deploy`: Cloudflare from zero, guided. Checks wrangler's login, creates (or reuses) the R2 bucket and
 * the KV namespaces, writes their ids into the generated wrangler.production.toml, measures the bundle against the
 * plan limits, deploys with ADMIN_TOKEN as a secret, waits until /v2/health/ready answers, seeds the bundled
 * models, saves a `production` profile and prints the URLs and next commands. `--dry-run` prints every step (and
 * measures the bundle, which needs no account) without touching the account.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ROOT } from "../../../scripts/lib/bundled-models";
import { createEdgeMaasClient } from "../../../src/client";
import { type Config, readProfiles, saveProfile } from "../config";
import { type BundleSize, measureBundle } from "../deploy/bundle-size";
import { neededResources, PRODUCTION_CONFIG, writeProductionConfig } from "../deploy/production-config";
import { bucketNames, dryRunWrangler, kvNamespaces, type Wrangler, whoami, wranglerCli } from "../deploy/wrangler";
import { CliError } from "../errors";
import { printJson } from "../output";
import { configOf } from "./context";
import { seed } from "./seed";

interface DeployFlags {
  /** The global `--admin-token`, when given. */
  adminToken?: string;
  dryRun?: boolean;
  configOut: string;
  seed: boolean;
  saveAs: string;
  readyTimeout: string;
}

interface Step {
  step: string;
  commands: string[];
  result?: string;
}

const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("Deploy to Cloudflare from zero: resources, config, secret, deploy, readiness, models")
    .option("--dry-run", "print every step and the bundle size; change nothing")
    .option("--config-out <file>", "where to write the generated production config", PRODUCTION_CONFIG)
    .option("--no-seed", "do not upload the bundled models")
    .option("--save-as <profile>", "the profile to save the deployment as", "production")
    .option("--ready-timeout <seconds>", "how long to wait for /v2/health/ready", "120")
    .action(async (flags: DeployFlags, command: Command) => {
      const config = configOf(command);
      const steps: Step[] = [];
      const log = (line: string) => {
        if (!config.json) console.log(line);
      };
      let current: Step | undefined;
      const begin = (step: string) => {
        current = { step, commands: [] };
        steps.push(current);
        log(`${flags.dryRun ? "would" : "→"} ${step}`);
      };
      const wrangler: Wrangler = flags.dryRun
        ? dryRunWrangler((command) => {
            current?.commands.push(command);
            log(`    ${command}`);
          })
        : recording(wranglerCli(), (command) => current?.commands.push(command));

      const outcome = await deploy(config, command.optsWithGlobals<DeployFlags>(), wrangler, begin, log);
      if (config.json) printJson({ dryRun: Boolean(flags.dryRun), steps, ...outcome });
    });
}

async function deploy(
  config: Config,
  flags: DeployFlags,
  wrangler: Wrangler,
  begin: (step: string) => void,
  log: (line: string) => void,
): Promise<{ bundle: BundleSize; url?: string; profile?: string }> {
  const needed = neededResources();

  begin("check the wrangler login (wrangler whoami)");
  const account = whoami(wrangler);
  if (!flags.dryRun) log(`    logged in: ${account}`);

  begin(`create or reuse the R2 bucket${needed.buckets.length > 1 ? "s" : ""} ${needed.buckets.join(", ")}`);
  const buckets = bucketNames(wrangler);
  for (const bucket of needed.buckets) {
    if (buckets.includes(bucket)) log(`    reusing ${bucket}`);
    else wrangler.run(["r2", "bucket", "create", bucket], { mutates: true });
  }

  begin(`create or reuse the KV namespaces ${needed.namespaces.map((n) => n.title).join(", ")}`);
  const existing = kvNamespaces(wrangler);
  for (const { title } of needed.namespaces) {
    if (existing.some((kv) => kv.title === title)) log(`    reusing ${title}`);
    else wrangler.run(["kv", "namespace", "create", title], { mutates: true });
  }
  const ids = Object.fromEntries((flags.dryRun ? [] : kvNamespaces(wrangler)).map((kv) => [kv.title, kv.id] as const));
  const missing = needed.namespaces.filter((n) => !flags.dryRun && !ids[n.title]);
  if (missing.length > 0)
    throw new CliError(`KV namespace ${missing[0]!.title} was not created; see wrangler's output`);

  begin(`write ${flags.configOut}: wrangler.toml with this account's KV namespace ids (wrangler.toml is not edited)`);
  if (!flags.dryRun) writeProductionConfig(ids, flags.configOut);

  begin("measure the bundle against the plan limits (wrangler deploy --dry-run, no account needed)");
  const bundle = measureBundle(wranglerCli(true), "wrangler.toml");
  log(
    `    ${MB(bundle.gzipBytes)} compressed (${MB(bundle.bytes)} raw): free plan limit ${MB(bundle.limits.free)} ` +
      `${bundle.fits.free ? "fits" : "exceeded"}, paid plan limit ${MB(bundle.limits.paid)} ${bundle.fits.paid ? "fits" : "exceeded"}`,
  );
  if (!bundle.fits.paid)
    throw new CliError(`the bundle (${MB(bundle.gzipBytes)} compressed) exceeds every plan's limit`);
  if (!bundle.fits.free) log("    edge-maas needs the Workers paid plan (its bundle exceeds the free plan's limit)");

  const token = adminToken(config, flags.adminToken, flags.saveAs);
  begin("deploy the Worker with ADMIN_TOKEN as a secret (wrangler deploy --secrets-file)");
  const secrets = mkdtempSync(join(tmpdir(), "edge-maas-secrets-"));
  let url: string | undefined;
  try {
    const file = join(secrets, "secrets.json");
    writeFileSync(file, JSON.stringify({ ADMIN_TOKEN: token.value }), { mode: 0o600 });
    const out = wrangler.run(
      [
        "deploy",
        "--config",
        resolve(ROOT, flags.configOut),
        "--secrets-file",
        flags.dryRun ? "<a temporary file>" : file,
      ],
      { mutates: true },
    );
    url = [...out.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0].replace(/\/+$/, "")).at(-1);
  } finally {
    rmSync(secrets, { recursive: true, force: true });
  }
  if (!flags.dryRun && !url) throw new CliError("wrangler deploy did not print the Worker's URL");

  begin("wait until /v2/health/ready answers");
  if (url) await waitUntilReady(url, Number(flags.readyTimeout) * 1000);

  if (flags.seed) {
    begin("seed the bundled models (edge-maas seed)");
    if (url) await seed({ ...config, url, adminToken: token.value });
  }

  begin(`save the profile '${flags.saveAs}' (URL and admin token) in the CLI's config file`);
  if (url) saveProfile(flags.saveAs, { url, admin_token: token.value });

  const base = url ?? "https://edge-maas.<your-subdomain>.workers.dev";
  const next = [
    `npx edge-maas --profile ${flags.saveAs} tenants create acme --rpm 600 --monthly-units 100000`,
    `npx edge-maas --profile ${flags.saveAs} keys create <tenant id> --name backend`,
    `curl -H "Authorization: Bearer <key>" ${base}/v2/models`,
  ];
  log("");
  log(
    `${flags.dryRun ? "would serve" : "serving"} ${base} (API: ${base}/openapi.json, health: ${base}/v2/health/ready)`,
  );
  if (token.generated && !flags.dryRun)
    log(`admin token: saved in the '${flags.saveAs}' profile (${token.value.slice(0, 6)}…)`);
  log("next:");
  for (const line of next) log(`  ${line}`);
  return { bundle, url, profile: url ? flags.saveAs : undefined };
}

/**
 * The admin token to deploy: `--admin-token` or EDGE_MAAS_ADMIN_TOKEN, else the chosen profile's unless it is
 * `local` (the dev server's token never goes to production), else the saved deployment profile's, else a new one.
 */
function adminToken(
  config: Config,
  explicit: string | undefined,
  profile: string,
): { value: string; generated: boolean } {
  const chosen =
    explicit ??
    process.env.EDGE_MAAS_ADMIN_TOKEN ??
    (config.profile !== "local" ? config.adminToken : undefined) ??
    readProfiles()[profile]?.admin_token;
  return chosen
    ? { value: chosen, generated: false }
    : { value: randomBytes(32).toString("base64url"), generated: true };
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const client = createEdgeMaasClient({ baseUrl: url, retry: false });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.ready({ signal: AbortSignal.timeout(10_000) });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new CliError(
          `${url}/v2/health/ready did not answer within ${timeoutMs / 1000} s: ${(error as Error).message}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** Notes every command run, for the `--json` report. */
function recording(wrangler: Wrangler, record: (command: string) => void): Wrangler {
  return {
    run(args, options) {
      record(`wrangler ${args.join(" ")}`);
      return wrangler.run(args, options);
    },
  };
}
