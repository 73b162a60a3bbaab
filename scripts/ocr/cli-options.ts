/**
 * Command-line settings shared by the OCR measurement scripts: `--option name=value` (a request option, e.g.
 * `orientation=line`) and `--set section.name=value` (a manifest setting, e.g. `postprocess.unclipRatio=2`).
 */

/** `true`/`false` as booleans, numbers as numbers, the rest as text. */
function value(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  return text !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** @example requestOptions(["deskew=false"]) // {deskew: false} */
export function requestOptions(pairs: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const [name, text = ""] = pair.split("=");
      return [name!, value(text)];
    }),
  );
}

/** @example manifestOverrides(["postprocess.unclipRatio=2"]) // {postprocess: {unclipRatio: 2}} */
export function manifestOverrides(pairs: readonly string[]): {
  preprocess?: Record<string, unknown>;
  postprocess?: Record<string, unknown>;
} {
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const pair of pairs) {
    const [path, text = ""] = pair.split("=");
    const [section, name] = path!.split(".");
    if ((section !== "preprocess" && section !== "postprocess") || !name)
      throw new Error(`--set takes preprocess.<name>=<value> or postprocess.<name>=<value>, got '${pair}'`);
    overrides[section] = { ...overrides[section], [name]: value(text) };
  }
  return overrides;
}
