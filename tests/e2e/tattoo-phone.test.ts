// Issue 10's phone test: on a 390×844 phone, in Russian (the browser asks for
// it with Accept-Language: ru), an attendee chooses a ticket and a donation
// tattoo slot with a flash design in ONE order on the festival page, pays at
// the festival, sees the booking on the order page, and receives the
// confirmation email with the tattoo's local time in Riga (not the phone's
// zone: the browser runs in UTC) and a calendar file whose DTSTART is the slot.
// Then, at the festival, a door volunteer on their own phone opens the tattoo
// corner's board for that day, takes the donation in cash and marks the tattoo
// done; the buyer's order page says so.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  PASSWORD,
} from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { createArtistRow, createFlashRow, createSlotRow } from "../helpers/tattoo";
import { browserPerFile, launchBrowser, PHONE } from "./browser";

let app: TestApp;
let festival: { id: string; slug: string };
let slot: { id: string; startsAt: Date; endsAt: Date };
let flashId: string;
let volunteerEmail: string;
let orderUrl: string;
const ARTIST = "Игла Рига";

beforeAll(async () => {
  app = await startTestApp();
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  // 13 July 2030 in Riga: summer time, UTC+3.
  const row = await createFestivalRow({
    name: `Солидарность Рига ${Date.now().toString(36)}`,
    status: "published",
    publishedAt: new Date(),
    languages: JSON.stringify(["en", "ru"]),
    description: JSON.stringify({ en: "Talks and music.", ru: "Разговоры и музыка." }),
    paymentMethods: JSON.stringify(["door"]),
    startsAt: new Date("2030-07-13T09:00:00Z"),
    endsAt: new Date("2030-07-13T20:00:00Z"),
  });
  festival = { id: row.id, slug: row.slug };
  const res = await new Client(app.url).api(
    "POST",
    `/api/v1/festivals/${row.id}/ticket-types`,
    { name: { en: "Day ticket", ru: "Дневной билет" }, priceMinor: 1500, capacity: 50 },
    token,
  );
  expect(res.status, res.text).toBe(201);
  const artist = await createArtistRow(row.id, { name: ARTIST });
  await sqlClient().execute({
    sql: "UPDATE TattooArtist SET bio = ? WHERE id = ?",
    args: [JSON.stringify({ en: "Fine lines.", ru: "Тонкие линии." }), artist.id],
  });
  flashId = (await createFlashRow(row.id, artist.id, { title: "Ласточка", minDonationMinor: 3000 }))
    .id;
  // 12:00 UTC = 15:00 in Riga; and a second one so the page lists a day of slots.
  slot = await createSlotRow(row.id, artist.id, new Date("2030-07-13T12:00:00Z"), {
    minDonationMinor: 2000,
  });
  await createSlotRow(row.id, artist.id, new Date("2030-07-13T13:00:00Z"));
  const volunteer = await createUserRow({ role: "member" });
  await addMember(row.id, volunteer.id, "door");
  volunteerEmail = volunteer.email;
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url, { locale: "ru-RU", viewport: PHONE });

/** axe-core's serious and critical findings on the page as it is. */
async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function noHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "nothing wider than the phone's screen").toBeLessThanOrEqual(0);
}

