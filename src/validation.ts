/**
 * Schema validation with one rule for messages: the first problem found is the one reported, named by where it
 * is (`a.b.0`, or `(root)`), so every 400 and 422 reads the same way.
 */
import type { z } from "zod";

export interface FirstIssue {
  /** Dotted path of the offending value, or `(root)`. */
  where: string;
  message: string;
  path: PropertyKey[];
}

export function firstIssue(error: z.ZodError): FirstIssue {
  const issue = error.issues[0]!;
  return { where: issue.path.join(".") || "(root)", message: issue.message, path: issue.path };
}

/** Parses `value` with `schema`; the first problem becomes the error that `fail` builds. */
export function parseOrFail<T>(schema: z.ZodType<T>, value: unknown, fail: (issue: FirstIssue) => Error): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fail(firstIssue(parsed.error));
  return parsed.data;
}
