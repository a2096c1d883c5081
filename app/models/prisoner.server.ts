// The prisoner registry (issue 11): public profiles of the political prisoners
// the collective supports — the name as publicly known and a story per language
// (the platform's locales), where they are held, their sentence, their status,
// a photo, and a letters address that is shown ONLY while marked safe. Festivals
// choose which prisoners they support (`setSupportedPrisoners`). The public
// figures (raised into each fund, paid out of it) come from the ledger through
// `prisonerTotals` (app/models/transparency.server.ts); nothing about payout
// recipients is ever read here.
//
// Writes are raw SQL in one write transaction with their audit row (the one
// write path). Audit rows carry ids, field names, the status and the letters
// flag — never the texts (a letters address may not be safe to repeat).
// Photos go through app/utils/images.server.ts: checked by content, re-encoded
// as WebP with no metadata (no EXIF/GPS), written before the row and removed if
// the row is not; the files they replace are removed after the commit.
import type { Client, InValue } from "@libsql/client";
import slugify from "slugify";
import { z } from "zod";
import { audit, writeChange } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { randomToken } from "~/utils/crypto.server";
import { prisma, sqlClient, sqlDate, writeTransaction } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { LOCALES, pickText } from "~/utils/i18n";
import {
  mediaUrl,
  removeImageFiles,
  storeImage,
  THUMB_LONG_SIDE,
  type StoredImage,
} from "~/utils/images.server";
import { optionalText, text } from "~/utils/validation";
import { parseJsonObject, refuseIfCancelled } from "./festival.server";
import { PRISONER_LIMITS, PRISONER_STATUSES, type PrisonerStatus } from "./prisoner-choices";
import { pickLanguage, textIn } from "./ticket-type.server";
import { prisonerTotals } from "./transparency.server";

// ---------------------------------------------------------------- input

type WriteTx = Awaited<ReturnType<Client["transaction"]>>;

const language = z.enum(LOCALES, { error: "v.language" });

/** {language: text} over the platform's locales; empty texts are dropped. */
function perLanguage(max: number, multiline = false) {
  return z
    .partialRecord(language, optionalText({ max, multiline }), { error: "v.perLanguage" })
    .transform((r) =>
      Object.fromEntries(
        Object.entries(r).filter((e): e is [string, string] => typeof e[1] === "string"),
      ),
    );
}

/** The name as publicly known, per language; English (Latin letters) is required: the slug comes from it. */
const nameSchema = perLanguage(PRISONER_LIMITS.name).refine((r) => r.en !== undefined, {
  error: "v.required",
  path: ["en"],
});

/**
 * A short text that may differ by language (where held, the sentence): one text
 * for every language (stored as {"*": text}) or {language: text}; "", null or
 * {} clears it.
 */
function localizedClearable(max: number) {
  return z.union([
    z.null(),
    optionalText({ max }).transform((s): Record<string, string> | null =>
      s === undefined ? null : { "*": s },
    ),
    perLanguage(max).transform((r): Record<string, string> | null =>
      Object.keys(r).length ? r : null,
    ),
  ]);
}

/** A single text that may be cleared: "" or null clears it. */
function clearable(max: number, multiline = false) {
  return z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? null : v),
    text({ max, multiline }).nullable(),
  );
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slugSchema = z
  .string({ error: "v.prisonerSlug" })
  .max(PRISONER_LIMITS.slug, { error: `v.maxLength|${PRISONER_LIMITS.slug}` })
  .transform((s) => s.trim())
  .refine((s) => SLUG.test(s), { error: "v.prisonerSlug" });

const statusSchema = z.enum(PRISONER_STATUSES, { error: "v.prisonerStatus" });

const fields = {
  slug: slugSchema,
  summary: perLanguage(PRISONER_LIMITS.summary, true),
  story: perLanguage(PRISONER_LIMITS.story, true),
  heldAt: localizedClearable(PRISONER_LIMITS.heldAt),
  sentence: localizedClearable(PRISONER_LIMITS.sentence),
  status: statusSchema,
  lettersAddress: clearable(PRISONER_LIMITS.lettersAddress, true),
  lettersSafe: z.boolean({ error: "v.boolean" }),
};

