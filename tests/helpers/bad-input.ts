// Shared pieces of the bad-input tests (tests/http/bad-input-*.test.ts):
// hostile values, a database snapshot to prove nothing was written, and
// checks that a message is shown and that HTML is escaped.
import { expect } from "vitest";
import { prisma } from "~/utils/db.server";
import type { HttpResponse } from "./app";

/** One mebibyte of plain text (URL-encodes to itself, so a form stays under its 2 MB limit). */
export const MB = "a".repeat(1024 * 1024);
export const SCRIPT = "<script>alert(1)</script>";
export const IMG = '"><img src=x onerror=alert(1)>';
export const NUL = "Riga\u0000";
export const RTL = "Riga \u202Egnp.exe";
export const LONE_SURROGATE = "Riga \ud800";
/** "é" written as e + combining acute accent (NFD); stored as the single code point (NFC). */
export const DECOMPOSED = "Caf\u0065\u0301";
export const COMPOSED = "Caf\u00e9";
/** A family emoji: a zero-width-joiner sequence, valid text. */
export const ZWJ_EMOJI = "Family \u{1F469}\u200D\u{1F469}\u200D\u{1F467}";
export const COMBINING = "Z\u0334\u0321a\u0336l\u0337g\u0338o";

const TABLES = [
  "User",
  "Festival",
  "ProgrammeItem",
  "FestivalMember",
  "Invitation",
  "OutboxEmail",
  "ApiToken",
  "Session",
  "PasswordReset",
  "AuditEvent",
  // Ticket sales (issue 3).
  "Quota",
  "TicketType",
  "Order",
  "OrderItem",
  "Ticket",
  "FestivalKey",
  "LedgerAccount",
  "LedgerEntry",
  "LedgerPosting",
  // Cash custody (issue 9).
  "CashHandover",
  "StripeEvent",
  "PaymentProblem",
  "Prisoner",
  "FestivalPrisoner",
  // Door scanning (issue 4).
  "DoorDevice",
  "CheckIn",
  // Tattoo availability and slots (issue 10).
  "TattooAvailability",
  "TattooSlot",
] as const;
const COUNT_SQL = `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM "${t}") AS "${t}"`).join(", ")}`;
/** The inventory counters: a refused order must not move a single place. */
const RESERVED_SQL = `SELECT (SELECT coalesce(sum(reserved), 0) FROM TicketType) AS ticketTypes, (SELECT coalesce(sum(reserved), 0) FROM Quota) AS quotas,
  (SELECT group_concat(id || ':' || reserved || '/' || capacity, ',') FROM (SELECT id, reserved, capacity FROM TicketType ORDER BY id)) AS perTicketType,
  (SELECT group_concat(id || ':' || reserved || '/' || capacity, ',') FROM (SELECT id, reserved, capacity FROM Quota ORDER BY id)) AS perQuota`;

/** Row counts of every table, the inventory counters, and the target festival's whole row, before/after a rejected request. */
export async function snapshot(festivalId?: string) {
  const [row] = await prisma.$queryRawUnsafe<Record<string, bigint | number>[]>(COUNT_SQL);
  const counts = Object.fromEntries(TABLES.map((t) => [t, Number(row![t])]));
  const [reservedRow] =
    await prisma.$queryRawUnsafe<Record<string, bigint | number | string | null>[]>(RESERVED_SQL);
  const reserved = {
    ticketTypes: Number(reservedRow!.ticketTypes),
    quotas: Number(reservedRow!.quotas),
    perTicketType: reservedRow!.perTicketType ?? "",
    perQuota: reservedRow!.perQuota ?? "",
  };
  const festival = festivalId
    ? await prisma.festival.findUnique({ where: { id: festivalId } })
    : null;
  return {
    counts,
    reserved,
    festivalUpdatedAt: festival?.updatedAt.toISOString() ?? null,
    festival: festival ? JSON.stringify(festival) : null,
  };
}

/** Run `act`, then prove the database is exactly as before. */
export async function unchanged<T>(act: () => Promise<T>, festivalId?: string): Promise<T> {
  const before = await snapshot(festivalId);
  const result = await act();
  expect(await snapshot(festivalId)).toEqual(before);
  return result;
}

export type ApiError = { error: string; message: string; fields?: Record<string, string> };

/** A JSON API error: 4xx (never 5xx), with an error code and a human message. */
export function expectApiError(
  res: HttpResponse,
  status: number,
  field?: string,
  message?: string | RegExp,
): ApiError {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = res.json<ApiError>();
  expect(typeof body.error).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
  if (field !== undefined) {
    expect(body.fields, `fields of ${res.text.slice(0, 300)}`).toHaveProperty([field]);
    const text = body.fields![field]!;
    expect(text.length).toBeGreaterThan(0);
    if (typeof message === "string") expect(text).toBe(message);
    else if (message) expect(text).toMatch(message);
  }
  return body;
}

export function escapeHtml(s: string) {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#x27;");
}

function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every rendered error message (field and form errors) in a page. */
export function renderedErrors(html: string): string[] {
  return [...html.matchAll(/<p[^>]*class="(?:field|form)-error"[^>]*>([\s\S]*?)<\/p>/g)].map(
    (m) => m[1]!,
  );
}

/**
 * The error rendered next to the control named `name`: the message inside the
 * same `div.field` / `fieldset.choices` block as the control.
 */
export function errorNextTo(html: string, name: string): string | null {
  const at = html.search(
    new RegExp(`<(?:input|textarea|select)[^>]* name="${escapeRegExp(name)}"`),
  );
  if (at < 0) return null;
  const start = Math.max(
    html.lastIndexOf('<div class="field', at),
    html.lastIndexOf('<fieldset class="choices', at),
  );
  const rest = html.slice(at);
  const next = rest.slice(1).search(/<div class="field|<fieldset class="choices|<button/);
  const block = html.slice(start, next < 0 ? undefined : at + 1 + next);
  const m = /<p[^>]*class="field-error"[^>]*>([\s\S]*?)<\/p>/.exec(block);
  return m ? m[1]! : null;
}

/** A rejected HTML form post: 4xx, and `message` rendered next to `name` (or as the form's error). */
export function expectFormError(
  res: HttpResponse,
  status: number,
  name: string | null,
  message: string,
) {
  expect(res.status, renderedErrors(res.text).join(" | ") || res.text.slice(0, 300)).toBe(status);
  expect(res.headers.get("content-type")).toContain("text/html");
  if (name === null) {
    expect(renderedErrors(res.text)).toContain(escapeHtml(message));
  } else {
    expect(
      errorNextTo(res.text, name),
      `error next to ${name}; rendered: ${renderedErrors(res.text).join(" | ")}`,
    ).toBe(escapeHtml(message));
  }
}

/** Nothing hostile in `html` is live markup: the raw payloads are absent and their escaped text present. */
export function expectEscaped(html: string, payloads: string[] = [SCRIPT, IMG]) {
  expect(html).not.toContain("<script>alert(1)");
  expect(html).not.toContain("<img src=x");
  expect(html).not.toMatch(/<img[^>]*onerror/i);
  for (const p of payloads) expect(html).toContain(escapeHtml(p));
}

/**
 * Invisible format characters (Unicode category Cf) that are not bidi controls:
 * each would let two names look the same. [label, value].
 */
export const INVISIBLE: [string, string][] = [
  ["zero-width space U+200B", "Ri\u200bga"],
  ["word joiner U+2060", "Ri\u2060ga"],
  ["soft hyphen U+00AD", "Ri\u00adga"],
  ["left-to-right mark U+200E", "Riga\u200e"],
  ["Arabic letter mark U+061C", "Ri\u061cga"],
  ["Mongolian vowel separator U+180E", "Ri\u180ega"],
  ["invisible plus U+2064", "Ri\u2064ga"],
  ["zero-width non-joiner between Latin letters U+200C", "Ri\u200cga"],
  ["zero-width joiner between Latin letters U+200D", "Ri\u200dga"],
  ["a lone tag character U+E0041", "Riga\u{e0041}"],
  ["language tag U+E0001", "\u{e0001}Riga"],
];
/** Format characters that belong where they are: emoji sequences, a subdivision flag, Persian. */
export const JOINED_TEXT: [string, string][] = [
  ["a family emoji (ZWJ)", ZWJ_EMOJI],
  ["a rainbow flag (ZWJ after a variation selector)", "Pride \u{1f3f3}\ufe0f\u200d\u{1f308}"],
  [
    "the flag of Scotland (tag characters)",
    "Glasgow \u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
  ],
  ["a Persian word with a zero-width non-joiner", "\u0645\u06cc\u200c\u0631\u0648\u062f"],
];
