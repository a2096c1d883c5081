// An attendee buys a pay-at-the-door ticket on a phone, in Russian, anonymously
// (email only): festival page → checkout form → order page with the QR code;
// then the confirmation email's link, opened in a fresh browser, shows a QR
// code large enough to scan from the screen, and it decodes to the ticket's
// signed token. Once with JavaScript, once without (every form must work
// without it). The app is the production build over a fresh database.
import jsQR from "jsqr";
import { PNG } from "pngjs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { verifyTicketToken } from "~/utils/ticket-token";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createFestivalRow, createUserRow } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { browserPerFile, launchBrowser, PHONE, type BrowserSession } from "./browser";

/** `YYYY-MM-DD`, `days` from today (UTC). */
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

let app: TestApp;
let festival: { id: string; slug: string; name: string };
let ticketTypeId: string;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  const row = await createFestivalRow({
    name: `Солидарность Рига ${Date.now().toString(36)}`,
    status: "published",
    publishedAt: new Date(),
    languages: JSON.stringify(["en", "ru"]),
    description: JSON.stringify({ en: "Talks and music.", ru: "Разговоры и музыка." }),
    paymentMethods: JSON.stringify(["door"]),
    // A month ahead, 17:00–23:00 in Riga.
    startsAt: new Date(`${day(30)}T14:00:00Z`),
    endsAt: new Date(`${day(30)}T20:00:00Z`),
  });
  festival = { id: row.id, slug: row.slug, name: row.name };
  const res = await new Client(app.url).api(
    "POST",
    `/api/v1/festivals/${row.id}/ticket-types`,
    { name: { en: "Evening ticket", ru: "Вечерний билет" }, priceMinor: 1500, capacity: 50 },
    token,
  );
  expect(res.status, res.text).toBe(201);
  ticketTypeId = res.json<{ id: string }>().id;
});
afterAll(() => app?.close());

// Russian is chosen in the page itself (header button), not by the browser's language.
const browser = browserPerFile(() => app.url);

/** QR codes must scan from a phone screen held up to the door staff's camera. */
const MIN_QR_CSS_PX = 240;

