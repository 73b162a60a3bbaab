/** `text-classification`: one text per line, each answered with its top classes as score bars. */

import { type LabelScore, scoreBars } from "../../shared/bars";
import { field, h } from "../../shared/dom";
import { runPath, type TaskForm, taskForm } from "./form";

const SAMPLE = ["Guten Morgen, wie geht es dir?", "¿Dónde está la estación de tren?", "Il pleut depuis ce matin."];

export const textClassificationForm: TaskForm = ({ api, model }) => {
  const texts = h("textarea", { rows: 4, required: true, value: SAMPLE.join("\n") });
  const topK = h("input", { type: "number", min: "1", max: "20", value: "3", inputMode: "numeric" });
  return taskForm(
    [field("Texts, one per line", texts), field("Classes per text", topK)],
    "Classify",
    async (result) => {
      const lines = texts.value
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
      const answer = await api.call<LabelScore[][]>("POST", runPath(model), { text: lines, top_k: Number(topK.value) });
      result.show(answer, (lists) => lists.map((scores, i) => scoreBars(scores, lines[i])));
    },
  );
};
