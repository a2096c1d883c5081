// Tattoo corner rows made directly (raw SQL, sqlDate times, as the app writes
// them): an artist, slots, a flash design, and a booking's state without the
// checkout. Domain tests of booking, slots, waitlist and the corner build on
// these instead of going through the API each time.
import { randomBytes } from "node:crypto";
import { randomToken } from "~/utils/crypto.server";
import { prisma, sqlClient, sqlDate } from "~/utils/db.server";

const rowId = () => randomBytes(12).toString("base64url");

/** A tattoo artist; linked to `userId`, it is also a festival member with the role "artist". */
export async function createArtistRow(
  festivalId: string,
  init: { name?: string; userId?: string | null; prisonerId?: string | null } = {},
) {
  const id = randomToken(12);
  const now = sqlDate(new Date());
  await sqlClient().execute({
    // Placed after the festival's other artists, as adding one in the app does: the festival
    // page lists them by position (two artists made in the same millisecond would otherwise
    // come in the order of their random ids).
    sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, userId, prisonerId, position, createdAt, updatedAt)
          VALUES (?, ?2, ?, '{}', ?, ?, (SELECT count(*) FROM TattooArtist WHERE festivalId = ?2), ?, ?)`,
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
  // As linking does: the artist role only for someone not on the team already.
  if (
    init.userId &&
    !(await prisma.festivalMember.findFirst({ where: { festivalId, userId: init.userId } }))
  )
    await prisma.festivalMember.create({
      data: { festivalId, userId: init.userId, role: "artist" },
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

/**
 * A confirmed order holding `slotId` (booked, or still `held` while paying): its
 * line, the TattooBooking row and the slot's `reserved` = 1. Returns the order.
 */
export async function bookSlotDirectly(
  slotId: string,
  options: { email?: string; name?: string; status?: "held" | "booked" } = {},
) {
  const slot = (
    await sqlClient().execute({
      sql: `SELECT festivalId, artistId, minDonationMinor FROM TattooSlot WHERE id = ?`,
      args: [slotId],
    })
  ).rows[0]!;
  const festivalId = String(slot.festivalId);
  const amount = Number(slot.minDonationMinor);
  const orderId = `ord_${rowId()}`;
  const code = `TAT-${rowId().slice(0, 6).toUpperCase()}`;
  await prisma.order.create({
    data: {
      id: orderId,
      festivalId,
      code,
      accessToken: rowId() + rowId(),
      email: options.email ?? null,
      name: options.name ?? null,
      status: options.status === "held" ? "pending" : "confirmed",
      paymentMethod: "door",
      currency: "EUR",
      totalMinor: amount,
      items: {
        create: {
          id: `itm_${rowId()}`,
          kind: "tattoo_slot",
          quantity: 1,
          unitPriceMinor: amount,
          amountMinor: amount,
        },
      },
    },
  });
  const item = await prisma.orderItem.findFirstOrThrow({ where: { orderId } });
  const now = sqlDate(new Date());
  await sqlClient().batch(
    [
      {
        sql: `INSERT INTO TattooBooking (orderItemId, orderId, festivalId, artistId, slotId, status, holdsSlot, createdAt, updatedAt)
              VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        args: [
          item.id,
          orderId,
          festivalId,
          String(slot.artistId),
          slotId,
          options.status ?? "booked",
          now,
          now,
        ],
      },
      { sql: `UPDATE TattooSlot SET reserved = reserved + 1 WHERE id = ?`, args: [slotId] },
    ],
    "write",
  );
  return { orderId, code, orderItemId: item.id };
}

/** Let a booking go (cancelled): the row stays and names the slot, the slot is free again. */
export async function cancelBookingDirectly(orderItemId: string, slotId: string) {
  await sqlClient().batch(
    [
      {
        sql: `UPDATE TattooBooking SET status = 'cancelled', holdsSlot = 0 WHERE orderItemId = ?`,
        args: [orderItemId],
      },
      { sql: `UPDATE TattooSlot SET reserved = reserved - 1 WHERE id = ?`, args: [slotId] },
    ],
    "write",
  );
}
