// The audit log as people read it (admin.audit.tsx): who by name, which
// festival by name, and each record by a human label instead of its id. The
// names are resolved in batches: one query per kind of record on the page
// (users, festivals, orders, …), never one per row. Labels never name a payout
// recipient (only its kind) nor a buyer (an order is its code).
import type { InValue } from "@libsql/client";
import { dateFromSql, sqlClient } from "~/utils/db.server";
import { formatMoney } from "~/utils/money";
import { pickLanguage } from "./ticket-type.server";

export const AUDIT_PAGE_SIZE = 200;

export type AuditRow = {
  id: number;
  at: string;
  /** The actor's name (and email), null for the system. */
  actor: string | null;
  action: string;
  festival: string | null;
  targetType: string | null;
  /** The record as a person knows it; null when it is gone or has no label. */
  target: string | null;
  details: [string, string][];
};

type Labeller = {
  /** One query for all ids: rows of (id, label parts). */
  sql: (placeholders: string) => string;
  label: (row: Record<string, unknown>, locale: string) => string;
};

const s = (value: unknown) => (value === null || value === undefined ? "" : String(value));
const json = (value: unknown, locale: string) => pickLanguage(s(value) || "{}", locale);
const money = (minor: unknown, currency: unknown, locale: string) => {
  try {
    return formatMoney(Number(minor), s(currency), locale);
  } catch {
    return `${s(minor)} ${s(currency)}`;
  }
};
const person = (name: unknown, email: unknown) => (name ? `${s(name)} <${s(email)}>` : s(email));

/** How each kind of record is named (the target types the writers use). */
const LABELLERS: Record<string, Labeller> = {
  user: {
    sql: (p) => `SELECT id, name, email FROM User WHERE id IN (${p})`,
    label: (r) => person(r.name, r.email),
  },
  festival: {
    sql: (p) => `SELECT id, name FROM Festival WHERE id IN (${p})`,
    label: (r) => s(r.name),
  },
  order: {
    sql: (p) => `SELECT id, code FROM "Order" WHERE id IN (${p})`,
    label: (r) => s(r.code),
  },
  ticketType: {
    sql: (p) => `SELECT id, name FROM TicketType WHERE id IN (${p})`,
    label: (r, l) => json(r.name, l),
  },
  quota: {
    sql: (p) => `SELECT id, name FROM Quota WHERE id IN (${p})`,
    label: (r) => s(r.name),
  },
  prisoner: {
    sql: (p) => `SELECT id, name FROM Prisoner WHERE id IN (${p})`,
    label: (r, l) => json(r.name, l),
  },
  // Never the recipient's (sealed) details: whose fund, and what kind of recipient.
  recipient: {
    sql: (p) =>
      `SELECT r.id, r.kind, pr.name AS prisoner FROM Recipient r JOIN Prisoner pr ON pr.id = r.prisonerId WHERE r.id IN (${p})`,
    label: (r, l) => `${s(r.kind)} · ${json(r.prisoner, l)}`,
  },
  payout: {
    sql: (p) =>
      `SELECT py.id, py.category, py.amountMinor, py.currency, py.month, pr.name AS prisoner
       FROM Payout py JOIN Prisoner pr ON pr.id = py.prisonerId WHERE py.id IN (${p})`,
    label: (r, l) =>
      `${json(r.prisoner, l)} · ${s(r.category)} · ${money(r.amountMinor, r.currency, l)} · ${s(r.month)}`,
  },
  festivalCost: {
    sql: (p) =>
      `SELECT id, category, description, amountMinor, currency FROM FestivalCost WHERE id IN (${p})`,
    label: (r, l) =>
      `${s(r.description)} (${s(r.category)}, ${money(r.amountMinor, r.currency, l)})`,
  },
  doorDevice: {
    sql: (p) => `SELECT id, name FROM DoorDevice WHERE id IN (${p})`,
    label: (r) => s(r.name),
  },
  programmeItem: {
    sql: (p) => `SELECT id, title FROM ProgrammeItem WHERE id IN (${p})`,
    label: (r) => s(r.title),
  },
  invitation: {
    sql: (p) => `SELECT id, email FROM Invitation WHERE id IN (${p})`,
    label: (r) => s(r.email),
  },
  tattooArtist: {
    sql: (p) => `SELECT id, name FROM TattooArtist WHERE id IN (${p})`,
    label: (r) => s(r.name),
  },
  tattooImage: {
    sql: (p) =>
      `SELECT i.id, a.name FROM TattooImage i JOIN TattooArtist a ON a.id = i.artistId WHERE i.id IN (${p})`,
    label: (r) => s(r.name),
  },
  flashDesign: {
    sql: (p) => `SELECT id, title FROM FlashDesign WHERE id IN (${p})`,
    label: (r) => s(r.title),
  },
  tattooAvailability: {
    sql: (p) =>
      `SELECT v.id, v.startsAt, a.name, f.timezone FROM TattooAvailability v
       JOIN TattooArtist a ON a.id = v.artistId JOIN Festival f ON f.id = v.festivalId WHERE v.id IN (${p})`,
    label: (r, l) =>
      `${s(r.name)} · ${dateFromSql(r.startsAt).toLocaleString(l, { timeZone: s(r.timezone) || "UTC", dateStyle: "medium", timeStyle: "short" })}`,
  },
  tattooBooking: {
    sql: (p) =>
      `SELECT b.orderItemId AS id, o.code, a.name FROM TattooBooking b
       JOIN "Order" o ON o.id = b.orderId JOIN TattooArtist a ON a.id = b.artistId WHERE b.orderItemId IN (${p})`,
    label: (r) => `${s(r.code)} · ${s(r.name)}`,
  },
  cashHandover: {
    sql: (p) => `SELECT id, countedMinor, currency FROM CashHandover WHERE id IN (${p})`,
    label: (r, l) => money(r.countedMinor, r.currency, l),
  },
  ledgerEntry: {
    sql: (p) => `SELECT id, kind FROM LedgerEntry WHERE id IN (${p})`,
    label: (r) => s(r.kind),
  },
};

