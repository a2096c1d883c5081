// An artist's availability windows and the slots made from them (issue 10).
// Every write is one libSQL write transaction of raw SQL (the tattoo tables'
// times are sqlDate() text: the database compares them as text); the database
// itself refuses overlapping open slots of one artist (trigger
// `tattoo_slot_overlap`) and moving, withdrawing or deleting a held slot
// (`tattoo_slot_held`). The generation rules are in ./tattoo-schedule.ts.
import type { InStatement, Row } from "@libsql/client";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { auditStatement } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  prisma,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { can } from "~/utils/permissions.server";
import { artistFor } from "./tattoo-artist.server";
import { waitedForDays } from "./item-kinds/tattoo-slot.server";
import { refuseIfCancelled } from "./festival.server";
import {
  dayRange,
  localDay,
  localWindow,
  makeSlots,
  MAX_BREAKS,
  overlaps,
  slotLabel,
  withinNotice,
  type Interval,
} from "./tattoo-schedule";
import { minorAmount } from "./ticket-type.server";

// ---------------------------------------------------------------- input

const whole = (min: number, max: number, key: string) =>
  z.number({ error: key }).int({ error: key }).min(min, { error: key }).max(max, { error: key });

const moment = z.string({ error: "v.dateTime" }).max(40, { error: "v.dateTime" });

const fields = {
  startsAt: moment,
  endsAt: moment,
  slotMinutes: whole(5, 720, "v.slotMinutes"),
  bufferMinutes: whole(0, 240, "v.bufferMinutes"),
  breaks: z
    .array(z.object({ startsAt: moment, endsAt: moment }).strict(), { error: "v.breaks" })
    .max(MAX_BREAKS, { error: "v.breaks" }),
  minDonationMinor: minorAmount,
  minNoticeMinutes: whole(0, 10080, "v.noticeMinutes"),
};

/** A new window: times as local wall times in the festival's zone, or instants with an offset. */
export const availabilityInput = z
  .object({
    ...fields,
    bufferMinutes: fields.bufferMinutes.optional().default(0),
    breaks: fields.breaks.optional().default([]),
    minNoticeMinutes: fields.minNoticeMinutes.optional().default(0),
  })
  .strict();
export type AvailabilityInput = z.output<typeof availabilityInput>;

/** A change: any of the fields (missing ones stay as they are), and whether to move only free slots. */
export const availabilityPatch = z
  .object({
    startsAt: fields.startsAt.optional(),
    endsAt: fields.endsAt.optional(),
    slotMinutes: fields.slotMinutes.optional(),
    bufferMinutes: fields.bufferMinutes.optional(),
    breaks: fields.breaks.optional(),
    minDonationMinor: fields.minDonationMinor.optional(),
    minNoticeMinutes: fields.minNoticeMinutes.optional(),
    freeSlotsOnly: z.boolean({ error: "v.boolean" }).optional().default(false),
  })
  .strict();
export type AvailabilityPatch = z.output<typeof availabilityPatch>;

export const availabilityDelete = z
  .object({ freeSlotsOnly: z.boolean({ error: "v.boolean" }).optional().default(false) })
  .strict();

// ---------------------------------------------------------------- errors

/** A slot as an error names it: its instants and, for organisers, the orders holding it. */
export type NamedSlot = { startsAt: string; endsAt: string; orderCodes: string[] };

/** 409 `slots_booked`: the change would remove or move these held slots. */
export class SlotsBookedError extends DomainError {
  constructor(
    message: string,
    readonly slots: NamedSlot[],
  ) {
    super(409, "slots_booked", message);
  }
}

/** 409 `tattoo_slot_overlap`: the window overlaps these open slots of the same artist. */
export class SlotOverlapError extends DomainError {
  constructor(
    message: string,
    readonly slots: NamedSlot[],
  ) {
    super(409, "tattoo_slot_overlap", message);
  }
}

// ---------------------------------------------------------------- access

type ArtistRow = {
  id: string;
  festivalId: string;
  name: string;
  userId: string | null;
  timezone: string;
  festivalStartsAt: Date;
  festivalEndsAt: Date;
};

