// Card checkout through Stripe, end to end: the real production build talks to
// the Stripe-compatible fake through the real SDK, webhooks are signed with the
// SDK's own test helper, and every case checks the database precisely (order,
// tickets, reserved counters, the order's exact ledger postings, Stripe events, outbox, mail).
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelOrRefundOrder, expireDueHolds } from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { deliverDueEmails } from "~/utils/email.server";
import { verifyTicketToken } from "~/utils/ticket-token";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, festivalBody } from "../helpers/fixtures";
import { incomeOf, ledgerOf, type LedgerLine } from "../helpers/ledger";
import { recipients } from "../helpers/smtp";
import {
  startStripeFake,
  type DeliverOptions,
  type FakeCheckoutSession,
  type LoggedRequest,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_solidarity_checkout_0123456789abcdef";
const BUYER_NAME = "Ivan Zaslonov-Buyer";
const PRISONER_NAME = "Ales Testovich Prisonerov";
const PRISONER_NAME_RU = "Алесь Тестович Узников";
/** The app gives up on a Stripe call after this long (and retries once): keeps the "hang" case short. */
const STRIPE_TIMEOUT_MS = 1000;
const MINUTE = 60_000;

let fake: StripeFake;
let app: TestApp;
let client: Client;
let token: string;
let actor: CurrentUser;
let festivalId: string;
let prisoner: { id: string; slug: string };

type OrderJson = {
  id: string;
  code: string;
  status: string;
  totalMinor: number;
  currency: string;
  checkoutUrl?: string;
  orderUrl: string;
  tickets: { id: string; qrToken: string; url: string }[];
};

async function post<T>(path: string, body: unknown) {
  const res = await client.api("POST", path, body, token);
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`${path}: ${res.status} ${res.text}`);
  return res.json<T>();
}

async function createQuota(capacity: number) {
  return (
    await post<{ id: string }>(`/api/v1/festivals/${festivalId}/quotas`, {
      name: `Quota ${capacity}`,
      capacity,
    })
  ).id;
}

async function createType(body: Record<string, unknown>) {
  return (await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, body)).id;
}

/** Place an order through the public API (no auth, like a buyer). */
function placeOrder(body: Record<string, unknown>) {
  return client.api("POST", `/api/v1/festivals/${festivalId}/orders`, body);
}

async function placeCardOrder(body: Record<string, unknown>) {
  const res = await placeOrder({ paymentMethod: "stripe", ...body });
  expect(res.status, res.text).toBe(201);
  return res.json<OrderJson>();
}

/** The fake's Checkout Session made for an order (exactly one). */
function sessionOf(orderId: string): FakeCheckoutSession {
  const found = [...fake.sessions.values()].filter((s) => s.metadata.order_id === orderId);
  expect(found).toHaveLength(1);
  return structuredClone(found[0]!);
}

async function deliver(
  type: string,
  session: FakeCheckoutSession,
  opts: DeliverOptions & { secret?: string } = {},
) {
  const event = fake.event(type, session);
  const res = await fake.deliverWebhook(
    `${app.url}/webhooks/stripe`,
    event,
    opts.secret ?? WEBHOOK_SECRET,
    opts,
  );
  return { event, status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
}

async function redeliver(event: ReturnType<StripeFake["event"]>) {
  const res = await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);
  return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
}

/** Reserved counters of ticket types and quotas, by id. */
async function reserved(ids: string[]) {
  const types = await prisma.ticketType.findMany({
    where: { id: { in: ids } },
    select: { id: true, reserved: true },
  });
  const quotas = await prisma.quota.findMany({
    where: { id: { in: ids } },
    select: { id: true, reserved: true },
  });
  return Object.fromEntries([...types, ...quotas].map((r) => [r.id, r.reserved]));
}

/** Everything the database holds about one order. */
async function state(orderId: string) {
  const order = await prisma.order.findUnique({ where: { id: orderId } });
  const items = await prisma.orderItem.findMany({ where: { orderId }, orderBy: { kind: "desc" } });
  const tickets = await prisma.ticket.findMany({ where: { orderId } });
  const ledger = await ledgerOf(orderId);
  const events = await prisma.stripeEvent.findMany({
    where: { orderId },
    orderBy: { receivedAt: "asc" },
  });
  const outbox = await prisma.outboxEmail.findMany({
    where: { payload: JSON.stringify({ orderId }) },
    orderBy: { createdAt: "asc" },
  });
  return { order, items, tickets, ledger, events, outbox };
}

/** Stripe's fee on a charge in the fake: 1.5% + 25 minor units. */
const feeOf = (gross: number) => Math.round(gross * 0.015) + 25;

function line(
  entry: string,
  kind: string,
  account: string,
  amountMinor: number,
  extra: { category?: string; prisonerId?: string } = {},
): LedgerLine {
  return {
    entry,
    kind,
    account,
    category: extra.category ?? null,
    prisonerId: extra.prisonerId ?? null,
    holder: null,
    currency: "EUR",
    amountMinor,
  };
}

type Donation = { amountMinor: number; prisonerId: string };

