// Card payments through Stripe Checkout, hold expiry, and refunds/cancellations.
// The success page never fulfils: only a verified webhook does, exactly once per
// event, in one transaction with the tickets, the ledger entries and the email.
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import type { CurrentUser } from "~/utils/auth.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { changeStatements, type OutboxMessage } from "~/utils/change.server";
import { kickEmailWorker } from "~/utils/email.server";
import { keepLease, type KeptLease } from "~/utils/lease.server";
import { faultPoint } from "~/utils/fault-points.server";
import { kickTattooWaitlist } from "./tattoo-waitlist.server";
import { publicUrl } from "~/utils/env.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { isLocale } from "~/utils/i18n";
import { stripe, stripeAvailable } from "~/utils/stripe.server";
import {
  fulfilLines,
  incomeParts,
  readOrderLines,
  kindRefusal,
  releaseStatements,
  reserveStatements,
  stripeLineItems,
  type OrderLine,
} from "./item-kinds/index.server";
import {
  fulfilmentStatements,
  HOLD_MINUTES,
  isCapacityViolation,
  type placeOrder,
} from "./order.server";
import { isCancellable } from "./choices";
import {
  chargeSettlementStatements,
  disputeLostStatements,
  disputeOpenedStatements,
  disputeWonStatements,
  entryExists,
  heldIncome,
  paymentMismatchStatements,
  refundedTotal,
  settlementOf,
  stripeRefundStatements,
  withBalanceTransaction,
  unmatchedHeld,
  unmatchedRefundStatements,
  type CardContext,
  type Settlement,
} from "./card-money.server";
import { entryStatements, moneyInPostings, orderReversalPostings } from "./ledger.server";
import { festivalSigner } from "./ticket.server";
import { keptCashStatements, requireCashChoice, type CashChoice } from "./cash.server";
import { logger } from "~/utils/logger.server";

type Placed = Awaited<ReturnType<typeof placeOrder>>;

/** Stripe needs at least 30 minutes; our hold ends first and then expires the session. */
const SESSION_SLACK_SECONDS = 120;

/**
 * Open a Stripe Checkout Session for a pending order. If Stripe cannot be
 * reached the order and its hold are removed again (nothing half-written) and
 * the buyer gets a clear 503.
 */
async function startCardPayment(placed: Placed): Promise<string> {
  const baseUrl = publicUrl();
  const { order, festival, lines } = placed;
  const locale = "en";
  try {
    const lineItems = stripeLineItems(lines, { festival, locale });
    const session = await stripe().checkout.sessions.create(
      {
        mode: "payment",
        line_items: lineItems,
        client_reference_id: order.id,
        metadata: { order_id: order.id },
        payment_intent_data: { metadata: { order_id: order.id } },
        success_url: `${baseUrl}/orders/${order.accessToken}?checkout=success`,
        cancel_url: `${baseUrl}/orders/${order.accessToken}?checkout=cancelled`,
        expires_at: Math.ceil(order.holdExpiresAt!.getTime() / 1000) + SESSION_SLACK_SECONDS,
      },
      { idempotencyKey: `checkout-${order.id}` },
    );
    await sqlClient().execute({
      sql: `UPDATE "Order" SET stripeSessionId = ? WHERE id = ?`,
      args: [session.id, order.id],
    });
    if (!session.url) throw new Error("Stripe returned no checkout URL");
    return session.url;
  } catch (error) {
    logger.error({ err: error, orderId: order.id }, "Stripe checkout failed");
    await sqlClient().batch(
      [
        ...releaseStatements(lines, { orderId: order.id, now: new Date(), reason: "undone" }),
        { sql: "DELETE FROM OrderItem WHERE orderId = ?", args: [order.id] },
        { sql: `DELETE FROM "Order" WHERE id = ?`, args: [order.id] },
      ],
      "write",
    );
    // Stripe refused the amount itself (below its smallest charge): the buyer can fix that.
    if (isStripeCode(error, "amount_too_small"))
      throw new FieldRulesError({ paymentMethod: "v.belowCardMinimum" });
    throw paymentUnavailable();
  }
}

