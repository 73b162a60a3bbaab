/**
 * The schemas classification tasks share: their answer, the top-k `[{label, score}]` of one item, best first, or one
 * such list per item when the request sent several; and the manifest's `postprocess` that shapes it.
 */
import { z } from "zod";
import { ACTIVATIONS, type Activation } from "./classification-output";

/** Classes answered when neither the request nor the manifest says. */
export const DEFAULT_TOP_K = 5;

/** `postprocess: {function, output?, topK}`; `output` defaults to what `outputDefault` describes. */
export function classificationPostprocess(defaultFunction: Activation, outputDefault: string) {
  return z
    .object({
      function: z
        .enum(ACTIVATIONS)
        .default(defaultFunction)
        .meta({ description: "turns the output into scores; `none` when the model outputs probabilities" }),
      output: z
        .string()
        .optional()
        .meta({ description: `the output holding the class scores (default: ${outputDefault})` }),
      topK: z.number().int().min(1).default(DEFAULT_TOP_K),
    })
    .strict();
}

const LabelScoresSchema = z.array(z.object({ label: z.string(), score: z.number() }));

/** @example labelScoresResponse("TabularClassificationResponse", "row") */
export function labelScoresResponse(id: string, item: string) {
  return z.union([LabelScoresSchema, z.array(LabelScoresSchema)]).meta({
    id,
    description: `the top-k classes of the ${item}, best first (one such list per ${item} when several were sent)`,
  });
}
