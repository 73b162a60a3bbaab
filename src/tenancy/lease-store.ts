/**
 * The SQL behind leases (blocks of quota and rate tokens an isolate admits requests from) and the ids of the usage
 * batches already applied. Synchronous, like TenantStore, whose months' counters the lease ledger moves.
 */

export type LeaseStatus = "active" | "closed" | "unsettled";

export interface Lease {
  id: string;
  holder: string;
  month: string;
  units: number;
  tokens: number;
  usedUnits: number;
  usedRequests: number;
  grantedAt: number;
  expiresAt: number;
  status: LeaseStatus;
}

type Row = Record<string, SqlStorageValue>;

export class LeaseStore {
  constructor(private readonly sql: SqlStorage) {}

  insert(lease: Omit<Lease, "usedUnits" | "usedRequests" | "status">): void {
    this.sql.exec(
      "INSERT INTO leases (id, holder, month, units, tokens, granted_at, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'active')",
      lease.id,
      lease.holder,
      lease.month,
      lease.units,
      lease.tokens,
      lease.grantedAt,
      lease.expiresAt,
    );
  }

  get(id: string): Lease | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM leases WHERE id = ?", id).toArray()[0];
    return row && lease(row);
  }

  /** Records usage reported under a lease. */
  addUsage(id: string, units: number, requests: number): void {
    this.sql.exec(
      "UPDATE leases SET used_units = used_units + ?, used_requests = used_requests + ? WHERE id = ?",
      units,
      requests,
      id,
    );
  }

  /** Takes units and tokens its holder handed back out of a lease. */
  shrink(id: string, units: number, tokens: number): void {
    this.sql.exec("UPDATE leases SET units = units - ?, tokens = tokens - ? WHERE id = ?", units, tokens, id);
  }

  end(id: string, status: Exclude<LeaseStatus, "active">, now: number): void {
    this.sql.exec("UPDATE leases SET status = ?, closed_at = ? WHERE id = ?", status, now, id);
  }

  activeExpiredBefore(cutoff: number): Lease[] {
    return this.sql
      .exec<Row>("SELECT * FROM leases WHERE status = 'active' AND expires_at < ?", cutoff)
      .toArray()
      .map(lease);
  }

  earliestActiveExpiry(): number | undefined {
    const row = this.sql
      .exec<Row>("SELECT MIN(expires_at) AS earliest FROM leases WHERE status = 'active'")
      .toArray()[0];
    return row?.earliest == null ? undefined : Number(row.earliest);
  }

  /** Units of a month held in active leases and not reported used. */
  leasedUnits(month: string): number {
    const row = this.sql
      .exec<Row>(
        "SELECT COALESCE(SUM(units - used_units), 0) AS units FROM leases WHERE status = 'active' AND month = ?",
        month,
      )
      .toArray()[0];
    return Number(row?.units ?? 0);
  }

  /** Records a batch id; false when it was recorded before (the batch was already applied). */
  firstSight(batchId: string, leaseId: string, now: number): boolean {
    const seen = this.sql.exec<Row>("SELECT 1 FROM lease_batches WHERE id = ?", batchId).toArray().length > 0;
    if (!seen)
      this.sql.exec("INSERT INTO lease_batches (id, lease_id, received_at) VALUES (?, ?, ?)", batchId, leaseId, now);
    return !seen;
  }

  /** Forgets batch ids and ended leases older than `cutoff` (a batch retried after that would count again). */
  forgetBefore(cutoff: number): void {
    this.sql.exec("DELETE FROM lease_batches WHERE received_at < ?", cutoff);
    this.sql.exec("DELETE FROM leases WHERE status != 'active' AND expires_at < ?", cutoff);
  }
}

function lease(row: Row): Lease {
  return {
    id: String(row.id),
    holder: String(row.holder),
    month: String(row.month),
    units: Number(row.units),
    tokens: Number(row.tokens),
    usedUnits: Number(row.used_units),
    usedRequests: Number(row.used_requests),
    grantedAt: Number(row.granted_at),
    expiresAt: Number(row.expires_at),
    status: String(row.status) as LeaseStatus,
  };
}
