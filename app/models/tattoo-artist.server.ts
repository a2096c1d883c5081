// Tattoo artists of a festival, their portfolio pictures and their flash
// designs (issue 10). An artist goes by a name or an alias (never a legal name
// by requirement), has a bio per festival language, a contact that only
// organisers see, and optionally an earmark (one of the festival's supported
// prisoners) for the donations their tattoos raise. An artist may be linked to
// an account: it then holds the festival role "artist" and acts for that artist
// only (`artistScope`). Every write is raw SQL in one write transaction with
// its audit row (the tattoo tables' times are sqlDate() text). Pictures are
// checked and re-encoded by app/utils/images.server.ts; their files are
// written before the row and removed if the row is not, and removed after the
// row is gone.
import type { Client, InValue } from "@libsql/client";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { writeChange } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import { prisma, sqlClient, sqlDate, writeTransaction } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { mediaUrl, removeImageFiles, storeImage, type StoredImage } from "~/utils/images.server";
import { can, decide } from "~/utils/permissions.server";
import { email as emailSchema, optionalText, text } from "~/utils/validation";
import { FESTIVAL_LANGUAGES } from "./choices";
import { parseJsonArray, parseJsonObject, refuseIfCancelled } from "./festival.server";
import { minorAmount, textIn } from "./ticket-type.server";

export const MAX_ARTISTS_PER_FESTIVAL = 200;
export const MAX_IMAGES_PER_ARTIST = 60;
export const MAX_FLASH_PER_ARTIST = 200;
export const MAX_FLASH_USES = 1000;

// ---------------------------------------------------------------- input

const idText = z.string({ error: "v.invalid" }).min(1, { error: "v.invalid" }).max(64, {
  error: "v.invalid",
});

/** A bio: one text for every language, or {language: text}. */
const bio = z.union([
  optionalText({ max: 4000, multiline: true }).transform((s): Record<string, string> =>
    s === undefined ? {} : { "*": s },
  ),
  z
    .partialRecord(
      z.enum(FESTIVAL_LANGUAGES, { error: "v.language" }),
      optionalText({ max: 4000, multiline: true }),
    )
    .transform((r) =>
      Object.fromEntries(
        Object.entries(r).filter((e): e is [string, string] => typeof e[1] === "string"),
      ),
    ),
]);

const artistFields = {
  name: text({ max: 80 }),
  bio: bio.optional(),
  contact: optionalText({ max: 500, multiline: true }).nullable(),
  prisonerId: z.preprocess((v) => (v === "" ? null : v), idText.nullable()),
};

export const artistInput = z
  .object({
    ...artistFields,
    contact: artistFields.contact.optional(),
    prisonerId: artistFields.prisonerId.optional(),
  })
  .strict();
export type ArtistInput = z.output<typeof artistInput>;

export const artistPatch = z
  .object({
    name: artistFields.name.optional(),
    bio: artistFields.bio,
    contact: artistFields.contact.optional(),
    prisonerId: artistFields.prisonerId.optional(),
  })
  .strict();
export type ArtistPatch = z.output<typeof artistPatch>;

/** A page form's artist fields (name, bio.<language>, contact, prisonerId) in the API's input shape. */
export function artistFormInput(form: FormData, languages: string[]) {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const bio: Record<string, string> = {};
  for (const lang of languages) {
    const value = text(`bio.${lang}`);
    if (value !== undefined && value.trim() !== "") bio[lang] = value;
  }
  return {
    name: text("name") ?? "",
    bio,
    contact: text("contact") ?? "",
    prisonerId: text("prisonerId") || null,
  };
}

export const linkInput = z.object({ email: emailSchema }).strict();

const maxUses = z
  .number({ error: "v.maxUses" })
  .int({ error: "v.maxUses" })
  .min(1, { error: "v.maxUses" })
  .max(MAX_FLASH_USES, { error: "v.maxUses" })
  .nullable();

export const flashInput = z
  .object({
    title: text({ max: 120 }),
    size: optionalText({ max: 60 }).nullable().optional(),
    minDonationMinor: minorAmount,
    maxUses: maxUses.optional(),
  })
  .strict();
