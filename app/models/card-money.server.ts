// Card money in the ledger (docs/architecture.md, "Card money"): what Stripe's
// balance transactions say arrived and left, posted exactly.
//
// - A payment is posted in the order's currency (`order:<id>:payment`). If
//   Stripe settled it in another currency, the conversion is its own entry
//   (`…:fx`) through one `currency_exchange` account per currency, and Stripe's
//   fee is posted in the settlement currency (`…:fee`).
// - Money out (a refund, a lost dispute) is posted in the order's currency under
//   the category and earmark it came in under; if Stripe took it from a balance
//   in another currency, the conversion back is again its own entry.
// - Every Stripe-side entry is keyed by Stripe's own id (`stripe:refund:<re_…>`,
//   `stripe:dispute:<dp_…>:<phase>`), so our refund and its `charge.refunded`
//   webhook post once, whichever arrives first.
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import { randomToken } from "~/utils/crypto.server";
import { stripe } from "~/utils/stripe.server";
import { dateFromSql, sqlClient, sqlDate, type SqlExecutor } from "~/utils/db.server";
import {
  entryStatements,
  orderNetIncome,
  type AccountCode,
  type EntryKind,
  type IncomePart,
  type Posting,
} from "./ledger.server";
import { logger } from "~/utils/logger.server";

/** What one of Stripe's balance transactions says: amount and fee in the settlement currency. */
export type Settlement = {
  currency: string;
  /** Signed as Stripe has it: positive for a charge, negative for a refund or a dispute's withdrawal. */
  amountMinor: number;
  feeMinor: number;
  exchangeRate: number | null;
};

/** Read a balance transaction Stripe sent expanded; null if it is missing or not one. */
export function settlementOf(bt: unknown): Settlement | null {
  if (!bt || typeof bt !== "object") return null;
  const b = bt as Partial<Stripe.BalanceTransaction>;
  if (
    !Number.isSafeInteger(b.amount) ||
    !Number.isSafeInteger(b.fee) ||
    typeof b.currency !== "string" ||
    !/^[a-z]{3}$/i.test(b.currency)
  )
    return null;
  return {
    currency: b.currency.toUpperCase(),
    amountMinor: b.amount!,
    feeMinor: b.fee!,
    exchangeRate: typeof b.exchange_rate === "number" ? b.exchange_rate : null,
  };
}

/** Where an entry belongs: the festival, the order and its currency. */
export type CardContext = {
  festivalId: string;
  orderId: string;
  /** The order's (charge's) currency. */
  currency: string;
  at: Date;
  actorUserId?: string | null;
};

type Amount = { currency: string; amountMinor: number };

function account(ctx: CardContext, currency: string, code: AccountCode) {
  return { festivalId: ctx.festivalId, currency, code };
}

function entry(
  ctx: CardContext,
  id: string,
  kind: EntryKind,
  postings: Posting[],
  memo?: string,
): InStatement[] {
  return entryStatements({
    id,
    festivalId: ctx.festivalId,
    orderId: ctx.orderId,
    kind,
    actorUserId: ctx.actorUserId ?? null,
    memo: memo ?? null,
    at: ctx.at,
    postings,
  });
}

/**
 * A conversion as its own entry: `from` leaves the asset in one currency and
 * `to` arrives in the other; each currency balances through its own
 * `currency_exchange` account.
 */
function conversionStatements(
  ctx: CardContext,
  id: string,
  asset: "stripe_balance" | "stripe_disputed",
  from: Amount,
  to: Amount,
): InStatement[] {
  if (from.currency === to.currency || from.amountMinor <= 0 || to.amountMinor <= 0) return [];
  return entry(
    ctx,
    id,
    "currency_exchange",
    [
      { account: account(ctx, from.currency, asset), amountMinor: -from.amountMinor },
      { account: account(ctx, from.currency, "currency_exchange"), amountMinor: from.amountMinor },
      { account: account(ctx, to.currency, asset), amountMinor: to.amountMinor },
      { account: account(ctx, to.currency, "currency_exchange"), amountMinor: -to.amountMinor },
    ],
    `${from.currency} to ${to.currency}`,
  );
}

