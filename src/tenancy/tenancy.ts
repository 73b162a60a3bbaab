/**
 * The Worker-side face of tenancy: resolves keys to tenants (KV, then the directory), and talks to the tenant's
 * Durable Object. Rejections come back as data and are turned into `AppError`s here, the one place that knows
 * how a tenancy rejection reads over HTTP.
 */
import { AppError, type ErrorCode } from "../errors";
import type { DirectoryTenant } from "./directory-object";
import { generateKey, hashKey, isWellFormedKey, randomId } from "./keys";
import type {
  BeginRequest,
  ChargeRequest,
  Outcome,
  QuotaState,
  RateLimitState,
  Rejection,
  UsageQuery,
  UsageReport,
} from "./metering-types";
import type { KeyInput, KeyRecord, Tenant, TenantInput, TenantPatch } from "./schemas";

/** An API key that exists, before its status (revoked, expired, scopes) is checked by the tenant's object. */
export interface Caller {
  tenantId: string;
  keyHash: string;
}

export interface Admission {
  tenantId: string;
  eventId: string;
  keyId: string;
  units: number;
  headers: Record<string, string>;
}

const KV_PREFIX = "keyhash:";

/** Key hash -> tenant id. The mapping never changes once written, so an isolate may keep it (bounded). */
const owners = new Map<string, string>();
const MAX_REMEMBERED_OWNERS = 10_000;

function remember(keyHash: string, tenantId: string): void {
  if (owners.size >= MAX_REMEMBERED_OWNERS) owners.delete(owners.keys().next().value!);
  owners.set(keyHash, tenantId);
}

export class Tenancy {
  constructor(
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /** Cheap checks first: the key's shape, then its hash in this isolate's memory, in KV, then the directory. */
  async identify(token: string | undefined): Promise<Caller> {
    if (token === undefined) throw new AppError("missing_key", "send your API key as 'Authorization: Bearer <key>'");
    if (!isWellFormedKey(token))
      throw new AppError(
        "malformed_key",
        "the API key is malformed (expected 'emk_live_' followed by 43 base64url characters)",
      );
    const keyHash = await hashKey(token);
    const known = owners.get(keyHash);
    if (known) return { tenantId: known, keyHash };
    const cached = await this.env.KEYS.get<{ tenantId: string }>(KV_PREFIX + keyHash, { type: "json", cacheTtl: 3600 });
    const tenantId = cached?.tenantId ?? (await this.directory().tenantOfKeyHash(keyHash));
    if (!tenantId) throw new AppError("unknown_key", "the API key is not valid");
    if (!cached) this.waitUntil(this.env.KEYS.put(KV_PREFIX + keyHash, JSON.stringify({ tenantId })));
    remember(keyHash, tenantId);
    return { tenantId, keyHash };
  }

  async authorize(
    caller: Caller,
    scope: string,
    model?: string,
  ): Promise<{ keyId: string; tenantId: string; scopes: string[] }> {
    const result = await this.tenant(caller.tenantId).authorize(caller.keyHash, scope, model);
    if (result.kind === "rejected") throw rejectionError(result);
    return result;
  }

  /** Admits a metered request, or returns a stored response for an idempotent replay. */
  async begin(
    caller: Caller,
    request: Omit<BeginRequest, "keyHash">,
  ): Promise<{ admission: Admission } | { replay: Response }> {
    const result = await this.tenant(caller.tenantId).begin({ ...request, keyHash: caller.keyHash });
    if (result.kind === "rejected") throw rejectionError(result);
    if (result.kind === "replay") {
      const headers = new Headers(result.response.headers);
      headers.set("Idempotent-Replayed", "true");
      return { replay: new Response(result.response.body, { status: result.response.status, headers }) };
    }
    return {
      admission: {
        tenantId: caller.tenantId,
        eventId: result.eventId,
        keyId: result.keyId,
        units: result.units,
        headers: chargeHeaders(result),
      },
    };
  }

  /** Admits and charges a request answered from the response cache, in one call; returns the response headers. */
  async chargeCached(caller: Caller, request: Omit<ChargeRequest, "keyHash">): Promise<Record<string, string>> {
    const result = await this.tenant(caller.tenantId).chargeCached({ ...request, keyHash: caller.keyHash });
    if (result.kind === "rejected") throw rejectionError(result);
    return chargeHeaders(result);
  }

  async complete(admission: Admission, outcome: Outcome): Promise<void> {
    await this.tenant(admission.tenantId).complete(admission.eventId, outcome);
  }

  async usage(tenantId: string, query: UsageQuery): Promise<UsageReport> {
    const report = (await this.exists(tenantId)) ? await this.tenant(tenantId).usage(query) : undefined;
    if (!report) throw new AppError("tenant_not_found", `no tenant '${tenantId}'`);
    return report;
  }

  async createTenant(input: TenantInput): Promise<Tenant> {
    const id = randomId("ten");
    const tenant = await this.tenant(id).setup(id, input.name, input.limits);
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
    });
    await this.directory().registerKey(hash, id, tenantId);
    await this.env.KEYS.put(KV_PREFIX + hash, JSON.stringify({ tenantId }));
    return { ...record, key: plaintext };
  }

  async listKeys(tenantId: string): Promise<KeyRecord[]> {
    await this.getTenant(tenantId);
    return this.tenant(tenantId).keys();
  }

  async revokeKey(keyId: string): Promise<KeyRecord> {
    const tenantId = await this.directory().tenantOfKeyId(keyId);
    const record = tenantId ? await this.tenant(tenantId).revokeKey(keyId) : undefined;
    if (!record) throw new AppError("key_not_found", `no key '${keyId}'`);
    return record;
  }

  private async exists(id: string): Promise<boolean> {
    return /^ten_[0-9a-f]{32}$/.test(id);
  }

  private tenant(id: string) {
    return this.env.TENANTS.get(this.env.TENANTS.idFromName(id));
  }

  private directory() {
    return this.env.DIRECTORY.get(this.env.DIRECTORY.idFromName("directory"));
  }
}

function rejectionError(rejection: Rejection): AppError {
  const headers = {
    ...(rejection.rateLimit ? rateLimitHeaders(rejection.rateLimit) : {}),
    ...(rejection.quota ? quotaHeaders(rejection.quota) : {}),
  };
  return new AppError(rejection.code satisfies ErrorCode, rejection.message, {
    retryAfterSeconds: rejection.retryAfterSeconds,
    headers,
  });
}

function chargeHeaders(result: {
  rateLimit: RateLimitState;
  quota: QuotaState;
  units: number;
}): Record<string, string> {
  return { ...rateLimitHeaders(result.rateLimit), ...quotaHeaders(result.quota), "X-Units": String(result.units) };
}

function rateLimitHeaders(state: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    "RateLimit-Limit": String(state.limit),
    "RateLimit-Remaining": String(state.remaining),
    "RateLimit-Reset": String(state.resetSeconds),
  };
}

function quotaHeaders(state: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    "X-Quota-Limit": String(state.limit),
    "X-Quota-Remaining": String(state.remaining),
    "X-Quota-Reset": String(state.resetSeconds),
  };
}
