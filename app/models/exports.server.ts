// Every CSV export, with one convention (decision 0046):
// - written by the one CSV writer (app/utils/csv.server.ts: formulas neutralised),
//   downloaded with a UTF-8 byte order mark so spreadsheets open Cyrillic;
// - amounts in major units as exact decimals ("15.50"), each row with its
//   `currency` column; never added across currencies;
// - times as ISO 8601 with the festival's offset ("2026-12-05T19:00:00+02:00");
// - never a buyer's name or email when they chose anonymity (no name given),
//   never a payout recipient (only the prisoner's fund and the purpose);
// - every festival export checked with the one permission check and written to
//   the audit log (who, which export, which festival, how many rows).
//
// Festival exports: orders, tickets, check-ins, tattoo schedule, costs (the
// festival's team), ledger and payouts (treasurers: the `treasury` permission,
// with a proved second factor). The public transparency reports are CSVs with
// the same convention (no sign-in, no audit: they are public).
import { DateTime } from "luxon";
import { auditRead } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { csvAmount, csvResponse, toCsv, type CsvCell } from "~/utils/csv.server";
import { dateFromSql, sqlClient } from "~/utils/db.server";
import { getLocale } from "~/utils/i18n.server";
import { decide, requireUserWith, type Permission } from "~/utils/permissions.server";
import { getFestivalOrThrow } from "./festival.server";
import { csvItemColumns } from "./item-kinds/index.server";
import { pickLanguage } from "./ticket-type.server";
import type { FestivalReport, MonthReport, PrisonerRef } from "./transparency.server";

/** The festival exports, in the order the pages list them. */
export const FESTIVAL_EXPORTS = [
  "orders",
  "tickets",
  "check-ins",
  "tattoo-schedule",
  "costs",
  "ledger",
  "payouts",
] as const;
export type FestivalExport = (typeof FESTIVAL_EXPORTS)[number];

/** Who may download each: the festival's pages' own permissions; the books for treasurers only. */
export const EXPORT_PERMISSION: Record<FestivalExport, Permission> = {
  orders: "festival:view",
  tickets: "festival:view",
  "check-ins": "festival:view",
  "tattoo-schedule": "festival:tattoo",
  costs: "festival:costs",
  ledger: "treasury",
  payouts: "treasury",
};

export function isFestivalExport(value: string): value is FestivalExport {
  return (FESTIVAL_EXPORTS as readonly string[]).includes(value);
}

/** Where an export downloads from (one thin route file each: admin.festivals.$id.<kind>[.]csv.ts). */
export function exportPath(festivalId: string, kind: FestivalExport) {
  return `/admin/festivals/${festivalId}/${kind}.csv`;
}

/**
 * The exports of a festival to offer `user` (the pages' links): those they may
 * download, or may once they prove their second factor (the link leads there).
 */
export function exportsFor(
  user: CurrentUser,
  festivalId: string,
  kinds: readonly FestivalExport[],
): FestivalExport[] {
  return kinds.filter((k) => {
    const decision = decide(user, EXPORT_PERMISSION[k], festivalId);
    return decision === "allow" || decision === "second_factor";
  });
}

/** A CSV's header and rows, before writing. */
export type CsvTable<C extends string = string> = {
  columns: readonly C[];
  rows: Record<C, CsvCell>[];
};

type FestivalRef = { id: string; slug: string; timezone: string; currency: string };

/** A moment in the festival's zone, with its offset ("2030-01-26T16:00:00+02:00"); "" for none. */
export function zonedTime(value: Date | null | undefined, timezone: string): string {
  if (!value) return "";
  // To the second: what a spreadsheet's date parser reads.
  return (
    DateTime.fromJSDate(value, { zone: timezone })
      .startOf("second")
      .toISO({ suppressMilliseconds: true }) ?? ""
  );
}

const sqlTime = (value: unknown, timezone: string) =>
  value === null || value === undefined ? "" : zonedTime(dateFromSql(value), timezone);
