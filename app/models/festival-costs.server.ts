// Festival costs (decision 0036): organisers submit what the festival spent —
// venue, equipment, travel, printing, other — with an amount in the festival's
// currency and, usually, a receipt; treasurers approve them under the
// two-person rule (PAYOUT_APPROVALS treasurers other than the submitter, through
// app/models/approvals.server.ts), reject them with a note, and mark approved
// ones paid from the festival's money. Paying posts ledger entry `cost:<id>`:
// debit `costs` (category = the cost's) against the festival's assets, drawn in
// the order H1's `assetDrawPostings` takes them. The status change, the entry
// and the audit row commit in one write transaction.
//
// Approved but unpaid costs are spoken for: `approvedUnpaidCosts` is what the
// allocation (app/models/allocation.server.ts) keeps back from the funds.
//
// status: submitted → approved → paid; submitted → cancelled (by the submitter);
// submitted | approved → rejected (by a treasurer).
import type { InStatement } from "@libsql/client";
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
import { removeReceiptFile, storeReceipt, type StoredReceipt } from "~/utils/receipts.server";
import { dateTimeText, parseMoment, text } from "~/utils/validation";
import { recordApproval, requiredApprovals } from "./approvals.server";
import { COST_CATEGORIES, COST_STATUSES, type CostCategory, type CostStatus } from "./cost-choices";
import { assetDrawPostings, festivalAssets } from "./funds.server";
import { entryStatements, type Posting } from "./ledger.server";
import { MAX_AMOUNT_MINOR } from "./ticket-type.server";

export { COST_CATEGORIES, COST_STATUSES, type CostCategory, type CostStatus };

// ---------------------------------------------------------------- input

export const costInput = z
  .object({
    category: z.enum(COST_CATEGORIES, { error: "v.costCategory" }),
    description: text({ max: 500, multiline: true }),
    amountMinor: z
      .number({ error: "v.amount" })
      .int({ error: "v.amount" })
      .min(1, { error: "v.amount" })
      .max(MAX_AMOUNT_MINOR, { error: "v.amount" }),
    /** Must be the festival's currency when given. */
    currency: z
      .string({ error: "v.currency" })
      .max(3, { error: "v.currency" })
      .transform((s) => s.trim().toUpperCase())
      .pipe(z.string().regex(/^[A-Z]{3}$/, { error: "v.currency" }))
      .optional(),
  })
  .strict();
export type CostInput = z.output<typeof costInput>;

export const rejectInput = z.object({ note: text({ max: 1000, multiline: true }) }).strict();

export const paidInput = z
  .object({
    /** The bank transfer's or cash slip's reference (not public). */
    reference: text({ max: 200 }),
    /** When it was paid (ISO 8601); default now. Never in the future. */
    paidAt: dateTimeText.optional(),
  })
  .strict();
export type PaidInput = z.output<typeof paidInput>;

// ---------------------------------------------------------------- reading

type Person = { id: string; name: string } | null;

export type CostView = {
  id: string;
  festivalId: string;
  category: CostCategory;
  description: string;
  amountMinor: number;
  currency: string;
  status: CostStatus;
  receipt: { type: string; bytes: number } | null;
  submittedBy: Person;
  /** Who approved so far (never the submitter), oldest first. */
  approvals: { userId: string; name: string; at: string }[];
  /** How many approvals it needs in all (PAYOUT_APPROVALS). */
  approvalsNeeded: number;
  decidedBy: Person;
  decisionNote: string | null;
  approvedAt: string | null;
  paidAt: string | null;
  paidBy: Person;
  reference: string | null;
  createdAt: string;
};

/** The row as stored, for the domain and the receipt route. */
export type CostRow = {
  id: string;
  festivalId: string;
  category: CostCategory;
  description: string;
  amountMinor: number;
  currency: string;
  status: CostStatus;
  receiptFile: string | null;
  receiptType: string | null;
  receiptBytes: number | null;
  submittedById: string | null;
};

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const iso = (v: unknown) => (v === null || v === undefined ? null : dateFromSql(v).toISOString());

function rowOf(r: Record<string, unknown>): CostRow {
  return {
    id: String(r.id),
    festivalId: String(r.festivalId),
    category: String(r.category) as CostCategory,
    description: String(r.description),
    amountMinor: Number(r.amountMinor),
    currency: String(r.currency),
    status: String(r.status) as CostStatus,
    receiptFile: str(r.receiptFile),
    receiptType: str(r.receiptType),
    receiptBytes: r.receiptBytes === null ? null : Number(r.receiptBytes),
    submittedById: str(r.submittedById),
  };
}

