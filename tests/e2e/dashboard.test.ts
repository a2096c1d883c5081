// The dashboard in a real Chromium on a phone (390 px): a festival on now with
// sales, money on the books (tickets, an earmarked donation), a cost waiting,
// a tattoo artist's slots and a check-in. Every chart is an SVG with bars and
// a table of the same figures for screen readers; the page does not scroll
// sideways; it refreshes itself when it comes back into view (a festival on
// now) and shows a new check-in; axe-core finds no serious or critical
// violation on it nor on the admins' overview (in Russian).
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryStatements, moneyInPostings } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { languageCookie } from "~/utils/session.server";
import {
  buyDoorTicket,
  createPrisonerRow,
  createUserRow,
  signedInClient,
} from "../helpers/fixtures";
import { bookSlotDirectly, createArtistRow, createSlotRows } from "../helpers/tattoo";
import { browserPerFile, PHONE } from "./browser";
import { newDevice, startDoorFestival, type DoorFestival } from "./door-fixtures";

let door: DoorFestival;
let deviceToken: string;
/** A ticket admitted only during the test (the live refresh). */
let later = "";
let cookies: { name: string; value: string }[] = [];
const HOUR = 3_600_000;
let n = 0;

async function scan(qrToken: string) {
  const res = await door.client.api(
    "POST",
    "/api/v1/door/scans",
    { token: qrToken, nonce: `dash-e2e-${++n}-${Date.now()}` },
    deviceToken,
  );
  expect(res.status, res.text).toBe(200);
}

beforeAll(async () => {
  door = await startDoorFestival("Riga Solidarity Evening");
  const f = door.festivalId;
  // On now: its check-ins are live.
  await prisma.festival.update({
    where: { id: f },
    data: { startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() + 5 * HOUR) },
  });
  const prisoner = await createPrisonerRow(`dash-e2e-${Date.now()}`, { en: "Ihar Losik", ru: "Игорь Лосик" }, [f]); // prettier-ignore
  const tickets = [];
  for (let i = 0; i < 3; i++) tickets.push(await buyDoorTicket(door.client, f, door.typeId));
  // Money on the books: three tickets paid by card and a donation earmarked for the prisoner.
  await sqlClient().batch(
    entryStatements({
      id: `test:dash-e2e:${f}`,
      festivalId: f,
      kind: "payment",
      at: new Date(),
      postings: moneyInPostings({ festivalId: f, currency: "EUR", code: "stripe_balance" }, [
        { category: "ticket", amountMinor: 4500 },
        { category: "donation", prisonerId: prisoner.id, amountMinor: 2000 },
      ]),
    }),
    "write",
  );
  await prisma.festivalCost.create({
    data: { id: `dash-e2e-cost-${f}`, festivalId: f, category: "venue", description: "Hall", amountMinor: 12_000, currency: "EUR" }, // prettier-ignore
  });
  const artist = await createArtistRow(f, { name: "Fine Line" });
  const slots = await createSlotRows(f, artist.id, new Date(Date.now() + HOUR), 4);
  await bookSlotDirectly(slots[0]!.id, { status: "booked" });
  deviceToken = (await newDevice(door, "Front door")).token;
  await scan(tickets[0]!.qrToken);
  // Kept for the live refresh below.
  later = tickets[1]!.qrToken;
  const admin = await createUserRow({ role: "admin", name: "Ada Admin" });
  const client = await signedInClient(door.app.url, admin.email);
  cookies = [...client.cookies].map(([name, value]) => ({ name, value }));
});
afterAll(() => door?.app.close());

const browser = browserPerFile(() => door.app.url, { viewport: PHONE });

