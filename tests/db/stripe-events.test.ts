// applyStripeEvent called directly on a real SQLite file, with the Stripe fake
// behind the real SDK: Stripe-side refunds and disputes in any order and
// duplicated post exactly once, an event that arrives before the payment it
// is about waits for Stripe's retry, and our own refund and its webhook post
// once whichever is first.
import fc from "fast-check";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as LedgerHelpers from "../helpers/ledger";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as StripeServer from "~/utils/stripe.server";
import { freshTestEnv } from "../helpers/env";
import {
  startStripeFake,
  type FakeEvent,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

let fake: StripeFake;
let db: typeof DbServer;
let orders: typeof OrderServer;
let payment: typeof PaymentServer;
let ledger: typeof LedgerServer;
let books: typeof LedgerHelpers;
let stripeServer: typeof StripeServer;
let festivalId: string;
let typeId: string;
let prisonerId: string;

const asEvent = (e: FakeEvent) => e as unknown as Stripe.Event;

/** A card order of `tickets` × €10 and a €10 earmarked donation, with its Checkout Session at the fake. */
async function cardOrder(tickets = 1) {
  const input = orders.checkoutSchema().parse({
    items: [{ ticketTypeId: typeId, quantity: tickets }],
    email: `card-${Math.random()}@example.test`,
    paymentMethod: "stripe",
    donation: { amountMinor: 1000, prisonerId },
  });
  const placed = await orders.placeOrder(festivalId, input, {
    locale: "en",
    stripeAvailable: true,
  });
  await payment.cardCheckoutUrl(placed);
  const sessionId = [...fake.sessions.values()].find(
    (s) => s.metadata.order_id === placed.order.id,
  )!.id;
  return { orderId: placed.order.id, sessionId };
}

async function paidOrder(tickets = 1) {
  const { orderId, sessionId } = await cardOrder(tickets);
  const session = fake.completeSession(sessionId);
  const completed = fake.event("checkout.session.completed", session);
  expect(await payment.applyStripeEvent(asEvent(completed))).toBe("fulfilled");
  return { orderId, pi: session.payment_intent!, completed };
}

/** Apply, and say "retry" for an event Stripe would have to send again. */
async function apply(event: FakeEvent): Promise<string> {
  try {
    return await payment.applyStripeEvent(asEvent(event));
  } catch (error) {
    expect(String(error)).toMatch(/retry later/);
    return "retry";
  }
}

async function entryIds(orderId: string) {
  const { rows } = await db
    .sqlClient()
    .execute({ sql: "SELECT id FROM LedgerEntry WHERE orderId = ? ORDER BY id", args: [orderId] });
  return rows.map((r) => String(r.id).replace(orderId, "<order>"));
}

/** Wrap the app's Stripe client's refunds.create: `during` runs after Stripe made the refund, before we record it. */
function duringRefund(during: (refund: Stripe.Refund) => Promise<void>) {
  const refunds = stripeServer.stripe().refunds;
  const original = refunds.create.bind(refunds);
  refunds.create = (async (...args: Parameters<typeof original>) => {
    const refund = await original(...args);
    await during(refund);
    return refund;
  }) as typeof refunds.create;
  return () => {
    refunds.create = original;
  };
}

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_db_stripe_events_0123456789"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  payment = await import("~/models/payment.server");
  ledger = await import("~/models/ledger.server");
  books = await import("../helpers/ledger");
  stripeServer = await import("~/utils/stripe.server");
  const { createFestivalRow, createPrisonerRow, createTicketTypeRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe"]),
  });
  festivalId = festival.id;
  typeId = (await createTicketTypeRow(festivalId, 1000, 100_000)).id;
  prisonerId = (await createPrisonerRow("db-card-prisoner", { en: "Card Prisoner" }, [festivalId]))
    .id;
});
afterAll(async () => {
  await db?.disconnectDatabase();
  await fake?.close();
});

