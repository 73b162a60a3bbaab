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
import { decodeBody } from "./content-encoding";
import type { ServiceVariables } from "./services";

export function limitBody(maxBytes: (config: Config) => number, what: string) {
  return createMiddleware<{ Variables: ServiceVariables }>(async function limitBody(c, next) {
    const maxSize = maxBytes(c.get("config"));
    const body = decodeBody(c.req.raw);
    c.req.raw = body.request;
    const limit = bodyLimit({
      maxSize,
      onError: async () => {
        await body.discardRest(maxSize);
        const once = body.decoded ? " once decompressed" : "";
        throw new AppError("payload_too_large", `${what} is larger${once} than the limit of ${maxSize} bytes`);
      },
    });
    return limit(c, next);
  });
}