/** `order:<id>:payment`: money at Stripe against ticket and donation income. */
function paymentLines(tickets: number, donation?: Donation): LedgerLine[] {
  return [
    line("payment", "payment", "stripe_balance", tickets + (donation?.amountMinor ?? 0)),
    line("payment", "payment", "income", -tickets, { category: "ticket" }),
    ...(donation
      ? [
          line("payment", "payment", "income", -donation.amountMinor, {
            category: "donation",
            prisonerId: donation.prisonerId,
          }),
          // Earmarked: in the prisoner's fund as soon as it is paid (decision 0033).
          line("payment", "payment", "allocated", donation.amountMinor, {
            prisonerId: donation.prisonerId,
          }),
          line("payment", "payment", "fund", -donation.amountMinor, {
            prisonerId: donation.prisonerId,
          }),
        ]
      : []),
  ];
}

/** `order:<id>:fee`: Stripe's fee from the charge's balance transaction. */
function feeLines(gross: number): LedgerLine[] {
  return [
    line("fee", "processing_fee", "processing_fees", feeOf(gross)),
    line("fee", "processing_fee", "stripe_balance", -feeOf(gross)),
  ];
}

/** `stripe:refund:<re_…>`: refunds under each category and earmark, out of money at Stripe. */
function refundLines(refundId: string, tickets: number, donation?: Donation): LedgerLine[] {
  return [
    ...(tickets ? [line(refundId, "refund", "refunds", tickets, { category: "ticket" })] : []),
    ...(donation
      ? [
          line(refundId, "refund", "refunds", donation.amountMinor, {
            category: "donation",
            prisonerId: donation.prisonerId,
          }),
        ]
      : []),
    line(refundId, "refund", "stripe_balance", -(tickets + (donation?.amountMinor ?? 0))),
    // The earmark given back leaves the prisoner's fund (which holds it: nothing was paid out).
    ...(donation
      ? [
          line(refundId, "refund", "allocated", -donation.amountMinor, {
            prisonerId: donation.prisonerId,
          }),
          line(refundId, "refund", "fund", donation.amountMinor, {
            prisonerId: donation.prisonerId,
          }),
        ]
      : []),
  ];
}

