/**
 * onnxruntime's failures in our own words. Its messages carry C++ build paths (`/mnt/…/onnxruntime/core/…h:563`),
 * function signatures, assertion expressions, node names and, when the WASM module aborts, Emscripten's
 * "Aborted(). Build with -sASSERTIONS" advice: none of it helps a caller and some of it describes our build. What
 * a caller can act on is the operator that failed, the input it names and what was wrong; the messages below are
 * matched from onnxruntime 1.30 (core/providers/cpu/*, core/framework/*, core/graph/*) and every other text is
 * stripped of paths, signatures and node names before it is shown, or replaced by a plain sentence.
 */

/** A phrase a known message becomes, and the operator it implies when the message names none. */
interface Known {
  pattern: RegExp;
  say: (match: RegExpExecArray) => string;
  op?: string;
}

const shape = (dims: string) => `[${dims.replace(/\s+/g, "").split(",").filter(Boolean).join(", ")}]`;

const OUT_OF_MEMORY =
  /Aborted\(|-sASSERTIONS|bad_alloc|out of memory|Failed to allocate|memory access out of bounds|Cannot enlarge memory/i;

const WHILE_RUNNING: Known[] = [
  {
    pattern:
      /Got invalid dimensions for input: (\S+) for the following indices\s+index: (\d+) Got: (\d+) Expected: (\d+)/,
    say: (m) => `input '${m[1]}' has ${m[3]} at axis ${m[2]}; the model expects ${m[4]}`,
  },
  {
    pattern: /Invalid rank for input: (\S+) Got: (\d+) Expected: (\d+)/,
    say: (m) => `input '${m[1]}' has rank ${m[2]}; the model expects rank ${m[3]}`,
  },
  {
    pattern: /Unexpected input data type\. Actual: \(tensor\((\w+)\)\) , expected: \(tensor\((\w+)\)\)/,
    say: (m) => `an input is ${m[1]}; the model expects ${m[2]}`,
  },
  {
    pattern: /cannot be reshaped to the requested shape\. Input shape:\s*\{([^}]*)\}, requested shape:\s*\{([^}]*)\}/,
    say: (m) => `a tensor of shape ${shape(m[1]!)} cannot be reshaped to ${shape(m[2]!)}`,
    op: "Reshape",
  },
  {
    pattern: /A dimension cannot be less than -1, got (-?\d+)/,
    say: (m) => `a requested dimension is ${m[1]}, below -1`,
    op: "Reshape",
  },
  {
    pattern:
      /indices element out of data bounds, idx=(-?\d+) must be within the inclusive range \[(-?\d+),\s*(-?\d+)\]/,
    say: (m) => `index ${m[1]} is outside [${m[2]}, ${m[3]}]`,
    op: "Gather",
  },
  { pattern: /MatMul dimension mismatch/, say: () => "the inner dimensions of its two inputs differ", op: "MatMul" },
  {
    pattern: /Non concat axis dimensions must match: Axis (\d+) has mismatched dimensions of (\d+) and (\d+)/,
    say: (m) => `its inputs differ on axis ${m[1]} (${m[2]} against ${m[3]})`,
    op: "Concat",
  },
  {
    pattern: /Attempting to broadcast an axis by a dimension other than 1\. (\d+) by (\d+)/,
    say: (m) => `its inputs' shapes cannot be broadcast together (a dimension of ${m[1]} against ${m[2]})`,
  },
  { pattern: /invalid expand shape/i, say: () => "the shape it was given does not fit its input", op: "Expand" },
  {
    pattern: /Input channels C is not equal to kernel channels \* group\. C: (\d+) kernel channels: (\d+) group: (\d+)/,
    say: (m) => `the input has ${m[1]} channels where its weights take ${Number(m[2]) * Number(m[3])}`,
    op: "Conv",
  },
  {
    pattern: /Invalid input shape: \{([^}]*)\}/,
    say: (m) => `an input of shape ${shape(m[1]!)} has the wrong rank or size`,
  },
  { pattern: /Integer overflow/, say: () => "a tensor's size overflows: the shapes are too large" },
];

