// On a 390×844 phone in Russian, with JavaScript: the booker moves a tattoo
// booking to another time and then cancels it from the order page — no
// sideways scrolling, no serious axe-core violation, no console errors, and
// the page says what happened each time.
import AxeBuilder from "@axe-core/playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createFestivalRow } from "../helpers/fixtures";
import { createArtistRow, createSlotRow, slotState } from "../helpers/tattoo";
import { browserPerFile, PHONE } from "./browser";

const DAY = 24 * 60 * 60_000;
const HOUR = 60 * 60_000;
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
});
afterAll(() => app.close());
const browser = browserPerFile(() => app.url, { locale: "ru", viewport: PHONE });

describe("managing a tattoo booking on a phone", () => {
  it("(ru) moves the booking to another time, then cancels it", async () => {
    const festival = await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["door"]),
      startsAt: new Date(Date.now() + DAY),
      endsAt: new Date(Date.now() + 30 * DAY),
    });
    const artist = (await createArtistRow(festival.id, { name: "Очень длинное имя мастера" })).id;
    const from = Math.floor(Date.now() / HOUR) * HOUR + 5 * DAY;
    const first = await createSlotRow(festival.id, artist, new Date(from));
    const others = [];
    for (let i = 1; i < 6; i++)
      others.push(await createSlotRow(festival.id, artist, new Date(from + i * HOUR)));
    const res = await new Client(app.url).api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      email: "phone-booker@example.test",
      paymentMethod: "door",
      items: [{ kind: "tattoo_slot", tattooSlotId: first.id, donationMinor: 2500 }],
    });
    expect(res.status).toBe(201);
    const session = browser();
    const page = await session.open(new URL(res.json<{ orderUrl: string }>().orderUrl).pathname);
    await page.locator("details.confirm summary").click();
    await page.locator("details.tattoo-move summary").click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual(
      [],
    );

    await page.locator('input[name="slotId"]').first().check();
    await Promise.all([
      page.waitForURL((u) => u.search.includes("tattoo=moved")),
      page.locator('button[value="move"]').click(),
    ]);
    await expect
      .poll(() => page.locator("#tattoo-manage .notice").textContent())
      .toContain("перенесена");
    expect((await slotState(others[0]!.id)).reserved).toBe(1);
    expect((await slotState(first.id)).reserved).toBe(0);

    const confirm = page.locator("details.confirm");
    if (!(await confirm.evaluate((d) => (d as HTMLDetailsElement).open)))
      await confirm.locator("summary").click();
    expect(await confirm.textContent()).toContain("ничего не придётся");
    await Promise.all([
      page.waitForURL((u) => u.search.includes("tattoo=cancelled")),
      page.locator('button[value="cancel"]').click(),
    ]);
    await expect
      .poll(() => page.locator("#tattoo-manage .notice").textContent())
      .toContain("отменена");
    expect((await slotState(others[0]!.id)).reserved).toBe(0);
    expect(await page.locator('button[value="cancel"]').count()).toBe(0);
    expect(session.problems).toEqual([]);
  });
});
