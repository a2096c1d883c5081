// Public transparency reports (issue 11, decision 0037): what was raised for each
// prisoner, what each festival took in and where it went, and what each month
// collected and paid out. Everything is computed from the ledger when asked,
// aggregated in SQLite; nothing here is stored. No recipient is ever read: a
// payout is known only by its fund (prisoner) and its purpose (category).
import { dateFromSql, sqlClient, type SqlExecutor } from "~/utils/db.server";
import { pickLanguage } from "./ticket-type.server";

/** Entry kinds that move money between funds or currencies: shown apart, never as "raised". */
export const FUND_MOVE_KINDS = ["fund_transfer", "fund_exchange"] as const;

export type PrisonerTotal = {
  currency: string;
  /**
   * Money allocated to the prisoner's fund: allocations plus earmarked money as it
   * was paid, net of earmarks moved back by refunds and chargebacks.
   */
  raisedMinor: number;
  /** Money paid from the fund by payouts. */
  paidOutMinor: number;
  /** Net money moved in (positive) or out (negative) by fund transfers and exchanges. */
  movedMinor: number;
  /** What the fund holds now: raised + moved − paid out. */
  balanceMinor: number;
};

/**
 * Per prisoner and currency, across all festivals: raised, paid out, moved and
 * held. With `prisonerIds`, only those (each present in the map, possibly with no
 * currencies); without, every prisoner with a fund account. Currencies sorted.
 */
export async function prisonerTotals(
  prisonerIds?: string[],
  db: SqlExecutor = sqlClient(),
): Promise<Map<string, PrisonerTotal[]>> {
  const out = new Map<string, PrisonerTotal[]>();
  const ids = prisonerIds ? [...new Set(prisonerIds)] : undefined;
  if (ids) for (const id of ids) out.set(id, []);
  if (ids && ids.length === 0) return out;
  const moves = FUND_MOVE_KINDS.map((k) => `'${k}'`).join(", ");
  const { rows } = await db.execute({
    sql: `SELECT a.prisonerId, a.currency,
                 -COALESCE(SUM(CASE WHEN e.kind NOT IN ('payout', ${moves}) THEN p.amountMinor END), 0) AS raised,
                 COALESCE(SUM(CASE WHEN e.kind = 'payout' THEN p.amountMinor END), 0) AS paid,
                 -COALESCE(SUM(CASE WHEN e.kind IN (${moves}) THEN p.amountMinor END), 0) AS moved,
                 -SUM(p.amountMinor) AS balance
          FROM LedgerAccount a
          JOIN LedgerPosting p ON p.accountId = a.id
          JOIN LedgerEntry e ON e.id = p.entryId
          WHERE a.code = 'fund' AND a.prisonerId IS NOT NULL
            ${ids ? `AND a.prisonerId IN (${ids.map(() => "?").join(", ")})` : ""}
          GROUP BY a.prisonerId, a.currency
          ORDER BY a.prisonerId, a.currency`,
    args: ids ?? [],
  });
  for (const r of rows) {
    const id = String(r.prisonerId);
    const list = out.get(id) ?? [];
    list.push({
      currency: String(r.currency),
      raisedMinor: Number(r.raised),
      paidOutMinor: Number(r.paid),
      movedMinor: Number(r.moved),
      balanceMinor: Number(r.balance),
    });
    out.set(id, list);
  }
  return out;
}

// ---------------------------------------------------------------- shared

