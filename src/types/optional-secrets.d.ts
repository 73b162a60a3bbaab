// Secrets set only some of the time, so not in .dev.vars.example (which `wrangler types` reads, and whose names
// `wrangler types --check` compares with a developer's .dev.vars): typed here as optional.
declare namespace Cloudflare {
  interface Env {
    /** A second admin token, accepted only while the admin token is being rotated (docs/api.md). */
    ADMIN_TOKEN_NEXT?: string;
  }
}
