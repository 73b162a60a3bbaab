/**
 * `tabular-classification` and `tabular-regression`: rows of the model's features in a table, prefilled from its
 * schema (the feature names, with the middle of each feature's range when the manifest gives one); rows can be added
 * and removed. Classes come back as score bars per row, regression values as numbers.
 */
import { type LabelScore, scoreBars } from "../../shared/bars";
import { h } from "../../shared/dom";
import type { FeatureInfo, ModelInfo } from "../model-info";
import { runPath, type TaskForm, taskForm } from "./form";

export const tabularForm: TaskForm = ({ api, model }) => {
  const features = featuresOf(model);
  const body = h("tbody");
  const addRow = (values?: number[]) => {
    const index = body.children.length + 1;
    const row = h(
      "tr",
      {},
      h("th", { scope: "row" }, String(index)),
      features.map((feature, column) =>
        h(
          "td",
          {},
          h("input", {
            type: "number",
            step: "any",
            required: true,
            value: String(values?.[column] ?? middle(feature)),
            attrs: { "aria-label": `Row ${index}, ${feature.name}`, "data-feature": feature.name },
          }),
        ),
      ),
    );
    body.append(row);
  };
  addRow();
  const table = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "rows" },
      h("caption", {}, `Rows of ${features.length} features`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "#"),
          features.map((f) => h("th", { scope: "col", title: range(f) }, f.name)),
        ),
      ),
      body,
    ),
  );
  const named = model.features !== undefined;
  return taskForm(
    [table],
    model.task === "tabular-regression" ? "Predict" : "Classify",
    async (result) => {
      const rows = [...body.rows].map((tr) => {
        const values = [...tr.querySelectorAll("input")].map((input) => Number(input.value));
        return named ? Object.fromEntries(features.map((f, i) => [f.name, values[i]])) : values;
      });
      const answer = await api.call<unknown[]>("POST", runPath(model), { features: rows });
      result.show(answer, (data) =>
        model.task === "tabular-regression"
          ? h(
              "ol",
              { class: "predictions" },
              data.map((value, i) => h("li", {}, `Row ${i + 1}: `, h("strong", {}, format(value)))),
            )
          : data.map((scores, i) => scoreBars(scores as LabelScore[], `Row ${i + 1}`)),
      );
    },
    [
      h("button", { type: "button", on: { click: () => addRow() } }, "Add a row"),
      h(
        "button",
        { type: "button", on: { click: () => body.rows.length > 1 && body.lastElementChild?.remove() } },
        "Remove the last row",
      ),
    ],
  );
};

/** The model's features; a model without names takes its single input's columns in order. */
function featuresOf(model: ModelInfo): FeatureInfo[] {
  if (model.features) return model.features;
  const columns = model.inputs.length === 1 ? (model.inputs[0]!.shape[1] ?? 1) : model.inputs.length;
  return model.inputs.length === 1
    ? Array.from({ length: Math.max(1, columns) }, (_, i) => ({ name: `x${i}` }))
    : model.inputs.map((input) => ({ name: input.name }));
}

function middle(feature: FeatureInfo): number {
  if (feature.min === undefined || feature.max === undefined) return feature.min ?? feature.max ?? 0;
  return Number(((feature.min + feature.max) / 2).toPrecision(4));
}

function range(feature: FeatureInfo): string {
  return feature.min === undefined && feature.max === undefined
    ? feature.name
    : `${feature.name}: ${feature.min ?? "…"} to ${feature.max ?? "…"}`;
}

function format(value: unknown): string {
  return typeof value === "number" ? String(Number(value.toPrecision(6))) : JSON.stringify(value);
}