/** A month as the reports take it: "YYYY-MM", 1970-01 … 9999-12. Months are UTC. */
export const MONTH_PATTERN = /^(19[7-9]\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/;

export function isReportMonth(value: string): boolean {
  return MONTH_PATTERN.test(value);
}

/** The UTC bounds of a month: [from, to). */
export function monthBounds(month: string): { from: Date; to: Date } {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  return { from: new Date(Date.UTC(year, mon - 1, 1)), to: new Date(Date.UTC(year, mon, 1)) };
}

/**
 * The ledger stores times as ISO 8601 text (`sqlDate`); a day prefix compares
 * below every time of that day and above every time of the day before, so the
 * range test works on the text (and uses no function on the column).
 */
const dayText = (d: Date) => d.toISOString().slice(0, 10);

/** A category's family: "tattoo.<artistId>" → "tattoo" (the public report names no artist). */
const FAMILY_SQL = `CASE WHEN instr(a.category, '.') > 0 THEN substr(a.category, 1, instr(a.category, '.') - 1)
                         ELSE COALESCE(a.category, 'other') END`;

export type PrisonerRef = { id: string; slug: string | null; name: string | null };

/** Public names of prisoners (null for an id no longer in the registry). */
async function prisonerRefs(
  db: SqlExecutor,
  ids: Iterable<string>,
  locale: string,
): Promise<Map<string, PrisonerRef>> {
  const unique = [...new Set(ids)];
  const out = new Map<string, PrisonerRef>();
  for (const id of unique) out.set(id, { id, slug: null, name: null });
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const { rows } = await db.execute({
      sql: `SELECT id, slug, name FROM Prisoner WHERE id IN (${chunk.map(() => "?").join(", ")})`,
      args: chunk,
    });
    for (const r of rows)
      out.set(String(r.id), {
        id: String(r.id),
        slug: String(r.slug),
        name: pickLanguage(String(r.name), locale) || null,
      });
  }
  return out;
}

const byName = (locale: string) => (a: { name: string | null; id: string }, b: typeof a) =>
  (a.name ?? "").localeCompare(b.name ?? "", locale) || a.id.localeCompare(b.id);

type Amount = { category: string; amountMinor: number };

function addTo(list: Amount[], category: string, amountMinor: number) {
  if (amountMinor === 0) return;
  const seen = list.find((a) => a.category === category);
  if (seen) seen.amountMinor += amountMinor;
  else list.push({ category, amountMinor });
}

const sum = (list: { amountMinor: number }[]) => list.reduce((s, a) => s + a.amountMinor, 0);
const sorted = (list: Amount[]) =>
  list.filter((a) => a.amountMinor !== 0).sort((a, b) => a.category.localeCompare(b.category));

// ---------------------------------------------------------------- festivals

/** A festival the public may see (published, or cancelled after publishing); never a draft. */
const PUBLIC_FESTIVAL_SQL = `f.status IN ('published', 'cancelled') AND f.publishedAt IS NOT NULL`;

export type PublicFestivalRef = {
  id: string;
  slug: string;
  name: string;
  city: string;
  country: string;
  timezone: string;
  startsAt: string;
  endsAt: string;
  status: string;
};

function festivalRef(r: Record<string, unknown>): PublicFestivalRef {
  return {
    id: String(r.id),
    slug: String(r.slug),
    name: String(r.name),
    city: String(r.city),
    country: String(r.country),
    timezone: String(r.timezone),
    startsAt: dateFromSql(r.startsAt).toISOString(),
    endsAt: dateFromSql(r.endsAt).toISOString(),
    status: String(r.status),
  };
}

export type FestivalCurrencyReport = {
  currency: string;
  /** Money taken in, by category family (ticket, donation, tattoo), before refunds. */
  gross: Amount[];
  grossMinor: number;
  /** Money given back, by the category it came in under. */
  refunds: Amount[];
  refundsMinor: number;
  /** Money lost to disputes, by category. */
  chargebacks: Amount[];
  chargebacksMinor: number;
  /** Stripe's fees. */
  feesMinor: number;
  /** Conversion between charge and settlement currency (a loss is positive). */
  currencyExchangeMinor: number;
  /** Counted minus expected cash at handovers (a shortfall is positive). */
  cashDifferenceMinor: number;
  /** The festival's costs paid from its money, by category (venue, equipment, …). */
  costs: Amount[];
  costsMinor: number;
  /** gross − refunds − chargebacks − fees − exchange − cash difference − costs. */
  netProceedsMinor: number;
  /** Money moved into each prisoner's fund: earmarked as it was paid, and by allocation. */
  allocated: (PrisonerRef & { earmarkedMinor: number; byRuleMinor: number; totalMinor: number })[];
  /** Money allocated to the general fund. */
  generalFundMinor: number;
  allocatedMinor: number;
  /** Net proceeds not yet in any fund. */
  unallocatedMinor: number;
};