export type FlashInput = z.output<typeof flashInput>;

export const flashPatch = z
  .object({
    title: text({ max: 120 }).optional(),
    size: optionalText({ max: 60 }).nullable().optional(),
    minDonationMinor: minorAmount.optional(),
    maxUses: maxUses.optional(),
    status: z.enum(["available", "gone"], { error: "v.flashStatus" }).optional(),
  })
  .strict();
export type FlashPatch = z.output<typeof flashPatch>;

export const reorderInput = z
  .object({ imageIds: z.array(idText, { error: "v.invalid" }).max(MAX_IMAGES_PER_ARTIST) })
  .strict();

// ---------------------------------------------------------------- reads and access

export type ArtistRow = {
  id: string;
  festivalId: string;
  name: string;
  bio: string;
  contact: string | null;
  userId: string | null;
  prisonerId: string | null;
  position: number;
};

async function artistRow(id: string): Promise<ArtistRow | null> {
  if (!id || id.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, festivalId, name, bio, contact, userId, prisonerId, position FROM TattooArtist WHERE id = ?`,
    args: [id],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: String(r.id),
    festivalId: String(r.festivalId),
    name: String(r.name),
    bio: String(r.bio),
    contact: r.contact === null ? null : String(r.contact),
    userId: r.userId === null ? null : String(r.userId),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    position: Number(r.position),
  };
}

/**
 * Which artists of a festival `user` may act for: null when every one of them
 * (organisers and admins, `festival:tattoo`), else the ids of the artists
 * linked to the user's account (the festival role "artist"; maybe none).
 */
export async function artistScope(user: CurrentUser, festivalId: string): Promise<string[] | null> {
  if (can(user, "festival:tattoo", festivalId)) return null;
  const { rows } = await sqlClient().execute({
    sql: `SELECT id FROM TattooArtist WHERE festivalId = ? AND userId = ?`,
    args: [festivalId, user.id],
  });
  return rows.map((r) => String(r.id));
}

function refuseUnless(decision: ReturnType<typeof decide>) {
  if (decision === "not_found") throw DomainError.notFound();
  if (decision === "forbidden")
    throw DomainError.forbidden("You do not have permission to do this.");
}

/**
 * An artist `user` may act for with `permission`: "festival:tattoo" (organisers:
 * create, delete, link) or "tattoo:artist" (also the linked artist, for their
 * own artist only). An unknown artist and another festival's look the same
 * (404); so does another artist of one's festival to a linked artist.
 */
export async function artistFor(
  user: CurrentUser,
  artistId: string | undefined,
  permission: "festival:tattoo" | "tattoo:artist",
): Promise<ArtistRow> {
  const artist = await artistRow(artistId ?? "");
  if (!artist) throw DomainError.notFound();
  refuseUnless(decide(user, permission, artist.festivalId));
  const scope = await artistScope(user, artist.festivalId);
  if (scope && !scope.includes(artist.id)) throw DomainError.notFound();
  return artist;
}

/** The artist (id, festival) of a picture or a flash design, then `artistFor`. */
async function ownerOf(table: "TattooImage" | "FlashDesign", id: string | undefined) {
  if (!id || id.length > 64) throw DomainError.notFound();
  const { rows } = await sqlClient().execute({
    sql: `SELECT artistId FROM "${table}" WHERE id = ?`,
    args: [id],
  });
  if (!rows[0]) throw DomainError.notFound();
  return String(rows[0].artistId);
}

export type ArtistImage = {
  id: string;
  kind: "portfolio" | "flash";
  url: string;
  thumbUrl: string;
  width: number;
  height: number;
};

export type FlashView = {
  id: string;
  title: string;
  size: string | null;
  minDonationMinor: number;
  maxUses: number | null;
  reserved: number;
  remaining: number | null;
  status: "available" | "gone";
  image: { url: string; thumbUrl: string; width: number; height: number } | null;
};

function imageOf(r: Record<string, unknown>) {
  return {
    url: mediaUrl(String(r.file)),
    thumbUrl: mediaUrl(String(r.thumbFile)),
    width: Number(r.width),
    height: Number(r.height),
  };
}

async function imagesOf(
  artistIds: string[],
  kind?: "portfolio",
): Promise<Map<string, ArtistImage[]>> {
  const out = new Map<string, ArtistImage[]>();
  if (!artistIds.length) return out;
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, artistId, kind, file, thumbFile, width, height FROM TattooImage
          WHERE artistId IN (${artistIds.map(() => "?").join(",")}) ${kind ? "AND kind = 'portfolio'" : ""}
          ORDER BY position, createdAt, id`,
    args: artistIds,
  });
  for (const r of rows) {
    const list = out.get(String(r.artistId)) ?? [];
    list.push({
      id: String(r.id),
      kind: String(r.kind) as ArtistImage["kind"],
      ...imageOf(r as Record<string, unknown>),
    });
    out.set(String(r.artistId), list);
  }
  return out;
}

