// Cloning a festival to a new city and date (issue 13, decision 0048): what an
// organiser set up — ticket types and shared capacities, tattoo artists and
// their availability (slots made again), the programme, supported prisoners,
// the allocation rule, the costs as a template — copied into a new draft, with
// every time moved to the new dates (./festival-shift.ts). Nothing that
// belongs to the old festival's buyers or its security is copied: no orders,
// tickets, signing key, door devices, check-ins, ledger, waitlists, bookings,
// team, linked artist accounts, access codes (new ones are made), receipts or
// payments. One libSQL write transaction: the festival, its records and the
// audit row (app/utils/change.server.ts) commit together or not at all.
import type { InStatement, Row, Transaction } from "@libsql/client";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { changeStatements } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import { dateFromSql, sqlDate, writeTransaction, type SqlExecutor } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { requirePermission } from "~/utils/permissions.server";
import {
  countryCode,
  dateTimeText,
  fieldsValid,
  httpUrl,
  parseMoment,
  text,
  timeZone,
} from "~/utils/validation";
import {
  checkFestivalDates,
  isUniqueViolation,
  slugText,
  SlugTakenError,
  uniqueSlug,
} from "./festival.server";
import { shiftInterval, shiftMoment, shiftProgrammeItem, type Shift } from "./festival-shift";
import { makeSlots, type Interval } from "./tattoo-schedule";

// ---------------------------------------------------------------- input

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" || v === null ? undefined : v), schema.optional());

const cloneFields = z.object({
  name: text({ max: 120 }),
  city: text({ max: 80 }),
  country: countryCode,
  timezone: timeZone,
  startsAt: dateTimeText,
  endsAt: dateTimeText,
  /** Left out: made from the name, city and year. */
  slug: optional(slugText),
  /** Left out: the old festival's (the clone is a draft: the organiser sets the new venue). */
  venueName: optional(text({ max: 160 })),
  venueAddress: optional(text({ max: 300 })),
  mapUrl: optional(httpUrl),
});

function crossCheck(value: z.output<typeof cloneFields>, ctx: z.RefinementCtx) {
  checkFestivalDates(value, (i) => ctx.addIssue({ code: "custom", ...i }), new Date());
}

function finish(value: z.output<typeof cloneFields>) {
  const startsAt = parseMoment(value.startsAt, value.timezone);
  const endsAt = parseMoment(value.endsAt, value.timezone);
  if (!startsAt || !endsAt) return z.NEVER; // refused by crossCheck
  return { ...value, startsAt, endsAt };
}

const CROSS_CHECKED = ["startsAt", "endsAt", "timezone"];

/** The clone form's fields (unknown ones are ignored). */
export const cloneFormInput = cloneFields
  .superRefine(crossCheck, { when: fieldsValid(...CROSS_CHECKED) })
  .transform(finish);

/** `POST /api/v1/festivals/:id/clone`: the same rules, unknown keys refused (422). */
export const cloneApiInput = cloneFields
  .strict()
  .superRefine(crossCheck, { when: fieldsValid(...CROSS_CHECKED) })
  .transform(finish);

export type CloneInput = z.output<typeof cloneApiInput>;

/** What the clone holds, and what of the old festival's did not fit in its dates. */
export type CloneResult = {
  id: string;
  slug: string;
  copied: {
    ticketTypes: number;
    quotas: number;
    programmeItems: number;
    artists: number;
    availability: number;
    slots: number;
    prisoners: number;
    allocationRule: boolean;
    costs: number;
  };
  /** Left out: they would have fallen outside the new dates. */
  skipped: { programmeItems: number; availability: number };
};

// ---------------------------------------------------------------- reading

const str = (v: unknown) => String(v);
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => Number(v);
const dateOrNull = (v: unknown) => (v === null || v === undefined ? null : dateFromSql(v));

async function rowsOf(tx: SqlExecutor, sql: string, festivalId: string): Promise<Row[]> {
  return (await tx.execute({ sql, args: [festivalId] })).rows;
}