function isStripeCode(error: unknown, code: string) {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function paymentUnavailable() {
  return new DomainError(
    503,
    "payment_unavailable",
    "Card payment is unavailable right now. Please try again in a moment or choose another payment method.",
    { headers: { "Retry-After": "30" } },
  );
}

/**
 * Where a placed order is paid by card: a new Checkout Session for a new order;
 * for a repeated request (same Idempotency-Key), the session its first request
 * opened. Undefined when nothing is paid online.
 */
export async function cardCheckoutUrl(placed: Placed) {
  if (placed.order.status !== "pending") return undefined;
  if (!placed.replayed) return startCardPayment(placed);
  // The replay read the order's session with it (orderOfKey).
  const sessionId = placed.order.stripeSessionId;
  if (!sessionId) return undefined;
  try {
    return (await stripe().checkout.sessions.retrieve(sessionId)).url ?? undefined;
  } catch (error) {
    logger.error({ err: error }, "Stripe session lookup failed");
    throw paymentUnavailable();
  }
}

type OrderRow = {
  id: string;
  festivalId: string;
  status: string;
  email: string | null;
  locale: string;
  code: string;
  accessToken: string;
  paymentMethod: string;
  totalMinor: number;
  currency: string;
  stripeSessionId: string | null;
  stripePaymentIntentId: string | null;
};

async function readOrder(tx: SqlExecutor, orderId: string): Promise<OrderRow | null> {
  const { rows } = await tx.execute({
    sql: `SELECT id, festivalId, status, email, locale, code, accessToken, paymentMethod, totalMinor, currency, stripeSessionId, stripePaymentIntentId FROM "Order" WHERE id = ?`,
    args: [orderId],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: String(r.id),
    festivalId: String(r.festivalId),
    status: String(r.status),
    email: r.email === null ? null : String(r.email),
    locale: String(r.locale),
    code: String(r.code),
    accessToken: String(r.accessToken),
    paymentMethod: String(r.paymentMethod),
    totalMinor: Number(r.totalMinor),
    currency: String(r.currency),
    stripeSessionId: r.stripeSessionId === null ? null : String(r.stripeSessionId),
    stripePaymentIntentId:
      r.stripePaymentIntentId === null ? null : String(r.stripePaymentIntentId),
  };
}

async function readFestival(tx: SqlExecutor, festivalId: string) {
  const { rows } = await tx.execute({
    sql: "SELECT id, name, currency, endsAt FROM Festival WHERE id = ?",
    args: [festivalId],
  });
  const r = rows[0]!;
  return {
    id: String(r.id),
    name: String(r.name),
    currency: String(r.currency),
    endsAt: dateFromSql(r.endsAt),
  };
}

async function alreadyProcessed(eventId: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT 1 FROM StripeEvent WHERE id = ?",
    args: [eventId],
  });
  return rows.length > 0;
}

function recordEvent(event: Stripe.Event, orderId: string | null, now: Date): InStatement {
  return {
    sql: "INSERT OR IGNORE INTO StripeEvent (id, type, orderId, receivedAt) VALUES (?, ?, ?, ?)",
    args: [event.id, event.type, orderId, sqlDate(now)],
  };
}

function orderIdOf(session: Stripe.Checkout.Session) {
  const id = session.metadata?.order_id ?? session.client_reference_id;
  return typeof id === "string" && id.length <= 64 ? id : null;
}

export type WebhookOutcome =
  | "duplicate"
  | "fulfilled"
  | "released"
  | "refunded_late_payment"
  | "payment_mismatch"
  | "refunded"
  | "partially_refunded"
  | "dispute_opened"
  | "dispute_won"
  | "dispute_lost"
  | "ignored";

/** Apply one verified Stripe event. Safe to receive twice and out of order. */
export async function applyStripeEvent(
  event: Stripe.Event,
  now = new Date(),
): Promise<WebhookOutcome> {
  if (await alreadyProcessed(event.id)) return "duplicate";
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      const orderId = orderIdOf(session);
      if (!orderId || session.payment_status !== "paid")
        return record(event, orderId, now, "ignored");
      return fulfilCardOrder(event, session, orderId, now);
    }
    case "checkout.session.expired":
    case "checkout.session.async_payment_failed": {
      const orderId = orderIdOf(event.data.object);
      if (!orderId) return record(event, null, now, "ignored");
      const released = await releaseHold(orderId, now, [recordEvent(event, orderId, now)]);
      return released ? "released" : record(event, orderId, now, "ignored");
    }
    case "charge.refunded":
      return applyChargeRefunded(event, event.data.object, now);
    case "charge.dispute.created":
    case "charge.dispute.closed":
      return applyDispute(event, event.data.object, now);
    default:
      // charge.dispute.funds_withdrawn / funds_reinstated add nothing: created and closed carry the money.
      return record(event, null, now, "ignored");
  }
}