describe("applyStripeEvent: refunds made in Stripe", () => {
  it("a charge.refunded that arrives before its checkout.session.completed waits for the retry, then posts once", async () => {
    const { orderId, sessionId } = await cardOrder(2);
    const session = fake.completeSession(sessionId);
    const refund = fake.dashboardRefund(session.payment_intent!, 1500);
    const refunded = fake.chargeRefundedEvent(session.payment_intent!);
    expect(await apply(refunded)).toBe("retry");
    expect(await books.ledgerOf(orderId)).toEqual([]);
    expect(await apply(fake.event("checkout.session.completed", session))).toBe("fulfilled");
    expect(await apply(refunded)).toBe("partially_refunded");
    expect(await apply(refunded)).toBe("duplicate");
    // Tickets first: €15 of the €20 of tickets; the earmarked €10 is kept.
    expect(await books.incomeOf(orderId)).toEqual({
      ticket: 500,
      [`donation:${prisonerId}`]: 1000,
    });
    expect(await entryIds(orderId)).toEqual(
      ["order:<order>:fee", "order:<order>:payment", `stripe:refund:${refund.id}`].sort(),
    );
    expect((await ledger.checkLedger(db.sqlClient())).problems).toEqual([]);
  });

  it("our refund and its charge.refunded post once when the webhook comes first", async () => {
    const { orderId } = await paidOrder(1);
    let outcome = "";
    const restore = duringRefund(async (refund) => {
      // Stripe's webhook for our refund lands while we are still recording it.
      const charge = fake.charges.get(String(refund.charge))!;
      outcome = await apply(fake.event("charge.refunded", structuredClone(charge)));
    });
    try {
      expect(await payment.cancelOrRefundOrder(null, orderId)).toBe("refunded");
    } finally {
      restore();
    }
    expect(outcome).toBe("refunded");
    const refund = [...fake.refunds.values()].find((r) => r.metadata.order_id === orderId)!;
    expect(await entryIds(orderId)).toEqual(
      ["order:<order>:fee", "order:<order>:payment", `stripe:refund:${refund.id}`].sort(),
    );
    expect(await books.incomeOf(orderId)).toEqual({});
    const order = await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.status).toBe("refunded");
    const tickets = await db.prisma.ticket.findMany({ where: { orderId } });
    expect(tickets.map((t) => t.status)).toEqual(["revoked"]);
    // The buyer is still told, once.
    const mails = await db.prisma.outboxEmail.findMany({
      where: { payload: JSON.stringify({ orderId }) },
    });
    expect(mails.map((m) => m.template).sort()).toEqual(["order-cancelled", "order-confirmation"]);
  });

  it("a late payment's charge.refunded before the late refund is recorded: retried, and in and out post once", async () => {
    const { orderId, sessionId } = await cardOrder(1);
    expect(await payment.cancelOrRefundOrder(null, orderId)).toBe("cancelled");
    const session = fake.completeSession(sessionId, { force: true });
    let early = "";
    const restore = duringRefund(async (refund) => {
      const charge = fake.charges.get(String(refund.charge))!;
      early = await apply(fake.event("charge.refunded", structuredClone(charge)));
    });
    try {
      expect(await apply(fake.event("checkout.session.completed", session))).toBe(
        "refunded_late_payment",
      );
    } finally {
      restore();
    }
    expect(early).toBe("retry");
    // Stripe's retry, and a duplicate of the payment: nothing more.
    expect(await apply(fake.chargeRefundedEvent(session.payment_intent!))).toBe("duplicate");
    expect(await apply(fake.event("checkout.session.completed", session))).toBe("duplicate");
    const refund = [...fake.refunds.values()].find(
      (r) => r.payment_intent === session.payment_intent,
    )!;
    expect(await entryIds(orderId)).toEqual(
      ["order:<order>:fee", "order:<order>:payment", `stripe:refund:${refund.id}`].sort(),
    );
    expect(await books.incomeOf(orderId)).toEqual({});
  });
});

describe("applyStripeEvent: any order, any duplicates", () => {
  it("a payment, a partial refund and a dispute post the same books however their events arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 4, maxLength: 9 }),
        async (won, shuffle) => {
          const { orderId, sessionId } = await cardOrder(1);
          const session = fake.completeSession(sessionId);
          const pi = session.payment_intent!;
          fake.dashboardRefund(pi, 500);
          const dispute = fake.openDispute(pi, { fee: 1500 });
          const events = [
            fake.event("checkout.session.completed", session),
            fake.chargeRefundedEvent(pi),
            fake.disputeEvent("charge.dispute.created", dispute.id),
          ];
          fake.closeDispute(dispute.id, won ? "won" : "lost");
          events.push(fake.disputeEvent("charge.dispute.closed", dispute.id));
          // Deliveries: each event at least once, duplicates and order from `shuffle`;
          // an event that is not ready yet is delivered again later, as Stripe retries.
          const queue = [...events, ...shuffle.map((n) => events[n % events.length]!)];
          for (let i = queue.length - 1; i > 0; i--) {
            const j = (shuffle[i % shuffle.length] ?? 0) % (i + 1);
            [queue[i], queue[j]] = [queue[j]!, queue[i]!];
          }
          for (let step = 0; queue.length > 0 && step < 100; step++) {
            const event = queue.shift()!;
            if ((await apply(event)) === "retry") queue.push(event);
            expect((await ledger.checkLedger(db.sqlClient())).problems).toEqual([]);
          }
          expect(queue).toEqual([]);
          // €20 in; €5 refunded from the ticket; the dispute of the other €15 won or lost.
          expect(await books.incomeOf(orderId)).toEqual(
            won ? { ticket: 500, [`donation:${prisonerId}`]: 1000 } : {},
          );
          const ids = await entryIds(orderId);
          expect(ids.filter((id) => id.startsWith("stripe:dispute:"))).toEqual(
            [
              `stripe:dispute:${dispute.id}:fee`,
              `stripe:dispute:${dispute.id}:${won ? "won" : "lost"}`,
              `stripe:dispute:${dispute.id}:opened`,
            ].sort(),
          );
          expect(ids.filter((id) => id.startsWith("stripe:refund:"))).toHaveLength(1);
          // Replaying everything changes nothing.
          const before = await books.ledgerOf(orderId);
          for (const event of events)
            expect(await payment.applyStripeEvent(asEvent(event))).toBe("duplicate");
          expect(await books.ledgerOf(orderId)).toEqual(before);
          const order = await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
          expect(order).toMatchObject({ status: "paid", disputeStatus: won ? "won" : "lost" });
        },
      ),
      {
        numRuns: 12,
        // Shrunk counterexamples found while building this, kept: disputes delivered before
        // the payment (they were dropped), and a lost dispute before a refund (the order
        // was marked refunded in one order of arrival and not in the other).
        examples: [
          [false, [0, 0, 0, 0]],
          [false, [25907558, 0, 0, 0]],
        ],
      },
    );
  });
});
