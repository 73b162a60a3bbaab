/**
 * Tenants: create one with its limits, pick one to edit its limits and metering mode, manage its keys and watch
 * its usage.
 */
import type { ApiClient } from "../shared/api";
import { field, fill, form, h, section } from "../shared/dom";
import { count } from "../shared/format";
import { KeysPanel } from "./keys";
import { Notice } from "./notice";
import { UsagePanel } from "./usage";

interface Tenant {
  id: string;
  name: string;
  limits: { requestsPerMinute: number; monthlyUnits: number };
  metering: "exact" | "leased";
  createdAt: string;
}

export class TenantsSection {
  readonly element: HTMLElement;
  private readonly picker = h("div", { class: "tenant-picker" });
  private readonly detail = h("div", { class: "tenant-detail" });
  private readonly notice = new Notice();
  private usage: UsagePanel | undefined;

  constructor(private readonly api: ApiClient) {
    this.element = section(
      "tenants",
      "Tenants and keys",
      this.notice.element,
      this.createForm(),
      this.picker,
      this.detail,
    );
  }

  async load(select?: string): Promise<void> {
    const answer = await this.api.get<{ tenants: { id: string; name: string }[] }>("/admin/tenants");
    if (this.notice.failed(answer)) return;
    const tenants = answer.data!.tenants;
    if (tenants.length === 0) return fill(this.picker, h("p", {}, "No tenants yet."));
    const chooser = h(
      "select",
      { on: { change: () => void this.show(chooser.value) } },
      tenants.map((t) => h("option", { value: t.id }, `${t.name} (${t.id.slice(0, 12)}…)`)),
    );
    chooser.value = select ?? tenants[0]!.id;
    fill(this.picker, field(`Tenant (${tenants.length})`, chooser));
    await this.show(chooser.value);
  }

  private async show(id: string): Promise<void> {
    this.usage?.close();
    const answer = await this.api.get<Tenant>(`/admin/tenants/${id}`);
    if (this.notice.failed(answer)) return;
    const tenant = answer.data!;
    const keys = new KeysPanel(this.api, tenant.id);
    this.usage = new UsagePanel(this.api, tenant.id);
    fill(
      this.detail,
      h(
        "article",
        { class: "card", attrs: { "aria-label": `Tenant ${tenant.name}`, "data-tenant": tenant.id } },
        h("h3", {}, tenant.name, " ", h("code", { class: "id" }, tenant.id)),
        this.limitsForm(tenant),
        keys.element,
        this.usage.element,
      ),
    );
    await Promise.all([keys.load(), this.usage.load()]);
  }

  private limitsForm(tenant: Tenant): HTMLElement {
    const rpm = h("input", {
      type: "number",
      min: "1",
      required: true,
      value: String(tenant.limits.requestsPerMinute),
    });
    const units = h("input", { type: "number", min: "0", required: true, value: String(tenant.limits.monthlyUnits) });
    const metering = h(
      "select",
      {},
      ["exact", "leased"].map((m) => h("option", { value: m, selected: m === tenant.metering }, m)),
    );
    return form(
      { class: "inline-form" },
      async () => {
        const answer = await this.api.call<Tenant>("PATCH", `/admin/tenants/${tenant.id}`, {
          limits: { requestsPerMinute: Number(rpm.value), monthlyUnits: Number(units.value) },
          metering: metering.value,
        });
        if (this.notice.failed(answer)) return;
        const saved = answer.data!;
        this.notice.ok(
          `${saved.name}: ${count(saved.limits.requestsPerMinute)} requests a minute, ${count(saved.limits.monthlyUnits)} units a month, ${saved.metering} metering.`,
        );
      },
      h("h4", {}, "Limits"),
      h(
        "div",
        { class: "grid" },
        field("Requests per minute", rpm),
        field("Units per month", units),
        field("Metering", metering),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save the limits")),
    );
  }

  private createForm(): HTMLElement {
    const name = h("input", { required: true, placeholder: "acme", autocomplete: "off" });
    const rpm = h("input", { type: "number", min: "1", required: true, value: "600" });
    const units = h("input", { type: "number", min: "0", required: true, value: "100000" });
    const metering = h(
      "select",
      {},
      h("option", { value: "exact" }, "exact"),
      h("option", { value: "leased" }, "leased"),
    );
    return form(
      { class: "card inline-form" },
      async () => {
        const answer = await this.api.call<Tenant>("POST", "/admin/tenants", {
          name: name.value,
          limits: { requestsPerMinute: Number(rpm.value), monthlyUnits: Number(units.value) },
          metering: metering.value,
        });
        if (this.notice.failed(answer)) return;
        this.notice.ok(`Created the tenant ${answer.data!.name}.`);
        name.value = "";
        await this.load(answer.data!.id);
      },
      h("h3", {}, "Create a tenant"),
      h(
        "div",
        { class: "grid" },
        field("Name", name),
        field("Requests per minute", rpm),
        field("Units per month", units),
        field("Metering", metering),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create the tenant")),
    );
  }
}