/** One cost as stored, or null (ids longer than ours are never looked up). */
export async function findCost(id: string, db: SqlExecutor = sqlClient()): Promise<CostRow | null> {
  if (!id || id.length > 64) return null;
  const { rows } = await db.execute({ sql: `SELECT * FROM FestivalCost WHERE id = ?`, args: [id] });
  return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
}

const personName = (name: unknown, email: unknown) => str(name) ?? str(email) ?? "";

/** A festival's costs (or one of them), newest first, with who approved each so far. */
export async function listCosts(
  festivalId: string,
  options: { id?: string } = {},
  db: SqlExecutor = sqlClient(),
): Promise<CostView[]> {
  const one = options.id !== undefined;
  const { rows } = await db.execute({
    sql: `SELECT c.*, s.name AS sName, s.email AS sEmail, d.name AS dName, d.email AS dEmail,
                 p.name AS pName, p.email AS pEmail
          FROM FestivalCost c
          LEFT JOIN User s ON s.id = c.submittedById
          LEFT JOIN User d ON d.id = c.decidedById
          LEFT JOIN User p ON p.id = c.paidById
          WHERE c.festivalId = ? ${one ? "AND c.id = ?" : ""}
          ORDER BY c.createdAt DESC, c.id`,
    args: one ? [festivalId, options.id!] : [festivalId],
  });
  const approvals = await db.execute({
    sql: `SELECT a.subjectId, a.userId, a.createdAt, u.name, u.email
          FROM Approval a JOIN FestivalCost c ON c.id = a.subjectId LEFT JOIN User u ON u.id = a.userId
          WHERE a.subjectType = 'cost' AND c.festivalId = ? ${one ? "AND c.id = ?" : ""}
          ORDER BY a.createdAt, a.userId`,
    args: one ? [festivalId, options.id!] : [festivalId],
  });
  const needed = requiredApprovals();
  return rows.map((raw) => {
    const r = raw as Record<string, unknown>;
    const row = rowOf(r);
    const person = (id: unknown, name: unknown, email: unknown): Person =>
      id === null ? null : { id: String(id), name: personName(name, email) };
    return {
      id: row.id,
      festivalId: row.festivalId,
      category: row.category,
      description: row.description,
      amountMinor: row.amountMinor,
      currency: row.currency,
      status: row.status,
      receipt:
        row.receiptFile && row.receiptType
          ? { type: row.receiptType, bytes: row.receiptBytes ?? 0 }
          : null,
      submittedBy: person(r.submittedById, r.sName, r.sEmail),
      approvals: approvals.rows
        .filter((a) => String(a.subjectId) === row.id && str(a.userId) !== row.submittedById)
        .map((a) => ({
          userId: String(a.userId),
          name: personName(a.name, a.email),
          at: iso(a.createdAt)!,
        })),
      approvalsNeeded: needed,
      decidedBy: person(r.decidedById, r.dName, r.dEmail),
      decisionNote: str(r.decisionNote),
      approvedAt: iso(r.approvedAt),
      paidAt: iso(r.paidAt),
      paidBy: person(r.paidById, r.pName, r.pEmail),
      reference: str(r.reference),
      createdAt: iso(r.createdAt)!,
    };
  });
}

async function viewOf(cost: Pick<CostRow, "id" | "festivalId">) {
  return (await listCosts(cost.festivalId, { id: cost.id }))[0]!;
}

/**
 * What the festival's approved but unpaid costs hold back, per currency: the
 * allocation subtracts it from what it may move into funds (H1's allocatable).
 */
export async function approvedUnpaidCosts(
  db: SqlExecutor,
  festivalId: string,
): Promise<{ currency: string; amountMinor: number }[]> {
  const { rows } = await db.execute({
    sql: `SELECT currency, SUM(amountMinor) AS total FROM FestivalCost
          WHERE festivalId = ? AND status = 'approved' GROUP BY currency ORDER BY currency`,
    args: [festivalId],
  });
  return rows.map((r) => ({ currency: String(r.currency), amountMinor: Number(r.total) }));
}

// ---------------------------------------------------------------- changes

/** The festival a cost belongs to (for the routes' permission check), or null for an unknown cost. */
export async function costFestival(id: string): Promise<string | null> {
  return (await findCost(id))?.festivalId ?? null;
}

/**
 * Submit a cost (festival:costs, checked by the route). The receipt is checked
 * and stored first, its row written after; a refused receipt writes nothing,
 * and a failed row removes the stored file.
 */
