// The organiser's dashboard (issue 13): one festival's figures at a glance, and
// the admins' overview of every festival by country and city. Read-only; every
// figure comes from the tables that hold it: tickets and quotas (sold, held,
// capacity), the ledger (money: integer minor units, per currency, never added
// across currencies — decision 0024), tattoo slots and bookings, costs, and the
// tickets' first admissions (check-ins). Days are the festival's own (its IANA
// zone). Names are in the reader's language; amounts are formatted by the page.
import { DateTime } from "luxon";
import { dateFromSql, sqlClient, type SqlExecutor } from "~/utils/db.server";
import { arrivalsPer10Minutes, doorCounters } from "./door.server";
import {
  ACCOUNT_CODES,
  festivalBalances,
  summarize,
  type AccountBalance,
  type AccountCode,
  type AccountType,
} from "./ledger.server";
import { artistOfCategory, categoryFamily } from "./tattoo-money";
import { pickLanguage } from "./ticket-type.server";

/** Minor units per currency ("EUR" → 12_300). */
export type PerCurrency = Record<string, number>;

/** The income families the dashboard shows (a category outside them counts as "other"). */
export const INCOME_FAMILIES = ["ticket", "donation", "tattoo", "other"] as const;
export type IncomeFamily = (typeof INCOME_FAMILIES)[number];

/** Booking states that took a slot for good (a hold is still being paid). */
const BOOKED_STATES = ["booked", "done", "no_show"] as const;

/** At most this many days of sales are listed (a sales window longer than a year is cut at its end). */
export const MAX_SALES_DAYS = 400;

const add = (to: PerCurrency, currency: string, amount: number) => {
  if (amount !== 0) to[currency] = (to[currency] ?? 0) + amount;
};

function family(category: string | null): IncomeFamily {
  const f = categoryFamily(category ?? "other");
  return (INCOME_FAMILIES as readonly string[]).includes(f) ? (f as IncomeFamily) : "other";
}

async function prisonerNames(ids: string[], locale: string, db: SqlExecutor) {
  const names = new Map<string, string>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return names;
  const { rows } = await db.execute({
    sql: `SELECT id, name FROM Prisoner WHERE id IN (${unique.map(() => "?").join(", ")})`,
    args: unique,
  });
  for (const r of rows) names.set(String(r.id), pickLanguage(String(r.name), locale));
  return names;
}

// ---------------------------------------------------------------- tickets

export type TypeFigure = {
  id: string;
  name: string;
  quotaId: string | null;
  capacity: number;
  /** Valid tickets issued (paid, or confirmed to pay at the door). */
  sold: number;
  /** Places held by orders still being paid. */
  held: number;
};
export type QuotaFigure = {
  id: string;
  name: string;
  capacity: number;
  sold: number;
  held: number;
};

/** Per ticket type and per quota: capacity, sold and held. */
export async function ticketFigures(festivalId: string, locale: string, db = sqlClient()) {
  const [types, quotas, pending] = await Promise.all([
    db.execute({
      sql: `SELECT t.id, t.name, t.quotaId, t.capacity,
                   (SELECT COUNT(*) FROM Ticket k
                     WHERE k.festivalId = t.festivalId AND k.ticketTypeId = t.id AND k.status = 'valid') AS sold
            FROM TicketType t WHERE t.festivalId = ? ORDER BY t.position, t.createdAt`,
      args: [festivalId],
    }),
    db.execute({
      sql: `SELECT id, name, capacity FROM Quota WHERE festivalId = ? ORDER BY createdAt`,
      args: [festivalId],
    }),
    // Held: the ticket lines of orders still being paid (through the orders' index).
    db.execute({
      sql: `SELECT i.ticketTypeId, SUM(i.quantity) AS held FROM "Order" o JOIN OrderItem i ON i.orderId = o.id
            WHERE o.festivalId = ? AND o.status = 'pending' AND i.kind = 'ticket' GROUP BY i.ticketTypeId`,
      args: [festivalId],
    }),
  ]);
  const held = new Map(pending.rows.map((r) => [String(r.ticketTypeId), Number(r.held)]));
  const typeRows: TypeFigure[] = types.rows.map((r) => ({
    id: String(r.id),
    name: pickLanguage(String(r.name), locale),
    quotaId: r.quotaId === null ? null : String(r.quotaId),
    capacity: Number(r.capacity),
    sold: Number(r.sold),
    held: held.get(String(r.id)) ?? 0,
  }));
  const quotaRows: QuotaFigure[] = quotas.rows.map((r) => {
    const members = typeRows.filter((t) => t.quotaId === String(r.id));
    return {
      id: String(r.id),
      name: String(r.name),
      capacity: Number(r.capacity),
      sold: members.reduce((s, t) => s + t.sold, 0),
      held: members.reduce((s, t) => s + t.held, 0),
    };
  });
  // The festival's capacity: each quota once, and the types outside any quota.
  const capacity =
    quotaRows.reduce((s, q) => s + q.capacity, 0) +
    typeRows.filter((t) => !t.quotaId).reduce((s, t) => s + t.capacity, 0);
  return {
    types: typeRows,
    quotas: quotaRows,
    capacity,
    sold: typeRows.reduce((s, t) => s + t.sold, 0),
    held: typeRows.reduce((s, t) => s + t.held, 0),
  };
}

