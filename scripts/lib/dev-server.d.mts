export interface DevServerHandle {
  baseUrl: string;
  adminToken: string;
  apiKey: string;
  stop(): Promise<void>;
}
export function startDevServer(options: {
  port?: number;
  persistTo: string;
  echo?: boolean;
  vars?: Record<string, string>;
  /** A file that receives everything the server prints, the Worker's log lines included. */
  logTo?: string;
}): Promise<DevServerHandle>;
