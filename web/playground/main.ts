/**
 * The playground (`/playground`): an API key from the field or from `#key=…`, the models that key may use, and a
 * form per task that runs the model and shows its answer with what it cost.
 */
import { ApiClient } from "../shared/api";
import { Credential, credentialForm } from "../shared/credentials";
import { field, fill, h } from "../shared/dom";
import { embeddingsForm } from "./forms/embeddings";
import type { TaskForm } from "./forms/form";
import { imageClassificationForm } from "./forms/image-classification";
import { ocrForm } from "./forms/ocr";
import { tabularForm } from "./forms/tabular";
import { tensorForm } from "./forms/tensor";
import { textClassificationForm } from "./forms/text-classification";
import { voiceActivityForm } from "./forms/voice-activity";
import type { ModelInfo } from "./model-info";
import { ResultView } from "./result";

const FORMS: Record<string, TaskForm> = {
  "text-classification": textClassificationForm,
  "image-classification": imageClassificationForm,
  ocr: ocrForm,
  "voice-activity": voiceActivityForm,
  "feature-extraction": embeddingsForm,
  tensor: tensorForm,
  "tabular-classification": tabularForm,
  "tabular-regression": tabularForm,
};

const key = new Credential("key");
const api = new ApiClient(() => key.get());
const main = document.getElementById("main")!;

const keyForm = credentialForm(
  key,
  {
    label: "API key",
    hint: "Kept in this tab only (sessionStorage); sent only to this server.",
    use: "Use this key",
    placeholder: "emk_live_…",
  },
  loadModels,
);
const picker = h("div", { class: "picker" });
const workspace = h("div", { class: "workspace" });
fill(main, keyForm, picker, workspace);
void loadModels();

async function loadModels(): Promise<void> {
  fill(workspace);
  if (!key.get()) {
    fill(picker, h("p", {}, "Enter an API key to see the models it may use."));
    return;
  }
  fill(picker, h("p", { class: "pending" }, "Loading the models…"));
  const answer = await api.get<{ data: ModelInfo[] }>("/v1/models");
  if (!answer.ok) {
    const view = new ResultView();
    view.show(answer, () => []);
    fill(picker, view.element);
    return;
  }
  const models = answer.data!.data;
  if (models.length === 0) return fill(picker, h("p", {}, "This key may use no model."));
  const select = h(
    "select",
    { on: { change: () => show(models.find((m) => m.id === select.value)!) } },
    models.map((m) => h("option", { value: m.id }, `${m.id} (${m.task})`)),
  );
  fill(picker, field(`Model (${models.length} this key may use)`, select));
  const wanted = new URLSearchParams(location.search).get("model");
  const first = models.find((m) => m.id === wanted) ?? models[0]!;
  select.value = first.id;
  show(first);
}

function show(model: ModelInfo): void {
  const form = FORMS[model.task];
  const versions = model.versions.map((v) => (v === model.default ? `${v} (default)` : v)).join(", ");
  fill(
    workspace,
    h(
      "section",
      { class: "model", attrs: { "aria-labelledby": "model-name" } },
      h("h2", { id: "model-name" }, model.id, " ", h("span", { class: "badge" }, model.task)),
      model.description ? h("p", { class: "description" }, model.description) : null,
      h("p", { class: "hint" }, `Versions: ${versions}`),
      form ? form({ api, model }) : h("p", {}, `The playground has no form for the task '${model.task}' yet.`),
    ),
  );
}