async function flashOf(
  artistIds: string[],
  onlyAvailable: boolean,
): Promise<Map<string, FlashView[]>> {
  const out = new Map<string, FlashView[]>();
  if (!artistIds.length) return out;
  const { rows } = await sqlClient().execute({
    sql: `SELECT f.id, f.artistId, f.title, f.size, f.minDonationMinor, f.maxUses, f.reserved, f.status,
                 i.file, i.thumbFile, i.width, i.height
          FROM FlashDesign f LEFT JOIN TattooImage i ON i.id = f.imageId
          WHERE f.artistId IN (${artistIds.map(() => "?").join(",")})
            ${onlyAvailable ? "AND f.status = 'available' AND (f.maxUses IS NULL OR f.reserved < f.maxUses)" : ""}
          ORDER BY f.position, f.createdAt, f.id`,
    args: artistIds,
  });
  for (const r of rows) {
    const list = out.get(String(r.artistId)) ?? [];
    const max = r.maxUses === null ? null : Number(r.maxUses);
    list.push({
      id: String(r.id),
      title: String(r.title),
      size: r.size === null ? null : String(r.size),
      minDonationMinor: Number(r.minDonationMinor),
      maxUses: max,
      reserved: Number(r.reserved),
      remaining: max === null ? null : Math.max(0, max - Number(r.reserved)),
      status: String(r.status) as FlashView["status"],
      image: r.file === null ? null : imageOf(r as Record<string, unknown>),
    });
    out.set(String(r.artistId), list);
  }
  return out;
}

export type ArtistView = {
  id: string;
  name: string;
  bio: Record<string, string>;
  contact: string | null;
  prisonerId: string | null;
  account: { id: string; email: string } | null;
  bookings: number;
  images: ArtistImage[];
  flash: FlashView[];
};

/** The festival's artists as organisers (or a linked artist, `scope`) see them. */
export async function listArtists(
  festivalId: string,
  scope: string[] | null = null,
): Promise<ArtistView[]> {
  if (scope && scope.length === 0) return [];
  const { rows } = await sqlClient().execute({
    sql: `SELECT a.id, a.name, a.bio, a.contact, a.prisonerId, a.userId, u.email,
                 (SELECT count(*) FROM TattooBooking b WHERE b.artistId = a.id) AS bookings
          FROM TattooArtist a LEFT JOIN User u ON u.id = a.userId
          WHERE a.festivalId = ? ${scope ? `AND a.id IN (${scope.map(() => "?").join(",")})` : ""}
          ORDER BY a.position, a.createdAt, a.id`,
    args: [festivalId, ...(scope ?? [])],
  });
  const ids = rows.map((r) => String(r.id));
  const [images, flash] = await Promise.all([imagesOf(ids), flashOf(ids, false)]);
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    bio: parseJsonObject(String(r.bio)),
    contact: r.contact === null ? null : String(r.contact),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    account: r.userId === null ? null : { id: String(r.userId), email: String(r.email) },
    bookings: Number(r.bookings),
    images: (images.get(String(r.id)) ?? []).filter((i) => i.kind === "portfolio"),
    flash: flash.get(String(r.id)) ?? [],
  }));
}

