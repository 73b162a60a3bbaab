/**
 * Where a page keeps its credential: typed into a field, or handed over in the URL fragment (`#key=…`,
 * `#token=…`), which browsers never send to a server. It is kept in sessionStorage (this tab only, gone when the
 * tab closes), the fragment is removed from the address bar and the history entry at once, and it is never put in
 * a URL, a log or the DOM.
 */
import { field, form, h } from "./dom";

export class Credential {
  private value: string | undefined;

  /** @param name  the fragment parameter and the sessionStorage entry (`key` or `token`) */
  constructor(private readonly name: string) {
    this.value = sessionStorage.getItem(this.storageKey) ?? undefined;
    const fragment = new URLSearchParams(location.hash.slice(1));
    const handed = fragment.get(name);
    if (handed) {
      this.set(handed);
      fragment.delete(name);
      const rest = fragment.toString();
      history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
    }
  }

  get(): string | undefined {
    return this.value;
  }

  set(value: string): void {
    this.value = value.trim() || undefined;
    if (this.value) sessionStorage.setItem(this.storageKey, this.value);
    else sessionStorage.removeItem(this.storageKey);
  }

  forget(): void {
    this.set("");
  }

  private get storageKey(): string {
    return `edge-maas:${this.name}`;
  }
}

/**
 * The form at the top of a page: the credential's field (a password field: not shown, not remembered by the
 * browser), a button to use what was typed and one to forget it; `changed` runs after either.
 */
export function credentialForm(
  credential: Credential,
  text: { label: string; hint: string; use: string; placeholder?: string },
  changed: () => unknown,
): HTMLElement {
  const input = h("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    placeholder: text.placeholder ?? "",
    value: credential.get() ?? "",
  });
  const forget = () => {
    credential.forget();
    input.value = "";
    void changed();
  };
  return form(
    { class: "credential" },
    () => {
      credential.set(input.value);
      return changed();
    },
    field(text.label, input, text.hint),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, text.use),
      h("button", { type: "button", on: { click: forget } }, "Forget it"),
    ),
  );
}
