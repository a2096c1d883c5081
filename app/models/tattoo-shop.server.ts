// The "Donation tattoos" part of a festival page: the artists with their bio,
// portfolio and flash, their free slots by the festival's local day, and the
// festival's cancellation rule, stated before anyone pays. Public data only:
// never who booked a slot, never an artist's contact or account.
import { sqlClient } from "~/utils/db.server";
import { publicArtists } from "./tattoo-artist.server";
import { listSlots } from "./tattoo-slot.server";

export type ShopSlot = {
  id: string;
  startsAt: string;
  endsAt: string;
  minDonationMinor: number;
};

/** A local day an artist has free slots on: the day ("2026-06-13"), its first slot's start, how many are free. */
export type ShopDay = { day: string; firstStartsAt: string; free: number };

export type ShopArtist = {
  id: string;
  name: string;
  bio: string;
  portfolio: { thumbUrl: string; width: number; height: number }[];
  flash: {
    id: string;
    title: string;
    size: string | null;
    minDonationMinor: number;
    /** Uses left (null: unlimited). */
    remaining: number | null;
    thumbUrl: string | null;
  }[];
  /** The local days with free slots, soonest first (the slots themselves: `chosen`). */
  days: ShopDay[];
};

/**
 * The one artist's day whose free slots the page lists (a festival may have
 * thousands of slots: the page names the days, and lists one day's times).
 */
export type ChosenDay = { artistId: string; day: string; slots: ShopSlot[] };

export type TattooShop = {
  artists: ShopArtist[];
  cancelHours: number;
  cancelPolicy: "refund" | "keep";
  /** Whether anything can be booked now (some artist has a free slot). */
  bookable: boolean;
  /** The day listed: the one asked for (?artist=&day=), else the soonest free day of the first artist with one. */
  chosen: ChosenDay | null;
};

/** What the page's `?artist=…&day=…` asks for, when it looks like an id and a date (else nothing). */
export function readDayChoice(params: URLSearchParams): { artistId: string; day: string } | null {
  const artistId = params.get("artist") ?? "";
  const day = params.get("day") ?? "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(artistId) || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  return { artistId, day };
}

/** What the festival page offers of the tattoo corner, in the reader's language. */
export async function tattooShopFor(
  festival: { id: string; timezone: string; status: string },
  locale: string,
  choice: { artistId: string; day: string } | null = null,
  now = new Date(),
): Promise<TattooShop | null> {
  const [artists, slots, settings] = await Promise.all([
    publicArtists(festival.id, locale),
    listSlots(festival, {}, now),
    sqlClient().execute({
      sql: "SELECT tattooCancelHours, tattooCancelPolicy FROM Festival WHERE id = ?",
      args: [festival.id],
    }),
  ]);
  if (artists.length === 0) return null;
  const byArtist = new Map<string, Map<string, ShopSlot[]>>();
  // Only what can be booked online now; a held slot is simply not offered (never who holds it).
  for (const s of slots.filter((x) => x.free)) {
    const days = byArtist.get(s.artistId) ?? new Map<string, ShopSlot[]>();
    byArtist.set(s.artistId, days);
    const day = s.day;
    days.set(day, [
      ...(days.get(day) ?? []),
      { id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, minDonationMinor: s.minDonationMinor },
    ]);
  }
  const shown = artists.map((a) => ({
    id: a.id,
    name: a.name,
    bio: a.bio,
    portfolio: a.portfolio.map(({ thumbUrl, width, height }) => ({ thumbUrl, width, height })),
    flash: a.flash.map((d) => ({
      id: d.id,
      title: d.title,
      size: d.size,
      minDonationMinor: d.minDonationMinor,
      remaining: d.remaining,
      thumbUrl: d.image?.thumbUrl ?? null,
    })),
    days: [...(byArtist.get(a.id) ?? new Map<string, ShopSlot[]>()).entries()].map(
      ([day, list]) => ({ day, firstStartsAt: list[0]!.startsAt, free: list.length }),
    ),
  }));
  const asked = choice && shown.some((a) => a.id === choice.artistId) ? choice : null;
  const first = shown.find((a) => a.days.length > 0);
  const pick = asked ?? (first ? { artistId: first.id, day: first.days[0]!.day } : null);
  const row = settings.rows[0];
  return {
    artists: shown,
    cancelHours: Number(row?.tattooCancelHours ?? 12),
    cancelPolicy: row?.tattooCancelPolicy === "keep" ? "keep" : "refund",
    bookable: shown.some((a) => a.days.length > 0),
    chosen: pick ? { ...pick, slots: byArtist.get(pick.artistId)?.get(pick.day) ?? [] } : null,
  };
}

/**
 * After a `sold_out` refusal of an order with a tattoo: what ran out — the
 * slot (someone else holds it now), the design's last use, or neither (then it
 * was the tickets). Says nothing of who holds it.
 */
export async function tattooSoldOut(
  slotId: string,
  flashDesignId: string | undefined,
): Promise<"slot" | "design" | null> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT (SELECT reserved FROM TattooSlot WHERE id = ?) AS slotReserved,
                 (SELECT maxUses IS NOT NULL AND reserved >= maxUses FROM FlashDesign WHERE id = ?) AS designUsedUp`,
    args: [slotId, flashDesignId ?? null],
  });
  const r = rows[0];
  if (Number(r?.slotReserved ?? 0) > 0) return "slot";
  if (Number(r?.designUsedUp ?? 0) === 1) return "design";
  return null;
}
