/**
 * The Hono environment every route and middleware shares: the Worker's bindings and the typed per-request
 * variables set by middleware.
 */
import type { RequestIdVariables } from "hono/request-id";
import type { TimingVariables } from "hono/timing";
import type { ObservationVariables } from "./middleware/observe";
import type { ServiceVariables } from "./middleware/services";
import type { TenantVariables } from "./middleware/tenant-key";

export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & TimingVariables & ServiceVariables & TenantVariables & ObservationVariables;
};
