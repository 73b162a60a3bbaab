/**
 * One realistic OIP request per bundled model (concrete sizes for its dynamic dimensions, deterministic data), shared
 * by the smoke test and the benchmark.
 */
/** An OIP JSON input tensor. */
export interface SampleInput {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

/** What the samples need of a manifest: its name, and its versions' input names and datatypes. */
export interface SampledModel {
  name: string;
  versions: Record<string, { inputs: readonly { name: string; datatype: string }[] }>;
  aliases: Record<string, string>;
}

/** Concrete shapes for each bundled model's inputs (its signature leaves batch and length dynamic). */
const SHAPES: Record<string, Record<string, number[]>> = {
  "silero-vad": { input: [1, 512], state: [2, 1, 128], sr: [] },
  "ppocr-rec": { x: [1, 3, 48, 320] },
  "ppocr-cls": { x: [1, 3, 48, 192] },
  ppocr: { x: [1, 3, 96, 96] },
  "bert-fixture": { input_ids: [1, 16], attention_mask: [1, 16], token_type_ids: [1, 16] },
  "mnist-digits": { image: [1, 1, 28, 28] },
  "lid-176": { ids: [1, 48] },
  "breast-cancer-logreg": { float_input: [1, 30] },
  "iris-forest": { float_input: [1, 4] },
  "diabetes-linear": Object.fromEntries(
    ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"].map((n) => [n, [1, 1]]),
  ),
};

/** The value of each integer input (float inputs get deterministic noise in [-1, 1)). */
const INTEGERS: Record<string, Record<string, number>> = {
  "silero-vad": { sr: 16000 },
  "bert-fixture": { input_ids: 1000, attention_mask: 1, token_type_ids: 0 },
  "lid-176": { ids: 1000 },
};

/**
 * The inputs of the manifest's default version, filled in.
 * @param seed varies the data (the benchmark's cache misses)
 */
export function sampleInputs(manifest: SampledModel, seed = 12345): SampleInput[] {
  const shapes = SHAPES[manifest.name];
  const version = manifest.versions[manifest.aliases.default ?? ""];
  if (!shapes || !version) throw new Error(`no sample input shapes for ${manifest.name}`);
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return version.inputs.map(({ name, datatype }) => {
    const shape = shapes[name];
    if (!shape) throw new Error(`no sample shape for input ${name} of ${manifest.name}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const data =
      datatype === "INT64"
        ? Array<number>(count).fill(INTEGERS[manifest.name]?.[name] ?? 0)
        : Array.from({ length: count }, () => Number(next().toFixed(4)));
    return { name, datatype, shape, data };
  });
}