async function record(
  event: Stripe.Event,
  orderId: string | null,
  now: Date,
  outcome: WebhookOutcome,
) {
  await sqlClient().execute(recordEvent(event, orderId, now));
  return outcome;
}

/**
 * What Stripe settled a payment as, from the charge's balance transaction:
 * amount and fee in the settlement currency, and the rate (which may differ
 * from the order's currency: the ledger converts explicitly). Null if Stripe
 * cannot tell us now; the sale is still fulfilled, in the order's currency.
 */
async function stripeSettlement(paymentIntentId: string): Promise<Settlement | null> {
  try {
    const pi = await stripe().paymentIntents.retrieve(paymentIntentId, {
      expand: ["latest_charge.balance_transaction"],
    });
    const charge = pi.latest_charge;
    return charge && typeof charge === "object" ? settlementOf(charge.balance_transaction) : null;
  } catch (error) {
    logger.warn({ err: error, paymentIntentId }, "Stripe settlement unknown");
    return null;
  }
}

function paymentIntentOf(session: Stripe.Checkout.Session) {
  const pi = session.payment_intent;
  return typeof pi === "string" ? pi : (pi?.id ?? null);
}

async function fulfilCardOrder(
  event: Stripe.Event,
  session: Stripe.Checkout.Session,
  orderId: string,
  now: Date,
): Promise<WebhookOutcome> {
  const paymentIntent = paymentIntentOf(session);
  // Creating the festival's signing key is a write of its own: do it before this
  // transaction takes the write lock, or it waits on us until SQLITE_BUSY.
  const known = await readOrder(sqlClient(), orderId);
  if (known) await festivalSigner(known.festivalId);
  // Stripe's settlement and fee, asked before the transaction (a network call must not hold the write lock).
  const settlement =
    paymentIntent && ["pending", "expired", "cancelled"].includes(known?.status ?? "")
      ? await stripeSettlement(paymentIntent)
      : null;
  return await writeTransaction(async (tx) => {
    const order = await readOrder(tx, orderId);
    if (!order) {
      await tx.execute(recordEvent(event, orderId, now));
      await tx.commit();
      return "ignored";
    }
    // Cancelled by the organisers while the buyer was still paying: the money goes back.
    const cancelledWhilePaying =
      order.status === "cancelled" &&
      order.paymentMethod === "stripe" &&
      !order.stripePaymentIntentId;
    if (order.status !== "pending" && order.status !== "expired" && !cancelledWhilePaying) {
      // Already fulfilled (e.g. completed, then async_payment_succeeded), refunded or cancelled.
      await tx.execute(recordEvent(event, orderId, now));
      await tx.commit();
      return "duplicate";
    }
    const ctx: CardContext = {
      festivalId: order.festivalId,
      orderId,
      currency: order.currency,
      at: now,
    };
    // What the buyer paid must be the order: anything else fulfils nothing, and
    // the money that did arrive is booked as owed back (unmatched_payments).
    const received = {
      amountMinor: session.amount_total ?? 0,
      currency: (session.currency ?? "").toUpperCase(),
    };
    if (received.amountMinor !== order.totalMinor || received.currency !== order.currency) {
      logger.warn(
        {
          eventId: event.id,
          orderId,
          expected: { amountMinor: order.totalMinor, currency: order.currency },
          received,
        },
        "Stripe payment does not match its order",
      );
      for (const stmt of [
        ...paymentMismatchStatements(ctx, {
          eventId: event.id,
          paymentIntentId: paymentIntent,
          expected: { amountMinor: order.totalMinor, currency: order.currency },
          received,
          settlement,
        }),
        recordEvent(event, orderId, now),
      ])
        await tx.execute(stmt);
      await tx.commit();
      return "payment_mismatch";
    }
    // The order's currency is the one its prices and its payment are posted in.
    const festival = { ...(await readFestival(tx, order.festivalId)), currency: order.currency };
    const lines = await readOrderLines(tx, orderId);
    if (cancelledWhilePaying) {
      await tx.rollback();
      return refundLatePayment(event, order, festival, lines, paymentIntent, settlement, now);
    }
    if (order.status === "expired") {
      // The hold was released before the money arrived: take the places again if they are still there.
      try {
        for (const stmt of reserveStatements(lines, +1)) await tx.execute(stmt);
      } catch (error) {
        if (!isCapacityViolation(error) && !kindRefusal(error)) throw error;
        await tx.rollback();
        return refundLatePayment(event, order, festival, lines, paymentIntent, settlement, now);
      }
    }
    const issued = await fulfilLines(lines, {
      festival,
      orderId,
      now,
      payAtDoor: false,
      buyer: { email: order.email, locale: isLocale(order.locale) ? order.locale : "en" },
    });
    const statements: InStatement[] = [
      {
        sql: `UPDATE "Order" SET status = 'paid', paidAt = ?, holdExpiresAt = NULL, expiredAt = NULL, stripePaymentIntentId = ?, stripeSessionId = COALESCE(stripeSessionId, ?) WHERE id = ?`,
        args: [sqlDate(now), paymentIntent, session.id, orderId],
      },
      ...issued.statements,
      ...fulfilmentStatements({
        orderId,
        festival,
        email: order.email,
        paymentMethod: "stripe",
        lines,
        now,
        locale: isLocale(order.locale) ? order.locale : "en",
        status: "paid",
      }),
      // Stripe's conversion to the settlement currency (its own entry) and its fee.
      ...chargeSettlementStatements(
        ctx,
        `order:${orderId}`,
        { currency: order.currency, amountMinor: order.totalMinor },
        settlement,
      ),
      recordEvent(event, orderId, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    faultPoint("card-fulfilment:before-commit");
    await tx.commit();
    faultPoint("card-fulfilment:after-commit");
    kickEmailWorker();
    return "fulfilled";
  });
}

/**
 * Money arrived after the hold ended and the places are gone (or after the
 * order was cancelled): give it back, and post it in and out again exactly —
 * the payment, its conversion and Stripe's fee (which Stripe keeps), and the
 * refund keyed by Stripe's refund id (so its `charge.refunded` posts nothing).
 * Two deliveries at once both refund (Stripe's idempotency key makes that one
 * refund), but only the one that moves the order to "refunded" records it.
 */
async function refundLatePayment(
  event: Stripe.Event,
  order: OrderRow,
  festival: { id: string; currency: string },
  lines: OrderLine[],
  paymentIntent: string | null,
  settlement: Settlement | null,
  now: Date,
): Promise<WebhookOutcome> {
  if (!paymentIntent) throw new Error("late payment without a payment intent");
  const refund = await withBalanceTransaction(
    await stripe().refunds.create(
      {
        payment_intent: paymentIntent,
        metadata: { order_id: order.id, reason: "sold_out_after_hold" },
      },
      { idempotencyKey: `late-refund-${order.id}` },
    ),
  );
  const parts = incomeParts(lines);
  const stripeBalance = {
    festivalId: festival.id,
    currency: order.currency,
    code: "stripe_balance" as const,
  };
  const ctx: CardContext = {
    festivalId: festival.id,
    orderId: order.id,
    currency: order.currency,
    at: now,
  };
  let recorded = false;
  await writeTransaction(async (tx) => {
    const changed = await tx.execute({
      sql: `UPDATE "Order" SET status = 'refunded', refundedAt = ?, stripePaymentIntentId = ? WHERE id = ? AND status IN ('expired', 'cancelled')`,
      args: [sqlDate(now), paymentIntent, order.id],
    });
    recorded = changed.rowsAffected > 0;
    if (!recorded) {
      await tx.execute(recordEvent(event, order.id, now));
      await tx.commit();
      return;
    }
    const money: InStatement[] = [
      ...entryStatements({
        id: `order:${order.id}:payment`,
        festivalId: festival.id,
        orderId: order.id,
        kind: "payment",
        at: now,
        postings: moneyInPostings(stripeBalance, parts),
      }),
      ...chargeSettlementStatements(
        ctx,
        `order:${order.id}`,
        { currency: order.currency, amountMinor: order.totalMinor },
        settlement,
      ),
    ];
    for (const stmt of money) await tx.execute(stmt);
    const statements: InStatement[] = [
      ...(await stripeRefundStatements(tx, ctx, refund, "late payment: the hold had ended")),
      recordEvent(event, order.id, now),
      // An erased order has no address left to write to.
      ...changeStatements({ emails: order.email ? cancellationEmail(order) : [] }, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    await tx.commit();
  });
  if (!recorded) return "duplicate";
  kickEmailWorker();
  return "refunded_late_payment";
}

/**
 * The order a charge (or its dispute) belongs to: by its PaymentIntent (or an
 * unmatched payment's), else by the order id in the metadata. Null for a charge
 * that is not a festival order's.
 */
async function orderOfCharge(paymentIntent: string | null, metadata: unknown) {
  if (paymentIntent) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT id FROM "Order" WHERE stripePaymentIntentId = ?
            UNION ALL SELECT orderId FROM PaymentProblem WHERE stripePaymentIntentId = ? LIMIT 1`,
      args: [paymentIntent, paymentIntent],
    });
    if (rows[0]) return String(rows[0].id);
  }
  let id = (metadata as Record<string, unknown> | null)?.order_id;
  // Not recorded yet (the payment's own webhook may still be on its way): the
  // PaymentIntent carries the order's id (startCardPayment), a dispute does not.
  if (id === undefined && paymentIntent)
    id = (await stripe().paymentIntents.retrieve(paymentIntent)).metadata?.order_id;
  return typeof id === "string" && id.length <= 64 ? id : null;
}

/** Whether the order's card payment was recorded (it is paid, or was paid and refunded). */
function hasPayment(order: OrderRow) {
  return (order.status === "paid" || order.status === "refunded") && !!order.stripePaymentIntentId;
}

/** A payment problem's money is keyed by its PaymentIntent (paymentMismatchStatements). */
function unmatchedKey(paymentIntent: string | null) {
  return `stripe:unmatched:${paymentIntent ?? ""}`;
}

function idOf(x: string | { id: string } | null | undefined) {
  return typeof x === "string" ? x : (x?.id ?? null);
}

/**
 * A refund made in Stripe (its dashboard, or ours: both end here): every
 * refund of the charge not yet posted is posted, keyed by its id, out of what
 * the order still holds (tickets first, earmarked donations last). When nothing
 * is left the order is refunded: its tickets revoked, its places released.
 */
async function applyChargeRefunded(
  event: Stripe.Event,
  charge: Stripe.Charge,
  now: Date,
): Promise<WebhookOutcome> {
  const paymentIntent = idOf(charge.payment_intent);
  const orderId = await orderOfCharge(paymentIntent, charge.metadata);
  if (!orderId) return record(event, null, now, "ignored");
  // Stripe's refunds of this charge with their balance transactions, asked
  // before the transaction; if Stripe cannot answer, the webhook is retried.
  const listed = await stripe().refunds.list({
    charge: charge.id,
    limit: 100,
    expand: ["data.balance_transaction"],
  });
  const refunds = listed.data
    .filter((r) => r.status === "succeeded" || r.status === "pending")
    .sort((a, b) => a.created - b.created);
  return await writeTransaction(async (tx) => {
    const order = await readOrder(tx, orderId);
    if (!order) {
      await tx.execute(recordEvent(event, null, now));
      await tx.commit();
      return "ignored";
    }
    if (!hasPayment(order) && !(await entryExists(tx, unmatchedKey(paymentIntent)))) {
      // The payment itself is not recorded yet (its checkout.session.completed, or a late
      // payment's own refund, is still on its way): Stripe retries this event later.
      await tx.rollback();
      throw new Error(`charge.refunded for order ${orderId} before its payment; retry later`);
    }
    const ctx: CardContext = {
      festivalId: order.festivalId,
      orderId,
      currency: order.currency,
      at: now,
    };
    let posted = 0;
    for (const refund of refunds) {
      if (await entryExists(tx, `stripe:refund:${refund.id}`)) continue;
      let statements: InStatement[];
      if ((await heldIncome(tx, orderId, order.currency)).length > 0) {
        statements = await stripeRefundStatements(tx, ctx, refund, "refunded in Stripe");
      } else {
        // Nothing taken in: money that did not match the order goes back, or (a
        // late payment not yet recorded) its own path posts it in and out.
        const owed = await unmatchedHeld(tx, orderId, refund.currency.toUpperCase());
        statements =
          owed > 0 ? unmatchedRefundStatements(ctx, refund, Math.min(owed, refund.amount)) : [];
      }
      for (const stmt of statements) await tx.execute(stmt);
      if (statements.length) posted++;
    }
    let outcome: WebhookOutcome = posted ? "partially_refunded" : "duplicate";
    if (
      posted &&
      order.status === "paid" &&
      (await refundedTotal(tx, orderId, order.currency)) >= order.totalMinor
    ) {
      // All of it was refunded: the order is refunded as if the organisers had done it
      // (what a lost dispute took back is a chargeback, and leaves the order paid).
      const changed = await tx.execute({
        sql: `UPDATE "Order" SET status = 'refunded', refundedAt = ? WHERE id = ? AND status = 'paid'`,
        args: [sqlDate(now), orderId],
      });
      if (changed.rowsAffected > 0) {
        const lines = await readOrderLines(tx, orderId);
        for (const stmt of releaseStatements(lines, { orderId, now, reason: "refunded" }))
          await tx.execute(stmt);
        kickTattooWaitlist(); // after the commit below: the pass starts a moment later
      }
      outcome = "refunded";
    }
    await tx.execute(recordEvent(event, orderId, now));
    await tx.commit();
    return outcome;
  });
}

/**
 * A dispute on the order's charge: opened, Stripe holds the money back (and
 * takes its fee); won, it is ours again; lost, it is a chargeback under the
 * categories and earmarks it came in under. Each phase posts once (keyed by the
 * dispute id and phase); a `closed` that arrives first posts the opening too.
 */
async function applyDispute(
  event: Stripe.Event,
  dispute: Stripe.Dispute,
  now: Date,
): Promise<WebhookOutcome> {
  const paymentIntent = idOf(dispute.payment_intent);
  const orderId = await orderOfCharge(paymentIntent, dispute.metadata);
  if (!orderId) return record(event, null, now, "ignored");
  return await writeTransaction(async (tx) => {
    const order = await readOrder(tx, orderId);
    if (!order) {
      await tx.execute(recordEvent(event, null, now));
      await tx.commit();
      return "ignored";
    }
    if (!hasPayment(order)) {
      // A dispute of a payment not recorded yet: Stripe retries this event later. (A
      // dispute of money that did not match its order stays with the payment problem.)
      const unmatched = await entryExists(tx, unmatchedKey(paymentIntent));
      if (unmatched) {
        await tx.execute(recordEvent(event, orderId, now));
        await tx.commit();
        return "ignored";
      }
      await tx.rollback();
      throw new Error(`${event.type} for order ${orderId} before its payment; retry later`);
    }
    const ctx: CardContext = {
      festivalId: order.festivalId,
      orderId,
      currency: order.currency,
      at: now,
    };
    for (const stmt of disputeOpenedStatements(ctx, dispute)) await tx.execute(stmt);
    let outcome: WebhookOutcome = "dispute_opened";
    const closed = event.type === "charge.dispute.closed";
    if (closed && dispute.status === "won") {
      for (const stmt of disputeWonStatements(ctx, dispute)) await tx.execute(stmt);
      outcome = "dispute_won";
    } else if (closed && dispute.status === "lost") {
      for (const stmt of await disputeLostStatements(tx, ctx, dispute)) await tx.execute(stmt);
      outcome = "dispute_lost";
    }
    const status = outcome === "dispute_won" ? "won" : outcome === "dispute_lost" ? "lost" : "open";
    await tx.execute({
      // A late "created" never reopens a decided dispute.
      sql:
        status === "open"
          ? `UPDATE "Order" SET disputeStatus = 'open' WHERE id = ? AND disputeStatus IS NULL`
          : `UPDATE "Order" SET disputeStatus = ? WHERE id = ?`,
      args: status === "open" ? [orderId] : [status, orderId],
    });
    await tx.execute(recordEvent(event, orderId, now));
    await tx.commit();
    return outcome;
  });
}

function cancellationEmail(order: OrderRow): OutboxMessage {
  return {
    to: order.email ?? "",
    template: "order-cancelled",
    locale: isLocale(order.locale) ? order.locale : "en",
    data: { orderId: order.id },
  };
}

/** End a pending order's hold and give its places back. Returns whether it did. */
export async function releaseHold(
  orderId: string,
  now: Date,
  extra: InStatement[] = [],
): Promise<boolean> {
  return await writeTransaction(async (tx) => {
    const changed = await tx.execute({
      sql: `UPDATE "Order" SET status = 'expired', expiredAt = ?, holdExpiresAt = NULL WHERE id = ? AND status = 'pending'`,
      args: [sqlDate(now), orderId],
    });
    if (changed.rowsAffected === 0) {
      await tx.rollback();
      return false;
    }
    const lines = await readOrderLines(tx, orderId);
    for (const stmt of [...releaseStatements(lines, { orderId, now, reason: "expired" }), ...extra])
      await tx.execute(stmt);
    await tx.commit();
    // A tattoo slot it held may go to the first in its waitlist.
    kickTattooWaitlist();
    return true;
  });
}

/**
 * Release every hold that has run out, and expire its Stripe session so the
 * buyer cannot pay for places that are no longer held (a payment that still
 * slips through is refunded by the webhook if the places are gone).
 * `shouldStop` is asked between orders (the worker lost its lease).
 */
export async function expireDueHolds(
  now = new Date(),
  options: { shouldStop?: () => boolean } = {},
) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, stripeSessionId FROM "Order" WHERE status = 'pending' AND holdExpiresAt <= ? LIMIT 200`,
    args: [sqlDate(now)],
  });
  let released = 0;
  for (const r of rows) {
    if (options.shouldStop?.()) break;
    if (await releaseHold(String(r.id), now)) released++;
    if (r.stripeSessionId && stripeAvailable()) {
      await stripe()
        .checkout.sessions.expire(
          String(r.stripeSessionId),
          {},
          { idempotencyKey: `expire-${String(r.id)}` },
        )
        .catch((e: unknown) =>
          logger.warn({ err: e, orderId: String(r.id) }, "could not expire Stripe session"),
        );
    }
  }
  return released;
}

// One process at a time releases holds (decision 0038): the one holding the lease.
let holdTimer: NodeJS.Timeout | undefined;
let holdPass: Promise<unknown> | undefined;
let holdLease: KeptLease | undefined;

function runHoldExpiry() {
  if (holdPass || !holdLease?.held()) return holdPass;
  const lease = holdLease;
  holdPass = expireDueHolds(new Date(), { shouldStop: () => !lease.held() })
    .catch((e: unknown) => logger.error({ err: e, worker: "holds" }, "hold expiry failed"))
    .finally(() => (holdPass = undefined));
  return holdPass;
}

export function startHoldExpiryWorker(intervalMs = 15_000) {
  if (holdTimer) return;
  holdTimer = setInterval(() => void runHoldExpiry(), intervalMs);
  holdTimer.unref();
  holdLease = keepLease("holds", { onAcquired: () => void runHoldExpiry() });
}
/** Stop polling, wait for a pass in progress, and give the lease back. */
export async function stopHoldExpiryWorker() {
  if (holdTimer) clearInterval(holdTimer);
  holdTimer = undefined;
  await holdPass;
  await holdLease?.stop();
  holdLease = undefined;
}

/**
 * Cancel an order, refunding a card payment through Stripe. Its tickets are
 * revoked and their places go back on sale. Organisers call it, and so does a
 * buyer's erasure request (`actor` null, no cancellation email: the address is
 * about to be forgotten; app/models/privacy.server.ts).
 */
export async function cancelOrRefundOrder(
  actor: CurrentUser | null,
  orderId: string,
  now = new Date(),
  options: { notify?: boolean; cash?: CashChoice } = {},
) {
  const order = await readOrder(sqlClient(), orderId);
  if (!order) throw DomainError.notFound("No such order.");
  if (!isCancellable(order.status)) {
    throw DomainError.conflict(
      "invalid_state",
      `A ${order.status} order cannot be cancelled or refunded.`,
    );
  }
  // ---- door cash (cash.server.ts): the organiser's choice, required once cash was taken.
  const cashChoice = await requireCashChoice(sqlClient(), order.id, options.cash);
  // ---- end door cash
  const refundCard = order.paymentMethod === "stripe" && order.status === "paid";
  let cardRefund: Stripe.Refund | null = null;
  if (refundCard) {
    if (!order.stripePaymentIntentId)
      throw DomainError.conflict("invalid_state", "This card order has no payment to refund.");
    // Stripe holds a disputed payment (or took it back, lost): it cannot be refunded, and its
    // money is not at Stripe's balance for a refund entry to take it from.
    const dispute = await sqlClient().execute({
      sql: `SELECT disputeStatus FROM "Order" WHERE id = ?`,
      args: [order.id],
    });
    const disputeStatus = dispute.rows[0]?.disputeStatus;
    if (disputeStatus === "open" || disputeStatus === "lost")
      throw DomainError.conflict(
        "invalid_state",
        `This card payment is disputed (${disputeStatus}): Stripe decides what goes back; it cannot be refunded.`,
      );
    try {
      // What is left of the charge (a partial refund in Stripe may have come first).
      cardRefund = await stripe().refunds.create(
        { payment_intent: order.stripePaymentIntentId, metadata: { order_id: order.id } },
        { idempotencyKey: `refund-${order.id}` },
      );
    } catch (error) {
      logger.error({ err: error, orderId: order.id }, "Stripe refund failed");
      throw new DomainError(
        503,
        "payment_unavailable",
        // Stripe may have refunded before the answer was lost (a timeout): say only what we
        // know. A repeat sends the same idempotency key, so it cannot refund twice.
        "Stripe did not confirm the refund; the order is unchanged here. Try again in a moment: a repeat never refunds twice.",
        { headers: { "Retry-After": "30" } },
      );
    }
    cardRefund = await withBalanceTransaction(cardRefund);
  }
  const newStatus = refundCard ? "refunded" : "cancelled";
  // The audit row and the email commit with the change (app/utils/change.server.ts).
  const auditAndEmail = changeStatements(
    {
      audit: {
        actorUserId: actor?.id ?? null,
        action: refundCard ? "order.refund" : "order.cancel",
        targetType: "order",
        targetId: order.id,
        festivalId: order.festivalId,
        details: {
          amountMinor: order.totalMinor,
          ...(actor ? {} : { requestedBy: "buyer" }),
          ...(cashChoice ? { cash: cashChoice } : {}),
        },
      },
      emails:
        order.email && order.status !== "pending" && options.notify !== false
          ? cancellationEmail(order)
          : [],
    },
    now,
  );
  await writeTransaction(async (tx) => {
    const changed = await tx.execute({
      sql: `UPDATE "Order" SET status = ?, ${refundCard ? "refundedAt" : "cancelledAt"} = ?, holdExpiresAt = NULL WHERE id = ? AND status = ?`,
      args: [newStatus, sqlDate(now), order.id, order.status],
    });
    // Our refund's charge.refunded webhook came first and refunded the order already
    // (posted, tickets revoked, places released): only the audit row and the email are left.
    if (
      changed.rowsAffected === 0 &&
      cardRefund &&
      (await entryExists(tx, `stripe:refund:${cardRefund.id}`))
    ) {
      for (const stmt of auditAndEmail) await tx.execute(stmt);
      await tx.commit();
      return;
    }
    if (changed.rowsAffected === 0)
      throw DomainError.conflict(
        "invalid_state",
        "The order changed meanwhile; reload and try again.",
      );
    // Again inside the write, once this cancellation won: door cash taken since the check
    // above (the order still part-paid, so its status did not change) is never given back
    // or kept unasked (422; the transaction rolls back).
    await requireCashChoice(tx, order.id, cashChoice);
    const lines = await readOrderLines(tx, order.id);
    const statements: InStatement[] = releaseStatements(lines, {
      orderId: order.id,
      now,
      reason: refundCard ? "refunded" : "cancelled",
    });
    // Whatever money the order took in goes back, under the categories and earmarks it came in under;
    // a card refund is keyed by Stripe's refund id, so its charge.refunded webhook posts nothing.
    statements.push(
      ...(cardRefund
        ? await stripeRefundStatements(
            tx,
            {
              festivalId: order.festivalId,
              orderId: order.id,
              currency: order.currency,
              at: now,
              actorUserId: actor?.id ?? null,
            },
            cardRefund,
          )
        : // door cash kept as a donation, by the organiser's choice (cash.server.ts)
          ((await keptCashStatements(tx, order, cashChoice, actor, now)) ??
          entryStatements({
            id: `order:${order.id}:refund`,
            festivalId: order.festivalId,
            orderId: order.id,
            kind: "refund",
            actorUserId: actor?.id ?? null,
            at: now,
            postings: await orderReversalPostings(tx, order.id),
          }))),
    );
    statements.push(...auditAndEmail);
    for (const stmt of statements) await tx.execute(stmt);
    await tx.commit();
  });
  if (
    order.paymentMethod === "stripe" &&
    order.status === "pending" &&
    order.stripeSessionId &&
    stripeAvailable()
  ) {
    // Close the buyer's payment page; a payment that still slips through is refunded by the webhook.
    await stripe()
      .checkout.sessions.expire(order.stripeSessionId, {}, { idempotencyKey: `expire-${order.id}` })
      .catch((e: unknown) =>
        logger.warn({ err: e, orderId: order.id }, "could not expire Stripe session"),
      );
  }
  kickEmailWorker();
  kickTattooWaitlist(); // a tattoo slot it held may go to the waitlist
  return newStatus;
}

export { HOLD_MINUTES };
