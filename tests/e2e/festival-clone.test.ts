// A cloned festival sells, in a real Chromium on a phone (390 px): an organiser
// opens last year's festival (the seeded Riga demo), clones it to Berlin through
// the form (a country and a time zone from the pickers, a new date), lands on
// the new draft, publishes it; then an attendee, signed out, finds it on the
// festival page with the ticket types it inherited and buys a ticket paid at
// the door, and the order page shows it. The browser logs no error throughout.
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, signedInClient } from "../helpers/fixtures";
import { browserPerFile, PHONE } from "./browser";

let app: TestApp;
let seeded: { id: string; name: string };
let cookies: { name: string; value: string }[] = [];

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0", SEED_DEMO: "1" });
  seeded = await prisma.festival.findUniqueOrThrow({
    where: { slug: "demo-solidarity-festival-riga" },
    select: { id: true, name: true },
  });
  const admin = await createUserRow({ role: "admin", name: "Clara Clone" });
  const client = await signedInClient(app.url, admin.email);
  cookies = [...client.cookies].map(([name, value]) => ({ name, value }));
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url, { viewport: PHONE });

describe("a cloned festival", () => {
  it("is set up from last year's in one form, published, and sells a ticket at the door", async () => {
    const session = browser();
    const { page } = session;
    await session.context.addCookies(cookies.map((c) => ({ ...c, url: session.baseUrl })));

    await session.open(`/admin/festivals/${seeded.id}/clone`);
    const day = DateTime.now().plus({ days: 90 }).toISODate();
    await page.getByLabel("Festival name").fill("Solidarity Festival Berlin");
    await page.getByLabel("City").fill("Berlin");
    await page.getByLabel("Country").selectOption("DE");
    await page.getByLabel("Time zone").selectOption("Europe/Berlin");
    await page.getByLabel("Starts", { exact: true }).fill(`${day}T16:00`);
    await page.getByLabel("Ends", { exact: true }).fill(`${day}T23:00`);
    await page.getByLabel("Venue", { exact: true }).fill("Mehringhof");
    await page.getByLabel("Venue address").fill("Gneisenaustraße 2a, Berlin");
    const slug = `berlin-${Date.now().toString(36)}`;
    await page.getByLabel("Address of the public page").fill(slug);
    await page.getByRole("button", { name: "Create the copy" }).click();
    await page.waitForURL((u) => /^\/admin\/festivals\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith(seeded.id)); // prettier-ignore

    const clone = await prisma.festival.findUniqueOrThrow({
      where: { slug },
      include: { ticketTypes: true },
    });
    expect(clone).toMatchObject({ status: "draft", city: "Berlin", timezone: "Europe/Berlin" });
    expect(clone.ticketTypes.length).toBeGreaterThan(0);
    expect(await prisma.order.count({ where: { festivalId: clone.id } })).toBe(0);

    await page.getByRole("button", { name: "Publish" }).click();
    await expect
      .poll(
        async () => (await prisma.festival.findUniqueOrThrow({ where: { id: clone.id } })).status,
      ) // prettier-ignore
      .toBe("published");

    // The attendee: nobody signed in.
    await session.context.clearCookies();
    await session.open(`/festivals/${slug}`);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Solidarity Festival Berlin");
    const onSale = clone.ticketTypes.find((t) => t.visibility !== "hidden" && t.capacity > 0);
    expect(onSale, "a ticket type for everyone").toBeTruthy();
    await page.locator(`select[name="qty.${onSale!.id}"]`).selectOption("1");
    await page.getByLabel(/^Email/).fill("berlin-buyer@example.test");
    const door = page.getByRole("radio", { name: "Pay at the door" });
    if (await door.count()) await door.check();
    await page.getByRole("button", { name: "Order", exact: true }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/orders/"));

    const orders = await prisma.order.findMany({
      where: { festivalId: clone.id },
      include: { tickets: true },
    });
    expect(orders).toHaveLength(1);
    expect(orders[0]!.email).toBe("berlin-buyer@example.test");
    expect(orders[0]!.tickets).toHaveLength(1);
    await expect.poll(() => page.getByRole("img", { name: /QR/ }).count()).toBe(1);
    expect(session.problems).toEqual([]);
  });
});
