// Festivals: the rules for creating, editing, publishing and cancelling them,
// and the queries the public pages need. Routes and API call these.
import { posterView } from "./poster-view.server";
import slugify from "slugify";
import { z } from "zod";
import { audit } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { dateFromSql, prisma, sqlClient } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { requirePermission } from "~/utils/permissions.server";
import { suggestedCurrency } from "~/utils/places.server";
import type { Translate } from "~/utils/i18n";
import {
  countryCode,
  dateTimeText,
  fieldErrors,
  fieldsValid,
  localizeMessage,
  currency,
  httpUrl,
  optionalText,
  parseMoment,
  text,
  timeZone,
} from "~/utils/validation";

import {
  FESTIVAL_LANGUAGES,
  FESTIVAL_STATUSES,
  PAYMENT_METHODS,
  PROGRAMME_KINDS,
  type FestivalStatus,
  type PaymentMethod,
  type ProgrammeKind,
} from "./choices";

// Routes' components import these from ~/models/choices (this module is server-only).
export { FESTIVAL_LANGUAGES, FESTIVAL_STATUSES, PAYMENT_METHODS, PROGRAMME_KINDS };
export type { FestivalStatus, PaymentMethod, ProgrammeKind };

const MAX_FESTIVAL_DAYS = 31;

/**
 * A festival's address in its public link (/festivals/<slug>): lower-case
 * letters, digits and single hyphens between them, 3 to 80 characters (made
 * ones are at most 70, plus "-2"…).
 */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const slugText = z
  .string({ error: "v.slug" })
  .max(80, { error: "v.slug" })
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => s.length >= 3 && SLUG_PATTERN.test(s), { error: "v.slug" });
const optionalSlug = z.preprocess(
  (v) => (v === "" || v === null ? undefined : v),
  slugText.optional(),
);

const language = z.enum(FESTIVAL_LANGUAGES, { error: "v.language" });

const descriptionField = z.partialRecord(language, optionalText({ max: 10_000, multiline: true }), {
  error: "v.description",
});

/** Everything about a festival that its organisers set (dates as strings, read in `timezone`). */
const festivalFields = z.object({
  name: text({ max: 120 }),
  city: text({ max: 80 }),
  country: countryCode,
  venueName: text({ max: 160 }),
  venueAddress: text({ max: 300 }),
  mapUrl: z.preprocess((v) => (v === "" || v === null ? undefined : v), httpUrl.optional()),
  timezone: timeZone,
  currency,
  startsAt: dateTimeText,
  endsAt: dateTimeText,
  languages: z
    .array(language, { error: "v.languages" })
    .min(1, { error: "v.languages" })
    .max(FESTIVAL_LANGUAGES.length, { error: "v.tooBig" })
    .transform((l) => [...new Set(l)]),
  description: descriptionField.optional().default({}),
  paymentMethods: z
    .array(z.enum(PAYMENT_METHODS, { error: "v.paymentMethod" }))
    .max(PAYMENT_METHODS.length)
    .transform((l) => [...new Set(l)])
    .optional(),
  /** Chosen by the organiser, or made from the name, city and year when left out. */
  slug: optionalSlug,
});

export type FestivalFieldsInput = z.input<typeof festivalFields>;

type Issue = { path: (string | number)[]; message: string };

/**
 * A festival's dates read in its zone and checked: the end after the start, at
 * most MAX_FESTIVAL_DAYS long and, for a new festival (`notBefore` given), a
 * start still ahead: a festival is never created in the past (an existing one
 * that has taken place can still be edited).
 */
export function checkFestivalDates(
  value: { startsAt: string; endsAt: string; timezone: string },
  addIssue: (i: Issue) => void,
  notBefore: Date | null,
) {
  const startsAt = parseMoment(value.startsAt, value.timezone);
  const endsAt = parseMoment(value.endsAt, value.timezone);
  if (!startsAt) addIssue({ path: ["startsAt"], message: "v.dateTime" });
  if (!endsAt) addIssue({ path: ["endsAt"], message: "v.dateTime" });
  if (startsAt && notBefore && startsAt.getTime() <= notBefore.getTime())
    addIssue({ path: ["startsAt"], message: "v.festivalInPast" });
  if (startsAt && endsAt) {
    if (endsAt <= startsAt) addIssue({ path: ["endsAt"], message: "v.endBeforeStart" });
    else if (endsAt.getTime() - startsAt.getTime() > MAX_FESTIVAL_DAYS * 86_400_000)
      addIssue({ path: ["endsAt"], message: `v.maxDays|${MAX_FESTIVAL_DAYS}` });
  }
  return { startsAt, endsAt };
}

