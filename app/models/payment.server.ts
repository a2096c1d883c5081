// Card payments through Stripe Checkout, hold expiry, and refunds/cancellations.
// The success page never fulfils: only a verified webhook does, exactly once per
// event, in one transaction with the tickets, the ledger entries and the email.
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import { audit } from "~/utils/audit.server";
import type { CurrentUser } from "~/utils/auth.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { kickEmailWorker } from "~/utils/email.server";
import { publicUrl } from "~/utils/env.server";
import { errorResponse } from "~/utils/http.server";
import { isLocale, translate } from "~/utils/i18n";
import { stripe, stripeAvailable } from "~/utils/stripe.server";
import {
  fulfilmentStatements,
  HOLD_MINUTES,
  incomeParts,
  isCapacityViolation,
  pickLanguage,
  reserveStatements,
  type PricedLine,
  type placeOrder,
} from "./order.server";
import { isCancellable } from "./choices";
import {
  entryStatements,
  moneyInPostings,
  moneyOutPostings,
  orderReversalPostings,
} from "./ledger.server";
import { festivalSigner, issueTicketTokens } from "./ticket.server";

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
  const { order, festival, lines, donation } = placed;
  const locale = "en";
  try {
    const lineItems: Stripe.Checkout.SessionCreateParams.LineItem[] = lines.map((l) => ({
      quantity: l.quantity,
      price_data: {
        currency: festival.currency.toLowerCase(),
        unit_amount: l.unitPriceMinor,
        product_data: { name: `${festival.name}: ${pickLanguage(l.type.name, locale)}` },
      },
    }));
    // No prisoner or recipient data ever goes to Stripe: a donation is just "Donation".
    if (donation)
      lineItems.push({
        quantity: 1,
        price_data: {
          currency: festival.currency.toLowerCase(),
          unit_amount: donation.amountMinor,
          product_data: { name: `${festival.name}: ${translate("en", "order.donation")}` },
        },
      });
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
    console.error("Stripe checkout failed:", error instanceof Error ? error.message : error);
    await sqlClient().batch(
      [
        ...reserveStatements(lines, -1),
        { sql: "DELETE FROM OrderItem WHERE orderId = ?", args: [order.id] },
        { sql: `DELETE FROM "Order" WHERE id = ?`, args: [order.id] },
      ],
      "write",
    );
    throw paymentUnavailable();
  }
}