/** One artist as organisers see it (the caller checked access with `artistFor`). */
export async function getArtistView(artist: ArtistRow): Promise<ArtistView> {
  const [view] = await listArtists(artist.festivalId, [artist.id]);
  if (!view) throw DomainError.notFound();
  return view;
}

export type PublicArtist = {
  id: string;
  name: string;
  bio: string;
  prisonerId: string | null;
  portfolio: { url: string; thumbUrl: string; width: number; height: number }[];
  flash: {
    id: string;
    title: string;
    size: string | null;
    minDonationMinor: number;
    remaining: number | null;
    image: { url: string; thumbUrl: string; width: number; height: number } | null;
  }[];
};

/**
 * What anyone may see of a festival's artists (the booking page, the public
 * API): name, bio in `locale`, earmark, portfolio, and the flash still
 * available with what is left of it. Never the contact, the linked account, or
 * anything about who booked.
 */
export async function publicArtists(festivalId: string, locale: string): Promise<PublicArtist[]> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, name, bio, prisonerId FROM TattooArtist WHERE festivalId = ? ORDER BY position, createdAt, id`,
    args: [festivalId],
  });
  const ids = rows.map((r) => String(r.id));
  const [images, flash] = await Promise.all([imagesOf(ids, "portfolio"), flashOf(ids, true)]);
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    bio: textIn(parseJsonObject(String(r.bio)), locale),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    portfolio: (images.get(String(r.id)) ?? []).map(({ url, thumbUrl, width, height }) => ({
      url,
      thumbUrl,
      width,
      height,
    })),
    flash: (flash.get(String(r.id)) ?? []).map((f) => ({
      id: f.id,
      title: f.title,
      size: f.size,
      minDonationMinor: f.minDonationMinor,
      remaining: f.remaining,
      image: f.image,
    })),
  }));
}

// ---------------------------------------------------------------- artists

async function festivalLanguages(festivalId: string) {
  const f = await prisma.festival.findUnique({
    where: { id: festivalId },
    select: { languages: true },
  });
  return parseJsonArray(f?.languages ?? "[]");
}

/** Rules needing the festival: bio languages it has, an earmark it supports. */
async function checkArtistRules(
  festivalId: string,
  input: { bio?: Record<string, string>; prisonerId?: string | null },
) {
  const fields: Record<string, string> = {};
  if (input.bio) {
    const languages = await festivalLanguages(festivalId);
    const foreign = Object.keys(input.bio).find((k) => k !== "*" && !languages.includes(k));
    if (foreign) fields[`bio.${foreign}`] = "v.festivalLanguage";
  }
  if (input.prisonerId) {
    const supported = await prisma.festivalPrisoner.findUnique({
      where: { festivalId_prisonerId: { festivalId, prisonerId: input.prisonerId } },
      select: { prisonerId: true },
    });
    if (!supported) fields.prisonerId = "v.unsupportedPrisoner";
  }
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
}

export async function createArtist(actor: CurrentUser, festivalId: string, input: ArtistInput) {
  await refuseIfCancelled(festivalId);
  await checkArtistRules(festivalId, input);
  const id = randomToken(16);
  const now = new Date();
  await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT count(*) AS n FROM TattooArtist WHERE festivalId = ?`,
      args: [festivalId],
    });
    const position = Number(rows[0]?.n ?? 0);
    if (position >= MAX_ARTISTS_PER_FESTIVAL)
      throw DomainError.conflict(
        "too_many_artists",
        `A festival has at most ${MAX_ARTISTS_PER_FESTIVAL} artists.`,
      );
    await tx.execute({
      sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, contact, userId, prisonerId, position, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
      args: [
        id,
        festivalId,
        input.name,
        JSON.stringify(input.bio ?? {}),
        input.contact ?? null,
        input.prisonerId ?? null,
        position,
        sqlDate(now),
        sqlDate(now),
      ],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooArtist.create",
          targetType: "tattooArtist",
          targetId: id,
          festivalId,
          details: { prisonerId: input.prisonerId ?? null },
        },
      },
      now,
    );
  });
  return { id };
}

