// Card money made in Stripe, end to end: the real build talks to the Stripe
// fake through the real SDK; refunds made in Stripe's dashboard, disputes, a
// payment Stripe settled in another currency and a session whose amount is not
// the order's all arrive as signed webhooks, and each case checks the order's
// exact ledger postings, the order as organisers see it, and that replaying or
// reordering the events posts nothing more.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelOrRefundOrder } from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { festivalBody, signedInAdmin } from "../helpers/fixtures";
import { incomeOf, ledgerOf, type LedgerLine } from "../helpers/ledger";
import {
  startStripeFake,
  type FakeEvent,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_solidarity_money_0123456789abcdef";

let fake: StripeFake;
let app: TestApp;
let client: Client;
let browser: Client;
let token: string;
let actor: CurrentUser;
let festivalId: string;
let prisonerId: string;

type OrderJson = { id: string; code: string; totalMinor: number };

async function post<T>(path: string, body: unknown) {
  const res = await client.api("POST", path, body, token);
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`${path}: ${res.status} ${res.text}`);
  return res.json<T>();
}

async function createType(priceMinor: number, capacity = 10) {
  return (
    await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
      name: `Type ${priceMinor}-${Math.random()}`,
      priceMinor,
      capacity,
    })
  ).id;
}

async function deliver(event: FakeEvent) {
  const res = await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);
  expect(res.status, res.body).toBe(200);
  return (JSON.parse(res.body) as { outcome: string }).outcome;
}

function sessionIdOf(orderId: string) {
  return [...fake.sessions.values()].find((s) => s.metadata.order_id === orderId)!.id;
}

/** A card order placed by a buyer; `pay` completes it at Stripe and delivers the webhook. */
async function placeCard(type: string, quantity: number, donation?: number) {
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId: type, quantity }],
    email: `buyer-${Math.random()}@example.test`,
    paymentMethod: "stripe",
    ...(donation ? { donation: { amountMinor: donation, prisonerId } } : {}),
  });
  expect(res.status, res.text).toBe(201);
  return res.json<OrderJson>();
}

async function placePaid(type: string, quantity: number, donation?: number) {
  const placed = await placeCard(type, quantity, donation);
  const session = fake.completeSession(sessionIdOf(placed.id));
  expect(await deliver(fake.event("checkout.session.completed", session))).toBe("fulfilled");
  return { placed, pi: session.payment_intent! };
}

const feeOf = (gross: number) => Math.round(gross * 0.015) + 25;

function line(
  entry: string,
  kind: string,
  account: string,
  amountMinor: number,
  extra: { category?: string; prisoner?: boolean; currency?: string } = {},
): LedgerLine {
  return {
    entry,
    kind,
    account,
    category: extra.category ?? null,
    prisonerId: extra.prisoner ? prisonerId : null,
    holder: null,
    currency: extra.currency ?? "EUR",
    amountMinor,
  };
}

function paymentLines(tickets: number, donation = 0): LedgerLine[] {
  return [
    line("payment", "payment", "stripe_balance", tickets + donation),
    line("payment", "payment", "income", -tickets, { category: "ticket" }),
    ...(donation
      ? [
          line("payment", "payment", "income", -donation, { category: "donation", prisoner: true }),
          // Earmarked: in the prisoner's fund as soon as it is paid (decision 0033).
          line("payment", "payment", "allocated", donation, { prisoner: true }),
          line("payment", "payment", "fund", -donation, { prisoner: true }),
        ]
      : []),
  ];
}

function feeLines(entry: string, fee: number, currency = "EUR"): LedgerLine[] {
  return [
    line(entry, "processing_fee", "processing_fees", fee, { currency }),
    line(entry, "processing_fee", "stripe_balance", -fee, { currency }),
  ];
}

function outLines(
  entry: string,
  kind: string,
  code: "refunds" | "chargebacks",
  from: string,
  tickets: number,
  donation = 0,
): LedgerLine[] {
  return [
    ...(tickets ? [line(entry, kind, code, tickets, { category: "ticket" })] : []),
    ...(donation
      ? [line(entry, kind, code, donation, { category: "donation", prisoner: true })]
      : []),
    line(entry, kind, from, -(tickets + donation)),
    // The earmark given back leaves the prisoner's fund (which holds it: nothing was paid out).
    ...(donation
      ? [
          line(entry, kind, "allocated", -donation, { prisoner: true }),
          line(entry, kind, "fund", donation, { prisoner: true }),
        ]
      : []),
  ];
}

