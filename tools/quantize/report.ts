/** The quantizer's report as text for people (the JSON form is `QuantizeReport` itself). */
import type { QuantizeReport } from "./quantize";

export function formatReport(report: QuantizeReport): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  const lines = [
    `mode ${report.mode}: ${mb(report.bytes.before)} → ${mb(report.bytes.after)} (${report.bytes.ratio.toFixed(2)}× smaller)`,
    report.opset.from === report.opset.to
      ? `opset ${report.opset.from} (unchanged)`
      : `opset ${report.opset.from} → ${report.opset.to}${report.opset.rewrites.length ? `: ${report.opset.rewrites.join("; ")}` : ""}`,
    `weights: ${report.weights.quantized.length} tensors stored as int8 (${report.weights.int8Elements.toLocaleString("en")} of ${report.weights.floatElementsBefore.toLocaleString("en")} float32 elements)`,
  ];
  if (report.weights.keptFloat.length > 0) {
    lines.push("weights left in float32:");
    for (const k of report.weights.keptFloat)
      lines.push(
        `  ${k.tensors} tensors, ${k.elements.toLocaleString("en")} elements: ${k.reason} (e.g. ${k.examples.join(", ")})`,
      );
  }
  if (report.matmuls.length > 0) {
    const rewritten = report.matmuls.filter((m) => !m.keptFloatBecause);
    lines.push(`MatMul/Gemm: ${rewritten.length} of ${report.matmuls.length} rewritten`);
    const reasons = new Map<string, string[]>();
    for (const m of report.matmuls)
      if (m.keptFloatBecause) reasons.set(m.keptFloatBecause, [...(reasons.get(m.keptFloatBecause) ?? []), m.node]);
    for (const [reason, nodes] of reasons)
      lines.push(`  ${nodes.length} left in float32: ${reason} (e.g. ${nodes.slice(0, 3).join(", ")})`);
  }
  if (report.nodesKeptFloat.length > 0) {
    lines.push("nodes whose weights stayed float32:");
    for (const n of report.nodesKeptFloat) lines.push(`  ${n.count} × ${n.op}: ${n.reason}`);
  }
  lines.push("op census (before → after):");
  const ops = [...new Set([...Object.keys(report.ops.before), ...Object.keys(report.ops.after)])].sort();
  for (const op of ops) {
    const [b, a] = [report.ops.before[op] ?? 0, report.ops.after[op] ?? 0];
    lines.push(`  ${op.padEnd(32)} ${String(b).padStart(5)} → ${String(a).padStart(5)}${a !== b ? " *" : ""}`);
  }
  return lines.join("\n");
}