// ---------------------------------------------------------------- sales per day

export type SalesDay = {
  /** YYYY-MM-DD in the festival's zone. */
  day: string;
  tickets: number;
  /** Net income booked that day (refunds subtract on the day they were made), per currency. */
  income: PerCurrency;
};

/** Tickets issued and net income per day in the festival's zone, empty days included. */
export async function salesPerDay(
  festivalId: string,
  timezone: string,
  db = sqlClient(),
): Promise<SalesDay[]> {
  // Grouped by quarter hour of UTC in SQL (times are stored as ISO text; an
  // integer would be milliseconds). Every zone's offset is a whole number of
  // quarter hours, so one quarter hour falls on one local day: luxon is asked
  // once per quarter hour with sales, not once per ticket.
  const quarter = (column: string) =>
    `CAST((CASE typeof(${column}) WHEN 'integer' THEN ${column} / 1000 ELSE unixepoch(${column}) END) / 900 AS INTEGER)`;
  const [tickets, income] = await Promise.all([
    db.execute({
      sql: `SELECT ${quarter("createdAt")} AS q, COUNT(*) AS n FROM Ticket
            WHERE festivalId = ? AND status = 'valid' GROUP BY q`,
      args: [festivalId],
    }),
    db.execute({
      sql: `SELECT ${quarter("e.createdAt")} AS q, p.currency, SUM(p.amountMinor) AS amount
            FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId JOIN LedgerEntry e ON e.id = p.entryId
            WHERE a.festivalId = ? AND a.type = 'income' GROUP BY q, p.currency`,
      args: [festivalId],
    }),
  ]);
  const quarters = new Map<number, string>();
  const dayOf = (value: unknown) => {
    const q = Number(value);
    let day = quarters.get(q);
    if (day === undefined) {
      day = DateTime.fromMillis(q * 900_000, { zone: timezone }).toISODate() ?? "";
      quarters.set(q, day);
    }
    return day;
  };
  const days = new Map<string, SalesDay>();
  const at = (day: string) => {
    let d = days.get(day);
    if (!d) days.set(day, (d = { day, tickets: 0, income: {} }));
    return d;
  };
  for (const r of tickets.rows) at(dayOf(r.q)).tickets += Number(r.n);
  // Income accounts are credit-normal: a credit (negative) is money in.
  for (const r of income.rows) add(at(dayOf(r.q)).income, String(r.currency), -Number(r.amount));
  if (days.size === 0) return [];
  const keys = [...days.keys()].sort();
  const last = DateTime.fromISO(keys[keys.length - 1]!, { zone: "UTC" });
  let cursor = DateTime.max(
    DateTime.fromISO(keys[0]!, { zone: "UTC" }),
    last.minus({ days: MAX_SALES_DAYS - 1 }),
  );
  const out: SalesDay[] = [];
  while (cursor <= last) {
    const day = cursor.toISODate()!;
    out.push(days.get(day) ?? { day, tickets: 0, income: {} });
    cursor = cursor.plus({ days: 1 });
  }
  return out;
}

// ---------------------------------------------------------------- money

export type RevenueLine = {
  family: IncomeFamily;
  grossMinor: number;
  /** Refunds and chargebacks (a positive amount given back). */
  refundedMinor: number;
  netMinor: number;
};
export type CurrencyRevenue = {
  currency: string;
  lines: RevenueLine[];
  netMinor: number;
  /** Stripe's fees, apart (never subtracted from the income). */
  feesMinor: number;
};