/** Labels for many ids of one kind, in one query (ids are bound, never spliced). */
async function labelsOf(type: string, ids: string[], locale: string) {
  const labeller = LABELLERS[type];
  const out = new Map<string, string>();
  if (!labeller || ids.length === 0) return out;
  const { rows } = await sqlClient().execute({
    sql: labeller.sql(ids.map(() => "?").join(", ")),
    args: ids as InValue[],
  });
  for (const r of rows) out.set(String(r.id), labeller.label(r as Record<string, unknown>, locale));
  return out;
}

function detailsOf(raw: string): [string, string][] {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return [];
    return Object.entries(parsed).map(([k, v]) => [
      k,
      Array.isArray(v)
        ? v.join(", ")
        : typeof v === "object" && v !== null
          ? JSON.stringify(v)
          : String(v),
    ]);
  } catch {
    return [];
  }
}

/** The newest audit rows with their names resolved: a fixed number of queries whatever the rows. */
export async function auditLog(locale: string, limit = AUDIT_PAGE_SIZE): Promise<AuditRow[]> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, at, actorUserId, action, targetType, targetId, festivalId, details
          FROM AuditEvent ORDER BY id DESC LIMIT ?`,
    args: [limit],
  });
  const events = rows.map((r) => ({
    id: Number(r.id),
    at: dateFromSql(r.at).toISOString(),
    actorUserId: r.actorUserId === null ? null : String(r.actorUserId),
    action: String(r.action),
    targetType: r.targetType === null ? null : String(r.targetType),
    targetId: r.targetId === null ? null : String(r.targetId),
    festivalId: r.festivalId === null ? null : String(r.festivalId),
    details: String(r.details ?? "{}"),
  }));
  // Ids per kind: the actors are users, the festivals are festivals, targets by their type.
  const wanted = new Map<string, Set<string>>();
  const want = (type: string, id: string | null) => {
    if (!id) return;
    let set = wanted.get(type);
    if (!set) wanted.set(type, (set = new Set()));
    set.add(id);
  };
  for (const e of events) {
    want("user", e.actorUserId);
    want("festival", e.festivalId);
    if (e.targetType && LABELLERS[e.targetType]) want(e.targetType, e.targetId);
  }
  const labels = new Map(
    await Promise.all(
      [...wanted].map(
        async ([type, ids]) => [type, await labelsOf(type, [...ids], locale)] as const,
      ),
    ),
  );
  const labelOf = (type: string | null, id: string | null) =>
    type && id ? (labels.get(type)?.get(id) ?? null) : null;
  return events.map((e) => ({
    id: e.id,
    at: e.at,
    actor: e.actorUserId ? (labelOf("user", e.actorUserId) ?? "") : null,
    action: e.action,
    festival: labelOf("festival", e.festivalId),
    targetType: e.targetType,
    target: labelOf(e.targetType, e.targetId),
    details: detailsOf(e.details),
  }));
}
