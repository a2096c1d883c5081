// Tattoo bookings changed by their bookers: cancel and reschedule (issue 10).
// Beside app/models/tattoo-booking.server.ts (the views), not in it: the
// emails load those views, and this module reaches the outbox, the checkout's
// item kinds and Stripe — one module would make an import cycle.
//
// The booker changes a booking from the order's secret link (its access token
// is the authority, like the order page), until the cut-off before the slot
// (docs/architecture.md, "Cancelling and moving a tattoo"). A booking keeps the
// terms it was made under (TattooBooking.cancelPolicy / cancelHours, set at
// insert by a trigger; NULL: the festival's current terms).
//
// - Cancel: the slot (and design) go back through the kind's own release
//   (`releaseStatements`, which also withdraws the reminder); the donation is
//   refunded (a card payment: a Stripe refund of exactly that line, asked
//   before the write transaction; a pledge due at the corner: it is simply no
//   longer due) or kept as a donation (a reclassification from the artist's
//   tattoo income to donation income, same earmark), as the terms say.
// - Reschedule: old slot −1, new slot +1 under the CHECK in one transaction
//   (a taken slot: 409 sold_out, nothing moved), the reminder moved with it.
//
// Only bookings that are 'booked' change here. A card order still paying
// ('held') is not cancelled: its hold simply runs out and gives the slot back.
// The registry first: the kinds' modules import it back (a kind module loaded first would find it unfinished).
import {
  kindRefusal,
  releaseStatements,
  reserveStatements,
  type OrderLine,
} from "./item-kinds/index.server";
import { REMINDER_BEFORE_MS, waitingFor } from "./item-kinds/tattoo-slot.server";
import { markPaidWhenSettled } from "./door.server";
import { localDay, withinNotice } from "./tattoo-schedule";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import { z } from "zod";
import { changeStatements } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { kickEmailWorker } from "~/utils/email.server";
import { kickTattooWaitlist } from "./tattoo-waitlist.server";
import { isLocale, type Locale } from "~/utils/i18n";
import { stripe } from "~/utils/stripe.server";
import { moneyMessage } from "~/utils/validation";
import {
  entryExists,
  heldIncome,
  moneyOutStatements,
  settlementOf,
  refundedTotal,
  withBalanceTransaction,
} from "./card-money.server";
import { entryStatements } from "./ledger.server";
import { isCapacityViolation, SoldOutError } from "./order.server";
import { isOrderAccessToken } from "./order-view.server";
import { tattooCategory } from "./tattoo-money";
import { logger } from "~/utils/logger.server";

export type CancelPolicy = "refund" | "keep";

/** What became of a cancelled booking's donation (the email and the API say it). */
export type CancelOutcome =
  /** Given back to the card it came from. */
  | "refunded"
  /** Kept as a donation (income moved from the artist's tattoo category to donations). */
  | "kept"
  /** Nothing had been paid yet (due at the tattoo corner, or nothing to pay): it is no longer due. */
  | "released";

/** Why a booking cannot be changed from the link any more (null: it can). */
export type LockedReason = "not_booked" | "cancel_window_closed" | "festival_cancelled" | null;

type ManagedBooking = {
  orderItemId: string;
  orderId: string;
  festivalId: string;
  artistId: string;
  slotId: string;
  status: string;
  holdsSlot: boolean;
  dueMinor: number;
  reminderEmailId: string | null;
  startsAt: Date;
  policy: CancelPolicy;
  cancelHours: number;
  closesAt: Date;
  line: OrderLine;
  order: {
    id: string;
    status: string;
    paymentMethod: string;
    email: string | null;
    locale: Locale;
    currency: string;
    totalMinor: number;
    stripePaymentIntentId: string | null;
    disputeStatus: string | null;
  };
  festival: { status: string; timezone: string };
};

