// Feedback on long work, in a browser with JavaScript: a slowed sign-in shows
// the page's progress bar and a busy button; a slowed export shows its progress
// bar, then the browser saves the file, which parses back (csv-parse) with its
// BOM and Cyrillic intact. Then every organiser's export, clicked on the page
// that offers it, downloads and parses back to the database's numbers.
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
import { createArtistRow, createSlotRows } from "../helpers/tattoo";
import { browserPerFile, type BrowserSession } from "./browser";

let app: TestApp;
let festivalId: string;
let email: string;
let adminEmail: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const admin = await createUserRow({ role: "admin" });
  adminEmail = admin.email;
  const client = new Client(app.url);
  const festival = await doorFestival(client, await apiToken(app.url, admin.email));
  festivalId = festival.id;
  await buyDoorTicket(client, festival.id, festival.typeId, { name: "Анна Петрова" });
  await buyDoorTicket(client, festival.id, festival.typeId, { paid: true });
  const artist = await createArtistRow(festival.id, { name: "Ink Artist" });
  await createSlotRows(festival.id, artist.id, new Date(Date.now() + 30 * 86_400_000), 3);
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

/** Sign in through the form, as a person does. */
async function signIn(session: BrowserSession, who: string) {
  await session.context.clearCookies();
  const page = await session.open("/login");
  await page.getByLabel("Email").fill(who);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/admin"));
}

/** Click an export link on `path`, save the download and parse it as a spreadsheet reads it. */
async function downloadFrom(session: BrowserSession, path: string, link: string) {
  const page = await session.open(path);
  const downloaded = page.waitForEvent("download").catch((e: Error) => {
    throw new Error(`${link} on ${path}: ${e.message}`);
  });
  await page.getByRole("link", { name: link }).click();
  const file = await downloaded;
  const bytes = fs.readFileSync((await file.path())!);
  expect([...bytes.subarray(0, 3)], link).toEqual([0xef, 0xbb, 0xbf]);
  return parse(bytes, {
    bom: true,
    columns: true,
    cast: (value) => value.replace(/^'(?=[=+\-@\t\r])/, ""),
  }) as Record<string, string>[];
}

const minor = (amount: string | undefined) => Math.round(Number(amount ?? "0") * 100);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("every export from its page", () => {
  it("downloads in the browser and parses back to the database's numbers", async () => {
    const session = browser();
    await signIn(session, adminEmail);
    const f = `/admin/festivals/${festivalId}`;

    const orders = await downloadFrom(session, `${f}/orders`, "Orders (CSV)");
    const dbOrders = await prisma.order.findMany({ where: { festivalId } });
    expect(orders).toHaveLength(dbOrders.length);
    expect(sum(orders.map((o) => minor(o.total)))).toBe(sum(dbOrders.map((o) => o.totalMinor)));

    const tickets = await downloadFrom(session, `${f}/orders`, "Tickets (CSV)");
    const dbTickets = await prisma.ticket.findMany({ where: { festivalId } });
    expect(new Set(tickets.map((t) => t.ticket_id))).toEqual(new Set(dbTickets.map((t) => t.id)));
    expect(sum(tickets.map((t) => minor(t.due_at_door)))).toBe(
      sum(dbTickets.map((t) => t.amountDueMinor)),
    );

    const checkIns = await downloadFrom(session, `${f}/door`, "Check-ins (CSV)");
    expect(checkIns).toHaveLength(await prisma.checkIn.count({ where: { festivalId } }));

    const schedule = await downloadFrom(session, `${f}/tattoo`, "Tattoo schedule (CSV)");
    expect(schedule).toHaveLength(await prisma.tattooSlot.count({ where: { festivalId } }));
    expect(schedule.every((r) => r.artist === "Ink Artist")).toBe(true);

    const costs = await downloadFrom(session, `${f}/costs`, "Costs (CSV)");
    expect(costs).toHaveLength(await prisma.festivalCost.count({ where: { festivalId } }));

    // The ledger and payouts exports are a treasurer's, behind a second factor:
    // tests/http/exports.test.ts downloads and parses them back as one.
    expect(session.problems).toEqual([]);
  });
});