/**
 * After a charge was posted (in `charged`'s currency, under `prefix`): the
 * conversion to what Stripe settled (`prefix:fx`) and Stripe's fee in the
 * settlement currency (`prefix:fee`). Nothing when Stripe could not tell us.
 */
export function chargeSettlementStatements(
  ctx: CardContext,
  prefix: string,
  charged: Amount,
  settlement: Settlement | null,
): InStatement[] {
  if (!settlement) return [];
  const statements = conversionStatements(ctx, `${prefix}:fx`, "stripe_balance", charged, {
    currency: settlement.currency,
    amountMinor: settlement.amountMinor,
  });
  if (settlement.feeMinor > 0)
    statements.push(
      ...entry(ctx, `${prefix}:fee`, "processing_fee", [
        {
          account: account(ctx, settlement.currency, "processing_fees"),
          amountMinor: settlement.feeMinor,
        },
        {
          account: account(ctx, settlement.currency, "stripe_balance"),
          amountMinor: -settlement.feeMinor,
        },
      ]),
    );
  return statements;
}

const rank = (p: IncomePart) =>
  p.category === "ticket" ? 0 : p.category !== "donation" ? 1 : p.prisonerId ? 3 : 2;

/**
 * Which income a partial refund (or chargeback) gives back, from what the order
 * still holds: tickets first, then other items, then unearmarked donations, and
 * earmarked donations last — money meant for a prisoner is the last to go.
 * An amount of all that is held (or more) gives back everything. A refund of
 * one line (`first`: a cancelled tattoo) takes that line's category and
 * earmark before anything else.
 */
export function allocateOut(
  held: IncomePart[],
  amountMinor: number,
  first?: Pick<IncomePart, "category" | "prisonerId"> | null,
): IncomePart[] {
  let left = amountMinor;
  const out: IncomePart[] = [];
  const isFirst = (p: IncomePart) =>
    first != null &&
    p.category === first.category &&
    (p.prisonerId ?? null) === (first.prisonerId ?? null);
  const ordered = [...held].sort(
    (a, b) =>
      Number(isFirst(b)) - Number(isFirst(a)) ||
      rank(a) - rank(b) ||
      a.category.localeCompare(b.category) ||
      (a.prisonerId ?? "").localeCompare(b.prisonerId ?? ""),
  );
  for (const part of ordered) {
    if (left <= 0) break;
    const take = Math.min(left, part.amountMinor);
    if (take > 0)
      out.push({ category: part.category, prisonerId: part.prisonerId ?? null, amountMinor: take });
    left -= take;
  }
  return out;
}

/**
 * Money out of Stripe, in the order's currency, under each part's category and
 * earmark (`refunds` or `chargebacks`), from `from`. If Stripe took it from a
 * balance in another currency (`settled`), the conversion back is `id:fx`.
 */
export function moneyOutStatements(
  ctx: CardContext,
  id: string,
  kind: EntryKind,
  parts: IncomePart[],
  code: "refunds" | "chargebacks",
  from: "stripe_balance" | "stripe_disputed",
  settled: Amount | null,
  memo?: string,
): InStatement[] {
  const total = parts.reduce((s, p) => s + p.amountMinor, 0);
  if (total <= 0) return [];
  const postings: Posting[] = parts.map((p) => ({
    account: {
      festivalId: ctx.festivalId,
      currency: ctx.currency,
      code,
      category: p.category,
      prisonerId: p.prisonerId ?? null,
    },
    amountMinor: p.amountMinor,
  }));
  postings.push({ account: account(ctx, ctx.currency, from), amountMinor: -total });
  return [
    ...entry(ctx, id, kind, postings, memo),
    ...(settled
      ? conversionStatements(ctx, `${id}:fx`, from, settled, {
          currency: ctx.currency,
          amountMinor: total,
        })
      : []),
  ];
}

/** What an order still holds in its own currency, per category and earmark. */
export async function heldIncome(db: SqlExecutor, orderId: string, currency: string) {
  return (await orderNetIncome(db, orderId)).filter((p) => p.currency === currency);
}