const MANAGED = `SELECT b.orderItemId, b.orderId, b.festivalId, b.artistId, b.slotId, b.status, b.holdsSlot, b.dueMinor,
    b.reminderEmailId, s.startsAt,
    COALESCE(b.cancelPolicy, f.tattooCancelPolicy) AS policy, COALESCE(b.cancelHours, f.tattooCancelHours) AS cancelHours,
    i.kind, i.quantity, i.unitPriceMinor, i.amountMinor, i.ticketTypeId, i.quotaId, i.prisonerId, i.category,
    o.status AS orderStatus, o.paymentMethod, o.email, o.locale, o.currency, o.totalMinor, o.stripePaymentIntentId,
    o.disputeStatus, f.status AS festivalStatus, f.timezone
  FROM TattooBooking b JOIN "Order" o ON o.id = b.orderId JOIN OrderItem i ON i.id = b.orderItemId
  JOIN TattooSlot s ON s.id = b.slotId JOIN Festival f ON f.id = b.festivalId`;

function managed(r: Record<string, unknown>): ManagedBooking {
  const startsAt = dateFromSql(r.startsAt);
  const cancelHours = Number(r.cancelHours);
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    orderItemId: String(r.orderItemId),
    orderId: String(r.orderId),
    festivalId: String(r.festivalId),
    artistId: String(r.artistId),
    slotId: String(r.slotId),
    status: String(r.status),
    holdsSlot: Number(r.holdsSlot) === 1,
    dueMinor: Number(r.dueMinor),
    reminderEmailId: str(r.reminderEmailId),
    startsAt,
    policy: r.policy === "keep" ? "keep" : "refund",
    cancelHours,
    closesAt: new Date(startsAt.getTime() - cancelHours * 3_600_000),
    line: {
      itemId: String(r.orderItemId),
      kind: String(r.kind),
      quantity: Number(r.quantity),
      unitPriceMinor: Number(r.unitPriceMinor),
      amountMinor: Number(r.amountMinor),
      ticketTypeId: str(r.ticketTypeId),
      quotaId: str(r.quotaId),
      prisonerId: str(r.prisonerId),
      category: str(r.category),
    },
    order: {
      id: String(r.orderId),
      status: String(r.orderStatus),
      paymentMethod: String(r.paymentMethod),
      email: str(r.email),
      locale: isLocale(String(r.locale)) ? (String(r.locale) as Locale) : "en",
      currency: String(r.currency),
      totalMinor: Number(r.totalMinor),
      stripePaymentIntentId: str(r.stripePaymentIntentId),
      disputeStatus: str(r.disputeStatus),
    },
    festival: { status: String(r.festivalStatus), timezone: String(r.timezone) },
  };
}

/** The booking `orderItemId` of the order whose link is `accessToken` (null: no such booking there). */
async function findManaged(db: SqlExecutor, accessToken: string, orderItemId: string) {
  if (!isOrderAccessToken(accessToken) || !/^[A-Za-z0-9_-]{1,64}$/.test(orderItemId)) return null;
  const { rows } = await db.execute({
    sql: `${MANAGED} WHERE o.accessToken = ? AND b.orderItemId = ?`,
    args: [accessToken, orderItemId],
  });
  return rows[0] ? managed(rows[0] as Record<string, unknown>) : null;
}

/** Whether `orderItemId` is a tattoo booking of the order behind `accessToken`. */
export async function isOrderBooking(accessToken: string, orderItemId: string) {
  return (await findManaged(sqlClient(), accessToken, orderItemId)) !== null;
}

async function reread(db: SqlExecutor, orderItemId: string) {
  const { rows } = await db.execute({
    sql: `${MANAGED} WHERE b.orderItemId = ?`,
    args: [orderItemId],
  });
  return managed(rows[0] as Record<string, unknown>);
}

/** Whether the booker may still cancel or move this booking at `now`, and if not why. */
export function lockedReason(b: ManagedBooking, now: Date): LockedReason {
  if (b.festival.status === "cancelled") return "festival_cancelled";
  if (b.status !== "booked" || !b.holdsSlot) return "not_booked";
  if (now.getTime() >= b.closesAt.getTime()) return "cancel_window_closed";
  return null;
}