export type FestivalReport = { festival: PublicFestivalRef; currencies: FestivalCurrencyReport[] };

function emptyFestivalCurrency(currency: string): FestivalCurrencyReport {
  return {
    currency,
    gross: [],
    grossMinor: 0,
    refunds: [],
    refundsMinor: 0,
    chargebacks: [],
    chargebacksMinor: 0,
    feesMinor: 0,
    currencyExchangeMinor: 0,
    cashDifferenceMinor: 0,
    costs: [],
    costsMinor: 0,
    netProceedsMinor: 0,
    allocated: [],
    generalFundMinor: 0,
    allocatedMinor: 0,
    unallocatedMinor: 0,
  };
}

async function publicFestivalWhere(db: SqlExecutor, column: "id" | "slug", value: string) {
  if (value.length === 0 || value.length > 100) return null;
  const { rows } = await db.execute({
    sql: `SELECT f.id, f.slug, f.name, f.city, f.country, f.timezone, f.startsAt, f.endsAt, f.status
          FROM Festival f WHERE f.${column} = ? AND ${PUBLIC_FESTIVAL_SQL}`,
    args: [value],
  });
  return rows[0] ? festivalRef(rows[0] as Record<string, unknown>) : null;
}

/** The public festival with this slug (null for drafts and unknown slugs). */
export function publicFestivalBySlug(slug: string, db: SqlExecutor = sqlClient()) {
  return publicFestivalWhere(db, "slug", slug);
}

/**
 * A festival's money per currency, from its ledger accounts: what came in, what
 * went back, fees, costs, net proceeds, what went to which fund and what is left
 * to allocate. Null for drafts and unknown festivals.
 */
export async function festivalReport(
  festivalId: string,
  options: { locale?: string; db?: SqlExecutor } = {},
): Promise<FestivalReport | null> {
  const db = options.db ?? sqlClient();
  const locale = options.locale ?? "en";
  const festival = await publicFestivalWhere(db, "id", festivalId);
  if (!festival) return null;
  // One pass over the festival's income and expense accounts; `allocated` split
  // by whether an allocation entry (the rule) or a payment's earmark put it there.
  const { rows } = await db.execute({
    sql: `SELECT a.currency, a.code, ${FAMILY_SQL} AS family, a.prisonerId,
                 (a.code = 'allocated' AND e.kind = 'allocation') AS byRule,
                 SUM(p.amountMinor) AS amount
          FROM LedgerAccount a
          JOIN LedgerPosting p ON p.accountId = a.id
          JOIN LedgerEntry e ON e.id = p.entryId
          WHERE a.festivalId = ? AND a.type IN ('income', 'expense')
          GROUP BY a.currency, a.code, family, a.prisonerId, byRule
          ORDER BY a.currency`,
    args: [festivalId],
  });
  const currencies = new Map<string, FestivalCurrencyReport>();
  const funds = new Map<string, Map<string, { earmarkedMinor: number; byRuleMinor: number }>>();
  for (const r of rows) {
    const currency = String(r.currency);
    const c = currencies.get(currency) ?? emptyFestivalCurrency(currency);
    currencies.set(currency, c);
    const amount = Number(r.amount);
    const family = String(r.family);
    switch (String(r.code)) {
      case "income":
        addTo(c.gross, family, -amount);
        break;
      case "refunds":
        addTo(c.refunds, family, amount);
        break;
      case "chargebacks":
        addTo(c.chargebacks, family, amount);
        break;
      case "processing_fees":
        c.feesMinor += amount;
        break;
      case "currency_exchange":
        c.currencyExchangeMinor += amount;
        break;
      case "cash_difference":
        c.cashDifferenceMinor += amount;
        break;
      case "costs":
        addTo(c.costs, family, amount);
        break;
      case "allocated": {
        if (r.prisonerId === null) {
          c.generalFundMinor += amount;
          break;
        }
        const byPrisoner = funds.get(currency) ?? new Map();
        funds.set(currency, byPrisoner);
        const id = String(r.prisonerId);
        const f = byPrisoner.get(id) ?? { earmarkedMinor: 0, byRuleMinor: 0 };
        byPrisoner.set(id, f);
        if (Number(r.byRule) === 1) f.byRuleMinor += amount;
        else f.earmarkedMinor += amount;
        break;
      }
    }
  }
  const ids = [...funds.values()].flatMap((m) => [...m.keys()]);
  const refs = await prisonerRefs(db, ids, locale);
  for (const c of currencies.values()) {
    c.gross = sorted(c.gross);
    c.refunds = sorted(c.refunds);
    c.chargebacks = sorted(c.chargebacks);
    c.costs = sorted(c.costs);
    c.grossMinor = sum(c.gross);
    c.refundsMinor = sum(c.refunds);
    c.chargebacksMinor = sum(c.chargebacks);
    c.costsMinor = sum(c.costs);
    c.netProceedsMinor =
      c.grossMinor -
      c.refundsMinor -
      c.chargebacksMinor -
      c.feesMinor -
      c.currencyExchangeMinor -
      c.cashDifferenceMinor -
      c.costsMinor;
    c.allocated = [...(funds.get(c.currency) ?? new Map()).entries()]
      .map(([id, f]) => ({
        ...refs.get(id)!,
        earmarkedMinor: f.earmarkedMinor,
        byRuleMinor: f.byRuleMinor,
        totalMinor: f.earmarkedMinor + f.byRuleMinor,
      }))
      .filter((f) => f.totalMinor !== 0 || f.earmarkedMinor !== 0)
      .sort(byName(locale));
    c.allocatedMinor = c.generalFundMinor + c.allocated.reduce((s, f) => s + f.totalMinor, 0);
    c.unallocatedMinor = c.netProceedsMinor - c.allocatedMinor;
  }
  return { festival, currencies: [...currencies.values()] };
}

