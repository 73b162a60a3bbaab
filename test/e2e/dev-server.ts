/** Where the `npm run dev` started by ./global-setup.ts listens, with its admin token and the local tenant's key. */
import { inject } from "vitest";

export interface DevServer {
  baseUrl: string;
  adminToken: string;
  apiKey: string;
  /** Everything `npm run dev` printed so far: wrangler's output and the Worker's JSON log lines. */
  logFile: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    devServer: DevServer;
  }
}

export function devServer(): DevServer {
  return inject("devServer");
}
