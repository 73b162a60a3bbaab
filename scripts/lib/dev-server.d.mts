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
}): Promise<DevServerHandle>;
