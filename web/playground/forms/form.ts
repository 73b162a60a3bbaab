/** What every task form gets, and the shape they share: a `<form>` whose submit runs the model once. */
import type { ApiClient } from "../../shared/api";
import { h } from "../../shared/dom";
import type { ModelInfo } from "../model-info";
import { ResultView } from "../result";

export interface FormContext {
  api: ApiClient;
  model: ModelInfo;
}

export type TaskForm = (context: FormContext) => HTMLElement;

/**
 * A form with its controls, a submit button, and a result view below; `run` is called on submit (Enter in a field,
 * or the button) and shows its answer in `result`. While it runs the button is disabled.
 */
export function taskForm(
  controls: (HTMLElement | null)[],
  submitLabel: string,
  run: (result: ResultView) => Promise<void>,
  extraButtons: HTMLElement[] = [],
): HTMLElement {
  const result = new ResultView();
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    {
      class: "task-form",
      noValidate: false,
      on: {
        submit: (event) => {
          event.preventDefault();
          submit.disabled = true;
          result.pending();
          run(result)
            .catch((error: unknown) =>
              result.error("page_error", error instanceof Error ? error.message : String(error)),
            )
            .finally(() => {
              submit.disabled = false;
            });
        },
      },
    },
    controls,
    h("div", { class: "actions" }, submit, extraButtons),
  );
  return h("div", { class: "task" }, form, result.element);
}

/** `/v1/run/{model}` of this form's model. */
export function runPath(model: ModelInfo, query = ""): string {
  return `/v1/run/${encodeURIComponent(model.id)}${query}`;
}
