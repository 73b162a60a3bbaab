/**
 * OCR accuracy: exact matches and character error rate (CER = edit distance / reference length, in Unicode code
 * points), per image and summed per group. A page's text is its lines joined by "\n", so a missed, extra or split
 * line counts as edits too.
 */

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

/** Levenshtein distance over code points (insertions, deletions, substitutions cost 1). */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

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

/** Sums per group (a page may be in several, e.g. its angle and its skew) and over all pages, groups in first-seen order. */
export function scoreGroups(pages: readonly { groups: readonly string[]; score: PageScore }[]): GroupScore[] {
  const groups = [...new Set(pages.flatMap((p) => p.groups))];
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
