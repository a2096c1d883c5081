// Organiser actions and the ticket email over HTTP against the real build, with
// mail read from the in-process SMTP server: the ticket email's short codes,
// festival time with its zone, donation line and calendar file (parsed with
// ical.js); sending an order's tickets again (audited, limited); marking a door
// order paid from the admin (balanced ledger, refusals with nothing written);
// the email previews and a test to oneself (decision 0049).
import ICAL from "ical.js";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREVIEWED_TEMPLATES } from "../../emails/index";
import { prisma } from "~/utils/db.server";
import { formatTicketCode } from "~/utils/ticket-code";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createPrisonerRow,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";
import { assertLedgerBalanced, ledgerOf } from "../helpers/ledger";
import { recipients } from "../helpers/smtp";

let app: TestApp;
let client: Client;
let admin: Awaited<ReturnType<typeof createUserRow>>;
let browser: Client;
let festivalId: string;
let typeId: string;
let prisonerId: string;
let n = 0;

type Placed = { id: string; code: string; tickets: { id: string; qrToken: string }[] };

async function placeOrder(options: { quantity?: number; donationMinor?: number } = {}) {
  const email = `actions-buyer-${++n}-${Date.now().toString(36)}@example.test`;
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId: typeId, quantity: options.quantity ?? 1 }],
    email,
    name: `Buyer ${n}`,
    paymentMethod: "door",
    ...(options.donationMinor
      ? { donation: { amountMinor: options.donationMinor, prisonerId } }
      : {}),
  });
  expect(res.status, res.text).toBe(201);
  return { ...res.json<Placed>(), email };
}

const orderPage = (orderId: string) => `/admin/festivals/${festivalId}/orders/${orderId}`;
const mailTo = (email: string) => (m: ParsedMail) => recipients(m).includes(email);
const auditRows = (action: string, targetId: string) =>
  prisma.auditEvent.findMany({ where: { action, targetId } });

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  admin = await createUserRow({ role: "admin", name: "Olga Organiser" });
  const token = await apiToken(app.url, admin.email);
  ({ id: festivalId, typeId } = await doorFestival(client, token, { priceMinor: 1500 }));
  prisonerId = (
    await createPrisonerRow(`actions-${Date.now()}`, { en: "Ivan Prisoner", ru: "Иван Узник" }, [
      festivalId,
    ])
  ).id;
  browser = await signedInClient(app.url, admin.email);
});
afterAll(() => app.close());