/** Parse and cross-check festival fields; dates become UTC Date objects. */
function checkFestival(
  value: z.infer<typeof festivalFields>,
  addIssue: (i: Issue) => void,
  notBefore: Date | null,
) {
  const { startsAt, endsAt } = checkFestivalDates(value, addIssue, notBefore);
  for (const lang of Object.keys(value.description ?? {})) {
    if (!value.languages.includes(lang as (typeof FESTIVAL_LANGUAGES)[number]))
      addIssue({ path: ["description", lang], message: "v.descriptionLanguage" });
  }
  return { startsAt, endsAt };
}

/** The rules across fields, run whenever the fields they read are valid (reported with every other error). */
function crossCheckFestival(value: z.output<typeof festivalFields>, ctx: z.RefinementCtx) {
  checkFestival(value, (i) => ctx.addIssue({ code: "custom", ...i }), null);
}
/** The same for a new festival, which may not start in the past. */
function crossCheckNewFestival(value: z.output<typeof festivalFields>, ctx: z.RefinementCtx) {
  checkFestival(value, (i) => ctx.addIssue({ code: "custom", ...i }), new Date());
}
const CROSS_CHECKED = ["startsAt", "endsAt", "timezone", "languages", "description"];

function finishFestival(value: z.output<typeof festivalFields>) {
  const startsAt = parseMoment(value.startsAt, value.timezone);
  const endsAt = parseMoment(value.endsAt, value.timezone);
  if (!startsAt || !endsAt) return z.NEVER; // refused by crossCheckFestival
  const description = Object.fromEntries(
    Object.entries(value.description ?? {}).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    ),
  );
  return {
    ...value,
    startsAt,
    endsAt,
    description,
    paymentMethods: value.paymentMethods ?? ["door"],
  };
}

/** An edit (form, or a PATCH merged with the stored festival): a past festival may be edited. */
export const festivalInput = festivalFields
  .superRefine(crossCheckFestival, { when: fieldsValid(...CROSS_CHECKED) })
  .transform(finishFestival);

/** The create form: the same rules, and the festival may not start in the past. */
export const newFestivalInput = festivalFields
  .superRefine(crossCheckNewFestival, { when: fieldsValid(...CROSS_CHECKED) })
  .transform(finishFestival);

/** The API's create body: as the create form, but unknown keys are refused (422), not dropped. */
export const festivalApiInput = festivalFields
  .strict()
  .superRefine(crossCheckNewFestival, { when: fieldsValid(...CROSS_CHECKED) })
  .transform(finishFestival);

export type FestivalInput = z.output<typeof festivalInput>;

/**
 * PATCH: any subset of the fields; merged with the stored festival, then checked whole.
 * No defaults here: a patch without `description` must keep the stored one, not send {}.
 */
export const festivalPatch = festivalFields
  .extend({ description: descriptionField.optional() })
  .partial()
  .strict();

/** Validated input as database columns (JSON fields serialised). */
export function festivalRow(input: FestivalInput) {
  return {
    name: input.name,
    city: input.city,
    country: input.country,
    venueName: input.venueName,
    venueAddress: input.venueAddress,
    mapUrl: input.mapUrl ?? null,
    timezone: input.timezone,
    currency: input.currency,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    languages: JSON.stringify(input.languages),
    description: JSON.stringify(input.description),
    paymentMethods: JSON.stringify(input.paymentMethods),
  };
}

