// Payouts from a prisoner's fund to a recipient (decision 0034).
//
//   proposed ──(N other treasurers approve)──> approved ──(paid, with date and reference)──> paid
//      │                                          │
//      └──────── rejected (with a reason) / cancelled (before paid) ───────┘
//
// Every step is one libSQL write transaction (BEGIN IMMEDIATE: concurrent
// writers are serialised) holding its checks, its status change, its audit row
// and — when paid — its ledger entries, so two approvals at the same moment can
// never both squeeze under a cap or a fund: the second one sees the first.
//
// Money rules (the brief's, decision 0033/0034):
// - A proposal must fit the fund's available money, counting proposed and
//   approved payouts as reserved, and the recipient's cap in its month,
//   counting proposed, approved and paid payouts of that month.
// - The approval that completes a payout re-checks both, counting approved
//   (and, for the cap, paid) payouts other than itself: what is approved is
//   promised and reserved.
// - Marking paid moves the payout to the month of its payment date in the
//   recipient's zone, re-checks the cap there and draws the money from the fund
//   (H1's fundDrawStatements: oldest festival first; the ledger's trigger is the
//   last guard against an overdrawn fund).
// Notes and references are sealed (context "payout:<id>"); audit rows carry
// ids, amounts, months and categories, never a recipient's details.
import type { InStatement } from "@libsql/client";
import { DateTime } from "luxon";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { auditStatement } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { faultPoint } from "~/utils/fault-points.server";
import { decryptString, encrypt } from "~/utils/encryption.server";
import {
  currency,
  dateTimeText,
  moneyMessage,
  optionalText,
  parseMoment,
  text,
} from "~/utils/validation";
import { approversOf, recordApproval, requiredApprovals } from "./approvals.server";
import { InsufficientFundsError } from "./funds.server";
import {
  addMonths,
  capLeft,
  capUseByMonth,
  isMonth,
  monthOf,
  monthsBetween,
  planTranches,
  type Tranche,
} from "./payout-caps";
import {
  fundBalanceMinor,
  payoutDrawStatements,
  payoutsReservedMinor,
} from "./payout-funds.server";
import {
  amountMinorField,
  capOf,
  idField,
  recipientNames,
  recipientRow,
  requireTreasury,
  type RecipientKind,
  type RecipientRow,
} from "./recipients.server";

export const PAYOUT_CATEGORIES = [
  "lawyer",
  "prison_visit",
  "parcels_letters",
  "commissary",
  "fine",
  "family_support",
  "other",
] as const;
export type PayoutCategory = (typeof PAYOUT_CATEGORIES)[number];
export type PayoutStatus = "proposed" | "approved" | "paid" | "rejected" | "cancelled";
export const PAYOUT_STATUSES = ["proposed", "approved", "paid", "rejected", "cancelled"] as const;

/** How far ahead a payout may be planned (months after this one). */
export const MAX_MONTHS_AHEAD = 36;
/** The planner plans at most this many monthly tranches at once. */
export const MAX_TRANCHES = MAX_MONTHS_AHEAD + 1;
/** A payment date may be this far in the future (clock skew), no more. */
const PAID_AT_SKEW_MS = 5 * 60_000;

// ---------------------------------------------------------------- input

const categoryField = z.enum(PAYOUT_CATEGORIES, { error: "v.payoutCategory" });
const monthField = z
  .string({ error: "v.payoutMonth" })
  .max(7, { error: "v.payoutMonth" })
  .refine(isMonth, { error: "v.payoutMonth" });
const noteField = optionalText({ max: 2000, multiline: true });

export const payoutInput = z
  .object({
    prisonerId: idField,
    recipientId: idField,
    category: categoryField,
    amountMinor: amountMinorField,
    currency,
    note: noteField,
    /** The cap month (YYYY-MM in the recipient's zone); default this month. */
    month: monthField.optional(),
  })
  .strict();
