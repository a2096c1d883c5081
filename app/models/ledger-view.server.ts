// The festival's books as the API shows them: account balances and figures per
// currency. Read-only; the rules and the queries live in ledger.server.ts
// (`orderEntries` and `checkLedger` are used from there as they are).
import { sqlClient, type SqlExecutor } from "~/utils/db.server";
import { festivalBalances, summarize } from "./ledger.server";

/**
 * `GET /api/v1/festivals/:id/ledger`: the festival (id, name, its currency) and,
 * per currency its books hold, every account with its
 * balance (debits minus credits) and the summary (income by category net of
 * refunds and chargebacks, fees, cash by where it is, unallocated). Currencies
 * are never added together.
 */
export async function festivalLedger(
  festival: { id: string; name: string; currency: string },
  db: SqlExecutor = sqlClient(),
) {
  const balances = await festivalBalances(festival.id, db);
  const summary = summarize(balances);
  const currencies: Record<
    string,
    { accounts: typeof balances; summary: ReturnType<typeof summarize>[string] }
  > = {};
  for (const [currency, figures] of Object.entries(summary))
    currencies[currency] = {
      accounts: balances.filter((b) => b.currency === currency),
      summary: figures,
    };
  return {
    festival: { id: festival.id, name: festival.name, currency: festival.currency },
    currencies,
  };
}