/** A readable slug, unique among festivals: "name-city-year", then "-2", "-3"… (one query). */
export async function uniqueSlug(name: string, city: string, year: number) {
  const base =
    slugify(`${name} ${city} ${year}`, { lower: true, strict: true, trim: true })
      .slice(0, 70)
      .replace(/-+$/, "") || "festival";
  const taken = new Set(
    (
      await prisma.festival.findMany({
        where: { slug: { startsWith: base } },
        select: { slug: true },
      })
    ).map((f) => f.slug),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function isUniqueViolation(error: unknown) {
  if (typeof error !== "object" || error === null) return false;
  if ("code" in error && (error as { code: unknown }).code === "P2002") return true;
  // libSQL: "SQLITE_CONSTRAINT_UNIQUE: UNIQUE constraint failed: Festival.slug"
  const text = `${(error as { message?: unknown }).message ?? ""} ${String((error as { cause?: unknown }).cause ?? "")}`;
  return /UNIQUE constraint failed: Festival\.slug/.test(text);
}

/** A slug the organiser chose is another festival's (API: 409 `slug_taken`; pages: beside the field). */
export class SlugTakenError extends DomainError {
  constructor() {
    super(
      409,
      "slug_taken",
      "Another festival already has this address (slug): choose another one.",
      {
        fields: { slug: "v.slugTaken" },
      },
    );
  }
}

/** Whether a slug is taken by a festival other than `exceptId`. */
async function slugTaken(slug: string, exceptId: string | null) {
  const f = await prisma.festival.findUnique({ where: { slug }, select: { id: true } });
  return Boolean(f && f.id !== exceptId);
}

/**
 * Other festivals with the same name (case and spacing aside): organisers are
 * warned, not stopped — a collective may well hold "Solidarity Fest" every year.
 */
export async function festivalsNamedLike(name: string, exceptId: string | null = null) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, name, city, startsAt FROM Festival
          WHERE lower(trim(name)) = lower(trim(?)) AND (? IS NULL OR id <> ?)
          ORDER BY startsAt DESC LIMIT 5`,
    args: [name, exceptId, exceptId],
  });
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    city: String(r.city),
    startsAt: dateFromSql(r.startsAt).toISOString(),
  }));
}

export async function createFestival(actor: CurrentUser, input: FestivalInput) {
  if (input.slug) {
    // A chosen slug is the organiser's: taken is an answer, not a retry with "-2".
    if (await slugTaken(input.slug, null)) throw new SlugTakenError();
    try {
      return await insertFestival(actor, input, input.slug);
    } catch (error) {
      if (isUniqueViolation(error)) throw new SlugTakenError();
      throw error;
    }
  }
  // Two organisers may create same-named festivals at once: retry on a slug clash.
  for (let attempt = 0; ; attempt++) {
    const slug = await uniqueSlug(input.name, input.city, input.startsAt.getUTCFullYear());
    try {
      return await insertFestival(actor, input, slug);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 4) throw error;
    }
  }
}

async function insertFestival(actor: CurrentUser, input: FestivalInput, slug: string) {
  return prisma.$transaction(async (tx) => {
    const festival = await tx.festival.create({
      data: { ...festivalRow(input), slug, createdById: actor.id, status: "draft" },
      select: { id: true, slug: true },
    });
    // The creator organises it (admins too, so it shows on their dashboard).
    await tx.festivalMember.create({
      data: { festivalId: festival.id, userId: actor.id, role: "organiser" },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "festival.create",
        targetType: "festival",
        targetId: festival.id,
        festivalId: festival.id,
      },
      tx,
    );
    return festival;
  });
}

/** Stored festival as the input shape (for merging a PATCH). */
export function festivalAsInput(f: FestivalRecord): FestivalFieldsInput {
  return {
    name: f.name,
    city: f.city,
    country: f.country,
    venueName: f.venueName,
    venueAddress: f.venueAddress,
    mapUrl: f.mapUrl ?? undefined,
    timezone: f.timezone,
    currency: f.currency,
    startsAt: f.startsAt.toISOString(),
    endsAt: f.endsAt.toISOString(),
    languages: parseJsonArray(f.languages) as FestivalFieldsInput["languages"],
    description: parseJsonObject(f.description),
    paymentMethods: parseJsonArray(f.paymentMethods) as FestivalFieldsInput["paymentMethods"],
  };
}

/**
 * Whether the festival's currency is fixed: it has an order in any state (pending,
 * confirmed, paid, expired, cancelled, refunded) or a ledger entry. `updateFestival`
 * checks the same inside its write; this is for showing the form.
 */
export async function isCurrencyLocked(festivalId: string) {
  const count = await prisma.festival.count({
    where: { id: festivalId, OR: [{ orders: { some: {} } }, { ledgerEntries: { some: {} } }] },
  });
  return count > 0;
}

export async function updateFestival(actor: CurrentUser, festivalId: string, input: FestivalInput) {
  await refuseIfCancelled(festivalId);
  if (input.slug && (await slugTaken(input.slug, festivalId))) throw new SlugTakenError();
  await refuseProgrammeOutside(festivalId, input);
  try {
    await saveFestival(actor, festivalId, input);
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlugTakenError();
    throw error;
  }
}

async function saveFestival(actor: CurrentUser, festivalId: string, input: FestivalInput) {
  await prisma.$transaction(async (tx) => {
    // One conditional UPDATE, the check inside the write: the currency changes only while
    // nothing was sold or held (an order placed meanwhile cannot slip in between).
    const changed = await tx.$executeRaw`
      UPDATE Festival SET currency = ${input.currency}
      WHERE id = ${festivalId} AND (currency = ${input.currency} OR (
        NOT EXISTS (SELECT 1 FROM "Order" WHERE festivalId = ${festivalId})
        AND NOT EXISTS (SELECT 1 FROM LedgerEntry WHERE festivalId = ${festivalId})))`;
    if (changed === 0) throw new CurrencyLockedError();
    await tx.festival.update({
      where: { id: festivalId },
      data: { ...festivalRow(input), ...(input.slug ? { slug: input.slug } : {}) },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "festival.update",
        targetType: "festival",
        targetId: festivalId,
        festivalId,
      },
      tx,
    );
  });
}

/** The festival's state forbids the change (409 with the code given). */
export class FestivalStateError extends DomainError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/** A change to a cancelled festival (API: 409 `invalid_state`; pages: `festivalAdmin.cancelledReadOnly`). */
export class FestivalCancelledError extends FestivalStateError {
  constructor() {
    super("invalid_state", "A cancelled festival cannot be changed.");
  }
}

/** A currency change after something was sold or held (API: 409 `currency_locked`; pages: `festivalAdmin.currencyLocked`). */
export class CurrencyLockedError extends FestivalStateError {
  constructor() {
    super(
      "currency_locked",
      "The currency cannot change once the festival has an order or money in its books: every price, order and entry is in this currency.",
    );
  }
}

/**
 * The one rule for every writer of a festival's own records — its details,
 * programme, ticket types, quotas, supported prisoners and door devices: once
 * the festival is cancelled they no longer change. Read at the write (callers
 * cannot pass a stale festival). Refunds, cancelling orders, revoking devices
 * and team changes stay possible: a cancellation needs them (docs/api.md).
 */
export async function refuseIfCancelled(festivalId: string) {
  const festival = await prisma.festival.findUnique({
    where: { id: festivalId },
    select: { status: true },
  });
  if (festival?.status === "cancelled") throw new FestivalCancelledError();
}

const TRANSITIONS: Record<
  "publish" | "unpublish" | "cancel",
  { from: FestivalStatus[]; to: FestivalStatus }
> = {
  publish: { from: ["draft"], to: "published" },
  unpublish: { from: ["published"], to: "draft" },
  cancel: { from: ["draft", "published"], to: "cancelled" },
};

/** Publish, unpublish or cancel. Idempotent for the target state; refuses impossible moves. */
export async function changeFestivalStatus(
  actor: CurrentUser,
  festivalId: string,
  change: keyof typeof TRANSITIONS,
) {
  const { from, to } = TRANSITIONS[change];
  return prisma.$transaction(async (tx) => {
    const festival = await tx.festival.findUniqueOrThrow({
      where: { id: festivalId },
      select: { status: true },
    });
    if (festival.status === to) return to;
    if (festival.status === "cancelled") throw new FestivalCancelledError();
    if (!from.includes(festival.status as FestivalStatus))
      throw new FestivalStateError(
        "invalid_state",
        `Cannot ${change} a ${festival.status} festival.`,
      );
    const now = new Date();
    await tx.festival.update({
      where: { id: festivalId },
      data: {
        status: to,
        ...(to === "published" ? { publishedAt: now } : {}),
        ...(to === "cancelled" ? { cancelledAt: now } : {}),
      },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: `festival.${change}`,
        targetType: "festival",
        targetId: festivalId,
        festivalId,
      },
      tx,
    );
    return to;
  });
}

// ---------------------------------------------------------------- programme

export const programmeItemInput = z.object({
  title: text({ max: 200 }),
  person: optionalText({ max: 200 }),
  kind: z.enum(PROGRAMME_KINDS, { error: "v.programmeKind" }),
  startsAt: dateTimeText,
  endsAt: z.preprocess((v) => (v === "" || v === null ? undefined : v), dateTimeText.optional()),
});

type ProgrammeFestival = { id: string; timezone: string; startsAt: Date; endsAt: Date };

/** Whether a programme item lies within its festival's dates (start and end included). */
export function withinFestival(
  item: { startsAt: Date; endsAt: Date | null },
  festival: { startsAt: Date; endsAt: Date },
) {
  const from = festival.startsAt.getTime();
  const to = festival.endsAt.getTime();
  const start = item.startsAt.getTime();
  const end = item.endsAt?.getTime() ?? start;
  return start >= from && end <= to;
}

/** A programme item's fields read in the festival's zone and checked, as catalog keys by field. */
function readProgrammeItem(festival: ProgrammeFestival, raw: unknown, t: Translate) {
  const parsed = programmeItemInput.safeParse(raw);
  if (!parsed.success) return { ok: false as const, errors: fieldErrors(parsed.error, t) };
  const errors: Record<string, string> = {};
  const startsAt = parseMoment(parsed.data.startsAt, festival.timezone);
  const endsAt = parsed.data.endsAt ? parseMoment(parsed.data.endsAt, festival.timezone) : null;
  if (!startsAt) errors.startsAt = localizeMessage("v.dateTime", t);
  if (parsed.data.endsAt && !endsAt) errors.endsAt = localizeMessage("v.dateTime", t);
  if (startsAt && endsAt && endsAt <= startsAt)
    errors.endsAt = localizeMessage("v.endBeforeStart", t);
  if (startsAt && !errors.endsAt && !withinFestival({ startsAt, endsAt }, festival)) {
    const outside =
      startsAt < festival.startsAt || startsAt > festival.endsAt ? "startsAt" : "endsAt";
    errors[outside] = localizeMessage("v.programmeOutsideFestival", t);
  }
  if (!startsAt || Object.keys(errors).length) return { ok: false as const, errors };
  return {
    ok: true as const,
    row: {
      title: parsed.data.title,
      person: parsed.data.person ?? null,
      kind: parsed.data.kind,
      startsAt,
      endsAt,
    },
  };
}

export async function addProgrammeItem(
  actor: CurrentUser,
  festival: ProgrammeFestival,
  raw: unknown,
  t: Translate,
): Promise<{ ok: true; id: string } | { ok: false; errors: Record<string, string> }> {
  await refuseIfCancelled(festival.id);
  const read = readProgrammeItem(festival, raw, t);
  if (!read.ok) return read;
  const item = await prisma.$transaction(async (tx) => {
    const created = await tx.programmeItem.create({
      data: { festivalId: festival.id, ...read.row },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "programme.add",
        targetType: "programmeItem",
        targetId: created.id,
        festivalId: festival.id,
      },
      tx,
    );
    return created;
  });
  return { ok: true, id: item.id };
}

/** Change a programme item of this festival (404 for another festival's or an unknown one). */
export async function updateProgrammeItem(
  actor: CurrentUser,
  festival: ProgrammeFestival,
  itemId: string,
  raw: unknown,
  t: Translate,
): Promise<{ ok: true } | { ok: false; errors: Record<string, string> }> {
  await refuseIfCancelled(festival.id);
  const read = readProgrammeItem(festival, raw, t);
  if (!read.ok) return read;
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.programmeItem.updateMany({
      where: { id: itemId.slice(0, 64), festivalId: festival.id },
      data: read.row,
    });
    if (count === 0) throw DomainError.notFound("No such programme item.");
    await audit(
      {
        actorUserId: actor.id,
        action: "programme.update",
        targetType: "programmeItem",
        targetId: itemId,
        festivalId: festival.id,
      },
      tx,
    );
  });
  return { ok: true };
}

/**
 * New dates may not leave programme items outside them: 422 on the dates,
 * saying how many (move or remove those items first).
 */
async function refuseProgrammeOutside(festivalId: string, dates: { startsAt: Date; endsAt: Date }) {
  const outside = await prisma.programmeItem.count({
    where: {
      festivalId,
      OR: [
        { startsAt: { lt: dates.startsAt } },
        { startsAt: { gt: dates.endsAt } },
        { endsAt: { gt: dates.endsAt } },
      ],
    },
  });
  if (outside > 0) throw new FieldRulesError({ startsAt: `v.programmeOutsideDates|${outside}` });
}

export async function removeProgrammeItem(actor: CurrentUser, festivalId: string, itemId: string) {
  await refuseIfCancelled(festivalId);
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.programmeItem.deleteMany({ where: { id: itemId, festivalId } });
    if (count) {
      await audit(
        {
          actorUserId: actor.id,
          action: "programme.remove",
          targetType: "programmeItem",
          targetId: itemId,
          festivalId,
        },
        tx,
      );
    }
    return count > 0;
  });
}

// ---------------------------------------------------------------- queries

export type FestivalRecord = NonNullable<Awaited<ReturnType<typeof prisma.festival.findUnique>>>;

export function parseJsonArray(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function parseJsonObject(value: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(value);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === "string",
      ),
    );
  } catch {
    return {};
  }
}

/** Public view of a festival (no internal ids of people). */
export function publicFestival(f: FestivalRecord) {
  return {
    id: f.id,
    slug: f.slug,
    name: f.name,
    city: f.city,
    country: f.country,
    venueName: f.venueName,
    venueAddress: f.venueAddress,
    mapUrl: f.mapUrl,
    timezone: f.timezone,
    currency: f.currency,
    startsAt: f.startsAt.toISOString(),
    endsAt: f.endsAt.toISOString(),
    languages: parseJsonArray(f.languages),
    description: parseJsonObject(f.description),
    status: f.status as FestivalStatus,
    poster: posterView(f),
  };
}

/** Published (and cancelled, which stay visible with a notice) festivals, split by end time. */
export async function listPublicFestivals(now = new Date()) {
  const rows = await prisma.festival.findMany({
    where: { status: { in: ["published", "cancelled"] }, publishedAt: { not: null } },
    orderBy: { startsAt: "asc" },
  });
  const all = rows.map(publicFestival);
  return {
    upcoming: all.filter((f) => new Date(f.endsAt) >= now),
    past: all.filter((f) => new Date(f.endsAt) < now).reverse(),
  };
}

/** A published festival by slug, with its programme; null for drafts and unknown slugs. */
export async function getPublicFestival(slug: string) {
  if (slug.length > 100) return null;
  const f = await prisma.festival.findUnique({
    where: { slug },
    include: { programme: { orderBy: { startsAt: "asc" } } },
  });
  if (!f || f.status === "draft" || !f.publishedAt) return null;
  return {
    ...publicFestival(f),
    programme: f.programme.map((p) => ({
      id: p.id,
      title: p.title,
      person: p.person,
      kind: p.kind as ProgrammeKind,
      startsAt: p.startsAt.toISOString(),
      endsAt: p.endsAt?.toISOString() ?? null,
    })),
  };
}

/** Group festivals by country, then city (for the public list). */
export function groupByPlace<T extends { country: string; city: string }>(festivals: T[]) {
  const byCountry = new Map<string, Map<string, T[]>>();
  for (const f of festivals) {
    const cities = byCountry.get(f.country) ?? new Map<string, T[]>();
    const list = cities.get(f.city) ?? [];
    list.push(f);
    cities.set(f.city, list);
    byCountry.set(f.country, cities);
  }
  return [...byCountry.entries()].map(([country, cities]) => ({
    country,
    cities: [...cities.entries()].map(([city, items]) => ({ city, festivals: items })),
  }));
}

/** A festival for the organiser pages; the caller has already checked permission. */
export async function getFestivalOrThrow(id: string | undefined) {
  const festival =
    id && id.length <= 64 ? await prisma.festival.findUnique({ where: { id } }) : null;
  if (!festival) throw DomainError.notFound();
  return festival;
}

/**
 * The festival a record belongs to, for an API change by `user`: 404 for an
 * unknown record (and another festival's looks the same), 403 without
 * `festival:edit`. (The writer itself refuses a cancelled festival.)
 */
export async function festivalToChange(user: CurrentUser, festivalId: string | undefined) {
  if (!festivalId) throw DomainError.notFound();
  requirePermission(user, "festival:edit", festivalId);
  return getFestivalOrThrow(festivalId);
}

/** Read the festival form (no JavaScript needed) into the API's input shape. */
export function festivalFormToInput(form: FormData): Record<string, unknown> {
  const get = (name: string) => {
    const v = form.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const all = (name: string) => form.getAll(name).filter((v): v is string => typeof v === "string");
  const description: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("description.") && typeof value === "string" && value.trim()) {
      description[key.slice("description.".length)] = value;
    }
  }
  return {
    name: get("name"),
    city: get("city"),
    country: get("country"),
    venueName: get("venueName"),
    venueAddress: get("venueAddress"),
    mapUrl: get("mapUrl"),
    timezone: get("timezone"),
    // Left on "from the country": the country's usual currency.
    currency: get("currency")?.trim() || suggestedCurrency(get("country")) || get("currency"),
    startsAt: get("startsAt"),
    endsAt: get("endsAt"),
    languages: all("languages"),
    description,
    paymentMethods: all("paymentMethods"),
    slug: get("slug"),
  };
}
