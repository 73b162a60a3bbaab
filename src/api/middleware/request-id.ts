/**
 * Hono's request id, stamped on every response. Hono's own middleware sets the header before the handler runs,
 * which only reaches responses built with `c.json`/`c.body`; cache hits and idempotent replays are whole
 * `Response` objects and would otherwise go out without an id (or with the one they were first produced under).
 */
import { createMiddleware } from "hono/factory";
import { type RequestIdVariables, requestId } from "hono/request-id";

const HEADER = "X-Request-Id";

export function requestIdOnEveryResponse() {
  const assign = requestId({ headerName: HEADER });
  return createMiddleware<{ Variables: RequestIdVariables }>(async function requestIdOnEveryResponse(c, next) {
    await assign(c, next);
    c.res.headers.set(HEADER, c.get("requestId"));
  });
}
