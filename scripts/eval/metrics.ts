/**
 * Scores for `npm run eval` and the OCR checks: per-class precision/recall/F1 for classifiers; mean absolute error,
 * root mean square error and R² for regressors; exact match and character error rate (CER = edit distance / reference
 * length, in Unicode code points) for OCR, per line or per page (exact lines) and summed per group (a page's angle,
 * skew, columns); frame agreement for voice
 * activity. Pure functions.
 */

export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationScore {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassScore>;
}

/** @example classificationScore([{ expected: "a", predicted: "a" }, { expected: "b", predicted: "a" }]).accuracy === 0.5 */
export function classificationScore(pairs: { expected: string; predicted: string }[]): ClassificationScore {
  const labels = [...new Set(pairs.flatMap((p) => [p.expected, p.predicted]))].sort();
  const perClass: Record<string, ClassScore> = {};
  for (const label of labels) {
    const tp = pairs.filter((p) => p.predicted === label && p.expected === label).length;
    const predicted = pairs.filter((p) => p.predicted === label).length;
    const support = pairs.filter((p) => p.expected === label).length;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    perClass[label] = {
      precision,
      recall,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
      support,
    };
  }
  const supported = Object.values(perClass).filter((c) => c.support > 0);
  return {
    n: pairs.length,
    accuracy: pairs.filter((p) => p.expected === p.predicted).length / Math.max(1, pairs.length),
    macroF1: supported.reduce((sum, c) => sum + c.f1, 0) / Math.max(1, supported.length),
    perClass,
  };
}

export interface RegressionScore {
  n: number;
  mae: number;
  rmse: number;
  /** Coefficient of determination: 1 − Σ(y − ŷ)² / Σ(y − ȳ)², as scikit-learn's r2_score. */
  r2: number;
}

/** @example regressionScore([{ expected: 1, predicted: 2 }, { expected: 3, predicted: 3 }]).mae === 0.5 */
export function regressionScore(pairs: { expected: number; predicted: number }[]): RegressionScore {
  const n = pairs.length;
  const mean = pairs.reduce((sum, p) => sum + p.expected, 0) / Math.max(1, n);
  const squares = pairs.reduce((sum, p) => sum + (p.expected - p.predicted) ** 2, 0);
  const total = pairs.reduce((sum, p) => sum + (p.expected - mean) ** 2, 0);
  return {
    n,
    mae: pairs.reduce((sum, p) => sum + Math.abs(p.expected - p.predicted), 0) / Math.max(1, n),
    rmse: Math.sqrt(squares / Math.max(1, n)),
    r2: total > 0 ? 1 - squares / total : Number.NaN,
  };
}

/** Levenshtein distance over Unicode code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[y.length]!;
}

/** Exact match rate and character error rate (total edits / total expected characters). */
export function ocrScore(pairs: { expected: string; predicted: string }[]): {
  n: number;
  exactMatch: number;
  cer: number;
} {
  const edits = pairs.reduce((sum, p) => sum + editDistance(p.expected, p.predicted), 0);
  const characters = pairs.reduce((sum, p) => sum + [...p.expected].length, 0);
  return {
    n: pairs.length,
    exactMatch: pairs.filter((p) => p.expected === p.predicted).length / Math.max(1, pairs.length),
    cer: edits / Math.max(1, characters),
  };
}

/** Fraction of frames on which two 0/1 sequences agree (compared over the shorter length). */
export function frameAgreement(a: readonly number[], b: readonly number[]): { frames: number; agreement: number } {
  const frames = Math.min(a.length, b.length);
  let same = 0;
  for (let i = 0; i < frames; i++) if (a[i] === b[i]) same += 1;
  return { frames, agreement: frames ? same / frames : 1 };
}

/** Speech segments in seconds → one 0/1 per frame (a frame is speech when its centre lies in a segment). */
export function segmentsToFrames(
  segments: { start: number; end: number }[],
  frameSeconds: number,
  duration: number,
): number[] {
  const count = Math.ceil(duration / frameSeconds);
  return Array.from({ length: count }, (_, i) => {
    const centre = (i + 0.5) * frameSeconds;
    return segments.some((s) => centre >= s.start && centre < s.end) ? 1 : 0;
  });
}

export interface PageScore {
  /** The page's text equals the reference exactly (every line, in order). */
  exact: boolean;
  /** Reference lines that appear exactly among the recognized lines. */
  linesExact: number;
  lines: number;
  edits: number;
  /** Code points of the reference text. */
  length: number;
}

export interface GroupScore {
  group: string;
  pages: number;
  pagesExact: number;
  lines: number;
  linesExact: number;
  /** Summed edits / summed reference length. */
  cer: number;
}

/**
 * A recognized page against its reference lines. The page's text is its lines joined by "\n", so a missed, extra or
 * split line counts as edits too.
 */
export function scorePage(recognized: readonly string[], reference: readonly string[]): PageScore {
  const text = recognized.join("\n");
  const truth = reference.join("\n");
  const pool = [...recognized];
  let linesExact = 0;
  for (const line of reference) {
    const at = pool.indexOf(line);
    if (at >= 0) {
      linesExact += 1;
      pool.splice(at, 1);
    }
  }
  return {
    exact: text === truth,
    linesExact,
    lines: reference.length,
    edits: editDistance(text, truth),
    length: Array.from(truth).length,
  };
}

/** Sums per group (a page may be in several, e.g. its angle and its skew) and over all pages ("all", last). */
export function scoreGroups(pages: readonly { groups: readonly string[]; score: PageScore }[]): GroupScore[] {
  const seen = [...new Set(pages.flatMap((p) => p.groups))];
  const rank = (group: string) =>
    PAGE_GROUPS.includes(group) ? PAGE_GROUPS.indexOf(group) : PAGE_GROUPS.length + seen.indexOf(group);
  const groups = seen.sort((a, b) => rank(a) - rank(b));
  const summarize = (group: string, members: readonly { score: PageScore }[]): GroupScore => {
    const sum = (f: (s: PageScore) => number) => members.reduce((total, m) => total + f(m.score), 0);
    return {
      group,
      pages: members.length,
      pagesExact: sum((s) => (s.exact ? 1 : 0)),
      lines: sum((s) => s.lines),
      linesExact: sum((s) => s.linesExact),
      cer: sum((s) => s.edits) / sum((s) => s.length),
    };
  };
  return [
    ...groups.map((g) =>
      summarize(
        g,
        pages.filter((p) => p.groups.includes(g)),
      ),
    ),
    summarize("all", pages),
  ];
}

/** The groups of `pageGroups`, in the order tables show them. */
const PAGE_GROUPS = ["0°", "90°", "180°", "270°", "straight", "skewed", "1 column", "2 columns"];

/** A straight page is tilted by at most this many degrees; the pipeline deskews beyond about 1°. */
const STRAIGHT_DEGREES = 1;

/**
 * The groups a page of a page set (test/data/ocr-pages) is scored in: its angle, straight or skewed, and its columns.
 * @example pageGroups({angle: 180, skew: -4.2, columns: 2}) // ["180°", "skewed", "2 columns"]
 */
export function pageGroups(page: { angle?: number; skew?: number; columns?: number }): string[] {
  const groups: string[] = [];
  if (page.angle !== undefined) groups.push(`${page.angle}°`);
  if (page.skew !== undefined) groups.push(Math.abs(page.skew) <= STRAIGHT_DEGREES ? "straight" : "skewed");
  if (page.columns !== undefined) groups.push(page.columns === 1 ? "1 column" : `${page.columns} columns`);
  return groups;
}