/** POST /api/v1/prisoners and the new-prisoner form. */
export const prisonerInput = z
  .object({
    name: nameSchema,
    slug: fields.slug.optional(),
    summary: fields.summary.optional(),
    story: fields.story.optional(),
    heldAt: fields.heldAt.optional(),
    sentence: fields.sentence.optional(),
    status: fields.status.optional(),
    lettersAddress: fields.lettersAddress.optional(),
    lettersSafe: fields.lettersSafe.optional(),
  })
  .strict();
export type PrisonerInput = z.output<typeof prisonerInput>;
/** What a caller may pass to `prisonerInput` (texts per language or one for all). */
export type PrisonerInputData = z.input<typeof prisonerInput>;

/** PATCH /api/v1/prisoners/:id: only the fields given change; a per-language field is replaced whole. */
export const prisonerPatch = z
  .object({
    name: nameSchema.optional(),
    slug: fields.slug.optional(),
    summary: fields.summary.optional(),
    story: fields.story.optional(),
    heldAt: fields.heldAt.optional(),
    sentence: fields.sentence.optional(),
    status: fields.status.optional(),
    lettersAddress: fields.lettersAddress.optional(),
    lettersSafe: fields.lettersSafe.optional(),
  })
  .strict();
export type PrisonerPatch = z.output<typeof prisonerPatch>;

/**
 * A page form's fields (name.<lang>, summary.<lang>, story.<lang>, slug,
 * heldAt.<lang>, sentence.<lang>, status, lettersAddress, lettersSafe checkbox) in the API's
 * input shape. Every field is sent by the form, so every field is set.
 */