async function loadArtist(artistId: string | undefined): Promise<ArtistRow | null> {
  if (!artistId || artistId.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT a.id, a.festivalId, a.name, a.userId, f.timezone, f.startsAt, f.endsAt
          FROM TattooArtist a JOIN Festival f ON f.id = a.festivalId WHERE a.id = ?`,
    args: [artistId],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: String(r.id),
    festivalId: String(r.festivalId),
    name: String(r.name),
    userId: r.userId === null ? null : String(r.userId),
    timezone: String(r.timezone),
    festivalStartsAt: dateFromSql(r.startsAt),
    festivalEndsAt: dateFromSql(r.endsAt),
  };
}

/**
 * The artist, if `user` may run its availability: organisers (`festival:tattoo`)
 * for any artist of their festival, the linked artist (`tattoo:artist`) only
 * their own (`artistFor`; anyone else gets the 404 of an unknown artist, door
 * staff and treasurers a 403).
 */
export async function artistForSchedule(user: CurrentUser, artistId: string | undefined) {
  const allowed = await artistFor(user, artistId, "tattoo:artist");
  const artist = await loadArtist(allowed.id);
  if (!artist) throw DomainError.notFound();
  return { artist, organiser: can(user, "festival:tattoo", artist.festivalId) };
}

// ---------------------------------------------------------------- rules

const DAY = 24 * 60 * 60_000;

type Plan = {
  window: Interval & { breaks: Interval[] };
  values: AvailabilityInput;
  slots: Interval[];
};

/** The window read in the festival's zone and checked, and its slots; FieldRulesError otherwise. */
function plan(artist: ArtistRow, values: AvailabilityInput): Plan {
  const read = localWindow(values, artist.timezone);
  if (!read.ok) throw new FieldRulesError(read.fields);
  const { window } = read;
  const fieldsBroken: Record<string, string> = {};
  if (
    window.startsAt.getTime() < artist.festivalStartsAt.getTime() - DAY ||
    window.endsAt.getTime() > artist.festivalEndsAt.getTime() + DAY
  )
    fieldsBroken.startsAt = "v.windowOutsideFestival";
  const slots = makeSlots({
    ...window,
    slotMinutes: values.slotMinutes,
    bufferMinutes: values.bufferMinutes,
  });
  if (!fieldsBroken.startsAt && slots.length === 0) fieldsBroken.slotMinutes = "v.noSlots";
  if (Object.keys(fieldsBroken).length) throw new FieldRulesError(fieldsBroken);
  return { window, values, slots };
}

function slotOut(r: Row) {
  return {
    id: String(r.id),
    startsAt: dateFromSql(r.startsAt).toISOString(),
    endsAt: dateFromSql(r.endsAt).toISOString(),
  };
}

function isDbError(error: unknown, code: string) {
  return (
    error instanceof Error &&
    (error.message.includes(code) || String(error.cause ?? "").includes(code))
  );
}

/** The 409 for a window that overlaps the artist's other open slots, naming them. */
async function overlapError(artist: ArtistRow, window: Interval, ownId: string | null) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT startsAt, endsAt FROM TattooSlot
          WHERE artistId = ? AND status = 'open' AND startsAt < ? AND endsAt > ?
            AND (? IS NULL OR availabilityId IS NULL OR availabilityId <> ?)
          ORDER BY startsAt LIMIT 5`,
    args: [artist.id, sqlDate(window.endsAt), sqlDate(window.startsAt), ownId, ownId],
  });
  const slots = rows.map((r) => ({
    startsAt: dateFromSql(r.startsAt).toISOString(),
    endsAt: dateFromSql(r.endsAt).toISOString(),
    orderCodes: [],
  }));
  const named = slots.map((slot) => slotLabel(slot, artist.timezone));
  return new SlotOverlapError(
    named.length
      ? `This window overlaps ${artist.name}'s slots ${named.join(", ")} (${artist.timezone}): an artist never has two slots at once.`
      : `This window overlaps another slot of ${artist.name}: an artist never has two slots at once.`,
    slots,
  );
}

