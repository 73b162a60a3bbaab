/**
 * A media body's options come in its query string (`POST /v1/run/model?threshold=0.6`), under the names and checks
 * of the JSON request's fields: numbers are read as numbers, `true`/`false` (and `1`/`0` for boolean fields) as
 * booleans, anything else as text. Unknown or repeated names are a 400, as a bad value is.
 */
import { z } from "zod";
import { AppError, quote } from "../errors";
import { hasOwn } from "../lookup";
import { parseOrFail } from "../validation";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * @param booleans the fields that take a boolean
 * @example optionsFromQuery("ocr", {deskew: z.boolean().optional()}, new URLSearchParams("deskew=0"), ["deskew"]) // {deskew: false}
 */
export function optionsFromQuery<Shape extends z.ZodRawShape>(
  task: string,
  shape: Shape,
  query: URLSearchParams,
  booleans: readonly (keyof Shape & string)[] = [],
): z.infer<z.ZodObject<Shape>> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of query) {
    if (!hasOwn(shape, name))
      throw new AppError(
        "invalid_request",
        `unknown query parameter '${name}'; ${task} takes ${Object.keys(shape).join(", ")}`,
      );
    if (hasOwn(values, name))
      throw new AppError("invalid_request", `query parameter '${name}' is given more than once`);
    if (booleans.includes(name))
      values[name] = value === "true" || value === "1" ? true : value === "false" || value === "0" ? false : value;
    else values[name] = NUMBER.test(value) ? Number(value) : value;
  }
  return parseOrFail(
    z.object(shape).strict(),
    values,
    ({ where, message, path }) =>
      new AppError(
        "invalid_request",
        `invalid query parameter '${where}' (${quote(values[String(path[0])])}): ${message}`,
      ),
  ) as z.infer<z.ZodObject<Shape>>;
}
