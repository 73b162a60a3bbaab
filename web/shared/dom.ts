/**
 * A small element builder: the pages are plain TypeScript, and this keeps building DOM trees short and readable.
 * Text always goes in as text nodes (never as HTML), so nothing an API answers can inject markup.
 */

type Child = Node | string | number | null | undefined | false;
type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], "style" | "children">> & {
  class?: string;
  style?: string;
  /** Attributes set as such (`aria-*`, `for`, `role`, `data-*`...). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<{ [E in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[E]) => void }>;
};

/**
 * @example h("button", { type: "button", on: { click: run } }, "Run")
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: NoInfer<Props<K>> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const { class: className, style, attrs, on, ...rest } = props;
  if (className) element.className = className;
  // through CSSOM: the pages' Content-Security-Policy refuses style attributes written as markup
  if (style) element.style.cssText = style;
  Object.assign(element, rest);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, listener] of Object.entries(on ?? {})) element.addEventListener(name, listener as EventListener);
  append(element, children.flat());
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children.flat());
}

let ids = 0;
/** A unique id for pairing a label with its control. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled control: `<label for>` + the control, in one block. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id ||= uid("field");
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { htmlFor: control.id }, label),
    control,
    hint ? h("small", { id: hintId, class: "hint" }, hint) : null,
  );
}

/**
 * A `<form>` whose submit (Enter in a field, or its submit button) runs `onSubmit` in the page instead of
 * navigating. `noValidate` is left off, so the browser checks `required` and `pattern` first.
 * @example form({ class: "inline-form" }, save, field("Name", name), h("button", { type: "submit" }, "Save"))
 */
export function form(
  props: NoInfer<Props<"form">>,
  onSubmit: () => unknown,
  ...children: (Child | Child[])[]
): HTMLFormElement {
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void onSubmit();
  };
  return h("form", { ...props, on: { ...props.on, submit } }, ...children);
}

/** A `<section id>` named by its `<h2>` (so screen readers list it as a region with that name). */
export function section(id: string, title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h(
    "section",
    { id, attrs: { "aria-labelledby": `${id}-heading` } },
    h("h2", { id: `${id}-heading` }, title),
    ...children,
  );
}
