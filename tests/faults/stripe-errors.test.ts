// Stripe errors and timeouts at each call the checkout and refunds make (issue
// 12). The production build runs in its own process and talks to the
// Stripe-compatible fake through the real SDK (one retry, a short timeout);
// the fake fails just one kind of request at a time (`failRequests`): a 503, a
// 429, a reset connection, no answer at all, or an answer lost after Stripe
// acted. Each time the buyer or organiser gets a clear status, holds are
// released, and nothing is half-written; where Stripe did act, a retry with the
// same idempotency key finishes the job once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireDueHolds } from "~/models/payment.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import { apiToken, createUserRow, doorFestival, uniqueEmail } from "../helpers/fixtures";
import { assertLedgerBalanced } from "../helpers/ledger";
import {
  startStripeFake,
  stripeTestEnv,
  type RequestFault,
  type StripeFake,
} from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_stripe_errors_0123456789abcdef";
const TIMEOUT_MS = 500;

let fake: StripeFake;
let testEnv: ReturnType<typeof freshTestEnv>;
let app: AppProcess;
let client: Client;
let token: string;
let festival: { id: string; typeId: string };

beforeAll(async () => {
  fake = await startStripeFake();
  // The test process calls the hold-expiry pass itself: it needs Stripe's settings too.
  testEnv = freshTestEnv({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    STRIPE_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  app = await spawnApp({ env: { RATE_LIMIT_PER_MINUTE: "0" } });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, token, { priceMinor: 1500, paymentMethods: ["stripe"] });
});

afterAll(async () => {
  await app?.kill();
  await fake?.close();
  await assertLedgerBalanced(testEnv.databaseUrl);
});

const TABLES = ["Order", "OrderItem", "Ticket", "LedgerEntry", "OutboxEmail", "AuditEvent"];

/** Row counts of everything a checkout or refund writes, and the ticket type's held places. */
async function snapshot() {
  const counts: Record<string, number> = {};
  for (const t of TABLES)
    counts[t] = Number((await sqlClient().execute(`SELECT COUNT(*) AS n FROM "${t}"`)).rows[0]!.n);
  const type = await prisma.ticketType.findUniqueOrThrow({ where: { id: festival.typeId } });
  return { counts, reserved: type.reserved };
}

function withFault<T>(fault: RequestFault, act: () => Promise<T>): Promise<T> {
  fake.failRequests(fault);
  return act().finally(() => fake.clearFaults());
}

function checkout(email: string, headers: Record<string, string> = {}) {
  return client.api(
    "POST",
    `/api/v1/festivals/${festival.id}/orders`,
    { items: [{ ticketTypeId: festival.typeId, quantity: 2 }], email, paymentMethod: "stripe" },
    undefined,
    headers,
  );
}

const sessionsOf = (orderId: string) =>
  [...fake.sessions.values()].filter((s) => s.metadata.order_id === orderId);

function expectUnavailable(res: { status: number; headers: Headers; text: string }) {
  expect(res.status, res.text).toBe(503);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(JSON.parse(res.text)).toMatchObject({ error: "payment_unavailable" });
}

/** A card order paid and fulfilled through its webhook. */
async function paidOrder() {
  const res = await checkout(uniqueEmail("refund"));
  expect(res.status, res.text).toBe(201);
  const orderId = res.json<{ id: string }>().id;
  const paid = fake.completeSession(sessionsOf(orderId)[0]!.id);
  const event = fake.event("checkout.session.completed", paid);
  const delivered = await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);
  expect(delivered.status, delivered.body).toBe(200);
  return { orderId, paymentIntent: paid.payment_intent! };
}

const refund = (orderId: string) =>
  client.api("POST", `/api/v1/orders/${orderId}/refund`, undefined, token);

const refundsAtStripe = (paymentIntent: string) =>
  [...fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);

describe("checkout: opening the Checkout Session fails", () => {
  const create = { method: "POST", path: "/v1/checkout/sessions" } as const;
  for (const mode of ["503", "429", "refuse", "hang", "lost"] as const) {
    it(`${mode}: 503 payment_unavailable, the hold released, nothing written`, async () => {
      const before = await snapshot();
      const email = uniqueEmail(`checkout-${mode}`);
      const started = Date.now();
      const res = await withFault({ ...create, mode }, () => checkout(email));
      expectUnavailable(res);
      expect(res.headers.get("retry-after")).toBe("30");
      // Two attempts (the SDK retries once) of at most the timeout each: no hung buyer.
      expect(Date.now() - started).toBeLessThan(4 * TIMEOUT_MS + 4000);
      expect(await snapshot()).toEqual(before);
      expect(await prisma.order.count({ where: { email } })).toBe(0);
    });
  }

  for (const mode of ["503", "lost"] as const) {
    it(`${mode} once: the SDK's retry (same Idempotency-Key) opens one session`, async () => {
      const res = await withFault({ ...create, mode, times: 1 }, () =>
        checkout(uniqueEmail(`once-${mode}`)),
      );
      expect(res.status, res.text).toBe(201);
      const orderId = res.json<{ id: string }>().id;
      expect(sessionsOf(orderId)).toHaveLength(1);
      const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(order).toMatchObject({
        status: "pending",
        stripeSessionId: sessionsOf(orderId)[0]!.id,
      });
      fake.expireSession(order.stripeSessionId!);
      await expireDueHolds(new Date(Date.now() + 31 * 60_000));
    });
  }

  it("a repeated checkout whose session cannot be read: 503, the first order and its hold kept", async () => {
    const email = uniqueEmail("replay");
    const key = "stripe-errors-replay";
    const first = await checkout(email, { "Idempotency-Key": key });
    expect(first.status, first.text).toBe(201);
    const placed = first.json<{ id: string; checkoutUrl: string }>();
    const before = await snapshot();
    const again = await withFault(
      { method: "GET", path: /^\/v1\/checkout\/sessions\//, mode: "hang" },
      () => checkout(email, { "Idempotency-Key": key }),
    );
    expectUnavailable(again);
    expect(await snapshot()).toEqual(before);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: placed.id } })).status).toBe(
      "pending",
    );
    const later = await checkout(email, { "Idempotency-Key": key });
    expect(later.json()).toMatchObject({ id: placed.id, checkoutUrl: placed.checkoutUrl });
    await expireDueHolds(new Date(Date.now() + 31 * 60_000));
  });
});