export async function updateArtist(actor: CurrentUser, artist: ArtistRow, patch: ArtistPatch) {
  await refuseIfCancelled(artist.festivalId);
  await checkArtistRules(artist.festivalId, patch);
  const sets: string[] = [];
  const args: InValue[] = [];
  const set = (column: string, value: InValue) => {
    sets.push(`"${column}" = ?`);
    args.push(value);
  };
  if (patch.name !== undefined) set("name", patch.name);
  if (patch.bio !== undefined) set("bio", JSON.stringify(patch.bio));
  if (patch.contact !== undefined) set("contact", patch.contact ?? null);
  if (patch.prisonerId !== undefined) set("prisonerId", patch.prisonerId);
  const now = new Date();
  set("updatedAt", sqlDate(now));
  await writeTransaction(async (tx) => {
    await tx.execute({
      sql: `UPDATE TattooArtist SET ${sets.join(", ")} WHERE id = ?`,
      args: [...args, artist.id],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooArtist.update",
          targetType: "tattooArtist",
          targetId: artist.id,
          festivalId: artist.festivalId,
          // Which fields changed, never their values (the contact is personal data).
          details: { fields: Object.keys(patch) },
        },
      },
      now,
    );
  });
  return { id: artist.id };
}

export class ArtistHasBookingsError extends DomainError {
  constructor(count: number) {
    super(
      409,
      "artist_has_bookings",
      `The artist has ${count} booking(s); cancel or move them before removing the artist.`,
    );
  }
}

/**
 * Remove an artist with their pictures, flash and availability — refused while
 * any booking names them (the bookings keep the money trail's story). The
 * linked account loses its artist membership (an organiser or door membership stays).
 */
