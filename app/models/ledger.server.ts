// The money spine: a double-entry ledger in integer minor units (decision 0024).
//
// Every money event is one entry: two or more postings (debit positive, credit
// negative) that sum to zero per currency, written in the same transaction as
// the change that caused it. The database enforces it too: the entry row is
// written after its postings and its insert trigger refuses an unbalanced entry;
// entries, postings and accounts refuse UPDATE and DELETE; the entry's id is the
// event's source key, so replaying an event posts nothing (the postings of an
// entry that exists are skipped, the entry row is ON CONFLICT DO NOTHING).
//
// Accounts are made on first use (INSERT OR IGNORE) with ids derived from what
// they are, so posting needs no lookup: `accountId()`.
import type { InStatement } from "@libsql/client";
import { dateFromSql, sqlClient, sqlDate, type SqlExecutor } from "~/utils/db.server";

/** What an account holds (chart of accounts, decision 0024). */
export const ACCOUNT_CODES = {
  /** Card money Stripe holds for the festival (in the currency Stripe settled in). */
  stripe_balance: "asset",
  /** Card money Stripe holds back while a dispute is open. */
  stripe_disputed: "asset",
  /** Cash taken at the door, per device (holder); legacy cash has no holder. */
  door_cash: "asset",
  /** Cash an organiser recorded as handed to a treasurer (holder), not yet confirmed. */
  cash_in_transit: "asset",
  /** Cash a treasurer (holder) confirmed receiving. */
  treasurer_cash: "asset",
  /** Money taken in, by category (ticket, donation, tattoo; donations with their earmark). */
  income: "income",
  /** Money given back (organiser, Stripe dashboard, late payment), by the category and earmark it came in under. */
  refunds: "income",
  /** Money Stripe took back for a lost dispute, by category and earmark. */
  chargebacks: "income",
  /** Stripe's fees (card processing, disputes). */
  processing_fees: "expense",
  /** Conversion between the charge's and the settlement's currency: one account per currency. */
  currency_exchange: "expense",
  /** Counted cash minus expected cash at a handover (a shortfall is a debit). */
  cash_difference: "expense",
  /** Card money that arrived for an order but not its amount or currency (a payment problem): owed back, never income. */
  unmatched_payments: "liability",
  /** A prisoner's fund (prisonerId) or the general fund (none): money allocated, held for prisoners' support; never below zero (trigger). */
  fund: "liability",
  /** Net proceeds moved into funds (prisonerId: whose): earmarked money as it is paid, the rest by allocation. */
  allocated: "expense",
  /** The festival's approved costs paid from its income, by category (venue, equipment, travel, printing, other). */
  costs: "expense",
} as const;

export type AccountCode = keyof typeof ACCOUNT_CODES;
export type AccountType = (typeof ACCOUNT_CODES)[AccountCode];

export type Account = {
  festivalId: string;
  currency: string;
  code: AccountCode;
  /** For income, refunds and chargebacks: the item kind's category ("ticket", "donation", …). */
  category?: string | null;
  /** For donations: the prisoner the money is earmarked for. */
  prisonerId?: string | null;
  /** For cash: who holds it. */
  holder?: { type: "device" | "user"; id: string } | null;
};

export type Posting = { account: Account; amountMinor: number };

export type EntryKind =
  | "payment"
  | "processing_fee"
  | "refund"
  | "dispute_opened"
  | "dispute_won"
  | "dispute_lost"
  | "reclassification"
  | "cash_handover"
  | "cash_received"
  /** A charge, refund or dispute that Stripe settled in another currency: the conversion per currency. */
  | "currency_exchange"
  /** Money that arrived for an order but did not match it (unmatched_payments). */
  | "unmatched_payment"
  /** Net proceeds moved from the festival's unallocated money into funds by its allocation rule. */
  | "allocation"
  /** A festival cost paid from its money. */
  | "cost"
  /** Money paid from a prisoner's fund to a recipient (who is never in the ledger). */
  | "payout"
  /** Money moved between funds after approval. */
  | "fund_transfer"
  /** A fund's money converted at the treasurer's rate. */
  | "fund_exchange";

