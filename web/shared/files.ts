/** Reading what a person picks or draws into request bodies. */

/** A canvas as a PNG blob. */
export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas could not be encoded"))), "image/png"),
  );
}

/** The content type to send a picked file with: its own, or one guessed from its name. */
export function contentTypeOf(file: File, fallback: string): string {
  if (file.type) return file.type;
  const extension = /\.(\w+)$/.exec(file.name)?.[1]?.toLowerCase();
  const known: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", wav: "audio/wav" };
  return (extension && known[extension]) || fallback;
}

/** An image blob decoded for drawing on a canvas. */
export async function bitmapOf(blob: Blob): Promise<ImageBitmap | undefined> {
  try {
    return await createImageBitmap(blob);
  } catch {
    return undefined;
  }
}
