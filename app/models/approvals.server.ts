// N-of-M approval (decision 0034): a payout, a festival cost or a fund transfer
// goes ahead once PAYOUT_APPROVALS people other than the one who proposed it
// approved it. One row per person and subject (the primary key), so the same
// person approving twice counts once; the proposer never counts and is refused.
// Rows are append-only (triggers). Callers run these inside the write
// transaction that also moves the subject's status, so concurrent approvals are
// serialised by the database's write lock and counted exactly.
import type { InStatement } from "@libsql/client";
import { DomainError } from "~/utils/domain-error";
import { getEnv } from "~/utils/env.server";
import { sqlDate, type SqlExecutor } from "~/utils/db.server";

export type ApprovalSubject = "payout" | "cost" | "transfer";

/** How many people other than the proposer must approve (PAYOUT_APPROVALS, default 1: two people in all). */
export function requiredApprovals(): number {
  return getEnv().PAYOUT_APPROVALS;
}

/** Who approved a subject so far, oldest first. */
export async function approversOf(
  db: SqlExecutor,
  subjectType: ApprovalSubject,
  subjectId: string,
): Promise<{ userId: string; at: Date }[]> {
  const { rows } = await db.execute({
    sql: `SELECT userId, createdAt FROM Approval WHERE subjectType = ? AND subjectId = ? ORDER BY createdAt, userId`,
    args: [subjectType, subjectId],
  });
  return rows.map((r) => ({ userId: String(r.userId), at: new Date(String(r.createdAt)) }));
}

export function approvalStatement(
  subjectType: ApprovalSubject,
  subjectId: string,
  userId: string,
  at: Date,
): InStatement {
  return {
    sql: `INSERT OR IGNORE INTO Approval (subjectType, subjectId, userId, createdAt) VALUES (?, ?, ?, ?)`,
    args: [subjectType, subjectId, userId, sqlDate(at)],
  };
}

export type ApprovalCount = {
  /** Approvals that count (never the proposer's), including this one. */
  count: number;
  needed: number;
  /** The subject has all the approvals it needs now. */
  complete: boolean;
  /** False when this person had approved already (it counted once). */
  added: boolean;
};

/**
 * Record `userId`'s approval inside the caller's write transaction and say
 * whether the subject now has enough. The proposer is refused (403
 * `self_approval`).
 */
export async function recordApproval(
  tx: SqlExecutor,
  subject: { type: ApprovalSubject; id: string; proposedById: string | null },
  userId: string,
  at: Date = new Date(),
): Promise<ApprovalCount> {
  if (subject.proposedById !== null && subject.proposedById === userId)
    throw new DomainError(
      403,
      "self_approval",
      "You proposed this: someone else must approve it (two-person rule).",
    );
  const before = await approversOf(tx, subject.type, subject.id);
  const already = before.some((a) => a.userId === userId);
  if (!already) await tx.execute(approvalStatement(subject.type, subject.id, userId, at));
  const count = before.filter((a) => a.userId !== subject.proposedById).length + (already ? 0 : 1);
  const needed = requiredApprovals();
  return { count, needed, complete: count >= needed, added: !already };
}
