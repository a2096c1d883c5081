// The books as tests see them: an order's postings in a comparable shape, and
// the whole-ledger check every HTTP test file runs when its app stops.
import { createClient } from "@libsql/client";
import { checkLedger, orderPostings } from "~/models/ledger.server";
import { sqlClient } from "~/utils/db.server";

/** Run the ledger check on a database file; throws with the problems if any. */
export async function assertLedgerBalanced(databaseUrl: string) {
  const client = createClient({ url: databaseUrl });
  try {
    const check = await checkLedger(client);
    if (!check.balanced)
      throw new Error(`The ledger is not balanced:\n${check.problems.join("\n")}`);
  } finally {
    client.close();
  }
}

export type LedgerLine = {
  entry: string;
  kind: string;
  account: string;
  category: string | null;
  prisonerId: string | null;
  holder: string | null;
  currency: string;
  amountMinor: number;
};

/** An order's postings, oldest first, without ids and times (entry = its source key's last part). */
export async function ledgerOf(orderId: string): Promise<LedgerLine[]> {
  return (await orderPostings(sqlClient(), orderId)).map((p) => ({
    entry: p.entryId.split(":").at(-1) ?? p.entryId,
    kind: p.kind,
    account: p.code,
    category: p.category,
    prisonerId: p.prisonerId,
    holder: p.holderType ? `${p.holderType}:${p.holderId}` : null,
    currency: p.currency,
    amountMinor: p.amountMinor,
  }));
}

/** Credit-normal income an order holds per category (and earmark), from its postings. */
export async function incomeOf(orderId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await ledgerOf(orderId)) {
    if (!["income", "refunds", "chargebacks"].includes(p.account)) continue;
    const key = `${p.category}${p.prisonerId ? `:${p.prisonerId}` : ""}`;
    out[key] = (out[key] ?? 0) - p.amountMinor;
    if (out[key] === 0) delete out[key];
  }
  return out;
}
