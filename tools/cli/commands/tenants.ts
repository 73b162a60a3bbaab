/**
 * `edge-maas tenants create|ls|show|limits|rm`: tenants and their limits, through the admin API.
 */
import type { Command } from "commander";
import { adminClient } from "../config";
import { CliError } from "../errors";
import { printJson, printRecord, printRows } from "../output";
import { configOf, integer } from "./context";

interface LimitFlags {
  rpm?: string;
  monthlyUnits?: string;
  metering?: string;
}

export function registerTenants(program: Command): void {
  const tenants = program.command("tenants").description("Create, list, limit and delete tenants");

  tenants
    .command("create <name>")
    .description("Create a tenant")
    .requiredOption("--rpm <n>", "requests per minute (token bucket)")
    .requiredOption("--monthly-units <n>", "units per calendar month (UTC)")
    .option("--metering <mode>", "exact or leased", "exact")
    .action(async (name: string, flags: Required<LimitFlags>, command: Command) => {
      const config = configOf(command);
      const tenant = await adminClient(config).admin.tenants.create({
        name,
        limits: {
          requestsPerMinute: integer(flags.rpm, "--rpm"),
          monthlyUnits: integer(flags.monthlyUnits, "--monthly-units"),
        },
        metering: metering(flags.metering),
      });
      printRecord(config.json, tenant);
    });

  tenants
    .command("ls")
    .description("List tenants")
    .action(async (_flags: unknown, command: Command) => {
      const config = configOf(command);
      const listed = await adminClient(config).admin.tenants.list();
      printRows(config.json, listed, listed.tenants, { id: "id", name: "name", created: "createdAt" });
    });

  tenants
    .command("show <id>")
    .description("A tenant, its limits and this month's usage")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const client = adminClient(config);
      const [tenant, usage] = await Promise.all([client.admin.tenants.get(id), client.admin.tenants.usage(id)]);
      if (config.json) return printJson({ ...tenant, month: usage.month });
      printRecord(false, { ...tenant, month: usage.month });
    });

  tenants
    .command("limits <id>")
    .description("Change a tenant's limits or metering mode")
    .option("--rpm <n>", "requests per minute")
    .option("--monthly-units <n>", "units per month")
    .option("--metering <mode>", "exact or leased")
    .action(async (id: string, flags: LimitFlags, command: Command) => {
      const config = configOf(command);
      const limits = {
        ...(flags.rpm ? { requestsPerMinute: integer(flags.rpm, "--rpm") } : {}),
        ...(flags.monthlyUnits ? { monthlyUnits: integer(flags.monthlyUnits, "--monthly-units") } : {}),
      };
      if (Object.keys(limits).length === 0 && !flags.metering)
        throw new CliError("nothing to change: give --rpm, --monthly-units or --metering");
      const tenant = await adminClient(config).admin.tenants.update(id, {
        ...(Object.keys(limits).length > 0 ? { limits } : {}),
        ...(flags.metering ? { metering: metering(flags.metering) } : {}),
      });
      printRecord(config.json, tenant);
    });

  tenants
    .command("rm <id>")
    .description("Delete a tenant: its keys are refused at once; prints its usage ledger (--json: all of it)")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const config = configOf(command);
      const deleted = await adminClient(config).admin.tenants.delete(id);
      if (config.json) return printJson(deleted);
      printRecord(false, {
        deleted: deleted.tenant.id,
        name: deleted.tenant.name,
        "keys revoked": deleted.keys.length,
        "requests (all time)": deleted.usage.totals.requests,
        "units (all time)": deleted.usage.totals.units,
      });
      console.log("the full ledger is in the --json output; no route reads it afterwards");
    });
}

function metering(mode: string): "exact" | "leased" {
  if (mode !== "exact" && mode !== "leased") throw new CliError(`--metering is exact or leased (got '${mode}')`);
  return mode;
}