async function apiOrder(orderId: string) {
  const res = await client.api("GET", `/api/v1/orders/${orderId}`, undefined, token);
  expect(res.status).toBe(200);
  return res.json<{
    status: string;
    refundedMinor: number;
    chargedBackMinor: number;
    disputeStatus: string | null;
    paymentProblems: Record<string, unknown>[];
  }>();
}

async function adminPage(orderId: string) {
  const res = await browser.get(`/admin/festivals/${festivalId}/orders/${orderId}`);
  expect(res.status).toBe(200);
  return res.text;
}

async function reserved(type: string) {
  return (await prisma.ticketType.findUniqueOrThrow({ where: { id: type } })).reserved;
}

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    RATE_LIMIT_PER_MINUTE: "0",
  });
  client = new Client(app.url);
  const admin = await signedInAdmin(app.url, "Money Admin");
  token = admin.token;
  browser = admin.browser;
  actor = {
    id: admin.user.id,
    email: admin.user.email,
    name: admin.user.name,
    role: "admin",
    locale: null,
    memberships: [],
  };
  festivalId = (
    await post<{ id: string }>("/api/v1/festivals", festivalBody({ paymentMethods: ["stripe"] }))
  ).id;
  await post(`/api/v1/festivals/${festivalId}/publish`, undefined);
  const prisoner = await prisma.prisoner.create({
    data: {
      slug: "money-prisoner",
      name: JSON.stringify({ en: "Money Prisoner" }),
      summary: "{}",
    },
  });
  prisonerId = prisoner.id;
  await prisma.festivalPrisoner.create({ data: { festivalId, prisonerId } });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("an amount below Stripe's smallest card charge", () => {
  it("is refused with a 422 on the payment method, and nothing is held or written", async () => {
    const type = await createType(30);
    const before = {
      orders: await prisma.order.count(),
      reserved: (await prisma.ticketType.findUniqueOrThrow({ where: { id: type } })).reserved,
    };
    const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: type, quantity: 1 }],
      email: "small-card@example.test",
      paymentMethod: "stripe",
    });
    expect(res.status, res.text).toBe(422);
    expect(res.json()).toMatchObject({
      error: "validation_failed",
      fields: { paymentMethod: expect.stringContaining("smallest card payment") },
    });
    expect(await prisma.order.count()).toBe(before.orders);
    expect((await prisma.ticketType.findUniqueOrThrow({ where: { id: type } })).reserved).toBe(
      before.reserved,
    );
  });
});

describe("the webhook checks amount and currency", () => {
  it("a signed checkout.session.completed with amount_total 1 usd for a €23 order fulfils nothing", async () => {
    const type = await createType(1800);
    const placed = await placeCard(type, 1, 500);
    expect(placed.totalMinor).toBe(2300);
    // What Stripe charged is not what the order asked for (a session tampered with).
    const sessionId = sessionIdOf(placed.id);
    Object.assign(fake.sessions.get(sessionId)!, { amount_total: 1, currency: "usd" });
    const session = fake.completeSession(sessionId);
    const event = fake.event("checkout.session.completed", session);
    expect(await deliver(event)).toBe("payment_mismatch");

    const order = await prisma.order.findUniqueOrThrow({ where: { id: placed.id } });
    expect(order).toMatchObject({ status: "pending", paidAt: null, stripePaymentIntentId: null });
    expect(await prisma.ticket.count({ where: { orderId: placed.id } })).toBe(0);
    expect(
      await prisma.outboxEmail.count({
        where: { payload: JSON.stringify({ orderId: placed.id }) },
      }),
    ).toBe(0);
    expect(await reserved(type)).toBe(1); // still only held, until the hold ends
    expect(await incomeOf(placed.id)).toEqual({});
    // The cent that did arrive is booked exactly, as owed back, with Stripe's fee on it.
    const unmatched = [
      line(session.payment_intent!, "unmatched_payment", "stripe_balance", 1, { currency: "USD" }),
      line(session.payment_intent!, "unmatched_payment", "unmatched_payments", -1, {
        currency: "USD",
      }),
      ...feeLines("fee", feeOf(1), "USD"),
    ];
    expect(await ledgerOf(placed.id)).toEqual(unmatched);

    const problems = await prisma.paymentProblem.findMany({ where: { orderId: placed.id } });
    expect(problems).toEqual([
      {
        id: expect.any(String),
        festivalId,
        orderId: placed.id,
        stripeEventId: event.id,
        stripePaymentIntentId: session.payment_intent,
        kind: "amount_mismatch",
        expectedMinor: 2300,
        expectedCurrency: "EUR",
        receivedMinor: 1,
        receivedCurrency: "USD",
        createdAt: expect.any(Date),
      },
    ]);
    const api = await apiOrder(placed.id);
    expect(api.status).toBe("pending");
    expect(api.paymentProblems).toEqual([
      {
        kind: "amount_mismatch",
        stripeEventId: event.id,
        expectedMinor: 2300,
        expectedCurrency: "EUR",
        receivedMinor: 1,
        receivedCurrency: "USD",
        createdAt: expect.any(String),
      },
    ]);
    const page = await adminPage(placed.id);
    expect(page).toContain("Payment problems");
    expect(page).toMatch(/Stripe reported a payment of \$0\.01, but the order is for €23\.00/);

    // Replayed, or sent again as async_payment_succeeded: still nothing fulfilled, nothing more booked.
    expect(await deliver(event)).toBe("duplicate");
    expect(await deliver(fake.event("checkout.session.async_payment_succeeded", session))).toBe(
      "payment_mismatch",
    );
    expect(await ledgerOf(placed.id)).toEqual(unmatched);
    expect(await prisma.ticket.count({ where: { orderId: placed.id } })).toBe(0);

    // Refunded in Stripe's dashboard: what was owed back leaves again.
    const refund = fake.dashboardRefund(session.payment_intent!);
    expect(await deliver(fake.chargeRefundedEvent(session.payment_intent!))).toBe(
      "partially_refunded",
    );
    expect(await ledgerOf(placed.id)).toEqual([
      ...unmatched,
      line(refund.id, "refund", "unmatched_payments", 1, { currency: "USD" }),
      line(refund.id, "refund", "stripe_balance", -1, { currency: "USD" }),
    ]);
  });
});

