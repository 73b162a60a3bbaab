/**
 * Hono's body limit (Content-Length checked up front, streamed bodies counted) with our error type, so an
 * oversized body is refused before any of it is read or parsed.
 */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { Config } from "../../config";
import { AppError } from "../../errors";
import type { ServiceVariables } from "./services";

export function limitBody(maxBytes: (config: Config) => number, what: string) {
  return createMiddleware<{ Variables: ServiceVariables }>(async function limitBody(c, next) {
    const maxSize = maxBytes(c.get("config"));
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError("payload_too_large", `${what} is larger than the limit of ${maxSize} bytes`);
      },
    });
    return limit(c, next);
  });
}
