/**
 * `image-classification`: an image file, or a digit drawn on a canvas (mouse, pen or touch; "Draw a sample" draws
 * one for keyboard users), answered with the top classes as score bars.
 */
import { type LabelScore, scoreBars } from "../../shared/bars";
import { field, h } from "../../shared/dom";
import { canvasPng, contentTypeOf } from "../../shared/files";
import { runPath, type TaskForm, taskForm } from "./form";

const SIZE = 280;

export const imageClassificationForm: TaskForm = ({ api, model }) => {
  const file = h("input", { type: "file", accept: "image/png,image/jpeg" });
  const pad = drawingPad();
  const source = h(
    "fieldset",
    { class: "choice" },
    h("legend", {}, "Classify"),
    radio("image-source", "drawing", "the drawing", true),
    radio("image-source", "file", "the file"),
  );
  file.addEventListener("change", () => {
    (source.querySelector('input[value="file"]') as HTMLInputElement).checked = Boolean(file.files?.length);
  });
  pad.canvas.addEventListener("pointerdown", () => {
    (source.querySelector('input[value="drawing"]') as HTMLInputElement).checked = true;
  });
  return taskForm(
    [
      h(
        "div",
        { class: "draw" },
        h("p", { id: "draw-help", class: "hint" }, "Draw a digit below with the mouse, a pen or a finger."),
        pad.canvas,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", on: { click: () => pad.clear() } }, "Clear"),
          h("button", { type: "button", on: { click: () => pad.sample() } }, "Draw a sample"),
        ),
      ),
      field("Or an image file (PNG or JPEG)", file),
      source,
    ],
    "Classify",
    async (result) => {
      const useFile = (source.querySelector('input[value="file"]') as HTMLInputElement).checked;
      const picked = file.files?.[0];
      if (useFile && !picked) return result.error("no_file", "choose an image file first");
      const body = useFile && picked ? picked : await canvasPng(pad.canvas);
      const type = useFile && picked ? contentTypeOf(picked, "image/png") : "image/png";
      const answer = await api.call<LabelScore[]>("POST", runPath(model, "?top_k=5"), body, { "Content-Type": type });
      result.show(answer, (scores) => scoreBars(scores, useFile && picked ? picked.name : "The drawing"));
    },
  );
};

function radio(name: string, value: string, label: string, checked = false): HTMLElement {
  return h("label", { class: "inline" }, h("input", { type: "radio", name, value, checked }), ` ${label}`);
}

/** A square canvas to draw white strokes on black, as MNIST digits are. */
function drawingPad() {
  const canvas = h("canvas", {
    width: SIZE,
    height: SIZE,
    class: "pad",
    attrs: { "aria-describedby": "draw-help", role: "img", "aria-label": "Drawing area" },
  });
  const ctx = canvas.getContext("2d")!;
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, SIZE, SIZE);
  };
  const stroke = (points: [number, number][], lineWidth = 24) => {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = lineWidth;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.stroke();
  };
  clear();
  let last: [number, number] | undefined;
  const at = (event: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * SIZE) / box.width, ((event.clientY - box.top) * SIZE) / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    stroke([last, last]);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = at(event);
    stroke([last, next]);
    last = next;
  });
  for (const end of ["pointerup", "pointercancel"] as const) canvas.addEventListener(end, () => (last = undefined));
  return {
    canvas,
    clear,
    /** A seven, as a person would draw it. */
    sample() {
      clear();
      stroke(
        [
          [70, 60],
          [210, 60],
          [120, 230],
        ],
        26,
      );
    },
  };
}
