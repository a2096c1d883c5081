// The tattoo waitlist that refills itself (issue 10). When an artist's day is
// fully booked (or a flash design has no use left) people join a line for that
// artist and local day (optionally for the design). Whenever a future slot of
// that day is free — a hold ran out, a booking was cancelled, a no-show was
// released — the first in line is offered it: a TattooOffer holds the slot for
// them (it counts in the slot's `reserved`, so nobody else can take it) until
// `expiresAt`, and an email carries the secret link of the offer page. An offer
// not taken in time passes to the next in line. Every step is a row in the
// database, written in one write transaction with its email, so a restart at
// any point loses nothing and doubles nothing: the next pass finds the state
// and goes on. See docs/architecture.md, "The tattoo waitlist".
// The kinds' registry first: it and the tattoo kind import each other, and the
// tattoo kind loaded first would find the registry half-made.
import { DateTime } from "luxon";
import { z } from "zod";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { writeChange } from "~/utils/change.server";
import { dateFromSql, sqlClient, sqlDate, writeTransaction } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { kickEmailWorker } from "~/utils/email.server";
import { keepLease, type KeptLease } from "~/utils/lease.server";
import { isLocale, type Locale } from "~/utils/i18n";
import { email as emailRule } from "~/utils/validation";
import { bookerKey, offerTokenHash } from "./item-kinds/tattoo-slot.server";
import { localDay } from "./tattoo-schedule";
import { logger } from "~/utils/logger.server";

/** The secret of a "leave the waitlist" link as stored. */
export function leaveTokenHash(token: string) {
  return sha256(`tattoo-waitlist-leave\n${token}`);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const id = (error: string) => z.string({ error }).min(1, { error }).max(64, { error });

/** What the API and the pages accept to join a line. */
export const waitlistInput = z.object({
  email: emailRule,
  flashDesignId: id("v.unknownFlashDesign").optional(),
});

export type JoinRequest = {
  email: string;
  locale: Locale;
  flashDesignId?: string;
} & ({ slotId: string } | { artistId: string; day: string });

export type WaitlistPlace = { id: string; position: number; created: boolean };

/** The slots-are-free answer (409): book one instead. */
export class SlotsAvailableError extends DomainError {
  constructor() {
    super(409, "slots_available", "This artist still has free slots that day: book one instead.");
  }
}

type Line = {
  festivalId: string;
  artistId: string;
  day: string;
  timezone: string;
};

async function lineOfSlot(slotId: string): Promise<Line | null> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT s.artistId, s.festivalId, s.startsAt, f.timezone
          FROM TattooSlot s JOIN Festival f ON f.id = s.festivalId
          WHERE s.id = ? AND s.status = 'open' AND f.status = 'published' AND f.publishedAt IS NOT NULL`,
    args: [slotId],
  });
  const r = rows[0];
  if (!r) return null;
  const timezone = String(r.timezone);
  return {
    festivalId: String(r.festivalId),
    artistId: String(r.artistId),
    day: localDay(dateFromSql(r.startsAt), timezone),
    timezone,
  };
}

async function lineOfArtist(artistId: string, day: string): Promise<Line | null> {
  if (!DAY.test(day)) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT a.festivalId, f.timezone FROM TattooArtist a JOIN Festival f ON f.id = a.festivalId
          WHERE a.id = ? AND f.status = 'published' AND f.publishedAt IS NOT NULL`,
    args: [artistId],
  });
  const r = rows[0];
  return r
    ? { festivalId: String(r.festivalId), artistId, day, timezone: String(r.timezone) }
    : null;
}

/** The UTC bounds of a local day in a zone (its own midnights: DST-safe). */
function dayBounds(day: string, timezone: string) {
  const start = DateTime.fromISO(day, { zone: timezone }).startOf("day");
  return { from: start.toJSDate(), to: start.plus({ days: 1 }).toJSDate() };
}