const str = (value: unknown) => (value === null || value === undefined ? "" : String(value));
const num = (value: unknown) => Number(value ?? 0);

/** Public names of prisoners by id, in one query. */
async function prisonerNames(ids: Iterable<string>, locale: string) {
  const list = [...new Set(ids)];
  const names = new Map<string, string>();
  if (!list.length) return names;
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, name FROM Prisoner WHERE id IN (${list.map(() => "?").join(", ")})`,
    args: list,
  });
  for (const r of rows) names.set(String(r.id), pickLanguage(str(r.name) || "{}", locale));
  return names;
}

// ---------------------------------------------------------------- the festival exports

async function ordersTable(festival: FestivalRef, locale: string): Promise<CsvTable> {
  const db = sqlClient();
  const [orders, items] = await Promise.all([
    db.execute({
      sql: `SELECT id, code, createdAt, paidAt, status, paymentMethod, currency, totalMinor, name, email
            FROM "Order" WHERE festivalId = ? ORDER BY createdAt, id`,
      args: [festival.id],
    }),
    db.execute({
      sql: `SELECT i.id, i.orderId, i.kind, i.quantity, i.unitPriceMinor, i.amountMinor, i.ticketTypeId,
                   i.quotaId, i.prisonerId, i.category, tt.name AS label
            FROM OrderItem i JOIN "Order" o ON o.id = i.orderId
            LEFT JOIN TicketType tt ON tt.id = i.ticketTypeId
            WHERE o.festivalId = ? ORDER BY i.rowid`,
      args: [festival.id],
    }),
  ]);
  const lines = items.rows.map((i) => ({
    orderId: String(i.orderId),
    itemId: String(i.id),
    kind: String(i.kind),
    quantity: num(i.quantity),
    unitPriceMinor: num(i.unitPriceMinor),
    amountMinor: num(i.amountMinor),
    ticketTypeId: i.ticketTypeId === null ? null : String(i.ticketTypeId),
    quotaId: i.quotaId === null ? null : String(i.quotaId),
    prisonerId: i.prisonerId === null ? null : String(i.prisonerId),
    category: i.category === null ? null : String(i.category),
    label: i.label === null ? null : String(i.label),
  }));
  const byOrder = new Map<string, typeof lines>();
  for (const l of lines) {
    const own = byOrder.get(l.orderId);
    if (own) own.push(l);
    else byOrder.set(l.orderId, [l]);
  }
  const names = await prisonerNames(
    lines.flatMap((l) => (l.prisonerId ? [l.prisonerId] : [])),
    locale,
  );
  // Each item kind adds its own columns (tickets, donation and its earmark, tattoo, …).
  const itemColumns = csvItemColumns();
  const columns = [
    "code",
    "created_at",
    "paid_at",
    "status",
    "payment_method",
    "currency",
    "total",
    ...itemColumns.map((c) => c.header),
    "name",
    "email",
  ];
  const rows = orders.rows.map((o) => {
    const currency = String(o.currency);
    const own = byOrder.get(String(o.id)) ?? [];
    // Anonymous (no name given) stays anonymous: the email is left out too.
    const anonymous = !o.name;
    const ctx = { locale, currency, prisonerName: (id: string) => names.get(id) ?? id };
    return {
      code: str(o.code),
      created_at: sqlTime(o.createdAt, festival.timezone),
      paid_at: sqlTime(o.paidAt, festival.timezone),
      status: str(o.status),
      payment_method: str(o.paymentMethod),
      currency,
      total: csvAmount(num(o.totalMinor), currency),
      ...Object.fromEntries(
        itemColumns.map((c) => [
          c.header,
          c.value(
            own.filter((l) => l.kind === c.kind),
            ctx,
          ),
        ]),
      ),
      name: anonymous ? "" : str(o.name),
      email: anonymous ? "" : str(o.email),
    };
  });
  return { columns, rows };
}

async function ticketsTable(festival: FestivalRef, locale: string): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT t.id, t.status, t.amountDueMinor, t.createdAt, t.admittedAt, t.revokedAt, t.inside,
                 tt.name AS typeName, o.code, o.currency, i.unitPriceMinor
          FROM Ticket t
          JOIN TicketType tt ON tt.id = t.ticketTypeId
          JOIN "Order" o ON o.id = t.orderId
          JOIN OrderItem i ON i.id = t.orderItemId
          WHERE t.festivalId = ? ORDER BY t.createdAt, t.id`,
    args: [festival.id],
  });
  return {
    columns: [
      "ticket_id",
      "order_code",
      "ticket_type",
      "status",
      "currency",
      "price",
      "due_at_door",
      "created_at",
      "admitted_at",
      "revoked_at",
      "inside",
    ],
    rows: rows.map((t) => {
      const currency = String(t.currency);
      return {
        ticket_id: str(t.id),
        order_code: str(t.code),
        ticket_type: pickLanguage(str(t.typeName) || "{}", locale),
        status: str(t.status),
        currency,
        price: csvAmount(num(t.unitPriceMinor), currency),
        due_at_door: csvAmount(num(t.amountDueMinor), currency),
        created_at: sqlTime(t.createdAt, festival.timezone),
        admitted_at: sqlTime(t.admittedAt, festival.timezone),
        revoked_at: sqlTime(t.revokedAt, festival.timezone),
        inside: Number(t.inside) ? "yes" : "no",
      };
    }),
  };
}