const WHILE_LOADING: Known[] = [
  {
    pattern:
      /Type parameter \((\w+)\) of Optype \((\w+)\) bound to different types \(tensor\((\w+)\) and tensor\((\w+)\)/,
    say: (m) => `operator ${m[2]} receives inputs of different types (${m[3]} and ${m[4]})`,
  },
  {
    pattern: /Type 'tensor\((\w+)\)' of input parameter \(([^)]*)\) of operator \((\w+)\)/,
    say: (m) => `operator ${m[3]} does not accept ${m[1]} for its input '${m[2]}'`,
  },
  {
    pattern: /Node input '([^']+)' is not a graph input, initializer, or output of a previous node/,
    say: (m) => `a node reads '${m[1]}', which is neither a graph input, an initializer nor another node's output`,
  },
  {
    pattern: /Opset (\d+) is under development.*?Current official support for domain (\S+) is till opset (\d+)/s,
    say: (m) => `the model imports opset ${m[1]} of ${m[2]}; onnxruntime-web supports up to opset ${m[3]}`,
  },
  { pattern: /graph is not acyclic/, say: () => "the graph has a cycle" },
  { pattern: /Protobuf parsing failed/, say: () => "the file is not a valid ONNX protobuf" },
  {
    pattern: /(?:Op \((\w+)\) )?\[ShapeInferenceError\]\s*([^\n]*)/,
    say: (m) =>
      `${m[1] ? `operator ${m[1]}: ` : ""}shape inference failed: ${sanitize(m[2]!) || "the shapes do not fit"}`,
  },
];

/** What went wrong running a model, in our words: the operator, the input, what was wrong. */
export function describeRunFailure(error: unknown): string {
  const text = ortText(error);
  if (OUT_OF_MEMORY.test(text))
    return "the runtime ran out of memory for these inputs; send smaller inputs or a smaller batch";
  const { op, status } = parse(text);
  for (const known of WHILE_RUNNING) {
    const match = known.pattern.exec(status);
    if (!match) continue;
    const operator = op ?? known.op;
    return operator ? `operator ${operator} failed on these inputs: ${known.say(match)}` : known.say(match);
  }
  const detail = sanitize(status);
  const what = op ? `operator ${op} failed on these inputs` : "the model cannot run on these inputs";
  return detail ? `${what}: ${detail}` : `${what}; check their shapes and values against the model's metadata`;
}

/** Why onnxruntime cannot load a model, in our words. */
export function describeLoadFailure(error: unknown): string {
  const text = ortText(error);
  if (OUT_OF_MEMORY.test(text)) return "the runtime ran out of memory loading it";
  for (const known of WHILE_LOADING) {
    const match = known.pattern.exec(text);
    if (match) return known.say(match);
  }
  return sanitize(text) || "onnxruntime-web cannot load it";
}

/** The message onnxruntime-web threw (for matching, never for a response). */
export function ortText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // "failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: ..." and the like
  return (/ERROR_MESSAGE: ([\s\S]*)$/.exec(text)?.[1] ?? text).trim();
}

/** The failing node's operator and the status message, without the node's name. */
function parse(text: string): { op?: string; status: string } {
  const header = /running (\w+) node\. Name:'[^']*' Status Message: ([\s\S]*)$/.exec(text);
  return header ? { op: header[1], status: header[2]! } : { status: text };
}

const MAX_DETAIL = 300;

/**
 * Removes what describes onnxruntime's build rather than the request: source locations, C++ signatures, assertion
 * expressions, node names, Emscripten's abort advice. Returns "" when what is left still looks internal.
 */
export function sanitize(text: string): string {
  const cleaned = text
    .replace(/(?:\S*\/)?[\w.-]+\.(?:h|hpp|hh|cc|cpp|cxx|c):\d+/g, "") // source locations
    .replace(/^[^.]*?\b(?:\w+::)+~?\w+(?:<[^>]*>)?\([^)]*\)(?:\s*const)?/gm, "") // C++ signatures
    .replace(/[^.]*\bwas false\.\s*/g, "") // ORT_ENFORCE expressions
    .replace(/\b(?:in )?[Nn]ode \([^)]*\)/g, "") // node names
    .replace(/\bName:'[^']*'/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^[\s:.,]+/, "");
  if (cleaned === "" || /::|[/\\]|Aborted|ASSERTIONS|\.(?:h|cc|cpp)\b|0x[0-9a-f]{6,}/i.test(cleaned)) return "";
  return cleaned.length > MAX_DETAIL ? `${cleaned.slice(0, MAX_DETAIL)}…` : cleaned;
}
