/** Label scores as horizontal bars: the label, a bar as long as the score, and the score in words for everyone. */
import { h } from "./dom";
import { percent } from "./format";

export interface LabelScore {
  label: string;
  score: number;
}

/** @param caption  what the list is about, read out before it ("Text 1: Guten Morgen") */
export function scoreBars(scores: LabelScore[], caption?: string): HTMLElement {
  return h(
    "figure",
    { class: "scores" },
    caption ? h("figcaption", {}, caption) : null,
    h(
      "ol",
      { class: "bars" },
      scores.map(({ label, score }) =>
        h(
          "li",
          {},
          h("span", { class: "bar-label" }, label),
          h(
            "span",
            {
              class: "bar",
              attrs: {
                role: "meter",
                "aria-valuemin": 0,
                "aria-valuemax": 1,
                "aria-valuenow": score,
                "aria-label": label,
              },
            },
            h("span", { class: "bar-fill", style: `width: ${Math.max(0, Math.min(1, score)) * 100}%` }),
          ),
          h("span", { class: "bar-value" }, percent(score)),
        ),
      ),
    ),
  );
}