/** Check-ins: times, verdicts, devices, ticket types and order codes — no names or emails. */
async function checkInsTable(festival: FestivalRef, locale: string): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT c.result, c.direction, c.offline, c.scannedAt, c.recordedAt, c.ticketId,
                 d.name AS device, o.code, tt.name AS typeName
          FROM CheckIn c
          LEFT JOIN DoorDevice d ON d.id = c.deviceId
          LEFT JOIN Ticket t ON t.id = c.ticketId AND t.festivalId = c.festivalId
          LEFT JOIN "Order" o ON o.id = t.orderId
          LEFT JOIN TicketType tt ON tt.id = t.ticketTypeId
          WHERE c.festivalId = ? ORDER BY c.scannedAt, c.id`,
    args: [festival.id],
  });
  return {
    columns: [
      "scanned_at",
      "recorded_at",
      "result",
      "direction",
      "offline",
      "device",
      "ticket_type",
      "order_code",
      "ticket_id",
    ],
    rows: rows.map((r) => ({
      scanned_at: sqlTime(r.scannedAt, festival.timezone),
      recorded_at: sqlTime(r.recordedAt, festival.timezone),
      result: str(r.result),
      direction: str(r.direction),
      offline: Number(r.offline) ? "yes" : "no",
      device: r.device === null ? null : String(r.device),
      ticket_type: r.typeName === null ? null : pickLanguage(String(r.typeName), locale),
      order_code: r.code === null ? null : String(r.code),
      ticket_id: r.ticketId === null ? null : String(r.ticketId),
    })),
  };
}

/**
 * The tattoo schedule: every slot with its artist and, when taken, its booking
 * (status, design, donation, order code, and the booker's name only when they
 * gave one — never an email).
 */
async function tattooScheduleTable(festival: FestivalRef): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT s.startsAt, s.endsAt, s.status AS slotStatus, s.minDonationMinor, a.name AS artist,
                 b.status AS bookingStatus, b.walkIn, b.dueMinor, fd.title AS design,
                 i.amountMinor, o.code, o.name AS buyer, o.currency
          FROM TattooSlot s
          JOIN TattooArtist a ON a.id = s.artistId
          LEFT JOIN TattooBooking b ON b.slotId = s.id AND b.status IN ('held', 'booked', 'done', 'no_show')
          LEFT JOIN FlashDesign fd ON fd.id = b.flashDesignId
          LEFT JOIN OrderItem i ON i.id = b.orderItemId
          LEFT JOIN "Order" o ON o.id = b.orderId
          WHERE s.festivalId = ? ORDER BY s.startsAt, a.position, a.name, b.createdAt`,
    args: [festival.id],
  });
  return {
    columns: [
      "starts_at",
      "ends_at",
      "artist",
      "slot_status",
      "booking_status",
      "walk_in",
      "design",
      "currency",
      "min_donation",
      "donation",
      "due",
      "order_code",
      "name",
    ],
    rows: rows.map((r) => {
      const currency = r.currency === null ? festival.currency : String(r.currency);
      const booked = r.bookingStatus !== null;
      return {
        starts_at: sqlTime(r.startsAt, festival.timezone),
        ends_at: sqlTime(r.endsAt, festival.timezone),
        artist: str(r.artist),
        slot_status: str(r.slotStatus),
        booking_status: booked ? String(r.bookingStatus) : null,
        walk_in: booked ? (Number(r.walkIn) ? "yes" : "no") : null,
        design: r.design === null ? null : String(r.design),
        currency,
        min_donation: csvAmount(num(r.minDonationMinor), currency),
        donation: booked && r.amountMinor !== null ? csvAmount(num(r.amountMinor), currency) : null,
        due: booked ? csvAmount(num(r.dueMinor), currency) : null,
        order_code: r.code === null ? null : String(r.code),
        name: r.buyer ? String(r.buyer) : null,
      };
    }),
  };
}

