/**
 * The Worker-side face of tenancy: resolves keys to tenants (KV, then the directory), meters requests (see
 * admission.ts) and carries out operators' changes on the tenant's Durable Object. Every call to an object goes
 * through `durableStubs`; the calls a response waits for are counted (`blockingCalls`).
 */
import { AppError } from "../errors";
import { Admissions, type Caller } from "./admission";
import type { DirectoryTenant } from "./directory-object";
import { generateKey, hashKey, isWellFormedKey, randomId } from "./keys";
import type { UnsettledCharge, UsageQuery, UsageReport } from "./metering-types";
import { rejectionError } from "./rejection";
import type { KeyInput, KeyPatch, KeyRecord, Tenant, TenantInput, TenantPatch } from "./schemas";
import { type DurableStubs, durableStubs } from "./stubs";

export type { Admission, Caller, Charged } from "./admission";

const KV_PREFIX = "keyhash:";

/** Key hash -> tenant id. The mapping never changes once written, so an isolate may keep it (bounded). */
const owners = new Map<string, string>();
const MAX_REMEMBERED_OWNERS = 10_000;

function remember(keyHash: string, tenantId: string): void {
  if (owners.size >= MAX_REMEMBERED_OWNERS) owners.delete(owners.keys().next().value!);
  owners.set(keyHash, tenantId);
}

export class Tenancy {
  /** Durable Object calls this request has waited for so far (its own, or another request's lease call). */
  blockingCalls = 0;
  readonly meter: Admissions;
  private readonly stubs: DurableStubs;

  /** @param doDelayMillis `DO_DELAY_MS`: added to every Durable Object call (benchmarks and tests only) */
  constructor(
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    doDelayMillis = 0,
  ) {
    this.stubs = durableStubs(env, doDelayMillis, () => this.blockingCalls++);
    this.meter = new Admissions(this.stubs, durableStubs(env, doDelayMillis), waitUntil, () => this.blockingCalls++);
  }

  /**
   * Cheap checks first: the key's shape, then its hash in this isolate's memory, in KV, then the directory.
   * @param origin  the request's `Origin` header (`null`: none), checked with the key wherever the key is
   */
  async identify(token: string | undefined, origin: string | null): Promise<Caller> {
    if (token === undefined) throw new AppError("missing_key", "send your API key as 'Authorization: Bearer <key>'");
    if (!isWellFormedKey(token))
      throw new AppError(
        "malformed_key",
        "the API key is malformed (expected 'emk_live_' followed by 43 base64url characters)",
      );
    const keyHash = await hashKey(token);
    const known = owners.get(keyHash);
    if (known) return { tenantId: known, keyHash, origin };
    const cached = await this.env.KEYS.get<{ tenantId: string }>(KV_PREFIX + keyHash, { type: "json", cacheTtl: 3600 });
    const tenantId = cached?.tenantId ?? (await this.directory().tenantOfKeyHash(keyHash));
    if (!tenantId) throw new AppError("unknown_key", "the API key is not valid");
    if (!cached) this.waitUntil(this.env.KEYS.put(KV_PREFIX + keyHash, JSON.stringify({ tenantId })));
    remember(keyHash, tenantId);
    return { tenantId, keyHash, origin };
  }

  async authorize(
    caller: Caller,
    scope: string,
    model?: string,
  ): Promise<{ keyId: string; tenantId: string; scopes: string[] }> {
    const result = await this.tenant(caller.tenantId).authorize(caller.keyHash, {
      scope,
      model,
      origin: caller.origin,
    });
    if (result.kind === "rejected") throw rejectionError(result);
    return result;
  }

  async usage(tenantId: string, query: UsageQuery): Promise<UsageReport> {
    const report = (await this.exists(tenantId)) ? await this.tenant(tenantId).usage(query) : undefined;
    if (!report) throw new AppError("tenant_not_found", `no tenant '${tenantId}'`);
    return report;
  }

  async createTenant(input: TenantInput): Promise<Tenant> {
    const id = randomId("ten");
    const tenant = await this.tenant(id).setup(id, input.name, input.limits, input.metering);
    await this.directory().registerTenant(id, input.name);
    return tenant;
  }

  async listTenants(): Promise<DirectoryTenant[]> {
    return this.directory().tenants();
  }

  async getTenant(id: string): Promise<Tenant> {
    const tenant = (await this.exists(id)) ? await this.tenant(id).tenant() : undefined;
    if (!tenant) throw new AppError("tenant_not_found", `no tenant '${id}'`);
    return tenant;
  }

  async updateTenant(id: string, patch: TenantPatch): Promise<Tenant> {
    await this.getTenant(id);
    const tenant = (await this.tenant(id).update(patch))!;
    if (patch.name) await this.directory().registerTenant(id, patch.name);
    return tenant;
  }

