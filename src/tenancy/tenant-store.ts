/**
 * The SQL behind one tenant's Durable Object: tenant row, keys (hashes only), the token bucket, monthly quota
 * counters, the usage ledger and stored idempotent responses. Synchronous (Durable Object SQLite); callers wrap
 * multi-statement changes in `transactionSync`.
 *
 * The rows every metered request reads (tenant, key, bucket, the month's counters) are kept in memory and written
 * through: the object is single-threaded and the only writer of its database, so memory and SQL cannot diverge
 * except when a transaction fails, after which `forgetCached()` makes the next read go to SQL again.
 *
 * The schema grows by numbered migrations (`MIGRATIONS`), applied once per object when it starts: an object created
 * by an older version of the Worker keeps its rows.
 */

import type { StoredResponse, UnsettledCharge, UsageQuery, UsageRow } from "./metering-types";
import type { Bucket } from "./rate-limit";
import type { KeyRecord, Limits, MeteringMode, Tenant } from "./schemas";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenant (id TEXT PRIMARY KEY, name TEXT NOT NULL, rpm INTEGER NOT NULL, monthly_units INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, name TEXT NOT NULL, scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER);
CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS months (month TEXT PRIMARY KEY, committed INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, units INTEGER NOT NULL,
  month TEXT NOT NULL, status TEXT NOT NULL, cached INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, completed_at INTEGER, reason TEXT);
CREATE INDEX IF NOT EXISTS events_by_status_time ON events (status, created_at);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, event_id TEXT NOT NULL, created_at INTEGER NOT NULL,
  status INTEGER, headers TEXT);