async function signIn(lang: "en" | "ru") {
  const session = browser();
  const url = session.baseUrl;
  const langValue = (await languageCookie.serialize(lang)).split(";")[0]!.split("=")[1]!;
  await session.context.clearCookies();
  await session.context.addCookies([
    { name: "lang", value: langValue, url },
    ...cookies.map((c) => ({ ...c, url })),
  ]);
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(" ")).join(", ")}`);
}

/** Each chart on the page: its caption, how many bars its SVG draws, and its table's rows. */
function chartsOn(page: Page) {
  return page.$$eval("figure.dash-chart", (figures) =>
    figures.map((f) => ({
      title: f.querySelector("figcaption")?.textContent ?? "",
      bars: f.querySelectorAll(
        "svg .bar-row path.recharts-rectangle, svg .capacity-row path.recharts-rectangle, svg path.recharts-rectangle.column",
      ).length,
      hidden: f.querySelector(".dash-chart-svg")?.getAttribute("aria-hidden") === "true",
      rows: f.querySelectorAll(".sr-only table tbody tr").length,
      width: (f.querySelector("svg") as SVGSVGElement | null)?.getBoundingClientRect().width ?? 0,
    })),
  );
}

describe("the festival dashboard on a phone", () => {
  it("draws every chart with bars and a table, fits the screen, refreshes live and passes axe", async () => {
    await signIn("en");
    const session = browser();
    const page = await session.open(`/admin/festivals/${door.festivalId}/dashboard`);
    const charts = await chartsOn(page);
    expect(charts.map((c) => c.title)).toEqual([
      "Tickets sold against capacity, per ticket type",
      "Tickets sold per day",
      "Net revenue by category, per currency",
      "Tattoo slots booked, per artist",
      "Donations by earmark, per currency",
      "Costs paid, by category, per currency",
      "Arrivals per 10 minutes",
      "Money moved into funds, per prisoner and currency",
    ]);
    for (const c of charts) {
      expect(c.hidden, c.title).toBe(true);
      expect(c.rows, c.title).toBeGreaterThan(0);
      // Scaled to the phone's width, not wider.
      expect(c.width, c.title).toBeGreaterThan(300);
      expect(c.width, c.title).toBeLessThanOrEqual(PHONE.width);
    }
    // Only the cost is still waiting: its chart has no paid bar; every other draws bars.
    for (const c of charts.filter((x) => !x.title.startsWith("Costs")))
      expect(c.bars, c.title).toBeGreaterThan(0);
    const table = page.locator("figure.dash-chart .sr-only table").first();
    await expect(table.locator("tbody tr th").first().textContent()).resolves.toBe(door.typeName);
    await expect(table.locator("tbody tr td").first().textContent()).resolves.toBe("3");
    expect(await page.locator(".badge.live").count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    expect(await seriousViolations(page)).toEqual([]);

    // Someone comes in; the page refreshes its figures when it comes back into view.
    const checkedIn = page.locator(".stats div", { hasText: "Checked in" }).locator("dd");
    expect(await checkedIn.textContent()).toBe("1");
    await scan(later);
    const refreshed = page.waitForResponse(
      (r) => new URL(r.url()).pathname.endsWith(".data") && r.ok(),
    );
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await refreshed;
    await expect.poll(() => checkedIn.textContent()).toBe("2");
    expect(session.problems).toEqual([]);
    await session.screenshot("dashboard-phone");
  });

  it("the overview of every festival, in Russian, passes axe", async () => {
    await signIn("ru");
    const session = browser();
    const page = await session.open("/admin/overview");
    expect(await page.locator("h1").textContent()).toBe("Все фестивали");
    expect(await page.locator("h2", { hasText: "Латвия" }).count()).toBe(1);
    const charts = await chartsOn(page);
    expect(charts.length).toBe(2);
    for (const c of charts) {
      expect(c.bars, c.title).toBeGreaterThan(0);
      expect(c.rows, c.title).toBeGreaterThan(0);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    expect(await seriousViolations(page)).toEqual([]);
    expect(session.problems).toEqual([]);
    await session.screenshot("overview-phone");
  });
});
