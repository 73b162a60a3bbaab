/**
 * The web origins an API key may be used from (`allowedOrigins`): exact origins (`https://shop.example`,
 * `http://localhost:5173`) and subdomain wildcards (`https://*.shop.example`, any depth, never the apex itself).
 * Entries are compared with the request's `Origin` header as browsers serialize it (RFC 6454 §6.1: scheme, host
 * and port, lowercase, no path), so they are checked to be in that form when they are set.
 */

/** Entries one key may carry. */
export const MAX_ALLOWED_ORIGINS = 32;

const HOST_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const PORT = "(?::[1-9][0-9]{0,4})?";
/** `https://*.` and at least two labels (a wildcard over a whole top-level domain is refused). */
const WILDCARD = new RegExp(`^https://\\*\\.(${HOST_LABEL}(?:\\.${HOST_LABEL})+${PORT})$`);
const SUBDOMAIN = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/**
 * Why `entry` cannot be an allowed origin, or `undefined` when it can.
 *
 * @example
 * originEntryProblem("https://shop.example/") // "…is not an origin: no path or trailing slash…"
 */
export function originEntryProblem(entry: string): string | undefined {
  if (entry.length > 300) return "is longer than 300 characters";
  if (entry.startsWith("https://*.")) {
    return WILDCARD.test(entry)
      ? undefined
      : "is not a wildcard origin: write 'https://*.' followed by a lowercase domain of two labels or more";
  }
  if (entry.includes("*")) return "may use '*' only as 'https://*.' followed by a domain";
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return "is not an origin such as 'https://shop.example'";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must start with 'https://' or 'http://'";
  if (url.origin !== entry)
    return `is not an origin as browsers send it (no path or trailing slash, lowercase host): '${url.origin}'`;
  return undefined;
}

/**
 * Whether a request's `Origin` header value is one of `allowed`. A missing Origin (`null`), and the opaque origin
 * browsers send as the string `null` (sandboxed frames, `file:` pages), match nothing.
 *
 * @example
 * originAllowed("https://eu.shop.example", ["https://*.shop.example"]) // true
 * originAllowed("https://shop.example", ["https://*.shop.example"])    // false: the apex is its own entry
 */
export function originAllowed(origin: string | null, allowed: readonly string[]): boolean {
  if (origin === null || origin === "null") return false;
  for (const entry of allowed) {
    if (entry === origin) return true;
    const wildcard = WILDCARD.exec(entry);
    if (!wildcard || !origin.startsWith("https://")) continue;
    const host = origin.slice("https://".length);
    const suffix = `.${wildcard[1]}`;
    if (host.endsWith(suffix) && SUBDOMAIN.test(host.slice(0, -suffix.length))) return true;
  }
  return false;
}