/** What refunds gave back of an order so far, in its currency (chargebacks are not refunds). */
export async function refundedTotal(db: SqlExecutor, orderId: string, currency: string) {
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(SUM(p.amountMinor), 0) AS total FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id
          JOIN LedgerAccount a ON a.id = p.accountId WHERE e.orderId = ? AND a.code = 'refunds' AND p.currency = ?`,
    args: [orderId, currency],
  });
  return Number(rows[0]?.total ?? 0);
}

export async function entryExists(db: SqlExecutor, id: string) {
  const { rows } = await db.execute({ sql: "SELECT 1 FROM LedgerEntry WHERE id = ?", args: [id] });
  return rows.length > 0;
}

/**
 * The entries of one Stripe refund (`stripe:refund:<re_…>`): what the order
 * still holds, allocated (allocateOut), out of money at Stripe. Our own refunds
 * and the `charge.refunded` webhook both post through here, so it posts once.
 */
export async function stripeRefundStatements(
  db: SqlExecutor,
  ctx: CardContext,
  refund: Pick<Stripe.Refund, "id" | "amount" | "balance_transaction"> & {
    metadata?: Stripe.Metadata | null;
  },
  memo?: string,
): Promise<InStatement[]> {
  const id = `stripe:refund:${refund.id}`;
  if (await entryExists(db, id)) return [];
  // Our refund of one line (a cancelled tattoo) names it: its money goes back first,
  // whether this or the line's own cancellation posts the refund.
  const lineId = refund.metadata?.order_item_id;
  const line = lineId
    ? (
        await db.execute({
          sql: "SELECT category, prisonerId FROM OrderItem WHERE id = ? AND orderId = ? AND category IS NOT NULL",
          args: [lineId, ctx.orderId],
        })
      ).rows[0]
    : undefined;
  const parts = allocateOut(
    await heldIncome(db, ctx.orderId, ctx.currency),
    refund.amount,
    line
      ? {
          category: String(line.category),
          prisonerId: line.prisonerId === null ? null : String(line.prisonerId),
        }
      : null,
  );
  const bt = settlementOf(refund.balance_transaction);
  return moneyOutStatements(
    ctx,
    id,
    "refund",
    parts,
    "refunds",
    "stripe_balance",
    bt ? { currency: bt.currency, amountMinor: -bt.amountMinor } : null,
    memo,
  );
}

// ---------------------------------------------------------------- payment problems

export type PaymentProblem = {
  kind: "amount_mismatch";
  stripeEventId: string;
  expectedMinor: number;
  expectedCurrency: string;
  receivedMinor: number;
  receivedCurrency: string;
  createdAt: string;
};

/**
 * A paid session whose amount or currency is not the order's: the problem is
 * recorded (no personal data) and the money that did arrive is booked as owed
 * back, not as income: Dr stripe_balance / Cr unmatched_payments, then its
 * conversion and Stripe's fee like any charge.
 */
export function paymentMismatchStatements(
  ctx: CardContext,
  args: {
    eventId: string;
    paymentIntentId: string | null;
    expected: Amount;
    received: Amount;
    settlement: Settlement | null;
  },
): InStatement[] {
  const { received } = args;
  const validCurrency = /^[A-Z]{3}$/.test(received.currency);
  const statements: InStatement[] = [
    {
      sql: `INSERT OR IGNORE INTO PaymentProblem (id, festivalId, orderId, stripeEventId, stripePaymentIntentId, kind,
              expectedMinor, expectedCurrency, receivedMinor, receivedCurrency, createdAt)
            VALUES (?, ?, ?, ?, ?, 'amount_mismatch', ?, ?, ?, ?, ?)`,
      args: [
        randomToken(12),
        ctx.festivalId,
        ctx.orderId,
        args.eventId,
        args.paymentIntentId,
        args.expected.amountMinor,
        args.expected.currency,
        Number.isSafeInteger(received.amountMinor) ? received.amountMinor : 0,
        // "XXX": ISO 4217's "no currency", for a session without a readable one.
        validCurrency ? received.currency : "XXX",
        sqlDate(ctx.at),
      ],
    },
  ];
  if (!validCurrency || !Number.isSafeInteger(received.amountMinor) || received.amountMinor <= 0)
    return statements;
  const prefix = `stripe:unmatched:${args.paymentIntentId ?? args.eventId}`;
  statements.push(
    ...entry(
      { ...ctx, currency: received.currency },
      prefix,
      "unmatched_payment",
      [
        {
          account: account(ctx, received.currency, "stripe_balance"),
          amountMinor: received.amountMinor,
        },
        {
          account: account(ctx, received.currency, "unmatched_payments"),
          amountMinor: -received.amountMinor,
        },
      ],
      "amount or currency not the order's",
    ),
    ...chargeSettlementStatements(ctx, prefix, received, args.settlement),
  );
  return statements;
}

/** Unmatched money of an order still owed back, in a currency. */
export async function unmatchedHeld(db: SqlExecutor, orderId: string, currency: string) {
  const { rows } = await db.execute({
    sql: `SELECT -COALESCE(SUM(p.amountMinor), 0) AS held FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id
          JOIN LedgerAccount a ON a.id = p.accountId
          WHERE e.orderId = ? AND a.code = 'unmatched_payments' AND p.currency = ?`,
    args: [orderId, currency],
  });
  return Number(rows[0]?.held ?? 0);
}

/** A refund of unmatched money (made in Stripe's dashboard): it leaves what was owed back. */
export function unmatchedRefundStatements(
  ctx: CardContext,
  refund: Pick<Stripe.Refund, "id" | "amount" | "currency">,
  amountMinor: number,
): InStatement[] {
  const currency = refund.currency.toUpperCase();
  return entry(ctx, `stripe:refund:${refund.id}`, "refund", [
    { account: account(ctx, currency, "unmatched_payments"), amountMinor },
    { account: account(ctx, currency, "stripe_balance"), amountMinor: -amountMinor },
  ]);
}

// ---------------------------------------------------------------- disputes

function disputeSettlements(dispute: Stripe.Dispute) {
  const bts = Array.isArray(dispute.balance_transactions) ? dispute.balance_transactions : [];
  return bts.map(settlementOf).filter((s): s is Settlement => s !== null);
}

/**
 * Opening a dispute: Stripe holds the amount back (Dr stripe_disputed /
 * Cr stripe_balance, in the currency it withdrew in) and takes its dispute fee.
 */
export function disputeOpenedStatements(ctx: CardContext, dispute: Stripe.Dispute): InStatement[] {
  const withdrawn = disputeSettlements(dispute).find((s) => s.amountMinor < 0);
  const held = disputedHeld(dispute, ctx);
  const statements = entry(ctx, `stripe:dispute:${dispute.id}:opened`, "dispute_opened", [
    { account: account(ctx, held.currency, "stripe_disputed"), amountMinor: held.amountMinor },
    { account: account(ctx, held.currency, "stripe_balance"), amountMinor: -held.amountMinor },
  ]);
  if (withdrawn && withdrawn.feeMinor > 0)
    statements.push(
      ...entry(ctx, `stripe:dispute:${dispute.id}:fee`, "processing_fee", [
        {
          account: account(ctx, withdrawn.currency, "processing_fees"),
          amountMinor: withdrawn.feeMinor,
        },
        {
          account: account(ctx, withdrawn.currency, "stripe_balance"),
          amountMinor: -withdrawn.feeMinor,
        },
      ]),
    );
  return statements;
}

/** What Stripe holds back for a dispute: its withdrawal, in the currency it was taken in. */
/** What Stripe holds back for a dispute: its withdrawal, in the currency it was taken in. */
function disputedHeld(dispute: Stripe.Dispute, ctx: CardContext): Amount {
  const withdrawn = disputeSettlements(dispute).find((s) => s.amountMinor < 0);
  return withdrawn
    ? { currency: withdrawn.currency, amountMinor: -withdrawn.amountMinor }
    : { currency: ctx.currency, amountMinor: dispute.amount };
}

/** A dispute won: the money Stripe held back is ours again. */
export function disputeWonStatements(ctx: CardContext, dispute: Stripe.Dispute): InStatement[] {
  const held = disputedHeld(dispute, ctx);
  return entry(ctx, `stripe:dispute:${dispute.id}:won`, "dispute_won", [
    { account: account(ctx, held.currency, "stripe_balance"), amountMinor: held.amountMinor },
    { account: account(ctx, held.currency, "stripe_disputed"), amountMinor: -held.amountMinor },
  ]);
}

/**
 * A dispute lost: the money is gone, as chargebacks under the categories and
 * earmarks it came in under (allocated like a partial refund), out of the
 * disputed money; converted back if Stripe held it in another currency.
 */
export async function disputeLostStatements(
  db: SqlExecutor,
  ctx: CardContext,
  dispute: Stripe.Dispute,
): Promise<InStatement[]> {
  const id = `stripe:dispute:${dispute.id}:lost`;
  if (await entryExists(db, id)) return [];
  const parts = allocateOut(await heldIncome(db, ctx.orderId, ctx.currency), dispute.amount);
  const held = disputedHeld(dispute, ctx);
  return moneyOutStatements(
    ctx,
    id,
    "dispute_lost",
    parts,
    "chargebacks",
    "stripe_disputed",
    held.currency === ctx.currency ? null : held,
  );
}

// ---------------------------------------------------------------- reading

export type OrderCardMoney = {
  /** Given back to the buyer so far (organiser, Stripe dashboard, late payment), in the order's currency. */
  refundedMinor: number;
  /** Taken back by lost disputes, in the order's currency. */
  chargedBackMinor: number;
  /** Stripe's dispute on the order's charge: null, "open", "won" or "lost". */
  disputeStatus: string | null;
  /** Webhooks that did not match the order (nothing was fulfilled for them). */
  paymentProblems: PaymentProblem[];
};

/** The Stripe side of an order, for organisers (order page, GET /api/v1/orders/:id). */
export async function orderCardMoney(
  orderId: string,
  db: SqlExecutor = sqlClient(),
): Promise<OrderCardMoney> {
  const [order, out, problems] = await Promise.all([
    db.execute({
      sql: `SELECT currency, disputeStatus FROM "Order" WHERE id = ?`,
      args: [orderId],
    }),
    db.execute({
      sql: `SELECT a.code, p.currency, SUM(p.amountMinor) AS total
            FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.orderId = ? AND a.code IN ('refunds', 'chargebacks') GROUP BY a.code, p.currency`,
      args: [orderId],
    }),
    db.execute({
      sql: `SELECT kind, stripeEventId, expectedMinor, expectedCurrency, receivedMinor, receivedCurrency, createdAt
            FROM PaymentProblem WHERE orderId = ? ORDER BY createdAt, rowid`,
      args: [orderId],
    }),
  ]);
  const currency = String(order.rows[0]?.currency ?? "");
  const sum = (code: string) =>
    out.rows
      .filter((r) => r.code === code && r.currency === currency)
      .reduce((s, r) => s + Number(r.total), 0);
  const status = order.rows[0]?.disputeStatus;
  return {
    refundedMinor: sum("refunds"),
    chargedBackMinor: sum("chargebacks"),
    disputeStatus: status === null || status === undefined ? null : String(status),
    paymentProblems: problems.rows.map((r) => ({
      kind: "amount_mismatch",
      stripeEventId: String(r.stripeEventId),
      expectedMinor: Number(r.expectedMinor),
      expectedCurrency: String(r.expectedCurrency),
      receivedMinor: Number(r.receivedMinor),
      receivedCurrency: String(r.receivedCurrency),
      createdAt: dateFromSql(r.createdAt).toISOString(),
    })),
  };
}

/**
 * A refund with its balance transaction (what left Stripe's balance, in the
 * settlement currency), asked separately so the create call's parameters stay
 * those its idempotency key was first used with. Without it (Stripe cannot
 * tell us now) the refund is posted in the order's currency alone.
 */
export async function withBalanceTransaction(refund: Stripe.Refund): Promise<Stripe.Refund> {
  if (refund.balance_transaction && typeof refund.balance_transaction === "object") return refund;
  try {
    return await stripe().refunds.retrieve(refund.id, { expand: ["balance_transaction"] });
  } catch (error) {
    logger.warn({ err: error, refundId: refund.id }, "Stripe balance transaction unknown");
    return refund;
  }
}
