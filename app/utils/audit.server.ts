// Append-only audit log of privileged actions: who, what, when, on which record.
// Never pass secrets (passwords, codes, tokens, recipients' details) in `details`.
// The table refuses UPDATE and DELETE (triggers in the migration).
import { prisma, type TransactionClient } from "./db.server";

export type AuditEntry = {
  actorUserId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  festivalId?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
};

/** Record one privileged action. Pass the transaction client to make it atomic with the change. */
export async function audit(entry: AuditEntry, tx: TransactionClient = prisma) {
  await tx.auditEvent.create({
    data: {
      actorUserId: entry.actorUserId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      festivalId: entry.festivalId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    },
  });
}
