// The "Donation tattoos" part of a festival page: the artists with their bio,
// portfolio and flash, their free slots by the festival's local day, and the
// festival's cancellation rule, stated before anyone pays. Public data only:
// never who booked a slot, never an artist's contact or account.
import { sqlClient } from "~/utils/db.server";
import { localDay } from "./item-kinds/tattoo-slot.server";
import { publicArtists, publicSlots } from "./tattoo-public.server";

export type ShopSlot = {
  id: string;
  startsAt: string;
  endsAt: string;
  minDonationMinor: number;
};

export type ShopDay = { day: string; slots: ShopSlot[] };

export type ShopArtist = {
  id: string;
  name: string;
  bio: string;
  portfolio: { id: string; thumbUrl: string; width: number; height: number }[];
  flash: {
    id: string;
    title: string;
    size: string | null;
    minDonationMinor: number;
    /** Uses left (null: unlimited). */
    remaining: number | null;
    thumbUrl: string | null;
  }[];
  /** Free slots, soonest first, by the festival's local date ("2026-06-13"). */
  days: ShopDay[];
};

export type TattooShop = {
  artists: ShopArtist[];
  cancelHours: number;
  cancelPolicy: "refund" | "keep";
  /** Whether anything can be booked now (some artist has a free slot). */
  bookable: boolean;
};

/** What the festival page offers of the tattoo corner, in the reader's language. */
export async function tattooShopFor(
  festival: { id: string; timezone: string },
  locale: string,
  now = new Date(),
): Promise<TattooShop | null> {
  const [artists, slots, settings] = await Promise.all([
    publicArtists(festival.id, locale),
    publicSlots(festival.id, now),
    sqlClient().execute({
      sql: "SELECT tattooCancelHours, tattooCancelPolicy FROM Festival WHERE id = ?",
      args: [festival.id],
    }),
  ]);
  if (artists.length === 0) return null;
  const byArtist = new Map<string, Map<string, ShopSlot[]>>();
  for (const s of slots) {
    const days = byArtist.get(s.artistId) ?? new Map<string, ShopSlot[]>();
    byArtist.set(s.artistId, days);
    const day = localDay(new Date(s.startsAt), festival.timezone);
    days.set(day, [
      ...(days.get(day) ?? []),
      { id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, minDonationMinor: s.minDonationMinor },
    ]);
  }
  const shown = artists.map((a) => ({
    ...a,
    days: [...(byArtist.get(a.id) ?? new Map<string, ShopSlot[]>()).entries()].map(
      ([day, list]) => ({ day, slots: list }),
    ),
  }));
  const row = settings.rows[0];
  return {
    artists: shown,
    cancelHours: Number(row?.tattooCancelHours ?? 12),
    cancelPolicy: row?.tattooCancelPolicy === "keep" ? "keep" : "refund",
    bookable: shown.some((a) => a.days.length > 0),
  };
}