export async function submitCost(
  actor: CurrentUser,
  festival: { id: string; currency: string },
  input: CostInput,
  receiptBytes: Buffer | null,
  now = new Date(),
): Promise<CostView> {
  const currency = input.currency ?? festival.currency;
  if (currency !== festival.currency) throw new FieldRulesError({ currency: "v.costCurrency" });
  const receipt: StoredReceipt | null = receiptBytes ? await storeReceipt(receiptBytes) : null;
  const id = randomToken(12);
  try {
    await writeTransaction(async (tx) => {
      const statements: InStatement[] = [
        {
          sql: `INSERT INTO FestivalCost (id, festivalId, category, description, amountMinor, currency,
                  receiptFile, receiptType, receiptBytes, status, submittedById, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)`,
          args: [
            id,
            festival.id,
            input.category,
            input.description,
            input.amountMinor,
            currency,
            receipt?.file ?? null,
            receipt?.type ?? null,
            receipt?.bytes ?? null,
            actor.id,
            sqlDate(now),
            sqlDate(now),
          ],
        },
        auditStatement(
          {
            actorUserId: actor.id,
            action: "cost.submit",
            targetType: "festivalCost",
            targetId: id,
            festivalId: festival.id,
            details: {
              category: input.category,
              amountMinor: input.amountMinor,
              currency,
              receipt: receipt !== null,
            },
          },
          now,
        ),
      ];
      for (const stmt of statements) await tx.execute(stmt);
    });
  } catch (error) {
    await removeReceiptFile(receipt?.file);
    throw error;
  }
  return viewOf({ id, festivalId: festival.id });
}

/** Read a cost inside a write transaction, or 404. */
async function lockedCost(tx: SqlExecutor, id: string): Promise<CostRow> {
  const cost = await findCost(id, tx);
  if (!cost) throw DomainError.notFound("No such cost.");
  return cost;
}

const notInStatus = (cost: CostRow, action: string) =>
  new DomainError(
    409,
    "cost_not_pending",
    `This cost is ${cost.status}: it cannot be ${action} now.`,
  );

/**
 * A treasurer's approval (treasury, checked by the route). The submitter is
 * refused (403 self_approval); the same person approving twice counts once;
 * with PAYOUT_APPROVALS approvals from people other than the submitter it is
 * approved. Concurrent approvals are serialised by the write transaction.
 */
export async function approveCost(actor: CurrentUser, id: string, now = new Date()) {
  const festivalId = await writeTransaction(async (tx) => {
    const cost = await lockedCost(tx, id);
    if (cost.status !== "submitted") {
      // Approving again what one already approved changes nothing.
      if (cost.status === "approved" || cost.status === "paid") {
        const { rows } = await tx.execute({
          sql: `SELECT 1 FROM Approval WHERE subjectType = 'cost' AND subjectId = ? AND userId = ?`,
          args: [id, actor.id],
        });
        if (rows.length && cost.submittedById !== actor.id) return cost.festivalId;
      }
      throw notInStatus(cost, "approved");
    }
    const count = await recordApproval(
      tx,
      { type: "cost", id, proposedById: cost.submittedById },
      actor.id,
      now,
    );
    if (!count.added) return cost.festivalId;
    const statements: InStatement[] = [];
    if (count.complete)
      statements.push({
        sql: `UPDATE FestivalCost SET status = 'approved', approvedAt = ?, decidedById = ?, updatedAt = ?
              WHERE id = ? AND status = 'submitted'`,
        args: [sqlDate(now), actor.id, sqlDate(now), id],
      });
    statements.push(
      auditStatement(
        {
          actorUserId: actor.id,
          action: count.complete ? "cost.approve" : "cost.approve.partial",
          targetType: "festivalCost",
          targetId: id,
          festivalId: cost.festivalId,
          details: { approvals: count.count, needed: count.needed },
        },
        now,
      ),
    );
    for (const stmt of statements) await tx.execute(stmt);
    return cost.festivalId;
  });
  return viewOf({ id, festivalId });
}