CREATE TABLE IF NOT EXISTS idempotency_chunks (key TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, seq));
CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
`;

/** Changes to SCHEMA, in order; an object applies the ones after its `schema_version`. Never edit one: append. */
const MIGRATIONS = [
  // 1: a tenant's metering mode; an event may stand for several requests (a leased isolate's usage line);
  //    leases of quota to isolates and the usage batches they report (ids kept so a retried batch counts once)
  `ALTER TABLE tenant ADD COLUMN metering TEXT NOT NULL DEFAULT 'exact';
   ALTER TABLE events ADD COLUMN requests INTEGER NOT NULL DEFAULT 1;
   CREATE TABLE leases (id TEXT PRIMARY KEY, holder TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL,
     tokens INTEGER NOT NULL, used_units INTEGER NOT NULL DEFAULT 0, used_requests INTEGER NOT NULL DEFAULT 0,
     granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL, closed_at INTEGER);
   CREATE INDEX leases_by_status_expiry ON leases (status, expires_at);
   CREATE TABLE lease_batches (id TEXT PRIMARY KEY, lease_id TEXT NOT NULL, received_at INTEGER NOT NULL);
   CREATE INDEX lease_batches_by_time ON lease_batches (received_at);`,
  // 2: a key's own rate limit and its token bucket; a deleted tenant keeps its rows, marked
  `ALTER TABLE keys ADD COLUMN rpm INTEGER;
   CREATE TABLE key_buckets (key_id TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL);
   ALTER TABLE tenant ADD COLUMN deleted_at INTEGER;`,
  // 3: the web origins a key may be called from (JSON array; NULL: any)
  "ALTER TABLE keys ADD COLUMN allowed_origins TEXT;",
];

/** Stored response bodies are split into rows under SQLite's 2 MB row limit. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * `pending`: reserved, work running; `committed`: charged; `released`: not charged (the work failed);
 * `unsettled`: charged because its settlement never arrived (a Worker died after admitting it), refundable;
 * `refunded`: an unsettled charge an operator gave back; `abandoned`: released unsettled (older Workers only).
 */
export type EventStatus = "pending" | "committed" | "released" | "unsettled" | "refunded" | "abandoned";

/** Statuses that count as charged in usage reports and the month's counters. */
const CHARGED = "('committed', 'unsettled')";

/** A request's line in the ledger, as it is first written. */
export interface LedgerEvent {
  id: string;
  keyId: string;
  model: string;
  version: string;
  units: number;
  month: string;
  /** Requests this line stands for (1, except for a leased isolate's usage line). */
  requests?: number;
}

export interface PendingEvent {
  id: string;
  units: number;
  month: string;
  status: EventStatus;
}

export interface IdempotencyEntry {
  fingerprint: string;
  eventId: string;
  response?: StoredResponse;
}

type Row = Record<string, SqlStorageValue>;
type StoredKey = KeyRecord & { expiresAtMs: number | null; revoked: boolean; lastUsedMs: number | null };

/** A key as first written (only its hash, never its plaintext). */
export interface NewKeyRow {
  id: string;
  hash: string;
  prefix: string;
  name: string;
  scopes: string[];
  expiresAt: number | null;
  requestsPerMinute: number | null;
  /** `null`: callable from any origin, or none. */
  allowedOrigins: string[] | null;
}

/** What a key update changes; `undefined` keeps a field. */
export interface KeyChange {
  name?: string;
  scopes?: string[];
  expiresAt?: number | null;
  requestsPerMinute?: number | null;
  allowedOrigins?: string[] | null;
}
type MonthUsage = { committed: number; reserved: number };

export class TenantStore {
  /** `null`: known to be absent; `undefined`: not read yet. */
  private cachedTenant: Tenant | null | undefined;
  private readonly cachedKeys = new Map<string, StoredKey>();
  private cachedBucket: Bucket | null | undefined;
  private readonly cachedMonths = new Map<string, MonthUsage>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    const applied = Number(this.first("SELECT version FROM schema_version WHERE id = 1")?.version ?? 0);
    for (let version = applied; version < MIGRATIONS.length; version++) sql.exec(MIGRATIONS[version]!);
    if (applied < MIGRATIONS.length)
      sql.exec(
        "INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        MIGRATIONS.length,
      );
  }

  /** Drops every row kept in memory (after a failed transaction). */
  forgetCached(): void {
    this.cachedTenant = undefined;
    this.cachedKeys.clear();
    this.cachedBucket = undefined;
    this.cachedMonths.clear();
  }

  tenant(): Tenant | undefined {
    if (this.cachedTenant === undefined) {
      const row = this.first("SELECT * FROM tenant WHERE deleted_at IS NULL LIMIT 1");
      this.cachedTenant = row
        ? {
            id: String(row.id),
            name: String(row.name),
            limits: { requestsPerMinute: Number(row.rpm), monthlyUnits: Number(row.monthly_units) },
            metering: String(row.metering) as MeteringMode,
            createdAt: new Date(Number(row.created_at)).toISOString(),
          }
        : null;
    }
    return this.cachedTenant ?? undefined;
  }

  insertTenant(id: string, name: string, limits: Limits, metering: MeteringMode, now: number): void {
    this.sql.exec(
      "INSERT INTO tenant (id, name, rpm, monthly_units, metering, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      name,
      limits.requestsPerMinute,
      limits.monthlyUnits,
      metering,
      now,
    );
    this.cachedTenant = undefined;
  }

  updateTenant(name: string, limits: Limits, metering: MeteringMode): void {
    this.sql.exec(
      "UPDATE tenant SET name = ?, rpm = ?, monthly_units = ?, metering = ?",
      name,
      limits.requestsPerMinute,
      limits.monthlyUnits,
      metering,
    );
    this.cachedTenant = undefined;
  }

  /** Marks the tenant deleted (its rows stay) and revokes every key it has. */
  deleteTenant(now: number): void {
    this.sql.exec("UPDATE tenant SET deleted_at = ? WHERE deleted_at IS NULL", now);
    this.sql.exec("UPDATE keys SET revoked_at = ? WHERE revoked_at IS NULL", now);
    this.forgetCached();
  }

  insertKey(key: NewKeyRow, now: number): void {
    this.sql.exec(
      "INSERT INTO keys (id, hash, prefix, name, scopes, created_at, expires_at, rpm, allowed_origins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      key.id,
      key.hash,
      key.prefix,
      key.name,
      JSON.stringify(key.scopes),
      now,
      key.expiresAt,
      key.requestsPerMinute,
      key.allowedOrigins && JSON.stringify(key.allowedOrigins),
    );
  }

  /** Changes a key's name, scopes, expiry (ms, `null`: never), own rate limit (`null`: none) or origins (`null`: any). */
  updateKey(id: string, patch: KeyChange): void {
    const columns: [string, SqlStorageValue][] = [];
    if (patch.name !== undefined) columns.push(["name", patch.name]);
    if (patch.scopes !== undefined) columns.push(["scopes", JSON.stringify(patch.scopes)]);
    if (patch.expiresAt !== undefined) columns.push(["expires_at", patch.expiresAt]);
    if (patch.requestsPerMinute !== undefined) columns.push(["rpm", patch.requestsPerMinute]);
    if (patch.allowedOrigins !== undefined)
      columns.push(["allowed_origins", patch.allowedOrigins && JSON.stringify(patch.allowedOrigins)]);
    if (columns.length === 0) return;
    this.sql.exec(
      `UPDATE keys SET ${columns.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`,
      ...columns.map(([, value]) => value),
      id,
    );
    this.cachedKeys.clear();
  }

  keyBucket(keyId: string): Bucket | undefined {
    const row = this.first("SELECT tokens, updated_at FROM key_buckets WHERE key_id = ?", keyId);
    return row ? { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) } : undefined;
  }

  saveKeyBucket(keyId: string, bucket: Bucket): void {
    this.sql.exec(
      "INSERT INTO key_buckets (key_id, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
      keyId,
      bucket.tokens,
      bucket.updatedAt,
    );
  }

  keyByHash(hash: string): StoredKey | undefined {
    const cached = this.cachedKeys.get(hash);
    if (cached) return cached;
    const row = this.first("SELECT * FROM keys WHERE hash = ?", hash);
    const key = row && this.keyRecord(row);
    if (key) this.cachedKeys.set(hash, key);
    return key;
  }

  keyById(id: string): KeyRecord | undefined {
    const row = this.first("SELECT * FROM keys WHERE id = ?", id);
    return row && publicKey(this.keyRecord(row));
  }

  keys(): KeyRecord[] {
    return this.sql
      .exec<Row>("SELECT * FROM keys ORDER BY created_at, id")
      .toArray()
      .map((row) => publicKey(this.keyRecord(row)));
  }

  revokeKey(id: string, now: number): void {
    this.sql.exec("UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
    this.cachedKeys.clear();
  }

  touchKey(id: string, now: number): void {
    this.sql.exec("UPDATE keys SET last_used_at = ? WHERE id = ?", now, id);
    for (const key of this.cachedKeys.values()) {
      if (key.id === id) Object.assign(key, { lastUsedMs: now, lastUsedAt: new Date(now).toISOString() });
    }
  }

  bucket(): Bucket | undefined {
    if (this.cachedBucket === undefined) {
      const row = this.first("SELECT tokens, updated_at FROM bucket WHERE id = 1");
      this.cachedBucket = row ? { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) } : null;
    }
    return this.cachedBucket ?? undefined;
  }

  saveBucket(bucket: Bucket): void {
    this.sql.exec(
      "INSERT INTO bucket (id, tokens, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
      bucket.tokens,
      bucket.updatedAt,
    );
    this.cachedBucket = { ...bucket };
  }

  monthUsage(month: string): MonthUsage {
    let usage = this.cachedMonths.get(month);
    if (!usage) {
      const row = this.first("SELECT committed, reserved FROM months WHERE month = ?", month);
      usage = { committed: Number(row?.committed ?? 0), reserved: Number(row?.reserved ?? 0) };
      this.cachedMonths.set(month, usage);
    }
    return { ...usage };
  }

  /** Moves units of a month between its counters: `committed` (charged) and `reserved` (admitted, not settled). */
  adjustMonth(month: string, committed: number, reserved: number): void {
    if (committed === 0 && reserved === 0) return;
    this.sql.exec(
      `INSERT INTO months (month, committed, reserved) VALUES (?, ?, ?)
       ON CONFLICT (month) DO UPDATE SET committed = committed + excluded.committed, reserved = reserved + excluded.reserved`,
      month,
      committed,
      reserved,
    );
    const usage = this.cachedMonths.get(month);
    if (usage)
      this.cachedMonths.set(month, { committed: usage.committed + committed, reserved: usage.reserved + reserved });
  }

  reserve(event: LedgerEvent, now: number): void {
    this.adjustMonth(event.month, 0, event.units);
    this.insertEvent(event, "pending", false, now, null);
  }

  /** Records a charge made at once (a cache hit, a leased isolate's usage line): committed units and event. */
  commit(event: LedgerEvent, cached: boolean, now: number, at = now): void {
    this.adjustMonth(event.month, event.units, 0);
    this.insertEvent(event, "committed", cached, at, now);
  }

  /** Writes a ledger line; the month's counters are the caller's business. */
  insertEvent(
    event: LedgerEvent,
    status: EventStatus,
    cached: boolean,
    createdAt: number,
    completedAt: number | null,
    reason: string | null = null,
  ): void {
    this.sql.exec(
      `INSERT INTO events (id, key_id, model, version, units, month, status, cached, requests, created_at, completed_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      event.id,
      event.keyId,
      event.model,
      event.version,
      event.units,
      event.month,
      status,
      cached ? 1 : 0,
      event.requests ?? 1,
      createdAt,
      completedAt,
      reason,
    );
  }

  event(id: string): PendingEvent | undefined {
    const row = this.first("SELECT id, units, month, status FROM events WHERE id = ?", id);
    return (
      row && {
        id: String(row.id),
        units: Number(row.units),
        month: String(row.month),
        status: String(row.status) as EventStatus,
      }
    );
  }

  /** Moves a pending event's units from reserved to committed (charged) or back out of the month (not charged). */
  settle(
    event: PendingEvent,
    status: "committed" | "released" | "unsettled",
    cached: boolean,
    reason: string | null,
    now: number,
  ): void {
    this.adjustMonth(event.month, status === "released" ? 0 : event.units, -event.units);
    this.sql.exec(
      "UPDATE events SET status = ?, cached = ?, completed_at = ?, reason = ? WHERE id = ?",
      status,
      cached ? 1 : 0,
      now,
      reason,
      event.id,
    );
  }

  /** Gives an unsettled charge back: its units leave the month's committed count. */
  refund(event: PendingEvent, reason: string, now: number): void {
    this.adjustMonth(event.month, -event.units, 0);
    this.sql.exec(
      "UPDATE events SET status = 'refunded', completed_at = ?, reason = ? WHERE id = ?",
      now,
      reason,
      event.id,
    );
  }

  /** Shrinks an unsettled charge by units reported late (they are charged on their own lines instead). */
  shrinkUnsettled(id: string, units: number): number {
    const event = this.event(id);
    if (event?.status !== "unsettled") return 0;
    const taken = Math.min(units, event.units);
    this.sql.exec("UPDATE events SET units = units - ? WHERE id = ?", taken, id);
    this.adjustMonth(event.month, -taken, 0);
    return taken;
  }

  unsettled(limit: number): UnsettledCharge[] {
    return this.sql
      .exec<Row>(
        "SELECT id, key_id, model, version, units, created_at, reason FROM events WHERE status = 'unsettled' ORDER BY created_at DESC, id LIMIT ?",
        limit,
      )
      .toArray()
      .map((row) => ({
        id: String(row.id),
        keyId: String(row.key_id),
        model: String(row.model),
        version: String(row.version),
        units: Number(row.units),
        createdAt: new Date(Number(row.created_at)).toISOString(),
        reason: row.reason == null ? "" : String(row.reason),
      }));
  }

  /** This month's unsettled units (charged, refundable). */
  unsettledUnits(month: string): number {
    return Number(
      this.first("SELECT COALESCE(SUM(units), 0) AS units FROM events WHERE status = 'unsettled' AND month = ?", month)
        ?.units ?? 0,
    );
  }

  pendingOlderThan(cutoff: number): PendingEvent[] {
    return this.sql
      .exec<Row>("SELECT id, units, month, status FROM events WHERE status = 'pending' AND created_at < ?", cutoff)
      .toArray()
      .map((row) => ({
        id: String(row.id),
        units: Number(row.units),
        month: String(row.month),
        status: "pending" as const,
      }));
  }

  oldestPending(): number | undefined {
    const row = this.first("SELECT MIN(created_at) AS oldest FROM events WHERE status = 'pending'");
    return row?.oldest == null ? undefined : Number(row.oldest);
  }

  idempotency(key: string): IdempotencyEntry | undefined {
    const row = this.first("SELECT * FROM idempotency WHERE key = ?", key);
    if (!row) return undefined;
    const entry: IdempotencyEntry = { fingerprint: String(row.fingerprint), eventId: String(row.event_id) };
    if (row.status != null) {
      const chunks = this.sql
        .exec<Row>("SELECT data FROM idempotency_chunks WHERE key = ? ORDER BY seq", key)
        .toArray();
      const body = new Uint8Array(chunks.reduce((n, c) => n + (c.data as ArrayBuffer).byteLength, 0));
      let offset = 0;
      for (const chunk of chunks) {
        body.set(new Uint8Array(chunk.data as ArrayBuffer), offset);
        offset += (chunk.data as ArrayBuffer).byteLength;
      }
      entry.response = {
        status: Number(row.status),
        headers: JSON.parse(String(row.headers)) as [string, string][],
        body: body.buffer,
      };
    }
    return entry;
  }

  insertIdempotency(key: string, fingerprint: string, eventId: string, now: number): void {
    this.sql.exec(
      "INSERT INTO idempotency (key, fingerprint, event_id, created_at) VALUES (?, ?, ?, ?)",
      key,
      fingerprint,
      eventId,
      now,
    );
  }

  storeIdempotentResponse(eventId: string, response: StoredResponse): void {
    const row = this.first("SELECT key FROM idempotency WHERE event_id = ?", eventId);
    if (!row) return;
    const key = String(row.key);
    this.sql.exec(
      "UPDATE idempotency SET status = ?, headers = ? WHERE key = ?",
      response.status,
      JSON.stringify(response.headers),
      key,
    );
    const bytes = new Uint8Array(response.body);
    for (let seq = 0, offset = 0; offset < bytes.byteLength || seq === 0; seq++, offset += CHUNK_BYTES) {
      this.sql.exec(
        "INSERT INTO idempotency_chunks (key, seq, data) VALUES (?, ?, ?)",
        key,
        seq,
        bytes.slice(offset, offset + CHUNK_BYTES).buffer,
      );
    }
  }

  /** Forgets the idempotency key of an event that was not charged, so that a retry runs again. */
  forgetIdempotency(eventId: string): void {
    const row = this.first("SELECT key FROM idempotency WHERE event_id = ?", eventId);
    if (!row) return;
    this.sql.exec("DELETE FROM idempotency_chunks WHERE key = ?", String(row.key));
    this.sql.exec("DELETE FROM idempotency WHERE key = ?", String(row.key));
  }

  expireIdempotency(cutoff: number): void {
    this.sql.exec(
      "DELETE FROM idempotency_chunks WHERE key IN (SELECT key FROM idempotency WHERE created_at < ?)",
      cutoff,
    );
    this.sql.exec("DELETE FROM idempotency WHERE created_at < ?", cutoff);
  }

  usage(query: UsageQuery): UsageRow[] {
    const bucketMs = query.granularity === "hour" ? 3_600_000 : 86_400_000;
    return this.sql
      .exec<Row>(
        `SELECT CAST(created_at / ? AS INTEGER) * ? AS start, model, version, key_id, SUM(requests) AS requests, SUM(units) AS units,
                SUM(CASE WHEN cached = 1 THEN requests ELSE 0 END) AS cached_requests,
                SUM(CASE WHEN cached = 1 THEN units ELSE 0 END) AS cached_units,
                SUM(CASE WHEN status = 'unsettled' THEN requests ELSE 0 END) AS unsettled_requests,
                SUM(CASE WHEN status = 'unsettled' THEN units ELSE 0 END) AS unsettled_units
         FROM events WHERE status IN ${CHARGED} AND created_at >= ? AND created_at < ?
         GROUP BY start, model, version, key_id ORDER BY start, model, version, key_id`,
        bucketMs,
        bucketMs,
        query.from,
        query.to,
      )
      .toArray()
      .map((row) => ({
        start: new Date(Number(row.start)).toISOString(),
        model: String(row.model),
        version: String(row.version),
        keyId: String(row.key_id),
        requests: Number(row.requests),
        units: Number(row.units),
        cachedRequests: Number(row.cached_requests),
        cachedUnits: Number(row.cached_units),
        unsettledRequests: Number(row.unsettled_requests),
        unsettledUnits: Number(row.unsettled_units),
      }));
  }

  private cachedTenantId?: string;

  private tenantId(): string {
    this.cachedTenantId ??= this.first("SELECT id FROM tenant LIMIT 1")?.id as string | undefined;
    return this.cachedTenantId ?? "";
  }

  private first(query: string, ...bindings: SqlStorageValue[]): Row | undefined {
    return this.sql.exec<Row>(query, ...bindings).toArray()[0];
  }

  private keyRecord(row: Row): StoredKey {
    const iso = (v: SqlStorageValue | undefined) => (v == null ? null : new Date(Number(v)).toISOString());
    return {
      id: String(row.id),
      tenantId: this.tenantId(),
      name: String(row.name),
      prefix: String(row.prefix),
      scopes: JSON.parse(String(row.scopes)) as string[],
      allowedOrigins: row.allowed_origins == null ? null : (JSON.parse(String(row.allowed_origins)) as string[]),
      createdAt: iso(row.created_at)!,
      expiresAt: iso(row.expires_at),
      revokedAt: iso(row.revoked_at),
      lastUsedAt: iso(row.last_used_at),
      requestsPerMinute: row.rpm == null ? null : Number(row.rpm),
      expiresAtMs: row.expires_at == null ? null : Number(row.expires_at),
      revoked: row.revoked_at != null,
      lastUsedMs: row.last_used_at == null ? null : Number(row.last_used_at),
    };
  }
}

function publicKey(key: KeyRecord): KeyRecord {
  const { id, tenantId, name, prefix, scopes, allowedOrigins, createdAt, expiresAt, revokedAt, lastUsedAt } = key;
  const { requestsPerMinute } = key;
  return {
    id,
    tenantId,
    name,
    prefix,
    scopes,
    allowedOrigins,
    createdAt,
    expiresAt,
    revokedAt,
    lastUsedAt,
    requestsPerMinute,
  };
}
