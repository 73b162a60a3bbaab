/**
 * The recognizer's output → text, as PaddleOCR's `CTCLabelDecode` with `use_space_char` (ppocr/postprocess/
 * rec_postprocess.py): at each time step take the most probable class (greedy), drop repeats of the previous
 * step's class and the CTC blank, and map classes to characters. The line's score is the mean of the kept steps'
 * probabilities (0 when nothing is kept).
 *
 * One addition, for the space (the last class): between two characters where greedy decoding emits none, a space
 * is written when the space class reaches `spaceThreshold` at a step in between. Narrow word gaps are where
 * PP-OCR's recognizer loses spaces ("Itwas"): there the blank wins the step but the space is still clearly the
 * runner-up, while between letters of one word it stays near zero (docs/design/ocr.md, "Word spacing").
 */
import { AppError } from "../../errors";

/** Class index → character: the CTC blank at 0, the dictionary's lines, then a space. */
export type Alphabet = readonly string[];

/**
 * Reads a character dictionary such as `ppocr_keys_v1.txt`: one character per line (UTF-8; `\n` or `\r\n`).
 * @example parseAlphabet(new TextEncoder().encode("a\nb")) // ["", "a", "b", " "]
 */
export function parseAlphabet(bytes: Uint8Array): Alphabet {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError("invalid_manifest", "the character dictionary is not UTF-8 text");
  }
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (lines.at(-1) === "") lines.pop(); // a final newline ends the last line, it does not start another
  if (lines.length === 0) throw new AppError("invalid_manifest", "the character dictionary is empty");
  return ["", ...lines, " "];
}

export interface DecodedLine {
  text: string;
  score: number;
}

/**
 * Greedy CTC decoding of a [lines, steps, classes] probability tensor; the last class is the space.
 * @param spaceThreshold write a space between two characters when the space class reaches this at a step between
 *   them (the space's probability does not count into the score); absent: greedy decoding alone, as PaddleOCR
 * @example ctcDecode(Float32Array.from([0.1, 0.9, 0.8, 0.2]), [1, 2, 2], ["", "a", " "]) // [{text: "a", score: 0.9}]
 */
export function ctcDecode(
  probabilities: Float32Array,
  shape: readonly number[],
  alphabet: Alphabet,
  spaceThreshold = Infinity,
): DecodedLine[] {
  const [lines = 0, steps = 0, classes = 0] = shape;
  if (shape.length !== 3 || probabilities.length !== lines * steps * classes) {
    throw new AppError(
      "inference_failed",
      `the recognizer's output has shape [${shape}], expected [lines, steps, classes]`,
    );
  }
  if (classes !== alphabet.length) {
    throw new AppError(
      "invalid_manifest",
      `the recognizer has ${classes} classes but the dictionary gives ${alphabet.length} (blank + characters + space)`,
    );
  }
  const space = classes - 1;
  const decoded: DecodedLine[] = [];
  for (let line = 0; line < lines; line++) {
    let text = "";
    let sum = 0;
    let kept = 0;
    let previous = -1;
    // the highest space probability since the last character written, while no space was
    let spaceSince = -1;
    for (let step = 0; step < steps; step++) {
      const base = (line * steps + step) * classes;
      let best = 0;
      let bestProbability = probabilities[base]!;
      for (let c = 1; c < classes; c++) {
        const p = probabilities[base + c]!;
        if (p > bestProbability) {
          best = c;
          bestProbability = p;
        }
      }
      if (best !== 0 && best !== previous) {
        if (best !== space && spaceSince >= spaceThreshold) text += " ";
        text += alphabet[best];
        sum += bestProbability;
        kept += 1;
        spaceSince = best === space ? -1 : 0;
      } else if (best === 0 && spaceSince >= 0) {
        spaceSince = Math.max(spaceSince, probabilities[base + space]!);
      }
      previous = best;
    }
    decoded.push({ text, score: kept === 0 ? 0 : sum / kept });
  }
  return decoded;
}