async function costsTable(festival: FestivalRef): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, createdAt, category, description, amountMinor, currency, status, approvedAt,
                 paidAt, receiptFile
          FROM FestivalCost WHERE festivalId = ? ORDER BY createdAt, id`,
    args: [festival.id],
  });
  return {
    columns: [
      "cost_id",
      "submitted_at",
      "category",
      "description",
      "currency",
      "amount",
      "status",
      "approved_at",
      "paid_at",
      "receipt",
    ],
    rows: rows.map((r) => {
      const currency = String(r.currency);
      return {
        cost_id: str(r.id),
        submitted_at: sqlTime(r.createdAt, festival.timezone),
        category: str(r.category),
        description: str(r.description),
        currency,
        amount: csvAmount(num(r.amountMinor), currency),
        status: str(r.status),
        approved_at: sqlTime(r.approvedAt, festival.timezone),
        paid_at: sqlTime(r.paidAt, festival.timezone),
        receipt: r.receiptFile ? "yes" : "no",
      };
    }),
  };
}

/**
 * The festival's ledger: one row per posting (debits positive, credits
 * negative), so each entry's rows sum to zero per currency and an account's
 * rows sum to its balance.
 */
async function ledgerTable(festival: FestivalRef, locale: string): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT e.id AS entryId, e.createdAt, e.kind, e.memo, e.purpose, o.code,
                 a.id AS accountId, a.code AS account, a.type, a.category, a.prisonerId, a.holderType,
                 p.amountMinor, p.currency
          FROM LedgerEntry e
          JOIN LedgerPosting p ON p.entryId = e.id
          JOIN LedgerAccount a ON a.id = p.accountId
          LEFT JOIN "Order" o ON o.id = e.orderId
          WHERE e.festivalId = ? ORDER BY e.createdAt, e.rowid, p.id`,
    args: [festival.id],
  });
  const names = await prisonerNames(
    rows.flatMap((r) => (r.prisonerId === null ? [] : [String(r.prisonerId)])),
    locale,
  );
  return {
    columns: [
      "entry_id",
      "created_at",
      "kind",
      "order_code",
      "account_id",
      "account",
      "account_type",
      "category",
      "earmark",
      "holder_type",
      "currency",
      "amount",
      "purpose",
      "memo",
    ],
    rows: rows.map((r) => {
      const currency = String(r.currency);
      const prisonerId = r.prisonerId === null ? null : String(r.prisonerId);
      return {
        entry_id: str(r.entryId),
        created_at: sqlTime(r.createdAt, festival.timezone),
        kind: str(r.kind),
        order_code: r.code === null ? null : String(r.code),
        account_id: str(r.accountId),
        account: str(r.account),
        account_type: str(r.type),
        category: r.category === null ? null : String(r.category),
        earmark: prisonerId ? (names.get(prisonerId) ?? prisonerId) : null,
        holder_type: r.holderType === null ? null : String(r.holderType),
        currency,
        amount: csvAmount(num(r.amountMinor), currency),
        purpose: r.purpose === null ? null : String(r.purpose),
        memo: r.memo === null ? null : String(r.memo),
      };
    }),
  };
}