export type FestivalListItem = PublicFestivalRef & {
  currencies: {
    currency: string;
    grossMinor: number;
    netProceedsMinor: number;
    allocatedMinor: number;
  }[];
};

/** Public festivals, newest first, with their gross, net proceeds and allocated money per currency. */
export async function reportFestivals(db: SqlExecutor = sqlClient()): Promise<FestivalListItem[]> {
  const [festivals, money] = await Promise.all([
    db.execute(
      `SELECT f.id, f.slug, f.name, f.city, f.country, f.timezone, f.startsAt, f.endsAt, f.status
       FROM Festival f WHERE ${PUBLIC_FESTIVAL_SQL} ORDER BY f.startsAt DESC, f.id`,
    ),
    db.execute(
      `SELECT a.festivalId, a.currency,
              -COALESCE(SUM(CASE WHEN a.code = 'income' THEN p.amountMinor END), 0) AS gross,
              -COALESCE(SUM(CASE WHEN a.code <> 'allocated' THEN p.amountMinor END), 0) AS net,
              COALESCE(SUM(CASE WHEN a.code = 'allocated' THEN p.amountMinor END), 0) AS allocated
       FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
       JOIN Festival f ON f.id = a.festivalId
       WHERE a.type IN ('income', 'expense') AND ${PUBLIC_FESTIVAL_SQL}
       GROUP BY a.festivalId, a.currency ORDER BY a.currency`,
    ),
  ]);
  const byFestival = new Map<string, FestivalListItem["currencies"]>();
  for (const r of money.rows) {
    const list = byFestival.get(String(r.festivalId)) ?? [];
    list.push({
      currency: String(r.currency),
      grossMinor: Number(r.gross),
      netProceedsMinor: Number(r.net),
      allocatedMinor: Number(r.allocated),
    });
    byFestival.set(String(r.festivalId), list);
  }
  return festivals.rows.map((r) => ({
    ...festivalRef(r as Record<string, unknown>),
    currencies: byFestival.get(String(r.id)) ?? [],
  }));
}

// ---------------------------------------------------------------- months

