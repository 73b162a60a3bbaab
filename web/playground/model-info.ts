/** A model as `GET /v1/models` lists it (the fields the playground uses). */

export interface TensorInfo {
  name: string;
  datatype: string;
  shape: number[];
}

export interface FeatureInfo {
  name: string;
  min?: number;
  max?: number;
}

export interface ModelInfo {
  id: string;
  task: string;
  description?: string;
  versions: string[];
  default: string | null;
  aliases: Record<string, string>;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Tabular models: their features in column order, with the ranges the manifest gives. */
  features?: FeatureInfo[];
}