/** A treasurer refuses a cost, saying why (treasury). A paid cost stays paid. */
export async function rejectCost(actor: CurrentUser, id: string, note: string, now = new Date()) {
  const festivalId = await writeTransaction(async (tx) => {
    const cost = await lockedCost(tx, id);
    if (cost.status !== "submitted" && cost.status !== "approved")
      throw notInStatus(cost, "rejected");
    const statements: InStatement[] = [
      {
        sql: `UPDATE FestivalCost SET status = 'rejected', decidedById = ?, decisionNote = ?, updatedAt = ?
              WHERE id = ? AND status IN ('submitted', 'approved')`,
        args: [actor.id, note, sqlDate(now), id],
      },
      // The note is the treasurer's own words: kept on the cost, not in the audit log.
      auditStatement(
        {
          actorUserId: actor.id,
          action: "cost.reject",
          targetType: "festivalCost",
          targetId: id,
          festivalId: cost.festivalId,
          details: { was: cost.status },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cost.festivalId;
  });
  return viewOf({ id, festivalId });
}

/** The submitter withdraws a cost not yet approved (festival:costs, checked by the route). */
export async function cancelCost(actor: CurrentUser, id: string, now = new Date()) {
  const festivalId = await writeTransaction(async (tx) => {
    const cost = await lockedCost(tx, id);
    if (cost.submittedById !== actor.id)
      throw new DomainError(
        403,
        "not_submitter",
        "Only the person who submitted a cost can cancel it.",
      );
    if (cost.status !== "submitted") throw notInStatus(cost, "cancelled");
    const statements: InStatement[] = [
      {
        sql: `UPDATE FestivalCost SET status = 'cancelled', updatedAt = ? WHERE id = ? AND status = 'submitted'`,
        args: [sqlDate(now), id],
      },
      auditStatement(
        {
          actorUserId: actor.id,
          action: "cost.cancel",
          targetType: "festivalCost",
          targetId: id,
          festivalId: cost.festivalId,
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cost.festivalId;
  });
  return viewOf({ id, festivalId });
}

/**
 * What the festival's asset accounts hold in `currency` that a cost may be paid
 * from (positive balances, in H1's draw order; never money held back in a dispute).
 */
export async function spendableAssets(
  db: SqlExecutor,
  festivalId: string,
  currency: string,
): Promise<number> {
  return (await festivalAssets(db, festivalId, currency)).reduce((s, a) => s + a.amountMinor, 0);
}

/**
 * The festival's money not yet in any fund, in `currency`: net income less
 * every expense (fees, allocations, costs paid) — summarize().unallocated.
 */
export async function unallocatedMoney(
  db: SqlExecutor,
  festivalId: string,
  currency: string,
): Promise<number> {
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(-SUM(p.amountMinor), 0) AS left FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.festivalId = ? AND a.currency = ? AND a.type IN ('income', 'expense')`,
    args: [festivalId, currency],
  });
  return Number(rows[0]?.left ?? 0);
}

/**
 * Mark an approved cost paid (treasury): ledger entry `cost:<id>` debits
 * `costs` (the cost's category) and credits the festival's assets; with the
 * status change and the audit row in one write transaction. Refused (409) when
 * the festival's assets hold less than the cost, or when paying it would take
 * money already moved into prisoners' funds (more than is unallocated).
 */
export async function payCost(actor: CurrentUser, id: string, input: PaidInput, now = new Date()) {
  const paidAt = input.paidAt === undefined ? now : parseMoment(input.paidAt, "UTC");
  if (!paidAt || paidAt.getTime() > now.getTime() + 5 * 60_000)
    throw new FieldRulesError({ paidAt: "v.paidAtFuture" });
  const festivalId = await writeTransaction(async (tx) => {
    const cost = await lockedCost(tx, id);
    if (cost.status !== "approved") throw notInStatus(cost, "paid");
    const [held, unallocated] = await Promise.all([
      spendableAssets(tx, cost.festivalId, cost.currency),
      unallocatedMoney(tx, cost.festivalId, cost.currency),
    ]);
    if (held < cost.amountMinor)
      throw new DomainError(
        409,
        "insufficient_assets",
        `The festival holds ${held} (minor units, ${cost.currency}): less than this cost.`,
      );
    if (unallocated < cost.amountMinor)
      throw new DomainError(
        409,
        "insufficient_unallocated",
        `Only ${Math.max(0, unallocated)} (minor units, ${cost.currency}) of the festival's money is not in prisoners' funds: less than this cost.`,
      );
    const credits: Posting[] = await assetDrawPostings(
      tx,
      cost.festivalId,
      cost.currency,
      cost.amountMinor,
    );
    const statements: InStatement[] = [
      {
        sql: `UPDATE FestivalCost SET status = 'paid', paidAt = ?, paidById = ?, reference = ?, updatedAt = ?
              WHERE id = ? AND status = 'approved'`,
        args: [sqlDate(paidAt), actor.id, input.reference, sqlDate(now), id],
      },
      ...entryStatements({
        id: `cost:${id}`,
        festivalId: cost.festivalId,
        kind: "cost",
        actorUserId: actor.id,
        memo: "festival cost paid",
        purpose: cost.category,
        at: now,
        postings: [
          {
            account: {
              festivalId: cost.festivalId,
              currency: cost.currency,
              code: "costs",
              category: cost.category,
            },
            amountMinor: cost.amountMinor,
          },
          ...credits,
        ],
      }),
      auditStatement(
        {
          actorUserId: actor.id,
          action: "cost.paid",
          targetType: "festivalCost",
          targetId: id,
          festivalId: cost.festivalId,
          details: {
            category: cost.category,
            amountMinor: cost.amountMinor,
            currency: cost.currency,
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cost.festivalId;
  });
  return viewOf({ id, festivalId });
}