describe("refunds made in Stripe's dashboard", () => {
  it("a full dashboard refund refunds the order: tickets revoked, places released, posted once", async () => {
    const type = await createType(1300);
    const { placed, pi } = await placePaid(type, 2, 400);
    expect(await reserved(type)).toBe(2);
    const refund = fake.dashboardRefund(pi);
    const event = fake.chargeRefundedEvent(pi);
    expect(await deliver(event)).toBe("refunded");

    const order = await prisma.order.findUniqueOrThrow({ where: { id: placed.id } });
    expect(order.status).toBe("refunded");
    expect(order.refundedAt).toBeInstanceOf(Date);
    const tickets = await prisma.ticket.findMany({ where: { orderId: placed.id } });
    expect(tickets.map((t) => t.status)).toEqual(["revoked", "revoked"]);
    expect(await reserved(type)).toBe(0);
    const booked = [
      ...paymentLines(2600, 400),
      ...feeLines("fee", feeOf(3000)),
      ...outLines(refund.id, "refund", "refunds", "stripe_balance", 2600, 400),
    ];
    expect(await ledgerOf(placed.id)).toEqual(booked);
    expect(await incomeOf(placed.id)).toEqual({});
    expect((await apiOrder(placed.id)).refundedMinor).toBe(3000);
    expect(await adminPage(placed.id)).toContain("Refunded to the card: €30.00");

    // The same event again, and a second charge.refunded for the same refund: nothing more.
    expect(await deliver(event)).toBe("duplicate");
    expect(await deliver(fake.chargeRefundedEvent(pi))).toBe("duplicate");
    expect(await ledgerOf(placed.id)).toEqual(booked);
    expect(await reserved(type)).toBe(0);
  });

  it("a partial dashboard refund keeps the earmark: tickets first, the prisoner's donation last", async () => {
    const type = await createType(2000);
    const { placed, pi } = await placePaid(type, 1, 1000);
    const first = fake.dashboardRefund(pi, 2500);
    expect(await deliver(fake.chargeRefundedEvent(pi))).toBe("partially_refunded");
    const order = await prisma.order.findUniqueOrThrow({ where: { id: placed.id } });
    expect(order.status).toBe("paid");
    expect(
      (await prisma.ticket.findMany({ where: { orderId: placed.id } })).map((t) => t.status),
    ).toEqual(["valid"]);
    expect(await reserved(type)).toBe(1);
    expect(await incomeOf(placed.id)).toEqual({ [`donation:${prisonerId}`]: 500 });
    expect(await ledgerOf(placed.id)).toEqual([
      ...paymentLines(2000, 1000),
      ...feeLines("fee", feeOf(3000)),
      ...outLines(first.id, "refund", "refunds", "stripe_balance", 2000, 500),
    ]);
    expect(await apiOrder(placed.id)).toMatchObject({ status: "paid", refundedMinor: 2500 });
    expect(await adminPage(placed.id)).toContain("Refunded to the card: €25.00");

    // The rest, refunded later, ends the order.
    const second = fake.dashboardRefund(pi);
    expect(second.amount).toBe(500);
    expect(await deliver(fake.chargeRefundedEvent(pi))).toBe("refunded");
    expect(await ledgerOf(placed.id)).toEqual([
      ...paymentLines(2000, 1000),
      ...feeLines("fee", feeOf(3000)),
      ...outLines(first.id, "refund", "refunds", "stripe_balance", 2000, 500),
      ...outLines(second.id, "refund", "refunds", "stripe_balance", 0, 500),
    ]);
    expect(await apiOrder(placed.id)).toMatchObject({ status: "refunded", refundedMinor: 3000 });
    expect(await reserved(type)).toBe(0);
  });
});

