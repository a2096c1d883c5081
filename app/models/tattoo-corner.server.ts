// The tattoo corner at the festival (issue 10): the day's board per artist on a
// phone, and what staff do there — mark a booking done or a no-show, give a
// no-show's slot back to the waitlist or keep it for walk-ins, collect the
// donation of a booking paid at the festival (cash into the cash custody of the
// person who took it, like door cash), and book a walk-in on the spot.
//
// Who: `tattoo:corner` (organisers, door staff, linked artists). A linked artist
// (festival role "artist") sees and runs only their own artist's board: checked
// here, for every read and every write, not in the routes.
//
// Each action is one write transaction with its audit row (and its ledger entry);
// giving a slot back uses the item kind's own `reserveStatements(line, -1)`.
import type { InStatement } from "@libsql/client";
import { DateTime } from "luxon";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { changeStatements } from "~/utils/change.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import type { Locale } from "~/utils/i18n";
import { decide } from "~/utils/permissions.server";
import { cashAmountMinor, email, optionalText } from "~/utils/validation";
import { markPaidWhenSettled } from "./door.server";
import { readOrderLines, reserveStatements } from "./item-kinds/index.server";
import { localDay } from "./tattoo-schedule";
import { kickTattooWaitlist } from "./tattoo-waitlist.server";
import { entryStatements, moneyInPostings } from "./ledger.server";
import { checkoutSchema, placeOrder, readIdempotencyKey } from "./order.server";
import { cardCheckoutUrl } from "./payment.server";
import { artistScope } from "./tattoo-artist.server";
import { tattooCategory } from "./tattoo-money";
import { minorAmount } from "./ticket-type.server";

// ---------------------------------------------------------------- who sees which artist

/** Every artist of the festival (organisers, door staff), or one (the linked artist's own). */
export type CornerScope = { all: true } | { all: false; artistId: string };

/**
 * What the user may see and run at the festival's tattoo corner: 404 without a
 * tie to the festival, 403 for a role without `tattoo:corner` or an artist
 * account linked to no artist of this festival.
 */
export async function cornerScope(user: CurrentUser, festivalId: string): Promise<CornerScope> {
  const decision = decide(user, "tattoo:corner", festivalId);
  if (decision === "not_found") throw DomainError.notFound("No such festival.");
  if (decision === "forbidden")
    throw DomainError.forbidden("You do not have permission to do this.");
  const role = user.memberships.find((m) => m.festivalId === festivalId)?.role;
  if (user.role === "admin" || role !== "artist") return { all: true };
  // A linked artist: their own artist only (TattooArtist.userId), as the artists' module says.
  const own = await artistScope(user, festivalId);
  if (own === null) return { all: true };
  if (!own[0]) throw DomainError.forbidden("No tattoo artist of this festival is linked to you.");
  return { all: false, artistId: own[0] };
}

function inScope(scope: CornerScope, artistId: string) {
  return scope.all || scope.artistId === artistId;
}

// ---------------------------------------------------------------- the board

export const SLOT_STATES = ["free", "held", "booked", "done", "no_show"] as const;
export type SlotState = (typeof SLOT_STATES)[number];

export type BoardBooking = {
  /** The booking's id (its order line). */
  id: string;
  status: string;
  orderId: string;
  orderCode: string;
  /** The booker's name when they gave one (staff only: never on a public page). */
  name: string | null;
  /** The flash design's title; null: custom, to agree with the artist. */
  design: string | null;
  donationMinor: number;
  /** Still to collect at the corner (an order paid at the festival). */
  dueMinor: number;
  /** Paid at the festival (cash at the corner) rather than by card online. */
  payAtFestival: boolean;
  walkIn: boolean;
  /** Still holds its slot (a no-show not yet released). */
  holdsSlot: boolean;
};

export type BoardSlot = {
  id: string;
  startsAt: string;
  endsAt: string;
  minDonationMinor: number;
  state: SlotState;
  /** Held for someone on the waitlist (an open offer), not by a booking. */
  offered: boolean;
  /** Kept for walk-ins (a no-show released "to walk-ins"). */
  walkInsOnly: boolean;
  /** The booking on the slot now (or its last done / no-show one). */
  booking: BoardBooking | null;
  /** Earlier bookings of the slot the corner released (no-shows), newest first. */
  released: BoardBooking[];
};