function slotInsert(
  artist: ArtistRow,
  availabilityId: string,
  slot: Interval,
  values: AvailabilityInput,
  now: Date,
): InStatement {
  return {
    sql: `INSERT INTO TattooSlot (id, festivalId, artistId, availabilityId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, reserved, status, createdAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'open', ?)`,
    args: [
      randomToken(16),
      artist.festivalId,
      artist.id,
      availabilityId,
      sqlDate(slot.startsAt),
      sqlDate(slot.endsAt),
      values.minDonationMinor,
      values.minNoticeMinutes,
      sqlDate(now),
    ],
  };
}

const breaksJson = (breaks: Interval[]) =>
  JSON.stringify(breaks.map((b) => ({ startsAt: sqlDate(b.startsAt), endsAt: sqlDate(b.endsAt) })));

async function openSlotsOf(tx: SqlExecutor, availabilityId: string) {
  const { rows } = await tx.execute({
    sql: `SELECT id, startsAt, endsAt FROM TattooSlot WHERE availabilityId = ? AND status = 'open' ORDER BY startsAt`,
    args: [availabilityId],
  });
  return rows.map(slotOut);
}

// ---------------------------------------------------------------- writes

/** A new window for an artist and all its slots, in one transaction. */
export async function addAvailability(
  actor: CurrentUser,
  artistId: string | undefined,
  input: AvailabilityInput,
  now = new Date(),
) {
  const { artist } = await artistForSchedule(actor, artistId);
  await refuseIfCancelled(artist.festivalId);
  const p = plan(artist, input);
  const id = randomToken(16);
  try {
    return await writeTransaction(async (tx) => {
      await tx.batch([
        {
          sql: `INSERT INTO TattooAvailability (id, festivalId, artistId, startsAt, endsAt, slotMinutes, bufferMinutes, breaks, minDonationMinor, minNoticeMinutes, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            id,
            artist.festivalId,
            artist.id,
            sqlDate(p.window.startsAt),
            sqlDate(p.window.endsAt),
            input.slotMinutes,
            input.bufferMinutes,
            breaksJson(p.window.breaks),
            input.minDonationMinor,
            input.minNoticeMinutes,
            sqlDate(now),
            sqlDate(now),
          ],
        },
        ...p.slots.map((s) => slotInsert(artist, id, s, input, now)),
        auditStatement(
          {
            actorUserId: actor.id,
            action: "tattoo.availability.create",
            targetType: "tattooAvailability",
            targetId: id,
            festivalId: artist.festivalId,
            details: {
              artistId: artist.id,
              startsAt: p.window.startsAt.toISOString(),
              endsAt: p.window.endsAt.toISOString(),
              slots: p.slots.length,
            },
          },
          now,
        ),
      ]);
      return { id, slots: await openSlotsOf(tx, id) };
    });
  } catch (error) {
    if (isDbError(error, "tattoo_slot_overlap")) throw await overlapError(artist, p.window, null);
    throw error;
  }
}

type AvailabilityRow = {
  id: string;
  artistId: string;
  startsAt: string;
  endsAt: string;
  slotMinutes: number;
  bufferMinutes: number;
  breaks: { startsAt: string; endsAt: string }[];
  minDonationMinor: number;
  minNoticeMinutes: number;
};

async function loadAvailability(id: string | undefined): Promise<AvailabilityRow | null> {
  if (!id || id.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, artistId, startsAt, endsAt, slotMinutes, bufferMinutes, breaks, minDonationMinor, minNoticeMinutes
          FROM TattooAvailability WHERE id = ?`,
    args: [id],
  });
  const r = rows[0];
  if (!r) return null;
  let breaks: { startsAt: string; endsAt: string }[] = [];
  try {
    const parsed: unknown = JSON.parse(String(r.breaks));
    if (Array.isArray(parsed)) breaks = parsed as typeof breaks;
  } catch {
    breaks = [];
  }
  return {
    id: String(r.id),
    artistId: String(r.artistId),
    startsAt: String(r.startsAt),
    endsAt: String(r.endsAt),
    slotMinutes: Number(r.slotMinutes),
    bufferMinutes: Number(r.bufferMinutes),
    breaks,
    minDonationMinor: Number(r.minDonationMinor),
    minNoticeMinutes: Number(r.minNoticeMinutes),
  };
}

/** A window the user may change, with its artist (404 for an unknown one or one of someone else's artist). */
async function availabilityToChange(actor: CurrentUser, id: string | undefined) {
  const availability = await loadAvailability(id);
  if (!availability) throw DomainError.notFound();
  const scope = await artistForSchedule(actor, availability.artistId);
  await refuseIfCancelled(scope.artist.festivalId);
  return { availability, ...scope };
}

type SlotState = { id: string; startsAt: string; endsAt: string; reserved: number; named: boolean };

async function slotStates(tx: SqlExecutor, availabilityId: string) {
  const { rows } = await tx.execute({
    sql: `SELECT s.id, s.startsAt, s.endsAt, s.reserved,
                 EXISTS (SELECT 1 FROM TattooBooking b WHERE b.slotId = s.id) AS named
          FROM TattooSlot s WHERE s.availabilityId = ? AND s.status = 'open' ORDER BY s.startsAt`,
    args: [availabilityId],
  });
  return rows.map((r): SlotState => ({
    id: String(r.id),
    startsAt: String(r.startsAt),
    endsAt: String(r.endsAt),
    reserved: Number(r.reserved),
    named: Number(r.named) === 1,
  }));
}

/** The 409 that refuses to drop held slots, naming their times (and order codes, for organisers). */
async function bookedError(
  tx: SqlExecutor,
  artist: ArtistRow,
  held: SlotState[],
  organiser: boolean,
) {
  const slots: NamedSlot[] = [];
  for (const slot of held.slice(0, 20)) {
    let orderCodes: string[] = [];
    if (organiser) {
      const { rows } = await tx.execute({
        sql: `SELECT o.code FROM TattooBooking b JOIN "Order" o ON o.id = b.orderId
              WHERE b.slotId = ? AND b.holdsSlot = 1 ORDER BY o.code`,
        args: [slot.id],
      });
      orderCodes = rows.map((r) => String(r.code));
    }
    slots.push({
      startsAt: dateFromSql(slot.startsAt).toISOString(),
      endsAt: dateFromSql(slot.endsAt).toISOString(),
      orderCodes,
    });
  }
  const named = slots.map(
    (slot) =>
      `${slotLabel(slot, artist.timezone)}${slot.orderCodes.length ? ` (order ${slot.orderCodes.join(", ")})` : ""}`,
  );
  const more = held.length > named.length ? ` and ${held.length - named.length} more` : "";
  return new SlotsBookedError(
    `These slots are held or booked and would be removed or moved: ${named.join("; ")}${more} (${artist.timezone}). Cancel those bookings first, or move only the free slots (freeSlotsOnly).`,
    slots,
  );
}

const key = (s: { startsAt: string; endsAt: string }) => `${s.startsAt}|${s.endsAt}`;

/** The statements that take free slots off: withdrawn if a booking row names them, else deleted. */
function removeStatements(slots: SlotState[]): InStatement[] {
  return slots.map((s) =>
    s.named
      ? {
          sql: `UPDATE TattooSlot SET status = 'withdrawn' WHERE id = ? AND reserved = 0`,
          args: [s.id],
        }
      : { sql: `DELETE FROM TattooSlot WHERE id = ? AND reserved = 0`, args: [s.id] },
  );
}

/**
 * Change a window. Its slots are made again from the new rules: free slots
 * that stay where they are keep their ids, others are taken off (withdrawn if a
 * booking row names them, else deleted) and new ones made. A held slot
 * (`reserved > 0`: a checkout's hold, a booking, a waitlist offer) that would
 * vanish or move refuses the change (409 `slots_booked`, naming them) unless
 * `freeSlotsOnly`: then held slots stay exactly as they are and new slots that
 * would overlap them are skipped. Held slots keep their minimum donation and
 * notice (their booking was made under them).
 */
export async function updateAvailability(
  actor: CurrentUser,
  id: string | undefined,
  patch: AvailabilityPatch,
  now = new Date(),
) {
  const { availability: old, artist, organiser } = await availabilityToChange(actor, id);
  const values: AvailabilityInput = {
    startsAt: patch.startsAt ?? old.startsAt,
    endsAt: patch.endsAt ?? old.endsAt,
    slotMinutes: patch.slotMinutes ?? old.slotMinutes,
    bufferMinutes: patch.bufferMinutes ?? old.bufferMinutes,
    breaks: patch.breaks ?? old.breaks,
    minDonationMinor: patch.minDonationMinor ?? old.minDonationMinor,
    minNoticeMinutes: patch.minNoticeMinutes ?? old.minNoticeMinutes,
  };
  const p = plan(artist, values);
  try {
    return await writeTransaction(async (tx) => {
      const current = await slotStates(tx, old.id);
      const grid = p.slots.map((s) => ({
        startsAt: sqlDate(s.startsAt),
        endsAt: sqlDate(s.endsAt),
      }));
      const inGrid = new Set(grid.map(key));
      const held = current.filter((s) => s.reserved > 0);
      const displaced = held.filter((s) => !inGrid.has(key(s)));
      if (displaced.length && !patch.freeSlotsOnly)
        throw await bookedError(tx, artist, displaced, organiser);
      const free = current.filter((s) => s.reserved === 0);
      const staying = free.filter((s) => inGrid.has(key(s)));
      const leaving = free.filter((s) => !inGrid.has(key(s)));
      const existing = new Set(current.map(key));
      const heldIntervals = held.map((s) => ({
        startsAt: new Date(s.startsAt),
        endsAt: new Date(s.endsAt),
      }));
      const fresh = p.slots.filter(
        (s) =>
          !existing.has(key({ startsAt: sqlDate(s.startsAt), endsAt: sqlDate(s.endsAt) })) &&
          !heldIntervals.some((h) => overlaps(h, s)),
      );
      const statements: InStatement[] = [
        ...removeStatements(leaving),
        ...staying.map((s) => ({
          sql: `UPDATE TattooSlot SET minDonationMinor = ?, minNoticeMinutes = ? WHERE id = ? AND reserved = 0`,
          args: [values.minDonationMinor, values.minNoticeMinutes, s.id],
        })),
        ...fresh.map((s) => slotInsert(artist, old.id, s, values, now)),
        {
          sql: `UPDATE TattooAvailability SET startsAt = ?, endsAt = ?, slotMinutes = ?, bufferMinutes = ?, breaks = ?,
                  minDonationMinor = ?, minNoticeMinutes = ?, updatedAt = ? WHERE id = ?`,
          args: [
            sqlDate(p.window.startsAt),
            sqlDate(p.window.endsAt),
            values.slotMinutes,
            values.bufferMinutes,
            breaksJson(p.window.breaks),
            values.minDonationMinor,
            values.minNoticeMinutes,
            sqlDate(now),
            old.id,
          ],
        },
        auditStatement(
          {
            actorUserId: actor.id,
            action: "tattoo.availability.update",
            targetType: "tattooAvailability",
            targetId: old.id,
            festivalId: artist.festivalId,
            details: {
              artistId: artist.id,
              startsAt: p.window.startsAt.toISOString(),
              endsAt: p.window.endsAt.toISOString(),
              kept: staying.length,
              keptHeld: held.length,
              removed: leaving.length,
              added: fresh.length,
              freeSlotsOnly: patch.freeSlotsOnly,
            },
          },
          now,
        ),
      ];
      await tx.batch(statements);
      return { id: old.id, slots: await openSlotsOf(tx, old.id) };
    });
  } catch (error) {
    if (isDbError(error, "tattoo_slot_overlap")) throw await overlapError(artist, p.window, old.id);
    if (isDbError(error, "tattoo_slot_held"))
      throw DomainError.conflict(
        "slots_booked",
        "A slot was taken while the change was made: reload and try again.",
      );
    throw error;
  }
}

/**
 * Delete a window and its free slots. Held slots refuse it (409 `slots_booked`)
 * unless `freeSlotsOnly`: then only the free slots go and the window stays with
 * its held slots (`deleted: false`).
 */
export async function deleteAvailability(
  actor: CurrentUser,
  id: string | undefined,
  options: { freeSlotsOnly?: boolean } = {},
  now = new Date(),
) {
  const { availability, artist, organiser } = await availabilityToChange(actor, id);
  try {
    return await writeTransaction(async (tx) => {
      const current = await slotStates(tx, availability.id);
      const held = current.filter((s) => s.reserved > 0);
      if (held.length && !options.freeSlotsOnly)
        throw await bookedError(tx, artist, held, organiser);
      const free = current.filter((s) => s.reserved === 0);
      const deleted = held.length === 0;
      await tx.batch([
        ...removeStatements(free),
        ...(deleted
          ? [{ sql: `DELETE FROM TattooAvailability WHERE id = ?`, args: [availability.id] }]
          : []),
        auditStatement(
          {
            actorUserId: actor.id,
            action: "tattoo.availability.delete",
            targetType: "tattooAvailability",
            targetId: availability.id,
            festivalId: artist.festivalId,
            details: { artistId: artist.id, removed: free.length, keptHeld: held.length, deleted },
          },
          now,
        ),
      ]);
      return {
        id: availability.id,
        deleted,
        kept: held.map((s) => ({
          id: s.id,
          startsAt: new Date(s.startsAt).toISOString(),
          endsAt: new Date(s.endsAt).toISOString(),
        })),
      };
    });
  } catch (error) {
    if (isDbError(error, "tattoo_slot_held"))
      throw DomainError.conflict(
        "slots_booked",
        "A slot was taken while the change was made: reload and try again.",
      );
    throw error;
  }
}

// ---------------------------------------------------------------- reads

export type PublicSlot = {
  id: string;
  artistId: string;
  artistName: string;
  startsAt: string;
  endsAt: string;
  day: string;
  free: boolean;
  minDonationMinor: number;
};

/**
 * The public slot list of a festival: time, artist, minimum donation and
 * whether it can be booked online now (`free`: open, nothing holds it, not
 * started, and its minimum notice not passed). The query reads no booking,
 * order, email or name of a booker: the list cannot leak one.
 */
export async function listSlots(
  festival: { id: string; timezone: string; status?: string },
  filter: { artistId?: string; day?: string } = {},
  now = new Date(),
): Promise<PublicSlot[]> {
  const range = filter.day ? dayRange(filter.day, festival.timezone) : null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT s.id, s.artistId, a.name AS artistName, s.startsAt, s.endsAt, s.minDonationMinor,
                 s.minNoticeMinutes, s.reserved, s.walkInsOnly
          FROM TattooSlot s JOIN TattooArtist a ON a.id = s.artistId
          WHERE s.festivalId = ? AND s.status = 'open'
            AND (? IS NULL OR s.artistId = ?)
            AND (? IS NULL OR (s.startsAt >= ? AND s.startsAt < ?))
          ORDER BY s.startsAt, a.position, a.name`,
    args: [
      festival.id,
      filter.artistId ?? null,
      filter.artistId ?? null,
      range ? 1 : null,
      range ? sqlDate(range.startsAt) : null,
      range ? sqlDate(range.endsAt) : null,
    ],
  });
  const open = festival.status === undefined || festival.status === "published";
  // A free slot of an artist's day with people waiting is theirs first (the waitlist
  // offers it), and one released for walk-ins is for the tattoo corner: neither is
  // free online. The days people wait for are read once (which days, no people).
  const waited = await waitedForDays(sqlClient(), festival.id);
  return rows.map((r) => {
    const startsAt = dateFromSql(r.startsAt);
    const day = localDay(startsAt, festival.timezone);
    const free =
      open &&
      Number(r.reserved) === 0 &&
      Number(r.walkInsOnly) === 0 &&
      withinNotice({ startsAt, minNoticeMinutes: Number(r.minNoticeMinutes) }, now) &&
      !waited.has(`${String(r.artistId)}\n${day}`);
    return {
      id: String(r.id),
      artistId: String(r.artistId),
      artistName: String(r.artistName),
      startsAt: startsAt.toISOString(),
      endsAt: dateFromSql(r.endsAt).toISOString(),
      day,
      free,
      minDonationMinor: Number(r.minDonationMinor),
    };
  });
}

/** A published festival for the public slot list; null for drafts and unknown ids. */
export async function publicFestivalForSlots(id: string | undefined) {
  if (!id || id.length > 64) return null;
  const f = await prisma.festival.findUnique({
    where: { id },
    select: { id: true, timezone: true, status: true, publishedAt: true },
  });
  if (!f || f.status === "draft" || !f.publishedAt) return null;
  return f;
}

export type ScheduleSlot = {
  id: string;
  startsAt: string;
  endsAt: string;
  day: string;
  state: "free" | "held" | "booked" | "offered";
  /** Organisers only: the order codes holding the slot. */
  orderCodes: string[];
};

/**
 * An artist's windows with their slots and states, for the organiser page and
 * the linked artist. Order codes only for organisers; never a name or an email.
 */
export async function artistSchedule(user: CurrentUser, artistId: string | undefined) {
  const { artist, organiser } = await artistForSchedule(user, artistId);
  const db = sqlClient();
  const [windows, slots, bookings] = await Promise.all([
    db.execute({
      sql: `SELECT id, startsAt, endsAt, slotMinutes, bufferMinutes, breaks, minDonationMinor, minNoticeMinutes
            FROM TattooAvailability WHERE artistId = ? ORDER BY startsAt`,
      args: [artist.id],
    }),
    db.execute({
      sql: `SELECT s.id, s.availabilityId, s.startsAt, s.endsAt, s.reserved,
                   EXISTS (SELECT 1 FROM TattooOffer o WHERE o.slotId = s.id AND o.status = 'open') AS offered
            FROM TattooSlot s WHERE s.artistId = ? AND s.status = 'open' ORDER BY s.startsAt`,
      args: [artist.id],
    }),
    db.execute({
      sql: `SELECT b.slotId, b.status, o.code FROM TattooBooking b JOIN "Order" o ON o.id = b.orderId
            WHERE b.artistId = ? AND b.holdsSlot = 1`,
      args: [artist.id],
    }),
  ]);
  const bySlot = new Map<string, { status: string; code: string }[]>();
  for (const b of bookings.rows) {
    const list = bySlot.get(String(b.slotId)) ?? [];
    list.push({ status: String(b.status), code: String(b.code) });
    bySlot.set(String(b.slotId), list);
  }
  const tz = artist.timezone;
  const slotList = slots.rows.map((r) => {
    const held = bySlot.get(String(r.id)) ?? [];
    const state: ScheduleSlot["state"] =
      Number(r.reserved) === 0
        ? "free"
        : held.some((b) => b.status !== "held")
          ? "booked"
          : held.length
            ? "held"
            : Number(r.offered) === 1
              ? "offered"
              : "held";
    return {
      availabilityId: r.availabilityId === null ? null : String(r.availabilityId),
      slot: {
        id: String(r.id),
        startsAt: dateFromSql(r.startsAt).toISOString(),
        endsAt: dateFromSql(r.endsAt).toISOString(),
        day: localDay(dateFromSql(r.startsAt), tz),
        state,
        orderCodes: organiser ? held.map((b) => b.code) : [],
      } satisfies ScheduleSlot,
    };
  });
  return {
    artist: { id: artist.id, name: artist.name, festivalId: artist.festivalId, timezone: tz },
    organiser,
    windows: windows.rows.map((w) => {
      let breaks: { startsAt: string; endsAt: string }[] = [];
      try {
        breaks = JSON.parse(String(w.breaks)) as typeof breaks;
      } catch {
        breaks = [];
      }
      return {
        id: String(w.id),
        startsAt: dateFromSql(w.startsAt).toISOString(),
        endsAt: dateFromSql(w.endsAt).toISOString(),
        slotMinutes: Number(w.slotMinutes),
        bufferMinutes: Number(w.bufferMinutes),
        breaks: breaks.map((b) => ({
          startsAt: new Date(b.startsAt).toISOString(),
          endsAt: new Date(b.endsAt).toISOString(),
        })),
        minDonationMinor: Number(w.minDonationMinor),
        minNoticeMinutes: Number(w.minNoticeMinutes),
        slots: slotList.filter((s) => s.availabilityId === String(w.id)).map((s) => s.slot),
      };
    }),
    /** Open slots no window names any more (a deleted window's held slots). */
    loose: slotList.filter((s) => s.availabilityId === null).map((s) => s.slot),
  };
}