function revenueOf(balances: AccountBalance[]): CurrencyRevenue[] {
  const out = new Map<string, CurrencyRevenue>();
  for (const b of balances) {
    if (b.type !== "income" && b.code !== "processing_fees") continue;
    let c = out.get(b.currency);
    if (!c)
      out.set(b.currency, (c = { currency: b.currency, lines: [], netMinor: 0, feesMinor: 0 }));
    if (b.code === "processing_fees") {
      c.feesMinor += b.balanceMinor;
      continue;
    }
    const f = family(b.category);
    let line = c.lines.find((l) => l.family === f);
    if (!line) c.lines.push((line = { family: f, grossMinor: 0, refundedMinor: 0, netMinor: 0 }));
    if (b.code === "income") line.grossMinor -= b.balanceMinor;
    else line.refundedMinor += b.balanceMinor;
    line.netMinor -= b.balanceMinor;
    c.netMinor -= b.balanceMinor;
  }
  for (const c of out.values())
    c.lines.sort((a, b) => INCOME_FAMILIES.indexOf(a.family) - INCOME_FAMILIES.indexOf(b.family));
  return [...out.values()].filter((c) => c.lines.length > 0 || c.feesMinor !== 0);
}

export type Earmark = { prisonerId: string | null; name: string | null; netMinor: number };
export type CurrencyDonations = { currency: string; netMinor: number; earmarks: Earmark[] };

/** Donations (not tattoo donations: those are the artists') per currency and earmark, net of refunds. */
function donationsOf(balances: AccountBalance[], names: Map<string, string>): CurrencyDonations[] {
  const out = new Map<string, CurrencyDonations>();
  for (const b of balances) {
    if (b.type !== "income" || family(b.category) !== "donation") continue;
    let c = out.get(b.currency);
    if (!c) out.set(b.currency, (c = { currency: b.currency, netMinor: 0, earmarks: [] }));
    let e = c.earmarks.find((x) => x.prisonerId === b.prisonerId);
    if (!e)
      c.earmarks.push(
        (e = {
          prisonerId: b.prisonerId,
          name: b.prisonerId ? (names.get(b.prisonerId) ?? null) : null,
          netMinor: 0,
        }),
      );
    e.netMinor -= b.balanceMinor;
    c.netMinor -= b.balanceMinor;
  }
  return [...out.values()];
}

export type RoutedLine = { prisonerId: string | null; name: string | null; amountMinor: number };
export type CurrencyRouted = {
  currency: string;
  /** Moved into funds: earmarked money as it was paid, the rest by allocation. */
  totalMinor: number;
  prisoners: RoutedLine[];
  /** Not yet allocated to any fund. */
  unallocatedMinor: number;
};

function routedOf(
  summary: ReturnType<typeof summarize>,
  names: Map<string, string>,
): CurrencyRouted[] {
  return Object.entries(summary)
    .filter(([, s]) => s.allocated !== 0 || s.unallocated !== 0)
    .map(([currency, s]) => ({
      currency,
      totalMinor: s.allocated,
      unallocatedMinor: s.unallocated,
      prisoners: [
        ...Object.entries(s.allocatedTo)
          .filter(([, amount]) => amount !== 0)
          .map(([id, amount]) => ({
            prisonerId: id,
            name: names.get(id) ?? null,
            amountMinor: amount,
          }))
          .sort((a, b) => b.amountMinor - a.amountMinor),
        ...(s.allocatedGeneral !== 0
          ? [{ prisonerId: null, name: null, amountMinor: s.allocatedGeneral }]
          : []),
      ],
    }));
}

export type CostLine = { category: string; paidMinor: number; pendingMinor: number };
export type CurrencyCosts = {
  currency: string;
  paidMinor: number;
  pendingMinor: number;
  lines: CostLine[];
};

/** Costs paid (from the ledger) and still to pay (submitted or approved), per currency and category. */
async function costsOf(
  festivalId: string,
  summary: ReturnType<typeof summarize>,
  db: SqlExecutor,
): Promise<CurrencyCosts[]> {
  const { rows } = await db.execute({
    sql: `SELECT currency, category, SUM(amountMinor) AS amount FROM FestivalCost
          WHERE festivalId = ? AND status IN ('submitted', 'approved') GROUP BY currency, category`,
    args: [festivalId],
  });
  const out = new Map<string, CurrencyCosts>();
  const line = (currency: string, category: string) => {
    let c = out.get(currency);
    if (!c) out.set(currency, (c = { currency, paidMinor: 0, pendingMinor: 0, lines: [] }));
    let l = c.lines.find((x) => x.category === category);
    if (!l) c.lines.push((l = { category, paidMinor: 0, pendingMinor: 0 }));
    return { c, l };
  };
  for (const [currency, s] of Object.entries(summary))
    for (const [category, amount] of Object.entries(s.costs)) {
      if (amount === 0) continue;
      const { c, l } = line(currency, category);
      l.paidMinor += amount;
      c.paidMinor += amount;
    }
  for (const r of rows) {
    const { c, l } = line(String(r.currency), String(r.category));
    l.pendingMinor += Number(r.amount);
    c.pendingMinor += Number(r.amount);
  }
  return [...out.values()];
}

