// Item kind "tattoo_slot": a donation tattoo in one artist's slot, optionally of
// one flash design. The booking is the kind's own row (TattooBooking, keyed by
// the order line); the slot and the design are taken with
// `reserved = reserved + 1` under CHECK constraints in the order's own
// transaction, so a slot is never booked twice and a limited design never
// oversold, whatever the concurrency; a trigger caps the active bookings one
// person holds per artist (decision 0030). Its money is the artist's tattoo
// income category, earmarked for the donor's or the artist's chosen prisoner.
import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { changeStatements } from "~/utils/change.server";
import { csvAmount } from "~/utils/csv.server";
import { dateFromSql, sqlClient, sqlDate, type SqlExecutor } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { translate } from "~/utils/i18n";
import { moneyMessage } from "~/utils/validation";
import { minorAmount } from "../ticket-type.server";
import { TATTOO_FAMILY, tattooCategory } from "../tattoo-money";
import { localDay, withinNotice } from "../tattoo-schedule";
import {
  entriesOf,
  oneAmountLineItems,
  type ItemEntry,
  type ItemKind,
  type OrderLine,
  type PricedItem,
} from "./kind.server";

/** Tattoo entries in one order. */
export const MAX_TATTOOS_PER_ORDER = 3;

/** The reminder goes this long before the slot (skipped when the booking is made later than that). */
export const REMINDER_BEFORE_MS = 24 * 60 * 60_000;

const id = (error: string) => z.string({ error }).min(1, { error }).max(64, { error });

/** One tattoo entry of the request's `items`. */
const tattooLine = z.object({
  tattooSlotId: id("v.unknownTattooSlot"),
  donationMinor: minorAmount,
  flashDesignId: id("v.unknownFlashDesign").optional(),
  prisonerId: id("v.unknownPrisoner").optional(),
  /** The secret of a waitlist offer holding this slot for the one it was offered to. */
  offerToken: z
    .string({ error: "v.offerExpired" })
    .max(128, { error: "v.offerExpired" })
    .optional(),
});
type TattooRequest = z.output<typeof tattooLine>;

function checkTattooLines(entries: ItemEntry[]) {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<unknown>();
  for (const { index, line } of entries) {
    if (seen.has(line.tattooSlotId))
      issues.push({ path: [index, "tattooSlotId"], message: "v.duplicateItem" });
    seen.add(line.tattooSlotId);
  }
  if (entries.length > MAX_TATTOOS_PER_ORDER)
    issues.push({ path: [], message: `v.tooManyTattoos|${MAX_TATTOOS_PER_ORDER}` });
  return issues;
}

/** The per-person key of the booking limit: the festival and the address, hashed. */
export function bookerKey(festivalId: string, email: string) {
  return sha256(`${festivalId}\n${email.trim().toLowerCase()}`);
}

/** A waitlist offer's secret as stored. */
export function offerTokenHash(token: string) {
  return sha256(`tattoo-offer\n${token}`);
}

type SlotForSale = {
  id: string;
  festivalId: string;
  artistId: string;
  artistName: string;
  artistPrisonerId: string | null;
  startsAt: Date;
  endsAt: Date;
  minDonationMinor: number;
  minNoticeMinutes: number;
  status: string;
  reserved: number;
  /** Released at the corner for walk-ins: not sold online. */
  walkInsOnly: boolean;
  day: string;
  waiting: number;
};

/** A waiting entry (`w`) that can be offered a slot: for any slot, or for a design with a use left. */
const OFFERABLE = `w.status = 'waiting' AND (w.flashDesignId IS NULL OR EXISTS (
  SELECT 1 FROM FlashDesign d WHERE d.id = w.flashDesignId AND d.status = 'available'
    AND (d.maxUses IS NULL OR d.reserved < d.maxUses)))`;

/**
 * How many wait for an artist's day and can be offered one of its slots (one
 * waiting for a sold-out design holds up nobody). They come first for a freed slot.
 */