export type Entry = {
  /** The event's source key ("stripe:evt_…", "door:<nonce>", …): unique, so it posts once. */
  id: string;
  festivalId: string;
  orderId?: string | null;
  kind: EntryKind;
  actorUserId?: string | null;
  /** Non-personal note (never names, emails or recipients). */
  memo?: string | null;
  /** What a payout or a cost was for: the payout's or cost's category (public). */
  purpose?: string | null;
  at: Date;
  postings: Posting[];
};

/** A ledger rule broken by the code that posts (a bug, never user input). */
export class LedgerError extends Error {}

/** The id of an account: what it is, spelled out, so posting needs no lookup. */
export function accountId(a: Account): string {
  // The id is only unambiguous while no part holds a separator (ids are cuids or base64url).
  for (const part of [a.festivalId, a.category, a.prisonerId, a.holder?.id])
    if (part && /[:=]/.test(part)) throw new LedgerError(`account part ${part} holds ':' or '='`);
  let id = `${a.festivalId}:${a.currency}:${a.code}`;
  if (a.category) id += `:${a.category}`;
  if (a.prisonerId) id += `:p=${a.prisonerId}`;
  if (a.holder) id += `:${a.holder.type}=${a.holder.id}`;
  return id;
}

/** Check an entry before it is written: integers, two postings or more, zero per currency. */
export function assertBalanced(entry: Pick<Entry, "id" | "postings">) {
  if (entry.postings.length < 2)
    throw new LedgerError(`entry ${entry.id}: fewer than two postings`);
  const sums = new Map<string, number>();
  for (const p of entry.postings) {
    if (!Number.isSafeInteger(p.amountMinor) || p.amountMinor === 0)
      throw new LedgerError(`entry ${entry.id}: posting of ${p.amountMinor}`);
    if (!/^[A-Z]{3}$/.test(p.account.currency))
      throw new LedgerError(`entry ${entry.id}: currency ${p.account.currency}`);
    sums.set(p.account.currency, (sums.get(p.account.currency) ?? 0) + p.amountMinor);
  }
  for (const [currency, sum] of sums)
    if (sum !== 0) throw new LedgerError(`entry ${entry.id}: ${currency} sums to ${sum}`);
}

/** Postings of the same account merged, zero-sum ones dropped. */
function merged(postings: Posting[]): Posting[] {
  const byId = new Map<string, Posting>();
  for (const p of postings) {
    const id = accountId(p.account);
    const seen = byId.get(id);
    if (seen) seen.amountMinor += p.amountMinor;
    else byId.set(id, { account: p.account, amountMinor: p.amountMinor });
  }
  return [...byId.values()].filter((p) => p.amountMinor !== 0);
}

const INCOME_CODES: ReadonlySet<AccountCode> = new Set(["income", "refunds", "chargebacks"]);

/** Money earmarked for a prisoner that an entry takes in (positive) or gives back (negative), per festival and currency. */
function earmarkNets(postings: Posting[]) {
  const nets = new Map<
    string,
    { festivalId: string; currency: string; prisonerId: string; net: number }
  >();
  for (const p of postings) {
    const { festivalId, currency, code, prisonerId } = p.account;
    if (!prisonerId || !INCOME_CODES.has(code)) continue;
    const key = `${festivalId}:${currency}:${prisonerId}`;
    const seen = nets.get(key);
    if (seen) seen.net -= p.amountMinor;
    else nets.set(key, { festivalId, currency, prisonerId, net: -p.amountMinor });
  }
  return [...nets.values()].filter((n) => n.net !== 0);
}

/**
 * The statements that write one entry, to run in the transaction of the change
 * that caused it. An entry whose postings all cancel out writes nothing.
 *
 * Earmarked money is in its prisoner's fund as soon as it is paid (decision
 * 0033): for money an entry takes in for prisoner X, the entry also debits
 * `allocated:p=X` and credits `fund:p=X` (merged into the same postings
 * statement: no extra round trip). For earmarked money it gives back (a refund,
 * a chargeback) it moves back from X's fund at that festival only what the fund
 * holds, computed in SQL when the entry is written; the rest is borne by the
 * festival's unallocated money, so no fund is ever overdrawn.
 */