export type Board = {
  festival: { id: string; name: string; currency: string; timezone: string; status: string };
  /** The local day shown ("2026-06-13") and the festival's days to switch between. */
  day: string;
  days: string[];
  /** The artists the user may switch between (only their own for a linked artist). */
  artists: { id: string; name: string }[];
  /** The artist shown; null: all of them (organisers, door staff without a choice). */
  artistId: string | null;
  boards: {
    artist: { id: string; name: string };
    slots: BoardSlot[];
    /** The artist's flash still available, for a walk-in's choice. */
    designs: { id: string; title: string; minDonationMinor: number }[];
  }[];
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day as the API and the page take it ("2026-06-13"), else a 422 on `day`. */
export function parseDay(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined || raw === "") return undefined;
  if (!DAY.test(raw) || !DateTime.fromISO(raw).isValid)
    throw new DomainError(422, "validation_failed", "A day is written YYYY-MM-DD.", {
      fields: { day: "v.date" },
    });
  return raw;
}

/** The festival's local days, first to last (at most 31). */
function festivalDays(startsAt: Date, endsAt: Date, zone: string) {
  const days: string[] = [];
  let at = DateTime.fromJSDate(startsAt).setZone(zone).startOf("day");
  const last = DateTime.fromJSDate(endsAt).setZone(zone).startOf("day");
  while (at <= last && days.length < 31) {
    days.push(at.toISODate()!);
    at = at.plus({ days: 1 });
  }
  return days;
}

async function readFestival(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT id, name, currency, timezone, status, startsAt, endsAt FROM Festival WHERE id = ?",
    args: [festivalId],
  });
  const r = rows[0];
  // A draft too: staff prepare the corner before the festival is published.
  if (!r) throw DomainError.notFound("No such festival.");
  return {
    id: String(r.id),
    name: String(r.name),
    currency: String(r.currency),
    timezone: String(r.timezone),
    status: String(r.status),
    startsAt: dateFromSql(r.startsAt),
    endsAt: dateFromSql(r.endsAt),
  };
}

const BOOKING_COLUMNS = `b.orderItemId, b.slotId, b.status, b.holdsSlot, b.dueMinor, b.walkIn, b.createdAt,
  o.id AS orderId, o.code, o.name, o.paymentMethod, i.amountMinor, d.title AS designTitle`;
const BOOKING_FROM = `FROM TattooBooking b JOIN "Order" o ON o.id = b.orderId JOIN OrderItem i ON i.id = b.orderItemId
  LEFT JOIN FlashDesign d ON d.id = b.flashDesignId`;

function boardBooking(r: Record<string, unknown>): BoardBooking {
  return {
    id: String(r.orderItemId),
    status: String(r.status),
    orderId: String(r.orderId),
    orderCode: String(r.code),
    name: r.name === null ? null : String(r.name),
    design: r.designTitle === null ? null : String(r.designTitle),
    donationMinor: Number(r.amountMinor),
    dueMinor: Number(r.dueMinor),
    payAtFestival: r.paymentMethod === "door",
    walkIn: Number(r.walkIn) === 1,
    holdsSlot: Number(r.holdsSlot) === 1,
  };
}

/**
 * The day's board (the festival's local day; today, or the festival's first
 * day, by default): per artist in scope, the day's open slots in order, each
 * free / held / booked / done / no-show with its booking (design or custom,
 * donation, what is due at the corner, the order code, the booker's name).
 */
