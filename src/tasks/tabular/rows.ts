/**
 * Rows of features, as the tabular tasks take them: `{"features": [[…], …]}` (numbers in the model's column order)
 * or `{"features": [{"name": value, …}, …]}` when the model's features have names; one row alone (`[…]` or `{…}`)
 * is answered alone. Every value is checked before anything runs, and each problem is a 400 that names the row and
 * the feature: a wrong count, a missing or unknown name, a value that is not a finite number or does not fit the
 * model's input type, and (when the manifest gives ranges) a value out of range.
 */
import { z } from "zod";
import { AppError } from "../../errors";

export const OUT_OF_RANGE = ["reject", "warn"] as const;
export type OutOfRange = (typeof OUT_OF_RANGE)[number];

const FeatureSpecSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1),
      min: z.number().optional(),
      max: z.number().optional(),
      outOfRange: z
        .enum(OUT_OF_RANGE)
        .optional()
        .meta({ description: "overrides `preprocess.outOfRange` for this feature" }),
    })
    .strict()
    .refine((f) => f.min === undefined || f.max === undefined || f.min <= f.max, "min must not exceed max"),
]);

/** The manifest's `preprocess` for tabular tasks. */
export const TabularPreprocessSchema = z
  .object({
    features: z
      .array(FeatureSpecSchema)
      .min(1)
      .refine((specs) => new Set(specs.map(featureName)).size === specs.length, "feature names must be unique")
      .optional()
      .meta({
        description:
          "the model's features in column order: names, or `{name, min?, max?, outOfRange?}` with the range a value must lie in (default: the input names of a model with one input per feature)",
      }),
    outOfRange: z.enum(OUT_OF_RANGE).default("reject").meta({
      description: "a value outside its feature's range is a 400 (`reject`) or served with a `Warning: 299` (`warn`)",
    }),
  })
  .strict();
export type TabularPreprocess = z.infer<typeof TabularPreprocessSchema>;

function featureName(spec: string | { name: string }): string {
  return typeof spec === "string" ? spec : spec.name;
}

/** A feature as the checks see it. */
export interface Feature {
  name?: string;
  min?: number;
  max?: number;
  outOfRange: OutOfRange;
}

export function featuresOf(preprocess: TabularPreprocess): Feature[] | undefined {
  return preprocess.features?.map((spec) =>
    typeof spec === "string"
      ? { name: spec, outOfRange: preprocess.outOfRange }
      : { ...spec, outOfRange: spec.outOfRange ?? preprocess.outOfRange },
  );
}

const RowSchema = z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/** The `features` field of both tabular tasks; values are checked against the model by `readRows`. */
export const FeaturesFieldSchema = z
  .union([RowSchema, z.array(RowSchema)], {
    error: "features must be an array of rows, or one row (an array or an object)",
  })
  .meta({
    description:
      "rows of features: arrays of numbers in the model's column order, or objects of named features (when the model's features have names); one row alone is answered alone",
  });

/** How the values must fit the input they are fed to. */
export type ValueKind = "float32" | "float64" | "int32" | "int64";

export interface Rows {
  /** Row-major values, `rows × features`. */
  values: Float64Array;
  count: number;
  /** The request sent a list of rows (answer a list). */
  list: boolean;
  /** Out-of-range values served anyway (`warn`). */
  warnings: string[];
}

const FLOAT32_MAX = 3.4028234663852886e38;
const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const SAFE_INTEGERS = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

