/**
 * Where the CLI sends its calls, and with which credentials. Each of the URL, the admin token and the API key
 * comes from the first of: a flag (`--url`, `--admin-token`, `--api-key`), the environment (`EDGE_MAAS_URL`,
 * `EDGE_MAAS_ADMIN_TOKEN`, `EDGE_MAAS_API_KEY`), the chosen profile (`--profile` or `EDGE_MAAS_PROFILE`, default
 * `local`) in the config file (`EDGE_MAAS_CONFIG`, default ~/.config/edge-maas/config.toml), and, for the profile
 * `local` only, what `npm run dev` wrote in this checkout (http://127.0.0.1:$PORT, .dev.vars, .dev-api-key).
 *
 * @example config.toml
 * [profiles.production]
 * url = "https://edge-maas.acme.workers.dev"
 * admin_token = "…"
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "smol-toml";
import { ROOT } from "../../scripts/lib/bundled-models";
import { adminTokenIn } from "../../scripts/lib/wrangler";
import { createEdgeMaasClient, type EdgeMaasClient } from "../../src/client";
import { CliError } from "./errors";

export interface GlobalFlags {
  url?: string;
  adminToken?: string;
  apiKey?: string;
  profile?: string;
  json?: boolean;
}

export interface Profile {
  url?: string;
  admin_token?: string;
  api_key?: string;
}

export interface Config {
  profile: string;
  url: string;
  adminToken?: string;
  apiKey?: string;
  json: boolean;
}

export function configPath(): string {
  return process.env.EDGE_MAAS_CONFIG ?? join(homedir(), ".config", "edge-maas", "config.toml");
}

export function readProfiles(): Record<string, Profile> {
  const path = configPath();
  if (!existsSync(path)) return {};
  try {
    return ((parse(readFileSync(path, "utf8")) as { profiles?: Record<string, Profile> }).profiles ?? {}) as Record<
      string,
      Profile
    >;
  } catch (error) {
    throw new CliError(`${path} is not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** Writes (or replaces) one profile in the config file, keeping the others. */
export function saveProfile(name: string, profile: Profile): string {
  const path = configPath();
  const profiles = { ...readProfiles(), [name]: profile };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify({ profiles }), { mode: 0o600 });
  return path;
}

export function resolveConfig(flags: GlobalFlags): Config {
  const profile = flags.profile ?? process.env.EDGE_MAAS_PROFILE ?? "local";
  const saved = readProfiles()[profile];
  if (!saved && profile !== "local") throw new CliError(`no profile '${profile}' in ${configPath()}`);
  const local = profile === "local" ? localProfile() : {};
  const url = flags.url ?? process.env.EDGE_MAAS_URL ?? saved?.url ?? local.url!;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new CliError(`'${url}' is not an http(s) URL (set --url or EDGE_MAAS_URL)`);
  return {
    profile,
    url: url.replace(/\/+$/, ""),
    adminToken: flags.adminToken ?? process.env.EDGE_MAAS_ADMIN_TOKEN ?? saved?.admin_token ?? local.admin_token,
    apiKey: flags.apiKey ?? process.env.EDGE_MAAS_API_KEY ?? saved?.api_key ?? local.api_key,
    json: flags.json ?? false,
  };
}

/** What `npm run dev` left in this checkout. */
function localProfile(): Profile {
  const read = (file: string) => (existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), "utf8") : "");
  return {
    url: `http://127.0.0.1:${process.env.PORT ?? 8787}`,
    admin_token: adminTokenIn(read(".dev.vars")),
    api_key: read(".dev-api-key").trim() || undefined,
  };
}

/** The typed client for the admin routes; refuses to start without an admin token. */
export function adminClient(config: Config): EdgeMaasClient {
  if (!config.adminToken)
    throw new CliError(
      "this command needs the admin token: --admin-token, EDGE_MAAS_ADMIN_TOKEN or a profile's admin_token",
    );
  return createEdgeMaasClient({ baseUrl: config.url, adminToken: config.adminToken, retry: { retries: 2 } });
}

/** The typed client for a tenant's routes; refuses to start without an API key. */
export function tenantClient(config: Config): EdgeMaasClient {
  if (!config.apiKey)
    throw new CliError("this command needs an API key: --api-key, EDGE_MAAS_API_KEY or a profile's api_key");
  return createEdgeMaasClient({ baseUrl: config.url, apiKey: config.apiKey, retry: { retries: 2 } });
}
