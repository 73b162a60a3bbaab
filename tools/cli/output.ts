/**
 * What commands print: the API's JSON as is with `--json` (for scripts), a table otherwise.
 */
import Table from "cli-table3";

export type Row = Record<string, unknown>;

/** Prints `data` as JSON, or as a table of `rows` with these `columns` (header → field). */
export function printRows(json: boolean, data: unknown, rows: Row[], columns: Record<string, string>): void {
  if (json) {
    printJson(data);
    return;
  }
  if (rows.length === 0) {
    console.log("(none)");
    return;
  }
  const table = new Table({ head: Object.keys(columns), style: { head: [], border: [] } });
  for (const row of rows) table.push(Object.values(columns).map((field) => cell(row[field])));
  console.log(table.toString());
}

/** Prints one record as JSON, or as a two-column table of its fields. */
export function printRecord(json: boolean, data: Row): void {
  if (json) {
    printJson(data);
    return;
  }
  const table = new Table({ style: { head: [], border: [] } });
  for (const [field, value] of Object.entries(data)) table.push({ [field]: cell(value) });
  console.log(table.toString());
}

export function printJson(data: unknown): void {
  console.log(JSON.stringify(data, null, 2));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
