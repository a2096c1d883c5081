// What the payouts need from the funds (H1's app/models/funds.server.ts, the
// one owner of the ledger side): a prisoner's fund balance in a currency, and
// the ledger statements that draw a payout from it (oldest festival first,
// `payout:<id>:<festivalId>`, 409 insufficient_funds). This module only adapts
// that contract for payouts.server.ts and adds the reservations, which are a
// payouts matter (approved — and, for a proposal's check, proposed — payouts
// not yet paid).
import type { InStatement } from "@libsql/client";
import { fundDrawStatements, fundLedgerBalances } from "./funds.server";
import type { SqlExecutor } from "~/utils/db.server";

/** A prisoner's fund balance in one currency, over all festivals (minor units; never < 0). */
export async function fundBalanceMinor(
  db: SqlExecutor,
  prisonerId: string,
  currency: string,
): Promise<number> {
  return (await fundLedgerBalances(db, prisonerId)).get(currency) ?? 0;
}

/**
 * What payouts of a prisoner in a currency hold back: the sum of those with one
 * of `statuses` (default approved), leaving out `exceptId`.
 */
export async function payoutsReservedMinor(
  db: SqlExecutor,
  prisonerId: string,
  currency: string,
  options: { statuses?: readonly ("proposed" | "approved")[]; exceptId?: string } = {},
): Promise<number> {
  const statuses = options.statuses ?? ["approved"];
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(SUM(amountMinor), 0) AS n FROM Payout
          WHERE prisonerId = ? AND currency = ? AND status IN (${statuses.map(() => "?").join(", ")})
            AND id <> ?`,
    args: [prisonerId, currency, ...statuses, options.exceptId ?? ""],
  });
  return Number(rows[0]?.n ?? 0);
}

/** The ledger statements that pay a payout out of the prisoner's fund (H1's FIFO draw). */
export async function payoutDrawStatements(
  db: SqlExecutor,
  payout: {
    id: string;
    prisonerId: string;
    currency: string;
    amountMinor: number;
    category: string;
  },
  actorUserId: string,
  at: Date,
): Promise<InStatement[]> {
  return fundDrawStatements(db, {
    prisonerId: payout.prisonerId,
    currency: payout.currency,
    amountMinor: payout.amountMinor,
    kind: "payout",
    subjectId: payout.id,
    purpose: payout.category,
    actorUserId,
    at,
    // Public and non-personal: what for, never to whom.
    memo: `payout: ${payout.category}`,
  });
}
