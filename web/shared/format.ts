/** Number, size and time formats the pages share. */

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function percent(score: number): string {
  return `${(score * 100).toFixed(1)}%`;
}

export function millis(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return iso
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC")
    .replace(/Z$/, " UTC");
}