function refuse(reason: Exclude<LockedReason, null>, b: ManagedBooking): never {
  if (reason === "festival_cancelled")
    throw DomainError.conflict("festival_cancelled", "The festival is cancelled.");
  if (reason === "not_booked")
    throw DomainError.conflict(
      "not_booked",
      b.status === "held"
        ? "This booking is still being paid for; an unfinished card payment simply runs out and gives the slot back."
        : `This booking is ${b.status}: it can no longer be cancelled or moved.`,
    );
  throw DomainError.conflict(
    "cancel_window_closed",
    `Bookings can be cancelled or moved until ${b.cancelHours} hours before the slot; ask at the tattoo corner.`,
  );
}

async function findOrThrow(accessToken: string, orderItemId: string, now: Date) {
  const b = await findManaged(sqlClient(), accessToken, orderItemId);
  // A wrong token, or a booking of another order: nothing to say about it.
  if (!b) throw DomainError.notFound("No such booking.");
  const reason = lockedReason(b, now);
  if (reason) refuse(reason, b);
  return b;
}

/** How much of the line's money the order still holds (its category and earmark, its currency). */
async function lineMoneyHeld(db: SqlExecutor, b: ManagedBooking) {
  const category = b.line.category ?? tattooCategory(b.artistId);
  const held = (await heldIncome(db, b.orderId, b.order.currency))
    .filter((p) => p.category === category && (p.prisonerId ?? null) === b.line.prisonerId)
    .reduce((s, p) => s + p.amountMinor, 0);
  return Math.max(0, Math.min(held, b.line.amountMinor));
}

const paidByCard = (b: ManagedBooking) =>
  b.order.paymentMethod === "stripe" &&
  b.order.status === "paid" &&
  !!b.order.stripePaymentIntentId;

/** What cancelling would do with the donation, as the order page states it before the booker confirms. */
async function cancelPlan(db: SqlExecutor, b: ManagedBooking) {
  const held = await lineMoneyHeld(db, b);
  if (held === 0) return { outcome: "released" as const, amountMinor: b.dueMinor };
  if (b.policy === "keep") return { outcome: "kept" as const, amountMinor: held };
  // Cash taken at the corner cannot go back through a link: the corner gives it back.
  if (!paidByCard(b)) return { outcome: "ask_the_corner" as const, amountMinor: held };
  return { outcome: "refunded" as const, amountMinor: held };
}

/** What a refund took from Stripe's balance, if it was settled in another currency. */
function bt(refund: Stripe.Refund) {
  const settled = settlementOf(refund.balance_transaction);
  return settled ? { currency: settled.currency, amountMinor: -settled.amountMinor } : null;
}

/**
 * Statements that settle the order after one of its bookings is given up: a card
 * order refunded in full is 'refunded'; a door order that holds nothing live any
 * more (no valid ticket, no other booking, no pledge) and took no money is
 * 'cancelled'; a door order that owes nothing any more is 'paid' (as at the door:
 * nothing due on tickets, bookings or the pledged donation).
 */