/** A 1-based place among those still waiting in the artist's day (offers go in this order). */
async function positionOf(waitlistId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT count(*) AS n FROM TattooWaitlist w, TattooWaitlist me
          WHERE me.id = ? AND w.artistId = me.artistId AND w.day = me.day AND w.status IN ('waiting', 'offered')
            AND (w.createdAt < me.createdAt OR (w.createdAt = me.createdAt AND w.rowid <= me.rowid))`,
    args: [waitlistId],
  });
  return Math.max(1, Number(rows[0]?.n ?? 1));
}

/**
 * Join the line of an artist's day (or of a design of theirs), only when the
 * artist has no free slot left that day that this person could book (or the
 * design has no use left) — else 409 `slots_available`. One place per person
 * and line: a repeat answers the place already held. Queues the confirmation
 * email with the secret "leave" link (only its hash is stored).
 */
export async function joinWaitlist(request: JoinRequest, now = new Date()): Promise<WaitlistPlace> {
  const line =
    "slotId" in request
      ? await lineOfSlot(request.slotId)
      : await lineOfArtist(request.artistId, request.day);
  if (!line)
    throw DomainError.notFound(
      "slotId" in request ? "No such tattoo slot." : "No such artist or day.",
    );
  const email = emailRule.safeParse(request.email);
  if (!email.success) throw new FieldRulesError({ email: "v.email" });
  const emailKey = bookerKey(line.festivalId, email.data);
  let designExhausted = false;
  if (request.flashDesignId) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT maxUses, reserved, status FROM FlashDesign WHERE id = ? AND artistId = ?`,
      args: [request.flashDesignId, line.artistId],
    });
    const d = rows[0];
    if (!d || d.status !== "available")
      throw new FieldRulesError({ flashDesignId: "v.unknownFlashDesign" });
    designExhausted = d.maxUses !== null && Number(d.reserved) >= Number(d.maxUses);
  }
  const existing = await findPlace(line, request.flashDesignId ?? null, emailKey);
  if (existing) return { id: existing, position: await positionOf(existing), created: false };
  if (!designExhausted && (await bookableSlots(line, now)) > 0) throw new SlotsAvailableError();

  const limit = await sqlClient().execute({
    sql: `SELECT (SELECT count(*) FROM TattooBooking WHERE artistId = ? AND emailKey = ? AND holdsSlot = 1
                  AND status IN ('held', 'booked')) AS n, tattooBookingsPerArtist AS max FROM Festival WHERE id = ?`,
    args: [line.artistId, emailKey, line.festivalId],
  });
  if (Number(limit.rows[0]?.n ?? 0) >= Number(limit.rows[0]?.max ?? 1))
    throw new DomainError(
      409,
      "tattoo_booking_limit",
      "You already hold as many bookings with this artist as the festival allows.",
    );

  const waitlistId = randomToken(16);
  const token = randomToken(24);
  const at = sqlDate(now);
  try {
    await writeTransaction(async (tx) => {
      await tx.execute({
        sql: `INSERT INTO TattooWaitlist (id, festivalId, artistId, day, flashDesignId, email, emailKey, locale, status,
                                          leaveTokenHash, createdAt, updatedAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)`,
        args: [
          waitlistId,
          line.festivalId,
          line.artistId,
          line.day,
          request.flashDesignId ?? null,
          email.data,
          emailKey,
          request.locale,
          leaveTokenHash(token),
          at,
          at,
        ],
      });
      await writeChange(
        tx,
        {
          emails: {
            to: email.data,
            template: "tattoo-waitlist-joined",
            locale: request.locale,
            data: { waitlistId, token },
          },
        },
        now,
      );
    });
  } catch (error) {
    // The same person joined at the same moment: the unique index kept one place.
    if (
      error instanceof Error &&
      /UNIQUE constraint failed: .*TattooWaitlist/i.test(error.message)
    ) {
      const raced = await findPlace(line, request.flashDesignId ?? null, emailKey);
      if (raced) return { id: raced, position: await positionOf(raced), created: false };
    }
    throw error;
  }
  kickEmailWorker();
  kickTattooWaitlist();
  return { id: waitlistId, position: await positionOf(waitlistId), created: true };
}

