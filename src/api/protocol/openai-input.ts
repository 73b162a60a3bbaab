/**
 * OpenAI's embeddings `input`: `string | string[] | number[] | number[][]`. Token ids are ids of the model's own
 * vocabulary (OpenAI's are tiktoken's); their range and count are checked against the model once it is known.
 */
import { z } from "@hono/zod-openapi";
import type { TextInput } from "../../tasks/feature-extraction";
import { Text } from "../../tasks/text/texts";

const TokenIds = z
  .array(z.number().int("token ids are integers").min(0, "token ids are not negative"))
  .min(1, "a token array must not be empty");

export const embeddingInput = z.union(
  [Text, z.array(Text).min(1, "give at least one text"), TokenIds, z.array(TokenIds).min(1)],
  {
    error: "input must be a string, an array of strings, an array of token ids or an array of token-id arrays",
  },
);

export type EmbeddingInput = z.infer<typeof embeddingInput>;

/** The inputs of one request: a string or a flat token array is one input. */
export function inputList(input: EmbeddingInput): readonly TextInput[] {
  if (typeof input === "string") return [input];
  if (input.every((item) => typeof item === "number")) return [input as number[]];
  return input as readonly TextInput[];
}
