// Node's side of `#jsquash/mozjpeg_dec.wasm` (package.json "imports"): the decoder's WASM compiled from the file, for
// Node scripts and tests that run the Worker's image code (workerd gets it precompiled through wrangler's rules).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const wasmPath = createRequire(import.meta.url).resolve("@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm");
export default new WebAssembly.Module(readFileSync(wasmPath));