async function orderAfterStatements(
  tx: SqlExecutor,
  b: ManagedBooking,
  refundedMinor: number,
  now: Date,
): Promise<InStatement[]> {
  const at = sqlDate(now);
  // What the order still holds besides this booking: valid tickets, other standing bookings.
  const othersLive = `NOT EXISTS (SELECT 1 FROM Ticket WHERE orderId = ?1 AND status = 'valid')
      AND NOT EXISTS (SELECT 1 FROM TattooBooking WHERE orderId = ?1 AND orderItemId <> ?2 AND status IN ('held', 'booked', 'done'))`;
  if (b.order.status === "paid" && b.order.paymentMethod === "stripe") {
    const refunded = (await refundedTotal(tx, b.orderId, b.order.currency)) + refundedMinor;
    // All its money went back and nothing of it stands (a free booking may): refunded.
    return refunded >= b.order.totalMinor
      ? [
          {
            sql: `UPDATE "Order" SET status = 'refunded', refundedAt = ?3 WHERE id = ?1 AND status = 'paid'
                    AND ${othersLive}`,
            args: [b.orderId, b.orderItemId, at],
          },
        ]
      : [];
  }
  if (b.order.status !== "confirmed") return [];
  return [
    {
      sql: `UPDATE "Order" SET status = 'cancelled', cancelledAt = ?3 WHERE id = ?1 AND status = 'confirmed'
              AND ${othersLive}
              AND NOT EXISTS (SELECT 1 FROM OrderItem WHERE orderId = ?1 AND kind = 'donation' AND amountMinor > 0)
              AND NOT EXISTS (SELECT 1 FROM LedgerEntry WHERE orderId = ?1)`,
      args: [b.orderId, b.orderItemId, at],
    },
    // Otherwise paid once nothing is due any more (the door's one rule).
    markPaidWhenSettled(b.orderId, now),
  ];
}

/**
 * The booker cancels a booking (before the cut-off). Refused: 404 for a wrong
 * token or another order's line; 409 `not_booked`, `cancel_window_closed`,
 * `festival_cancelled`, `paid_in_cash` (refund terms, cash taken at the corner:
 * the corner gives it back), `disputed`; 503 when Stripe cannot refund now
 * (nothing changed). The Stripe refund is made before the write transaction,
 * under an idempotency key of the line, so a retry refunds once.
 */
