/**
 * The operator's routes (`/admin/*`, under the admin token): models (manifests, versions, assets, aliases), the
 * answering isolate's runtime, tenants, their keys and usage.
 */
import type { components, paths } from "./generated/openapi";
import { type CallOptions, type RawClient, unwrap } from "./transport";
import { type Progress, uploadBody } from "./upload";

type Schemas = components["schemas"];
export type ManifestInput = Schemas["ManifestInput"];
export type TenantInput = Schemas["TenantInput"];
export type TenantPatch = Schemas["TenantPatch"];
export type KeyInput = Schemas["KeyInput"];
export type KeyPatch = Schemas["KeyPatch"];
export type KeyRotation = Schemas["KeyRotation"];
export type AdminUsageQuery = NonNullable<paths["/admin/tenants/{id}/usage"]["get"]["parameters"]["query"]>;

export type UploadOptions = CallOptions & {
  /** Whether the `default` alias moves to this version (default true). */
  makeDefault?: boolean;
  /** Told how much of the file has gone (Node and Workers; see ./upload.ts). */
  onProgress?: Progress;
};

const bytes = (body: unknown) => body;

/** The options of a raw-bytes upload (`makeDefault` belongs to versions only). */
function octetStream(file: Uint8Array, options: UploadOptions) {
  const { onProgress, makeDefault: _, ...call } = options;
  const { body, duplex } = uploadBody(file, onProgress);
  return {
    ...call,
    ...(duplex ? { duplex } : {}),
    headers: { ...call.headers, "Content-Type": "application/octet-stream" },
    body: body as never,
    bodySerializer: bytes,
  };
}

