/**
 * Which lines to read turned 180°. The direction classifier looks at one line at a time; a long line carries
 * plenty of evidence, a two- to four-letter one often does not ("out" upside down looks like an upright "ıno").
 * So by default the page decides: every line's classification votes, weighted by how much of the line the
 * classifier saw (its windows, ./line-input.ts) and by how sure it was, and the result applies to every line. A line
 * keeps its own direction only on strong evidence: long enough and classified with at least `overrideProbability`.
 * Mode `line` is PaddleOCR's behaviour, each line on its own (`cls_thresh`), kept for comparison.
 */

/** What the classifier said about one line. */
export interface LineDirection {
  /** Mean probability of 180° over the line's windows. */
  upsideDown: number;
  /** How many 192x48 windows of the line the classifier saw. */
  windows: number;
}

export interface OrientationSettings {
  mode: "page" | "line";
  /** Mode `line`: a line is turned when its 180° probability exceeds this (PaddleOCR's `cls_thresh`, 0.9). */
  lineThreshold: number;
  /** Mode `page`: a line goes against the page only when this sure of its own direction... */
  overrideProbability: number;
  /** ...and at least this long, in classifier windows. */
  overrideWindows: number;
}

export interface Orientation {
  /** The page is upside down. */
  pageTurned: boolean;
  /** Per line: read it turned 180°. */
  turned: boolean[];
}

/**
 * @example orientLines([{upsideDown: 1, windows: 5}, {upsideDown: 0.05, windows: 1}], settings) // both turned
 */
export function orientLines(lines: readonly LineDirection[], settings: OrientationSettings): Orientation {
  if (settings.mode === "line") {
    const turned = lines.map((line) => line.upsideDown > settings.lineThreshold);
    return { pageTurned: turned.filter(Boolean).length * 2 > lines.length, turned };
  }
  // each line votes 2p − 1 ∈ [−1, 1] (its confidence, signed) once per window it was seen through
  const vote = lines.reduce((sum, line) => sum + line.windows * (2 * line.upsideDown - 1), 0);
  const pageTurned = vote > 0;
  const turned = lines.map((line) => {
    const own = pageTurned ? 1 - line.upsideDown : line.upsideDown;
    const overrides = line.windows >= settings.overrideWindows && own >= settings.overrideProbability;
    return overrides ? !pageTurned : pageTurned;
  });
  return { pageTurned, turned };
}