export function entryStatements(entry: Entry): InStatement[] {
  const own = merged(entry.postings);
  if (own.length === 0) return [];
  assertBalanced({ id: entry.id, postings: own });
  const nets = earmarkNets(own);
  const mirrors: Posting[] = [];
  const reversals: { allocated: Account; fund: Account; amountMinor: number }[] = [];
  for (const n of nets) {
    const base = { festivalId: n.festivalId, currency: n.currency, prisonerId: n.prisonerId };
    const allocated: Account = { ...base, code: "allocated" };
    const fund: Account = { ...base, code: "fund" };
    if (n.net > 0)
      mirrors.push(
        { account: allocated, amountMinor: n.net },
        { account: fund, amountMinor: -n.net },
      );
    else reversals.push({ allocated, fund, amountMinor: -n.net });
  }
  const postings = mirrors.length ? merged([...own, ...mirrors]) : own;
  // The accounts a reversal may post to exist before it runs.
  const accounts = [
    ...postings.map((p) => p.account),
    ...reversals.flatMap((r) => [r.allocated, r.fund]),
  ];
  const rows = (count: number, n: number) =>
    Array.from({ length: count }, () => `(${"?, ".repeat(n - 1)}?)`).join(", ");
  // Three statements whatever the number of postings (each costs a round trip on
  // the hot paths): the accounts, the postings, then the entry that seals them.
  // Giving earmarked money back adds two, whatever the number of prisoners.
  const statements: InStatement[] = [
    {
      sql: `INSERT OR IGNORE INTO LedgerAccount (id, festivalId, currency, type, code, category, prisonerId, holderType, holderId, createdAt)
            VALUES ${rows(accounts.length, 10)}`,
      args: accounts.flatMap((a) => [
        accountId(a),
        a.festivalId,
        a.currency,
        ACCOUNT_CODES[a.code],
        a.code,
        a.category ?? null,
        a.prisonerId ?? null,
        a.holder?.type ?? null,
        a.holder?.id ?? null,
        sqlDate(entry.at),
      ]),
    },
    {
      sql: `INSERT INTO LedgerPosting (entryId, accountId, amountMinor, currency) VALUES ${rows(postings.length, 4)}`,
      args: postings.flatMap((p) => [
        entry.id,
        accountId(p.account),
        p.amountMinor,
        p.account.currency,
      ]),
    },
  ];
  if (reversals.length) {
    // First the allocated side, from what the fund holds now (capped at what is
    // given back, nothing when the fund is empty), then the fund side as its
    // negation: the fund's balance changes with the second insert. A replayed
    // entry posts neither (the LedgerPosting_replay trigger).
    statements.push(
      {
        sql: `INSERT INTO LedgerPosting (entryId, accountId, amountMinor, currency)
              SELECT x.entryId, x.allocatedId, -x.take, x.currency FROM (
                SELECT v.column1 AS entryId, v.column2 AS allocatedId, v.column5 AS currency,
                       MIN(v.column4, -COALESCE((SELECT SUM(q.amountMinor) FROM LedgerPosting q WHERE q.accountId = v.column3), 0)) AS take
                FROM (VALUES ${rows(reversals.length, 5)}) v) x
              WHERE x.take > 0`,
        args: reversals.flatMap((r) => [
          entry.id,
          accountId(r.allocated),
          accountId(r.fund),
          r.amountMinor,
          r.fund.currency,
        ]),
      },
      {
        sql: `INSERT INTO LedgerPosting (entryId, accountId, amountMinor, currency)
              SELECT v.column1, v.column3, -p.amountMinor, p.currency
              FROM (VALUES ${rows(reversals.length, 3)}) v
              JOIN LedgerPosting p ON p.entryId = v.column1 AND p.accountId = v.column2`,
        args: reversals.flatMap((r) => [entry.id, accountId(r.allocated), accountId(r.fund)]),
      },
    );
  }
  statements.push({
    sql: `INSERT INTO LedgerEntry (id, festivalId, orderId, kind, actorUserId, memo, purpose, createdAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    args: [
      entry.id,
      entry.festivalId,
      entry.orderId ?? null,
      entry.kind,
      entry.actorUserId ?? null,
      entry.memo ?? null,
      entry.purpose ?? null,
      sqlDate(entry.at),
    ],
  });
  return statements;
}

// ---------------------------------------------------------------- common entries

/** One part of the money an order took in: its category and, for donations, the earmark. */
export type IncomePart = { category: string; prisonerId?: string | null; amountMinor: number };

/** Money in: the asset it arrived in against the income it is, part by part. */
export function moneyInPostings(asset: Account, parts: IncomePart[]): Posting[] {
  const postings: Posting[] = [];
  for (const part of parts) {
    if (part.amountMinor === 0) continue;
    postings.push(
      { account: asset, amountMinor: part.amountMinor },
      {
        account: {
          festivalId: asset.festivalId,
          currency: asset.currency,
          code: "income",
          category: part.category,
          prisonerId: part.prisonerId ?? null,
        },
        amountMinor: -part.amountMinor,
      },
    );
  }
  return postings;
}

/**
 * Money out again: the asset it leaves from against `refunds` (or `chargebacks`)
 * under the category and earmark each part came in under.
 */
export function moneyOutPostings(
  asset: Account,
  parts: IncomePart[],
  code: "refunds" | "chargebacks" = "refunds",
): Posting[] {
  const postings: Posting[] = [];
  for (const part of parts) {
    if (part.amountMinor === 0) continue;
    postings.push(
      {
        account: {
          festivalId: asset.festivalId,
          currency: asset.currency,
          code,
          category: part.category,
          prisonerId: part.prisonerId ?? null,
        },
        amountMinor: part.amountMinor,
      },
      { account: asset, amountMinor: -part.amountMinor },
    );
  }
  return postings;
}

// ---------------------------------------------------------------- reading

export type PostingRow = {
  entryId: string;
  kind: string;
  orderId: string | null;
  createdAt: Date;
  accountId: string;
  code: AccountCode;
  type: AccountType;
  category: string | null;
  prisonerId: string | null;
  holderType: string | null;
  holderId: string | null;
  currency: string;
  amountMinor: number;
};

function postingRow(r: Record<string, unknown>): PostingRow {
  return {
    entryId: String(r.entryId),
    kind: String(r.kind),
    orderId: r.orderId === null ? null : String(r.orderId),
    createdAt: dateFromSql(r.createdAt),
    accountId: String(r.accountId),
    code: String(r.code) as AccountCode,
    type: String(r.type) as AccountType,
    category: r.category === null ? null : String(r.category),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    holderType: r.holderType === null ? null : String(r.holderType),
    holderId: r.holderId === null ? null : String(r.holderId),
    currency: String(r.currency),
    amountMinor: Number(r.amountMinor),
  };
}

const POSTING_COLUMNS = `p.entryId, e.kind, e.orderId, e.createdAt, p.accountId, a.code, a.type, a.category, a.prisonerId,
  a.holderType, a.holderId, p.currency, p.amountMinor`;

/** Every posting of an order's entries, oldest first. */
export async function orderPostings(db: SqlExecutor, orderId: string): Promise<PostingRow[]> {
  const { rows } = await db.execute({
    sql: `SELECT ${POSTING_COLUMNS} FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id
          JOIN LedgerAccount a ON a.id = p.accountId WHERE e.orderId = ? ORDER BY e.rowid, p.id`,
    args: [orderId],
  });
  return rows.map((r) => postingRow(r as Record<string, unknown>));
}

/** An order's entries with their postings, for the API and the order page. */
export async function orderEntries(orderId: string, db: SqlExecutor = sqlClient()) {
  const postings = await orderPostings(db, orderId);
  const entries = new Map<
    string,
    {
      id: string;
      kind: string;
      createdAt: string;
      postings: {
        account: string;
        code: AccountCode;
        category: string | null;
        currency: string;
        amountMinor: number;
      }[];
    }
  >();
  for (const p of postings) {
    let e = entries.get(p.entryId);
    if (!e) {
      e = { id: p.entryId, kind: p.kind, createdAt: p.createdAt.toISOString(), postings: [] };
      entries.set(p.entryId, e);
    }
    e.postings.push({
      account: p.accountId,
      code: p.code,
      category: p.category,
      currency: p.currency,
      amountMinor: p.amountMinor,
    });
  }
  return [...entries.values()];
}

/**
 * What an order still holds, per income part: what came in minus what was
 * refunded or charged back, by category and earmark (credit-normal, so positive
 * means "taken in"). A refund or cancellation reverses exactly this.
 */
export async function orderNetIncome(
  db: SqlExecutor,
  orderId: string,
): Promise<(IncomePart & { currency: string })[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.category, a.prisonerId, p.currency, -SUM(p.amountMinor) AS net
          FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
          WHERE e.orderId = ? AND a.code IN ('income', 'refunds', 'chargebacks')
          GROUP BY a.category, a.prisonerId, p.currency HAVING net <> 0
          ORDER BY a.category, a.prisonerId`,
    args: [orderId],
  });
  return rows.map((r) => ({
    category: String(r.category),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    currency: String(r.currency),
    amountMinor: Number(r.net),
  }));
}

