/**
 * Progress bars for long uploads and evals, on stderr (stdout stays the command's answer, JSON included). Drawn
 * only on a terminal; elsewhere (CI logs, tests) the bar is silent.
 */
import { Presets, SingleBar } from "cli-progress";

export interface Bar {
  update(done: number, total?: number): void;
  stop(): void;
}

/** A bar for `total` units: `bytes` shows sizes in MB, otherwise counts. */
export function progressBar(label: string, total: number, unit: "bytes" | "items"): Bar {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {shown}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const shown = (done: number, of: number) =>
    unit === "bytes" ? `${(done / 1e6).toFixed(1)}/${(of / 1e6).toFixed(1)} MB` : `${done}/${of}`;
  bar.start(total, 0, { shown: shown(0, total) });
  return {
    update(done, newTotal = total) {
      if (newTotal !== total) {
        total = newTotal;
        bar.setTotal(total);
      }
      bar.update(done, { shown: shown(done, total) });
    },
    stop: () => bar.stop(),
  };
}
