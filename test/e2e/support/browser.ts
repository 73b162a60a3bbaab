/**
 * One headless Chromium for a test file: the build shipped in the npm package @sparticuz/chromium (its binary
 * unpacks to the temp folder on first use), driven by playwright-core; Debian's /usr/bin/chromium when that package
 * cannot start. The microphone is faked with Chromium's own flags: it plays `fakeAudio`, a WAV file, in a loop.
 * Every page opened through it records its console errors and uncaught exceptions, which tests assert are none.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import chromium from "@sparticuz/chromium";
import { type BrowserContext, type Page, chromium as playwright } from "playwright-core";

export const SCREENSHOTS = fileURLToPath(new URL("../screenshots/", import.meta.url));
const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab that records its console errors in `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(options: { fakeAudio?: string } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "edge-maas-chromium-"));
  const args = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    ...(options.fakeAudio ? [`--use-file-for-fake-audio-capture=${options.fakeAudio}`] : []),
  ];
  const launch = (executablePath: string) =>
    playwright.launchPersistentContext(profile, {
      executablePath,
      args,
      headless: true,
      viewport: { width: 1100, height: 900 },
      // without it Chromium takes its locale from the environment (`en-US@posix` under LANG=C), which Intl refuses
      locale: "en-US",
      permissions: ["microphone", "clipboard-read", "clipboard-write"],
    });
  let context: BrowserContext;
  try {
    context = await launch(await chromium.executablePath());
  } catch (error) {
    if (!existsSync(DEBIAN_CHROMIUM)) throw error;
    context = await launch(DEBIAN_CHROMIUM);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      return { page, errors };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