/** The one refund the fake made for a PaymentIntent. */
function refundOf(paymentIntent: string | null) {
  const found = [...fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function mailsTo(address: string) {
  return app.mail.messages.filter((m) => recipients(m).includes(address));
}

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wait until every outbox row of the order has been sent. */
async function outboxSent(orderId: string, count: number) {
  await until(`${count} sent emails for ${orderId}`, async () => {
    await deliverDueEmails();
    const rows = await prisma.outboxEmail.findMany({
      where: { payload: JSON.stringify({ orderId }) },
    });
    return rows.length === count && rows.every((r) => r.status === "sent");
  });
}

function decodeQrImages(mail: { attachments: { contentType: string; content: Buffer }[] }) {
  return mail.attachments
    .filter((a) => a.contentType === "image/png")
    .map((img) => {
      const png = PNG.sync.read(img.content);
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
    });
}

function requestsSince(mark: number, method: string, path: string | RegExp) {
  return fake.requests
    .slice(mark)
    .filter(
      (r) =>
        r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
}

function orderIdInRequest(r: LoggedRequest): string {
  const md = r.body.metadata as Record<string, string> | undefined;
  return md?.order_id ?? "";
}

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS),
    RATE_LIMIT_PER_MINUTE: "0",
  });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin", name: "Admin" });
  actor = {
    id: admin.id,
    email: admin.email,
    name: admin.name,
    role: "admin",
    locale: null,
    memberships: [],
  };
  token = await apiToken(app.url, admin.email);
  festivalId = (
    await post<{ id: string }>(
      "/api/v1/festivals",
      festivalBody({ paymentMethods: ["stripe", "door"] }),
    )
  ).id;
  await post(`/api/v1/festivals/${festivalId}/publish`, undefined);
  prisoner = await prisma.prisoner.create({
    data: {
      slug: "testovich-prisoner",
      name: JSON.stringify({ en: PRISONER_NAME, ru: PRISONER_NAME_RU }),
      summary: JSON.stringify({ en: "Political prisoner." }),
    },
  });
  await prisma.festivalPrisoner.create({ data: { festivalId, prisonerId: prisoner.id } });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("card checkout: happy path, privacy, duplicates", () => {
  const email = "happy-buyer@example.test";
  let quota: string;
  let standard: string;
  let solidarity: string;
  let placed: OrderJson;
  let session: FakeCheckoutSession;
  let completedEvent: ReturnType<StripeFake["event"]>;

  it("holds the places and sends the buyer to Stripe, without issuing anything", async () => {
    quota = await createQuota(5);
    standard = await createType({
      name: { en: "Standard", ru: "Стандарт" },
      priceMinor: 1500,
      capacity: 10,
      quotaId: quota,
    });
    solidarity = await createType({
      name: "Solidarity",
      priceMinor: 1000,
      payWhatYouWant: true,
      minPriceMinor: 500,
      capacity: 10,
    });
    const before = Date.now();
    placed = await placeCardOrder({
      items: [
        { ticketTypeId: standard, quantity: 2 },
        { ticketTypeId: solidarity, quantity: 1, priceMinor: 800 },
      ],
      email,
      name: BUYER_NAME,
      donation: { amountMinor: 700, prisonerId: prisoner.id },
    });
    expect(placed).toMatchObject({
      status: "pending",
      totalMinor: 3000 + 800 + 700,
      currency: "EUR",
      tickets: [],
    });
    expect(placed.checkoutUrl).toMatch(new RegExp(`^${fake.url}/pay/cs_`));

    session = sessionOf(placed.id);
    expect(placed.checkoutUrl).toBe(session.url);
    expect(session).toMatchObject({
      status: "open",
      payment_status: "unpaid",
      amount_total: 4500,
      currency: "eur",
      metadata: { order_id: placed.id },
      client_reference_id: placed.id,
    });
    expect(fake.lineItems.get(session.id)!.map((l) => [l.quantity, l.price.unit_amount])).toEqual([
      [2, 1500],
      [1, 800],
      [1, 700],
    ]);

    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "pending",
      paymentMethod: "stripe",
      totalMinor: 4500,
      currency: "EUR",
      email,
      name: BUYER_NAME,
      stripeSessionId: session.id,
      stripePaymentIntentId: null,
      paidAt: null,
    });
    // The hold is 30 minutes; the Stripe session ends 2 minutes after it.
    const hold = s.order!.holdExpiresAt!.getTime();
    expect(hold).toBeGreaterThanOrEqual(before + 30 * MINUTE - 1000);
    expect(hold).toBeLessThanOrEqual(Date.now() + 30 * MINUTE);
    expect(session.expires_at).toBe(Math.ceil(hold / 1000) + 120);
    expect(
      s.items.map((i) => [i.kind, i.ticketTypeId, i.quantity, i.amountMinor, i.prisonerId]),
    ).toEqual(
      expect.arrayContaining([
        ["ticket", standard, 2, 3000, null],
        ["ticket", solidarity, 1, 800, null],
        ["donation", null, 1, 700, prisoner.id],
      ]),
    );
    expect(s.items).toHaveLength(3);
    expect(s.tickets).toEqual([]);
    expect(s.ledger).toEqual([]);
    expect(s.events).toEqual([]);
    expect(s.outbox).toEqual([]);
    expect(await reserved([quota, standard, solidarity])).toEqual({
      [quota]: 2,
      [standard]: 2,
      [solidarity]: 1,
    });
  });

  it("the success page shows the real state, refreshes, and never fulfils by itself", async () => {
    const path = `${new URL(placed.orderUrl).pathname}?checkout=success`;
    for (let i = 0; i < 2; i++) {
      const page = await client.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain("Waiting for payment");
      expect(page.text).toMatch(/<meta http-equiv="refresh" content="3"/i);
      expect(page.text).not.toContain('class="qr"');
      expect(page.text).toContain(PRISONER_NAME); // the earmark, shown to the buyer only
    }
    const s = await state(placed.id);
    expect(s.order!.status).toBe("pending");
    expect(s.tickets).toEqual([]);
    expect(s.ledger).toEqual([]);
    expect(s.outbox).toEqual([]);
  });

  it("fulfils on checkout.session.completed: tickets, ledger entries, one email, QR codes on the page", async () => {
    session = fake.completeSession(session.id);
    const res = await deliver("checkout.session.completed", session);
    completedEvent = res.event;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "fulfilled" });

    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "paid",
      holdExpiresAt: null,
      stripeSessionId: session.id,
      stripePaymentIntentId: session.payment_intent,
    });
    expect(s.order!.paidAt).toBeInstanceOf(Date);
    expect(s.tickets).toHaveLength(3);
    expect(s.tickets.map((t) => t.ticketTypeId).sort()).toEqual(
      [standard, standard, solidarity].sort(),
    );
    expect(
      s.tickets.every(
        (t) => t.status === "valid" && t.amountDueMinor === 0 && t.festivalId === festivalId,
      ),
    ).toBe(true);
    const key = await prisma.festivalKey.findUniqueOrThrow({ where: { festivalId } });
    for (const t of s.tickets) {
      const verdict = await verifyTicketToken(t.qrToken, key.publicKey, { festivalId });
      expect(verdict).toMatchObject({
        ok: true,
        payload: { t: t.id, y: t.ticketTypeId, f: festivalId },
      });
      expect(t.qrToken).not.toContain(email);
    }
    // The sale, and Stripe's fee from the charge's balance transaction (the fake charges 1.5% + 25).
    expect(s.ledger).toEqual([
      ...paymentLines(3800, { amountMinor: 700, prisonerId: prisoner.id }),
      ...feeLines(4500),
    ]);
    expect(await incomeOf(placed.id)).toEqual({ ticket: 3800, [`donation:${prisoner.id}`]: 700 });
    expect(s.events.map((e) => [e.id, e.type])).toEqual([
      [completedEvent.id, "checkout.session.completed"],
    ]);
    expect(s.outbox.map((o) => [o.template, o.to])).toEqual([["order-confirmation", email]]);
    // Places stay taken (reserved counts sold + held).
    expect(await reserved([quota, standard, solidarity])).toEqual({
      [quota]: 2,
      [standard]: 2,
      [solidarity]: 1,
    });

    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expect(mail.subject).toContain(placed.code);
    expect(decodeQrImages(mail).sort()).toEqual(s.tickets.map((t) => t.qrToken).sort());

    const page = await client.get(new URL(placed.orderUrl).pathname + "?checkout=success");
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/http-equiv="refresh"/i);
    expect(page.text.match(/<img class="qr" src="data:image\/png;base64,/g)).toHaveLength(3);
  });

  it("sends no prisoner or recipient data, and not the buyer's name, to Stripe", async () => {
    const creates = fake.requests.filter(
      (r) => r.method === "POST" && r.path === "/v1/checkout/sessions",
    );
    expect(creates.length).toBeGreaterThan(0);
    const secrets = [
      prisoner.id,
      prisoner.slug,
      ...[PRISONER_NAME, PRISONER_NAME_RU, BUYER_NAME].flatMap((n) => [n, ...n.split(/[ -]/)]),
    ];
    for (const r of fake.requests) {
      const seen = [
        r.rawBody,
        decodeURIComponent(r.rawBody.replace(/\+/g, " ")),
        JSON.stringify(r.body),
        r.path,
        JSON.stringify(r.query),
        JSON.stringify(r.headers),
      ].join("\n");
      for (const secret of secrets)
        expect(seen, `${r.method} ${r.path} leaks "${secret}"`).not.toContain(secret);
    }
    // Metadata carries the order id only.
    for (const r of creates) {
      expect(r.body.metadata).toEqual({ order_id: orderIdInRequest(r) });
      expect(r.body.payment_intent_data).toEqual({ metadata: { order_id: orderIdInRequest(r) } });
    }
  });

  it("applies a duplicate event once, and a later async_payment_succeeded is harmless", async () => {
    await outboxSent(placed.id, 1);
    const before = await state(placed.id);

    const again = await redeliver(completedEvent);
    expect(again).toEqual({ status: 200, body: { received: true, outcome: "duplicate" } });
    const asyncOk = await deliver("checkout.session.async_payment_succeeded", session);
    expect(asyncOk.status).toBe(200);
    expect(asyncOk.body).toEqual({ received: true, outcome: "duplicate" });

    const after = await state(placed.id);
    expect(after.order).toEqual(before.order);
    expect(after.tickets).toEqual(before.tickets);
    expect(after.ledger).toEqual(before.ledger);
    expect(after.outbox).toEqual(before.outbox);
    expect(after.events.map((e) => e.id).sort()).toEqual(
      [completedEvent.id, asyncOk.event.id].sort(),
    );
    expect(await prisma.stripeEvent.count({ where: { id: completedEvent.id } })).toBe(1);
    expect(await reserved([quota, standard, solidarity])).toEqual({
      [quota]: 2,
      [standard]: 2,
      [solidarity]: 1,
    });
    await deliverDueEmails();
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo(email)).toHaveLength(1);
  });
});