export type PayoutInput = z.output<typeof payoutInput>;

export const rejectInput = z.object({ reason: text({ max: 500, multiline: true }) }).strict();
export const cancelInput = z
  .object({ reason: optionalText({ max: 500, multiline: true }) })
  .strict();
export const paidInput = z
  .object({
    reference: text({ max: 200 }),
    /** When the money was sent: ISO 8601 (an offset, or read in the recipient's zone). */
    paidAt: dateTimeText,
  })
  .strict();
export type PaidInput = z.output<typeof paidInput>;

export const planQuery = z.object({ prisonerId: idField, recipientId: idField }).strict();
export const planAcceptInput = z
  .object({
    prisonerId: idField,
    recipientId: idField,
    category: categoryField,
    note: noteField,
    /** The plan the treasurer saw: when given, a plan that changed since is refused (409). */
    tranches: z
      .array(z.object({ month: monthField, amountMinor: amountMinorField }).strict(), {
        error: "v.invalid",
      })
      .max(MAX_TRANCHES, { error: "v.tooBig" })
      .optional(),
  })
  .strict();
export type PlanAcceptInput = z.output<typeof planAcceptInput>;

export const listQuery = z
  .object({
    status: z.enum(PAYOUT_STATUSES, { error: "v.invalid" }).optional(),
    prisonerId: idField.optional(),
    recipientId: idField.optional(),
    planId: idField.optional(),
  })
  .strict();
export type PayoutFilter = z.output<typeof listQuery>;

// ---------------------------------------------------------------- rows and views

type PayoutRow = {
  id: string;
  prisonerId: string;
  recipientId: string;
  category: PayoutCategory;
  amountMinor: number;
  currency: string;
  month: string;
  noteSealed: string | null;
  status: PayoutStatus;
  proposedById: string;
  planId: string | null;
  approvedAt: Date | null;
  paidAt: Date | null;
  paidById: string | null;
  referenceSealed: string | null;
  decidedById: string | null;
  decisionReason: string | null;
  createdAt: Date;
  updatedAt: Date;
};

const COLUMNS = `id, prisonerId, recipientId, category, amountMinor, currency, month, noteSealed, status, proposedById, planId,
  approvedAt, paidAt, paidById, referenceSealed, decidedById, decisionReason, createdAt, updatedAt`;

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const date = (v: unknown) => (v === null || v === undefined ? null : dateFromSql(v));

function rowOf(r: Record<string, unknown>): PayoutRow {
  return {
    id: String(r.id),
    prisonerId: String(r.prisonerId),
    recipientId: String(r.recipientId),
    category: String(r.category) as PayoutCategory,
    amountMinor: Number(r.amountMinor),
    currency: String(r.currency),
    month: String(r.month),
    noteSealed: str(r.noteSealed),
    status: String(r.status) as PayoutStatus,
    proposedById: String(r.proposedById),
    planId: str(r.planId),
    approvedAt: date(r.approvedAt),
    paidAt: date(r.paidAt),
    paidById: str(r.paidById),
    referenceSealed: str(r.referenceSealed),
    decidedById: str(r.decidedById),
    decisionReason: str(r.decisionReason),
    createdAt: dateFromSql(r.createdAt),
    updatedAt: dateFromSql(r.updatedAt),
  };
}

async function payoutRow(db: SqlExecutor, id: string): Promise<PayoutRow | null> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  const { rows } = await db.execute({
    sql: `SELECT ${COLUMNS} FROM Payout WHERE id = ?`,
    args: [id],
  });
  return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
}

export const payoutContext = (id: string) => `payout:${id}`;
const seal = (id: string, value: string) => encrypt(value, payoutContext(id));
const open = (id: string, sealed: string | null) =>
  sealed === null ? null : decryptString(sealed, payoutContext(id));

