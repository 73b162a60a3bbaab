/**
 * The one place the Worker makes Durable Object stubs. `DO_DELAY_MS` (a var for benchmarks and tests, never set
 * in production) delays every call on them, stub `fetch` or RPC, by that many milliseconds: the round trip to a
 * tenant's object that lives on another continent, which loopback never shows.
 *
 * @example
 *   npm run dev -- --var DO_DELAY_MS:40
 */
import type { DirectoryObject } from "./directory-object";
import type { TenantObject } from "./tenant-object";

export interface DurableStubs {
  tenant(id: string): DurableObjectStub<TenantObject>;
  directory(): DurableObjectStub<DirectoryObject>;
}

/**
 * @param delayMs added before every call (`DO_DELAY_MS`)
 * @param onCall told of every call made (the Worker counts the calls a response waits for)
 */
export function durableStubs(env: Env, delayMs: number, onCall?: () => void): DurableStubs {
  const wrap = <T extends object>(stub: T) => (delayMs > 0 || onCall ? intercepted(stub, delayMs, onCall) : stub);
  return {
    tenant: (id) => wrap(env.TENANTS.get(env.TENANTS.idFromName(id))),
    directory: () => wrap(env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"))),
  };
}

/** Every method of the stub, delayed by `delayMs` and counted. */
function intercepted<T extends object>(stub: T, delayMs: number, onCall?: () => void): T {
  return new Proxy(stub, {
    get(target, property) {
      // an RPC stub answers every property name with a method, `then` included: never look thenable
      if (property === "then") return undefined;
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        onCall?.();
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // `Reflect.apply`, not `value.apply`: an RPC method would take `apply` for a remote method's name
        return Reflect.apply(value, target, args);
      };
    },
  });
}