function breaksOf(json: unknown): Interval[] {
  try {
    const parsed: unknown = JSON.parse(String(json));
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((b: unknown) => {
      if (!b || typeof b !== "object") return [];
      const { startsAt, endsAt } = b as { startsAt?: unknown; endsAt?: unknown };
      if (typeof startsAt !== "string" || typeof endsAt !== "string") return [];
      const interval = { startsAt: new Date(startsAt), endsAt: new Date(endsAt) };
      return Number.isNaN(interval.startsAt.getTime()) || Number.isNaN(interval.endsAt.getTime())
        ? []
        : [interval];
    });
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- cloning

/**
 * Clone `sourceId` for `actor`, who must organise it (`festival:edit`: else the
 * 404 of an unknown festival, or a 403) and may create festivals. A chosen
 * slug that is taken is a 409 `slug_taken`; one made from the name gets "-2", "-3"….
 */
export async function cloneFestival(
  actor: CurrentUser,
  sourceId: string | undefined,
  input: CloneInput,
  now = new Date(),
): Promise<CloneResult> {
  if (!sourceId || sourceId.length > 64) throw DomainError.notFound();
  requirePermission(actor, "festival:edit", sourceId);
  requirePermission(actor, "festival:create");
  for (let attempt = 0; ; attempt++) {
    const slug =
      input.slug ?? (await uniqueSlug(input.name, input.city, input.startsAt.getUTCFullYear()));
    try {
      return await writeTransaction((tx) => cloneIn(tx, actor, sourceId, input, slug, now));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (input.slug) throw new SlugTakenError();
      if (attempt >= 4) throw error;
    }
  }
}

async function cloneIn(
  tx: Pick<Transaction, "execute" | "batch">,
  actor: CurrentUser,
  sourceId: string,
  input: CloneInput,
  slug: string,
  now: Date,
): Promise<CloneResult> {
  const source = (await rowsOf(tx, `SELECT * FROM Festival WHERE id = ?`, sourceId))[0];
  if (!source) throw DomainError.notFound();
  if (input.slug) {
    const { rows } = await tx.execute({
      sql: `SELECT 1 FROM Festival WHERE slug = ?`,
      args: [slug],
    });
    if (rows.length) throw new SlugTakenError();
  }
  const id = randomToken(16);
  const at = sqlDate(now);
  const shift: Shift = {
    from: {
      startsAt: dateFromSql(source.startsAt),
      endsAt: dateFromSql(source.endsAt),
      timezone: str(source.timezone),
    },
    to: { startsAt: input.startsAt, endsAt: input.endsAt, timezone: input.timezone },
  };
  const moved = (v: unknown) =>
    v === null || v === undefined ? null : sqlDate(shiftMoment(dateFromSql(v), shift));
  const venueName = input.venueName ?? str(source.venueName);
  const venueAddress = input.venueAddress ?? str(source.venueAddress);
  const sameVenue =
    venueName === str(source.venueName) && venueAddress === str(source.venueAddress);
  const statements: InStatement[] = [];
  const result: CloneResult = {
    id,
    slug,
    copied: {
      ticketTypes: 0,
      quotas: 0,
      programmeItems: 0,
      artists: 0,
      availability: 0,
      slots: 0,
      prisoners: 0,
      allocationRule: false,
      costs: 0,
    },
    skipped: { programmeItems: 0, availability: 0 },
  };

  // The festival: a draft, its own new dates, place and slug; the rest as it was.
  statements.push({
    sql: `INSERT INTO Festival (id, slug, name, city, country, venueName, venueAddress, mapUrl, timezone, currency,
            startsAt, endsAt, languages, description, paymentMethods, status, createdById,
            tattooBookingsPerArtist, tattooCancelHours, tattooCancelPolicy, tattooOfferMinutes, createdAt, updatedAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      slug,
      input.name,
      input.city,
      input.country,
      venueName,
      venueAddress,
      // The old map link only for the same venue: a new address has its own.
      input.mapUrl ?? (sameVenue ? strOrNull(source.mapUrl) : null),
      input.timezone,
      str(source.currency),
      sqlDate(input.startsAt),
      sqlDate(input.endsAt),
      str(source.languages),
      str(source.description),
      str(source.paymentMethods),
      actor.id,
      num(source.tattooBookingsPerArtist),
      num(source.tattooCancelHours),
      str(source.tattooCancelPolicy),
      num(source.tattooOfferMinutes),
      at,
      at,
    ],
  });
  // The one who clones organises the clone; the old team is not copied (invite it again).
  statements.push({
    sql: `INSERT INTO FestivalMember (id, festivalId, userId, role, createdAt) VALUES (?, ?, ?, 'organiser', ?)`,
    args: [randomToken(16), id, actor.id, at],
  });

  const prisoners = await rowsOf(
    tx,
    `SELECT prisonerId FROM FestivalPrisoner WHERE festivalId = ?`,
    sourceId,
  );
  for (const p of prisoners)
    statements.push({
      sql: `INSERT INTO FestivalPrisoner (festivalId, prisonerId) VALUES (?, ?)`,
      args: [id, str(p.prisonerId)],
    });
  result.copied.prisoners = prisoners.length;

  // Shared capacities and ticket types: nothing reserved or sold; hidden types get a new access code.
  const quotaIds = new Map<string, string>();
  for (const q of await rowsOf(
    tx,
    `SELECT id, name, capacity FROM Quota WHERE festivalId = ? ORDER BY createdAt, id`,
    sourceId,
  )) {
    const quotaId = randomToken(16);
    quotaIds.set(str(q.id), quotaId);
    statements.push({
      sql: `INSERT INTO Quota (id, festivalId, name, capacity, reserved, createdAt) VALUES (?, ?, ?, ?, 0, ?)`,
      args: [quotaId, id, str(q.name), num(q.capacity), at],
    });
  }
  result.copied.quotas = quotaIds.size;
  const types = await rowsOf(
    tx,
    `SELECT * FROM TicketType WHERE festivalId = ? ORDER BY position, createdAt, id`,
    sourceId,
  );
  for (const t of types) {
    const hidden = str(t.visibility) === "hidden";
    statements.push({
      sql: `INSERT INTO TicketType (id, festivalId, name, description, priceMinor, payWhatYouWant, minPriceMinor,
              suggestedPriceMinor, capacity, reserved, quotaId, salesStartAt, salesEndAt, visibility, accessCode,
              maxPerOrder, position, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        randomToken(16),
        id,
        str(t.name),
        str(t.description),
        num(t.priceMinor),
        num(t.payWhatYouWant) ? 1 : 0,
        t.minPriceMinor === null ? null : num(t.minPriceMinor),
        t.suggestedPriceMinor === null ? null : num(t.suggestedPriceMinor),
        num(t.capacity),
        t.quotaId === null ? null : (quotaIds.get(str(t.quotaId)) ?? null),
        moved(t.salesStartAt),
        moved(t.salesEndAt),
        hidden ? "hidden" : "public",
        hidden ? randomToken(12) : null,
        num(t.maxPerOrder),
        num(t.position),
        at,
        at,
      ],
    });
  }
  result.copied.ticketTypes = types.length;

  // The programme, moved to the new dates (what no longer fits is left out).
  for (const p of await rowsOf(
    tx,
    `SELECT * FROM ProgrammeItem WHERE festivalId = ? ORDER BY startsAt, id`,
    sourceId,
  )) {
    const item = shiftProgrammeItem(
      { startsAt: dateFromSql(p.startsAt), endsAt: dateOrNull(p.endsAt) },
      shift,
    );
    if (!item) {
      result.skipped.programmeItems++;
      continue;
    }
    statements.push({
      sql: `INSERT INTO ProgrammeItem (id, festivalId, title, person, kind, startsAt, endsAt, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        randomToken(16),
        id,
        str(p.title),
        strOrNull(p.person),
        str(p.kind),
        sqlDate(item.startsAt),
        item.endsAt ? sqlDate(item.endsAt) : null,
        at,
      ],
    });
    result.copied.programmeItems++;
  }

  // Tattoo artists (not their linked accounts, pictures or flash) and their windows, slots made again.
  const artistIds = new Map<string, string>();
  for (const a of await rowsOf(
    tx,
    `SELECT * FROM TattooArtist WHERE festivalId = ? ORDER BY position, id`,
    sourceId,
  )) {
    const artistId = randomToken(16);
    artistIds.set(str(a.id), artistId);
    statements.push({
      sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, contact, userId, prisonerId, position, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
      args: [
        artistId,
        id,
        str(a.name),
        str(a.bio),
        strOrNull(a.contact),
        strOrNull(a.prisonerId),
        num(a.position),
        at,
        at,
      ],
    });
  }
  result.copied.artists = artistIds.size;
  for (const w of await rowsOf(
    tx,
    `SELECT * FROM TattooAvailability WHERE festivalId = ? ORDER BY startsAt, id`,
    sourceId,
  )) {
    const artistId = artistIds.get(str(w.artistId));
    const window = shiftInterval(
      { startsAt: dateFromSql(w.startsAt), endsAt: dateFromSql(w.endsAt) },
      shift,
    );
    if (!artistId || !window) {
      result.skipped.availability++;
      continue;
    }
    const breaks = breaksOf(w.breaks).flatMap((b) => {
      const s = shiftInterval(b, shift);
      if (!s) return [];
      const startsAt = Math.max(s.startsAt.getTime(), window.startsAt.getTime());
      const endsAt = Math.min(s.endsAt.getTime(), window.endsAt.getTime());
      return endsAt > startsAt ? [{ startsAt: new Date(startsAt), endsAt: new Date(endsAt) }] : [];
    });
    const slotMinutes = num(w.slotMinutes);
    const bufferMinutes = num(w.bufferMinutes);
    const slots = makeSlots({ ...window, breaks, slotMinutes, bufferMinutes });
    if (slots.length === 0) {
      result.skipped.availability++;
      continue;
    }
    const availabilityId = randomToken(16);
    const minDonationMinor = num(w.minDonationMinor);
    const minNoticeMinutes = num(w.minNoticeMinutes);
    statements.push({
      sql: `INSERT INTO TattooAvailability (id, festivalId, artistId, startsAt, endsAt, slotMinutes, bufferMinutes, breaks, minDonationMinor, minNoticeMinutes, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        availabilityId,
        id,
        artistId,
        sqlDate(window.startsAt),
        sqlDate(window.endsAt),
        slotMinutes,
        bufferMinutes,
        JSON.stringify(
          breaks.map((b) => ({ startsAt: sqlDate(b.startsAt), endsAt: sqlDate(b.endsAt) })),
        ),
        minDonationMinor,
        minNoticeMinutes,
        at,
        at,
      ],
    });
    for (const slot of slots)
      statements.push({
        sql: `INSERT INTO TattooSlot (id, festivalId, artistId, availabilityId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, reserved, status, createdAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'open', ?)`,
        args: [
          randomToken(16),
          id,
          artistId,
          availabilityId,
          sqlDate(slot.startsAt),
          sqlDate(slot.endsAt),
          minDonationMinor,
          minNoticeMinutes,
          at,
        ],
      });
    result.copied.availability++;
    result.copied.slots += slots.length;
  }

  // The allocation rule in force, as the clone's first version (its prisoners were copied above).
  const rule = (
    await rowsOf(
      tx,
      `SELECT equal, generalPercent, shares FROM AllocationRule WHERE festivalId = ? ORDER BY version DESC LIMIT 1`,
      sourceId,
    )
  )[0];
  if (rule) {
    statements.push({
      sql: `INSERT INTO AllocationRule (id, festivalId, version, equal, generalPercent, shares, createdById, createdAt)
            VALUES (?, ?, 1, ?, ?, ?, ?, ?)`,
      args: [
        randomToken(16),
        id,
        num(rule.equal) ? 1 : 0,
        num(rule.generalPercent),
        str(rule.shares),
        actor.id,
        at,
      ],
    });
    result.copied.allocationRule = true;
  }

  // Costs as a template: the lines that were real (not rejected or withdrawn),
  // submitted anew by the one who clones — no receipt, decision or payment.
  const costs = await rowsOf(
    tx,
    `SELECT category, description, amountMinor FROM FestivalCost
     WHERE festivalId = ? AND status IN ('submitted', 'approved', 'paid') ORDER BY createdAt, id`,
    sourceId,
  );
  for (const c of costs)
    statements.push({
      sql: `INSERT INTO FestivalCost (id, festivalId, category, description, amountMinor, currency, status, submittedById, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)`,
      args: [
        randomToken(12),
        id,
        str(c.category),
        str(c.description),
        num(c.amountMinor),
        str(source.currency),
        actor.id,
        at,
        at,
      ],
    });
  result.copied.costs = costs.length;

  statements.push(
    ...changeStatements(
      {
        audit: {
          actorUserId: actor.id,
          action: "festival.clone",
          targetType: "festival",
          targetId: id,
          festivalId: id,
          details: {
            sourceFestivalId: sourceId,
            ...result.copied,
            skippedProgrammeItems: result.skipped.programmeItems,
            skippedAvailability: result.skipped.availability,
          },
        },
      },
      now,
    ),
  );
  await tx.batch(statements);
  return result;
}
