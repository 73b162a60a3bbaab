/**
 * `edge-maas usage [tenant]`: a tenant's usage (admin token), or, without a tenant, the API key's own tenant's.
 */
import type { Command } from "commander";
import { adminClient, tenantClient } from "../config";
import { printJson, printRows } from "../output";
import { configOf } from "./context";

interface UsageFlags {
  from?: string;
  to?: string;
  granularity?: "hour" | "day";
}

export function registerUsage(program: Command): void {
  program
    .command("usage [tenant]")
    .description("Usage by time, model and key: a tenant's (admin), or your key's tenant's")
    .option("--from <date>", "RFC 3339 (default: start of this UTC month)")
    .option("--to <date>", "RFC 3339, exclusive (default: now)")
    .option("--granularity <unit>", "hour or day", "day")
    .action(async (tenant: string | undefined, flags: UsageFlags, command: Command) => {
      const config = configOf(command);
      const query = {
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.to ? { to: flags.to } : {}),
        granularity: flags.granularity,
      };
      const report = tenant
        ? await adminClient(config).admin.tenants.usage(tenant, query)
        : await tenantClient(config).usage(query);
      if (config.json) return printJson(report);
      printRows(false, report, report.rows, {
        start: "start",
        model: "model",
        key: "keyId",
        requests: "requests",
        units: "units",
        cached: "cachedRequests",
      });
      const { month } = report;
      console.log(
        `${month.month}: ${month.committedUnits} of ${month.limit} units used, ${month.reservedUnits} reserved`,
      );
    });
}