/**
 * Which asset accounts an order's money is in now (debit-normal, positive =
 * held), e.g. the door devices that took its cash. Fees, conversions and
 * unmatched money are not the order's (its money is counted in its own currency).
 */
export async function orderAssets(
  db: SqlExecutor,
  orderId: string,
): Promise<{ account: Account; amountMinor: number }[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.festivalId, a.code, a.holderType, a.holderId, p.currency, SUM(p.amountMinor) AS held
          FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
          WHERE e.orderId = ? AND a.type = 'asset' AND e.kind NOT IN ('processing_fee', 'currency_exchange', 'unmatched_payment')
          GROUP BY a.id HAVING held <> 0 ORDER BY a.id`,
    args: [orderId],
  });
  return rows.map((r) => ({
    account: {
      festivalId: String(r.festivalId),
      currency: String(r.currency),
      code: String(r.code) as AccountCode,
      holder:
        r.holderType === null
          ? null
          : { type: String(r.holderType) as "device" | "user", id: String(r.holderId) },
    },
    amountMinor: Number(r.held),
  }));
}

export type AccountBalance = {
  id: string;
  code: AccountCode;
  type: AccountType;
  category: string | null;
  prisonerId: string | null;
  holder: { type: string; id: string } | null;
  currency: string;
  /** Debits minus credits: positive for assets and expenses, negative for income. */
  balanceMinor: number;
};

/** Every account of a festival with its balance, per currency. */
export async function festivalBalances(
  festivalId: string,
  db: SqlExecutor = sqlClient(),
): Promise<AccountBalance[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.id, a.code, a.type, a.category, a.prisonerId, a.holderType, a.holderId, a.currency,
                 COALESCE((SELECT SUM(p.amountMinor) FROM LedgerPosting p WHERE p.accountId = a.id), 0) AS balance
          FROM LedgerAccount a WHERE a.festivalId = ? ORDER BY a.currency, a.type, a.id`,
    args: [festivalId],
  });
  return rows.map((r) => ({
    id: String(r.id),
    code: String(r.code) as AccountCode,
    type: String(r.type) as AccountType,
    category: r.category === null ? null : String(r.category),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    holder: r.holderType === null ? null : { type: String(r.holderType), id: String(r.holderId) },
    currency: String(r.currency),
    balanceMinor: Number(r.balance),
  }));
}