/** A payout as the treasury lists it (the note decrypted; the payment reference only in the detail). */
export type PayoutSummary = {
  id: string;
  prisonerId: string;
  recipientId: string;
  recipient: { kind: RecipientKind; displayName: string } | null;
  category: PayoutCategory;
  amountMinor: number;
  currency: string;
  /** The cap month, YYYY-MM in the recipient's zone (the month of paidAt once paid). */
  month: string;
  status: PayoutStatus;
  note: string | null;
  proposedById: string;
  planId: string | null;
  /** Approvals that count (never the proposer's) and how many are needed. */
  approvals: { count: number; needed: number; userIds: string[] };
  approvedAt: string | null;
  paidAt: string | null;
  paidById: string | null;
  decidedById: string | null;
  decisionReason: string | null;
  createdAt: string;
  updatedAt: string;
};
export type PayoutDetail = PayoutSummary & { reference: string | null };

async function summariesOf(db: SqlExecutor, rows: PayoutRow[]): Promise<PayoutSummary[]> {
  if (rows.length === 0) return [];
  const names = await recipientNames(
    db,
    rows.map((r) => r.recipientId),
  );
  const approvals = new Map<string, string[]>();
  // One query for every payout's approvers (chunked below SQLite's variable limit).
  for (let i = 0; i < rows.length; i += 500) {
    const ids = rows.slice(i, i + 500).map((r) => r.id);
    const { rows: found } = await db.execute({
      sql: `SELECT subjectId, userId FROM Approval WHERE subjectType = 'payout' AND subjectId IN (${ids.map(() => "?").join(", ")})
            ORDER BY createdAt, userId`,
      args: ids,
    });
    for (const a of found) {
      const list = approvals.get(String(a.subjectId)) ?? [];
      list.push(String(a.userId));
      approvals.set(String(a.subjectId), list);
    }
  }
  const needed = requiredApprovals();
  return rows.map((r) => {
    const userIds = (approvals.get(r.id) ?? []).filter((u) => u !== r.proposedById);
    return {
      id: r.id,
      prisonerId: r.prisonerId,
      recipientId: r.recipientId,
      recipient: names.get(r.recipientId) ?? null,
      category: r.category,
      amountMinor: r.amountMinor,
      currency: r.currency,
      month: r.month,
      status: r.status,
      note: open(r.id, r.noteSealed),
      proposedById: r.proposedById,
      planId: r.planId,
      approvals: { count: userIds.length, needed, userIds },
      approvedAt: r.approvedAt?.toISOString() ?? null,
      paidAt: r.paidAt?.toISOString() ?? null,
      paidById: r.paidById,
      decidedById: r.decidedById,
      decisionReason: r.decisionReason,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  });
}

/** Payouts, newest first, filtered by status, prisoner, recipient or plan: treasury only. */
export async function listPayouts(
  actor: CurrentUser,
  filter: PayoutFilter = {},
): Promise<PayoutSummary[]> {
  requireTreasury(actor);
  const where: string[] = [];
  const args: string[] = [];
  for (const [column, value] of [
    ["status", filter.status],
    ["prisonerId", filter.prisonerId],
    ["recipientId", filter.recipientId],
    ["planId", filter.planId],
  ] as const)
    if (value !== undefined) {
      where.push(`${column} = ?`);
      args.push(value);
    }
  const db = sqlClient();
  const { rows } = await db.execute({
    sql: `SELECT ${COLUMNS} FROM Payout ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY createdAt DESC, month, id LIMIT 1000`,
    args,
  });
  return summariesOf(
    db,
    rows.map((r) => rowOf(r as Record<string, unknown>)),
  );
}

/** One payout with its note and payment reference decrypted: treasury only. */
export async function getPayout(actor: CurrentUser, id: string): Promise<PayoutDetail> {
  requireTreasury(actor);
  return detailIn(sqlClient(), id);
}

async function detailIn(db: SqlExecutor, id: string): Promise<PayoutDetail> {
  const row = await payoutRow(db, id);
  if (!row) throw DomainError.notFound("No such payout.");
  const [summary] = await summariesOf(db, [row]);
  return { ...summary!, reference: open(row.id, row.referenceSealed) };
}

// ---------------------------------------------------------------- checks

/** What a recipient's cap has left in a month (null: no cap), after the payouts with `statuses`. */
async function capCheck(
  db: SqlExecutor,
  recipient: RecipientRow,
  payout: { id?: string; month: string; amountMinor: number; currency: string },
  statuses: readonly PayoutStatus[],
) {
  const cap = capOf(recipient);
  if (!cap) return;
  if (cap.currency !== payout.currency)
    throw new DomainError(
      422,
      "cap_currency_mismatch",
      `The recipient's monthly cap is in ${cap.currency}: pay them in ${cap.currency} (exchange the fund's money first).`,
      { fields: { currency: "v.capCurrency" } },
    );
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(SUM(amountMinor), 0) AS used FROM Payout
          WHERE recipientId = ? AND month = ? AND currency = ? AND id <> ?
            AND status IN (${statuses.map(() => "?").join(", ")})`,
    args: [recipient.id, payout.month, cap.currency, payout.id ?? "", ...statuses],
  });
  const used = Number(rows[0]?.used ?? 0);
  const left = capLeft(cap.amountMinor, used);
  if (payout.amountMinor > left)
    throw new DomainError(
      409,
      "cap_exceeded",
      `This would exceed the recipient's monthly cap for ${payout.month}: ${left} of ${cap.amountMinor} (minor units of ${cap.currency}) is left, ${payout.amountMinor} asked.`,
      { fields: { amountMinor: moneyMessage("v.capLeft", left, cap.currency) } },
    );
}