export function prisonerFormInput(form: FormData) {
  const value = (name: string) => {
    const v = form.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const perLang = (prefix: string) => {
    const out: Record<string, string> = {};
    for (const lang of LOCALES) {
      const v = value(`${prefix}.${lang}`);
      if (v !== undefined && v.trim() !== "") out[lang] = v;
    }
    return out;
  };
  const slug = value("slug")?.trim();
  return {
    name: perLang("name"),
    ...(slug ? { slug } : {}),
    summary: perLang("summary"),
    story: perLang("story"),
    heldAt: perLang("heldAt"),
    sentence: perLang("sentence"),
    status: value("status") ?? "detained",
    lettersAddress: value("lettersAddress") ?? "",
    lettersSafe: value("lettersSafe") === "on" || value("lettersSafe") === "yes",
  };
}

// ---------------------------------------------------------------- errors

export class PrisonerSlugTakenError extends DomainError {
  constructor() {
    super(409, "slug_taken", "Another prisoner has this slug already.", {
      fields: { slug: "v.prisonerSlugTaken" },
    });
  }
}

// ---------------------------------------------------------------- rows

type PrisonerRow = {
  id: string;
  slug: string;
  name: Record<string, string>;
  summary: Record<string, string>;
  story: Record<string, string>;
  heldAt: Record<string, string> | null;
  sentence: Record<string, string> | null;
  status: PrisonerStatus;
  lettersAddress: string | null;
  lettersSafe: boolean;
  photoFile: string | null;
  photoThumbFile: string | null;
  photoWidth: number | null;
  photoHeight: number | null;
};

const COLUMNS = `id, slug, name, summary, story, heldAt, sentence, status, lettersAddress, lettersSafe,
  photoFile, photoThumbFile, photoWidth, photoHeight`;

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A per-language short text column: JSON {language: text}; a plain text is for every language. */
function localizedColumn(v: unknown): Record<string, string> | null {
  const raw = str(v);
  if (raw === null || raw === "") return null;
  const parsed = raw.startsWith("{") ? parseJsonObject(raw) : {};
  return Object.keys(parsed).length ? parsed : { "*": raw };
}

/** A per-language text in the reader's language, or null. */
const localText = (value: Record<string, string> | null, locale: string) =>
  value ? textIn(value, locale) || null : null;

/** A per-language text as the API takes it: one string for every language, or {language: text}. */
const apiLocalized = (value: Record<string, string> | null) =>
  value && Object.keys(value).length === 1 && value["*"] !== undefined ? value["*"] : value;

function rowOf(r: Record<string, unknown>): PrisonerRow {
  return {
    id: String(r.id),
    slug: String(r.slug),
    name: parseJsonObject(String(r.name)),
    summary: parseJsonObject(String(r.summary ?? "{}")),
    story: parseJsonObject(String(r.story ?? "{}")),
    heldAt: localizedColumn(r.heldAt),
    sentence: localizedColumn(r.sentence),
    status: (PRISONER_STATUSES as readonly string[]).includes(String(r.status))
      ? (String(r.status) as PrisonerStatus)
      : "detained",
    lettersAddress: str(r.lettersAddress),
    lettersSafe: Number(r.lettersSafe) === 1 || r.lettersSafe === true,
    photoFile: str(r.photoFile),
    photoThumbFile: str(r.photoThumbFile),
    photoWidth: r.photoWidth === null ? null : Number(r.photoWidth),
    photoHeight: r.photoHeight === null ? null : Number(r.photoHeight),
  };
}

const validId = (id: string | undefined): id is string =>
  typeof id === "string" && id.length > 0 && id.length <= 64;

async function rowsWhere(where: string, args: InValue[]): Promise<PrisonerRow[]> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT ${COLUMNS} FROM Prisoner ${where}`,
    args,
  });
  return rows.map((r) => rowOf(r as Record<string, unknown>));
}

async function rowById(id: string | undefined): Promise<PrisonerRow | null> {
  if (!validId(id)) return null;
  return (await rowsWhere("WHERE id = ?", [id]))[0] ?? null;
}

export type PrisonerPhoto = {
  url: string;
  width: number;
  height: number;
  thumbUrl: string;
  thumbWidth: number;
  thumbHeight: number;
};

/** The stored photo's addresses and sizes; the thumbnail's size follows from the stored one. */
function photoOf(row: PrisonerRow): PrisonerPhoto | null {
  if (!row.photoFile || !row.photoThumbFile || !row.photoWidth || !row.photoHeight) return null;
  const scale = Math.min(1, THUMB_LONG_SIDE / Math.max(row.photoWidth, row.photoHeight));
  return {
    url: mediaUrl(row.photoFile),
    width: row.photoWidth,
    height: row.photoHeight,
    thumbUrl: mediaUrl(row.photoThumbFile),
    thumbWidth: Math.max(1, Math.round(row.photoWidth * scale)),
    thumbHeight: Math.max(1, Math.round(row.photoHeight * scale)),
  };
}

/** The public letters address: only while it is marked safe. */
const lettersOf = (row: PrisonerRow) => (row.lettersSafe && row.lettersAddress) || null;

// ---------------------------------------------------------------- figures

/** Raised into a prisoner's fund and paid out of it, per currency (from the ledger). */
export type PrisonerFigure = { currency: string; raisedMinor: number; paidOutMinor: number };

async function figuresOf(ids: string[]): Promise<Map<string, PrisonerFigure[]>> {
  const out = new Map<string, PrisonerFigure[]>();
  if (!ids.length) return out;
  const totals = await prisonerTotals(ids);
  for (const id of ids)
    out.set(
      id,
      (totals.get(id) ?? []).map((t) => ({
        currency: t.currency,
        raisedMinor: t.raisedMinor,
        paidOutMinor: t.paidOutMinor,
      })),
    );
  return out;
}

// ---------------------------------------------------------------- public views

/** A prisoner as anyone may see them in a list, in one language. */
export type PublicPrisonerCard = {
  id: string;
  slug: string;
  name: string;
  summary: string;
  status: PrisonerStatus;
  heldAt: string | null;
  sentence: string | null;
  photo: PrisonerPhoto | null;
  figures: PrisonerFigure[];
};

/** One public profile, in one language: the card, the story, the letters address if safe, the festivals. */
export type PublicPrisonerProfile = PublicPrisonerCard & {
  story: string;
  lettersAddress: string | null;
  /** The reader's language has its own text (otherwise another language's is shown). */
  storyLanguage: string | null;
  festivals: { slug: string; name: string; city: string; startsAt: string; timezone: string }[];
};

function cardOf(row: PrisonerRow, locale: string, figures: PrisonerFigure[]): PublicPrisonerCard {
  return {
    id: row.id,
    slug: row.slug,
    name: textIn(row.name, locale),
    summary: textIn(row.summary, locale),
    status: row.status,
    heldAt: localText(row.heldAt, locale),
    sentence: localText(row.sentence, locale),
    photo: photoOf(row),
    figures,
  };
}

const byName = (locale: string) => (a: { name: string }, b: { name: string }) =>
  a.name.localeCompare(b.name, locale);

/** Every prisoner of the registry, with their figures, sorted by name in `locale`. */
export async function publicPrisoners(locale: string): Promise<PublicPrisonerCard[]> {
  const rows = await rowsWhere("", []);
  const figures = await figuresOf(rows.map((r) => r.id));
  return rows.map((r) => cardOf(r, locale, figures.get(r.id) ?? [])).sort(byName(locale));
}

/** Published festivals that say they support the prisoner (drafts are nobody's business). */
async function supportingFestivals(prisonerId: string) {
  const rows = await prisma.festivalPrisoner.findMany({
    where: { prisonerId, festival: { status: { not: "draft" }, publishedAt: { not: null } } },
    select: {
      festival: { select: { slug: true, name: true, city: true, startsAt: true, timezone: true } },
    },
    orderBy: { festival: { startsAt: "desc" } },
    take: 100,
  });
  return rows.map(({ festival: f }) => ({
    slug: f.slug,
    name: f.name,
    city: f.city,
    startsAt: f.startsAt.toISOString(),
    timezone: f.timezone,
  }));
}

/** A public profile by its slug, or null. */
export async function publicPrisonerBySlug(
  slug: string,
  locale: string,
): Promise<PublicPrisonerProfile | null> {
  if (!slug || slug.length > 100) return null;
  const row = (await rowsWhere("WHERE slug = ?", [slug]))[0];
  if (!row) return null;
  const [figures, festivals] = await Promise.all([
    figuresOf([row.id]),
    supportingFestivals(row.id),
  ]);
  return {
    ...cardOf(row, locale, figures.get(row.id) ?? []),
    story: textIn(row.story, locale),
    storyLanguage: pickText(row.story, locale)?.language ?? null,
    lettersAddress: lettersOf(row),
    festivals,
  };
}

/** The prisoners a festival supports as its public page shows them: name, photo, status, figures. */
export async function supportedPrisonerCards(
  festivalId: string,
  locale: string,
): Promise<PublicPrisonerCard[]> {
  const rows = await rowsWhere(
    "WHERE id IN (SELECT prisonerId FROM FestivalPrisoner WHERE festivalId = ?)",
    [festivalId],
  );
  const figures = await figuresOf(rows.map((r) => r.id));
  return rows.map((r) => cardOf(r, locale, figures.get(r.id) ?? [])).sort(byName(locale));
}

/** The public API's shape: every language's texts, never the letters address unless safe. */
export type PublicPrisonerJson = {
  id: string;
  slug: string;
  name: Record<string, string>;
  summary: Record<string, string>;
  status: PrisonerStatus;
  heldAt: string | Record<string, string> | null;
  sentence: string | Record<string, string> | null;
  photo: PrisonerPhoto | null;
  figures: PrisonerFigure[];
};

function jsonOf(row: PrisonerRow, figures: PrisonerFigure[]): PublicPrisonerJson {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    summary: row.summary,
    status: row.status,
    heldAt: apiLocalized(row.heldAt),
    sentence: apiLocalized(row.sentence),
    photo: photoOf(row),
    figures,
  };
}

/** GET /api/v1/prisoners: every prisoner with the figures of the public page (by English name). */
export async function publicPrisonersJson(): Promise<PublicPrisonerJson[]> {
  const rows = await rowsWhere("", []);
  const figures = await figuresOf(rows.map((r) => r.id));
  return rows
    .map((r) => jsonOf(r, figures.get(r.id) ?? []))
    .sort((a, b) => textIn(a.name, "en").localeCompare(textIn(b.name, "en"), "en"));
}

/** GET /api/v1/prisoners/:id: one public profile (404 for an unknown id). */
export async function publicPrisonerJson(id: string | undefined) {
  const row = await rowById(id);
  if (!row) throw DomainError.notFound("No such prisoner.");
  const [figures, festivals] = await Promise.all([
    figuresOf([row.id]),
    supportingFestivals(row.id),
  ]);
  return {
    ...jsonOf(row, figures.get(row.id) ?? []),
    story: row.story,
    lettersAddress: lettersOf(row),
    festivals: festivals.map(({ slug, name, city, startsAt }) => ({ slug, name, city, startsAt })),
  };
}

// ---------------------------------------------------------------- admin views

/** A prisoner as the registry's managers see it (prisoners:manage): every field. */
export type PrisonerAdminView = Omit<
  PrisonerRow,
  "photoFile" | "photoThumbFile" | "photoWidth" | "photoHeight"
> & { photo: PrisonerPhoto | null; festivals: number };

export async function prisonerAdminView(id: string | undefined): Promise<PrisonerAdminView> {
  const row = await rowById(id);
  if (!row) throw DomainError.notFound("No such prisoner.");
  const festivals = await prisma.festivalPrisoner.count({ where: { prisonerId: row.id } });
  const { photoFile: _f, photoThumbFile: _t, photoWidth: _w, photoHeight: _h, ...rest } = row;
  return { ...rest, photo: photoOf(row), festivals };
}

/** The registry for its managers: name in `locale`, status, letters flag, photo, festivals supporting. */
export async function listPrisonersAdmin(locale: string) {
  const { rows } = await sqlClient().execute(
    `SELECT ${COLUMNS}, (SELECT count(*) FROM FestivalPrisoner fp WHERE fp.prisonerId = Prisoner.id) AS festivals
     FROM Prisoner`,
  );
  return rows
    .map((r) => {
      const row = rowOf(r as Record<string, unknown>);
      return {
        id: row.id,
        slug: row.slug,
        name: textIn(row.name, locale),
        status: row.status,
        heldAt: localText(row.heldAt, locale),
        lettersAddress: row.lettersAddress !== null,
        lettersSafe: row.lettersSafe,
        photo: photoOf(row),
        festivals: Number(r.festivals),
      };
    })
    .sort(byName(locale));
}

// ---------------------------------------------------------------- writes

/** A readable slug from the English name: "boris-kagarlitsky", then "-2", "-3"… (inside `tx`). */
async function freeSlug(tx: WriteTx, name: string) {
  const base =
    slugify(name, { lower: true, strict: true, trim: true })
      .slice(0, PRISONER_LIMITS.slug - 4)
      .replace(/-+$/, "") || "prisoner";
  const { rows } = await tx.execute({
    sql: `SELECT slug FROM Prisoner WHERE slug = ? OR slug LIKE ?`,
    args: [base, `${base}-%`],
  });
  const taken = new Set(rows.map((r) => String(r.slug)));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

async function refuseTakenSlug(tx: WriteTx, slug: string, exceptId: string | null) {
  const { rows } = await tx.execute({
    sql: `SELECT id FROM Prisoner WHERE slug = ? AND id IS NOT ?`,
    args: [slug, exceptId],
  });
  if (rows.length) throw new PrisonerSlugTakenError();
}

/** Create a profile. The slug comes from the English name unless given; unique. */
export async function createPrisoner(actor: CurrentUser, input: PrisonerInput) {
  const now = new Date();
  const id = randomToken(16);
  // A write transaction (BEGIN IMMEDIATE): two creations of one name get two slugs.
  const slug = await writeTransaction(async (tx) => {
    let slug: string;
    if (input.slug) {
      await refuseTakenSlug(tx, input.slug, null);
      slug = input.slug;
    } else slug = await freeSlug(tx, input.name.en ?? "");
    const status = input.status ?? "detained";
    const lettersSafe = input.lettersSafe ?? false;
    await tx.execute({
      sql: `INSERT INTO Prisoner (id, slug, name, summary, story, heldAt, sentence, status, lettersAddress, lettersSafe, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        id,
        slug,
        JSON.stringify(input.name),
        JSON.stringify(input.summary ?? {}),
        JSON.stringify(input.story ?? {}),
        input.heldAt ? JSON.stringify(input.heldAt) : null,
        input.sentence ? JSON.stringify(input.sentence) : null,
        status,
        input.lettersAddress ?? null,
        lettersSafe ? 1 : 0,
        sqlDate(now),
        sqlDate(now),
      ],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "prisoner.create",
          targetType: "prisoner",
          targetId: id,
          details: {
            slug,
            status,
            lettersSafe,
            languages: Object.keys(input.name),
            lettersAddress: Boolean(input.lettersAddress),
          },
        },
      },
      now,
    );
    return slug;
  });
  return { id, slug };
}

