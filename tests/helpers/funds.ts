// Money in prisoners' funds for tests: an earmarked donation paid into a
// festival's Stripe balance, posted through the ledger's own `entryStatements`
// (which mirrors earmarked money into the prisoner's fund, decision 0033) —
// the same entry a real card donation makes, without an order.
import { entryStatements, type Account } from "~/models/ledger.server";
import { randomToken } from "~/utils/crypto.server";
import { sqlClient } from "~/utils/db.server";

let n = 0;

/**
 * Put `amountMinor` into `prisonerId`'s fund at `festivalId` (and as much into
 * the festival's stripe_balance, where payouts draw it from). Returns the entry id.
 */
export async function fundPrisoner(options: {
  festivalId: string;
  prisonerId: string;
  amountMinor: number;
  currency?: string;
  at?: Date;
}): Promise<string> {
  const currency = options.currency ?? "EUR";
  const id = `test-donation:${++n}:${randomToken(6)}`;
  const asset: Account = { festivalId: options.festivalId, currency, code: "stripe_balance" };
  const income: Account = {
    festivalId: options.festivalId,
    currency,
    code: "income",
    category: "donation",
    prisonerId: options.prisonerId,
  };
  await sqlClient().batch(
    entryStatements({
      id,
      festivalId: options.festivalId,
      kind: "payment",
      memo: "test: earmarked donation",
      at: options.at ?? new Date(),
      postings: [
        { account: asset, amountMinor: options.amountMinor },
        { account: income, amountMinor: -options.amountMinor },
      ],
    }),
    "write",
  );
  return id;
}

/** A prisoner's fund balance in a currency (Σ over festivals), straight from the ledger. */
export async function fundHeld(prisonerId: string, currency = "EUR"): Promise<number> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT -COALESCE(SUM(p.amountMinor), 0) AS held FROM LedgerAccount a
          LEFT JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.code = 'fund' AND a.prisonerId = ? AND a.currency = ?`,
    args: [prisonerId, currency],
  });
  return Number(rows[0]?.held ?? 0);
}
