// Uploads bundled models through the admin API, the same path an operator uses. Runtime-neutral (plain fetch),
// so `npm run dev` (Node) and the tests (workerd) seed the same way. Skips versions already stored with the
// same digest, so it is cheap to run on every start.

/** Manifest fields an operator may set (see src/registry/manifest.ts ManifestInputSchema). */
const INPUT_FIELDS = [
  "task",
  "description",
  "visibility",
  "owner",
  "labels",
  "preprocess",
  "postprocess",
  "cache",
  "limits",
  "source",
];

/**
 * @param {object} options
 * @param {Array<Record<string, any>>} options.manifests bundled manifests (models/*.json)
 * @param {(url: string, init?: RequestInit) => Promise<Response>} options.fetch
 * @param {string} options.baseUrl
 * @param {string} options.token admin token
 * @param {(file: string) => Promise<Uint8Array>} options.readWeights reads a version's `file` (node_modules path)
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<Array<{model: string, version: string, uploaded: boolean}>>}
 */
export async function seedModels({ manifests, fetch, baseUrl, token, readWeights, log = () => {} }) {
  const auth = { Authorization: `Bearer ${token}` };
  const results = [];
  for (const bundled of largestFirst(manifests)) {
    const name = bundled.name;
    const input = Object.fromEntries(INPUT_FIELDS.filter((k) => bundled[k] !== undefined).map((k) => [k, bundled[k]]));
    // each version's measured quantization, kept in the manifest for operators (the console shows the deltas)
    const quantization = Object.entries(bundled.versions).filter(([, entry]) => entry.quantization);
    if (quantization.length > 0)
      input.quantization = Object.fromEntries(quantization.map(([version, entry]) => [version, entry.quantization]));
    await expectOk(
      fetch(`${baseUrl}/admin/models/${name}`, {
        method: "PUT",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify(input),
      }),
      `manifest of ${name}`,
    );
    const stored = await expectOk(fetch(`${baseUrl}/admin/models/${name}`, { headers: auth }), `manifest of ${name}`);
    for (const [version, entry] of Object.entries(bundled.versions)) {
      if (uploadedDigest(stored.versions[version]) === entry.sha256) {
        ensureSameAssets(name, version, stored.versions[version], entry);
        results.push({ model: name, version, uploaded: false });
        continue;
      }
      // assets first: a version pins the model's assets present when it is uploaded
      for (const [assetName, asset] of Object.entries(entry.assets ?? {})) {
        const bytes = await readWeights(asset.file);
        const url = `${baseUrl}/admin/models/${name}/assets/${encodeURIComponent(assetName)}`;
        const result = await expectOk(
          fetch(url, { method: "PUT", headers: { ...auth, "Content-Type": "application/octet-stream" }, body: bytes }),
          `asset ${assetName} of ${name}`,
        );
        if (result.sha256 !== asset.sha256)
          throw new Error(
            `${name} asset ${assetName}: stored digest ${result.sha256} differs from models/${name}.json (${asset.sha256})`,
          );
      }
      const bytes = await readWeights(entry.file);
      const isDefault = bundled.aliases?.default === version;
      const url = `${baseUrl}/admin/models/${name}/versions/${version}?default=${isDefault}`;
      const result = await expectOk(
        fetch(url, { method: "PUT", headers: { ...auth, "Content-Type": "application/octet-stream" }, body: bytes }),
        `${name} version ${version}`,
      );
      if (uploadedDigest(result) !== entry.sha256)
        throw new Error(
          `${name} version ${version}: stored digest ${uploadedDigest(result)} differs from models/${name}.json (${entry.sha256})`,
        );
      ensureSameAssets(name, version, result, entry);
      log(`uploaded ${name}:${version} (${(entry.bytes / 1e6).toFixed(1)} MB)`);
      results.push({ model: name, version, uploaded: true });
    }
    for (const [alias, version] of Object.entries(bundled.aliases ?? {})) {
      await expectOk(
        fetch(`${baseUrl}/admin/models/${name}/aliases/${alias}`, {
          method: "PUT",
          headers: { ...auth, "Content-Type": "application/json" },
          body: JSON.stringify({ version }),
        }),
        `alias ${name}@${alias}`,
      );
    }
  }
  return results;
}

/**
 * Models with the largest weights first: their sessions (kept warm after an upload) are created while the WASM heap
 * is fresh. In `wrangler dev`, creating ppocr-rec's session after a small tree-ensemble session (iris-forest) and a
 * few others hung the isolate; in this order it never has (docs/design/tabular.md, "Known issue").
 */
function largestFirst(manifests) {
  const size = (m) => Math.max(0, ...Object.values(m.versions ?? {}).map((v) => v.bytes ?? 0));
  return [...manifests].sort((a, b) => size(b) - size(a));
}

/** The digest of the file a stored version was uploaded from (the server may serve a rewritten graph, e.g. without ZipMap). */
function uploadedDigest(version) {
  return version?.original?.sha256 ?? version?.sha256;
}

/** Versions are immutable, assets included: a stored version with other assets needs a new version name. */
function ensureSameAssets(name, version, stored, bundled) {
  const digests = (assets) =>
    JSON.stringify(
      Object.entries(assets ?? {})
        .map(([n, a]) => [n, a.sha256])
        .sort(),
    );
  if (digests(stored.assets) !== digests(bundled.assets)) {
    throw new Error(
      `${name} version ${version} is stored with other assets than models/${name}.json names; versions are immutable: give the bundled version a new name, or start from empty local state`,
    );
  }
}

async function expectOk(responsePromise, what) {
  const response = await responsePromise;
  const text = await response.text();
  if (!response.ok) throw new Error(`seeding ${what} failed: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
