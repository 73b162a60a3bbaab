/**
 * Where a form's answer appears: what it cost and how it was served (latency here and on the server, `X-Cache`,
 * units charged, quota and rate limit left, request id), then the answer drawn for its task; or the API's error,
 * with its message and code, in an alert.
 */
import type { ApiAnswer } from "../shared/api";
import { fill, h } from "../shared/dom";
import { count, millis } from "../shared/format";

export class ResultView {
  readonly element: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly body: HTMLElement;

  constructor() {
    this.meta = h("dl", { class: "meta" });
    this.body = h("div", { class: "answer" });
    this.element = h(
      "section",
      { class: "result", attrs: { "aria-live": "polite", "aria-label": "Result" } },
      this.meta,
      this.body,
    );
  }

  private done(): void {
    this.element.removeAttribute("aria-busy");
    answers += 1;
    document.body.dataset.answers = String(answers);
  }

  pending(what = "Running…"): void {
    this.element.setAttribute("aria-busy", "true");
    fill(this.meta);
    fill(this.body, h("p", { class: "pending" }, what));
  }

  /** Shows an answer: `render` draws a successful one; an error shows its message and code. */
  show<T>(answer: ApiAnswer<T>, render: (data: T) => Node | Node[]): void {
    this.done();
    fill(this.meta, metaEntries(answer));
    if (answer.ok) {
      const drawn = render(answer.data as T);
      fill(this.body, Array.isArray(drawn) ? drawn : [drawn]);
      const warning = answer.headers.get("Warning");
      if (warning) this.body.prepend(h("p", { class: "warning" }, `Warning: ${warning}`));
      return;
    }
    this.alert(answer.error?.code ?? "error", answer.error?.message ?? `HTTP ${answer.status}`, answer.status);
  }

  /** An error found in the page before any request (a file too large to read, no microphone...). */
  error(code: string, message: string): void {
    this.done();
    fill(this.meta);
    this.alert(code, message);
  }

  private alert(code: string, message: string, status?: number): void {
    fill(
      this.body,
      h(
        "div",
        { class: "error", attrs: { role: "alert" } },
        h("strong", {}, status ? `${status} ` : "", h("code", {}, code)),
        h("p", { class: "error-message" }, message),
      ),
    );
  }
}

/** Answers shown on this page so far, on `<body data-answers>`: how scripts (and tests) know a new one is in. */
let answers = 0;

function metaEntries(answer: ApiAnswer): HTMLElement[] {
  const header = (name: string) => answer.headers.get(name);
  const server = /(?:^|,)\s*total;dur=([\d.]+)/.exec(header("Server-Timing") ?? "")?.[1];
  const entries: [string, string | null][] = [
    ["Status", answer.status ? String(answer.status) : "no answer"],
    ["Latency", `${millis(answer.ms)}${server ? ` (server ${millis(Number(server))})` : ""}`],
    ["X-Cache", header("X-Cache")],
    ["Units charged", header("X-Units")],
    [
      "Quota left",
      header("X-Quota-Remaining") &&
        `${count(Number(header("X-Quota-Remaining")))} of ${count(Number(header("X-Quota-Limit")))}`,
    ],
    ["Requests left this minute", header("RateLimit-Remaining")],
    ["Request id", header("X-Request-Id")],
  ];
  return entries
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", { attrs: { "data-meta": name } }, value)));
}
