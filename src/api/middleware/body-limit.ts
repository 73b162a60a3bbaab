/**
 * Hono's body limit (Content-Length checked up front, streamed bodies counted) with our error type, so an
 * oversized body is refused before any of it is read or parsed. A compressed body (`Content-Encoding: gzip`) is
 * decoded as it is read (./content-encoding.ts) and its decoded bytes are the ones counted: a small gzip that
 * inflates beyond the limit is refused as soon as the limit is passed.
 */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { Config } from "../../config";
import { AppError } from "../../errors";
import { decodedRequest } from "./content-encoding";
import type { ServiceVariables } from "./services";

export function limitBody(maxBytes: (config: Config) => number, what: string) {
  return createMiddleware<{ Variables: ServiceVariables }>(async function limitBody(c, next) {
    const maxSize = maxBytes(c.get("config"));
    const encoded = c.req.raw;
    c.req.raw = decodedRequest(encoded);
    const decoded = c.req.raw !== encoded ? " once decompressed" : "";
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError("payload_too_large", `${what} is larger${decoded} than the limit of ${maxSize} bytes`);
      },
    });
    return limit(c, next);
  });
}
