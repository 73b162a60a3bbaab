/**
 * `feature-extraction`: one sentence per line, embedded in one call; the answer is the cosine similarity of every
 * pair of sentences, as a table whose cells are shaded by the value (and carry the value as text).
 */
import { field, h } from "../../shared/dom";
import { runPath, type TaskForm, taskForm } from "./form";

const SAMPLE = ["The food was great.", "The meal was delicious.", "Service was slow.", "The train left on time."];

export const embeddingsForm: TaskForm = ({ api, model }) => {
  const texts = h("textarea", { rows: 5, required: true, value: SAMPLE.join("\n") });
  return taskForm([field("Sentences, one per line", texts)], "Compare", async (result) => {
    const lines = texts.value
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const answer = await api.call<{ shape: [number, number]; data: number[][] }>("POST", runPath(model), {
      text: lines,
    });
    result.show(answer, (data) => heatmap(lines, data.data));
  });
};

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function heatmap(lines: string[], vectors: number[][]): HTMLElement {
  const short = (text: string, i: number) => `${i + 1}. ${text.length > 28 ? `${text.slice(0, 27)}…` : text}`;
  return h(
    "div",
    { class: "heatmap-wrap" },
    h(
      "table",
      { class: "heatmap" },
      h("caption", {}, `Cosine similarity of ${lines.length} sentences (${vectors[0]?.length ?? 0} dimensions)`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("td", {}),
          lines.map((_, j) => h("th", { scope: "col", title: lines[j] }, String(j + 1))),
        ),
      ),
      h(
        "tbody",
        {},
        vectors.map((row, i) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", title: lines[i] }, short(lines[i]!, i)),
            vectors.map((column) => {
              const value = cosine(row, column);
              const shade = Math.round(Math.max(0, value) * 100);
              return h("td", { style: `--shade: ${shade}%`, class: shade > 55 ? "dark" : "" }, value.toFixed(2));
            }),
          ),
        ),
      ),
    ),
  );
}
