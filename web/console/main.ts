/**
 * The operator console (`/console`): the admin token from the field or from `#token=…`, then models (versions,
 * aliases, uploads) and tenants (limits, keys, usage), all through the admin API of this same origin.
 */
import { ApiClient } from "../shared/api";
import { Credential, credentialForm } from "../shared/credentials";
import { fill, h } from "../shared/dom";
import { ModelsSection } from "./models";
import { Notice } from "./notice";
import { TenantsSection } from "./tenants";

const token = new Credential("token");
const api = new ApiClient(() => token.get());
const main = document.getElementById("main")!;
const notice = new Notice();

const tokenForm = credentialForm(
  token,
  {
    label: "Admin token",
    hint: "ADMIN_TOKEN (locally in .dev.vars). Kept in this tab only (sessionStorage).",
    use: "Open the console",
  },
  open,
);
const sections = h("div", { class: "sections" });
fill(main, tokenForm, notice.element, sections);
void open();

async function open(): Promise<void> {
  fill(sections);
  notice.clear();
  if (!token.get()) return;
  const check = await api.get("/admin/tenants");
  if (notice.failed(check)) return;
  const models = new ModelsSection(api, () => token.get());
  const tenants = new TenantsSection(api);
  fill(
    sections,
    h(
      "nav",
      { class: "jump", attrs: { "aria-label": "Sections" } },
      h("a", { href: "#models" }, "Models"),
      " · ",
      h("a", { href: "#tenants" }, "Tenants and keys"),
    ),
    tenants.element,
    models.element,
  );
  await Promise.all([tenants.load(), models.load()]);
}
