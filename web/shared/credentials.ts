/**
 * Where a page keeps its credential: typed into a field, or handed over in the URL fragment (`#key=…`,
 * `#token=…`), which browsers never send to a server. It is kept in sessionStorage (this tab only, gone when the
 * tab closes), the fragment is removed from the address bar and the history entry at once, and it is never put in
 * a URL, a log or the DOM.
 */

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