/** The rows of a `features` field, as values; `features` describes the model's columns. */
export function readRows(field: unknown, features: readonly Feature[], kind: ValueKind, maxRows: number): Rows {
  const { rows, list } = splitRows(field);
  if (rows.length > maxRows)
    throw new AppError("batch_too_large", `${rows.length} rows in one request; this model takes at most ${maxRows}`);
  const width = features.length;
  const values = new Float64Array(rows.length * width);
  const warnings: string[] = [];
  const named = new Map(features.map((f, i) => [f.name, i]));
  rows.forEach((row, r) => {
    const at = (column: number) =>
      Array.isArray(row)
        ? row[column]
        : Object.hasOwn(row, features[column]!.name!)
          ? row[features[column]!.name!]
          : undefined;
    if (Array.isArray(row) && row.length !== width)
      throw new AppError(
        "invalid_request",
        `row ${r} has ${row.length} values; the model takes ${width} (${describeColumns(features)})`,
      );
    if (!Array.isArray(row)) {
      if (features.some((f) => f.name === undefined))
        throw new AppError(
          "invalid_request",
          `row ${r} names its features, but this model's features have no names: send an array of ${width} numbers in column order`,
        );
      for (const key of Object.keys(row))
        if (!named.has(key))
          throw new AppError(
            "invalid_request",
            `row ${r} has an unknown feature '${key}'; the model's features are ${describeColumns(features)}`,
          );
    }
    features.forEach((feature, column) => {
      const value = at(column);
      const where = `row ${r}, feature ${label(feature, column)}`;
      if (value === undefined) throw new AppError("invalid_request", `${where} is missing`);
      values[r * width + column] = checkValue(value, where, kind);
      const outside = outsideRange(values[r * width + column]!, feature);
      if (!outside) return;
      if (feature.outOfRange === "reject") throw new AppError("invalid_request", `${where}: ${outside}`);
      warnings.push(`${where}: ${outside}`);
    });
  });
  return { values, count: rows.length, list, warnings };
}

type Row = unknown[] | Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === "object" && value !== null;

/** Rows a `features` field holds (what the request is charged), known before any value is checked. */
export function rowCount(field: unknown): number {
  return Array.isArray(field) && field.some(isRow) ? field.length : 1;
}

/** Out-of-range warnings: a handful named and the rest counted, so the header stays short. */
export function summarizeWarnings(warnings: readonly string[], shown = 5): string[] {
  if (warnings.length <= shown) return [...warnings];
  return [...warnings.slice(0, shown), `and ${warnings.length - shown} more values outside their feature's range`];
}

function splitRows(field: unknown): { rows: Row[]; list: boolean } {
  if (Array.isArray(field) && field.length === 0) throw new AppError("invalid_request", "features has no rows");
  const list = Array.isArray(field) && field.some(isRow);
  const sources = (list ? field : [field]) as unknown[];
  return {
    list,
    rows: sources.map((source, r) => {
      if (!isRow(source))
        throw new AppError(
          "invalid_request",
          `row ${r} is ${JSON.stringify(source)}; a row is an array of numbers or an object of named features`,
        );
      return source as Row;
    }),
  };
}

function checkValue(value: unknown, where: string, kind: ValueKind): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new AppError("invalid_request", `${where} must be a finite number, got ${shortJson(value)}`);
  if (kind === "float32" && Math.abs(value) > FLOAT32_MAX)
    throw new AppError("invalid_request", `${where} is ${value}, beyond the float32 range of the model's input`);
  const integers = kind === "int32" ? INT32 : kind === "int64" ? SAFE_INTEGERS : undefined;
  if (integers && !(Number.isInteger(value) && value >= integers[0] && value <= integers[1]))
    throw new AppError(
      "invalid_request",
      `${where} must be an integer in [${integers[0]}, ${integers[1]}] (the model's input is ${kind}), got ${value}`,
    );
  return value;
}

function outsideRange(value: number, feature: Feature): string | undefined {
  if (feature.min !== undefined && value < feature.min)
    return `${value} is below the model's range [${feature.min}, ${feature.max ?? "∞"}]`;
  if (feature.max !== undefined && value > feature.max)
    return `${value} is above the model's range [${feature.min ?? "-∞"}, ${feature.max}]`;
  return undefined;
}

function label(feature: Feature, column: number): string {
  return feature.name === undefined ? `${column}` : `'${feature.name}' (column ${column})`;
}

function describeColumns(features: readonly Feature[]): string {
  const names = features.map((f) => f.name).filter((n) => n !== undefined);
  if (names.length < features.length) return `${features.length} unnamed columns`;
  const shown = names.slice(0, 12).join(", ");
  return names.length > 12 ? `${shown}, … (${names.length} in all)` : shown;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
