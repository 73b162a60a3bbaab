/**
 * `tensor` models: an OIP inference request in a JSON editor, prefilled from the model's metadata (each input with
 * its name, datatype and shape, dynamic dimensions set to 1 for the batch and 32 elsewhere, zeros as data); the
 * answer is the output tensors, long data shortened.
 */
import { field, h } from "../../shared/dom";
import type { TensorInfo } from "../model-info";
import { type TaskForm, taskForm } from "./form";

const SHOWN_VALUES = 12;

export const tensorForm: TaskForm = ({ api, model }) => {
  const editor = h("textarea", {
    rows: 12,
    spellcheck: false,
    class: "code",
    // one input per line: readable, and still JSON
    value: `{"inputs": [\n${model.inputs.map((input) => `  ${JSON.stringify(prefill(input))}`).join(",\n")}\n]}`,
  });
  return taskForm(
    [field("OIP inference request (JSON)", editor, "Edit the data; shapes must fit the model's inputs.")],
    "Infer",
    async (result) => {
      let request: unknown;
      try {
        request = JSON.parse(editor.value);
      } catch (error) {
        return result.error("invalid_json", `the request is not valid JSON: ${(error as Error).message}`);
      }
      const path = `/v2/models/${encodeURIComponent(model.id)}/infer`;
      const answer = await api.call<{ outputs: TensorInfo[] & { data: unknown[] }[] }>(
        "POST",
        path,
        request as Record<string, unknown>,
      );
      result.show(answer, (data) => outputsView(data.outputs as unknown as OutputTensor[]));
    },
  );
};

interface OutputTensor extends TensorInfo {
  data: unknown[];
}

export function prefill(input: TensorInfo): Record<string, unknown> {
  const shape = input.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : 32));
  const size = shape.reduce((n, d) => n * d, 1);
  const zero = input.datatype === "BOOL" ? false : input.datatype === "BYTES" ? "" : 0;
  return { name: input.name, datatype: input.datatype, shape, data: new Array(size).fill(zero) };
}

function outputsView(outputs: OutputTensor[]): HTMLElement {
  return h(
    "dl",
    { class: "tensors" },
    outputs.flatMap((output) => [
      h("dt", {}, h("code", {}, output.name), ` ${output.datatype} [${output.shape.join(", ")}]`),
      h(
        "dd",
        {},
        h(
          "code",
          {},
          `${output.data
            .slice(0, SHOWN_VALUES)
            .map((v) => (typeof v === "number" ? Number(v.toPrecision(5)) : JSON.stringify(v)))
            .join(", ")}${output.data.length > SHOWN_VALUES ? `, … (${output.data.length} values)` : ""}`,
        ),
      ),
    ]),
  );
}
