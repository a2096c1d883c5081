// Tattoo corner rows made directly (raw SQL, sqlDate times, as the app writes
// them): an artist, slots, a flash design. Domain tests of booking, waitlist
// and the corner build on these instead of going through the API each time.
import { randomToken } from "~/utils/crypto.server";
import { sqlClient, sqlDate } from "~/utils/db.server";

export async function createArtistRow(
  festivalId: string,
  init: { name?: string; userId?: string | null; prisonerId?: string | null } = {},
) {
  const id = randomToken(12);
  const now = sqlDate(new Date());
  await sqlClient().execute({
    sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, userId, prisonerId, createdAt, updatedAt)
          VALUES (?, ?, ?, '{}', ?, ?, ?, ?)`,
    args: [
      id,
      festivalId,
      init.name ?? `Artist ${id.slice(0, 4)}`,
      init.userId ?? null,
      init.prisonerId ?? null,
      now,
      now,
    ],
  });
  return { id };
}

/** A slot of `minutes` from `startsAt`, open and free. */
export async function createSlotRow(
  festivalId: string,
  artistId: string,
  startsAt: Date,
  init: { minutes?: number; minDonationMinor?: number; minNoticeMinutes?: number } = {},
) {
  const id = randomToken(12);
  const endsAt = new Date(startsAt.getTime() + (init.minutes ?? 45) * 60_000);
  await sqlClient().execute({
    sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, createdAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      festivalId,
      artistId,
      sqlDate(startsAt),
      sqlDate(endsAt),
      init.minDonationMinor ?? 2000,
      init.minNoticeMinutes ?? 0,
      sqlDate(new Date()),
    ],
  });
  return { id, startsAt, endsAt };
}

/** `count` back-to-back slots of 45 minutes from `from`. */
export async function createSlotRows(
  festivalId: string,
  artistId: string,
  from: Date,
  count: number,
  init: { minDonationMinor?: number } = {},
) {
  const slots = [];
  for (let i = 0; i < count; i++)
    slots.push(
      await createSlotRow(festivalId, artistId, new Date(from.getTime() + i * 60 * 60_000), init),
    );
  return slots;
}

export async function createFlashRow(
  festivalId: string,
  artistId: string,
  init: { title?: string; minDonationMinor?: number; maxUses?: number | null } = {},
) {
  const id = randomToken(12);
  await sqlClient().execute({
    sql: `INSERT INTO FlashDesign (id, festivalId, artistId, title, minDonationMinor, maxUses, createdAt)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      festivalId,
      artistId,
      init.title ?? "Swallow",
      init.minDonationMinor ?? 3000,
      init.maxUses === undefined ? 3 : init.maxUses,
      sqlDate(new Date()),
    ],
  });
  return { id };
}

/** A slot's and its bookings' state, for assertions. */
export async function slotState(slotId: string) {
  const slot = await sqlClient().execute({
    sql: "SELECT reserved FROM TattooSlot WHERE id = ?",
    args: [slotId],
  });
  const bookings = await sqlClient().execute({
    sql: "SELECT status, holdsSlot FROM TattooBooking WHERE slotId = ? ORDER BY createdAt",
    args: [slotId],
  });
  return {
    reserved: Number(slot.rows[0]?.reserved),
    bookings: bookings.rows.map((r) => ({
      status: String(r.status),
      holdsSlot: Number(r.holdsSlot),
    })),
  };
}