async function findPlace(line: Line, flashDesignId: string | null, emailKey: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id FROM TattooWaitlist WHERE artistId = ? AND day = ? AND COALESCE(flashDesignId, '') = ?
            AND emailKey = ? AND status IN ('waiting', 'offered')`,
    args: [line.artistId, line.day, flashDesignId ?? "", emailKey],
  });
  return rows[0] ? String(rows[0].id) : null;
}

/**
 * Free slots of the artist's day a newcomer could book online now: free,
 * open, not kept for walk-ins, past the minimum notice, and not all spoken for by people already
 * waiting (a free slot is theirs first: the checkout refuses it to others).
 */
async function bookableSlots(line: Line, now: Date) {
  const { from, to } = dayBounds(line.day, line.timezone);
  const { rows } = await sqlClient().execute({
    sql: `SELECT
            (SELECT count(*) FROM TattooSlot WHERE artistId = ? AND status = 'open' AND reserved = 0 AND walkInsOnly = 0
               AND startsAt >= ? AND startsAt < ? AND startsAt > ?
               AND strftime('%s', startsAt) - strftime('%s', ?) >= minNoticeMinutes * 60) AS free,
            (SELECT count(*) FROM TattooWaitlist WHERE artistId = ? AND day = ? AND status = 'waiting') AS waiting`,
    args: [
      line.artistId,
      sqlDate(from),
      sqlDate(to),
      sqlDate(now),
      sqlDate(now),
      line.artistId,
      line.day,
    ],
  });
  return Number(rows[0]?.free ?? 0) - Number(rows[0]?.waiting ?? 0);
}

/**
 * Leave a line by the secret of the confirmation email's link. An offer held
 * for the place is withdrawn and its slot given back (to the next in line).
 * Returns false when the link is unknown; leaving twice is fine.
 */
export async function leaveWaitlist(token: string, now = new Date()) {
  if (!token || token.length > 128) return false;
  const hash = leaveTokenHash(token);
  const at = sqlDate(now);
  const found = await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT id, status FROM TattooWaitlist WHERE leaveTokenHash = ?`,
      args: [hash],
    });
    const entry = rows[0];
    if (!entry) return false;
    if (entry.status !== "waiting" && entry.status !== "offered") return true;
    const entryId = String(entry.id);
    await tx.execute({
      sql: `UPDATE TattooSlot SET reserved = reserved - 1
            WHERE id IN (SELECT slotId FROM TattooOffer WHERE waitlistId = ? AND status = 'open')`,
      args: [entryId],
    });
    await tx.execute({
      sql: `UPDATE TattooOffer SET status = 'withdrawn', updatedAt = ? WHERE waitlistId = ? AND status = 'open'`,
      args: [at, entryId],
    });
    await tx.execute({
      sql: `UPDATE TattooWaitlist SET status = 'left', updatedAt = ? WHERE id = ?`,
      args: [at, entryId],
    });
    return true;
  });
  if (found) kickTattooWaitlist();
  return found;
}