export async function cancelTattooBooking({
  accessToken,
  orderItemId,
  now = new Date(),
}: {
  accessToken: string;
  orderItemId: string;
  now?: Date;
}) {
  const b = await findOrThrow(accessToken, orderItemId, now);
  const plan = await cancelPlan(sqlClient(), b);
  if (plan.outcome === "ask_the_corner")
    throw DomainError.conflict(
      "paid_in_cash",
      "This donation was paid in cash at the tattoo corner: ask there to cancel and have it given back.",
    );
  let refund: Stripe.Refund | null = null;
  if (plan.outcome === "refunded") {
    if (b.order.disputeStatus === "open" || b.order.disputeStatus === "lost")
      throw DomainError.conflict(
        "disputed",
        "This card payment is disputed: Stripe decides what goes back; ask the organisers.",
      );
    try {
      refund = await stripe().refunds.create(
        {
          payment_intent: b.order.stripePaymentIntentId!,
          amount: plan.amountMinor,
          metadata: {
            order_id: b.orderId,
            order_item_id: b.orderItemId,
            reason: "tattoo_cancelled",
          },
        },
        { idempotencyKey: `tattoo-cancel-${b.orderItemId}` },
      );
    } catch (error) {
      logger.error({ err: error }, "Stripe refund failed");
      throw new DomainError(
        503,
        "payment_unavailable",
        "Stripe did not confirm the card refund; the booking is unchanged here. Try again in a moment: a repeat never refunds twice.",
        { headers: { "Retry-After": "30" } },
      );
    }
    refund = await withBalanceTransaction(refund);
  }
  const outcome: CancelOutcome = plan.outcome;
  const category = b.line.category ?? tattooCategory(b.artistId);
  const ctx = { festivalId: b.festivalId, orderId: b.orderId, currency: b.order.currency, at: now };
  const amountMinor = refund ? refund.amount : plan.amountMinor;
  const records = changeStatements(
    {
      audit: {
        actorUserId: null,
        action: "tattoo.booking.cancel",
        targetType: "tattooBooking",
        targetId: b.orderItemId,
        festivalId: b.festivalId,
        details: {
          requestedBy: "booker",
          orderId: b.orderId,
          slotId: b.slotId,
          artistId: b.artistId,
          outcome,
          amountMinor,
          policy: b.policy,
        },
      },
      emails: b.order.email
        ? {
            to: b.order.email,
            template: "tattoo-cancelled",
            locale: b.order.locale,
            data: {
              orderId: b.orderId,
              orderItemId: b.orderItemId,
              outcome,
              amountMinor,
              currency: b.order.currency,
            },
          }
        : [],
    },
    now,
  );
  await writeTransaction(async (tx) => {
    const current = await reread(tx, b.orderItemId);
    const refundKey = refund ? `stripe:refund:${refund.id}` : null;
    // The refund of exactly this line, under its category and earmark (once: keyed by Stripe's id).
    const refundEntry =
      refund && refundKey && !(await entryExists(tx, refundKey))
        ? moneyOutStatements(
            ctx,
            refundKey,
            "refund",
            [{ category, prisonerId: b.line.prisonerId, amountMinor: refund.amount }],
            "refunds",
            "stripe_balance",
            bt(refund),
            "tattoo booking cancelled by the booker",
          )
        : [];
    if (current.status !== "booked" || !current.holdsSlot) {
      // Given up meanwhile (a concurrent cancel with the same refund, or the organisers'
      // cancellation). Money that left Stripe for this line is still posted, exactly.
      if (refund) {
        for (const stmt of refundEntry) await tx.execute(stmt);
        return;
      }
      throw DomainError.conflict("changed", "The booking changed meanwhile; reload the page.");
    }
    const statements: InStatement[] = [
      ...releaseStatements([b.line], {
        orderId: b.orderId,
        now,
        reason: outcome === "refunded" ? "refunded" : "cancelled",
      }),
      ...refundEntry,
    ];
    if (outcome === "kept") {
      const kept = await lineMoneyHeld(tx, current);
      const income = {
        festivalId: b.festivalId,
        currency: b.order.currency,
        code: "income" as const,
      };
      if (kept > 0)
        statements.push(
          ...entryStatements({
            id: `tattoo:${b.orderItemId}:kept`,
            festivalId: b.festivalId,
            orderId: b.orderId,
            kind: "reclassification",
            memo: "tattoo booking cancelled: its donation kept as a donation",
            at: now,
            postings: [
              {
                account: { ...income, category, prisonerId: b.line.prisonerId },
                amountMinor: kept,
              },
              {
                account: { ...income, category: "donation", prisonerId: b.line.prisonerId },
                amountMinor: -kept,
              },
            ],
          }),
        );
    }
    statements.push(...(await orderAfterStatements(tx, current, refund?.amount ?? 0, now)));
    statements.push(...records);
    for (const stmt of statements) await tx.execute(stmt);
  });
  // The freed slot goes to the first in its waitlist.
  kickEmailWorker();
  kickTattooWaitlist();
  return {
    orderItemId: b.orderItemId,
    status: outcome === "refunded" ? "refunded" : "cancelled",
    outcome,
    amountMinor,
  };
}

type TargetSlot = {
  id: string;
  festivalId: string;
  artistId: string;
  startsAt: Date;
  endsAt: Date;
  minDonationMinor: number;
  minNoticeMinutes: number;
  status: string;
  reserved: number;
};

async function readSlot(db: SqlExecutor, slotId: string): Promise<TargetSlot | null> {
  const { rows } = await db.execute({
    sql: `SELECT id, festivalId, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, status, reserved
          FROM TattooSlot WHERE id = ?`,
    args: [slotId],
  });
  const r = rows[0];
  return r
    ? {
        id: String(r.id),
        festivalId: String(r.festivalId),
        artistId: String(r.artistId),
        startsAt: dateFromSql(r.startsAt),
        endsAt: dateFromSql(r.endsAt),
        minDonationMinor: Number(r.minDonationMinor),
        minNoticeMinutes: Number(r.minNoticeMinutes),
        status: String(r.status),
        reserved: Number(r.reserved),
      }
    : null;
}