describe("after the checkout", () => {
  it("the webhook cannot learn Stripe's settlement: fulfilled all the same, the fee unbooked, books balanced", async () => {
    const res = await checkout(uniqueEmail("settlement"));
    const orderId = res.json<{ id: string }>().id;
    const paid = fake.completeSession(sessionsOf(orderId)[0]!.id);
    const event = fake.event("checkout.session.completed", paid);
    const delivered = await withFault(
      { method: "GET", path: /^\/v1\/payment_intents\//, mode: "503" },
      () => fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET),
    );
    expect(delivered.status, delivered.body).toBe(200);
    expect(JSON.parse(delivered.body)).toMatchObject({ outcome: "fulfilled" });
    expect((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe("paid");
    expect(await prisma.ticket.count({ where: { orderId, status: "valid" } })).toBe(2);
    const entries = await prisma.ledgerEntry.findMany({ where: { orderId } });
    expect(entries.map((e) => e.id)).toEqual([`order:${orderId}:payment`]);
    await assertLedgerBalanced(testEnv.databaseUrl);
  });

  it("the hold runs out and Stripe cannot expire the session: the places are released anyway", async () => {
    const res = await checkout(uniqueEmail("expire"));
    const orderId = res.json<{ id: string }>().id;
    const released = await withFault(
      { method: "POST", path: /^\/v1\/checkout\/sessions\/[^/]+\/expire$/, mode: "hang" },
      () => expireDueHolds(new Date(Date.now() + 31 * 60_000)),
    );
    expect(released).toBeGreaterThanOrEqual(1);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe(
      "expired",
    );
    expect((await snapshot()).reserved).toBe(await heldByPaidOrders());
  });
});

/** Places held by the paid orders of this file (everything else has been released). */
async function heldByPaidOrders() {
  const items = await prisma.orderItem.findMany({
    where: { ticketTypeId: festival.typeId, order: { status: "paid" } },
  });
  return items.reduce((n, i) => n + i.quantity, 0);
}

describe("refunds: Stripe's refund call fails", () => {
  for (const mode of ["503", "429", "refuse", "hang"] as const) {
    it(`${mode}: 503, the order still paid, nothing written, no refund at Stripe`, async () => {
      const { orderId, paymentIntent } = await paidOrder();
      const before = await snapshot();
      const res = await withFault({ method: "POST", path: "/v1/refunds", mode }, () =>
        refund(orderId),
      );
      expectUnavailable(res);
      expect(await snapshot()).toEqual(before);
      expect((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe(
        "paid",
      );
      expect(await prisma.ticket.count({ where: { orderId, status: "valid" } })).toBe(2);
      expect(refundsAtStripe(paymentIntent)).toHaveLength(0);
    });
  }

  it("lost (Stripe refunded, the answer never came): 503; the retry refunds once and records it once", async () => {
    const { orderId, paymentIntent } = await paidOrder();
    const res = await withFault({ method: "POST", path: "/v1/refunds", mode: "lost" }, () =>
      refund(orderId),
    );
    expectUnavailable(res);
    // The answer must not claim that nothing happened: the money did go back.
    expect(JSON.parse(res.text).message).not.toMatch(/nothing was changed/i);
    expect(refundsAtStripe(paymentIntent)).toHaveLength(1);
    const retry = await refund(orderId);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.json()).toMatchObject({ status: "refunded" });
    expect(refundsAtStripe(paymentIntent)).toHaveLength(1);
    const refundId = refundsAtStripe(paymentIntent)[0]!.id;
    const entries = await prisma.ledgerEntry.findMany({ where: { orderId } });
    expect(entries.map((e) => e.id).sort()).toEqual(
      [`order:${orderId}:fee`, `order:${orderId}:payment`, `stripe:refund:${refundId}`].sort(),
    );
    expect(await prisma.ticket.count({ where: { orderId, status: "revoked" } })).toBe(2);
    expect(
      await prisma.outboxEmail.count({
        where: { template: "order-cancelled", payload: { contains: orderId } },
      }),
    ).toBe(1);
    expect(
      await prisma.auditEvent.count({ where: { action: "order.refund", targetId: orderId } }),
    ).toBe(1);
  });

  it("the refund's balance transaction cannot be read: refunded all the same, books balanced", async () => {
    const { orderId, paymentIntent } = await paidOrder();
    const res = await withFault({ method: "GET", path: /^\/v1\/refunds\//, mode: "503" }, () =>
      refund(orderId),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ status: "refunded" });
    const refundId = refundsAtStripe(paymentIntent)[0]!.id;
    expect(await prisma.ledgerEntry.count({ where: { id: `stripe:refund:${refundId}` } })).toBe(1);
    await assertLedgerBalanced(testEnv.databaseUrl);
  });
});
