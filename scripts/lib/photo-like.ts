/**
 * A deterministic "photo-like" RGB image for image tests and benchmarks: smooth gradients, a disc, stripes and fine
 * noise, so encoders and decoders do realistic work (flat or random images would not).
 */

/** @returns width * height * 3 bytes, RGB */
export function photoLike(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let state = seed >>> 0;
  const noise = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 12;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const disc = (u - 0.35) ** 2 + (v - 0.45) ** 2 < 0.04;
      const stripe = Math.sin(u * 40 + v * 7) > 0.6 && v > 0.6;
      const base = [90 + 120 * u, 60 + 140 * v, 160 - 100 * u * v] as const;
      const colour = disc ? ([220, 70 + 60 * v, 40] as const) : stripe ? ([30, 40 + 50 * u, 90] as const) : base;
      for (let c = 0; c < 3; c++)
        out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(colour[c as 0 | 1 | 2] + noise())));
    }
  }
  return out;
}