export async function cornerBoard(
  user: CurrentUser,
  festivalId: string,
  day?: string,
  options: { artistId?: string; now?: Date } = {},
): Promise<Board> {
  const scope = await cornerScope(user, festivalId);
  const festival = await readFestival(festivalId);
  const days = festivalDays(festival.startsAt, festival.endsAt, festival.timezone);
  const today = localDay(options.now ?? new Date(), festival.timezone);
  const shown = day ?? (days.includes(today) ? today : (days[0] ?? today));
  const { rows: artistRows } = await sqlClient().execute({
    sql: `SELECT id, name FROM TattooArtist WHERE festivalId = ? ${scope.all ? "" : "AND id = ?"}
          ORDER BY position, name, id`,
    args: scope.all ? [festivalId] : [festivalId, scope.artistId],
  });
  const artists = artistRows.map((r) => ({ id: String(r.id), name: String(r.name) }));
  let artistId: string | null = scope.all ? null : scope.artistId;
  if (options.artistId !== undefined) {
    // Another artist than one's own (or of another festival) is as unknown as a missing one.
    if (!artists.some((a) => a.id === options.artistId))
      throw DomainError.notFound("No such artist at this festival.");
    artistId = options.artistId;
  }
  const from = DateTime.fromISO(shown, { zone: festival.timezone }).startOf("day");
  const to = from.plus({ days: 1 });
  const { rows: slotRows } = await sqlClient().execute({
    sql: `SELECT s.id, s.artistId, s.startsAt, s.endsAt, s.minDonationMinor, s.reserved, s.walkInsOnly,
                 EXISTS (SELECT 1 FROM TattooOffer f WHERE f.slotId = s.id AND f.status = 'open') AS offered
          FROM TattooSlot s
          WHERE s.festivalId = ? AND s.status = 'open' AND s.startsAt >= ? AND s.startsAt < ?
            ${artistId ? "AND s.artistId = ?" : ""}
          ORDER BY s.startsAt, s.id`,
    args: [
      festivalId,
      sqlDate(from.toJSDate()),
      sqlDate(to.toJSDate()),
      ...(artistId ? [artistId] : []),
    ],
  });
  const slotIds = slotRows.map((r) => String(r.id));
  const bookings = new Map<string, (BoardBooking & { createdAt: string })[]>();
  if (slotIds.length) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT ${BOOKING_COLUMNS} ${BOOKING_FROM}
            WHERE b.slotId IN (${slotIds.map(() => "?").join(",")})
              AND b.status IN ('held', 'booked', 'done', 'no_show')
            ORDER BY b.createdAt DESC, b.rowid DESC`,
      args: slotIds,
    });
    for (const r of rows) {
      const list = bookings.get(String(r.slotId)) ?? [];
      list.push({ ...boardBooking(r as Record<string, unknown>), createdAt: String(r.createdAt) });
      bookings.set(String(r.slotId), list);
    }
  }
  const bySlot = new Map<string, BoardSlot[]>();
  for (const r of slotRows) {
    const all = (bookings.get(String(r.id)) ?? []).map(({ createdAt: _, ...b }) => b);
    // The booking that holds the slot; else the last one done (a done booking keeps it).
    const current = all.find((b) => b.holdsSlot) ?? all.find((b) => b.status === "done") ?? null;
    const released = all.filter((b) => b !== current && b.status === "no_show");
    const offered = Number(r.offered) === 1;
    let state: SlotState = "free";
    if (current?.status === "done") state = "done";
    else if (current?.status === "no_show") state = "no_show";
    else if (current?.status === "booked") state = "booked";
    else if (current?.status === "held" || offered || Number(r.reserved) > 0) state = "held";
    const slot: BoardSlot = {
      id: String(r.id),
      startsAt: dateFromSql(r.startsAt).toISOString(),
      endsAt: dateFromSql(r.endsAt).toISOString(),
      minDonationMinor: Number(r.minDonationMinor),
      state,
      offered,
      walkInsOnly: Number(r.walkInsOnly) === 1,
      booking: current,
      released,
    };
    const list = bySlot.get(String(r.artistId)) ?? [];
    list.push(slot);
    bySlot.set(String(r.artistId), list);
  }
  const shownArtists = artists.filter((a) => !artistId || a.id === artistId);
  const designs = new Map<string, { id: string; title: string; minDonationMinor: number }[]>();
  if (shownArtists.length) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT id, artistId, title, minDonationMinor FROM FlashDesign
            WHERE artistId IN (${shownArtists.map(() => "?").join(",")}) AND status = 'available'
              AND (maxUses IS NULL OR reserved < maxUses)
            ORDER BY position, title, id`,
      args: shownArtists.map((a) => a.id),
    });
    for (const r of rows) {
      const list = designs.get(String(r.artistId)) ?? [];
      list.push({
        id: String(r.id),
        title: String(r.title),
        minDonationMinor: Number(r.minDonationMinor),
      });
      designs.set(String(r.artistId), list);
    }
  }
  return {
    festival: {
      id: festival.id,
      name: festival.name,
      currency: festival.currency,
      timezone: festival.timezone,
      status: festival.status,
    },
    day: shown,
    days: days.includes(shown) ? days : [...days, shown].sort(),
    artists,
    artistId,
    boards: shownArtists.map((artist) => ({
      artist,
      slots: bySlot.get(artist.id) ?? [],
      designs: designs.get(artist.id) ?? [],
    })),
  };
}