describe("disputes", () => {
  it("a dispute won: the money is held back with Stripe's fee, then reinstated", async () => {
    const type = await createType(2300);
    const { placed, pi } = await placePaid(type, 1);
    const dispute = fake.openDispute(pi, { fee: 1500 });
    expect(await deliver(fake.disputeEvent("charge.dispute.created", dispute.id))).toBe(
      "dispute_opened",
    );
    const opened = [
      line("opened", "dispute_opened", "stripe_disputed", 2300),
      line("opened", "dispute_opened", "stripe_balance", -2300),
      ...feeLines("fee", 1500),
    ];
    const sale = [...paymentLines(2300), ...feeLines("fee", feeOf(2300))];
    expect(await ledgerOf(placed.id)).toEqual([...sale, ...opened]);
    expect(await apiOrder(placed.id)).toMatchObject({ status: "paid", disputeStatus: "open" });
    expect(await adminPage(placed.id)).toContain("Dispute: open");

    fake.closeDispute(dispute.id, "won");
    expect(await deliver(fake.disputeEvent("charge.dispute.closed", dispute.id))).toBe(
      "dispute_won",
    );
    expect(await ledgerOf(placed.id)).toEqual([
      ...sale,
      ...opened,
      line("won", "dispute_won", "stripe_balance", 2300),
      line("won", "dispute_won", "stripe_disputed", -2300),
    ]);
    expect(await incomeOf(placed.id)).toEqual({ ticket: 2300 });
    expect(await apiOrder(placed.id)).toMatchObject({
      status: "paid",
      disputeStatus: "won",
      chargedBackMinor: 0,
    });
    expect(await adminPage(placed.id)).toContain("Dispute: won");
  });

  it("a dispute lost: chargebacks under the order's categories and earmark, out of the disputed money", async () => {
    const type = await createType(1500);
    const { placed, pi } = await placePaid(type, 1, 800);
    const dispute = fake.openDispute(pi, { fee: 1500 });
    expect(await deliver(fake.disputeEvent("charge.dispute.created", dispute.id))).toBe(
      "dispute_opened",
    );
    fake.closeDispute(dispute.id, "lost");
    expect(await deliver(fake.disputeEvent("charge.dispute.closed", dispute.id))).toBe(
      "dispute_lost",
    );
    expect(await ledgerOf(placed.id)).toEqual([
      ...paymentLines(1500, 800),
      ...feeLines("fee", feeOf(2300)),
      line("opened", "dispute_opened", "stripe_disputed", 2300),
      line("opened", "dispute_opened", "stripe_balance", -2300),
      ...feeLines("fee", 1500),
      ...outLines("lost", "dispute_lost", "chargebacks", "stripe_disputed", 1500, 800),
    ]);
    expect(await incomeOf(placed.id)).toEqual({});
    expect(await apiOrder(placed.id)).toMatchObject({
      disputeStatus: "lost",
      chargedBackMinor: 2300,
      refundedMinor: 0,
    });
    const page = await adminPage(placed.id);
    expect(page).toContain("Dispute: lost");
    expect(page).toContain("Taken back by the card holder&#x27;s bank: €23.00");
    // Nothing is left to refund: the page offers no refund, and the API refuses one.
    expect(page).not.toContain("Refund the order");
    const refused = await fetch(`${app.url}/api/v1/orders/${placed.id}/refund`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Origin: app.url },
    });
    expect(refused.status).toBe(409);
    expect(await incomeOf(placed.id)).toEqual({});
  });
});