/** Decode the QR code of an <img> from a screenshot of it, as a camera would see the screen. */
async function scanQr(page: Page) {
  const img = page.getByRole("img", { name: "QR-код билета" });
  await img.waitFor({ state: "visible" });
  await expect
    .poll(() =>
      img.evaluate(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      ),
    )
    .toBe(true);
  const box = await img.boundingBox();
  expect(box, "the QR image has a box on screen").not.toBeNull();
  expect(box!.width, "QR code width in CSS px").toBeGreaterThanOrEqual(MIN_QR_CSS_PX);
  expect(box!.height, "QR code height in CSS px").toBeGreaterThanOrEqual(MIN_QR_CSS_PX);
  // Entirely on screen: no horizontal scrolling needed to show it.
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
  const png = PNG.sync.read(await img.screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

/** Russian through the header's language button (a form: works with and without JavaScript). */
async function switchToRussian(page: Page) {
  await page.getByRole("button", { name: "Русский" }).click();
  await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ru");
  await page.waitForLoadState("load");
}

/** Choose one ticket, give an email and no name, pay at the door, submit. */
async function buyOneTicket(page: Page, email: string, beforeSubmit?: () => Promise<unknown>) {
  await expect.poll(() => page.getByRole("heading", { level: 2, name: "Билеты" }).count()).toBe(1);
  const ticket = page.locator(".ticket-types > li").filter({ hasText: "Вечерний билет" });
  await expect.poll(() => ticket.count()).toBe(1);
  await ticket.getByLabel("Количество").selectOption("1");
  await page.getByLabel("Эл. почта (на неё придут билеты)").fill(email);
  const name = page.getByLabel("Имя (по желанию — можно анонимно)");
  expect(await name.inputValue()).toBe("");
  const door = page.getByRole("radio", { name: "Оплата на входе" });
  expect(await door.isChecked()).toBe(true);
  await beforeSubmit?.();
  await page.getByRole("button", { name: "Заказать" }).click();
  await page.waitForURL((u) => /^\/orders\/[A-Za-z0-9_-]{20,64}$/.test(u.pathname));
  await page.waitForLoadState("load");
}

/** The order in the database: anonymous, confirmed, one valid ticket with a token that verifies. */
async function orderOf(email: string) {
  const order = await prisma.order.findFirstOrThrow({
    where: { email },
    include: { tickets: true },
  });
  expect(order).toMatchObject({
    status: "confirmed",
    paymentMethod: "door",
    name: null,
    locale: "ru",
    totalMinor: 1500,
  });
  expect(order.tickets).toHaveLength(1);
  const ticket = order.tickets[0]!;
  expect(ticket).toMatchObject({ status: "valid", ticketTypeId, amountDueMinor: 1500 });
  const key = await prisma.festivalKey.findUniqueOrThrow({ where: { festivalId: festival.id } });
  expect(
    (await verifyTicketToken(ticket.qrToken, key.publicKey, { festivalId: festival.id })).ok,
  ).toBe(true);
  return { order, ticket };
}

/** What the buyer's order page must show, in Russian. */
async function expectOrderPage(page: Page, code: string) {
  expect(await page.locator("html").getAttribute("lang")).toBe("ru");
  await expect
    .poll(() => page.getByRole("heading", { level: 1 }).textContent())
    .toBe(`Ваш заказ ${code}`);
  await expect
    .poll(() => page.locator(".order").getByRole("status").textContent())
    .toContain("Подтверждён");
  const body = (await page.locator("main").textContent()) ?? "";
  expect(body).toContain(festival.name);
  expect(body).toContain("Вечерний билет");
  expect(body).toMatch(/15,00\s€ к оплате на входе/);
  // Nothing wider than the phone's screen.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

/** The confirmation email to `email` and the order link it carries (opened as the buyer would). */
async function emailLink(email: string, accessToken: string) {
  const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
  expect(mail.subject).toContain("Ваши билеты");
  const links = [
    ...(mail.text ?? "").matchAll(/https?:\/\/[^\s<>"')\]]+\/orders\/[A-Za-z0-9_-]+/g),
  ].map((m) => new URL(m[0]));
  const link = links.find((u) => u.pathname === `/orders/${accessToken}`);
  expect(link, "the email's text links to the order page").toBeDefined();
  expect(link!.origin, "the link points at this server").toBe(new URL(app.url).origin);
  return link!.href;
}

/** A new phone browser with its own profile (no cookies): the buyer opening the email later. */
async function freshPhone(
  options: { javaScriptEnabled?: boolean; locale?: string } = {},
): Promise<BrowserSession> {
  return launchBrowser(app.url, { locale: "ru-RU", ...options });
}

describe("buying a pay-at-the-door ticket on a phone, in Russian", () => {
  it("with JavaScript: festival page → order page with QR → email link in a fresh browser → the QR scans to the ticket's token", async () => {
    const session = browser();
    const { page, problems } = session;
    const email = `phone-buyer-${Date.now().toString(36)}@example.test`;

    await session.open(`/festivals/${festival.slug}`);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await switchToRussian(page);
    await session.hydrated();
    expect(new URL(page.url()).pathname).toBe(`/festivals/${festival.slug}`);
    await buyOneTicket(page, email, () => session.screenshot("e2e-festival-checkout-ru-phone"));
    await session.hydrated();

    const { order, ticket } = await orderOf(email);
    expect(new URL(page.url()).pathname).toBe(`/orders/${order.accessToken}`);
    await expectOrderPage(page, order.code);
    expect(await scanQr(page)).toBe(ticket.qrToken);
    await session.screenshot("e2e-order-page-ru-phone");

    // The link from the email, on a browser that has never seen the shop.
    const link = await emailLink(email, order.accessToken);
    const later = await freshPhone();
    try {
      await later.page.goto(link);
      await later.hydrated();
      await expectOrderPage(later.page, order.code);
      expect(await scanQr(later.page)).toBe(ticket.qrToken);
      await later.screenshot("e2e-order-page-from-email-ru-phone");
      expect(later.problems).toEqual([]);
    } finally {
      await later.close();
    }
    expect(problems).toEqual([]);
  });

  it("without JavaScript: the same purchase through plain HTML forms", async () => {
    const session = await freshPhone({ javaScriptEnabled: false, locale: "en-US" });
    const email = `no-js-buyer-${Date.now().toString(36)}@example.test`;
    try {
      const { page, problems } = session;
      await session.open(`/festivals/${festival.slug}`);
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(await page.evaluate(() => "__remixRouter" in window)).toBe(false);
      await switchToRussian(page);
      expect(new URL(page.url()).pathname).toBe(`/festivals/${festival.slug}`);
      await buyOneTicket(page, email);

      const { order, ticket } = await orderOf(email);
      expect(new URL(page.url()).pathname).toBe(`/orders/${order.accessToken}`);
      await expectOrderPage(page, order.code);
      expect(await scanQr(page)).toBe(ticket.qrToken);
      await session.screenshot("e2e-order-page-ru-phone-no-js");

      // The email's link works without JavaScript too.
      const link = await emailLink(email, order.accessToken);
      await page.goto(link);
      await page.waitForLoadState("load");
      expect(await scanQr(page)).toBe(ticket.qrToken);
      expect(problems).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe("a festival that runs past midnight", () => {
  // Most festivals end after midnight (17:00–01:00): their dates are a range of
  // two days, which the server (Node's ICU) and the browser (Chromium's ICU)
  // must print alike, or React's hydration fails on the page.
  it("shows its festival page in English and Russian without hydration errors", async () => {
    const session = browser();
    const { page, problems } = session;
    const seen = problems.length;
    const row = await createFestivalRow({
      name: `Late night ${Date.now().toString(36)}`,
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["door"]),
      startsAt: new Date(`${day(40)}T14:00:00Z`),
      endsAt: new Date(`${day(40)}T22:00:00Z`),
    });
    for (const lang of ["en", "ru"] as const) {
      await session.open(`/festivals/${row.slug}`);
      if ((await page.locator("html").getAttribute("lang")) !== lang) {
        await page.getByRole("button", { name: lang === "ru" ? "Русский" : "English" }).click();
        await expect.poll(() => page.locator("html").getAttribute("lang")).toBe(lang);
        await session.open(`/festivals/${row.slug}`);
      }
      // The dates as the server wrote them and as the browser shows them after hydration.
      const html = await (await page.request.get(`/festivals/${row.slug}`)).text();
      const served = /<p class="when">([\s\S]*?)<span/.exec(html)?.[1]?.replace(/<!-- -->/g, "");
      const shown = await page.locator(".festival .when").evaluate((el) =>
        [...el.childNodes]
          .filter((n) => n.nodeType === Node.TEXT_NODE)
          .map((n) => n.textContent)
          .join(""),
      );
      const codes = (text = "") =>
        [...text]
          .map((c) =>
            c.charCodeAt(0) > 0x7e ? `U+${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c,
          )
          .join("");
      expect(codes(served), `${lang}: date range served vs hydrated`).toBe(codes(shown));
    }
    expect(problems.slice(seen).map((p) => `${p.kind}: ${p.text.split("\n")[0]}`)).toEqual([]);
  });
});