/** Refuse (409 insufficient_funds) when the fund's available money is less than the amount. */
async function fundsCheck(
  db: SqlExecutor,
  payout: { id?: string; prisonerId: string; currency: string; amountMinor: number },
  reservedStatuses: readonly ("proposed" | "approved")[],
) {
  const [balance, reserved] = await Promise.all([
    fundBalanceMinor(db, payout.prisonerId, payout.currency),
    payoutsReservedMinor(db, payout.prisonerId, payout.currency, {
      statuses: reservedStatuses,
      ...(payout.id ? { exceptId: payout.id } : {}),
    }),
  ]);
  const available = Math.max(0, balance - reserved);
  if (payout.amountMinor > available) throw new InsufficientFundsError(available, payout.currency);
}

function stateError(row: PayoutRow, wanted: string) {
  return DomainError.conflict(
    "payout_state",
    `This payout is ${row.status}: it can only be ${wanted}.`,
  );
}

async function loadForChange(tx: SqlExecutor, id: string) {
  const row = await payoutRow(tx, id);
  if (!row) throw DomainError.notFound("No such payout.");
  const recipient = await recipientRow(tx, row.recipientId);
  if (!recipient) throw DomainError.notFound("No such recipient.");
  return { row, recipient };
}

// ---------------------------------------------------------------- propose

/** The month a payout counts in now, in the recipient's zone. */
export function currentMonth(recipient: Pick<RecipientRow, "timezone">, now: Date = new Date()) {
  return monthOf(now, recipient.timezone);
}