/**
 * The festival's figures per currency, from its balances: income by category
 * (net of refunds and chargebacks), fees, differences, what went into funds
 * (allocated), costs, what its fund accounts hold and what is left to allocate
 * (unallocated = income + expenses, credit-normal). All amounts are positive
 * when money came in (allocated and costs: positive when money went out to them).
 */
export function summarize(balances: AccountBalance[]) {
  type Sum = {
    gross: Record<string, number>;
    refunds: number;
    chargebacks: number;
    net: Record<string, number>;
    earmarked: Record<string, number>;
    processingFees: number;
    currencyExchange: number;
    cashDifference: number;
    stripe: number;
    stripeDisputed: number;
    doorCash: number;
    inTransit: number;
    treasurerCash: number;
    /** Card money that did not match its order, owed back (a liability, credit-normal). */
    unmatched: number;
    /** Moved into funds (earmarked money as it was paid, the rest by allocation), net of earmarks given back. */
    allocated: number;
    /** The same per prisoner (the general fund's share is `allocatedGeneral`). */
    allocatedTo: Record<string, number>;
    allocatedGeneral: number;
    /** The festival's costs paid from its money, by category, and their total. */
    costs: Record<string, number>;
    costsTotal: number;
    /** What the festival's fund accounts hold now, per prisoner; the general fund's; the total. */
    funds: Record<string, number>;
    generalFund: number;
    fundsTotal: number;
    /** Net income minus fees, differences, allocations and costs: the money not yet allocated to a fund. */
    unallocated: number;
  };
  const out: Record<string, Sum> = {};
  for (const b of balances) {
    const s = (out[b.currency] ??= {
      gross: {},
      refunds: 0,
      chargebacks: 0,
      net: {},
      earmarked: {},
      processingFees: 0,
      currencyExchange: 0,
      cashDifference: 0,
      stripe: 0,
      stripeDisputed: 0,
      doorCash: 0,
      inTransit: 0,
      treasurerCash: 0,
      unmatched: 0,
      allocated: 0,
      allocatedTo: {},
      allocatedGeneral: 0,
      costs: {},
      costsTotal: 0,
      funds: {},
      generalFund: 0,
      fundsTotal: 0,
      unallocated: 0,
    });
    const credit = -b.balanceMinor;
    const category = b.category ?? "other";
    switch (b.code) {
      case "income":
        s.gross[category] = (s.gross[category] ?? 0) + credit;
        break;
      case "refunds":
        s.refunds += b.balanceMinor;
        break;
      case "chargebacks":
        s.chargebacks += b.balanceMinor;
        break;
      case "processing_fees":
        s.processingFees += b.balanceMinor;
        break;
      case "currency_exchange":
        s.currencyExchange += b.balanceMinor;
        break;
      case "cash_difference":
        s.cashDifference += b.balanceMinor;
        break;
      case "stripe_balance":
        s.stripe += b.balanceMinor;
        break;
      case "stripe_disputed":
        s.stripeDisputed += b.balanceMinor;
        break;
      case "door_cash":
        s.doorCash += b.balanceMinor;
        break;
      case "cash_in_transit":
        s.inTransit += b.balanceMinor;
        break;
      case "treasurer_cash":
        s.treasurerCash += b.balanceMinor;
        break;
      case "unmatched_payments":
        s.unmatched += credit;
        break;
      case "allocated":
        s.allocated += b.balanceMinor;
        if (b.prisonerId)
          s.allocatedTo[b.prisonerId] = (s.allocatedTo[b.prisonerId] ?? 0) + b.balanceMinor;
        else s.allocatedGeneral += b.balanceMinor;
        break;
      case "costs":
        s.costs[category] = (s.costs[category] ?? 0) + b.balanceMinor;
        s.costsTotal += b.balanceMinor;
        break;
      case "fund":
        s.fundsTotal += credit;
        if (b.prisonerId) s.funds[b.prisonerId] = (s.funds[b.prisonerId] ?? 0) + credit;
        else s.generalFund += credit;
        break;
    }
    if (b.type === "income") {
      s.net[category] = (s.net[category] ?? 0) + credit;
      if (b.prisonerId) s.earmarked[b.prisonerId] = (s.earmarked[b.prisonerId] ?? 0) + credit;
    }
    if (b.type === "income" || b.type === "expense") s.unallocated += credit;
  }
  return out;
}