describe("a ticket and a tattoo in one order, on a phone, in Russian", () => {
  it("festival page → order page → confirmation email with the Riga time and an .ics", async () => {
    const session = browser();
    const { page, problems } = session;
    const email = `tattoo-phone-${Date.now().toString(36)}@example.test`;

    await session.open(`/festivals/${festival.slug}`);
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    const tattoos = page.locator(".tattoo-shop");
    await expect
      .poll(() => tattoos.getByRole("heading", { name: "Татуировки за пожертвование" }).count())
      .toBe(1);
    expect(await tattoos.textContent()).toContain("Тонкие линии.");
    await noHorizontalScroll(page);
    expect(await axeViolations(page)).toEqual([]);

    // One ticket…
    const ticket = page.locator(".ticket-types > li").filter({ hasText: "Дневной билет" });
    await ticket.getByLabel("Количество").selectOption("1");
    // …and the 15:00 slot (Riga time, said so), with the swallow.
    const artistCard = tattoos.locator(".tattoo-artist").filter({ hasText: ARTIST });
    expect(await artistCard.textContent()).toContain("местное время, GMT+3");
    await artistCard.getByRole("radio", { name: /15:00–15:45/ }).check();
    await page.getByLabel("Эскиз").selectOption(flashId);
    const donation = page.getByLabel("Ваше пожертвование за татуировку (EUR)");
    await donation.fill("35");
    // The cancellation rule is stated before paying.
    expect(await tattoos.locator(".tattoo-policy").textContent()).toContain(
      "не позднее чем за 12 часов до начала",
    );
    await page.getByLabel("Эл. почта (на неё придут билеты)").fill(email);
    const door = page.getByRole("radio", { name: "Оплата на входе" });
    expect(await door.isChecked()).toBe(true);
    await session.screenshot("e2e-tattoo-festival-page-ru-phone");
    await page.getByRole("button", { name: "Заказать" }).click();
    await page.waitForURL((u) => /^\/orders\/[A-Za-z0-9_-]{20,64}$/.test(u.pathname));
    await session.hydrated();
    orderUrl = new URL(page.url()).pathname;

    // One order with both.
    const order = await prisma.order.findFirstOrThrow({
      where: { email },
      include: { items: true, tickets: true },
    });
    expect(order).toMatchObject({ status: "confirmed", paymentMethod: "door", locale: "ru" });
    expect(order.totalMinor).toBe(1500 + 3500);
    expect(order.items.map((i) => i.kind).sort()).toEqual(["tattoo_slot", "ticket"]);
    expect(order.tickets).toHaveLength(1);
    const { rows } = await sqlClient().execute({
      sql: "SELECT slotId, flashDesignId, status, dueMinor FROM TattooBooking WHERE orderId = ?",
      args: [order.id],
    });
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { slotId: slot.id, flashDesignId: flashId, status: "booked", dueMinor: 3500 },
    ]);

    // The order page: the booking with its local time and what is due at the corner.
    const card = page.locator(".tattoo-booking");
    await expect.poll(() => card.count()).toBe(1);
    const cardText = (await card.textContent()) ?? "";
    expect(cardText).toContain(`Татуировка у мастера ${ARTIST}`);
    expect(cardText).toContain("13 июля 2030 г., 15:00–15:45");
    expect(cardText).toContain("GMT+3");
    expect(cardText).toContain("Эскиз: Ласточка");
    expect(cardText).toMatch(/Записаны — 35,00\s€ к оплате в тату-уголке/);
    await noHorizontalScroll(page);
    expect(await axeViolations(page)).toEqual([]);
    await session.screenshot("e2e-tattoo-order-page-ru-phone");

    // The confirmation email, in Russian, with the Riga time and the zone named.
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    const text = mail.text ?? "";
    expect(text).toContain(`Татуировка у мастера ${ARTIST}`);
    expect(text).toContain("13 июл. 2030 г., 15:00–15:45 (время Europe/Riga, GMT+3)");
    expect(text).toContain("Эскиз: Ласточка");
    const ics = mail.attachments.find((a) => a.contentType.startsWith("text/calendar"));
    expect(ics, "the email carries a calendar file").toBeDefined();
    const unfolded = ics!.content.toString("utf8").replace(/\r\n /g, "");
    expect(unfolded).toContain("\r\nDTSTART:20300713T120000Z\r\n");
    expect(unfolded).toContain("\r\nDTEND:20300713T124500Z\r\n");
    expect(slot.startsAt.toISOString()).toBe("2030-07-13T12:00:00.000Z");

    expect(problems).toEqual([]);
  });

  it("at the festival: the tattoo corner's board takes the donation and marks the tattoo done", async () => {
    expect(orderUrl, "the booking of the test above").toBeTruthy();
    const staff = await launchBrowser(app.url, { locale: "ru-RU", viewport: PHONE });
    try {
      const { page, problems } = staff;
      await staff.open("/login");
      await page.locator('input[name="email"]').fill(volunteerEmail);
      await page.locator('input[name="password"]').fill(PASSWORD);
      await page.locator('form:has(input[name="password"]) button[type="submit"]').click();
      await page.waitForURL((u) => u.pathname !== "/login");
      await staff.open(`/tattoo-corner/${festival.id}?day=2030-07-13`);
      expect(await page.locator("html").getAttribute("lang")).toBe("ru");
      const card = page.getByTestId(`slot-${slot.id}`);
      await expect.poll(() => card.getAttribute("data-state")).toBe("booked");
      const cardText = (await card.textContent()) ?? "";
      expect(cardText).toContain("15:00–15:45");
      expect(cardText).toContain("Ласточка");
      await noHorizontalScroll(page);

      // The donation in cash (a confirmation step), then done.
      await card.getByText("Получить 35,00 € наличными").click();
      await card.getByRole("button", { name: "Да, я получил(а) 35,00 €" }).click();
      await expect.poll(() => card.textContent()).toContain("Оплачено");
      await card.getByRole("button", { name: "Отметить: сделано" }).click();
      await expect.poll(() => card.getAttribute("data-state")).toBe("done");
      await staff.screenshot("e2e-tattoo-corner-done-ru-phone");
      expect(problems).toEqual([]);
    } finally {
      await staff.close();
    }
    const { rows } = await sqlClient().execute({
      sql: "SELECT status, dueMinor FROM TattooBooking WHERE slotId = ?",
      args: [slot.id],
    });
    expect(rows.map((r) => ({ ...r }))).toEqual([{ status: "done", dueMinor: 0 }]);

    // The buyer's page says it is done.
    const session = browser();
    await session.open(orderUrl);
    await expect
      .poll(() => session.page.locator(".tattoo-booking").textContent())
      .toContain("Сделано — спасибо");
    expect(session.problems).toEqual([]);
  });
});
