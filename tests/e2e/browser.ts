// Browser harness for the e2e tests: Debian's Chromium driven by playwright-core
// (`npx playwright install` cannot download browsers on these machines).
//
//   const browser = browserPerFile(() => app.url);   // in a test file, after startTestApp's beforeAll
//   const page = await browser().open("/login");
//
// One Chromium per test file, with a fresh temporary profile. Console errors,
// uncaught page errors and Content-Security-Policy violations are collected in
// `problems`; a failing test leaves a screenshot in tests/.tmp/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { CHROMIUM_FLAGS, findChromium } from "../../scripts/lib.js";
import { TMP } from "../setup/paths";

/** A phone: what most attendees and door staff use. */
export const PHONE = { width: 390, height: 844 };

export type Problem = { kind: "console" | "pageerror" | "csp"; text: string; url?: string };

export type BrowserSession = {
  context: BrowserContext;
  page: Page;
  baseUrl: string;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  problems: Problem[];
  /** Go to a path of the app and wait until the page is loaded and hydrated. */
  open: (pathname: string) => Promise<Page>;
  /** Wait until Remix has started on the current document (forms then submit through JavaScript). */
  hydrated: () => Promise<void>;
  /** Full-page screenshot into tests/.tmp/; returns the file path. */
  screenshot: (name: string) => Promise<string>;
  close: () => Promise<void>;
};

export type BrowserOptions = {
  viewport?: { width: number; height: number };
  /** Sent as Accept-Language and used as navigator.language. */
  locale?: string;
  timezoneId?: string;
  /** false: a browser without JavaScript (forms must still work); `open`/`hydrated` then only wait for the load. */
  javaScriptEnabled?: boolean;
  /** Extra Chromium command-line flags (e.g. a fake camera fed from a video file). */
  extraArgs?: string[];
};

/** The Chromium that Debian's `chromium` package installs. */
export function chromiumExecutable(): string {
  const found = findChromium();
  if (found) return found;
  throw new Error(
    "Chromium was not found (no `chromium` on PATH, no /usr/bin/chromium). The browser tests drive Debian's Chromium: " +
      "install it with `apt-get update && apt-get install -y chromium` (as root), then run `npm run test:e2e` again.",
  );
}

function safeName(name: string) {
  return (
    name
      .replace(/[^\p{L}\p{N}._-]+/gu, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 120) || "page"
  );
}

export async function launchBrowser(
  baseUrl: string,
  options: BrowserOptions = {},
): Promise<BrowserSession> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "festivals-chromium-"));
  const viewport = options.viewport ?? PHONE;
  const phoneSized = viewport.width < 600;
  const javaScriptEnabled = options.javaScriptEnabled ?? true;
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumExecutable(),
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(options.extraArgs ?? [])],
      baseURL: baseUrl,
      viewport,
      deviceScaleFactor: phoneSized ? 2 : 1,
      isMobile: phoneSized,
      hasTouch: phoneSized,
      locale: options.locale ?? "en-US",
      timezoneId: options.timezoneId ?? "UTC",
      javaScriptEnabled,
      timeout: 60_000,
    });
  } catch (e) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);

  // CSP violations also appear as console errors; this reports them with the
  // directive even if Chromium's wording changes. Init scripts are injected by
  // the DevTools protocol, so the page's CSP does not block them.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(
        `[csp-violation] ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });

  const problems: Problem[] = [];
  const watch = (page: Page) => {
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = msg.text();
      const { url, lineNumber } = msg.location();
      problems.push({
        kind:
          text.startsWith("[csp-violation]") || /Content Security Policy/i.test(text)
            ? "csp"
            : "console",
        text,
        url: url ? `${url}:${lineNumber}` : page.url(),
      });
    });
    page.on("pageerror", (err) =>
      problems.push({ kind: "pageerror", text: err.stack ?? err.message, url: page.url() }),
    );
  };
  for (const existing of context.pages()) watch(existing);
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());

  const hydrated = async () => {
    await page.waitForLoadState("load");
    if (!javaScriptEnabled) return;
    await page.waitForFunction(
      () => "__remixRouter" in window && document.readyState === "complete",
    );
  };

  return {
    context,
    page,
    baseUrl,
    problems,
    hydrated,
    async open(pathname) {
      await page.goto(pathname);
      await hydrated();
      return page;
    },
    async screenshot(name) {
      fs.mkdirSync(TMP, { recursive: true });
      const file = path.join(TMP, `${safeName(name)}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      try {
        await context.close();
      } finally {
        fs.rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** A failed test leaves a screenshot `e2e-failed-<test name>.png` in tests/.tmp/ and the browser's problems on stderr. */
async function reportFailure(session: BrowserSession, testName: string) {
  try {
    const file = await session.screenshot(`e2e-failed-${testName}`);
    console.error(`screenshot of the failed test "${testName}" at ${session.page.url()}: ${file}`);
    if (session.problems.length) console.error("browser problems:", session.problems);
  } catch (e) {
    console.error("could not take a screenshot of the failed test:", e);
  }
}

/**
 * One browser per test: `launch` starts it (closing any earlier one); after each
 * test, a failed test is reported (reportFailure) and the browser is closed.
 */
export function browserPerTest() {
  let session: BrowserSession | undefined;
  afterEach(async (ctx) => {
    if (session && ctx.task.result?.state === "fail") await reportFailure(session, ctx.task.name);
    const closing = session;
    session = undefined;
    await closing?.close();
  });
  return {
    async launch(baseUrl: string, options: BrowserOptions = {}) {
      await session?.close();
      session = await launchBrowser(baseUrl, options);
      return session;
    },
  };
}

/**
 * Register hooks for one browser per test file: launched in beforeAll (after
 * hooks registered before this call, so the app is already up), a screenshot
 * `e2e-failed-<test name>.png` in tests/.tmp/ when a test fails, closed in afterAll.
 */
export function browserPerFile(
  baseUrl: () => string,
  options: BrowserOptions = {},
): () => BrowserSession {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await launchBrowser(baseUrl(), options);
  });
  afterEach(async (ctx) => {
    if (session && ctx.task.result?.state === "fail") await reportFailure(session, ctx.task.name);
  });
  afterAll(async () => {
    await session?.close();
    session = undefined;
  });
  return () => {
    if (!session)
      throw new Error("the browser is not started (call browserPerFile at the top of a test file)");
    return session;
  };
}
