// What the festival page reads of the artists and their slots, in the shape the
// shop shows. TEMPORARY reads of the tables until the artists' and the
// schedule's modules land (publicArtists, listSlots): then these two functions
// only adapt their answers.
import { dateFromSql, sqlClient } from "~/utils/db.server";
import { parseJsonObject } from "./festival.server";
import { textIn } from "./ticket-type.server";

export type PublicArtistView = {
  id: string;
  name: string;
  bio: string;
  portfolio: { id: string; thumbUrl: string; width: number; height: number }[];
  flash: {
    id: string;
    title: string;
    size: string | null;
    minDonationMinor: number;
    remaining: number | null;
    thumbUrl: string | null;
  }[];
};

export type PublicSlotView = {
  id: string;
  artistId: string;
  startsAt: string;
  endsAt: string;
  minDonationMinor: number;
};

const mediaUrl = (file: string) => `/media/${encodeURIComponent(file)}`;

export async function publicArtists(
  festivalId: string,
  locale: string,
): Promise<PublicArtistView[]> {
  const db = sqlClient();
  const [artists, images, flash] = await Promise.all([
    db.execute({
      sql: "SELECT id, name, bio FROM TattooArtist WHERE festivalId = ? ORDER BY position, createdAt",
      args: [festivalId],
    }),
    db.execute({
      sql: `SELECT i.id, i.artistId, i.thumbFile, i.width, i.height FROM TattooImage i
            JOIN TattooArtist a ON a.id = i.artistId
            WHERE a.festivalId = ? AND i.kind = 'portfolio' ORDER BY i.position, i.createdAt`,
      args: [festivalId],
    }),
    db.execute({
      sql: `SELECT d.id, d.artistId, d.title, d.size, d.minDonationMinor, d.maxUses, d.reserved, i.thumbFile
            FROM FlashDesign d LEFT JOIN TattooImage i ON i.id = d.imageId
            WHERE d.festivalId = ? AND d.status = 'available' AND (d.maxUses IS NULL OR d.reserved < d.maxUses)
            ORDER BY d.position, d.createdAt`,
      args: [festivalId],
    }),
  ]);
  return artists.rows.map((a) => ({
    id: String(a.id),
    name: String(a.name),
    bio: textIn(parseJsonObject(String(a.bio)), locale),
    portfolio: images.rows
      .filter((i) => i.artistId === a.id)
      .map((i) => ({
        id: String(i.id),
        thumbUrl: mediaUrl(String(i.thumbFile)),
        width: Number(i.width),
        height: Number(i.height),
      })),
    flash: flash.rows
      .filter((d) => d.artistId === a.id)
      .map((d) => ({
        id: String(d.id),
        title: String(d.title),
        size: d.size === null ? null : String(d.size),
        minDonationMinor: Number(d.minDonationMinor),
        remaining: d.maxUses === null ? null : Number(d.maxUses) - Number(d.reserved),
        thumbUrl: d.thumbFile === null ? null : mediaUrl(String(d.thumbFile)),
      })),
  }));
}

/** Free slots that can still be booked online, soonest first (never who holds the others). */
export async function publicSlots(festivalId: string, now: Date): Promise<PublicSlotView[]> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes FROM TattooSlot
          WHERE festivalId = ? AND status = 'open' AND reserved = 0 ORDER BY startsAt`,
    args: [festivalId],
  });
  return rows
    .map((r) => ({
      id: String(r.id),
      artistId: String(r.artistId),
      startsAt: dateFromSql(r.startsAt),
      endsAt: dateFromSql(r.endsAt),
      minDonationMinor: Number(r.minDonationMinor),
      notice: Number(r.minNoticeMinutes) * 60_000,
    }))
    .filter((s) => s.startsAt.getTime() - s.notice > now.getTime())
    .map((s) => ({
      id: s.id,
      artistId: s.artistId,
      startsAt: s.startsAt.toISOString(),
      endsAt: s.endsAt.toISOString(),
      minDonationMinor: s.minDonationMinor,
    }));
}