// ---------------------------------------------------------------- the check

export type LedgerCheck = { balanced: boolean; entries: number; problems: string[] };

/**
 * Check the whole ledger: every entry has two postings or more summing to zero
 * per currency, every posting is in its account's currency and has its entry,
 * no order holds more income than its total or less than nothing, and no fund
 * account holds less than nothing.
 */
export async function checkLedger(db: SqlExecutor = sqlClient()): Promise<LedgerCheck> {
  const problems: string[] = [];
  const [entries, unbalanced, thin, currency, orphans, orders, funds] = await Promise.all([
    db.execute("SELECT COUNT(*) AS n FROM LedgerEntry"),
    db.execute(
      `SELECT entryId, currency, SUM(amountMinor) AS s FROM LedgerPosting GROUP BY entryId, currency HAVING s <> 0 LIMIT 100`,
    ),
    db.execute(
      `SELECT e.id, COUNT(p.id) AS n FROM LedgerEntry e LEFT JOIN LedgerPosting p ON p.entryId = e.id GROUP BY e.id HAVING n < 2 LIMIT 100`,
    ),
    db.execute(
      `SELECT p.id, p.entryId FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId WHERE p.currency <> a.currency LIMIT 100`,
    ),
    db.execute(
      `SELECT p.id, p.entryId FROM LedgerPosting p LEFT JOIN LedgerEntry e ON e.id = p.entryId WHERE e.id IS NULL LIMIT 100`,
    ),
    db.execute(
      `SELECT o.id, o.totalMinor, o.currency, -SUM(p.amountMinor) AS net
       FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
       JOIN "Order" o ON o.id = e.orderId
       WHERE a.type = 'income' GROUP BY o.id, p.currency
       HAVING net < 0 OR net > o.totalMinor OR p.currency <> o.currency LIMIT 100`,
    ),
    db.execute(
      `SELECT a.id, -SUM(p.amountMinor) AS held FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
       WHERE a.code = 'fund' GROUP BY a.id HAVING held < 0 LIMIT 100`,
    ),
  ]);
  for (const r of unbalanced.rows)
    problems.push(
      `entry ${String(r.entryId)}: ${String(r.currency)} postings sum to ${Number(r.s)}`,
    );
  for (const r of thin.rows)
    problems.push(`entry ${String(r.id)}: ${Number(r.n)} posting(s), at least two are needed`);
  for (const r of currency.rows)
    problems.push(
      `posting ${Number(r.id)} of entry ${String(r.entryId)}: not in its account's currency`,
    );
  for (const r of orphans.rows)
    problems.push(`posting ${Number(r.id)}: its entry ${String(r.entryId)} does not exist`);
  for (const r of orders.rows)
    problems.push(
      `order ${String(r.id)}: holds ${Number(r.net)} of income, outside 0..${Number(r.totalMinor)} ${String(r.currency)}`,
    );
  for (const r of funds.rows)
    problems.push(`fund account ${String(r.id)}: holds ${Number(r.held)}, below zero`);
  return { balanced: problems.length === 0, entries: Number(entries.rows[0]?.n ?? 0), problems };
}

/**
 * The postings that give back everything an order still holds: `refunds` under
 * each category and earmark it came in under, against the asset accounts its
 * money is in now (money at Stripe, each door device's cash).
 */
export async function orderReversalPostings(
  db: SqlExecutor,
  orderId: string,
  code: "refunds" | "chargebacks" = "refunds",
): Promise<Posting[]> {
  const [net, assets] = await Promise.all([orderNetIncome(db, orderId), orderAssets(db, orderId)]);
  const postings: Posting[] = [];
  for (const part of net)
    postings.push({
      account: {
        festivalId: assets[0]?.account.festivalId ?? "",
        currency: part.currency,
        code,
        category: part.category,
        prisonerId: part.prisonerId,
      },
      amountMinor: part.amountMinor,
    });
  for (const a of assets) postings.push({ account: a.account, amountMinor: -a.amountMinor });
  return postings;
}