describe("the ticket email", () => {
  it("prints each ticket's short code, the time with its zone, the donation, and attaches the .ics", async () => {
    const order = await placeOrder({ quantity: 2, donationMinor: 500 });
    const mail = await app.mail.waitFor(mailTo(order.email));
    const tickets = await prisma.ticket.findMany({ where: { orderId: order.id } });
    expect(tickets).toHaveLength(2);
    for (const ticket of tickets) {
      expect(ticket.shortCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
      expect(mail.text).toContain(formatTicketCode(ticket.shortCode!));
      expect(mail.html).toContain(formatTicketCode(ticket.shortCode!));
    }
    // 15:00–23:00 in Riga on 26 January 2030 (UTC+2 in winter), named.
    expect(mail.text).toContain("January 26, 2030, 3:00 PM–11:00 PM (Europe/Riga, UTC+2)");
    expect(mail.text).toContain("Your donation: €5.00, for Ivan Prisoner.");

    const ics = mail.attachments.find((a) => a.contentType === "text/calendar");
    expect(ics, mail.attachments.map((a) => a.contentType).join()).toBeDefined();
    const calendar = new ICAL.Component(ICAL.parse(ics!.content.toString("utf8")));
    const events = calendar.getAllSubcomponents("vevent");
    expect(events).toHaveLength(1);
    const event = new ICAL.Event(events[0]!);
    expect(event.startDate.toJSDate().toISOString()).toBe("2030-01-26T13:00:00.000Z");
    expect(event.endDate.toJSDate().toISOString()).toBe("2030-01-26T21:00:00.000Z");
    expect(event.summary).toBe("Solidarity Festival Test");
    expect(event.location).toBe("Test hall, Test street 1");
    expect(event.uid).toBe(`${order.id}@solidarity-festivals`);

    // The ticket page prints the same codes.
    const dbOrder = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    const page = await client.get(`/orders/${dbOrder.accessToken}`);
    expect(page.status).toBe(200);
    for (const ticket of tickets) expect(page.text).toContain(formatTicketCode(ticket.shortCode!));
  });

  it("in Russian, the same time and zone", async () => {
    const email = `actions-ru-${Date.now().toString(36)}@example.test`;
    const res = await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/orders`,
      { items: [{ ticketTypeId: typeId, quantity: 1 }], email, paymentMethod: "door" },
      undefined,
      { "Accept-Language": "ru" },
    );
    expect(res.status, res.text).toBe(201);
    const mail = await app.mail.waitFor(mailTo(email));
    expect(mail.text).toContain("15:00–23:00 (Europe/Riga, UTC+2)");
    expect(mail.text).toContain("Код для входа:");
  });
});

describe("sending an order's tickets again", () => {
  it("sends the ticket email again to the order's address, audited", async () => {
    const order = await placeOrder();
    await app.mail.waitFor(mailTo(order.email));
    const res = await browser.postForm(orderPage(order.id), { intent: "resend" });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toContain(`The tickets were sent again to ${order.email}.`);
    await expect
      .poll(() => app.mail.messages.filter(mailTo(order.email)).length, { timeout: 15_000 })
      .toBe(2);
    const [first, second] = app.mail.messages.filter(mailTo(order.email));
    expect(second!.subject).toBe(first!.subject);
    expect(second!.messageId).not.toBe(first!.messageId);
    const audit = await auditRows("order.tickets.resend", order.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorUserId).toBe(admin.id);
    // The address is the order's, never in the audit row.
    expect(audit[0]!.details).not.toContain(order.email);
  });

  it("is limited per order: the fourth within the hour is refused, nothing queued", async () => {
    const order = await placeOrder();
    for (let i = 0; i < 3; i++)
      expect((await browser.postForm(orderPage(order.id), { intent: "resend" })).status).toBe(200);
    const refused = await unchanged(() =>
      browser.postForm(orderPage(order.id), { intent: "resend" }),
    );
    expect(refused.status).toBe(429);
    expect(refused.text).toContain("This was done too often just now.");
    expect(await auditRows("order.tickets.resend", order.id)).toHaveLength(3);
  });

  it("refuses a cancelled order and one whose address was erased (409, nothing written)", async () => {
    const cancelled = await placeOrder();
    await prisma.order.update({ where: { id: cancelled.id }, data: { status: "cancelled" } });
    const a = await unchanged(() =>
      browser.postForm(orderPage(cancelled.id), { intent: "resend" }),
    );
    expect(a.status).toBe(409);
    const erased = await placeOrder();
    await prisma.order.update({ where: { id: erased.id }, data: { email: null } });
    const b = await unchanged(() => browser.postForm(orderPage(erased.id), { intent: "resend" }));
    expect(b.status).toBe(409);
    expect(b.text).toContain("This order has no email address any more");
  });

  it("door staff and strangers cannot", async () => {
    const order = await placeOrder();
    const door = await createUserRow({ name: "Door Dan" });
    await addMember(festivalId, door.id, "door");
    const doorBrowser = await signedInClient(app.url, door.email);
    const res = await unchanged(() =>
      doorBrowser.postForm(orderPage(order.id), { intent: "resend" }),
    );
    expect(res.status).toBe(403);
    const stranger = await signedInClient(app.url, (await createUserRow()).email);
    const res2 = await unchanged(() =>
      stranger.postForm(orderPage(order.id), { intent: "resend" }),
    );
    expect(res2.status).toBe(404);
  });
});

describe("marking a door order paid from the admin", () => {
  it("posts Dr door_cash[organiser] / Cr income for the tickets and the donation, audited, balanced", async () => {
    const order = await placeOrder({ quantity: 2, donationMinor: 700 });
    const page = await browser.get(orderPage(order.id));
    expect(page.text).toContain("Mark paid (cash received)");
    const res = await browser.postForm(orderPage(order.id), {
      intent: "mark-paid",
      confirm: "yes",
      amountMinor: "3700",
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toContain("Marked paid: €37.00 recorded as cash you hold.");
    const dbOrder = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(dbOrder.status).toBe("paid");
    expect(dbOrder.paidAt).not.toBeNull();
    const tickets = await prisma.ticket.findMany({ where: { orderId: order.id } });
    expect(tickets.every((t) => t.amountDueMinor === 0)).toBe(true);
    const lines = await ledgerOf(order.id);
    const cash = lines.filter((l) => l.account === "door_cash");
    expect(cash.map((l) => l.holder)).toEqual([
      `user:${admin.id}`,
      `user:${admin.id}`,
      `user:${admin.id}`,
    ]);
    expect(cash.reduce((s, l) => s + l.amountMinor, 0)).toBe(3700);
    const income = lines.filter((l) => l.account === "income");
    expect(income.reduce((s, l) => s + l.amountMinor, 0)).toBe(-3700);
    expect(income.find((l) => l.category === "donation")?.prisonerId).toBe(prisonerId);
    const audit = await auditRows("order.mark_paid", order.id);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ amountMinor: 3700, currency: "EUR" });
    await assertLedgerBalanced(app.databaseUrl);

    // Marked paid again: refused, nothing written.
    const again = await unchanged(() =>
      browser.postForm(orderPage(order.id), {
        intent: "mark-paid",
        confirm: "yes",
        amountMinor: "3700",
      }),
    );
    expect(again.status).toBe(409);
    // The page no longer offers it.
    expect((await browser.get(orderPage(order.id))).text).not.toContain(
      "Mark paid (cash received)",
    );
  });

  it("refuses a card order (409, nothing written)", async () => {
    const order = await placeOrder();
    await prisma.order.update({ where: { id: order.id }, data: { paymentMethod: "stripe" } });
    const res = await unchanged(() =>
      browser.postForm(orderPage(order.id), {
        intent: "mark-paid",
        confirm: "yes",
        amountMinor: "1500",
      }),
    );
    expect(res.status).toBe(409);
    expect(res.text).toContain("This cannot be done for this order in its current state.");
  });

  it("refuses a wrong amount, a missing confirmation and hostile amounts, nothing written", async () => {
    const order = await placeOrder();
    const post = (fields: Record<string, string>) =>
      unchanged(() => browser.postForm(orderPage(order.id), { intent: "mark-paid", ...fields }));
    const wrong = await post({ confirm: "yes", amountMinor: "1400" });
    expect(wrong.status).toBe(409);
    expect(wrong.text).toContain("What is due changed meanwhile");
    expect((await post({ amountMinor: "1500" })).status).toBe(400);
    for (const amountMinor of ["", "abc", "1e9", "-1500", "15.00", "9".repeat(40), "<script>"])
      expect((await post({ confirm: "yes", amountMinor })).status, amountMinor).toBe(422);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe(
      "confirmed",
    );
  });
});

describe("email previews and a test to oneself", () => {
  it("renders every template in every language with sample data", async () => {
    for (const template of PREVIEWED_TEMPLATES)
      for (const lang of ["en", "ru", "pl"]) {
        const res = await browser.get(`/admin/emails?template=${template}&lang=${lang}`);
        expect(res.status, `${template} ${lang}: ${res.text.slice(0, 200)}`).toBe(200);
        expect(res.text).toContain('sandbox=""');
        expect(res.text).toContain(
          `src="/admin/emails/preview?template=${template}&amp;lang=${lang}"`,
        );
        const frame = await browser.get(`/admin/emails/preview?template=${template}&lang=${lang}`);
        expect(frame.status, `${template} ${lang}`).toBe(200);
        expect(frame.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(frame.text).toMatch(/^<!doctype html>/i);
      }
    const ticket = await browser.get("/admin/emails?template=order-confirmation&lang=en");
    expect(ticket.text).toContain("7:00 PM–11:00 PM (Europe/Warsaw, UTC+1)");
    expect(ticket.text).not.toContain("cid:");
  });

  it("serves the preview document under its own strict policy, framed by this site only", async () => {
    const frame = await browser.get("/admin/emails/preview?template=order-confirmation&lang=en");
    // The sample's QR codes are inlined (no cid: left).
    expect(frame.text).toContain("data:image/png;base64,");
    expect(frame.text).not.toContain("cid:ticket-");
    expect(frame.text).toContain("7:00 PM–11:00 PM (Europe/Warsaw, UTC+1)");
    const policy = frame.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("style-src 'unsafe-inline'");
    expect(policy).toContain("img-src data:");
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy).not.toContain("script-src");
    expect(frame.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(frame.headers.get("cache-control")).toBe("no-store");
    // Every other page keeps the site's policy: no inline styles, framed by nobody.
    const page = await browser.get("/admin/emails");
    expect(page.headers.get("content-security-policy")).toContain("style-src 'self'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  it("refuses previews of unknown templates and languages, and to people who organise nothing", async () => {
    for (const query of [
      "template=nope&lang=en",
      "template=test-email&lang=en",
      "template=invitation&lang=xx",
      "",
      "template=../etc/passwd&lang=en",
    ])
      // prettier-ignore
      expect((await browser.get(`/admin/emails/preview?${query}`)).status, query).toBe(404);
    const member = await signedInClient(app.url, (await createUserRow()).email);
    expect((await member.get("/admin/emails/preview?template=invitation&lang=en")).status).toBe(
      403,
    );
    expect(
      (await new Client(app.url).get("/admin/emails/preview?template=invitation&lang=en")).status,
    ).toBe(302);
  });

  it("refuses unknown templates and languages, and people who organise nothing", async () => {
    expect((await browser.get("/admin/emails?template=nope&lang=en")).status).toBe(404);
    expect((await browser.get("/admin/emails?template=test-email&lang=en")).status).toBe(404);
    expect((await browser.get("/admin/emails?template=invitation&lang=xx")).status).toBe(404);
    const member = await signedInClient(app.url, (await createUserRow()).email);
    expect((await member.get("/admin/emails")).status).toBe(403);
  });

  it("sends the organiser a test through the outbox, to their own address, audited and limited", async () => {
    const organiser = await createUserRow({ name: "Petra Planner" });
    await addMember(festivalId, organiser.id, "organiser");
    const own = await signedInClient(app.url, organiser.email);
    const res = await own.postForm("/admin/emails", {
      intent: "test",
      template: "tattoo-waitlist-offer",
      lang: "ru",
      // A "to" field is not read: the address is the organiser's own.
      to: "someone-else@example.test",
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const mail = await app.mail.waitFor(
      (m) => mailTo(organiser.email)(m) && (m.subject ?? "").startsWith("[Проба] "),
    );
    expect(recipients(mail)).toEqual([organiser.email]);
    expect(await prisma.outboxEmail.count({ where: { to: "someone-else@example.test" } })).toBe(0);
    const audit = await prisma.auditEvent.findMany({
      where: { action: "email.test", actorUserId: organiser.id },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.targetId).toBe("tattoo-waitlist-offer");

    const bad = await unchanged(() =>
      own.postForm("/admin/emails", { intent: "test", template: "../etc/passwd", lang: "en" }),
    );
    expect(bad.status).toBe(422);
    for (let i = 1; i < 10; i++)
      expect(
        (
          await own.postForm("/admin/emails", {
            intent: "test",
            template: "invitation",
            lang: "en",
          })
        ).status,
      ).toBe(200);
    const limited = await unchanged(() =>
      own.postForm("/admin/emails", { intent: "test", template: "invitation", lang: "en" }),
    );
    expect(limited.status).toBe(429);
  });
});
