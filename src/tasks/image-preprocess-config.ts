/**
 * The manifest's `preprocess` for image tasks: how a decoded image becomes the model's input tensor. Validated when
 * the manifest is uploaded (422 `invalid_manifest` otherwise). Every field has a default except the size, which
 * may also come from the model's input shape when that is fixed.
 *
 * @example
 * { "width": 224, "height": 224, "fit": "cover", "resize": "auto", "channels": "rgb", "layout": "nchw",
 *   "scale": 0.00392156862745098, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225] }
 */
import { z } from "zod";
import { FIT_MODES } from "../media/image/fit";
import { RESIZE_METHODS } from "../media/image/resize";
import { CHANNEL_ORDERS, channelCount, LAYOUTS } from "../media/image/tensorize";

const Level = z.number().int().min(0).max(255);
const Rgb = z.tuple([Level, Level, Level]);
const Size = z.number().int().min(1).max(4096);

export const ImagePreprocessSchema = z
  .object({
    input: z.string().optional().meta({ description: "the model input the image goes to (default: the first)" }),
    width: Size.optional().meta({ description: "input width in pixels (default: from the model's input shape)" }),
    height: Size.optional().meta({ description: "input height in pixels (default: from the model's input shape)" }),
    fit: z
      .enum(FIT_MODES)
      .default("stretch")
      .meta({ description: "stretch to the size, contain (pad) or cover (centre crop)" }),
    padding: z
      .union([z.literal("edge"), Rgb])
      .default([0, 0, 0])
      .meta({ description: "margins of `contain`: an RGB colour or `edge` (repeat the border pixels)" }),
    resize: z
      .enum(RESIZE_METHODS)
      .default("bilinear")
      .meta({ description: "bilinear, area (averaging: for shrinking) or auto (area when shrinking)" }),
    background: Rgb.default([255, 255, 255]).meta({ description: "colour transparent pixels are composited onto" }),
    channels: z.enum(CHANNEL_ORDERS).default("rgb"),
    layout: z.enum(LAYOUTS).default("nchw"),
    scale: z
      .number()
      .positive()
      .default(1 / 255)
      .meta({ description: "multiplies the 0..255 levels first" }),
    mean: z
      .array(z.number())
      .min(1)
      .max(3)
      .default([0])
      .meta({ description: "subtracted after scaling, per tensor channel (or one for all)" }),
    std: z
      .array(z.number().positive())
      .min(1)
      .max(3)
      .default([1])
      .meta({ description: "divides after the mean, per tensor channel (or one for all)" }),
    invert: z
      .union([z.boolean(), z.literal("auto")])
      .default(false)
      .meta({ description: "255 − v before scaling; `auto` when the image's border is light" }),
  })
  .strict()
  .superRefine((config, issues) => {
    const channels = channelCount(config.channels);
    for (const field of ["mean", "std"] as const) {
      if (config[field].length !== 1 && config[field].length !== channels) {
        issues.addIssue({
          code: "custom",
          path: [field],
          message: `give 1 or ${channels} values for ${config.channels} input`,
        });
      }
    }
  });

export type ImagePreprocess = z.infer<typeof ImagePreprocessSchema>;