export async function deleteArtist(actor: CurrentUser, artist: ArtistRow) {
  await refuseIfCancelled(artist.festivalId);
  const now = new Date();
  const files = await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT count(*) AS n FROM TattooBooking WHERE artistId = ?`,
      args: [artist.id],
    });
    const bookings = Number(rows[0]?.n ?? 0);
    if (bookings > 0) throw new ArtistHasBookingsError(bookings);
    const images = await tx.execute({
      sql: `SELECT file, thumbFile FROM TattooImage WHERE artistId = ?`,
      args: [artist.id],
    });
    const current = await tx.execute({
      sql: `SELECT userId FROM TattooArtist WHERE id = ?`,
      args: [artist.id],
    });
    const userId = current.rows[0]?.userId;
    if (typeof userId === "string")
      await tx.execute({
        sql: `DELETE FROM FestivalMember WHERE festivalId = ? AND userId = ? AND role = 'artist'`,
        args: [artist.festivalId, userId],
      });
    // Open slots without bookings go with the artist (ON DELETE CASCADE; the trigger refuses held ones).
    await tx.execute({ sql: `DELETE FROM TattooArtist WHERE id = ?`, args: [artist.id] });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooArtist.delete",
          targetType: "tattooArtist",
          targetId: artist.id,
          festivalId: artist.festivalId,
          details: { images: images.rows.length },
        },
      },
      now,
    );
    return images.rows.flatMap((r) => [String(r.file), String(r.thumbFile)]);
  });
  await removeImageFiles(files);
}

export class AccountNotFoundError extends DomainError {
  constructor() {
    super(422, "validation_failed", "Some fields are missing or invalid.", {
      fields: { email: "v.noSuchAccount" },
    });
  }
}

/**
 * Link an artist to an existing account (by email): the account gets the
 * festival role "artist" unless it is on the festival's team already (an
 * organiser or door membership stays as it is). An account runs one artist of
 * a festival; a link to another account replaces the earlier one.
 */
export async function linkArtistAccount(actor: CurrentUser, artist: ArtistRow, address: string) {
  await refuseIfCancelled(artist.festivalId);
  const user = await prisma.user.findUnique({
    where: { email: address },
    select: { id: true, disabledAt: true },
  });
  if (!user || user.disabledAt) throw new AccountNotFoundError();
  const now = new Date();
  await writeTransaction(async (tx) => {
    const other = await tx.execute({
      sql: `SELECT id FROM TattooArtist WHERE festivalId = ? AND userId = ? AND id <> ?`,
      args: [artist.festivalId, user.id, artist.id],
    });
    if (other.rows.length)
      throw DomainError.conflict(
        "account_linked",
        "This account runs another artist of the festival already.",
      );
    const current = await tx.execute({
      sql: `SELECT userId FROM TattooArtist WHERE id = ?`,
      args: [artist.id],
    });
    const previous = current.rows[0]?.userId;
    if (typeof previous === "string" && previous !== user.id)
      await tx.execute({
        sql: `DELETE FROM FestivalMember WHERE festivalId = ? AND userId = ? AND role = 'artist'`,
        args: [artist.festivalId, previous],
      });
    await tx.execute({
      sql: `INSERT INTO FestivalMember (id, festivalId, userId, role, createdAt) VALUES (?, ?, ?, 'artist', ?)
            ON CONFLICT (festivalId, userId) DO NOTHING`,
      args: [randomToken(16), artist.festivalId, user.id, sqlDate(now)],
    });
    await tx.execute({
      sql: `UPDATE TattooArtist SET userId = ?, updatedAt = ? WHERE id = ?`,
      args: [user.id, sqlDate(now), artist.id],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooArtist.link",
          targetType: "tattooArtist",
          targetId: artist.id,
          festivalId: artist.festivalId,
          details: { userId: user.id },
        },
      },
      now,
    );
  });
  return { id: artist.id, userId: user.id };
}

/** Unlink the account: it loses its artist membership (any other role it has stays). */
export async function unlinkArtistAccount(actor: CurrentUser, artist: ArtistRow) {
  await refuseIfCancelled(artist.festivalId);
  const now = new Date();
  await writeTransaction(async (tx) => {
    const current = await tx.execute({
      sql: `SELECT userId FROM TattooArtist WHERE id = ?`,
      args: [artist.id],
    });
    const userId = current.rows[0]?.userId;
    if (typeof userId !== "string") return;
    await tx.execute({
      sql: `DELETE FROM FestivalMember WHERE festivalId = ? AND userId = ? AND role = 'artist'`,
      args: [artist.festivalId, userId],
    });
    await tx.execute({
      sql: `UPDATE TattooArtist SET userId = NULL, updatedAt = ? WHERE id = ?`,
      args: [sqlDate(now), artist.id],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooArtist.unlink",
          targetType: "tattooArtist",
          targetId: artist.id,
          festivalId: artist.festivalId,
          details: { userId },
        },
      },
      now,
    );
  });
  return { id: artist.id };
}

// ---------------------------------------------------------------- pictures

type WriteTx = Awaited<ReturnType<Client["transaction"]>>;

/** Insert a stored picture's row inside `tx`; the caller owns the transaction. */
async function insertImage(
  tx: WriteTx,
  artistId: string,
  kind: "portfolio" | "flash",
  stored: StoredImage,
  at: Date,
) {
  const { rows } = await tx.execute({
    sql: `SELECT count(*) AS n, coalesce(max(position) + 1, 0) AS next FROM TattooImage WHERE artistId = ? AND kind = ?`,
    args: [artistId, kind],
  });
  const limit = kind === "portfolio" ? MAX_IMAGES_PER_ARTIST : MAX_FLASH_PER_ARTIST;
  if (Number(rows[0]?.n ?? 0) >= limit)
    throw DomainError.conflict("too_many_images", `An artist has at most ${limit} such pictures.`);
  const id = randomToken(16);
  await tx.execute({
    sql: `INSERT INTO TattooImage (id, artistId, kind, file, thumbFile, width, height, bytes, position, createdAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      artistId,
      kind,
      stored.file,
      stored.thumbFile,
      stored.width,
      stored.height,
      stored.bytes,
      Number(rows[0]?.next ?? 0),
      sqlDate(at),
    ],
  });
  return id;
}

