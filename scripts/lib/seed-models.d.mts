export interface SeedOptions {
  manifests: Array<Record<string, any>>;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  baseUrl: string;
  token: string;
  readWeights: (file: string) => Promise<Uint8Array>;
  log?: (line: string) => void;
}
export function seedModels(options: SeedOptions): Promise<Array<{ model: string; version: string; uploaded: boolean }>>;