// ---------------------------------------------------------------- actions on a booking

type BookingRow = {
  id: string;
  orderId: string;
  festivalId: string;
  artistId: string;
  slotId: string;
  status: string;
  holdsSlot: boolean;
  dueMinor: number;
  paymentMethod: string;
  orderStatus: string;
  currency: string;
  festivalStatus: string;
};

/** The booking (404 when unknown), after checking the user may run its artist's board. */
async function readBooking(db: SqlExecutor, user: CurrentUser, id: string): Promise<BookingRow> {
  if (id.length > 64) throw DomainError.notFound("No such tattoo booking.");
  const { rows } = await db.execute({
    sql: `SELECT b.orderItemId, b.orderId, b.festivalId, b.artistId, b.slotId, b.status, b.holdsSlot, b.dueMinor,
                 o.paymentMethod, o.status AS orderStatus, o.currency, f.status AS festivalStatus
          FROM TattooBooking b JOIN "Order" o ON o.id = b.orderId JOIN Festival f ON f.id = b.festivalId
          WHERE b.orderItemId = ?`,
    args: [id],
  });
  const r = rows[0];
  if (!r) throw DomainError.notFound("No such tattoo booking.");
  const booking: BookingRow = {
    id: String(r.orderItemId),
    orderId: String(r.orderId),
    festivalId: String(r.festivalId),
    artistId: String(r.artistId),
    slotId: String(r.slotId),
    status: String(r.status),
    holdsSlot: Number(r.holdsSlot) === 1,
    dueMinor: Number(r.dueMinor),
    paymentMethod: String(r.paymentMethod),
    orderStatus: String(r.orderStatus),
    currency: String(r.currency),
    festivalStatus: String(r.festivalStatus),
  };
  const scope = await cornerScope(user, booking.festivalId);
  if (!inScope(scope, booking.artistId))
    throw DomainError.forbidden("This booking is another artist's: you run only your own board.");
  return booking;
}

/** A booking's festival, for a route's permission check before it reads anything else. */
export async function bookingFestival(id: string) {
  if (id.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: "SELECT festivalId FROM TattooBooking WHERE orderItemId = ?",
    args: [id],
  });
  return rows[0] ? String(rows[0].festivalId) : null;
}

function invalidState(message: string) {
  return new DomainError(409, "invalid_state", message);
}

/** One booking as the API answers after an action. */
export async function cornerBooking(id: string, db: SqlExecutor = sqlClient()) {
  const { rows } = await db.execute({
    sql: `SELECT ${BOOKING_COLUMNS}, o.status AS orderStatus, s.walkInsOnly, s.reserved
          ${BOOKING_FROM} JOIN TattooSlot s ON s.id = b.slotId WHERE b.orderItemId = ?`,
    args: [id],
  });
  const r = rows[0] as Record<string, unknown> | undefined;
  if (!r) throw DomainError.notFound("No such tattoo booking.");
  return {
    ...boardBooking(r),
    slotId: String(r.slotId),
    orderStatus: String(r.orderStatus),
    slot: { reserved: Number(r.reserved), walkInsOnly: Number(r.walkInsOnly) === 1 },
  };
}

export type CornerBooking = Awaited<ReturnType<typeof cornerBooking>>;

/**
 * The tattoo was done: booked → done (it keeps its slot and its design use).
 * Marking it again answers the same; any other status is a 409.
 */