export type PayoutLine = PrisonerRef & { category: string; amountMinor: number };

export type MonthCurrencyReport = {
  currency: string;
  /** Money in during the month by category family: taken in, given back (refunds and chargebacks), net. */
  collected: { category: string; grossMinor: number; refundedMinor: number; netMinor: number }[];
  /** Net money collected (after refunds and chargebacks). */
  collectedMinor: number;
  /** Stripe's fees, conversion and cash differences in the month. */
  feesMinor: number;
  /** Festival costs paid in the month, by category. */
  costs: Amount[];
  costsMinor: number;
  /** Money moved into funds in the month (earmarks and allocations). */
  allocatedMinor: number;
  /** Payouts by purpose (lawyer, prison_visit, …). */
  paidOut: Amount[];
  paidOutMinor: number;
  /** Payouts by prisoner (whose fund paid). */
  paidOutByPrisoner: (PrisonerRef & { amountMinor: number })[];
  /** Payouts by purpose and prisoner: "lawyer fees for Boris Kagarlitsky — 12,000 ₽". */
  payouts: PayoutLine[];
};

export type MonthReport = {
  month: string;
  /** UTC bounds: [from, to). */
  from: string;
  to: string;
  currencies: MonthCurrencyReport[];
};

function emptyMonthCurrency(currency: string): MonthCurrencyReport {
  return {
    currency,
    collected: [],
    collectedMinor: 0,
    feesMinor: 0,
    costs: [],
    costsMinor: 0,
    allocatedMinor: 0,
    paidOut: [],
    paidOutMinor: 0,
    paidOutByPrisoner: [],
    payouts: [],
  };
}

/**
 * One calendar month (UTC) across all festivals: money collected by category
 * against money paid out by purpose and prisoner. A payout counts in the month
 * of its ledger entry (when it was marked paid). Throws RangeError for a month
 * that is not "YYYY-MM".
 */