/** What the leave page shows for its link (null: unknown). */
export async function waitlistPlaceByToken(token: string) {
  if (!token || token.length > 128) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT w.id, w.status, w.day, a.name AS artistName, f.name AS festivalName, d.title AS designTitle
          FROM TattooWaitlist w JOIN TattooArtist a ON a.id = w.artistId JOIN Festival f ON f.id = w.festivalId
          LEFT JOIN FlashDesign d ON d.id = w.flashDesignId
          WHERE w.leaveTokenHash = ?`,
    args: [leaveTokenHash(token)],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: String(r.id),
    status: String(r.status),
    day: String(r.day),
    artistName: String(r.artistName),
    festivalName: String(r.festivalName),
    designTitle: r.designTitle === null ? null : String(r.designTitle),
  };
}

// ---------------------------------------------------------------- the refill

export type RefillResult = { expired: number; offered: number };

/**
 * One pass of the chain: (a) offers past their time end (the entry 'passed',
 * the slot's hold given back); (b) every free future slot whose artist's day
 * has someone waiting is offered to the first in line. Each offer is its own
 * write transaction with its email; the slot is taken only while still free,
 * so concurrent passes (or a pass racing a booking) make at most one offer per
 * slot. A slot starting within the offer time (plus its minimum notice) is not
 * offered: it stays free for walk-ins at the tattoo corner; nor is a slot the
 * corner keeps for walk-ins (`walkInsOnly`, a no-show released "to walk-ins").
 */
export async function refillWaitlist(now = new Date()): Promise<RefillResult> {
  const at = sqlDate(now);
  const expired = await writeTransaction(async (tx) => {
    await tx.execute({
      sql: `UPDATE TattooSlot SET reserved = reserved - 1
            WHERE id IN (SELECT slotId FROM TattooOffer WHERE status = 'open' AND expiresAt <= ?)`,
      args: [at],
    });
    await tx.execute({
      sql: `UPDATE TattooWaitlist SET status = 'passed', updatedAt = ?
            WHERE status = 'offered' AND id IN (SELECT waitlistId FROM TattooOffer WHERE status = 'open' AND expiresAt <= ?)`,
      args: [at, at],
    });
    const done = await tx.execute({
      sql: `UPDATE TattooOffer SET status = 'expired', updatedAt = ? WHERE status = 'open' AND expiresAt <= ?`,
      args: [at, at],
    });
    return done.rowsAffected;
  });

  // Lines with someone waiting, and the free slots of their artists from now on.
  const lines = await sqlClient().execute({
    sql: `SELECT DISTINCT artistId, day FROM TattooWaitlist WHERE status = 'waiting'`,
  });
  if (lines.rows.length === 0) return { expired, offered: 0 };
  const wanted = new Set(lines.rows.map((r) => `${String(r.artistId)} ${String(r.day)}`));
  const artists = [...new Set(lines.rows.map((r) => String(r.artistId)))];
  const slots = await sqlClient().execute({
    sql: `SELECT s.id, s.artistId, s.startsAt, s.minNoticeMinutes, f.timezone, f.tattooOfferMinutes
          FROM TattooSlot s JOIN Festival f ON f.id = s.festivalId
          WHERE s.artistId IN (${artists.map(() => "?").join(",")}) AND s.status = 'open' AND s.reserved = 0
            AND s.walkInsOnly = 0 AND s.startsAt > ? AND f.status = 'published'
          ORDER BY s.startsAt, s.id`,
    args: [...artists, at],
  });
  let offered = 0;
  for (const s of slots.rows) {
    const startsAt = dateFromSql(s.startsAt);
    const offerMinutes = Number(s.tattooOfferMinutes);
    // Too close to its start for an offer to be of use: left for walk-ins.
    const usefulUntil = startsAt.getTime() - (offerMinutes + Number(s.minNoticeMinutes)) * 60_000;
    if (now.getTime() > usefulUntil) continue;
    const day = localDay(startsAt, String(s.timezone));
    if (!wanted.has(`${String(s.artistId)} ${day}`)) continue;
    if (await offerSlot(String(s.id), String(s.artistId), day, offerMinutes, now)) offered++;
  }
  if (offered > 0) kickEmailWorker();
  return { expired, offered };
}

/** Offer one free slot to the first in its line; false when it was taken meanwhile or nobody waits. */
async function offerSlot(
  slotId: string,
  artistId: string,
  day: string,
  offerMinutes: number,
  now: Date,
) {
  const at = sqlDate(now);
  return await writeTransaction(async (tx) => {
    // First in line: by arrival; a design's line only while the design has a use left.
    const { rows } = await tx.execute({
      sql: `SELECT w.id, w.email, w.locale FROM TattooWaitlist w LEFT JOIN FlashDesign d ON d.id = w.flashDesignId
            WHERE w.artistId = ? AND w.day = ? AND w.status = 'waiting' AND w.email IS NOT NULL
              AND (w.flashDesignId IS NULL OR (d.status = 'available' AND (d.maxUses IS NULL OR d.reserved < d.maxUses)))
            ORDER BY w.createdAt, w.rowid LIMIT 1`,
      args: [artistId, day],
    });
    const entry = rows[0];
    if (!entry) return false;
    const entryId = String(entry.id);
    let taken;
    try {
      taken = await tx.execute({
        // Still free, and not kept for walk-ins by the tattoo corner meanwhile.
        sql: `UPDATE TattooSlot SET reserved = reserved + 1 WHERE id = ? AND status = 'open' AND reserved = 0 AND walkInsOnly = 0`,
        args: [slotId],
      });
    } catch (error) {
      // The CHECK: someone booked it meanwhile.
      if (error instanceof Error && /CHECK constraint failed/i.test(error.message)) return false;
      throw error;
    }
    if (taken.rowsAffected === 0) return false;
    const offerId = randomToken(16);
    const token = randomToken(24);
    const expiresAt = new Date(now.getTime() + offerMinutes * 60_000);
    await tx.execute({
      sql: `UPDATE TattooWaitlist SET status = 'offered', updatedAt = ? WHERE id = ? AND status = 'waiting'`,
      args: [at, entryId],
    });
    await tx.execute({
      sql: `INSERT INTO TattooOffer (id, festivalId, waitlistId, slotId, tokenHash, status, expiresAt, createdAt, updatedAt)
            SELECT ?, festivalId, ?, ?, ?, 'open', ?, ?, ? FROM TattooSlot WHERE id = ?`,
      args: [offerId, entryId, slotId, offerTokenHash(token), sqlDate(expiresAt), at, at, slotId],
    });
    const locale = isLocale(String(entry.locale)) ? (String(entry.locale) as Locale) : "en";
    await writeChange(
      tx,
      {
        emails: {
          to: String(entry.email),
          template: "tattoo-waitlist-offer",
          locale,
          data: { offerId, token },
        },
      },
      now,
    );
    return true;
  });
}

// ---------------------------------------------------------------- the offer page

export type OfferView = {
  state: "open" | "gone";
  offerId: string;
  festivalId: string;
  festivalSlug: string;
  festivalName: string;
  timezone: string;
  currency: string;
  paymentMethods: string[];
  slotId: string;
  startsAt: Date;
  endsAt: Date;
  expiresAt: Date;
  artistName: string;
  minDonationMinor: number;
  email: string | null;
  offerMinutes: number;
  /** The design the person waited for, if any (preselected). */
  flashDesignId: string | null;
  designs: { id: string; title: string; size: string | null; minDonationMinor: number }[];
};

/** The offer behind a link (null: no such offer). `state` "gone": expired, taken or withdrawn. */
export async function offerByToken(token: string, now = new Date()): Promise<OfferView | null> {
  if (!token || token.length > 128) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT o.id, o.status, o.expiresAt, o.slotId, s.startsAt, s.endsAt, s.minDonationMinor, s.artistId,
                 a.name AS artistName, w.email, w.flashDesignId, f.id AS festivalId, f.slug, f.name AS festivalName,
                 f.timezone, f.currency, f.paymentMethods, f.tattooOfferMinutes
          FROM TattooOffer o JOIN TattooSlot s ON s.id = o.slotId JOIN TattooArtist a ON a.id = s.artistId
          JOIN TattooWaitlist w ON w.id = o.waitlistId JOIN Festival f ON f.id = o.festivalId
          WHERE o.tokenHash = ?`,
    args: [offerTokenHash(token)],
  });
  const r = rows[0];
  if (!r) return null;
  const expiresAt = dateFromSql(r.expiresAt);
  const designs = await sqlClient().execute({
    sql: `SELECT id, title, size, minDonationMinor FROM FlashDesign
          WHERE artistId = ? AND status = 'available' AND (maxUses IS NULL OR reserved < maxUses)
          ORDER BY position, createdAt`,
    args: [String(r.artistId)],
  });
  let methods: string[] = [];
  try {
    const parsed: unknown = JSON.parse(String(r.paymentMethods));
    if (Array.isArray(parsed)) methods = parsed.map(String);
  } catch {
    methods = [];
  }
  return {
    state: r.status === "open" && expiresAt > now ? "open" : "gone",
    offerId: String(r.id),
    festivalId: String(r.festivalId),
    festivalSlug: String(r.slug),
    festivalName: String(r.festivalName),
    timezone: String(r.timezone),
    currency: String(r.currency),
    paymentMethods: methods,
    slotId: String(r.slotId),
    startsAt: dateFromSql(r.startsAt),
    endsAt: dateFromSql(r.endsAt),
    expiresAt,
    artistName: String(r.artistName),
    minDonationMinor: Number(r.minDonationMinor),
    email: r.email === null ? null : String(r.email),
    offerMinutes: Number(r.tattooOfferMinutes),
    flashDesignId: r.flashDesignId === null ? null : String(r.flashDesignId),
    designs: designs.rows.map((d) => ({
      id: String(d.id),
      title: String(d.title),
      size: d.size === null ? null : String(d.size),
      minDonationMinor: Number(d.minDonationMinor),
    })),
  };
}