export async function markDone(user: CurrentUser, id: string, now = new Date()) {
  return writeTransaction(async (tx) => {
    const b = await readBooking(tx, user, id);
    if (b.status === "done") return cornerBooking(id, tx);
    if (b.status !== "booked")
      throw invalidState(`This booking is ${b.status}: only a booked tattoo can be marked done.`);
    const statements: InStatement[] = [
      {
        sql: `UPDATE TattooBooking SET status = 'done', updatedAt = ? WHERE orderItemId = ? AND status = 'booked'`,
        args: [sqlDate(now), id],
      },
      ...changeStatements(
        {
          audit: {
            actorUserId: user.id,
            action: "tattoo.booking.done",
            targetType: "tattooBooking",
            targetId: id,
            festivalId: b.festivalId,
            details: { artistId: b.artistId, slotId: b.slotId },
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cornerBooking(id, tx);
  });
}

/**
 * The booker did not come (or let the corner know they will not): booked →
 * no_show. The booking keeps its slot until the corner releases it (to the
 * waitlist or to walk-ins: `releaseBooking`); a donation that was to be paid at
 * the corner is no longer due (nothing was tattooed), recorded in the audit row.
 * Marking it again answers the same; any other status is a 409.
 */
export async function markNoShow(user: CurrentUser, id: string, now = new Date()) {
  return writeTransaction(async (tx) => {
    const b = await readBooking(tx, user, id);
    if (b.status === "no_show") return cornerBooking(id, tx);
    if (b.status !== "booked")
      throw invalidState(`This booking is ${b.status}: only a booked tattoo can be a no-show.`);
    const statements: InStatement[] = [
      {
        sql: `UPDATE TattooBooking SET status = 'no_show', dueMinor = 0, updatedAt = ? WHERE orderItemId = ? AND status = 'booked'`,
        args: [sqlDate(now), id],
      },
      // The reminder of a booking marked before the day before is not sent.
      {
        sql: `UPDATE OutboxEmail SET status = 'cancelled'
              WHERE status = 'pending' AND id = (SELECT reminderEmailId FROM TattooBooking WHERE orderItemId = ?)`,
        args: [id],
      },
      ...changeStatements(
        {
          audit: {
            actorUserId: user.id,
            action: "tattoo.booking.no_show",
            targetType: "tattooBooking",
            targetId: id,
            festivalId: b.festivalId,
            details: { artistId: b.artistId, slotId: b.slotId, waivedMinor: b.dueMinor },
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cornerBooking(id, tx);
  });
}

export const RELEASE_TARGETS = ["waitlist", "walk_ins"] as const;
export type ReleaseTarget = (typeof RELEASE_TARGETS)[number];
export const releaseInput = z
  .object({ to: z.enum(RELEASE_TARGETS, { error: "v.releaseTarget" }) })
  .strict();

/**
 * A no-show's slot is given back: the booking's hold on its slot (and design)
 * ends through the item kind (`reserveStatements([line], -1)`), the booking
 * stays 'no_show'. "To the waitlist": the slot is free for the waitlist's refill
 * to offer (the caller kicks it); "to walk-ins": the slot is marked
 * `walkInsOnly`, which the refill skips, and the corner books a walk-in into it.
 * Releasing what no longer holds its slot is a 409.
 */
export async function releaseBooking(
  user: CurrentUser,
  id: string,
  to: ReleaseTarget,
  now = new Date(),
) {
  const released = await writeTransaction(async (tx) => {
    const b = await readBooking(tx, user, id);
    if (b.status !== "no_show")
      throw invalidState(`This booking is ${b.status}: only a no-show's slot is released here.`);
    if (!b.holdsSlot) throw invalidState("This no-show's slot was already released.");
    const line = (await readOrderLines(tx, b.orderId)).find((l) => l.itemId === id);
    if (!line) throw DomainError.notFound("No such tattoo booking.");
    const statements: InStatement[] = [
      ...reserveStatements([line], -1),
      {
        sql: "UPDATE TattooSlot SET walkInsOnly = ? WHERE id = ?",
        args: [to === "walk_ins" ? 1 : 0, b.slotId],
      },
      ...changeStatements(
        {
          audit: {
            actorUserId: user.id,
            action: "tattoo.booking.release",
            targetType: "tattooBooking",
            targetId: id,
            festivalId: b.festivalId,
            details: { artistId: b.artistId, slotId: b.slotId, to },
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cornerBooking(id, tx);
  });
  // Released to the waitlist: the first in line is offered the slot.
  if (to === "waitlist") kickTattooWaitlist();
  return released;
}

// ---------------------------------------------------------------- collecting the donation

/** The source key of a booking's donation collected in cash at the corner: it posts once. */
export function cornerCashKey(orderItemId: string) {
  return `tattoo:${orderItemId}:cash`;
}

export const collectInput = z
  .object({
    amountMinor: cashAmountMinor(1),
  })
  .strict();

function amountChanged(dueMinor: number) {
  return new DomainError(
    409,
    "amount_changed",
    `${dueMinor} (minor units) is due for this tattoo now, not what was sent; nothing was recorded. Reload the board.`,
  );
}

/** The cash one person took at the festival, held by them until it is handed over (cash.server.ts). */
export function staffCash(festivalId: string, currency: string, userId: string) {
  return {
    festivalId,
    currency,
    code: "door_cash" as const,
    holder: { type: "user" as const, id: userId },
  };
}

/**
 * Staff took the donation of a booking paid at the festival, in cash: one
 * entry Dr door_cash[staff member] / Cr income `tattoo.<artist>` under the
 * line's earmark (source key `tattoo:<orderItemId>:cash`), the booking owes
 * nothing more, and the order is paid once nothing is due anywhere (the door's
 * one check, `markPaidWhenSettled`). `amountMinor` is what staff took: another
 * amount than is due is a 409 with nothing written. The same collection again
 * (a retry) posts nothing and answers the same.
 */
export async function collectDonation(
  user: CurrentUser,
  id: string,
  amountMinor: number,
  now = new Date(),
) {
  return writeTransaction(async (tx) => {
    const b = await readBooking(tx, user, id);
    const key = cornerCashKey(id);
    const posted = await tx.execute({
      sql: `SELECT COALESCE(-SUM(p.amountMinor), 0) AS n FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
            WHERE p.entryId = ? AND a.code = 'income'`,
      args: [key],
    });
    const already = Number(posted.rows[0]?.n ?? 0);
    if (already > 0) {
      if (already === amountMinor && b.dueMinor === 0) return cornerBooking(id, tx);
      throw amountChanged(b.dueMinor);
    }
    if (b.paymentMethod !== "door")
      throw invalidState("This tattoo was paid online: nothing is collected at the corner.");
    if (b.festivalStatus === "cancelled")
      throw DomainError.conflict(
        "festival_cancelled",
        "This festival was cancelled: no cash is taken at the corner.",
      );
    if (b.dueMinor === 0 || amountMinor !== b.dueMinor) throw amountChanged(b.dueMinor);
    const line = (await readOrderLines(tx, b.orderId)).find((l) => l.itemId === id);
    if (!line) throw DomainError.notFound("No such tattoo booking.");
    const statements: InStatement[] = [
      {
        sql: `UPDATE TattooBooking SET dueMinor = 0, updatedAt = ? WHERE orderItemId = ? AND dueMinor = ?`,
        args: [sqlDate(now), id, amountMinor],
      },
      ...entryStatements({
        id: key,
        festivalId: b.festivalId,
        orderId: b.orderId,
        kind: "payment",
        actorUserId: user.id,
        memo: "tattoo donation taken in cash at the corner",
        at: now,
        postings: moneyInPostings(staffCash(b.festivalId, b.currency, user.id), [
          {
            category: line.category ?? tattooCategory(b.artistId),
            prisonerId: line.prisonerId,
            amountMinor,
          },
        ]),
      }),
      ...changeStatements(
        {
          audit: {
            actorUserId: user.id,
            action: "tattoo.booking.collect",
            targetType: "tattooBooking",
            targetId: id,
            festivalId: b.festivalId,
            details: { artistId: b.artistId, amountMinor, currency: b.currency },
          },
        },
        now,
      ),
      markPaidWhenSettled(b.orderId, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    return cornerBooking(id, tx);
  });
}

// ---------------------------------------------------------------- walk-ins

export const WALK_IN_PAYMENTS = ["cash", "card"] as const;

/**
 * A walk-in booked on the spot. The email is required: the order's
 * confirmation (and its link to cancel) goes there, and the checkout's orders
 * always have one.
 */
export const walkInInput = z
  .object({
    tattooSlotId: z
      .string({ error: "v.unknownTattooSlot" })
      .min(1, { error: "v.unknownTattooSlot" })
      .max(64, { error: "v.unknownTattooSlot" }),
    donationMinor: minorAmount,
    flashDesignId: z
      .string({ error: "v.unknownFlashDesign" })
      .min(1, { error: "v.unknownFlashDesign" })
      .max(64, { error: "v.unknownFlashDesign" })
      .optional(),
    email,
    name: optionalText({ max: 120 }),
    payment: z.enum(WALK_IN_PAYMENTS, { error: "v.paymentMethod" }),
  })
  .strict();
export type WalkInInput = z.output<typeof walkInInput>;

export type WalkIn = {
  orderId: string;
  orderCode: string;
  orderStatus: string;
  bookingId: string;
  /** Card: where the walk-in pays on their own phone (shown as a QR code). */
  checkoutUrl?: string;
  booking: CornerBooking;
  replayed: boolean;
};

/** The checkout's field names as the walk-in form has them ("items.0.donationMinor" → "donationMinor"). */
function walkInFields(fields: Record<string, string>) {
  const renamed: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    const name = k.replace(/^items\.0\./, "").replace(/^paymentMethod$/, "payment");
    renamed[name === "items" ? "_form" : name] = v;
  }
  return renamed;
}

/**
 * Book a walk-in into a free slot through the one checkout (channel "corner":
 * no minimum notice, no waitlist priority; the booking is marked a walk-in).
 * Cash: a pay-at-the-festival order whose donation is collected at once into
 * the staff member's cash (a second, idempotent transaction: the collection's
 * source key posts once; should it fail, the board shows the donation due).
 * Card: a pending order and the Stripe Checkout address for the walk-in's phone.
 */
export async function bookWalkIn(
  user: CurrentUser,
  festivalId: string,
  input: WalkInInput,
  context: { locale: Locale; stripeAvailable: boolean; idempotencyKey?: string; now?: Date },
): Promise<WalkIn> {
  const scope = await cornerScope(user, festivalId);
  if (!scope.all) {
    const { rows } = await sqlClient().execute({
      sql: "SELECT artistId FROM TattooSlot WHERE id = ? AND festivalId = ?",
      args: [input.tattooSlotId, festivalId],
    });
    if (rows[0] && String(rows[0].artistId) !== scope.artistId)
      throw DomainError.forbidden(
        "This slot is another artist's: you book only into your own slots.",
      );
  }
  const parsed = checkoutSchema().safeParse({
    email: input.email,
    ...(input.name ? { name: input.name } : {}),
    paymentMethod: input.payment === "cash" ? "door" : "stripe",
    items: [
      {
        kind: "tattoo_slot",
        tattooSlotId: input.tattooSlotId,
        donationMinor: input.donationMinor,
        ...(input.flashDesignId ? { flashDesignId: input.flashDesignId } : {}),
      },
    ],
  });
  if (!parsed.success)
    throw new FieldRulesError(
      walkInFields(
        Object.fromEntries(
          parsed.error.issues.map((i) => [i.path.join(".") || "_form", i.message]),
        ),
      ),
    );
  let placed: Awaited<ReturnType<typeof placeOrder>>;
  try {
    placed = await placeOrder(festivalId, parsed.data, {
      locale: context.locale,
      stripeAvailable: context.stripeAvailable,
      channel: "corner",
      idempotencyKey: context.idempotencyKey
        ? readIdempotencyKey(`corner:${user.id}:${context.idempotencyKey}`.slice(0, 128))
        : undefined,
      now: context.now,
    });
  } catch (error) {
    if (error instanceof FieldRulesError) throw new FieldRulesError(walkInFields(error.fields));
    throw error;
  }
  // Read back (a replayed request's lines are priced again: their ids are not the stored ones).
  const stored = await sqlClient().execute({
    sql: "SELECT orderItemId FROM TattooBooking WHERE orderId = ?",
    args: [placed.order.id],
  });
  const bookingId = String(stored.rows[0]?.orderItemId ?? "");
  let checkoutUrl: string | undefined;
  if (input.payment === "cash") {
    const now = context.now ?? new Date();
    const b = await cornerBooking(bookingId);
    if (b.dueMinor > 0) await collectDonation(user, bookingId, b.dueMinor, now);
  } else {
    checkoutUrl = await cardCheckoutUrl(placed);
  }
  const booking = await cornerBooking(bookingId);
  return {
    orderId: placed.order.id,
    orderCode: placed.order.code,
    orderStatus: booking.orderStatus,
    bookingId,
    ...(checkoutUrl ? { checkoutUrl } : {}),
    booking,
    replayed: placed.replayed,
  };
}