  async createKey(tenantId: string, input: KeyInput): Promise<KeyRecord & { key: string }> {
    await this.getTenant(tenantId);
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
    const { plaintext, hash, displayPrefix } = await generateKey();
    const id = randomId("key");
    const record = await this.tenant(tenantId).addKey({
      id,
      hash,
      prefix: displayPrefix,
      name: input.name,
      scopes: input.scopes,
      expiresAt,
      requestsPerMinute: input.requestsPerMinute ?? null,
      allowedOrigins: input.allowedOrigins ?? null,
    });
    await this.publishKey(hash, id, tenantId);
    return { ...record, key: plaintext };
  }

  /** Changes a key's name, scopes, expiry or own rate limit (exact: next request; leased: within the lease TTL). */
  async updateKey(keyId: string, patch: KeyPatch): Promise<KeyRecord> {
    const tenantId = await this.directory().tenantOfKeyId(keyId);
    const change = {
      ...patch,
      expiresAt:
        patch.expiresAt === undefined ? undefined : patch.expiresAt === null ? null : Date.parse(patch.expiresAt),
    };
    const record = tenantId ? await this.tenant(tenantId).updateKey(keyId, change) : undefined;
    if (!record) throw new AppError("key_not_found", `no active key '${keyId}'`);
    return record;
  }

  /**
   * A new secret for a key: a new key with the same name, scopes, expiry, rate limit and origins, shown once, while the old
   * secret keeps working for `gracePeriodSeconds` (then it expires; 0 revokes it at once).
   */
  async rotateKey(
    keyId: string,
    gracePeriodSeconds: number,
  ): Promise<KeyRecord & { key: string; previous: KeyRecord }> {
    const tenantId = await this.directory().tenantOfKeyId(keyId);
    const { plaintext, hash, displayPrefix } = await generateKey();
    const id = randomId("key");
    const rotated = tenantId
      ? await this.tenant(tenantId).rotateKey(
          keyId,
          { id, hash, prefix: displayPrefix },
          Date.now() + gracePeriodSeconds * 1000,
        )
      : undefined;
    if (!rotated) throw new AppError("key_not_found", `no active key '${keyId}'`);
    await this.publishKey(hash, id, tenantId!);
    return { ...rotated.key, key: plaintext, previous: rotated.previous };
  }

  /** Deletes a tenant: its keys are refused from the next request on; the answer carries its whole ledger. */
  async deleteTenant(id: string): Promise<{ tenant: Tenant; keys: KeyRecord[]; usage: UsageReport }> {
    const deleted = (await this.exists(id)) ? await this.tenant(id).deleteTenant() : undefined;
    if (!deleted) throw new AppError("tenant_not_found", `no tenant '${id}'`);
    await this.directory().removeTenant(id);
    return deleted;
  }

  /** Makes a new key's hash resolve to its tenant: the directory, then KV (the edge's cache of it). */
  private async publishKey(hash: string, keyId: string, tenantId: string): Promise<void> {
    await this.directory().registerKey(hash, keyId, tenantId);
    await this.env.KEYS.put(KV_PREFIX + hash, JSON.stringify({ tenantId }));
  }

  async listKeys(tenantId: string): Promise<KeyRecord[]> {
    await this.getTenant(tenantId);
    return this.tenant(tenantId).keys();
  }

  /** Changes a key's name, scopes or allowed origins (exact metering: the next request; leased: within 1 s). */
  async revokeKey(keyId: string): Promise<KeyRecord> {
    const tenantId = await this.directory().tenantOfKeyId(keyId);
    const record = tenantId ? await this.tenant(tenantId).revokeKey(keyId) : undefined;
    if (!record) throw new AppError("key_not_found", `no key '${keyId}'`);
    return record;
  }

  private async exists(id: string): Promise<boolean> {
    return /^ten_[0-9a-f]{32}$/.test(id);
  }

  /** Charges made because their settlement never arrived, newest first. */
  async unsettled(tenantId: string): Promise<UnsettledCharge[]> {
    await this.getTenant(tenantId);
    return this.tenant(tenantId).unsettled();
  }

  /** Gives an unsettled charge back to the tenant's quota. */
  async refund(tenantId: string, eventId: string, reason: string): Promise<void> {
    await this.getTenant(tenantId);
    const { found, refunded } = await this.tenant(tenantId).refund(eventId, reason);
    if (!found) throw new AppError("not_found", `no charge '${eventId}' for tenant '${tenantId}'`);
    if (!refunded) throw new AppError("conflict", `the charge '${eventId}' is not unsettled: only those are refunded`);
  }

  private tenant(id: string) {
    return this.stubs.tenant(id);
  }

  private directory() {
    return this.stubs.directory();
  }
}
