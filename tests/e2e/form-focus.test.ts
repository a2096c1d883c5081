// Issue 8, item 17 in a real browser: a form sent back with errors shows every
// message at once, and the first invalid field gets the focus, in view.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, PASSWORD } from "../helpers/fixtures";
import { browserPerFile } from "./browser";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url);

describe("a form with errors", () => {
  it("focuses the first invalid field and lists every error at the top", async () => {
    const admin = await createUserRow({ role: "admin", name: "Focus Tester" });
    const { page, problems } = browser();
    await browser().open("/login");
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/admin");

    await browser().open("/admin/festivals/new");
    // Everything left empty but the city: the first invalid field is the name.
    await page.getByLabel("City", { exact: true }).fill("Riga");
    await page.getByLabel("Time zone").selectOption("");
    await page.getByRole("button", { name: "Create the festival" }).click();
    await page.locator(".error-summary").waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("name")))
      .toBe("name");
    const summary = page.locator(".error-summary li");
    expect(await summary.count()).toBeGreaterThanOrEqual(7);
    expect(await page.locator(".field-error").count()).toBeGreaterThanOrEqual(7);

    // Fix the name: the next submit focuses the next invalid field, scrolled into view.
    await page.getByLabel("Festival name").fill("Focus festival");
    await page.getByLabel("Country", { exact: true }).selectOption("LV");
    await page.getByLabel("Venue", { exact: true }).fill("Hall");
    await page.getByLabel("Venue address").fill("Street 1");
    await page.getByRole("button", { name: "Create the festival" }).click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("name")))
      .toBe("timezone");
    const inView = await page.evaluate(() => {
      const r = document.activeElement!.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    });
    expect(inView).toBe(true);
    // The refused submissions are 400 answers, which Chromium logs; nothing else may appear.
    const others = problems.filter((p) => !/status of 400/.test(p.text));
    expect(others, JSON.stringify(others)).toEqual([]);
  });
});