/**
 * Store `fn`'s files first, then run the write; if the write fails (a refused
 * rule, a lost race), the files go again: nothing is left half-stored.
 */
async function withStoredImage<T>(
  bytes: Buffer | null,
  fn: (stored: StoredImage | null) => Promise<T>,
): Promise<T> {
  const stored = bytes ? await storeImage(bytes) : null;
  try {
    return await fn(stored);
  } catch (error) {
    if (stored) await removeImageFiles([stored.file, stored.thumbFile]);
    throw error;
  }
}

export async function addPortfolioImage(actor: CurrentUser, artist: ArtistRow, bytes: Buffer) {
  await refuseIfCancelled(artist.festivalId);
  return withStoredImage(bytes, async (stored) => {
    const now = new Date();
    return writeTransaction(async (tx) => {
      const id = await insertImage(tx, artist.id, "portfolio", stored!, now);
      await writeChange(
        tx,
        {
          audit: {
            actorUserId: actor.id,
            action: "tattooImage.add",
            targetType: "tattooImage",
            targetId: id,
            festivalId: artist.festivalId,
            details: { artistId: artist.id, kind: "portfolio", bytes: stored!.bytes },
          },
        },
        now,
      );
      return { id, url: mediaUrl(stored!.file), thumbUrl: mediaUrl(stored!.thumbFile) };
    });
  });
}

/** The artist a picture belongs to, checked for `user` (404 for anything not theirs). */
export async function imageArtistFor(user: CurrentUser, imageId: string | undefined) {
  return artistFor(user, await ownerOf("TattooImage", imageId), "tattoo:artist");
}

/** Remove a picture and its files (a flash design showing it keeps its other fields). */
export async function removeImage(actor: CurrentUser, artist: ArtistRow, imageId: string) {
  await refuseIfCancelled(artist.festivalId);
  const now = new Date();
  const files = await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT file, thumbFile, kind FROM TattooImage WHERE id = ? AND artistId = ?`,
      args: [imageId, artist.id],
    });
    const row = rows[0];
    if (!row) throw DomainError.notFound();
    await tx.execute({ sql: `DELETE FROM TattooImage WHERE id = ?`, args: [imageId] });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooImage.remove",
          targetType: "tattooImage",
          targetId: imageId,
          festivalId: artist.festivalId,
          details: { artistId: artist.id, kind: String(row.kind) },
        },
      },
      now,
    );
    return [String(row.file), String(row.thumbFile)];
  });
  await removeImageFiles(files);
}

/** Put an artist's portfolio in the order given (ids not named keep their place after them). */
export async function reorderPortfolio(actor: CurrentUser, artist: ArtistRow, imageIds: string[]) {
  await refuseIfCancelled(artist.festivalId);
  const now = new Date();
  await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT id FROM TattooImage WHERE artistId = ? AND kind = 'portfolio' ORDER BY position, createdAt, id`,
      args: [artist.id],
    });
    const existing = rows.map((r) => String(r.id));
    const unknown = imageIds.filter((id) => !existing.includes(id));
    if (unknown.length) throw new FieldRulesError({ imageIds: "v.unknownImage" });
    const order = [...new Set(imageIds), ...existing.filter((id) => !imageIds.includes(id))];
    for (const [position, id] of order.entries())
      await tx.execute({
        sql: `UPDATE TattooImage SET position = ? WHERE id = ?`,
        args: [position, id],
      });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "tattooImage.reorder",
          targetType: "tattooArtist",
          targetId: artist.id,
          festivalId: artist.festivalId,
        },
      },
      now,
    );
  });
}

// ---------------------------------------------------------------- flash designs

