// Giving everything back once a festival is cancelled: every order that still
// holds money or places (pending, confirmed, paid) is cancelled or refunded by
// `cancelOrRefundOrder`, one order at a time — each its own transaction, each
// card refund its own Stripe call made outside any write transaction — so one
// failing order (Stripe down) stays as it is and is reported while the others
// go through. Running it again only does what is left. Cancelling the festival
// itself (`changeFestivalStatus`) stays quick and never waits on Stripe: this
// is the organiser's explicit second step (docs/operations.md).
import type { CurrentUser } from "~/utils/auth.server";
import { audit } from "~/utils/change.server";
import { sqlClient } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { withLease } from "~/utils/lease.server";
import { can } from "~/utils/permissions.server";
import { doorCashTaken, type CashChoice } from "./cash.server";
import { isCancellable } from "./choices";
import { cancelOrRefundOrder } from "./payment.server";
import { logger } from "~/utils/logger.server";

export type FestivalRefundOutcome = {
  /** Orders cancelled (door, free, pending card orders; door cash returned or kept as chosen). */
  cancelled: number;
  /** Card orders refunded through Stripe. */
  refunded: number;
  /** Orders that could not be cancelled this time (they are unchanged; run again later). */
  failed: string[];
};

/** The orders of a festival that still can be cancelled or refunded, oldest first. */
async function openOrders(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id FROM "Order"
          WHERE festivalId = ? AND status IN ('pending', 'confirmed', 'paid')
          ORDER BY createdAt, id`,
    args: [festivalId],
  });
  return rows.map((r) => String(r.id));
}

/**
 * What a cancelled festival's open orders still hold, for its admin pages, in
 * one query: how many orders are open, the money they took in and still hold
 * (minor units, in the order's currency: card payments, door cash; fees aside,
 * as in `orderAssets`) and how many took door cash (then the organiser must
 * choose what happens to it).
 */
export async function festivalRefundsDue(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT COUNT(*) AS orders, COALESCE(SUM(held), 0) AS heldMinor,
                 COALESCE(SUM(cash > 0), 0) AS cashOrders
          FROM (SELECT o.id,
                  (SELECT COALESCE(SUM(p.amountMinor), 0) FROM LedgerEntry e
                     JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
                   WHERE e.orderId = o.id AND a.type = 'asset' AND p.currency = o.currency
                     AND e.kind NOT IN ('processing_fee', 'currency_exchange', 'unmatched_payment')) AS held,
                  (SELECT COALESCE(SUM(p.amountMinor), 0) FROM LedgerEntry e
                     JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
                   WHERE e.orderId = o.id AND a.code = 'door_cash'
                     AND e.kind NOT IN ('processing_fee', 'currency_exchange', 'unmatched_payment')) AS cash
                FROM "Order" o
                WHERE o.festivalId = ? AND o.status IN ('pending', 'confirmed', 'paid'))`,
    args: [festivalId],
  });
  const r = rows[0]!;
  return {
    orders: Number(r.orders),
    heldMinor: Number(r.heldMinor),
    cashOrders: Number(r.cashOrders),
  };
}

/**
 * Cancel or refund every open order of a cancelled festival (`festival:edit`).
 * `cash` is the organiser's choice for orders that took door cash: required
 * when any did (422 `cash_choice_required`, nothing changed), ignored for the
 * others. 409 unless the festival is cancelled. One audit row per order (from
 * `cancelOrRefundOrder`) and one summary row `festival.refund_all`.
 */
export async function cancelFestivalOrders(
  actor: CurrentUser,
  festivalId: string,
  options: { cash?: CashChoice } = {},
  now = new Date(),
): Promise<FestivalRefundOutcome> {
  // Routes check first; the domain refuses too, with a DomainError (404 for a stranger, as routes do).
  if (!can(actor, "festival:edit", festivalId))
    throw can(actor, "festival:view", festivalId)
      ? DomainError.forbidden("You do not have permission to do this.")
      : DomainError.notFound();
  const { rows } = await sqlClient().execute({
    sql: "SELECT status FROM Festival WHERE id = ?",
    args: [festivalId],
  });
  if (!rows[0]) throw DomainError.notFound("No such festival.");
  if (rows[0].status !== "cancelled")
    throw DomainError.conflict(
      "invalid_state",
      "Only a cancelled festival's orders are cancelled and refunded all at once.",
    );
  // One run per festival at a time, across every app process (decision 0038): a second
  // run, here or in another process, is refused while the first holds the lease; a run
  // whose process died is taken over once its lease runs out.
  const run = await withLease(`refund-all:${festivalId}`, (lease) =>
    refundAll(actor, festivalId, options, now, lease),
  );
  if (!run.acquired)
    throw DomainError.conflict(
      "refund_all_running",
      "The orders of this festival are being refunded right now; wait for that to finish.",
    );
  return run.value;
}

async function refundAll(
  actor: CurrentUser,
  festivalId: string,
  options: { cash?: CashChoice },
  now: Date,
  lease: { held: () => boolean },
): Promise<FestivalRefundOutcome> {
  const orders = await openOrders(festivalId);
  const cashTaken = new Map<string, number>();
  for (const id of orders) cashTaken.set(id, await doorCashTaken(sqlClient(), id));
  // Checked before the first order: a missing choice changes nothing at all.
  if (!options.cash && [...cashTaken.values()].some((taken) => taken > 0))
    throw new DomainError(
      422,
      "cash_choice_required",
      "Cash was taken at the door for some of these orders: say whether it is returned to the buyers or kept as donations.",
      { fields: { cash: "v.cashChoice" } },
    );
  const outcome: FestivalRefundOutcome = { cancelled: 0, refunded: 0, failed: [] };
  for (const [index, id] of orders.entries()) {
    // The lease could not be renewed: another run may start, so this one stops here
    // and leaves the rest unchanged for the next run.
    if (!lease.held()) {
      outcome.failed.push(...orders.slice(index));
      break;
    }
    try {
      const status = await cancelOrRefundOrder(actor, id, now, {
        cash: (cashTaken.get(id) ?? 0) > 0 ? options.cash : undefined,
      });
      if (status === "refunded") outcome.refunded++;
      else outcome.cancelled++;
    } catch (error) {
      // Done meanwhile by someone else (a webhook, another organiser): nothing left to do.
      const { rows: left } = await sqlClient().execute({
        sql: `SELECT status FROM "Order" WHERE id = ?`,
        args: [id],
      });
      if (left[0] && !isCancellable(String(left[0].status))) continue;
      logger.error({ err: error, orderId: id }, "refund-all: order stays open");
      outcome.failed.push(id);
    }
  }
  await audit(
    {
      actorUserId: actor.id,
      action: "festival.refund_all",
      targetType: "festival",
      targetId: festivalId,
      festivalId,
      details: {
        cancelled: outcome.cancelled,
        refunded: outcome.refunded,
        failed: outcome.failed,
        ...(options.cash ? { cash: options.cash } : {}),
      },
    },
    sqlClient(),
  );
  return outcome;
}