/** Change a profile: the fields given, each whole (a per-language field replaces all its languages). */
export async function updatePrisoner(
  actor: CurrentUser,
  id: string | undefined,
  patch: PrisonerPatch,
) {
  if (!validId(id)) throw DomainError.notFound("No such prisoner.");
  const now = new Date();
  return writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT slug FROM Prisoner WHERE id = ?`,
      args: [id],
    });
    if (!rows[0]) throw DomainError.notFound("No such prisoner.");
    let slug = String(rows[0].slug);
    const sets: string[] = [];
    const args: InValue[] = [];
    const set = (column: string, value: InValue) => {
      sets.push(`"${column}" = ?`);
      args.push(value);
    };
    if (patch.slug !== undefined && patch.slug !== slug) {
      await refuseTakenSlug(tx, patch.slug, id);
      slug = patch.slug;
      set("slug", slug);
    }
    if (patch.name !== undefined) set("name", JSON.stringify(patch.name));
    if (patch.summary !== undefined) set("summary", JSON.stringify(patch.summary));
    if (patch.story !== undefined) set("story", JSON.stringify(patch.story));
    if (patch.heldAt !== undefined) set("heldAt", patch.heldAt && JSON.stringify(patch.heldAt));
    if (patch.sentence !== undefined)
      set("sentence", patch.sentence && JSON.stringify(patch.sentence));
    if (patch.status !== undefined) set("status", patch.status);
    if (patch.lettersAddress !== undefined) set("lettersAddress", patch.lettersAddress);
    if (patch.lettersSafe !== undefined) set("lettersSafe", patch.lettersSafe ? 1 : 0);
    if (sets.length) {
      set("updatedAt", sqlDate(now));
      await tx.execute({
        sql: `UPDATE Prisoner SET ${sets.join(", ")} WHERE id = ?`,
        args: [...args, id],
      });
    }
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "prisoner.update",
          targetType: "prisoner",
          targetId: id,
          details: {
            fields: Object.keys(patch),
            ...(patch.slug !== undefined ? { slug } : {}),
            ...(patch.status !== undefined ? { status: patch.status } : {}),
            ...(patch.lettersSafe !== undefined ? { lettersSafe: patch.lettersSafe } : {}),
          },
        },
      },
      now,
    );
    return { id, slug };
  });
}

/**
 * Set or replace the photo: the picture is checked and re-encoded (WebP, no
 * metadata) and stored first; the row then names it; the replaced files go
 * after the commit. If the row cannot be written the new files go again.
 */
export async function setPrisonerPhoto(actor: CurrentUser, id: string | undefined, bytes: Buffer) {
  if (!(await rowById(id))) throw DomainError.notFound("No such prisoner.");
  const stored: StoredImage = await storeImage(bytes);
  const now = new Date();
  let old: string[];
  try {
    old = await writeTransaction(async (tx) => {
      const { rows } = await tx.execute({
        sql: `SELECT photoFile, photoThumbFile FROM Prisoner WHERE id = ?`,
        args: [id!],
      });
      if (!rows[0]) throw DomainError.notFound("No such prisoner.");
      await tx.execute({
        sql: `UPDATE Prisoner SET photoFile = ?, photoThumbFile = ?, photoWidth = ?, photoHeight = ?, updatedAt = ? WHERE id = ?`,
        args: [stored.file, stored.thumbFile, stored.width, stored.height, sqlDate(now), id!],
      });
      await writeChange(
        tx,
        {
          audit: {
            actorUserId: actor.id,
            action: "prisoner.photo.set",
            targetType: "prisoner",
            targetId: id!,
            details: { bytes: stored.bytes, replaced: rows[0].photoFile !== null },
          },
        },
        now,
      );
      return [str(rows[0].photoFile), str(rows[0].photoThumbFile)].filter(
        (f): f is string => f !== null,
      );
    });
  } catch (error) {
    await removeImageFiles([stored.file, stored.thumbFile]);
    throw error;
  }
  await removeImageFiles(old);
  const row = await rowById(id);
  return { photo: row ? photoOf(row) : null };
}

/** Remove the photo (and its files, after the commit). Removing none is fine. */
export async function removePrisonerPhoto(actor: CurrentUser, id: string | undefined) {
  if (!validId(id)) throw DomainError.notFound("No such prisoner.");
  const now = new Date();
  const old = await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT photoFile, photoThumbFile FROM Prisoner WHERE id = ?`,
      args: [id],
    });
    if (!rows[0]) throw DomainError.notFound("No such prisoner.");
    if (rows[0].photoFile === null) return [];
    await tx.execute({
      sql: `UPDATE Prisoner SET photoFile = NULL, photoThumbFile = NULL, photoWidth = NULL, photoHeight = NULL, updatedAt = ? WHERE id = ?`,
      args: [sqlDate(now), id],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "prisoner.photo.remove",
          targetType: "prisoner",
          targetId: id,
        },
      },
      now,
    );
    return [str(rows[0].photoFile), str(rows[0].photoThumbFile)].filter(
      (f): f is string => f !== null,
    );
  });
  await removeImageFiles(old);
}