export async function createFlash(
  actor: CurrentUser,
  artist: ArtistRow,
  input: FlashInput,
  image: Buffer | null,
) {
  await refuseIfCancelled(artist.festivalId);
  return withStoredImage(image, async (stored) => {
    const now = new Date();
    const id = randomToken(16);
    await writeTransaction(async (tx) => {
      const { rows } = await tx.execute({
        sql: `SELECT count(*) AS n, coalesce(max(position) + 1, 0) AS next FROM FlashDesign WHERE artistId = ?`,
        args: [artist.id],
      });
      if (Number(rows[0]?.n ?? 0) >= MAX_FLASH_PER_ARTIST)
        throw DomainError.conflict(
          "too_many_flash",
          `An artist has at most ${MAX_FLASH_PER_ARTIST} flash designs.`,
        );
      const imageId = stored ? await insertImage(tx, artist.id, "flash", stored, now) : null;
      await tx.execute({
        sql: `INSERT INTO FlashDesign (id, festivalId, artistId, imageId, title, size, minDonationMinor, maxUses, reserved, status, position, createdAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'available', ?, ?)`,
        args: [
          id,
          artist.festivalId,
          artist.id,
          imageId,
          input.title,
          input.size ?? null,
          input.minDonationMinor,
          input.maxUses ?? null,
          Number(rows[0]?.next ?? 0),
          sqlDate(now),
        ],
      });
      await writeChange(
        tx,
        {
          audit: {
            actorUserId: actor.id,
            action: "flash.create",
            targetType: "flashDesign",
            targetId: id,
            festivalId: artist.festivalId,
            details: {
              artistId: artist.id,
              minDonationMinor: input.minDonationMinor,
              maxUses: input.maxUses ?? null,
              image: Boolean(stored),
            },
          },
        },
        now,
      );
    });
    return { id };
  });
}

/** The artist a flash design belongs to, checked for `user`. */
export async function flashArtistFor(user: CurrentUser, flashId: string | undefined) {
  return artistFor(user, await ownerOf("FlashDesign", flashId), "tattoo:artist");
}

export class FlashBelowReservedError extends DomainError {
  constructor(reserved: number) {
    super(
      409,
      "flash_uses_taken",
      `This design is held or booked ${reserved} time(s) already: its number of uses cannot go below that.`,
      { fields: { maxUses: `v.flashBelowReserved|${reserved}` } },
    );
  }
}

export async function updateFlash(
  actor: CurrentUser,
  artist: ArtistRow,
  flashId: string,
  patch: FlashPatch,
) {
  await refuseIfCancelled(artist.festivalId);
  const now = new Date();
  await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT reserved FROM FlashDesign WHERE id = ? AND artistId = ?`,
      args: [flashId, artist.id],
    });
    if (!rows[0]) throw DomainError.notFound();
    const reserved = Number(rows[0].reserved);
    // Inside the write transaction: no booking can take a use between this read and the update.
    if (patch.maxUses !== undefined && patch.maxUses !== null && patch.maxUses < reserved)
      throw new FlashBelowReservedError(reserved);
    const sets: string[] = [];
    const args: InValue[] = [];
    const set = (column: string, value: InValue) => {
      sets.push(`"${column}" = ?`);
      args.push(value);
    };
    if (patch.title !== undefined) set("title", patch.title);
    if (patch.size !== undefined) set("size", patch.size ?? null);
    if (patch.minDonationMinor !== undefined) set("minDonationMinor", patch.minDonationMinor);
    if (patch.maxUses !== undefined) set("maxUses", patch.maxUses);
    if (patch.status !== undefined) set("status", patch.status);
    if (sets.length)
      await tx.execute({
        sql: `UPDATE FlashDesign SET ${sets.join(", ")} WHERE id = ?`,
        args: [...args, flashId],
      });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "flash.update",
          targetType: "flashDesign",
          targetId: flashId,
          festivalId: artist.festivalId,
          details: {
            fields: Object.keys(patch),
            ...(patch.status ? { status: patch.status } : {}),
            ...(patch.maxUses !== undefined ? { maxUses: patch.maxUses } : {}),
            ...(patch.minDonationMinor !== undefined
              ? { minDonationMinor: patch.minDonationMinor }
              : {}),
          },
        },
      },
      now,
    );
  });
  return { id: flashId };
}