// ---------------------------------------------------------------- the worker

let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> | undefined;
let kicked: NodeJS.Timeout | undefined;
let again = false;
let lastRunEnded = 0;
/** Only the process holding this lease refills waitlists (decision 0038). */
let lease: KeptLease | undefined;
/** Kicks are coalesced to one pass per this spacing. */
const KICK_SPACING_MS = 500;

function runOnce(): Promise<unknown> {
  if (running) {
    // A kick during a pass: one more pass after it (the pass may have read before the change).
    again = true;
    return running;
  }
  // Another process holds the lease: its worker (polling) offers what was freed here.
  if (!lease?.held()) return Promise.resolve();
  running = refillWaitlist()
    .catch((e: unknown) =>
      logger.error({ err: e, worker: "tattoo-waitlist" }, "tattoo waitlist failed"),
    )
    .finally(() => {
      running = undefined;
      lastRunEnded = Date.now();
      if (again) {
        again = false;
        kickTattooWaitlist();
      }
    });
  return running;
}

/** Ask the worker for a pass soon (after a slot was freed). Coalesced; a no-op unless it runs here. */
export function kickTattooWaitlist() {
  if (!timer || kicked || !lease?.held()) return;
  const wait = Math.max(0, lastRunEnded + KICK_SPACING_MS - Date.now());
  kicked = setTimeout(() => {
    kicked = undefined;
    void runOnce();
  }, wait);
  kicked.unref();
}

/** Poll every `intervalMs` (offers run out by the clock); a pass as soon as this process holds the lease. */
export function startTattooWaitlistWorker(intervalMs = 10_000) {
  if (timer) return;
  timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  lease = keepLease("tattoo-waitlist", { onAcquired: () => void runOnce() });
}

/** Stop polling, wait for a pass in progress, and give the lease back. */
export async function stopTattooWaitlistWorker() {
  if (timer) clearInterval(timer);
  if (kicked) clearTimeout(kicked);
  timer = undefined;
  kicked = undefined;
  again = false;
  await running;
  await lease?.stop();
  lease = undefined;
}
