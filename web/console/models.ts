/**
 * Models: every model with its versions (size, digest, upload time, the aliases on it, the default), how each
 * quantized version compares with the one it was made from (size, and the accuracy delta its manifest records),
 * moving an alias, and uploading a new version with a progress bar.
 */
import type { ApiClient } from "../shared/api";
import { field, fill, form, h, section } from "../shared/dom";
import { bytes, when } from "../shared/format";
import { uploadWithProgress } from "../shared/upload";
import { Notice } from "./notice";

interface Version {
  sha256: string;
  bytes: number;
  createdAt: string;
  original?: { sha256: string; bytes: number; changes: string[] };
}

interface Quantization {
  from: string;
  mode?: string;
  accuracyDeltaPoints?: number;
  [measure: string]: unknown;
}

interface Manifest {
  name: string;
  task: string;
  description?: string;
  visibility: string;
  versions: Record<string, Version>;
  aliases: Record<string, string>;
  quantization?: Record<string, Quantization>;
}

const TASKS = [
  "tensor",
  "text-classification",
  "image-classification",
  "feature-extraction",
  "ocr",
  "voice-activity",
  "tabular-classification",
  "tabular-regression",
];

export class ModelsSection {
  readonly element: HTMLElement;
  private readonly list = h("div", { class: "model-list" });
  private readonly notice = new Notice();
  /** The models listed by the last load. */
  private known = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    private readonly token: () => string | undefined,
  ) {
    this.element = section("models", "Models", this.notice.element, this.uploadForm(), this.list);
  }

  /** Lists the models again; false when the listing failed (its error is in the notice). */
  async load(): Promise<boolean> {
    fill(this.list, h("p", { class: "pending" }, "Loading the models…"));
    const answer = await this.api.get<{ models: { name: string }[] }>("/admin/models");
    if (this.notice.failed(answer)) {
      fill(this.list);
      return false;
    }
    this.known = new Set(answer.data!.models.map((m) => m.name));
    const manifests = await Promise.all(
      answer.data!.models.map((m) => this.api.get<Manifest>(`/admin/models/${encodeURIComponent(m.name)}`)),
    );
    fill(
      this.list,
      manifests.filter((a) => a.ok).map((a) => this.modelCard(a.data!)),
    );
    return true;
  }

  private modelCard(manifest: Manifest): HTMLElement {
    const names = Object.keys(manifest.versions);
    const aliasesOf = (version: string) =>
      Object.entries(manifest.aliases)
        .filter(([, v]) => v === version)
        .map(([alias]) => alias);
    return h(
      "article",
      { class: "card", attrs: { "aria-label": `Model ${manifest.name}`, "data-model": manifest.name } },
      h(
        "h3",
        {},
        manifest.name,
        " ",
        h("span", { class: "badge" }, manifest.task),
        manifest.visibility === "private" ? h("span", { class: "badge" }, "private") : null,
      ),
      manifest.description ? h("p", { class: "description" }, manifest.description) : null,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          {},
          h("caption", { class: "visually-hidden" }, `Versions of ${manifest.name}`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Version", "Aliases", "Size", "Digest (SHA-256)", "Uploaded", "Quantization"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            names.map((version) => {
              const entry = manifest.versions[version]!;
              const aliases = aliasesOf(version);
              return h(
                "tr",
                {},
                h(
                  "th",
                  { scope: "row" },
                  version,
                  aliases.includes("default") ? h("span", { class: "badge default" }, "default") : null,
                ),
                h("td", {}, aliases.filter((a) => a !== "default").join(", ") || "—"),
                h("td", {}, bytes(entry.bytes)),
                h("td", {}, h("code", { title: entry.sha256 }, `${entry.sha256.slice(0, 12)}…`)),
                h("td", {}, when(entry.createdAt)),
                h("td", {}, quantizationDelta(manifest, version)),
              );
            }),
          ),
        ),
      ),
      this.aliasForm(manifest),
    );
  }

  private aliasForm(manifest: Manifest): HTMLElement {
    const alias = h("input", { value: "default", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]*", size: 10 });
    const version = h(
      "select",
      {},
      Object.keys(manifest.versions).map((v) => h("option", { value: v, selected: v === manifest.aliases.default }, v)),
    );
    return form(
      { class: "inline-form" },
      async () => {
        const path = `/admin/models/${encodeURIComponent(manifest.name)}/aliases/${encodeURIComponent(alias.value)}`;
        const answer = await this.api.call("PUT", path, { version: version.value });
        if (this.notice.failed(answer)) return;
        // the notice once the list shows the moved alias
        if (await this.load())
          this.notice.ok(`${manifest.name}: alias '${alias.value}' now points at version ${version.value}.`);
      },
      field("Alias", alias),
      field("points at version", version),
      h("button", { type: "submit" }, "Move the alias"),
    );
  }

  private uploadForm(): HTMLElement {
    const model = h("input", {
      required: true,
      pattern: "[a-z0-9][a-z0-9._\\-]*",
      placeholder: "my-model",
      autocomplete: "off",
    });
    const task = h(
      "select",
      {},
      TASKS.map((t) => h("option", { value: t }, t)),
    );
    const version = h("input", { required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]*", value: "1", size: 8 });
    const file = h("input", { type: "file", required: true, accept: ".onnx,application/octet-stream" });
    const makeDefault = h("input", { type: "checkbox", checked: true });
    const progress = h("progress", { max: 1, value: 0, attrs: { "aria-label": "Upload progress" } });
    const progressText = h("span", { class: "hint", attrs: { "aria-live": "polite" } });
    const submit = h("button", { type: "submit", class: "primary" }, "Upload");
    return form(
      { class: "card upload" },
      async () => {
        const picked = file.files?.[0];
        if (!picked) return;
        submit.disabled = true;
        try {
          const name = encodeURIComponent(model.value);
          // a new model needs its manifest first; an existing one keeps its own
          if (!this.known.has(model.value)) {
            const created = await this.api.call("PUT", `/admin/models/${name}`, { task: task.value });
            if (this.notice.failed(created)) return;
          }
          progress.value = 0;
          const path = `/admin/models/${name}/versions/${encodeURIComponent(version.value)}?default=${makeDefault.checked}`;
          const answer = await uploadWithProgress("PUT", path, picked, this.token(), (sent, total) => {
            progress.max = total;
            progress.value = sent;
            fill(progressText, `${bytes(sent)} of ${bytes(total)} sent`);
          });
          if (this.notice.failed(answer)) return;
          fill(progressText, `${bytes(picked.size)} uploaded`);
          if (await this.load())
            this.notice.ok(`Uploaded ${model.value} version ${version.value} (${bytes(picked.size)}).`);
        } finally {
          submit.disabled = false;
        }
      },
      h("h3", {}, "Upload a version"),
      h(
        "div",
        { class: "grid" },
        field("Model", model, "An existing model, or a new one"),
        field("Task (new models)", task),
        field("Version", version),
        field("ONNX file", file),
      ),
      h("label", { class: "inline" }, makeDefault, " Make it the default version"),
      h("div", { class: "actions" }, submit, progress, progressText),
    );
  }
}

/** How a quantized version compares with the version it was made from: size, and the deltas its manifest records. */
function quantizationDelta(manifest: Manifest, version: string): string {
  const note = manifest.quantization?.[version];
  if (!note) return "—";
  const from = manifest.versions[note.from];
  const own = manifest.versions[version]!;
  const size = from ? `${(from.bytes / own.bytes).toFixed(1)}× smaller than ${note.from}` : `from ${note.from}`;
  const deltas = Object.entries(note)
    .filter((entry): entry is [string, number] => entry[0].endsWith("DeltaPoints") && typeof entry[1] === "number")
    .map(
      ([name, points]) =>
        `${name.replace(/DeltaPoints$/, "")} ${points >= 0 ? "+" : "−"}${Math.abs(points).toFixed(2)} points`,
    );
  const mode = note.mode && note.mode.length <= 40 ? `${note.mode}: ` : "";
  return `${mode}${[size, ...deltas].join(", ")}`;
}
