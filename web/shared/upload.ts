/**
 * Uploads a file with progress. `fetch` cannot report an upload's progress (a streamed request body needs HTTP/2
 * and still says nothing of what was sent), so this one call uses XMLHttpRequest and its `upload.onprogress`.
 */
import { type ApiAnswer, errorOf } from "./api";

export function uploadWithProgress<T>(
  method: string,
  path: string,
  file: Blob,
  token: string | undefined,
  onProgress: (sent: number, total: number) => void,
): Promise<ApiAnswer<T>> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    xhr.open(method, path);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) =>
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size),
    );
    xhr.addEventListener("load", () => {
      const headers = new Headers();
      for (const line of xhr
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)) {
        const at = line.indexOf(":");
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      let data: unknown = xhr.responseText;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: kept as text
      }
      const ms = performance.now() - started;
      const ok = xhr.status >= 200 && xhr.status < 300;
      resolve(
        ok
          ? { ok, status: xhr.status, data: data as T, headers, ms }
          : {
              ok,
              status: xhr.status,
              error: errorOf({ status: xhr.status, headers }, data, xhr.responseText),
              headers,
              ms,
            },
      );
    });
    xhr.addEventListener("error", () =>
      resolve({
        ok: false,
        status: 0,
        error: { code: "network_error", message: "the upload failed" },
        headers: new Headers(),
        ms: 0,
      }),
    );
    xhr.send(file);
  });
}