describe("duplicated and reordered webhooks", () => {
  it("duplicated and reordered webhooks post once", async () => {
    // A dispute whose "closed" arrives before its "created", each twice.
    const type = await createType(1000);
    const { placed, pi } = await placePaid(type, 1);
    const dispute = fake.openDispute(pi, { fee: 0 });
    const created = fake.disputeEvent("charge.dispute.created", dispute.id);
    fake.closeDispute(dispute.id, "lost");
    const closed = fake.disputeEvent("charge.dispute.closed", dispute.id);
    expect(await deliver(closed)).toBe("dispute_lost");
    expect(await deliver(created)).toBe("dispute_opened");
    expect(await deliver(closed)).toBe("duplicate");
    expect(await deliver(created)).toBe("duplicate");
    expect(await deliver(fake.disputeEvent("charge.dispute.closed", dispute.id))).toBe(
      "dispute_lost",
    );
    expect(await ledgerOf(placed.id)).toEqual([
      ...paymentLines(1000),
      ...feeLines("fee", feeOf(1000)),
      line("opened", "dispute_opened", "stripe_disputed", 1000),
      line("opened", "dispute_opened", "stripe_balance", -1000),
      ...outLines("lost", "dispute_lost", "chargebacks", "stripe_disputed", 1000),
    ]);
    // A late "created" does not reopen the decided dispute.
    expect((await apiOrder(placed.id)).disputeStatus).toBe("lost");

    // Our own refund, then its charge.refunded (twice) and a replayed checkout.session.completed.
    const otherType = await createType(1000);
    const other = await placePaid(otherType, 2);
    expect(await cancelOrRefundOrder(actor, other.placed.id)).toBe("refunded");
    const refund = [...fake.refunds.values()].find((r) => r.payment_intent === other.pi)!;
    const booked = [
      ...paymentLines(2000),
      ...feeLines("fee", feeOf(2000)),
      ...outLines(refund.id, "refund", "refunds", "stripe_balance", 2000),
    ];
    expect(await ledgerOf(other.placed.id)).toEqual(booked);
    expect(await deliver(fake.chargeRefundedEvent(other.pi))).toBe("duplicate");
    expect(await deliver(fake.chargeRefundedEvent(other.pi))).toBe("duplicate");
    const session = fake.sessions.get(sessionIdOf(other.placed.id))!;
    expect(await deliver(fake.event("checkout.session.completed", session))).toBe("duplicate");
    expect(await ledgerOf(other.placed.id)).toEqual(booked);
    expect(await reserved(otherType)).toBe(0);
    // The disputed order keeps its place (a lost dispute takes the money, not the tickets).
    expect(await reserved(type)).toBe(1);
  });
});

describe("a payment settled in another currency", () => {
  it("FX settlement posts a separate currency_exchange entry, and the fee in the settlement currency", async () => {
    fake.setSettlement({ currency: "usd", exchangeRate: 1.1 });
    let paid;
    const type = await createType(2000);
    try {
      paid = await placePaid(type, 1);
    } finally {
      fake.setSettlement(null);
    }
    const { placed, pi } = paid;
    const fx = [
      line("fx", "currency_exchange", "stripe_balance", -2000),
      line("fx", "currency_exchange", "currency_exchange", 2000),
      line("fx", "currency_exchange", "stripe_balance", 2200, { currency: "USD" }),
      line("fx", "currency_exchange", "currency_exchange", -2200, { currency: "USD" }),
    ];
    const sale = [...paymentLines(2000), ...fx, ...feeLines("fee", feeOf(2200), "USD")];
    expect(await ledgerOf(placed.id)).toEqual(sale);
    expect(await incomeOf(placed.id)).toEqual({ ticket: 2000 });

    // A partial refund comes out of the dollars Stripe holds, converted back explicitly.
    const refund = fake.dashboardRefund(pi, 1000);
    expect(await deliver(fake.chargeRefundedEvent(pi))).toBe("partially_refunded");
    expect(await ledgerOf(placed.id)).toEqual([
      ...sale,
      ...outLines(refund.id, "refund", "refunds", "stripe_balance", 1000),
      line("fx", "currency_exchange", "stripe_balance", -1100, { currency: "USD" }),
      line("fx", "currency_exchange", "currency_exchange", 1100, { currency: "USD" }),
      line("fx", "currency_exchange", "stripe_balance", 1000),
      line("fx", "currency_exchange", "currency_exchange", -1000),
    ]);
    expect(await incomeOf(placed.id)).toEqual({ ticket: 1000 });

    // The organisers refund the rest: the same path, keyed by Stripe's refund id.
    expect(await cancelOrRefundOrder(actor, placed.id)).toBe("refunded");
    expect(await incomeOf(placed.id)).toEqual({});
    expect(await deliver(fake.chargeRefundedEvent(pi))).toBe("duplicate");
  });
});
