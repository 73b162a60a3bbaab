/**
 * The `text` field text tasks share: one text or a non-empty array of them, never blank.
 */
import { z } from "zod";

/** A text that is not empty or blank. */
export const Text = z.string().refine((text) => text.trim().length > 0, "a text must not be empty");

/** One text or a non-empty array of texts, none of them empty or blank (400 otherwise). */
export function textsSchema(what: string) {
  return z.union([Text, z.array(Text).min(1, "give at least one text")], {
    error: `${what} must be a string or an array of strings`,
  });
}

/** The texts of a `string | string[]` field, as an array. */
export function textList(texts: string | readonly string[]): readonly string[] {
  return typeof texts === "string" ? [texts] : texts;
}
