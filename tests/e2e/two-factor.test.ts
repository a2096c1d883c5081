// The second factor in a real browser on a phone (decision 0035): a treasurer
// enrols (the key read off the page, as a person would type it), keeps the
// recovery codes, signs in again and passes the second step; every state of the
// page is checked with axe and must not scroll sideways. Also the pattern for
// other browser tests that sign in a money role: see signInWithCode below.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, PASSWORD } from "../helpers/fixtures";
import { freshTotpCode } from "../helpers/treasury";
import { browserPerFile, launchBrowser, PHONE } from "./browser";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url);

async function axeProblems(page: Page) {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function checkPage(page: Page, what: string) {
  expect(await axeProblems(page), what).toEqual([]);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${what}: sideways scrolling`).toBeLessThanOrEqual(PHONE.width);
}

/** Sign in with the password, then the code on the second step (what a test of a money flow does). */
async function signInWithCode(page: Page, email: string, secret: string, redirectTo: string) {
  await page.goto(`/login?redirectTo=${encodeURIComponent(redirectTo)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === "/account/security");
  await page
    .getByLabel("Code from the authenticator app")
    .fill(await freshTotpCode({ email, secret }));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.waitForURL((u) => u.pathname === redirectTo);
}

describe("a treasurer's second factor, on a phone", () => {
  it("enrols, sees the recovery codes once, and signs in again with a code", async () => {
    const treasurer = await createUserRow({ role: "treasurer", name: "Phone Treasurer" });
    const { page, problems } = browser();
    await browser().open("/login");
    await page.getByLabel("Email").fill(treasurer.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/admin");
    // The prompt on the dashboard leads to the page.
    await page.getByRole("link", { name: "Sign-in security" }).click();
    await page.waitForURL((u) => u.pathname === "/account/security");
    await checkPage(page, "not enrolled");
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: /QR code to add this account/ });
    await qr.waitFor();
    await checkPage(page, "pending");
    const secret = (await page.getByLabel("Key for the authenticator app").innerText()).replace(/\s/g, ""); // prettier-ignore
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page
      .getByLabel("Code from the authenticator app")
      .fill(await freshTotpCode({ email: treasurer.email, secret }));
    await page.getByRole("button", { name: "Turn on the second factor" }).click();
    await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
    expect(await page.locator(".recovery-codes li").count()).toBe(10);
    await checkPage(page, "recovery codes");
    await page.getByRole("link", { name: /I have saved them/ }).click();
    await page.waitForURL((u) => u.pathname === "/admin");
    expect(await page.locator(".second-factor-prompt").count()).toBe(0);

    // Another phone: password, then the second step.
    const other = await launchBrowser(app.url);
    try {
      await other.page.goto("/login?redirectTo=%2Faccount");
      await other.page.getByLabel("Email").fill(treasurer.email);
      await other.page.getByLabel("Password").fill(PASSWORD);
      await other.page.getByRole("button", { name: "Sign in" }).click();
      await other.page.waitForURL((u) => u.pathname === "/account/security");
      await other.page.getByText("One more step").waitFor();
      await checkPage(other.page, "second step");
      // A wrong code first: the message sits at the field.
      await other.page.getByLabel("Code from the authenticator app").fill("12345");
      await other.page.getByRole("button", { name: "Confirm" }).click();
      await other.page.getByText("This code is wrong, expired or already used.").waitFor();
      await checkPage(other.page, "wrong code");
      await other.page
        .getByLabel("Code from the authenticator app")
        .fill(await freshTotpCode({ email: treasurer.email, secret }));
      await other.page.getByRole("button", { name: "Confirm" }).click();
      await other.page.waitForURL((u) => u.pathname === "/account");
    } finally {
      await other.close();
    }
    // The helper money-flow tests use.
    await page.context().clearCookies();
    await signInWithCode(page, treasurer.email, secret, "/admin");
    const others = problems.filter((p) => !/status of 401/.test(p.text));
    expect(others, JSON.stringify(others)).toEqual([]);
  });
});
