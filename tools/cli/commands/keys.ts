/**
 * `edge-maas keys create|ls|revoke|rotate|update`: a tenant's API keys. A new key's secret is printed once.
 */
import type { Command } from "commander";
import type { KeyPatch } from "../../../src/client";
import { adminClient } from "../config";
import { CliError } from "../errors";
import { printRecord, printRows } from "../output";
import { configOf, integer } from "./context";

interface KeyFlags {
  name?: string;
  scopes?: string[];
  expires?: string;
  rpm?: string;
}

const NEVER = ["never", "none"];

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("Create, list, rotate, change and revoke API keys");

  keys
    .command("create <tenant>")
    .description("Create an API key; its secret is printed once and never stored")
    .option("--name <name>", "what the key is for", "cli")
    .option("--scopes <scope...>", "infer, usage:read, infer:{model} (default: infer usage:read)")
    .option("--expires <date>", "RFC 3339 date-time at which it stops working")
    .option("--rpm <n>", "its own rate limit, under the tenant's")
    .action(async (tenant: string, flags: KeyFlags, command: Command) => {
      const config = configOf(command);
      const created = await adminClient(config).admin.keys.create(tenant, {
        name: flags.name!,
        ...(flags.scopes ? { scopes: flags.scopes } : {}),
        ...(flags.expires ? { expiresAt: flags.expires } : {}),
        ...(flags.rpm ? { requestsPerMinute: integer(flags.rpm, "--rpm") } : {}),
      });
      printRecord(config.json, created);
      if (!config.json) console.log("the key is shown once: store it now");
    });

  keys
    .command("ls <tenant>")
    .description("List a tenant's keys (never their secrets)")
    .action(async (tenant: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const listed = await adminClient(config).admin.keys.list(tenant);
      printRows(config.json, listed, listed.keys, {
        id: "id",
        name: "name",
        prefix: "prefix",
        scopes: "scopes",
        rpm: "requestsPerMinute",
        expires: "expiresAt",
        revoked: "revokedAt",
        "last used": "lastUsedAt",
      });
    });

  keys
    .command("revoke <key>")
    .description("Revoke a key (by id): refused from the next request")
    .action(async (key: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      printRecord(config.json, await adminClient(config).admin.keys.revoke(key));
    });

  keys
    .command("rotate <key>")
    .description("A new secret for a key; the old one works for the grace period")
    .option("--grace <seconds>", "how long the old secret keeps working (default: one day; 0: none)")
    .action(async (key: string, flags: { grace?: string }, command: Command) => {
      const config = configOf(command);
      const rotated = await adminClient(config).admin.keys.rotate(
        key,
        flags.grace === undefined ? {} : { gracePeriodSeconds: integer(flags.grace, "--grace") },
      );
      if (config.json) return printRecord(true, rotated);
      const { previous, ...fresh } = rotated;
      printRecord(false, { ...fresh, "old key expires": previous.expiresAt ?? previous.revokedAt });
      console.log("the new key is shown once: store it now");
    });

  keys
    .command("update <key>")
    .description("Change a key's name, scopes, expiry or own rate limit ('never'/'none' clears the last two)")
    .option("--name <name>", "a new name")
    .option("--scopes <scope...>", "its scopes, replacing the old ones")
    .option("--expires <date>", "RFC 3339 date-time, or 'never'")
    .option("--rpm <n>", "its own rate limit, or 'none'")
    .action(async (key: string, flags: KeyFlags, command: Command) => {
      const config = configOf(command);
      const patch: KeyPatch = {
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.scopes ? { scopes: flags.scopes } : {}),
        ...(flags.expires ? { expiresAt: NEVER.includes(flags.expires) ? null : flags.expires } : {}),
        ...(flags.rpm ? { requestsPerMinute: NEVER.includes(flags.rpm) ? null : integer(flags.rpm, "--rpm") } : {}),
      };
      if (Object.keys(patch).length === 0)
        throw new CliError("nothing to change: give --name, --scopes, --expires or --rpm");
      printRecord(config.json, await adminClient(config).admin.keys.update(key, patch));
    });
}
