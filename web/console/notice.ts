/** A line that tells what the last action did, or the API's error with its message and code. */
import type { ApiAnswer } from "../shared/api";
import { fill, h } from "../shared/dom";

export class Notice {
  readonly element = h("div", { class: "notice", attrs: { "aria-live": "polite" } });

  ok(message: string): void {
    fill(this.element, h("p", { class: "ok" }, message));
  }

  /** Shows `answer`'s error; returns true when it was one (so callers can stop). */
  failed(answer: ApiAnswer): boolean {
    if (answer.ok) return false;
    fill(
      this.element,
      h(
        "div",
        { class: "error", attrs: { role: "alert" } },
        h("strong", {}, `${answer.status || ""} `, h("code", {}, answer.error?.code ?? "error")),
        h("p", { class: "error-message" }, answer.error?.message ?? ""),
      ),
    );
    return true;
  }

  clear(): void {
    fill(this.element);
  }
}