/**
 * Payouts drawn from this festival's money (`payout:<id>:<festivalId>`
 * entries): the prisoner's fund, the purpose, the amount drawn here and the
 * payout's whole amount. Never the recipient.
 */
async function payoutsTable(festival: FestivalRef, locale: string): Promise<CsvTable> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT py.id, py.prisonerId, py.category, py.amountMinor AS total, py.month, py.paidAt,
                 e.createdAt, p.amountMinor AS drawn, p.currency
          FROM LedgerEntry e
          JOIN Payout py ON e.id = 'payout:' || py.id || ':' || e.festivalId
          JOIN LedgerPosting p ON p.entryId = e.id
          JOIN LedgerAccount a ON a.id = p.accountId AND a.code = 'fund'
          WHERE e.festivalId = ? AND e.kind = 'payout'
          ORDER BY e.createdAt, py.id`,
    args: [festival.id],
  });
  const names = await prisonerNames(
    rows.map((r) => String(r.prisonerId)),
    locale,
  );
  return {
    columns: [
      "payout_id",
      "paid_at",
      "recorded_at",
      "month",
      "prisoner_id",
      "prisoner",
      "category",
      "currency",
      "amount_from_festival",
      "payout_total",
    ],
    rows: rows.map((r) => {
      const currency = String(r.currency);
      return {
        payout_id: str(r.id),
        paid_at: sqlTime(r.paidAt, festival.timezone),
        recorded_at: sqlTime(r.createdAt, festival.timezone),
        month: str(r.month),
        prisoner_id: str(r.prisonerId),
        prisoner: names.get(String(r.prisonerId)) ?? "",
        category: str(r.category),
        currency,
        amount_from_festival: csvAmount(num(r.drawn), currency),
        payout_total: csvAmount(num(r.total), currency),
      };
    }),
  };
}

const BUILDERS: Record<
  FestivalExport,
  (festival: FestivalRef, locale: string) => Promise<CsvTable>
> = {
  orders: ordersTable,
  tickets: ticketsTable,
  "check-ins": checkInsTable,
  "tattoo-schedule": tattooScheduleTable,
  costs: costsTable,
  ledger: ledgerTable,
  payouts: payoutsTable,
};

/** One festival export's table (no permission check: for the route below and tests). */
export async function festivalExportTable(
  kind: FestivalExport,
  festival: FestivalRef,
  locale: string,
): Promise<CsvTable> {
  return BUILDERS[kind](festival, locale);
}

/**
 * `GET /admin/festivals/:id/<kind>.csv`: the permission's refusal (404 for a
 * festival the user has no tie to, or none), else the download and its audit row.
 */
export async function festivalExportResponse(
  request: Request,
  festivalId: string | undefined,
  kind: FestivalExport,
): Promise<Response> {
  const user = await requireUserWith(request, EXPORT_PERMISSION[kind], festivalId);
  const festival = await getFestivalOrThrow(festivalId);
  const table = await BUILDERS[kind](festival, await getLocale(request));
  const csv = toCsv(table.columns, table.rows);
  await auditRead({
    actorUserId: user.id,
    action: "export.csv",
    targetType: "festival",
    targetId: festival.id,
    festivalId: festival.id,
    details: { export: kind, rows: table.rows.length },
  });
  return csvResponse(`${festival.slug}-${kind}.csv`, csv, table.rows.length);
}

// ---------------------------------------------------------------- public reports

/** The public reports' columns: one amount per row, in major units, with its currency. */
export const REPORT_CSV_COLUMNS = [
  "currency",
  "section",
  "category",
  "prisoner_id",
  "prisoner",
  "amount",
] as const;

type ReportRow = Record<(typeof REPORT_CSV_COLUMNS)[number], CsvCell>;

const reportRow = (
  currency: string,
  section: string,
  amountMinor: number,
  extra: { category?: string | null; prisoner?: PrisonerRef | null } = {},
): ReportRow => ({
  currency,
  section,
  category: extra.category ?? null,
  prisoner_id: extra.prisoner?.id || null,
  prisoner: extra.prisoner?.name ?? null,
  amount: csvAmount(amountMinor, currency),
});

/** A festival report's rows: gross, refunds, chargebacks, fees, costs, net, funds, unallocated. */
export function festivalReportTable(report: FestivalReport): CsvTable {
  const rows: ReportRow[] = [];
  const row = reportRow;
  for (const c of report.currencies) {
    const cur = c.currency;
    for (const g of c.gross) rows.push(row(cur, "gross", g.amountMinor, g));
    rows.push(row(cur, "gross_total", c.grossMinor));
    for (const g of c.refunds) rows.push(row(cur, "refunds", g.amountMinor, g));
    for (const g of c.chargebacks) rows.push(row(cur, "chargebacks", g.amountMinor, g));
    rows.push(row(cur, "processing_fees", c.feesMinor));
    rows.push(row(cur, "currency_exchange", c.currencyExchangeMinor));
    rows.push(row(cur, "cash_difference", c.cashDifferenceMinor));
    for (const g of c.costs) rows.push(row(cur, "costs", g.amountMinor, g));
    rows.push(row(cur, "net_proceeds", c.netProceedsMinor));
    for (const f of c.allocated) {
      rows.push(row(cur, "allocated_earmarked", f.earmarkedMinor, { prisoner: f }));
      rows.push(row(cur, "allocated_by_rule", f.byRuleMinor, { prisoner: f }));
    }
    rows.push(row(cur, "allocated_general_fund", c.generalFundMinor));
    rows.push(row(cur, "allocated_total", c.allocatedMinor));
    rows.push(row(cur, "unallocated", c.unallocatedMinor));
  }
  return { columns: REPORT_CSV_COLUMNS, rows };
}

/** A month report's rows: collected by category, fees, costs, allocated, payouts by purpose and prisoner. */
export function monthReportTable(report: MonthReport): CsvTable {
  const rows: ReportRow[] = [];
  const row = reportRow;
  for (const c of report.currencies) {
    const cur = c.currency;
    for (const l of c.collected) {
      rows.push(row(cur, "collected_gross", l.grossMinor, l));
      rows.push(row(cur, "collected_refunded", l.refundedMinor, l));
      rows.push(row(cur, "collected_net", l.netMinor, l));
    }
    rows.push(row(cur, "collected_total", c.collectedMinor));
    rows.push(row(cur, "fees", c.feesMinor));
    for (const l of c.costs) rows.push(row(cur, "costs", l.amountMinor, l));
    rows.push(row(cur, "allocated", c.allocatedMinor));
    for (const p of c.payouts)
      rows.push(row(cur, "paid_out", p.amountMinor, { category: p.category, prisoner: p }));
    rows.push(row(cur, "paid_out_total", c.paidOutMinor));
  }
  return { columns: REPORT_CSV_COLUMNS, rows };
}

/** A public report as a download (the same writer and convention, no audit: it is public). */
export function publicReportResponse(filename: string, table: CsvTable): Response {
  return csvResponse(filename, toCsv(table.columns, table.rows), table.rows.length);
}