// ---------------------------------------------------------------- tattoo

export type ArtistFigure = {
  id: string;
  name: string;
  /** Open slots (free, held or booked); withdrawn ones are not counted. */
  slots: number;
  booked: number;
  held: number;
  /** Net tattoo donations for the artist, per currency (from the ledger). */
  money: PerCurrency;
};

async function tattooOf(
  festivalId: string,
  balances: AccountBalance[],
  db: SqlExecutor,
): Promise<ArtistFigure[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.id, a.name,
                 (SELECT COUNT(*) FROM TattooSlot s WHERE s.artistId = a.id AND s.status = 'open') AS slots,
                 (SELECT COUNT(*) FROM TattooBooking b WHERE b.artistId = a.id
                   AND b.status IN (${BOOKED_STATES.map(() => "?").join(", ")})) AS booked,
                 (SELECT COUNT(*) FROM TattooBooking b WHERE b.artistId = a.id AND b.status = 'held') AS held
          FROM TattooArtist a WHERE a.festivalId = ? ORDER BY a.position, a.createdAt`,
    args: [...BOOKED_STATES, festivalId],
  });
  const money = new Map<string, PerCurrency>();
  for (const b of balances) {
    const artist = b.type === "income" ? artistOfCategory(b.category) : null;
    if (!artist) continue;
    const m = money.get(artist) ?? money.set(artist, {}).get(artist)!;
    add(m, b.currency, -b.balanceMinor);
  }
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    slots: Number(r.slots),
    booked: Number(r.booked),
    held: Number(r.held),
    money: money.get(String(r.id)) ?? {},
  }));
}

// ---------------------------------------------------------------- one festival

export type DashboardFestival = {
  id: string;
  name: string;
  timezone: string;
  currency: string;
  startsAt: Date;
  endsAt: Date;
  status: string;
};

/** Whether the festival is on now (its check-ins are live). */
export function isRunning(
  festival: Pick<DashboardFestival, "startsAt" | "endsAt" | "status">,
  now: Date,
) {
  return (
    festival.status === "published" &&
    festival.startsAt.getTime() <= now.getTime() &&
    now.getTime() < festival.endsAt.getTime()
  );
}

/** Every figure of one festival's dashboard. `money: false` leaves the ledger's figures out. */
export async function festivalDashboard(
  festival: DashboardFestival,
  options: { locale: string; money: boolean; now?: Date },
  db = sqlClient(),
) {
  const now = options.now ?? new Date();
  const [tickets, sales, door, arrivals, balances] = await Promise.all([
    ticketFigures(festival.id, options.locale, db),
    salesPerDay(festival.id, festival.timezone, db),
    doorCounters(festival.id),
    arrivalsPer10Minutes(festival.id),
    festivalBalances(festival.id, db),
  ]);
  const summary = summarize(balances);
  const prisonerIds = balances.flatMap((b) => (b.prisonerId ? [b.prisonerId] : []));
  const [names, tattoo, costs] = await Promise.all([
    prisonerNames(prisonerIds, options.locale, db),
    tattooOf(festival.id, balances, db),
    options.money ? costsOf(festival.id, summary, db) : Promise.resolve([]),
  ]);
  return {
    live: isRunning(festival, now),
    tickets,
    salesPerDay: options.money
      ? sales
      : sales.map((d) => ({ day: d.day, tickets: d.tickets, income: {} })),
    checkIns: { ...door, bins: arrivals },
    tattoo: options.money ? tattoo : tattoo.map((a) => ({ ...a, money: {} })),
    money: options.money
      ? {
          revenue: revenueOf(balances),
          donations: donationsOf(balances, names),
          costs,
          routed: routedOf(summary, names),
        }
      : null,
  };
}

export type FestivalDashboardData = Awaited<ReturnType<typeof festivalDashboard>>;

// ---------------------------------------------------------------- every festival

export type Totals = {
  festivals: number;
  sold: number;
  capacity: number;
  checkedIn: number;
  /** Net income (after refunds and chargebacks). */
  net: PerCurrency;
  donations: PerCurrency;
  costs: PerCurrency;
  /** Moved into prisoners' and the general fund. */
  routed: PerCurrency;
};
export type FestivalTotals = Totals & {
  id: string;
  name: string;
  status: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
};
export type CityGroup = { city: string; festivals: FestivalTotals[]; totals: Totals };
export type CountryGroup = { country: string; cities: CityGroup[]; totals: Totals };

const emptyTotals = (): Totals => ({
  festivals: 0,
  sold: 0,
  capacity: 0,
  checkedIn: 0,
  net: {},
  donations: {},
  costs: {},
  routed: {},
});

function addTotals(to: Totals, from: Totals) {
  to.festivals += from.festivals;
  to.sold += from.sold;
  to.capacity += from.capacity;
  to.checkedIn += from.checkedIn;
  for (const k of ["net", "donations", "costs", "routed"] as const)
    for (const [currency, amount] of Object.entries(from[k])) add(to[k], currency, amount);
}

/**
 * Every festival with its totals, grouped by country and city (countries by
 * code, cities by name; festivals newest first), with the totals of each
 * group. Two queries whatever the number of festivals.
 */
export async function festivalsOverview(db = sqlClient()): Promise<{
  countries: CountryGroup[];
  totals: Totals;
}> {
  const [festivals, accounts] = await Promise.all([
    db.execute(
      `SELECT f.id, f.name, f.city, f.country, f.status, f.startsAt, f.endsAt, f.timezone,
              COALESCE((SELECT SUM(q.capacity) FROM Quota q WHERE q.festivalId = f.id), 0)
                + COALESCE((SELECT SUM(t.capacity) FROM TicketType t WHERE t.festivalId = f.id AND t.quotaId IS NULL), 0) AS capacity,
              (SELECT COUNT(*) FROM Ticket k WHERE k.festivalId = f.id AND k.status = 'valid') AS sold,
              (SELECT COUNT(*) FROM Ticket k WHERE k.festivalId = f.id AND k.admittedAt IS NOT NULL) AS checkedIn
       FROM Festival f ORDER BY f.country, f.city, f.startsAt DESC`,
    ),
    db.execute(
      `SELECT a.festivalId, a.id, a.code, a.type, a.category, a.prisonerId, a.holderType, a.holderId, a.currency,
              COALESCE(SUM(p.amountMinor), 0) AS balance
       FROM LedgerAccount a LEFT JOIN LedgerPosting p ON p.accountId = a.id
       GROUP BY a.id`,
    ),
  ]);
  const balances = new Map<string, AccountBalance[]>();
  for (const r of accounts.rows) {
    const code = String(r.code) as AccountCode;
    if (!Object.hasOwn(ACCOUNT_CODES, code)) continue;
    const list = balances.get(String(r.festivalId)) ?? [];
    list.push({
      id: String(r.id),
      code,
      type: String(r.type) as AccountType,
      category: r.category === null ? null : String(r.category),
      prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
      holder: r.holderType === null ? null : { type: String(r.holderType), id: String(r.holderId) },
      currency: String(r.currency),
      balanceMinor: Number(r.balance),
    });
    balances.set(String(r.festivalId), list);
  }
  const countries: CountryGroup[] = [];
  const totals = emptyTotals();
  for (const r of festivals.rows) {
    const own = balances.get(String(r.id)) ?? [];
    const f: FestivalTotals = {
      id: String(r.id),
      name: String(r.name),
      status: String(r.status),
      startsAt: dateFromSql(r.startsAt).toISOString(),
      endsAt: dateFromSql(r.endsAt).toISOString(),
      timezone: String(r.timezone),
      festivals: 1,
      sold: Number(r.sold),
      capacity: Number(r.capacity),
      checkedIn: Number(r.checkedIn),
      net: {},
      donations: {},
      costs: {},
      routed: {},
    };
    for (const [currency, s] of Object.entries(summarize(own))) {
      add(
        f.net,
        currency,
        Object.values(s.net).reduce((a, b) => a + b, 0),
      );
      add(f.costs, currency, s.costsTotal);
      add(f.routed, currency, s.allocated);
    }
    for (const b of own)
      if (b.type === "income" && family(b.category) === "donation")
        add(f.donations, b.currency, -b.balanceMinor);
    const countryCode = String(r.country);
    let country = countries.find((c) => c.country === countryCode);
    if (!country)
      countries.push((country = { country: countryCode, cities: [], totals: emptyTotals() }));
    const cityName = String(r.city);
    let city = country.cities.find((c) => c.city === cityName);
    if (!city)
      country.cities.push((city = { city: cityName, festivals: [], totals: emptyTotals() }));
    city.festivals.push(f);
    addTotals(city.totals, f);
    addTotals(country.totals, f);
    addTotals(totals, f);
  }
  return { countries, totals };
}
