/**
 * One Durable Object per model (`idFromName(model)`; `-` for requests that never resolved one) holding what its
 * versions served, fed by isolates in batches (see metrics-buffer.ts), never on a response's path:
 * - `totals`: one row per version, added to forever: what `GET /metrics` and Triton's statistics report;
 * - `minutes`: one row per version and minute, kept RETENTION_MS: what the time series and the comparison of two
 *   versions read.
 * A batch carries a unique id, remembered for BATCH_MEMORY_MS, so one an isolate sends again counts once.
 */
import { DurableObject } from "cloudflare:workers";
import { type Aggregate, addInto, emptyAggregate } from "./aggregate";

export const MINUTE_MS = 60_000;
/** How long minute rows are kept: the longest window a comparison or a series may span. */
export const RETENTION_MS = 7 * 24 * 3_600_000;
const BATCH_MEMORY_MS = 3_600_000;
const CLEANUP_EVERY_MS = 3_600_000;

export interface MetricsEntry {
  version: string;
  /** Start of the minute (epoch ms, a multiple of MINUTE_MS). */
  minute: number;
  aggregate: Aggregate;
}

export interface MetricsBatch {
  /** Unique per batch: a batch applied once is not applied again. */
  id: string;
  entries: MetricsEntry[];
}

export interface VersionAggregate {
  version: string;
  aggregate: Aggregate;
}

export interface VersionSeries {
  version: string;
  points: { start: number; aggregate: Aggregate }[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS totals (version TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS minutes (minute INTEGER NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (minute, version));
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

export class MetricsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** Adds a batch into the totals and the minute rows; false when this batch was applied before. */
  record(batch: MetricsBatch): boolean {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    let applied = false;
    this.ctx.storage.transactionSync(() => {
      if (sql.exec("SELECT 1 FROM batches WHERE id = ?", batch.id).toArray().length > 0) return;
      sql.exec("INSERT INTO batches (id, received_at) VALUES (?, ?)", batch.id, now);
      sql.exec(
        "INSERT INTO counters (name, value) VALUES ('batches', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1",
      );
      for (const { version, minute, aggregate } of batch.entries) {
        this.addRow("SELECT data FROM totals WHERE version = ?", [version], aggregate, (data) =>
          sql.exec(
            "INSERT INTO totals (version, data) VALUES (?, ?) ON CONFLICT (version) DO UPDATE SET data = excluded.data",
            version,
            data,
          ),
        );
        this.addRow("SELECT data FROM minutes WHERE minute = ? AND version = ?", [minute, version], aggregate, (data) =>
          sql.exec(
            "INSERT INTO minutes (minute, version, data) VALUES (?, ?, ?) ON CONFLICT (minute, version) DO UPDATE SET data = excluded.data",
            minute,
            version,
            data,
          ),
        );
      }
      applied = true;
    });
    void this.scheduleCleanup(now);
    return applied;
  }

  /** Everything each version served since this object began. */
  totals(): { versions: VersionAggregate[]; batches: number } {
    const sql = this.ctx.storage.sql;
    const versions = sql
      .exec<{ version: string; data: string }>("SELECT version, data FROM totals ORDER BY version")
      .toArray()
      .map((row) => ({ version: row.version, aggregate: JSON.parse(row.data) as Aggregate }));
    const batches = Number(sql.exec("SELECT value FROM counters WHERE name = 'batches'").toArray()[0]?.value ?? 0);
    return { versions, batches };
  }

  /** Per version, what was served in the minutes that start in [from, to). */
  window(from: number, to: number): VersionAggregate[] {
    return this.series(from, to, to - from).map(({ version, points }) => ({
      version,
      aggregate: points.reduce((sum, point) => addInto(sum, point.aggregate), emptyAggregate()),
    }));
  }

  /** Per version, the minutes in [from, to) added up by steps of `stepMs` (a multiple of a minute). */
  series(from: number, to: number, stepMs: number): VersionSeries[] {
    const rows = this.ctx.storage.sql
      .exec<{ minute: number; version: string; data: string }>(
        "SELECT minute, version, data FROM minutes WHERE minute >= ? AND minute < ? ORDER BY version, minute",
        from,
        to,
      )
      .toArray();
    const byVersion = new Map<string, Map<number, Aggregate>>();
    for (const row of rows) {
      const points = byVersion.get(row.version) ?? new Map<number, Aggregate>();
      byVersion.set(row.version, points);
      const start = from + Math.floor((row.minute - from) / stepMs) * stepMs;
      points.set(start, addInto(points.get(start) ?? emptyAggregate(), JSON.parse(row.data) as Aggregate));
    }
    return [...byVersion].map(([version, points]) => ({
      version,
      points: [...points].map(([start, aggregate]) => ({ start, aggregate })),
    }));
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM minutes WHERE minute < ?", now - RETENTION_MS);
    sql.exec("DELETE FROM batches WHERE received_at < ?", now - BATCH_MEMORY_MS);
  }

  private addRow(
    query: string,
    bindings: SqlStorageValue[],
    aggregate: Aggregate,
    write: (data: string) => void,
  ): void {
    const row = this.ctx.storage.sql.exec<{ data: string }>(query, ...bindings).toArray()[0];
    write(JSON.stringify(row ? addInto(JSON.parse(row.data) as Aggregate, aggregate) : aggregate));
  }

  private async scheduleCleanup(now: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + CLEANUP_EVERY_MS);
  }
}