describe("webhook ordering and signatures", () => {
  let type: string;

  beforeAll(async () => {
    type = await createType({ name: "Evening", priceMinor: 1200, capacity: 20 });
  });

  it("fulfils by metadata.order_id when completed arrives before the session id was stored", async () => {
    const email = "early-webhook@example.test";
    const placed = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 1 }], email });
    const session = sessionOf(placed.id);
    await prisma.order.update({ where: { id: placed.id }, data: { stripeSessionId: null } });
    expect((await state(placed.id)).order!.stripeSessionId).toBeNull();

    const res = await deliver("checkout.session.completed", fake.completeSession(session.id));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "fulfilled" });
    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "paid",
      stripeSessionId: session.id,
      stripePaymentIntentId: fake.sessions.get(session.id)!.payment_intent,
    });
    expect(s.tickets).toHaveLength(1);
    expect(s.ledger).toEqual([...paymentLines(1200), ...feeLines(1200)]);
    expect(s.events.map((e) => e.id)).toEqual([res.event.id]);
    expect(s.outbox.map((o) => o.template)).toEqual(["order-confirmation"]);
    expect(await reserved([type])).toEqual({ [type]: 1 });
    await app.mail.waitFor((m) => recipients(m).includes(email));
  });

  it("answers 400 to a wrong secret, a tampered payload, a stale timestamp or no signature, and changes nothing", async () => {
    const email = "bad-signature@example.test";
    const placed = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 2 }], email });
    const session = fake.completeSession(sessionOf(placed.id).id);
    const event = fake.event("checkout.session.completed", session);
    const url = `${app.url}/webhooks/stripe`;
    const before = await state(placed.id);
    const countersBefore = await reserved([type]);
    const eventsBefore = await prisma.stripeEvent.count();

    const signed = fake.signedWebhook(event, WEBHOOK_SECRET);
    const tampered = signed.payload.replace(
      `"order_id": "${placed.id}"`,
      `"order_id": "${placed.id}x"`,
    );
    expect(tampered).not.toBe(signed.payload);
    const attempts = [
      await fake.deliverWebhook(url, event, "whsec_wrong_secret_0123456789"),
      await fake.deliverWebhook(url, event, WEBHOOK_SECRET, {
        payload: tampered,
        header: signed.header,
      }),
      await fake.deliverWebhook(url, event, WEBHOOK_SECRET, {
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      }),
      await fake.deliverWebhook(url, event, WEBHOOK_SECRET, { header: "" }),
      await fake.deliverWebhook(url, event, WEBHOOK_SECRET, { header: "t=123,v1=deadbeef" }),
    ];
    for (const a of attempts) {
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body)).toMatchObject({ error: "bad_signature" });
    }
    expect(await state(placed.id)).toEqual(before);
    expect(await reserved([type])).toEqual(countersBefore);
    expect(await prisma.stripeEvent.count()).toBe(eventsBefore);

    // The same event, properly signed, is then applied.
    const good = await redeliver(event);
    expect(good).toEqual({ status: 200, body: { received: true, outcome: "fulfilled" } });
    expect((await state(placed.id)).tickets).toHaveLength(2);
  });
});

