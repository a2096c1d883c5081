// Feedback on long work, in a browser with JavaScript: a slowed sign-in shows
// the page's progress bar and a busy button; a slowed export shows its progress
// bar, then the browser saves the file, which parses back (csv-parse) with its
// BOM and Cyrillic intact.
import fs from "node:fs";
import { parse } from "csv-parse/sync";
import type { Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  buyDoorTicket,
  createUserRow,
  doorFestival,
  PASSWORD,
} from "../helpers/fixtures";
import { browserPerFile } from "./browser";

let app: TestApp;
let festivalId: string;
let email: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const admin = await createUserRow({ role: "admin" });
  const client = new Client(app.url);
  const festival = await doorFestival(client, await apiToken(app.url, admin.email));
  festivalId = festival.id;
  await buyDoorTicket(client, festival.id, festival.typeId, { name: "Анна Петрова" });
  const organiser = await createUserRow({ name: "Organiser" });
  await addMember(festival.id, organiser.id, "organiser");
  email = organiser.email;
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url, { locale: "en-GB" });

/** Hold matching requests for a moment, so a pending state can be seen. */
const slow = (ms: number) => async (route: Route) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await route.continue();
};

describe("pending states and an export's progress", () => {
  it("signing in shows the progress bar and a busy button; an export shows its bar and downloads", async () => {
    const session = browser();
    const page = await session.open("/login");
    await page.route(
      (url) => url.pathname === "/login",
      (route) => (route.request().method() === "POST" ? slow(800)(route) : route.continue()),
    );
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    const button = page.getByRole("button", { name: "Sign in" });
    await button.click();
    await expect.poll(() => button.getAttribute("aria-busy")).toBe("true");
    expect(await button.getAttribute("aria-disabled")).toBe("true");
    expect(await page.locator(".page-progress[data-active]").count()).toBe(1);
    await page.waitForURL((u) => u.pathname.startsWith("/admin"));
    await expect.poll(() => page.locator(".page-progress[data-active]").count()).toBe(0);

    await session.open(`/admin/festivals/${festivalId}/orders`);
    await page.route((url) => url.pathname.endsWith("/orders.csv"), slow(800));
    const downloaded = page.waitForEvent("download");
    await page.getByRole("link", { name: "Orders (CSV)" }).click();
    await expect
      .poll(() => page.getByRole("progressbar", { name: /Downloading Orders/ }).count())
      .toBe(1);
    const file = await downloaded;
    expect(file.suggestedFilename()).toMatch(/-orders\.csv$/);
    const bytes = fs.readFileSync((await file.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true, columns: true }) as Record<string, string>[];
    const orders = await prisma.order.findMany({ where: { festivalId } });
    expect(rows.map((r) => r.code)).toEqual(orders.map((o) => o.code));
    expect(rows[0]).toMatchObject({ name: "Анна Петрова", total: "15.00", currency: "EUR" });
    await expect.poll(() => page.getByRole("progressbar", { name: /Downloading/ }).count()).toBe(0);
    expect(session.problems).toEqual([]);
  });
});