// ---------------------------------------------------------------- festivals' prisoners

export async function listPrisoners(locale: string) {
  const rows = await prisma.prisoner.findMany({
    orderBy: { slug: "asc" },
    select: { id: true, slug: true, name: true },
  });
  return rows.map((p) => ({ id: p.id, slug: p.slug, name: pickLanguage(p.name, locale) }));
}

export async function supportedPrisoners(festivalId: string, locale: string) {
  const rows = await prisma.festivalPrisoner.findMany({
    where: { festivalId },
    select: { prisoner: { select: { id: true, slug: true, name: true } } },
  });
  return rows
    .map((r) => ({
      id: r.prisoner.id,
      slug: r.prisoner.slug,
      name: pickLanguage(r.prisoner.name, locale),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** Replace the set of prisoners a festival supports (unknown ids are ignored). */
export async function setSupportedPrisoners(
  actor: CurrentUser,
  festivalId: string,
  prisonerIds: string[],
) {
  await refuseIfCancelled(festivalId);
  const ids = [...new Set(prisonerIds.filter((id) => id.length <= 64))].slice(0, 200);
  const known = await prisma.prisoner.findMany({
    where: { id: { in: ids } },
    select: { id: true },
  });
  await prisma.$transaction(async (tx) => {
    await tx.festivalPrisoner.deleteMany({ where: { festivalId } });
    if (known.length)
      await tx.festivalPrisoner.createMany({
        data: known.map((p) => ({ festivalId, prisonerId: p.id })),
      });
    await audit(
      {
        actorUserId: actor.id,
        action: "festival.prisoners.set",
        targetType: "festival",
        targetId: festivalId,
        festivalId,
        details: { prisoners: known.map((p) => p.id) },
      },
      tx,
    );
  });
}