/** The field error for moving booking `b` to `slot` at `now`, or null when it may go there. */
async function moveRefusal(db: SqlExecutor, b: ManagedBooking, slot: TargetSlot | null, now: Date) {
  if (!slot || slot.festivalId !== b.festivalId || slot.status !== "open")
    return "v.unknownTattooSlot";
  if (slot.artistId !== b.artistId) return "v.tattooOtherArtist";
  if (slot.id === b.slotId) return "v.tattooSameSlot";
  if (slot.startsAt <= now) return "v.tattooSlotPast";
  if (!withinNotice(slot, now)) return "v.tattooSlotTooSoon";
  if (slot.minDonationMinor > b.line.amountMinor)
    return moneyMessage("v.tattooMoveMinimum", slot.minDonationMinor, b.order.currency);
  // People waiting for the artist's day come first (as at checkout).
  if (
    slot.reserved === 0 &&
    (await waitingFor(db, slot.artistId, localDay(slot.startsAt, b.festival.timezone))) > 0
  )
    return "v.tattooSlotForWaitlist";
  return null;
}

export const rescheduleInput = z
  .object({
    slotId: z
      .string({ error: "v.unknownTattooSlot" })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "v.unknownTattooSlot" }),
  })
  .strict();

/**
 * The booker moves a booking to another free slot of the same artist (before
 * the cut-off of the current one). In one transaction: the old slot (and
 * design) given back, the booking moved, the new slot taken under the CHECK —
 * taken meanwhile: 409 sold_out and nothing moved. The old reminder is
 * withdrawn and a new one queued for the day before the new slot; an email
 * tells the new time. 422 (field `slotId`) for a slot that is unknown, of
 * another artist or festival, the same, past, too soon, asking a larger
 * minimum donation than was pledged, or held for the waitlist.
 */
export async function rescheduleTattooBooking({
  accessToken,
  orderItemId,
  slotId,
  now = new Date(),
}: {
  accessToken: string;
  orderItemId: string;
  slotId: string;
  now?: Date;
}) {
  const b = await findOrThrow(accessToken, orderItemId, now);
  const early = await moveRefusal(sqlClient(), b, await readSlot(sqlClient(), slotId), now);
  if (early) throw new FieldRulesError({ slotId: early });
  const reminderId = randomToken(12);
  let target: TargetSlot;
  try {
    target = await writeTransaction(async (tx) => {
      const current = await reread(tx, b.orderItemId);
      const reason = lockedReason(current, now);
      if (reason) refuse(reason, current);
      if (current.slotId !== b.slotId)
        throw DomainError.conflict("changed", "The booking was moved meanwhile; reload the page.");
      const slot = await readSlot(tx, slotId);
      const refused = await moveRefusal(tx, current, slot, now);
      if (refused) throw new FieldRulesError({ slotId: refused });
      const sendAt = new Date(slot!.startsAt.getTime() - REMINDER_BEFORE_MS);
      const remind = b.order.email && sendAt > now;
      const statements: InStatement[] = [
        // The old slot and design go back, the booking moves, then takes the new slot (CHECK).
        ...reserveStatements([b.line], -1),
        {
          sql: `UPDATE TattooBooking SET slotId = ?, reminderEmailId = ?, updatedAt = ? WHERE orderItemId = ?`,
          args: [slot!.id, remind ? reminderId : null, sqlDate(now), b.orderItemId],
        },
        ...reserveStatements([b.line], +1),
        {
          sql: `UPDATE OutboxEmail SET status = 'cancelled' WHERE id = ? AND status = 'pending'`,
          args: [current.reminderEmailId ?? ""],
        },
        ...changeStatements(
          {
            audit: {
              actorUserId: null,
              action: "tattoo.booking.reschedule",
              targetType: "tattooBooking",
              targetId: b.orderItemId,
              festivalId: b.festivalId,
              details: {
                requestedBy: "booker",
                orderId: b.orderId,
                artistId: b.artistId,
                fromSlotId: current.slotId,
                toSlotId: slot!.id,
              },
            },
            emails: b.order.email
              ? [
                  {
                    to: b.order.email,
                    template: "tattoo-moved",
                    locale: b.order.locale,
                    data: {
                      orderId: b.orderId,
                      orderItemId: b.orderItemId,
                      fromStartsAt: current.startsAt.toISOString(),
                    },
                  },
                  ...(remind
                    ? [
                        {
                          id: reminderId,
                          to: b.order.email,
                          template: "tattoo-reminder" as const,
                          locale: b.order.locale,
                          data: { orderId: b.orderId, orderItemId: b.orderItemId },
                          sendAt,
                        },
                      ]
                    : []),
                ]
              : [],
          },
          now,
        ),
      ];
      for (const stmt of statements) await tx.execute(stmt);
      return slot!;
    });
  } catch (error) {
    if (isCapacityViolation(error)) throw new SoldOutError();
    const refused = kindRefusal(error);
    if (refused) throw refused;
    throw error;
  }
  // The freed (old) slot goes to the first in its waitlist.
  kickEmailWorker();
  kickTattooWaitlist();
  return {
    orderItemId: b.orderItemId,
    slotId: target.id,
    startsAt: target.startsAt.toISOString(),
    endsAt: target.endsAt.toISOString(),
  };
}

