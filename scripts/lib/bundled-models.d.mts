export declare const ROOT: string;
export declare function bundledManifests(): Array<Record<string, any>>;
export declare function repoPath(file: string): string;
export declare function readRepoFile(file: string): Promise<Uint8Array>;
export declare const readWeights: typeof readRepoFile;
export declare function ensureGenerated(file: string): Promise<void>;