describe("hold expiry", () => {
  it("checkout.session.expired releases the places", async () => {
    const quota = await createQuota(4);
    const type = await createType({
      name: "Late night",
      priceMinor: 900,
      capacity: 4,
      quotaId: quota,
    });
    const placed = await placeCardOrder({
      items: [{ ticketTypeId: type, quantity: 3 }],
      email: "expiring@example.test",
    });
    expect(await reserved([type, quota])).toEqual({ [type]: 3, [quota]: 3 });

    const res = await deliver(
      "checkout.session.expired",
      fake.expireSession(sessionOf(placed.id).id),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "released" });
    const s = await state(placed.id);
    expect(s.order).toMatchObject({ status: "expired", holdExpiresAt: null, paidAt: null });
    expect(s.order!.expiredAt).toBeInstanceOf(Date);
    expect(s.tickets).toEqual([]);
    expect(s.ledger).toEqual([]);
    expect(s.outbox).toEqual([]);
    expect(s.events.map((e) => [e.id, e.type])).toEqual([
      [res.event.id, "checkout.session.expired"],
    ]);
    expect(await reserved([type, quota])).toEqual({ [type]: 0, [quota]: 0 });

    // Sold again at once: the released places are really back.
    const door = await placeOrder({
      items: [{ ticketTypeId: type, quantity: 4 }],
      email: "door-after-expiry@example.test",
      paymentMethod: "door",
    });
    expect(door.status).toBe(201);
    expect(await reserved([type, quota])).toEqual({ [type]: 4, [quota]: 4 });
  });

  it("expireDueHolds releases a hold that ran out and expires its Stripe session", async () => {
    const type = await createType({ name: "Matinee", priceMinor: 700, capacity: 5 });
    const placed = await placeCardOrder({
      items: [{ ticketTypeId: type, quantity: 2 }],
      email: "slow-payer@example.test",
    });
    const session = sessionOf(placed.id);
    expect(await reserved([type])).toEqual({ [type]: 2 });

    // Not yet due: nothing happens.
    await expireDueHolds(new Date(Date.now() + 29 * MINUTE));
    expect((await state(placed.id)).order!.status).toBe("pending");
    expect(await reserved([type])).toEqual({ [type]: 2 });

    const mark = fake.requests.length;
    const released = await expireDueHolds(new Date(Date.now() + 31 * MINUTE));
    expect(released).toBeGreaterThanOrEqual(1);
    const s = await state(placed.id);
    expect(s.order).toMatchObject({ status: "expired", holdExpiresAt: null });
    expect(s.tickets).toEqual([]);
    expect(s.ledger).toEqual([]);
    expect(await reserved([type])).toEqual({ [type]: 0 });
    const expires = requestsSince(mark, "POST", `/v1/checkout/sessions/${session.id}/expire`);
    expect(expires.map((r) => r.status)).toEqual([200]);
    expect(fake.sessions.get(session.id)!.status).toBe("expired");

    // Stripe's own checkout.session.expired that follows is harmless.
    const res = await deliver(
      "checkout.session.expired",
      structuredClone(fake.sessions.get(session.id)!),
    );
    expect(res.body).toEqual({ received: true, outcome: "ignored" });
    expect(await reserved([type])).toEqual({ [type]: 0 });
    expect((await state(placed.id)).order!.status).toBe("expired");
  });
});

