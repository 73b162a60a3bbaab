export const ASSETS: string;
export function buildPages(options?: {
  quiet?: boolean;
}): Promise<Array<{ file: string; bytes: number; gzipBytes: number }>>;