async function proposeIn(
  tx: SqlExecutor,
  actor: CurrentUser,
  input: PayoutInput,
  now: Date,
  planId: string | null,
): Promise<{ id: string; status: "proposed"; month: string; amountMinor: number }> {
  const fields: Record<string, string> = {};
  const [prisoner, recipient] = await Promise.all([
    tx.execute({ sql: "SELECT 1 FROM Prisoner WHERE id = ?", args: [input.prisonerId] }),
    recipientRow(tx, input.recipientId),
  ]);
  if (prisoner.rows.length === 0) fields.prisonerId = "v.noSuchPrisoner";
  if (!recipient) fields.recipientId = "v.unknownRecipient";
  else if (recipient.prisonerId !== input.prisonerId)
    fields.recipientId = "v.recipientOfOtherPrisoner";
  else if (recipient.archivedAt) fields.recipientId = "v.recipientArchived";
  const thisMonth = recipient ? currentMonth(recipient, now) : null;
  const month = input.month ?? thisMonth;
  if (
    month &&
    thisMonth &&
    (monthsBetween(thisMonth, month) < 0 || monthsBetween(thisMonth, month) > MAX_MONTHS_AHEAD)
  )
    fields.month = "v.payoutMonth";
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  const payout = { ...input, month: month! };
  await capCheck(tx, recipient!, payout, ["proposed", "approved", "paid"]);
  await fundsCheck(tx, payout, ["proposed", "approved"]);
  const id = randomToken(12);
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO Payout (id, prisonerId, recipientId, category, amountMinor, currency, month, noteSealed, status, proposedById, planId, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)`,
      args: [
        id,
        input.prisonerId,
        input.recipientId,
        input.category,
        input.amountMinor,
        input.currency,
        payout.month,
        input.note ? seal(id, input.note) : null,
        actor.id,
        planId,
        sqlDate(now),
        sqlDate(now),
      ],
    },
    auditStatement(
      {
        actorUserId: actor.id,
        action: "payout.propose",
        targetType: "payout",
        targetId: id,
        details: {
          prisonerId: input.prisonerId,
          recipientId: input.recipientId,
          category: input.category,
          amountMinor: input.amountMinor,
          currency: input.currency,
          month: payout.month,
          planId,
        },
      },
      now,
    ),
  ];
  for (const stmt of statements) await tx.execute(stmt);
  return { id, status: "proposed", month: payout.month, amountMinor: input.amountMinor };
}

/**
 * Propose a payout → `{id, status: "proposed"}`. 422 for a prisoner or
 * recipient that does not fit (unknown, another prisoner's, archived) or a
 * month in the past; 409 `cap_exceeded` / `insufficient_funds` with what is left.
 */
export async function proposePayout(
  actor: CurrentUser,
  input: PayoutInput,
  now: Date = new Date(),
): Promise<{ id: string; status: "proposed" }> {
  requireTreasury(actor);
  const { id, status } = await writeTransaction((tx) => proposeIn(tx, actor, input, now, null));
  return { id, status };
}

// ---------------------------------------------------------------- approve, reject, cancel

/**
 * Approve a proposed payout. The proposer is refused (403 `self_approval`);
 * the same person approving twice counts once. The approval that completes it
 * (PAYOUT_APPROVALS people other than the proposer) re-checks the cap and the
 * fund inside the same write transaction and moves it to approved, which
 * reserves the money. Refused with 409 `cap_exceeded` / `insufficient_funds`,
 * the approval is not recorded either.
 */
export async function approvePayout(
  actor: CurrentUser,
  id: string,
  now: Date = new Date(),
): Promise<PayoutDetail> {
  requireTreasury(actor);
  return writeTransaction(async (tx) => {
    const { row, recipient } = await loadForChange(tx, id);
    if (row.status !== "proposed") {
      const approvers = await approversOf(tx, "payout", row.id);
      // Approving again what one approved already changes nothing.
      if (
        (row.status === "approved" || row.status === "paid") &&
        approvers.some((a) => a.userId === actor.id)
      )
        return detailIn(tx, row.id);
      throw stateError(row, "approved while proposed");
    }
    const count = await recordApproval(
      tx,
      { type: "payout", id: row.id, proposedById: row.proposedById },
      actor.id,
      now,
    );
    if (!count.added) return detailIn(tx, row.id);
    if (count.complete) {
      if (recipient.archivedAt)
        throw DomainError.conflict("recipient_archived", "This recipient is archived.");
      await capCheck(tx, recipient, row, ["approved", "paid"]);
      await fundsCheck(tx, row, ["approved"]);
      await tx.execute({
        sql: `UPDATE Payout SET status = 'approved', approvedAt = ?, updatedAt = ? WHERE id = ? AND status = 'proposed'`,
        args: [sqlDate(now), sqlDate(now), row.id],
      });
    }
    await tx.execute(
      auditStatement(
        {
          actorUserId: actor.id,
          action: "payout.approve",
          targetType: "payout",
          targetId: row.id,
          details: {
            prisonerId: row.prisonerId,
            recipientId: row.recipientId,
            approvals: count.count,
            needed: count.needed,
            status: count.complete ? "approved" : "proposed",
          },
        },
        now,
      ),
    );
    return detailIn(tx, row.id);
  });
}

async function close(
  actor: CurrentUser,
  id: string,
  to: "rejected" | "cancelled",
  reason: string | null,
  now: Date,
): Promise<PayoutDetail> {
  requireTreasury(actor);
  return writeTransaction(async (tx) => {
    const { row } = await loadForChange(tx, id);
    if (row.status !== "proposed" && row.status !== "approved")
      throw stateError(row, `${to} while proposed or approved`);
    await tx.execute({
      sql: `UPDATE Payout SET status = ?, decidedById = ?, decisionReason = ?, updatedAt = ?
            WHERE id = ? AND status IN ('proposed', 'approved')`,
      args: [to, actor.id, reason, sqlDate(now), row.id],
    });
    await tx.execute(
      auditStatement(
        {
          actorUserId: actor.id,
          action: to === "rejected" ? "payout.reject" : "payout.cancel",
          targetType: "payout",
          targetId: row.id,
          // The reason stays on the payout (treasury only), not in the audit log.
          details: { prisonerId: row.prisonerId, recipientId: row.recipientId, from: row.status },
        },
        now,
      ),
    );
    return detailIn(tx, row.id);
  });
}

/** Reject a proposed or approved payout, with a reason (the reservation ends). */
export async function rejectPayout(
  actor: CurrentUser,
  id: string,
  input: { reason: string },
  now: Date = new Date(),
): Promise<PayoutDetail> {
  return close(actor, id, "rejected", input.reason, now);
}

/** Cancel a payout before it is paid (the proposer or any treasurer). */
export async function cancelPayout(
  actor: CurrentUser,
  id: string,
  input: { reason?: string | undefined } = {},
  now: Date = new Date(),
): Promise<PayoutDetail> {
  return close(actor, id, "cancelled", input.reason ?? null, now);
}

// ---------------------------------------------------------------- paid

/**
 * Mark an approved payout paid: its month becomes the month of `paidAt` in the
 * recipient's zone (the cap is re-checked there), the money leaves the fund
 * (ledger entries `payout:<id>:<festivalId>`, purpose = category) and the
 * reference is sealed — all in one write transaction with the audit row.
 */
export async function markPayoutPaid(
  actor: CurrentUser,
  id: string,
  input: PaidInput,
  now: Date = new Date(),
): Promise<PayoutDetail> {
  requireTreasury(actor);
  const detail = await writeTransaction(async (tx) => {
    const { row, recipient } = await loadForChange(tx, id);
    const paidAt = paymentMoment(input.paidAt, recipient.timezone);
    // A repeat of the request that marked it paid (its answer was lost: a timeout, a
    // crash after the commit) answers the same payout and changes nothing.
    if (row.status === "paid" && isSamePayment(row, actor, input.reference, paidAt))
      return detailIn(tx, row.id);
    if (row.status !== "approved") throw stateError(row, "marked paid once approved");
    if (!paidAt) throw new FieldRulesError({ paidAt: "v.dateTime" });
    if (paidAt.getTime() > now.getTime() + PAID_AT_SKEW_MS)
      throw new FieldRulesError({ paidAt: "v.paidInFuture" });
    // Paid after it was approved (the same day in the recipient's zone counts): a date
    // before would move it to a month the approvers never agreed to.
    if (
      row.approvedAt &&
      paidAt <
        DateTime.fromJSDate(row.approvedAt, { zone: recipient.timezone }).startOf("day").toJSDate()
    )
      throw new FieldRulesError({ paidAt: "v.paidBeforeApproved" });
    const month = monthOf(paidAt, recipient.timezone);
    // Proposals count too: a payout paid into another month may not take that month over
    // the cap that its own proposals already use (cancel or shrink one first).
    await capCheck(tx, recipient, { ...row, month }, ["proposed", "approved", "paid"]);
    // Dated when recorded, like every entry: a month's public report never changes afterwards.
    const ledger = await payoutDrawStatements(tx, row, actor.id, now);
    const statements: InStatement[] = [
      ...ledger,
      {
        sql: `UPDATE Payout SET status = 'paid', month = ?, paidAt = ?, paidById = ?, referenceSealed = ?, updatedAt = ?
              WHERE id = ? AND status = 'approved'`,
        args: [
          month,
          sqlDate(paidAt),
          actor.id,
          seal(row.id, input.reference),
          sqlDate(now),
          row.id,
        ],
      },
      auditStatement(
        {
          actorUserId: actor.id,
          action: "payout.paid",
          targetType: "payout",
          targetId: row.id,
          details: {
            prisonerId: row.prisonerId,
            recipientId: row.recipientId,
            category: row.category,
            amountMinor: row.amountMinor,
            currency: row.currency,
            month,
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    const paid = await detailIn(tx, row.id);
    faultPoint("payout-paid:before-commit");
    return paid;
  });
  faultPoint("payout-paid:after-commit");
  return detail;
}

/** Whether a paid payout was paid by this request: same person, reference and moment. */
function isSamePayment(
  row: PayoutRow,
  actor: CurrentUser,
  reference: string,
  paidAt: Date | null,
): boolean {
  return (
    row.paidById === actor.id &&
    paidAt !== null &&
    row.paidAt?.getTime() === paidAt.getTime() &&
    open(row.id, row.referenceSealed) === reference
  );
}

/**
 * A payment date: ISO 8601 with an offset as is; a local date-time, or a date
 * alone (its midnight), in the recipient's zone. (parseMoment would take the
 * "-15" of "2026-11-15" for an offset.)
 */
function paymentMoment(value: string, zone: string): Date | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value.trim())) {
    const dt = DateTime.fromISO(value.trim(), { zone });
    return dt.isValid && dt.year >= 2000 && dt.year <= 2100 ? dt.toUTC().toJSDate() : null;
  }
  return parseMoment(value, zone);
}

// ---------------------------------------------------------------- tranche planner

export type PayoutPlan = {
  prisonerId: string;
  recipientId: string;
  currency: string;
  capMinor: number;
  /** This month in the recipient's zone. */
  startMonth: string;
  /** The fund's money not yet promised (balance − proposed and approved payouts). */
  availableMinor: number;
  tranches: Tranche[];
  /** What stays in the fund beyond the last planned tranche (more than MAX_TRANCHES months). */
  leftOverMinor: number;
};

async function planIn(
  db: SqlExecutor,
  input: { prisonerId: string; recipientId: string },
  now: Date,
): Promise<PayoutPlan> {
  const recipient = await recipientRow(db, input.recipientId);
  const fields: Record<string, string> = {};
  if (!recipient) fields.recipientId = "v.unknownRecipient";
  else if (recipient.prisonerId !== input.prisonerId)
    fields.recipientId = "v.recipientOfOtherPrisoner";
  else if (recipient.archivedAt) fields.recipientId = "v.recipientArchived";
  else if (!capOf(recipient)) fields.recipientId = "v.recipientNoCap";
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  const cap = capOf(recipient!)!;
  const startMonth = currentMonth(recipient!, now);
  const [balance, reserved, used] = await Promise.all([
    fundBalanceMinor(db, input.prisonerId, cap.currency),
    payoutsReservedMinor(db, input.prisonerId, cap.currency, {
      statuses: ["proposed", "approved"],
    }),
    db.execute({
      sql: `SELECT month, amountMinor, currency, status FROM Payout
            WHERE recipientId = ? AND currency = ? AND month >= ? AND status IN ('proposed', 'approved', 'paid')`,
      args: [recipient!.id, cap.currency, startMonth],
    }),
  ]);
  const usedByMonth = capUseByMonth(
    used.rows.map((r) => ({
      month: String(r.month),
      amountMinor: Number(r.amountMinor),
      currency: String(r.currency),
      status: String(r.status),
    })),
    cap.currency,
  );
  const availableMinor = Math.max(0, balance - reserved);
  const tranches = planTranches({
    availableMinor,
    capMinor: cap.amountMinor,
    usedThisMonthMinor: usedByMonth[startMonth] ?? 0,
    startMonth,
    usedByMonth,
    maxTranches: MAX_TRANCHES,
  }).filter((t) => monthsBetween(startMonth, t.month) <= MAX_MONTHS_AHEAD);
  const planned = tranches.reduce((s, t) => s + t.amountMinor, 0);
  return {
    prisonerId: input.prisonerId,
    recipientId: recipient!.id,
    currency: cap.currency,
    capMinor: cap.amountMinor,
    startMonth,
    availableMinor,
    tranches,
    leftOverMinor: availableMinor - planned,
  };
}

/**
 * For a fund and a capped recipient: monthly tranches that drain the fund's
 * available money without exceeding the cap in any month (this month first
 * when its cap is not used up), at most MAX_MONTHS_AHEAD months ahead.
 */
export async function payoutPlan(
  actor: CurrentUser,
  input: { prisonerId: string; recipientId: string },
  now: Date = new Date(),
): Promise<PayoutPlan> {
  requireTreasury(actor);
  return planIn(sqlClient(), input, now);
}

/**
 * Accept the plan: one proposed payout per tranche, sharing a planId, each
 * checked like any proposal — all in one write transaction (all or none).
 * When `tranches` is given and the plan is no longer that, 409 `plan_changed`.
 */
export async function acceptPayoutPlan(
  actor: CurrentUser,
  input: PlanAcceptInput,
  now: Date = new Date(),
): Promise<{
  planId: string;
  payouts: { id: string; month: string; amountMinor: number; status: "proposed" }[];
}> {
  requireTreasury(actor);
  return writeTransaction(async (tx) => {
    const plan = await planIn(tx, input, now);
    if (
      input.tranches &&
      JSON.stringify(input.tranches.map((t) => [t.month, t.amountMinor])) !==
        JSON.stringify(plan.tranches.map((t) => [t.month, t.amountMinor]))
    )
      throw DomainError.conflict(
        "plan_changed",
        "The fund or the recipient's payouts changed since this plan was made: look at the new plan.",
      );
    if (plan.tranches.length === 0) {
      if (plan.availableMinor === 0) throw new InsufficientFundsError(0, plan.currency);
      throw DomainError.conflict(
        "cap_exceeded",
        `The recipient's monthly cap is used up in every month from ${plan.startMonth} to ${addMonths(plan.startMonth, MAX_MONTHS_AHEAD)}.`,
      );
    }
    const planId = randomToken(12);
    const payouts = [];
    for (const t of plan.tranches) {
      const p = await proposeIn(
        tx,
        actor,
        {
          prisonerId: input.prisonerId,
          recipientId: input.recipientId,
          category: input.category,
          amountMinor: t.amountMinor,
          currency: plan.currency,
          note: input.note,
          month: t.month,
        },
        now,
        planId,
      );
      payouts.push({ id: p.id, month: p.month, amountMinor: p.amountMinor, status: p.status });
    }
    return { planId, payouts };
  });
}

/** The month after `month` (for pages that show a timeline). */
export const nextMonth = (month: string) => addMonths(month, 1);