function paymentUnavailable() {
  return errorResponse(
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
    console.error("Stripe session lookup failed:", error instanceof Error ? error.message : error);
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

async function readLines(tx: SqlExecutor, orderId: string) {
  const { rows } = await tx.execute({
    sql: `SELECT i.id, i.kind, i.ticketTypeId, i.quotaId, i.quantity, i.unitPriceMinor, i.amountMinor, i.prisonerId, t.name AS typeName
          FROM OrderItem i LEFT JOIN TicketType t ON t.id = i.ticketTypeId WHERE i.orderId = ?`,
    args: [orderId],
  });
  const tickets: (PricedLine & { itemId: string })[] = [];
  let donation: { amountMinor: number; prisonerId?: string } | undefined;
  for (const r of rows) {
    if (r.kind === "ticket") {
      tickets.push({
        itemId: String(r.id),
        quantity: Number(r.quantity),
        unitPriceMinor: Number(r.unitPriceMinor),
        type: {
          id: String(r.ticketTypeId),
          quotaId: r.quotaId === null ? null : String(r.quotaId),
          name: String(r.typeName),
        } as PricedLine["type"],
      });
    } else if (r.kind === "donation") {
      donation = {
        amountMinor: Number(r.amountMinor),
        ...(r.prisonerId ? { prisonerId: String(r.prisonerId) } : {}),
      };
    }
  }
  return { tickets, donation };
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
  "duplicate" | "fulfilled" | "released" | "refunded_late_payment" | "ignored";

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
    default:
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
 * The processing fee Stripe took, from the charge's balance transaction, in the
 * currency Stripe settled in (which may differ from the order's: the ledger
 * converts explicitly). Null if Stripe cannot tell us now; the sale is still fulfilled.
 */
async function stripeFee(
  paymentIntentId: string,
): Promise<{ amountMinor: number; currency: string } | null> {
  try {
    const pi = await stripe().paymentIntents.retrieve(paymentIntentId, {
      expand: ["latest_charge.balance_transaction"],
    });
    const charge = pi.latest_charge;
    const balance = charge && typeof charge === "object" ? charge.balance_transaction : null;
    if (!balance || typeof balance !== "object" || !Number.isSafeInteger(balance.fee)) return null;
    return { amountMinor: balance.fee, currency: balance.currency.toUpperCase() };
  } catch (error) {
    console.warn(
      `Stripe fee for ${paymentIntentId} unknown:`,
      error instanceof Error ? error.message : error,
    );
    return null;
  }
}

/** The fee entry of a card payment (none when Stripe could not tell us the fee). */
function feeStatements(
  festivalId: string,
  orderId: string,
  fee: { amountMinor: number; currency: string } | null,
  now: Date,
): InStatement[] {
  if (!fee) return [];
  return entryStatements({
    id: `order:${orderId}:fee`,
    festivalId,
    orderId,
    kind: "processing_fee",
    at: now,
    postings: [
      {
        account: { festivalId, currency: fee.currency, code: "processing_fees" },
        amountMinor: fee.amountMinor,
      },
      {
        account: { festivalId, currency: fee.currency, code: "stripe_balance" },
        amountMinor: -fee.amountMinor,
      },
    ],
  });
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
  // Stripe's fee, asked before the transaction (a network call must not hold the write lock).
  const fee =
    paymentIntent && (known?.status === "pending" || known?.status === "expired")
      ? await stripeFee(paymentIntent)
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
    const festival = await readFestival(tx, order.festivalId);
    const { tickets: lines, donation } = await readLines(tx, orderId);
    if (cancelledWhilePaying) {
      await tx.rollback();
      return refundLatePayment(event, order, festival, lines, donation, paymentIntent, now);
    }
    if (order.status === "expired") {
      // The hold was released before the money arrived: take the places again if they are still there.
      try {
        for (const stmt of reserveStatements(lines, +1)) await tx.execute(stmt);
      } catch (error) {
        if (!isCapacityViolation(error)) throw error;
        await tx.rollback();
        return refundLatePayment(event, order, festival, lines, donation, paymentIntent, now);
      }
    }
    const issued = await issueTicketTokens(festival, orderId, lines, now, false);
    const statements: InStatement[] = [
      {
        sql: `UPDATE "Order" SET status = 'paid', paidAt = ?, holdExpiresAt = NULL, expiredAt = NULL, stripePaymentIntentId = ?, stripeSessionId = COALESCE(stripeSessionId, ?) WHERE id = ?`,
        args: [sqlDate(now), paymentIntent, session.id, orderId],
      },
      ...issued.statements,
      ...fulfilmentStatements({
        orderId,
        festival: festival as never,
        input: { email: order.email ?? "", donation, paymentMethod: "stripe" },
        lines,
        now,
        locale: isLocale(order.locale) ? order.locale : "en",
        code: order.code,
        accessToken: order.accessToken,
        status: "paid",
      }),
      ...feeStatements(festival.id, orderId, fee, now),
      recordEvent(event, orderId, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    await tx.commit();
    kickEmailWorker();
    return "fulfilled";
  });
}

/**
 * Money arrived after the hold ended and the places are gone (or after the
 * order was cancelled): give it back, and post both entries. Two deliveries
 * at once both refund (Stripe's idempotency key makes that one refund), but only
 * the one that moves the order to "refunded" records it.
 */
async function refundLatePayment(
  event: Stripe.Event,
  order: OrderRow,
  festival: { id: string; currency: string },
  lines: PricedLine[],
  donation: { amountMinor: number; prisonerId?: string } | undefined,
  paymentIntent: string | null,
  now: Date,
): Promise<WebhookOutcome> {
  if (!paymentIntent) throw new Error("late payment without a payment intent");
  await stripe().refunds.create(
    {
      payment_intent: paymentIntent,
      metadata: { order_id: order.id, reason: "sold_out_after_hold" },
    },
    { idempotencyKey: `late-refund-${order.id}` },
  );
  // Stripe keeps its fee on a refunded payment: it is a cost of this order too.
  const fee = await stripeFee(paymentIntent);
  const parts = incomeParts(lines, donation);
  const stripeBalance = {
    festivalId: festival.id,
    currency: festival.currency,
    code: "stripe_balance" as const,
  };
  let recorded = false;
  await writeTransaction(async (tx) => {
    const changed = await tx.execute({
      sql: `UPDATE "Order" SET status = 'refunded', refundedAt = ?, stripePaymentIntentId = ? WHERE id = ? AND status IN ('expired', 'cancelled')`,
      args: [sqlDate(now), paymentIntent, order.id],
    });
    recorded = changed.rowsAffected > 0;
    const statements: InStatement[] = recorded
      ? [
          ...entryStatements({
            id: `order:${order.id}:payment`,
            festivalId: festival.id,
            orderId: order.id,
            kind: "payment",
            at: now,
            postings: moneyInPostings(stripeBalance, parts),
          }),
          ...entryStatements({
            id: `order:${order.id}:refund`,
            festivalId: festival.id,
            orderId: order.id,
            kind: "refund",
            memo: "late payment: the hold had ended",
            at: now,
            postings: moneyOutPostings(stripeBalance, parts),
          }),
          ...feeStatements(festival.id, order.id, fee, now),
          recordEvent(event, order.id, now),
          // An erased order has no address left to write to.
          ...(order.email ? [cancellationEmail(order, now)] : []),
        ]
      : [recordEvent(event, order.id, now)];
    for (const stmt of statements) await tx.execute(stmt);
    await tx.commit();
  });
  if (!recorded) return "duplicate";
  kickEmailWorker();
  return "refunded_late_payment";
}

function cancellationEmail(order: OrderRow, now: Date): InStatement {
  return {
    sql: `INSERT INTO OutboxEmail (id, "to", template, locale, payload, status, attempts, nextAttemptAt, createdAt) VALUES (?, ?, 'order-cancelled', ?, ?, 'pending', 0, ?, ?)`,
    args: [
      randomToken(12),
      order.email ?? "",
      order.locale,
      JSON.stringify({ orderId: order.id }),
      sqlDate(now),
      sqlDate(now),
    ],
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
    const { tickets: lines } = await readLines(tx, orderId);
    for (const stmt of [...reserveStatements(lines, -1), ...extra]) await tx.execute(stmt);
    await tx.commit();
    return true;
  });
}

/**
 * Release every hold that has run out, and expire its Stripe session so the
 * buyer cannot pay for places that are no longer held (a payment that still
 * slips through is refunded by the webhook if the places are gone).
 */
export async function expireDueHolds(now = new Date()) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, stripeSessionId FROM "Order" WHERE status = 'pending' AND holdExpiresAt <= ? LIMIT 200`,
    args: [sqlDate(now)],
  });
  let released = 0;
  for (const r of rows) {
    if (await releaseHold(String(r.id), now)) released++;
    if (r.stripeSessionId && stripeAvailable()) {
      await stripe()
        .checkout.sessions.expire(
          String(r.stripeSessionId),
          {},
          { idempotencyKey: `expire-${String(r.id)}` },
        )
        .catch((e: unknown) =>
          console.warn("could not expire Stripe session:", e instanceof Error ? e.message : e),
        );
    }
  }
  return released;
}

let holdTimer: NodeJS.Timeout | undefined;
export function startHoldExpiryWorker(intervalMs = 15_000) {
  if (holdTimer) return;
  holdTimer = setInterval(
    () => void expireDueHolds().catch((e: unknown) => console.error("hold expiry:", e)),
    intervalMs,
  );
  holdTimer.unref();
}
export function stopHoldExpiryWorker() {
  if (holdTimer) clearInterval(holdTimer);
  holdTimer = undefined;
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
  options: { notify?: boolean } = {},
) {
  const order = await readOrder(sqlClient(), orderId);
  if (!order) throw errorResponse(404, "not_found", "No such order.");
  if (!isCancellable(order.status)) {
    throw errorResponse(
      409,
      "invalid_state",
      `A ${order.status} order cannot be cancelled or refunded.`,
    );
  }
  const refundCard = order.paymentMethod === "stripe" && order.status === "paid";
  if (refundCard) {
    if (!order.stripePaymentIntentId)
      throw errorResponse(409, "invalid_state", "This card order has no payment to refund.");
    try {
      await stripe().refunds.create(
        { payment_intent: order.stripePaymentIntentId, metadata: { order_id: order.id } },
        { idempotencyKey: `refund-${order.id}` },
      );
    } catch (error) {
      console.error("Stripe refund failed:", error instanceof Error ? error.message : error);
      throw errorResponse(
        503,
        "payment_unavailable",
        "Stripe could not refund this payment right now; nothing was changed. Try again later.",
      );
    }
  }
  const newStatus = refundCard ? "refunded" : "cancelled";
  await writeTransaction(async (tx) => {
    const changed = await tx.execute({
      sql: `UPDATE "Order" SET status = ?, ${refundCard ? "refundedAt" : "cancelledAt"} = ?, holdExpiresAt = NULL WHERE id = ? AND status = ?`,
      args: [newStatus, sqlDate(now), order.id, order.status],
    });
    if (changed.rowsAffected === 0)
      throw errorResponse(
        409,
        "invalid_state",
        "The order changed meanwhile; reload and try again.",
      );
    const { tickets: lines } = await readLines(tx, order.id);
    const festival = await readFestival(tx, order.festivalId);
    const statements: InStatement[] = [
      ...reserveStatements(lines, -1),
      {
        sql: `UPDATE Ticket SET status = 'revoked', revokedAt = ? WHERE orderId = ? AND status = 'valid'`,
        args: [sqlDate(now), order.id],
      },
    ];
    // Whatever money the order took in goes back, under the categories and earmarks it came in under.
    statements.push(
      ...entryStatements({
        id: `order:${order.id}:refund`,
        festivalId: festival.id,
        orderId: order.id,
        kind: "refund",
        actorUserId: actor?.id ?? null,
        at: now,
        postings: await orderReversalPostings(tx, order.id),
      }),
    );
    if (order.email && order.status !== "pending" && options.notify !== false)
      statements.push(cancellationEmail(order, now));
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
        console.warn("could not expire Stripe session:", e instanceof Error ? e.message : e),
      );
  }
  await audit({
    actorUserId: actor?.id ?? null,
    action: refundCard ? "order.refund" : "order.cancel",
    targetType: "order",
    targetId: order.id,
    festivalId: order.festivalId,
    details: { amountMinor: order.totalMinor, ...(actor ? {} : { requestedBy: "buyer" }) },
  });
  kickEmailWorker();
  return newStatus;
}

export { HOLD_MINUTES };
