/**
 * The one global Durable Object that knows which tenants exist and which tenant a key (by hash) or key id
 * belongs to. Its entries never change once written; KV caches the key-hash mapping at the edge, and this
 * object answers when KV has not seen a new key yet (KV is eventually consistent for up to a minute).
 */
import { DurableObject } from "cloudflare:workers";

export interface DirectoryTenant {
  id: string;
  name: string;
  createdAt: string;
}

export class DirectoryObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS keys (hash TEXT PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL);
    `);
  }

  registerTenant(id: string, name: string): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
      id,
      name,
      Date.now(),
    );
  }

  /** Drops a deleted tenant from the listing; its keys' rows stay, so they still resolve (and are refused). */
  removeTenant(id: string): void {
    this.ctx.storage.sql.exec("DELETE FROM tenants WHERE id = ?", id);
  }

  tenants(): DirectoryTenant[] {
    return this.ctx.storage.sql
      .exec<{ id: string; name: string; created_at: number }>(
        "SELECT id, name, created_at FROM tenants ORDER BY created_at, id",
      )
      .toArray()
      .map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.created_at).toISOString() }));
  }

  registerKey(hash: string, keyId: string, tenantId: string): void {
    this.ctx.storage.sql.exec("INSERT INTO keys (hash, key_id, tenant_id) VALUES (?, ?, ?)", hash, keyId, tenantId);
  }

  tenantOfKeyHash(hash: string): string | undefined {
    return this.ctx.storage.sql
      .exec<{ tenant_id: string }>("SELECT tenant_id FROM keys WHERE hash = ?", hash)
      .toArray()[0]?.tenant_id;
  }

  tenantOfKeyId(keyId: string): string | undefined {
    return this.ctx.storage.sql
      .exec<{ tenant_id: string }>("SELECT tenant_id FROM keys WHERE key_id = ?", keyId)
      .toArray()[0]?.tenant_id;
  }
}
