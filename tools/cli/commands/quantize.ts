/**
 * `edge-maas quantize <in.onnx> <out.onnx>`: an int8 (or 4-bit) version of a model, written beside a report of
 * what changed (docs/quantization.md). `npm run quantize` is an alias.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { MODES, type Mode, type QuantizeOptions, quantizeModel } from "../../quantize/quantize";
import { formatReport } from "../../quantize/report";
import { CliError } from "../errors";
import { printJson } from "../output";
import { configOf, integer } from "./context";

interface QuantizeFlags {
  mode: string;
  rest: string;
  bits: string;
  blockSize: string;
  minElements: string;
  exclude: string[];
  report?: string;
}

export function registerQuantize(program: Command): void {
  program
    .command("quantize <input> <output>")
    .description("Quantize an ONNX model and write a report of what changed")
    .option("--mode <mode>", MODES.join(" | "), "weight-int8")
    .option("--rest <mode>", "MatMul modes: other weights (none | weight-int8 | weight-int8-folded)", "none")
    .option("--bits <n>", "matmul-nbits: 4 or 8", "8")
    .option("--block-size <n>", "matmul-nbits: block size along K", "32")
    .option("--min-elements <n>", "weights with fewer elements stay float32", "1024")
    .option("--exclude <names...>", "weights to keep in float32 (exact names, or prefixes ending in *)", [])
    .option("--report <file>", "where to write the JSON report (default: <output>.report.json)")
    .action((input: string, output: string, flags: QuantizeFlags, command: Command) => {
      const config = configOf(command);
      if (!MODES.includes(flags.mode as Mode))
        throw new CliError(`unknown --mode '${flags.mode}'; modes: ${MODES.join(", ")}`);
      if (!["none", "weight-int8", "weight-int8-folded"].includes(flags.rest))
        throw new CliError(`unknown --rest '${flags.rest}'`);
      if (flags.bits !== "4" && flags.bits !== "8") throw new CliError("--bits must be 4 or 8");
      const options: QuantizeOptions = {
        mode: flags.mode as Mode,
        rest: flags.rest as QuantizeOptions["rest"],
        bits: Number(flags.bits) as 4 | 8,
        blockSize: integer(flags.blockSize, "--block-size"),
        minElements: integer(flags.minElements, "--min-elements"),
        exclude: flags.exclude.flatMap((e) => e.split(",")),
      };
      const source = new Uint8Array(readFileSync(input));
      let result: ReturnType<typeof quantizeModel>;
      try {
        result = quantizeModel(source, options);
      } catch (error) {
        throw new CliError(`${input}: ${(error as Error).message}`);
      }
      writeFileSync(output, result.bytes);
      const reportPath = flags.report ?? `${output}.report.json`;
      writeFileSync(reportPath, `${JSON.stringify({ input, output, ...result.report }, null, 2)}\n`);
      if (config.json) return printJson({ input, output, report: reportPath, bytes: result.report.bytes });
      console.log(formatReport(result.report));
      console.log(`wrote ${output} and ${reportPath}`);
    });
}
