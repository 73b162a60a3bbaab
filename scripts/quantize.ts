#!/usr/bin/env -S npx tsx
// `npm run quantize -- <in.onnx> <out.onnx> [--mode weight-int8|weight-int8-folded|dynamic-int8|matmul-nbits]
//   [--rest none|weight-int8|weight-int8-folded] [--bits 4|8] [--block-size 32] [--min-elements 1024] [--exclude name|prefix*] [--report out.json]`
// Writes the quantized model, prints the report and writes it as JSON beside the output (or to --report).
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { MODES, type Mode, type QuantizeOptions, quantizeModel } from "../tools/quantize/quantize";
import { formatReport } from "../tools/quantize/report";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: "string", default: "weight-int8" },
    rest: { type: "string", default: "none" },
    bits: { type: "string", default: "8" },
    "block-size": { type: "string", default: "32" },
    "min-elements": { type: "string", default: "1024" },
    exclude: { type: "string", multiple: true, default: [] },
    report: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

const [input, output] = positionals;
if (values.help || !input || !output) {
  console.log(
    `usage: npm run quantize -- <in.onnx> <out.onnx> [--mode ${MODES.join("|")}] [--rest none|weight-int8|weight-int8-folded] [--bits 4|8] [--block-size N] [--min-elements N] [--exclude name|substring*] [--report file.json]`,
  );
  process.exit(values.help ? 0 : 2);
}
if (!MODES.includes(values.mode as Mode)) fail(`unknown mode '${values.mode}'; modes: ${MODES.join(", ")}`);
if (!["none", "weight-int8", "weight-int8-folded"].includes(values.rest!)) fail(`unknown --rest '${values.rest}'`);
if (values.bits !== "4" && values.bits !== "8") fail("--bits must be 4 or 8");

const options: QuantizeOptions = {
  mode: values.mode as Mode,
  rest: values.rest as QuantizeOptions["rest"],
  bits: Number(values.bits) as 4 | 8,
  blockSize: Number(values["block-size"]),
  minElements: Number(values["min-elements"]),
  exclude: values.exclude!.flatMap((e) => e.split(",")),
};
try {
  const { bytes, report } = quantizeModel(new Uint8Array(readFileSync(input)), options);
  writeFileSync(output, bytes);
  const reportPath = values.report ?? `${output}.report.json`;
  writeFileSync(reportPath, `${JSON.stringify({ input, output, ...report }, null, 2)}\n`);
  console.log(formatReport(report));
  console.log(`wrote ${output} and ${reportPath}`);
} catch (error) {
  fail(`${input}: ${(error as Error).message}`);
}

function fail(message: string): never {
  console.error(`quantize: ${message}`);
  process.exit(1);
}
