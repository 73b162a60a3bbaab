/**
 * Regression, as reported against `npm run dev`: ppocr-rec with `x` of shape [1, 3, 48, 29000] (within the 4 Mi-element
 * limit, one unit) ran 13.9 s and took the WASM heap from 257 to 1,020 MiB for good. Now it is refused before the run
 * with 413 `too_much_compute` naming the dimension and its limit, the heap does not move (and never passes its ceiling), and a
 * line of a normal width is read afterwards. Sent in the binary tensor extension (16.7 MB, under the 16 MiB body
 * limit), as the report did.
 */
import { describe, expect, it } from "vitest";
import { devServer } from "./dev-server";

interface RuntimeStats {
  wasmMemoryBytes: number;
  budgetBytes: number;
  ceilingBytes: number;
}

async function runtime(): Promise<RuntimeStats> {
  const { baseUrl, adminToken } = devServer();
  const response = await fetch(`${baseUrl}/admin/runtime`, { headers: { Authorization: `Bearer ${adminToken}` } });
  return (await response.json()) as RuntimeStats;
}

/** An OIP binary-extension request with one FP32 input of zeros. */
function binaryInfer(shape: number[]): RequestInit {
  const bytes = shape.reduce((n, d) => n * d, 1) * 4;
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [{ name: "x", datatype: "FP32", shape, parameters: { binary_data_size: bytes } }],
      outputs: [{ name: "softmax_11.tmp_0", parameters: { binary_data: true } }],
    }),
  );
  const body = new Uint8Array(header.byteLength + bytes);
  body.set(header);
  const { apiKey } = devServer();
  return {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.byteLength),
      "Cache-Control": "no-store",
    },
    body,
  };
}

describe("ppocr-rec on a 29,000-pixel line", () => {
  it("is 413 too_much_compute naming the width and its limit; the heap does not move; a normal line works", async () => {
    const { baseUrl } = devServer();
    const url = `${baseUrl}/v2/models/ppocr-rec/infer`;
    const before = await runtime();
    const refused = await fetch(url, binaryInfer([1, 3, 48, 29000]));
    expect(refused.status).toBe(413);
    expect(refused.headers.get("X-Error-Code")).toBe("too_much_compute");
    const { error } = (await refused.json()) as { error: string };
    expect(error).toContain("input 'x' has 29000 along axis 3");
    expect(error).toContain("at most 3200");

    // refused before the run: the heap did not move. (Other files share this server: what their runs left may lie a
    // little past the budget when free bytes were not in one piece, never past the ceiling.)
    const after = await runtime();
    expect(after.wasmMemoryBytes).toBe(before.wasmMemoryBytes);
    expect(after.wasmMemoryBytes).toBeLessThanOrEqual(after.ceilingBytes);

    const line = await fetch(url, binaryInfer([1, 3, 48, 320]));
    expect(line.status).toBe(200);
    await line.arrayBuffer();
    expect((await runtime()).wasmMemoryBytes).toBeLessThanOrEqual(after.ceilingBytes);
  });
});