export async function monthReport(
  month: string,
  options: { locale?: string; db?: SqlExecutor } = {},
): Promise<MonthReport> {
  if (!isReportMonth(month)) throw new RangeError(`not a month: ${month}`);
  const db = options.db ?? sqlClient();
  const locale = options.locale ?? "en";
  const { from, to } = monthBounds(month);
  const range = [dayText(from), dayText(to)];
  // Entries of the month first, then their postings. `festivalId IN (every
  // festival)` is always true (entries reference their festival) but lets SQLite
  // walk the (festivalId, createdAt) index by range per festival instead of
  // scanning every posting.
  const [money, payouts] = await Promise.all([
    db.execute({
      sql: `SELECT a.currency, a.code, ${FAMILY_SQL} AS family, SUM(p.amountMinor) AS amount
            FROM LedgerEntry e
            JOIN LedgerPosting p ON p.entryId = e.id
            JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.festivalId IN (SELECT id FROM Festival) AND e.createdAt >= ? AND e.createdAt < ? AND a.type IN ('income', 'expense')
            GROUP BY a.currency, a.code, family`,
      args: range,
    }),
    db.execute({
      sql: `SELECT a.currency, COALESCE(e.purpose, 'other') AS purpose, a.prisonerId, SUM(p.amountMinor) AS amount
            FROM LedgerEntry e
            JOIN LedgerPosting p ON p.entryId = e.id
            JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.festivalId IN (SELECT id FROM Festival) AND e.createdAt >= ? AND e.createdAt < ? AND e.kind = 'payout' AND a.code = 'fund'
            GROUP BY a.currency, purpose, a.prisonerId`,
      args: range,
    }),
  ]);
  const currencies = new Map<string, MonthCurrencyReport>();
  const of = (currency: string) => {
    const c = currencies.get(currency) ?? emptyMonthCurrency(currency);
    currencies.set(currency, c);
    return c;
  };
  const collected = new Map<string, Map<string, { gross: number; back: number }>>();
  for (const r of money.rows) {
    const c = of(String(r.currency));
    const amount = Number(r.amount);
    const family = String(r.family);
    const code = String(r.code);
    if (code === "income" || code === "refunds" || code === "chargebacks") {
      const byCategory = collected.get(c.currency) ?? new Map();
      collected.set(c.currency, byCategory);
      const line = byCategory.get(family) ?? { gross: 0, back: 0 };
      byCategory.set(family, line);
      if (code === "income") line.gross -= amount;
      else line.back += amount;
    } else if (code === "allocated") c.allocatedMinor += amount;
    else if (code === "costs") addTo(c.costs, family, amount);
    else c.feesMinor += amount;
  }
  const ids = payouts.rows.flatMap((r) => (r.prisonerId === null ? [] : [String(r.prisonerId)]));
  const refs = await prisonerRefs(db, ids, locale);
  const general: PrisonerRef = { id: "", slug: null, name: null };
  for (const r of payouts.rows) {
    const c = of(String(r.currency));
    const amount = Number(r.amount);
    if (amount === 0) continue;
    const ref = r.prisonerId === null ? general : refs.get(String(r.prisonerId))!;
    c.payouts.push({ ...ref, category: String(r.purpose), amountMinor: amount });
    addTo(c.paidOut, String(r.purpose), amount);
    const seen = c.paidOutByPrisoner.find((p) => p.id === ref.id);
    if (seen) seen.amountMinor += amount;
    else c.paidOutByPrisoner.push({ ...ref, amountMinor: amount });
  }
  for (const c of currencies.values()) {
    c.collected = [...(collected.get(c.currency) ?? new Map()).entries()]
      .map(([category, l]) => ({
        category,
        grossMinor: l.gross,
        refundedMinor: l.back,
        netMinor: l.gross - l.back,
      }))
      .filter((l) => l.grossMinor !== 0 || l.refundedMinor !== 0)
      .sort((a, b) => a.category.localeCompare(b.category));
    c.collectedMinor = c.collected.reduce((s, l) => s + l.netMinor, 0);
    c.costs = sorted(c.costs);
    c.costsMinor = sum(c.costs);
    c.paidOut = sorted(c.paidOut);
    c.paidOutMinor = sum(c.paidOut);
    c.paidOutByPrisoner.sort(byName(locale));
    c.payouts.sort((a, b) => a.category.localeCompare(b.category) || byName(locale)(a, b));
  }
  return {
    month,
    from: from.toISOString(),
    to: to.toISOString(),
    currencies: [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

export type MonthSummary = {
  month: string;
  currencies: { currency: string; collectedMinor: number; paidOutMinor: number }[];
};

/** Every month (UTC) with money in or paid out, newest first: net collected and paid out per currency. */
export async function reportMonths(db: SqlExecutor = sqlClient()): Promise<MonthSummary[]> {
  const { rows } = await db.execute(
    `SELECT substr(e.createdAt, 1, 7) AS month, p.currency,
            -COALESCE(SUM(CASE WHEN a.type = 'income' THEN p.amountMinor END), 0) AS collected,
            COALESCE(SUM(CASE WHEN a.code = 'fund' AND e.kind = 'payout' THEN p.amountMinor END), 0) AS paid
     FROM LedgerEntry e
     JOIN LedgerPosting p ON p.entryId = e.id
     JOIN LedgerAccount a ON a.id = p.accountId
     WHERE a.type = 'income' OR (a.code = 'fund' AND e.kind = 'payout')
     GROUP BY month, p.currency
     ORDER BY month DESC, p.currency`,
  );
  const out: MonthSummary[] = [];
  for (const r of rows) {
    const month = String(r.month);
    if (!isReportMonth(month)) continue;
    let m = out.at(-1);
    if (!m || m.month !== month) out.push((m = { month, currencies: [] }));
    const collected = Number(r.collected);
    const paid = Number(r.paid);
    if (collected !== 0 || paid !== 0)
      m.currencies.push({
        currency: String(r.currency),
        collectedMinor: collected,
        paidOutMinor: paid,
      });
  }
  return out.filter((m) => m.currencies.length > 0);
}

// The reports as CSV: app/models/exports.server.ts (festivalReportTable, monthReportTable).
