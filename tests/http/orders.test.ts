// Ticket sales through the API: ticket types, quotas, door/free orders, the
// confirmation email with a QR code that really scans, the order page.
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { verifyTicketToken } from "~/utils/ticket-token";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, festivalBody } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";

let app: TestApp;
let client: Client;
let token: string;
let festivalId: string;

async function post<T>(path: string, body: unknown, auth = token) {
  const res = await client.api("POST", path, body, auth);
  return { status: res.status, body: res.json<T>() };
}

beforeAll(async () => {
  app = await startTestApp();
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  festivalId = (
    await post<{ id: string }>("/api/v1/festivals", festivalBody({ paymentMethods: ["door"] }))
  ).body.id;
  await post(`/api/v1/festivals/${festivalId}/publish`, undefined);
});
afterAll(() => app.close());

describe("ticket types and quotas", () => {
  it("creates ticket types sharing a quota and lists what is left", async () => {
    const quota = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/quotas`, {
      name: "Venue",
      capacity: 3,
    });
    expect(quota.status).toBe(201);
    const a = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
      name: { en: "Standard", ru: "Стандарт" },
      priceMinor: 1500,
      capacity: 10,
      quotaId: quota.body.id,
    });
    const b = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
      name: "Solidarity",
      priceMinor: 1000,
      payWhatYouWant: true,
      minPriceMinor: 500,
      suggestedPriceMinor: 2000,
      capacity: 10,
      quotaId: quota.body.id,
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    const list = await client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/ticket-types`,
      undefined,
      token,
    );
    const types = list.json<{ ticketTypes: { id: string; available: number }[] }>().ticketTypes;
    expect(types.map((t) => t.available)).toEqual([3, 3]);
  });
});

describe("door orders", () => {
  it("issues signed tickets at once, emails them with scannable QR codes, and respects the shared quota", async () => {
    const types = (
      await client.api("GET", `/api/v1/festivals/${festivalId}/ticket-types`, undefined, token)
    ).json<{ ticketTypes: { id: string }[] }>().ticketTypes;
    const [standard, solidarity] = types as [{ id: string }, { id: string }];
    const res = await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/orders`,
      {
        items: [
          { ticketTypeId: standard.id, quantity: 1 },
          { ticketTypeId: solidarity.id, quantity: 1, priceMinor: 2500 },
        ],
        email: "buyer@example.test",
        paymentMethod: "door",
      },
      undefined,
      { "Accept-Language": "ru" },
    );
    expect(res.status).toBe(201);
    const order = res.json<{
      id: string;
      status: string;
      totalMinor: number;
      tickets: { id: string; qrToken: string; url: string }[];
    }>();
    expect(order).toMatchObject({ status: "confirmed", totalMinor: 4000 });
    expect(order.tickets).toHaveLength(2);
    const key = await prisma.festivalKey.findUniqueOrThrow({ where: { festivalId } });
    for (const t of order.tickets) {
      const verdict = await verifyTicketToken(t.qrToken, key.publicKey, { festivalId });
      expect(verdict.ok).toBe(true);
      expect(t.qrToken).not.toContain("buyer");
    }
    expect(key.privateKeySealed).toMatch(/^v1\./);

    const mail = await app.mail.waitFor((m) => recipients(m).includes("buyer@example.test"));
    expect(mail.subject).toContain("Ваши билеты");
    const images = mail.attachments.filter((a) => a.contentType === "image/png");
    expect(images).toHaveLength(2);
    const decoded = images.map((img) => {
      const png = PNG.sync.read(img.content);
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
    });
    expect(decoded.sort()).toEqual(order.tickets.map((t) => t.qrToken).sort());
    // Inline (cid) images: mailparser has already swapped the cid: references for the images themselves.
    expect(images.map((i) => i.cid).sort()).toEqual(
      order.tickets.map((t) => `ticket-${t.id}@festival`).sort(),
    );
    expect(images.every((i) => i.related)).toBe(true);

    // One place left in the shared quota of 3.
    const tooMany = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: standard.id, quantity: 2 }],
      email: "late@example.test",
      paymentMethod: "door",
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.json()).toMatchObject({ error: "sold_out" });
    expect(await prisma.order.count({ where: { email: "late@example.test" } })).toBe(0);

    const page = await client.get(new URL(order.tickets[0]!.url).pathname);
    expect(page.status).toBe(200);
  });

  it("refuses a price below the pay-what-you-want minimum, with nothing written", async () => {
    const types = (
      await client.api("GET", `/api/v1/festivals/${festivalId}/ticket-types`, undefined, token)
    ).json<{ ticketTypes: { id: string }[] }>().ticketTypes;
    const before = await prisma.order.count();
    const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: types[1]!.id, quantity: 1, priceMinor: 100 }],
      email: "cheap@example.test",
      paymentMethod: "door",
    });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      fields: { "items.0.priceMinor": expect.stringContaining("minimum") },
    });
    expect(await prisma.order.count()).toBe(before);
  });
});

describe("checkout form without JavaScript", () => {
  it("orders a pay-at-the-door ticket from the festival page and lands on the order page", async () => {
    const festival = await prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
    const type = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
      name: { en: "Evening", ru: "Вечер" },
      priceMinor: 800,
      capacity: 5,
    });
    const buyer = new Client(app.url, { "Accept-Language": "ru" });
    const page = await buyer.get(`/festivals/${festival.slug}`);
    expect(page.text).toContain("Вечер");
    const res = await buyer.postForm(`/festivals/${festival.slug}`, {
      [`qty.${type.body.id}`]: "2",
      email: "form-buyer@example.test",
      name: "<script>alert(1)</script>",
      paymentMethod: "door",
      donation: "5,50",
    });
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/^\/orders\/[A-Za-z0-9_-]{20,}$/);
    const order = await prisma.order.findFirstOrThrow({
      where: { email: "form-buyer@example.test" },
      include: { tickets: true, items: true },
    });
    expect(order.totalMinor).toBe(2 * 800 + 550);
    expect(order.tickets).toHaveLength(2);
    const orderPage = await buyer.get(res.location!);
    expect(orderPage.status).toBe(200);
    expect(orderPage.text).toContain("Подтверждён");
    expect(orderPage.text.match(/<img[^>]+class="qr"/g)).toHaveLength(2);
    expect(orderPage.text).not.toContain("<script>alert(1)</script>");
    const ics = await buyer.get(`${res.location}/calendar.ics`);
    expect(ics.headers.get("content-type")).toContain("text/calendar");
    expect(ics.text).toContain("BEGIN:VEVENT");
    expect(ics.text).toContain(
      `DTSTART:${festival.startsAt
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "")}`,
    );
  });

  it("shows errors next to the fields and writes nothing", async () => {
    const festival = await prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
    const before = await prisma.order.count();
    const res = await new Client(app.url).postForm(`/festivals/${festival.slug}`, {
      email: "not-an-email",
      paymentMethod: "door",
      donation: "abc",
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain("Enter an amount such as 15 or 15.50, at most €1,000,000.00.");
    expect(await prisma.order.count()).toBe(before);
  });
});
