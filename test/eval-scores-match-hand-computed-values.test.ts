/**
 * `npm run eval`'s scores (scripts/eval/metrics.ts) on small cases computed by hand: per-class precision, recall
 * and F1, regression errors and R², character error rate, frame agreement and segments turned into 32 ms frames.
 */
import { describe, expect, it } from "vitest";
import {
  classificationScore,
  editDistance,
  frameAgreement,
  ocrScore,
  regressionScore,
  segmentsToFrames,
} from "../scripts/eval/metrics";

describe("eval scores", () => {
  it("classification: accuracy, per-class precision/recall/F1 and macro F1", () => {
    // expected a a a b b c; predicted a a b b c c
    const pairs = [
      ["a", "a"],
      ["a", "a"],
      ["a", "b"],
      ["b", "b"],
      ["b", "c"],
      ["c", "c"],
    ].map(([expected, predicted]) => ({ expected: expected!, predicted: predicted! }));
    const score = classificationScore(pairs);
    expect(score.accuracy).toBeCloseTo(4 / 6, 12);
    expect(score.perClass.a).toEqual({ precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
    expect(score.perClass.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(score.perClass.c!.precision).toBe(0.5);
    expect(score.perClass.c!.recall).toBe(1);
    expect(score.perClass.c!.f1).toBeCloseTo(2 / 3, 12);
    expect(score.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it("regression: MAE, RMSE and R² (1 − residual / total sum of squares)", () => {
    // expected 1 2 3 4 (mean 2.5, total sum of squares 5); predicted 1 3 3 2: errors 0 1 0 -2
    const pairs = [
      [1, 1],
      [2, 3],
      [3, 3],
      [4, 2],
    ].map(([expected, predicted]) => ({ expected: expected!, predicted: predicted! }));
    const score = regressionScore(pairs);
    expect(score.mae).toBe(0.75);
    expect(score.rmse).toBeCloseTo(Math.sqrt(5 / 4), 12);
    expect(score.r2).toBeCloseTo(1 - 5 / 5, 12);
    expect(
      regressionScore([
        { expected: 2, predicted: 2.5 },
        { expected: 4, predicted: 3.5 },
      ]).r2,
    ).toBeCloseTo(0.75, 12);
  });

  it("OCR: edit distance over code points, exact match and CER", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("汉字识别", "汉子识别")).toBe(1);
    const score = ocrScore([
      { expected: "hello", predicted: "hello" },
      { expected: "world", predicted: "word" },
    ]);
    expect(score).toEqual({ n: 2, exactMatch: 0.5, cer: 1 / 10 });
  });

  it("voice activity: frame agreement and segments to frames", () => {
    expect(frameAgreement([0, 1, 1, 0], [0, 1, 0, 0])).toEqual({ frames: 4, agreement: 0.75 });
    // frames of 32 ms: centres at 16, 48, 80, 112 ms; speech from 40 to 100 ms covers the 2nd and 3rd centres
    expect(segmentsToFrames([{ start: 0.04, end: 0.1 }], 0.032, 0.128)).toEqual([0, 1, 1, 0]);
  });
});
