/**
 * A tenant's API keys: create one (its secret shown once, with a copy button), revoke one (asked twice), and edit
 * a key's name, scopes and allowed web origins.
 */

// only a type: nothing of the Worker is bundled into the page
import type { KeyRecord } from "../../src/tenancy/schemas";
import type { ApiClient } from "../shared/api";
import { field, fill, form, h } from "../shared/dom";
import { when } from "../shared/format";
import { Notice } from "./notice";

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export class KeysPanel {
  readonly element: HTMLElement;
  private readonly list = h("div", { class: "table-wrap" });
  private readonly secret = h("div", { class: "secret-slot" });
  private readonly notice = new Notice();

  constructor(
    private readonly api: ApiClient,
    private readonly tenantId: string,
  ) {
    this.element = h(
      "section",
      { class: "keys", attrs: { "aria-labelledby": `keys-${tenantId}` } },
      h("h3", { id: `keys-${tenantId}` }, "API keys"),
      this.notice.element,
      this.createForm(),
      this.secret,
      this.list,
    );
  }

  /** Lists the tenant's keys again; false when the listing failed (its error is in the notice). */
  async load(): Promise<boolean> {
    const answer = await this.api.get<{ keys: KeyRecord[] }>(`/admin/tenants/${this.tenantId}/keys`);
    if (this.notice.failed(answer)) return false;
    const keys = answer.data!.keys;
    if (keys.length === 0) {
      fill(this.list, h("p", {}, "No keys yet."));
      return true;
    }
    fill(
      this.list,
      h(
        "table",
        { class: "key-table" },
        h("caption", { class: "visually-hidden" }, "API keys"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Name", "Key", "Scopes", "Allowed origins", "Created", "Last used", "Status", ""].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          keys.map((key) => this.row(key)),
        ),
      ),
    );
    return true;
  }

  private row(key: KeyRecord): HTMLElement {
    const expired = key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now();
    const status = key.revokedAt ? `revoked ${when(key.revokedAt)}` : expired ? "expired" : "active";
    const actions = h("td", { class: "row-actions" });
    const row = h(
      "tr",
      { attrs: { "data-key-id": key.id } },
      h("th", { scope: "row" }, key.name),
      h("td", {}, h("code", {}, key.prefix)),
      h("td", {}, key.scopes.join(" ")),
      h("td", {}, key.allowedOrigins?.join(" ") ?? "any"),
      h("td", {}, when(key.createdAt)),
      h("td", {}, when(key.lastUsedAt)),
      h("td", { class: key.revokedAt ? "revoked" : "" }, status),
      actions,
    );
    if (!key.revokedAt) {
      const edit = h("button", { type: "button", on: { click: () => row.after(this.editRow(key)) } }, "Edit");
      const revoke = h(
        "button",
        { type: "button", class: "danger", attrs: { "aria-label": `Revoke ${key.name}` } },
        "Revoke",
      );
      revoke.addEventListener("click", async () => {
        if (revoke.dataset.confirm !== "yes") {
          revoke.dataset.confirm = "yes";
          revoke.textContent = "Confirm revoke";
          revoke.setAttribute("aria-label", `Confirm revoking ${key.name}`);
          return;
        }
        const answer = await this.api.call("DELETE", `/admin/keys/${key.id}`);
        if (this.notice.failed(answer)) return;
        // the notice once the list shows the key as revoked
        if (await this.load())
          this.notice.ok(`Revoked ${key.name} (${key.prefix}): it is refused from the next request on.`);
      });
      fill(actions, edit, revoke);
    }
    return row;
  }

  private editRow(key: KeyRecord): HTMLElement {
    const name = h("input", { value: key.name, required: true });
    const scopes = h("input", { value: key.scopes.join(" "), required: true });
    const origins = h("textarea", { rows: 2, value: key.allowedOrigins?.join("\n") ?? "" });
    const cell = h("td", { colSpan: 8 });
    const row = h("tr", { class: "edit-row" }, cell);
    fill(
      cell,
      form(
        { class: "inline-form" },
        async () => {
          const allowed = words(origins.value);
          const answer = await this.api.call("PATCH", `/admin/keys/${key.id}`, {
            name: name.value,
            scopes: words(scopes.value),
            allowedOrigins: allowed.length > 0 ? allowed : null,
          });
          if (this.notice.failed(answer)) return;
          if (await this.load()) this.notice.ok(`Updated ${name.value}.`);
        },
        field("Name", name),
        field("Scopes", scopes, "infer, usage:read, or infer:{model}; separated by spaces"),
        field(
          "Allowed origins",
          origins,
          "One per line: https://shop.example or https://*.shop.example. Empty: any origin.",
        ),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit", class: "primary" }, "Save"),
          h("button", { type: "button", on: { click: () => row.remove() } }, "Cancel"),
        ),
      ),
    );
    return row;
  }

  private createForm(): HTMLElement {
    const name = h("input", { required: true, placeholder: "web shop", autocomplete: "off" });
    const scopes = h("input", { value: "infer usage:read", required: true });
    const origins = h("textarea", { rows: 2, placeholder: "https://shop.example" });
    const expires = h("input", { type: "datetime-local" });
    return form(
      { class: "inline-form" },
      async () => {
        const allowed = words(origins.value);
        const answer = await this.api.call<KeyRecord & { key: string }>(
          "POST",
          `/admin/tenants/${this.tenantId}/keys`,
          {
            name: name.value,
            scopes: words(scopes.value),
            ...(allowed.length > 0 ? { allowedOrigins: allowed } : {}),
            ...(expires.value ? { expiresAt: new Date(expires.value).toISOString() } : {}),
          },
        );
        if (this.notice.failed(answer)) return;
        this.notice.clear();
        this.showSecret(answer.data!);
        name.value = "";
        await this.load();
      },
      h("h4", {}, "Create a key"),
      h(
        "div",
        { class: "grid" },
        field("Name", name),
        field("Scopes", scopes, "separated by spaces"),
        field("Allowed origins (optional)", origins, "One per line; for keys used in web pages"),
        field("Expires (optional)", expires),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create the key")),
    );
  }

  /** The new key's secret, once: it is in no listing and the server keeps only its hash. */
  private showSecret(created: KeyRecord & { key: string }): void {
    const value = h("input", {
      readOnly: true,
      value: created.key,
      class: "code",
      attrs: { "aria-label": `The secret of ${created.name}` },
    });
    const copied = h("span", { class: "hint", attrs: { "aria-live": "polite" } });
    const copy = h("button", { type: "button" }, "Copy");
    copy.addEventListener("click", async () => {
      value.select();
      try {
        await navigator.clipboard.writeText(value.value);
      } catch {
        document.execCommand("copy");
      }
      fill(copied, "Copied.");
    });
    const dismiss = h("button", { type: "button", on: { click: () => fill(this.secret) } }, "I have stored it");
    fill(
      this.secret,
      h(
        "div",
        { class: "secret", attrs: { role: "status" } },
        h("p", {}, h("strong", {}, `The key of ${created.name}.`), " It is shown this once: store it now."),
        h("div", { class: "actions" }, value, copy, dismiss, copied),
      ),
    );
  }
}