export type ManageView = {
  orderItemId: string;
  status: string;
  artistName: string;
  startsAt: string;
  endsAt: string;
  policy: CancelPolicy;
  cancelHours: number;
  closesAt: string;
  locked: LockedReason;
  /** What cancelling does with the donation now. */
  plan: { outcome: CancelOutcome | "ask_the_corner"; amountMinor: number };
  /** Free slots of the same artist it may move to. */
  slots: { id: string; startsAt: string; endsAt: string }[];
};

/** For the order page: per booking of the order, whether and how it can be cancelled or moved. */
export async function tattooManageViews(
  accessToken: string,
  now = new Date(),
): Promise<ManageView[]> {
  if (!isOrderAccessToken(accessToken)) return [];
  const db = sqlClient();
  const { rows } = await db.execute({
    sql: `SELECT m.*, a.name AS artistName, s.endsAt FROM (${MANAGED} WHERE o.accessToken = ?) m
          JOIN TattooArtist a ON a.id = m.artistId JOIN TattooSlot s ON s.id = m.slotId ORDER BY m.startsAt`,
    args: [accessToken],
  });
  const views: ManageView[] = [];
  for (const row of rows) {
    const b = managed(row as Record<string, unknown>);
    const locked = lockedReason(b, now);
    const slots: ManageView["slots"] = [];
    if (!locked) {
      const free = await db.execute({
        sql: `SELECT id FROM TattooSlot WHERE artistId = ? AND festivalId = ? AND status = 'open' AND reserved = 0
                AND id <> ? AND startsAt > ? AND minDonationMinor <= ? ORDER BY startsAt LIMIT 200`,
        args: [b.artistId, b.festivalId, b.slotId, sqlDate(now), b.line.amountMinor],
      });
      for (const f of free.rows) {
        const slot = await readSlot(db, String(f.id));
        if (slot && !(await moveRefusal(db, b, slot, now)))
          slots.push({
            id: slot.id,
            startsAt: slot.startsAt.toISOString(),
            endsAt: slot.endsAt.toISOString(),
          });
        if (slots.length >= 50) break;
      }
    }
    views.push({
      orderItemId: b.orderItemId,
      status: b.status,
      artistName: String(row.artistName),
      startsAt: b.startsAt.toISOString(),
      endsAt: dateFromSql(row.endsAt).toISOString(),
      policy: b.policy,
      cancelHours: b.cancelHours,
      closesAt: b.closesAt.toISOString(),
      locked,
      plan: locked ? { outcome: "released", amountMinor: 0 } : await cancelPlan(db, b),
      slots,
    });
  }
  return views;
}