describe("payment after the hold was released", () => {
  it("refunds through Stripe (once) when the places are gone, and records it", async () => {
    const email = "too-late@example.test";
    const type = await createType({ name: "Last place", priceMinor: 2000, capacity: 1 });
    const placed = await placeCardOrder({
      items: [{ ticketTypeId: type, quantity: 1 }],
      email,
      donation: { amountMinor: 300, prisonerId: prisoner.id },
    });
    const sessionId = sessionOf(placed.id).id;
    await expireDueHolds(new Date(Date.now() + 31 * MINUTE));
    expect((await state(placed.id)).order!.status).toBe("expired");
    // Someone else buys the last place at the door.
    const door = await placeOrder({
      items: [{ ticketTypeId: type, quantity: 1 }],
      email: "door-winner@example.test",
      paymentMethod: "door",
    });
    expect(door.status).toBe(201);
    expect(await reserved([type])).toEqual({ [type]: 1 });

    // The buyer's payment slipped through anyway.
    const paid = fake.completeSession(sessionId, { force: true });
    const event = fake.event("checkout.session.completed", paid);
    const mark = fake.requests.length;

    // First delivery: the refund is made, then the app "crashes" before recording it → 500, Stripe retries.
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER test_crash_after_refund BEFORE INSERT ON StripeEvent WHEN NEW.orderId = '${placed.id}' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`,
    );
    try {
      const crashed = await redeliver(event);
      expect(crashed.status).toBe(500);
    } finally {
      await prisma.$executeRawUnsafe("DROP TRIGGER test_crash_after_refund");
    }
    const midway = await state(placed.id);
    expect(midway.order!.status).toBe("expired");
    expect(midway.ledger).toEqual([]);
    expect(midway.events).toEqual([]);

    const retried = await redeliver(event);
    expect(retried).toEqual({
      status: 200,
      body: { received: true, outcome: "refunded_late_payment" },
    });

    // One refund at Stripe for the whole amount, though it was asked for twice (same idempotency key).
    const refundCalls = requestsSince(mark, "POST", "/v1/refunds");
    expect(refundCalls).toHaveLength(2);
    expect(refundCalls.map((r) => r.headers["idempotency-key"])).toEqual([
      `late-refund-${placed.id}`,
      `late-refund-${placed.id}`,
    ]);
    const refunds = [...fake.refunds.values()].filter(
      (r) => r.payment_intent === paid.payment_intent,
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({
      amount: 2300,
      currency: "eur",
      status: "succeeded",
      metadata: { order_id: placed.id },
    });

    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "refunded",
      stripePaymentIntentId: paid.payment_intent,
      paidAt: null,
    });
    expect(s.order!.refundedAt).toBeInstanceOf(Date);
    expect(s.tickets).toEqual([]);
    // In and out again exactly: the payment, Stripe's fee (it keeps it), and the refund keyed
    // by Stripe's refund id under the categories and earmark the money came in under.
    const donation = { amountMinor: 300, prisonerId: prisoner.id };
    expect(s.ledger).toEqual([
      ...paymentLines(2000, donation),
      ...feeLines(2300),
      ...refundLines(refunds[0]!.id, 2000, donation),
    ]);
    expect(await incomeOf(placed.id)).toEqual({});
    expect(s.events.map((e) => [e.id, e.type])).toEqual([[event.id, "checkout.session.completed"]]);
    expect(s.outbox.map((o) => [o.template, o.to])).toEqual([["order-cancelled", email]]);
    expect(await reserved([type])).toEqual({ [type]: 1 });
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expect(mail.subject).toContain("was refunded");
    expect(mail.text).toContain(placed.code);

    // Later events for the same payment change nothing and refund nothing more.
    const dup = await redeliver(event);
    expect(dup.body).toEqual({ received: true, outcome: "duplicate" });
    const asyncOk = await deliver("checkout.session.async_payment_succeeded", paid);
    expect(asyncOk.body).toEqual({ received: true, outcome: "duplicate" });
    expect(requestsSince(mark, "POST", "/v1/refunds")).toHaveLength(2);
    expect(
      [...fake.refunds.values()].filter((r) => r.payment_intent === paid.payment_intent),
    ).toHaveLength(1);
    const after = await state(placed.id);
    expect(after.ledger).toEqual(s.ledger);
    expect(after.order).toEqual(s.order);
    await outboxSent(placed.id, 1);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it("honours the payment when the places are still free", async () => {
    const email = "late-but-lucky@example.test";
    const quota = await createQuota(3);
    const type = await createType({ name: "Roomy", priceMinor: 1100, capacity: 3, quotaId: quota });
    const placed = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 2 }], email });
    const sessionId = sessionOf(placed.id).id;
    await expireDueHolds(new Date(Date.now() + 31 * MINUTE));
    expect((await state(placed.id)).order!.status).toBe("expired");
    expect(await reserved([type, quota])).toEqual({ [type]: 0, [quota]: 0 });

    const refundsBefore = fake.refunds.size;
    const res = await deliver(
      "checkout.session.completed",
      fake.completeSession(sessionId, { force: true }),
    );
    expect(res.body).toEqual({ received: true, outcome: "fulfilled" });
    const s = await state(placed.id);
    expect(s.order).toMatchObject({ status: "paid", expiredAt: null, holdExpiresAt: null });
    expect(s.tickets).toHaveLength(2);
    expect(s.tickets.every((t) => t.status === "valid")).toBe(true);
    expect(s.ledger).toEqual([...paymentLines(2200), ...feeLines(2200)]);
    expect(s.outbox.map((o) => o.template)).toEqual(["order-confirmation"]);
    expect(await reserved([type, quota])).toEqual({ [type]: 2, [quota]: 2 });
    expect(fake.refunds.size).toBe(refundsBefore);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expect(decodeQrImages(mail).sort()).toEqual(s.tickets.map((t) => t.qrToken).sort());
  });
});

describe("races around a late payment", () => {
  it("two simultaneous deliveries of a late payment refund once and record it once", async () => {
    const email = "late-twice@example.test";
    const type = await createType({ name: "Very last place", priceMinor: 1600, capacity: 1 });
    const placed = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 1 }], email });
    const sessionId = sessionOf(placed.id).id;
    await expireDueHolds(new Date(Date.now() + 31 * MINUTE));
    expect(
      (
        await placeOrder({
          items: [{ ticketTypeId: type, quantity: 1 }],
          email: "door-first@example.test",
          paymentMethod: "door",
        })
      ).status,
    ).toBe(201);
    const paid = fake.completeSession(sessionId, { force: true });
    const event = fake.event("checkout.session.completed", paid);

    const results = await Promise.all([redeliver(event), redeliver(event), redeliver(event)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.filter((r) => r.body.outcome === "refunded_late_payment")).toHaveLength(1);

    expect(
      [...fake.refunds.values()].filter((r) => r.payment_intent === paid.payment_intent),
    ).toHaveLength(1);
    const s = await state(placed.id);
    expect(s.order!.status).toBe("refunded");
    expect(s.ledger).toEqual([
      ...paymentLines(1600),
      ...feeLines(1600),
      ...refundLines(refundOf(paid.payment_intent).id, 1600),
    ]);
    expect(s.outbox.map((o) => o.template)).toEqual(["order-cancelled"]);
    expect(s.events.map((e) => e.id)).toEqual([event.id]);
    expect(await reserved([type])).toEqual({ [type]: 1 });
    await outboxSent(placed.id, 1);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it("a payment for a card order the organisers cancelled while it was pending is refunded, not kept", async () => {
    const email = "cancelled-while-paying@example.test";
    const type = await createType({ name: "Cancelled pending", priceMinor: 1400, capacity: 3 });
    const placed = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 1 }], email });
    const sessionId = sessionOf(placed.id).id;
    expect(await cancelOrRefundOrder(actor, placed.id)).toBe("cancelled");
    expect(await reserved([type])).toEqual({ [type]: 0 });
    // Cancelling ends the Stripe session too, so the buyer cannot pay any more.
    expect(fake.sessions.get(sessionId)!.status).toBe("expired");

    // If a payment slipped through anyway, the money goes back.
    const paid = fake.completeSession(sessionId, { force: true });
    const res = await deliver("checkout.session.completed", paid);
    expect(res.body).toEqual({ received: true, outcome: "refunded_late_payment" });
    const refunds = [...fake.refunds.values()].filter(
      (r) => r.payment_intent === paid.payment_intent,
    );
    expect(refunds.map((r) => r.amount)).toEqual([1400]);
    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "refunded",
      stripePaymentIntentId: paid.payment_intent,
    });
    expect(s.tickets).toEqual([]);
    expect(s.ledger).toEqual([
      ...paymentLines(1400),
      ...feeLines(1400),
      ...refundLines(refunds[0]!.id, 1400),
    ]);
    expect(s.outbox.map((o) => o.template)).toEqual(["order-cancelled"]);
    expect(await reserved([type])).toEqual({ [type]: 0 });
  });
});

describe("Stripe unavailable during checkout", () => {
  for (const mode of ["503", "refuse", "hang"] as const) {
    it(`answers 503 payment_unavailable and writes nothing (${mode})`, async () => {
      const quota = await createQuota(10);
      const type = await createType({
        name: `Outage ${mode}`,
        priceMinor: 1000,
        capacity: 10,
        quotaId: quota,
      });
      const email = `outage-${mode}@example.test`;
      const ordersBefore = await prisma.order.count();
      const itemsBefore = await prisma.orderItem.count();
      const mark = fake.requests.length;
      fake.setDown(mode);
      const started = Date.now();
      let res;
      try {
        res = await placeOrder({
          items: [{ ticketTypeId: type, quantity: 2 }],
          email,
          paymentMethod: "stripe",
          donation: { amountMinor: 500, prisonerId: prisoner.id },
        });
      } finally {
        fake.setDown(false);
      }
      expect(res.status).toBe(503);
      // An unresponsive Stripe costs the buyer two timeouts (one retry), not a hung request.
      if (mode === "hang") expect(Date.now() - started).toBeLessThan(2 * STRIPE_TIMEOUT_MS + 3000);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.headers.get("retry-after")).toBe("30");
      expect(res.json()).toEqual({
        error: "payment_unavailable",
        message:
          "Card payment is unavailable right now. Please try again in a moment or choose another payment method.",
      });
      const tried = requestsSince(mark, "POST", "/v1/checkout/sessions");
      expect(tried.length).toBeGreaterThanOrEqual(1);
      const triedOrderId = orderIdInRequest(tried[0]!);
      expect(triedOrderId).not.toBe("");
      expect(tried.every((r) => r.headers["idempotency-key"] === `checkout-${triedOrderId}`)).toBe(
        true,
      );
      expect(await prisma.order.findUnique({ where: { id: triedOrderId } })).toBeNull();
      expect(await prisma.orderItem.count({ where: { orderId: triedOrderId } })).toBe(0);
      expect(await prisma.order.count()).toBe(ordersBefore);
      expect(await prisma.orderItem.count()).toBe(itemsBefore);
      expect(await prisma.order.count({ where: { email } })).toBe(0);
      expect(await reserved([type, quota])).toEqual({ [type]: 0, [quota]: 0 });

      // Back up: the same places can be bought.
      const ok = await placeCardOrder({ items: [{ ticketTypeId: type, quantity: 2 }], email });
      expect(await reserved([type, quota])).toEqual({ [type]: 2, [quota]: 2 });
      // Leave nothing pending for later cases.
      await deliver("checkout.session.expired", fake.expireSession(sessionOf(ok.id).id));
      expect(await reserved([type, quota])).toEqual({ [type]: 0, [quota]: 0 });
    });
  }
});

describe("organiser refund", () => {
  it("refunds a paid card order through Stripe, revokes its tickets and releases the places", async () => {
    const email = "refund-me@example.test";
    const quota = await createQuota(6);
    const type = await createType({
      name: "Refundable",
      priceMinor: 1300,
      capacity: 6,
      quotaId: quota,
    });
    const placed = await placeCardOrder({
      items: [{ ticketTypeId: type, quantity: 2 }],
      email,
      donation: { amountMinor: 400, prisonerId: prisoner.id },
    });
    const paid = fake.completeSession(sessionOf(placed.id).id);
    expect((await deliver("checkout.session.completed", paid)).body).toMatchObject({
      outcome: "fulfilled",
    });
    await app.mail.waitFor((m) => recipients(m).includes(email));
    expect(await reserved([type, quota])).toEqual({ [type]: 2, [quota]: 2 });

    const mark = fake.requests.length;
    expect(await cancelOrRefundOrder(actor, placed.id)).toBe("refunded");

    const calls = requestsSince(mark, "POST", "/v1/refunds");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers["idempotency-key"]).toBe(`refund-${placed.id}`);
    const refunds = [...fake.refunds.values()].filter(
      (r) => r.payment_intent === paid.payment_intent,
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount: 3000, currency: "eur", status: "succeeded" });

    const s = await state(placed.id);
    expect(s.order).toMatchObject({
      status: "refunded",
      stripePaymentIntentId: paid.payment_intent,
    });
    expect(s.order!.refundedAt).toBeInstanceOf(Date);
    expect(s.tickets).toHaveLength(2);
    expect(s.tickets.every((t) => t.status === "revoked" && t.revokedAt instanceof Date)).toBe(
      true,
    );
    // Stripe keeps its fee on a refunded charge: the fee stays a cost. The refund is keyed
    // by Stripe's refund id and keeps the donation's earmark.
    const donation = { amountMinor: 400, prisonerId: prisoner.id };
    expect(s.ledger).toEqual([
      ...paymentLines(2600, donation),
      ...feeLines(3000),
      ...refundLines(refunds[0]!.id, 2600, donation),
    ]);
    expect(await incomeOf(placed.id)).toEqual({});
    expect(s.outbox.map((o) => o.template)).toEqual(["order-confirmation", "order-cancelled"]);
    expect(await reserved([type, quota])).toEqual({ [type]: 0, [quota]: 0 });
    expect(
      await prisma.auditEvent.count({
        where: { action: "order.refund", targetId: placed.id, actorUserId: actor.id },
      }),
    ).toBe(1);

    await outboxSent(placed.id, 2);
    const mails = mailsTo(email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toContain("was refunded");

    // The order page shows the revoked tickets without QR codes.
    const page = await client.get(new URL(placed.orderUrl).pathname);
    expect(page.text).toContain("Refunded");
    expect(page.text).not.toContain('class="qr"');

    // A second refund is refused and asks Stripe for nothing.
    const again = await cancelOrRefundOrder(actor, placed.id).then(
      () => null,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(DomainError);
    expect((again as DomainError).status).toBe(409);
    expect(requestsSince(mark, "POST", "/v1/refunds")).toHaveLength(1);
  });
});

describe("idempotency keys", () => {
  it("are sent on every create call to Stripe", async () => {
    const creates = fake.requests.filter(
      (r) =>
        r.method === "POST" && (r.path === "/v1/checkout/sessions" || r.path === "/v1/refunds"),
    );
    expect(creates.filter((r) => r.path === "/v1/checkout/sessions").length).toBeGreaterThanOrEqual(
      8,
    );
    expect(creates.filter((r) => r.path === "/v1/refunds").length).toBeGreaterThanOrEqual(3);
    for (const r of creates) {
      const key = r.headers["idempotency-key"];
      const orderId = orderIdInRequest(r);
      expect(orderId, `${r.path} without metadata.order_id`).not.toBe("");
      if (r.path === "/v1/checkout/sessions") expect(key).toBe(`checkout-${orderId}`);
      else expect([`refund-${orderId}`, `late-refund-${orderId}`]).toContain(key);
    }
    // Every other POST (session expiry) carries one too.
    for (const r of fake.requests.filter((x) => x.method === "POST"))
      expect(r.headers["idempotency-key"], `${r.method} ${r.path}`).toBeTruthy();
  });
});