export function adminApi(raw: RawClient) {
  const model = (name: string) => ({ path: { model: name } });
  const tenant = (id: string) => ({ path: { id } });
  return {
    models: {
      /** `GET /admin/models`. */
      list: (options?: CallOptions) => unwrap(raw.GET("/admin/models", options)),
      /** `GET /admin/models/{model}`: the manifest. */
      get: (name: string, options?: CallOptions) =>
        unwrap(raw.GET("/admin/models/{model}", { ...options, params: model(name) })),
      /** `PUT /admin/models/{model}`: creates or replaces the manifest's descriptive fields. */
      put: (name: string, manifest: ManifestInput, options?: CallOptions) =>
        unwrap(raw.PUT("/admin/models/{model}", { ...options, params: model(name), body: manifest })),
      /** `DELETE /admin/models/{model}`: the model and all its weights. */
      delete: (name: string, options?: CallOptions) =>
        unwrap(raw.DELETE("/admin/models/{model}", { ...options, params: model(name) })),
      /**
       * `PUT /admin/models/{model}/versions/{version}`: an ONNX file's bytes.
       *
       * @example await client.admin.models.uploadVersion("my-model", "2", bytes, { onProgress: (sent, total) => bar.update(sent) })
       */
      uploadVersion: (name: string, version: string, file: Uint8Array, options: UploadOptions = {}) => {
        const { onProgress, makeDefault, ...call } = options;
        const { body, duplex } = uploadBody(file, onProgress);
        return unwrap(
          raw.PUT("/admin/models/{model}/versions/{version}", {
            ...call,
            ...(duplex ? { duplex } : {}),
            params: { path: { model: name, version }, query: makeDefault === false ? { default: "false" } : {} },
            headers: { ...call.headers, "Content-Type": "application/octet-stream" },
            body: body as never,
            bodySerializer: bytes,
          }),
        );
      },
      /** `DELETE /admin/models/{model}/versions/{version}`. */
      deleteVersion: (name: string, version: string, options?: CallOptions) =>
        unwrap(
          raw.DELETE("/admin/models/{model}/versions/{version}", {
            ...options,
            params: { path: { model: name, version } },
          }),
        ),
      /** `PUT /admin/models/{model}/assets/{name}`: a tokenizer, a vocabulary... (before the version that needs it). */
      uploadAsset: (name: string, asset: string, file: Uint8Array, options: UploadOptions = {}) =>
        unwrap(
          raw.PUT("/admin/models/{model}/assets/{name}", {
            ...octetStream(file, options),
            params: { path: { model: name, name: asset } },
          }),
        ),
      /**
       * `PUT /admin/models/{model}/versions/{version}/optimized`: the version's graph optimized ahead of time by
       * onnxruntime-node at `level` (`basic` when absent); its sessions are then created from it with optimizations off.
       */
      uploadOptimized: (
        name: string,
        version: string,
        file: Uint8Array,
        level?: "basic" | "extended",
        options: UploadOptions = {},
      ) =>
        unwrap(
          raw.PUT("/admin/models/{model}/versions/{version}/optimized", {
            ...octetStream(file, options),
            params: { path: { model: name, version }, query: level ? { level } : {} },
          }),
        ),
      /** `DELETE /admin/models/{model}/versions/{version}/optimized`: sessions come from the uploaded graph again. */
      deleteOptimized: (name: string, version: string, options?: CallOptions) =>
        unwrap(
          raw.DELETE("/admin/models/{model}/versions/{version}/optimized", {
            ...options,
            params: { path: { model: name, version } },
          }),
        ),
      /** `PUT /admin/models/{model}/aliases/{alias}`: points an alias at a version. */
      setAlias: (name: string, alias: string, version: string, options?: CallOptions) =>
        unwrap(
          raw.PUT("/admin/models/{model}/aliases/{alias}", {
            ...options,
            params: { path: { model: name, alias } },
            body: { version },
          }),
        ),
      /** `DELETE /admin/models/{model}/aliases/{alias}`: any alias but `default`. */
      deleteAlias: (name: string, alias: string, options?: CallOptions) =>
        unwrap(
          raw.DELETE("/admin/models/{model}/aliases/{alias}", { ...options, params: { path: { model: name, alias } } }),
        ),
      /** `DELETE /admin/models/{model}/assets/{name}`: versions that pinned it keep it. */
      deleteAsset: (name: string, asset: string, options?: CallOptions) =>
        unwrap(
          raw.DELETE("/admin/models/{model}/assets/{name}", {
            ...options,
            params: { path: { model: name, name: asset } },
          }),
        ),
      /** `POST /admin/models/{model}/versions/{version}/profile`: times `session.run` alone for an OIP body. */
      profile: (
        name: string,
        version: string,
        body: Schemas["InferRequest"],
        options: CallOptions & { iterations?: number } = {},
      ) => {
        const { iterations, ...call } = options;
        return unwrap(
          raw.POST("/admin/models/{model}/versions/{version}/profile", {
            ...call,
            params: { path: { model: name, version }, query: iterations === undefined ? {} : { iterations } } as never,
            body,
          }),
        );
      },
    },

    runtime: {
      /** `GET /admin/runtime`: the answering isolate's sessions and WASM heap. */
      get: (options?: CallOptions) => unwrap(raw.GET("/admin/runtime", options)),
      /** `DELETE /admin/runtime/sessions`: releases the answering isolate's sessions. */
      clearSessions: (options?: CallOptions) => unwrap(raw.DELETE("/admin/runtime/sessions", options)),
    },

    tenants: {
      /** `POST /admin/tenants`. */
      create: (input: TenantInput, options?: CallOptions) =>
        unwrap(raw.POST("/admin/tenants", { ...options, body: input })),
      /** `GET /admin/tenants`. */
      list: (options?: CallOptions) => unwrap(raw.GET("/admin/tenants", options)),
      /** `GET /admin/tenants/{id}`. */
      get: (id: string, options?: CallOptions) =>
        unwrap(raw.GET("/admin/tenants/{id}", { ...options, params: tenant(id) })),
      /** `PATCH /admin/tenants/{id}`: name, limits, metering mode. */
      update: (id: string, patch: TenantPatch, options?: CallOptions) =>
        unwrap(raw.PATCH("/admin/tenants/{id}", { ...options, params: tenant(id), body: patch })),
      /** `DELETE /admin/tenants/{id}`: revokes its keys; the answer holds its whole usage ledger. */
      delete: (id: string, options?: CallOptions) =>
        unwrap(raw.DELETE("/admin/tenants/{id}", { ...options, params: tenant(id) })),
      /** `GET /admin/tenants/{id}/usage`. */
      usage: (id: string, query: AdminUsageQuery = {}, options?: CallOptions) =>
        unwrap(raw.GET("/admin/tenants/{id}/usage", { ...options, params: { path: { id }, query } })),
      /** `GET /admin/tenants/{id}/unsettled`: charges whose settlement never arrived. */
      unsettled: (id: string, options?: CallOptions) =>
        unwrap(raw.GET("/admin/tenants/{id}/unsettled", { ...options, params: tenant(id) })),
      /** `POST /admin/tenants/{id}/refunds`: gives an unsettled charge back. */
      refund: (id: string, body: Schemas["RefundInput"], options?: CallOptions) =>
        unwrap(raw.POST("/admin/tenants/{id}/refunds", { ...options, params: tenant(id), body })),
    },

    keys: {
      /** `POST /admin/tenants/{id}/keys`: the answer holds the key's plaintext, once. */
      create: (tenantId: string, input: KeyInput, options?: CallOptions) =>
        unwrap(raw.POST("/admin/tenants/{id}/keys", { ...options, params: tenant(tenantId), body: input })),
      /** `GET /admin/tenants/{id}/keys`. */
      list: (tenantId: string, options?: CallOptions) =>
        unwrap(raw.GET("/admin/tenants/{id}/keys", { ...options, params: tenant(tenantId) })),
      /** `PATCH /admin/keys/{keyId}`: name, scopes, expiry, the key's own rate limit. */
      update: (keyId: string, patch: KeyPatch, options?: CallOptions) =>
        unwrap(raw.PATCH("/admin/keys/{keyId}", { ...options, params: { path: { keyId } }, body: patch })),
      /** `POST /admin/keys/{keyId}/rotate`: a new secret (in the answer, once); the old one works for the grace period. */
      rotate: (keyId: string, rotation: KeyRotation = {}, options?: CallOptions) =>
        unwrap(raw.POST("/admin/keys/{keyId}/rotate", { ...options, params: { path: { keyId } }, body: rotation })),
      /** `DELETE /admin/keys/{keyId}`: revokes the key. */
      revoke: (keyId: string, options?: CallOptions) =>
        unwrap(raw.DELETE("/admin/keys/{keyId}", { ...options, params: { path: { keyId } } })),
    },
  };
}