export async function waitingFor(db: SqlExecutor, artistId: string, day: string) {
  const { rows } = await db.execute({
    sql: `SELECT count(*) AS n FROM TattooWaitlist w WHERE w.artistId = ? AND w.day = ? AND ${OFFERABLE}`,
    args: [artistId, day],
  });
  return Number(rows[0]?.n ?? 0);
}

/** The artist days of a festival that people wait for (as `waitingFor` counts them): "artistId\nday". */
export async function waitedForDays(db: SqlExecutor, festivalId: string) {
  const { rows } = await db.execute({
    sql: `SELECT DISTINCT w.artistId, w.day FROM TattooWaitlist w WHERE w.festivalId = ? AND ${OFFERABLE}`,
    args: [festivalId],
  });
  return new Set(rows.map((r) => `${String(r.artistId)}\n${String(r.day)}`));
}

async function loadSlots(ids: string[]): Promise<Map<string, SlotForSale>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sqlClient().execute({
    sql: `SELECT s.id, s.festivalId, s.artistId, s.startsAt, s.endsAt, s.minDonationMinor, s.minNoticeMinutes, s.status,
                 s.reserved, s.walkInsOnly,
                 a.name AS artistName, a.prisonerId AS artistPrisonerId, f.timezone,
                 EXISTS (SELECT 1 FROM TattooWaitlist w WHERE w.artistId = s.artistId AND w.status = 'waiting') AS anyWaiting
          FROM TattooSlot s JOIN TattooArtist a ON a.id = s.artistId JOIN Festival f ON f.id = s.festivalId
          WHERE s.id IN (${ids.map(() => "?").join(",")})`,
    args: ids,
  });
  const slots = new Map<string, SlotForSale>();
  const anyWaiting = new Set<string>();
  for (const r of rows) {
    if (Number(r.anyWaiting)) anyWaiting.add(String(r.id));
    const startsAt = dateFromSql(r.startsAt);
    const day = localDay(startsAt, String(r.timezone));
    slots.set(String(r.id), {
      id: String(r.id),
      festivalId: String(r.festivalId),
      artistId: String(r.artistId),
      artistName: String(r.artistName),
      artistPrisonerId: r.artistPrisonerId === null ? null : String(r.artistPrisonerId),
      startsAt,
      endsAt: dateFromSql(r.endsAt),
      minDonationMinor: Number(r.minDonationMinor),
      minNoticeMinutes: Number(r.minNoticeMinutes),
      status: String(r.status),
      reserved: Number(r.reserved),
      walkInsOnly: Number(r.walkInsOnly) === 1,
      day,
      waiting: 0,
    });
  }
  // People waiting for the artist's day come first: a free slot is theirs (an
  // offer is on its way: app/models/tattoo-waitlist.server.ts).
  for (const slot of slots.values()) {
    // (Nobody waits for the artist at all, the common case: no query for the day.)
    if (slot.reserved > 0 || !anyWaiting.has(slot.id)) continue;
    slot.waiting = await waitingFor(sqlClient(), slot.artistId, slot.day);
  }
  return slots;
}

type DesignForSale = { id: string; artistId: string; minDonationMinor: number; status: string };

async function loadDesigns(ids: string[]): Promise<Map<string, DesignForSale>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, artistId, minDonationMinor, status FROM FlashDesign WHERE id IN (${ids.map(() => "?").join(",")})`,
    args: ids,
  });
  return new Map(
    rows.map((r) => [
      String(r.id),
      {
        id: String(r.id),
        artistId: String(r.artistId),
        minDonationMinor: Number(r.minDonationMinor),
        status: String(r.status),
      },
    ]),
  );
}

async function findOffer(token: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, slotId, status, expiresAt FROM TattooOffer WHERE tokenHash = ?`,
    args: [offerTokenHash(token)],
  });
  const r = rows[0];
  return r
    ? {
        id: String(r.id),
        slotId: String(r.slotId),
        status: String(r.status),
        expiresAt: dateFromSql(r.expiresAt),
      }
    : null;
}

