/**
 * Turns onnxruntime-web's session-creation failure for an operator it has no kernel for into a message that names
 * the operator, its domain and the opset the model imports for it. onnxruntime itself is the authority on what its
 * WASM build runs (a static list would drift with every release); its messages name the operator in one of three
 * forms, matched below (onnxruntime/core/graph/graph.cc and core/framework/session_state.cc, 1.30):
 * - an op no schema knows: "No Op registered for Frobnicate with domain_version of 13";
 * - a known op without a kernel in this build: "Could not find an implementation for QOrderedMatMul(1) node with name ''";
 * - a domain the build does not know: "No opset import for domain 'org.example'".
 */
import type { OnnxModelInfo } from "../onnx/reader";

export interface UnsupportedOperator {
  op: string;
  /** "ai.onnx" for the default domain. */
  domain: string;
  /** The opset the model imports for that domain (or the operator version onnxruntime named). */
  opset?: number;
}

const NO_SCHEMA = /No Op registered for ([\w.]+) with domain_version of (\d+)/;
const NO_KERNEL = /Could not find an implementation for ([\w.]+)\((\d+)\) node/;
const NO_DOMAIN = /No opset import for domain '([^']*)'/;

export function unsupportedOperator(message: string, info: OnnxModelInfo): UnsupportedOperator | undefined {
  const opsetOf = (domain: string) => info.opsets.find((o) => (o.domain || "ai.onnx") === domain)?.version;
  const domainOf = (op: string) => {
    const domains = [...new Set(info.operators.filter((o) => o.opType === op).map((o) => o.domain || "ai.onnx"))];
    return domains.find((d) => d !== "ai.onnx") ?? domains[0] ?? "ai.onnx";
  };
  const named = NO_SCHEMA.exec(message) ?? NO_KERNEL.exec(message);
  if (named) {
    const op = named[1]!;
    const domain = domainOf(op);
    return { op, domain, opset: opsetOf(domain) ?? Number(named[2]) };
  }
  const domainMatch = NO_DOMAIN.exec(message);
  if (domainMatch) {
    const domain = domainMatch[1] || "ai.onnx";
    const op = info.operators.find((o) => (o.domain || "ai.onnx") === domain)?.opType ?? "?";
    return { op, domain, opset: opsetOf(domain) };
  }
  return undefined;
}

export function describeUnsupported({ op, domain, opset }: UnsupportedOperator): string {
  const version = opset === undefined ? "" : `, opset ${opset}`;
  return `operator '${op}' (domain ${domain}${version}) cannot run in onnxruntime-web's WASM backend; quantized graphs may use QDQ (QuantizeLinear/DequantizeLinear), QLinear* ops, MatMulInteger, DynamicQuantizeLinear or com.microsoft MatMulNBits instead`;
}
