/**
 * `ocr`: an image file, or a sample page rendered here; the answer is drawn as the image with each detected line's
 * box on it, numbered, and the lines read beside it in the same order.
 */
import { field, h } from "../../shared/dom";
import { bitmapOf, canvasPng, contentTypeOf } from "../../shared/files";
import { percent } from "../../shared/format";
import { runPath, type TaskForm, taskForm } from "./form";

type Point = [number, number];
interface OcrAnswer {
  lines: { text: string; score: number; box: [Point, Point, Point, Point] }[];
}

const SAMPLE_LINES = ["Step 1: Unplug the device.", "Step 2: Wait 30 seconds.", "Step 3: Plug it back in."];

export const ocrForm: TaskForm = ({ api, model }) => {
  const file = h("input", { type: "file", accept: "image/png,image/jpeg" });
  const sample = h("input", { type: "checkbox", checked: true });
  file.addEventListener("change", () => (sample.checked = !file.files?.length));
  return taskForm(
    [
      field("Image file (PNG or JPEG)", file),
      h("label", { class: "inline" }, sample, " Use a sample page rendered in this browser instead"),
    ],
    "Read the text",
    async (result) => {
      const picked = file.files?.[0];
      if (!sample.checked && !picked) return result.error("no_file", "choose an image file first");
      const image = sample.checked || !picked ? await canvasPng(samplePage()) : picked;
      const type = image instanceof File ? contentTypeOf(image, "image/png") : "image/png";
      const answer = await api.call<OcrAnswer>("POST", runPath(model), image, { "Content-Type": type });
      const bitmap = answer.ok ? await bitmapOf(image) : undefined;
      result.show(answer, (data) => ocrView(data, bitmap));
    },
  );
};

function samplePage(): HTMLCanvasElement {
  const canvas = h("canvas", { width: 520, height: 170 });
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#111";
  ctx.font = "28px sans-serif";
  ctx.textBaseline = "top";
  SAMPLE_LINES.forEach((line, i) => ctx.fillText(line, 24, 22 + i * 48));
  return canvas;
}

function ocrView(answer: OcrAnswer, bitmap: ImageBitmap | undefined): HTMLElement {
  const list = h(
    "ol",
    { class: "ocr-lines" },
    answer.lines.map((line) =>
      h("li", {}, h("span", { class: "ocr-text" }, line.text), " ", h("small", {}, percent(line.score))),
    ),
  );
  if (answer.lines.length === 0) list.replaceChildren(h("li", {}, "No text found."));
  const figure = h("div", { class: "ocr" }, bitmap ? boxes(bitmap, answer) : null, list);
  return figure;
}

/** The image with each line's box and number drawn over it. */
function boxes(bitmap: ImageBitmap, answer: OcrAnswer): HTMLCanvasElement {
  const canvas = h("canvas", {
    width: bitmap.width,
    height: bitmap.height,
    class: "ocr-image",
    attrs: { role: "img", "aria-label": `The image with ${answer.lines.length} detected text lines outlined` },
  });
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(bitmap, 0, 0);
  ctx.lineWidth = Math.max(2, bitmap.width / 300);
  ctx.font = `bold ${Math.max(12, Math.round(bitmap.width / 40))}px sans-serif`;
  answer.lines.forEach((line, i) => {
    ctx.strokeStyle = "#d0006f";
    ctx.beginPath();
    line.box.forEach(([x, y], j) => (j === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    ctx.fillStyle = "#d0006f";
    ctx.fillText(String(i + 1), line.box[0][0], Math.max(12, line.box[0][1] - 2));
  });
  return canvas;
}