async function knownPrisoners(festivalId: string, ids: string[]) {
  if (ids.length === 0) return new Set<string>();
  const { rows } = await sqlClient().execute({
    sql: `SELECT prisonerId FROM FestivalPrisoner WHERE festivalId = ? AND prisonerId IN (${ids.map(() => "?").join(",")})`,
    args: [festivalId, ...ids],
  });
  return new Set(rows.map((r) => String(r.prisonerId)));
}

type Details = {
  slotId: string;
  artistId: string;
  flashDesignId: string | null;
  offerId: string | null;
  emailKey: string;
  walkIn: boolean;
  startsAt: string;
};

const details = (line: OrderLine) => (line as PricedItem).details as Details | undefined;

export const tattooSlotKind: ItemKind = {
  kind: "tattoo_slot",
  category: TATTOO_FAMILY,
  input: {},
  line: tattooLine,
  checkLines: checkTattooLines,
  requested: (input) => entriesOf(input, "tattoo_slot").length > 0,
  async price({ festival, now, input, channel }) {
    const request = entriesOf(input, "tattoo_slot") as unknown as {
      index: number;
      line: TattooRequest;
    }[]; // checked by `tattooLine`
    if (request.length === 0) return [];
    const [slots, designs, prisoners] = await Promise.all([
      loadSlots(request.map((r) => r.line.tattooSlotId)),
      loadDesigns(request.flatMap((r) => (r.line.flashDesignId ? [r.line.flashDesignId] : []))),
      knownPrisoners(
        festival.id,
        request.flatMap((r) => (r.line.prisonerId ? [r.line.prisonerId] : [])),
      ),
    ]);
    const emailKey = bookerKey(festival.id, String(input.email ?? ""));
    const fields: Record<string, string> = {};
    const priced: PricedItem[] = [];
    for (const { index, line } of request) {
      const at = `items.${index}`;
      const slot = slots.get(line.tattooSlotId);
      // Another festival's slot is as unknown here as one that does not exist.
      if (!slot || slot.festivalId !== festival.id || slot.status !== "open") {
        fields[`${at}.tattooSlotId`] = "v.unknownTattooSlot";
        continue;
      }
      // Online a slot closes when it starts (and its minimum notice before that); at the
      // corner a walk-in may still take what is left of it (a released no-show).
      if (channel === "corner" ? slot.endsAt <= now : slot.startsAt <= now) {
        fields[`${at}.tattooSlotId`] = "v.tattooSlotPast";
        continue;
      }
      if (channel === "online" && !withinNotice(slot, now)) {
        fields[`${at}.tattooSlotId`] = "v.tattooSlotTooSoon";
        continue;
      }
      if (channel === "online" && slot.walkInsOnly) {
        fields[`${at}.tattooSlotId`] = "v.tattooSlotForWalkIns";
        continue;
      }
      let offerId: string | null = null;
      if (line.offerToken) {
        const offer = await findOffer(line.offerToken);
        if (
          !offer ||
          offer.slotId !== slot.id ||
          offer.status !== "open" ||
          offer.expiresAt <= now
        ) {
          fields[`${at}.offerToken`] = "v.offerExpired";
          continue;
        }
        offerId = offer.id;
      } else if (slot.reserved === 0 && slot.waiting > 0 && channel === "online") {
        fields[`${at}.tattooSlotId`] = "v.tattooSlotForWaitlist";
        continue;
      }
      let minimum = slot.minDonationMinor;
      if (line.flashDesignId) {
        const design = designs.get(line.flashDesignId);
        if (!design || design.artistId !== slot.artistId || design.status !== "available") {
          fields[`${at}.flashDesignId`] = "v.unknownFlashDesign";
          continue;
        }
        minimum = Math.max(minimum, design.minDonationMinor);
      }
      if (line.donationMinor < minimum) {
        fields[`${at}.donationMinor`] = moneyMessage("v.belowMinimum", minimum, festival.currency);
        continue;
      }
      if (line.prisonerId && !prisoners.has(line.prisonerId)) {
        fields[`${at}.prisonerId`] = "v.unknownPrisoner";
        continue;
      }
      priced.push({
        itemId: randomToken(12),
        kind: "tattoo_slot",
        quantity: 1,
        unitPriceMinor: line.donationMinor,
        amountMinor: line.donationMinor,
        ticketTypeId: null,
        quotaId: null,
        prisonerId: line.prisonerId ?? slot.artistPrisonerId,
        category: tattooCategory(slot.artistId),
        label: slot.artistName,
        details: {
          slotId: slot.id,
          artistId: slot.artistId,
          flashDesignId: line.flashDesignId ?? null,
          offerId,
          emailKey,
          walkIn: channel === "corner",
          startsAt: slot.startsAt.toISOString(),
        } satisfies Details,
      });
    }
    if (Object.keys(fields).length) throw new FieldRulesError(fields);
    return priced;
  },
  store(lines, { orderId, now }) {
    const at = sqlDate(now);
    return lines.flatMap((line): InStatement[] => {
      const d = details(line)!;
      const offer: InStatement[] = d.offerId
        ? [
            // The offer's own hold on the slot ends as the booking's begins (reserve below).
            {
              sql: `UPDATE TattooSlot SET reserved = reserved - 1 WHERE id = ? AND EXISTS (
                      SELECT 1 FROM TattooOffer WHERE id = ? AND slotId = ? AND status = 'open' AND expiresAt > ?)`,
              args: [d.slotId, d.offerId, d.slotId, at],
            },
            {
              sql: `UPDATE TattooOffer SET status = 'taken', orderId = ?, updatedAt = ? WHERE id = ? AND status = 'open' AND expiresAt > ?`,
              args: [orderId, at, d.offerId, at],
            },
            {
              sql: `UPDATE TattooWaitlist SET status = 'booked', updatedAt = ?
                    WHERE id = (SELECT waitlistId FROM TattooOffer WHERE id = ? AND orderId = ?) AND status = 'offered'`,
              args: [at, d.offerId, orderId],
            },
          ]
        : [];
      return [
        ...offer,
        {
          sql: `INSERT INTO TattooBooking (orderItemId, orderId, festivalId, artistId, slotId, flashDesignId, emailKey, status,
                                           holdsSlot, dueMinor, walkIn, createdAt, updatedAt)
                SELECT ?, ?, festivalId, ?, ?, ?, ?, 'held', 0, 0, ?, ?, ? FROM TattooSlot WHERE id = ?`,
          args: [
            line.itemId,
            orderId,
            d.artistId,
            d.slotId,
            d.flashDesignId,
            d.emailKey,
            d.walkIn ? 1 : 0,
            at,
            at,
            d.slotId,
          ],
        },
      ];
    });
  },
  reserve(lines, sign) {
    const now = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";
    const holds = sign > 0 ? 0 : 1;
    return lines.flatMap((line): InStatement[] => [
      // A slot withdrawn since it was priced (or since a card hold ended and its late
      // payment arrived) counts as full: taking it breaks the CHECK (409 sold_out, a late
      // payment is refunded) — its time may already be another open slot's, booked.
      {
        sql: `UPDATE TattooSlot SET reserved = reserved + ? + CASE WHEN ? > 0 AND status <> 'open' THEN 1 ELSE 0 END
              WHERE id = (SELECT slotId FROM TattooBooking WHERE orderItemId = ? AND holdsSlot = ?)`,
        args: [sign, sign, line.itemId, holds],
      },
      {
        sql: `UPDATE FlashDesign SET reserved = reserved + ?
              WHERE id = (SELECT flashDesignId FROM TattooBooking WHERE orderItemId = ? AND holdsSlot = ?)`,
        args: [sign, line.itemId, holds],
      },
      // Taken again after its hold ended (a late card payment): held again, so the
      // per-person limit is checked now, before the money is accepted.
      {
        sql: `UPDATE TattooBooking SET holdsSlot = ?, updatedAt = ${now},
                status = CASE WHEN ? = 1 AND status = 'expired' THEN 'held' ELSE status END
              WHERE orderItemId = ? AND holdsSlot = ?`,
        args: [sign > 0 ? 1 : 0, sign > 0 ? 1 : 0, line.itemId, holds],
      },
    ]);
  },
  release(lines, { orderId, now, reason }) {
    const ids = lines.map((l) => l.itemId);
    const list = ids.map(() => "?").join(",");
    // An order undone before anyone saw it (its card payment could not start) gives a
    // waitlist offer it took back to the one it was for: the offer holds the slot again
    // (the refill pass ends it when it runs out).
    if (reason === "undone")
      return [
        {
          sql: `UPDATE TattooSlot SET reserved = reserved + 1
                WHERE id IN (SELECT slotId FROM TattooOffer WHERE orderId = ? AND status = 'taken')`,
          args: [orderId],
        },
        {
          sql: `UPDATE TattooWaitlist SET status = 'offered', updatedAt = ?
                WHERE id IN (SELECT waitlistId FROM TattooOffer WHERE orderId = ? AND status = 'taken')`,
          args: [sqlDate(now), orderId],
        },
        {
          sql: `UPDATE TattooOffer SET status = 'open', orderId = NULL, updatedAt = ? WHERE orderId = ? AND status = 'taken'`,
          args: [sqlDate(now), orderId],
        },
      ];
    return [
      {
        sql: `UPDATE OutboxEmail SET status = 'cancelled'
              WHERE status = 'pending' AND id IN (SELECT reminderEmailId FROM TattooBooking WHERE orderItemId IN (${list}))`,
        args: ids,
      },
      {
        sql: `UPDATE TattooBooking SET status = ?, dueMinor = 0, updatedAt = ? WHERE orderItemId IN (${list})`,
        args: [reason, sqlDate(now), ...ids],
      },
    ];
  },
  async fulfil(lines, { orderId, now, payAtDoor, buyer }) {
    const statements: InStatement[] = [];
    // Lines just priced carry their slot's time; stored ones (a card payment) read it.
    const stored = lines.every((l) => details(l))
      ? { rows: [] }
      : await sqlClient().execute({
          sql: `SELECT b.orderItemId, s.startsAt FROM TattooBooking b JOIN TattooSlot s ON s.id = b.slotId WHERE b.orderId = ?`,
          args: [orderId],
        });
    const startOf = new Map(
      stored.rows.map((r) => [String(r.orderItemId), dateFromSql(r.startsAt)]),
    );
    for (const line of lines) {
      const d = details(line);
      const startsAt = d ? new Date(d.startsAt) : startOf.get(line.itemId);
      statements.push({
        sql: `UPDATE TattooBooking SET status = 'booked', dueMinor = ?, updatedAt = ? WHERE orderItemId = ? AND status = 'held'`,
        args: [payAtDoor ? line.amountMinor : 0, sqlDate(now), line.itemId],
      });
      if (!buyer.email || !startsAt) continue;
      const sendAt = new Date(startsAt.getTime() - REMINDER_BEFORE_MS);
      if (sendAt <= now) continue;
      const reminderId = randomToken(12);
      statements.push(
        ...changeStatements(
          {
            emails: {
              id: reminderId,
              to: buyer.email,
              template: "tattoo-reminder",
              locale: buyer.locale,
              data: { orderId, orderItemId: line.itemId },
              sendAt,
            },
          },
          now,
        ),
        {
          sql: `UPDATE TattooBooking SET reminderEmailId = ? WHERE orderItemId = ?`,
          args: [reminderId, line.itemId],
        },
      );
    }
    return { statements, tickets: [] };
  },
  refusal: (message) =>
    /tattoo_booking_limit/.test(message)
      ? new DomainError(
          409,
          "tattoo_booking_limit",
          "You already hold as many bookings with this artist as the festival allows.",
        )
      : null,
  // No booker or recipient data goes to Stripe: the artist's public name only.
  stripeLineItems: (lines, { festival }) =>
    oneAmountLineItems(lines, festival, (l) =>
      translate("en", "tattoo.stripeLine", { artist: (l as PricedItem).label }),
    ),
  csvColumns: {
    tattoo: (lines, { currency }) =>
      csvAmount(
        lines.reduce((s, l) => s + l.amountMinor, 0),
        currency,
      ),
  },
};
