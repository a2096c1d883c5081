// Rows for the tattoo slot tests: artists, and a booking's state written
// directly (the order, its line and the TattooBooking the checkout would make,
// the slot's `reserved` taken) — the slot tests need the state, not the checkout.
import { randomBytes } from "node:crypto";
import { prisma, sqlClient, sqlDate } from "~/utils/db.server";

const id = () => randomBytes(12).toString("base64url");

/** A tattoo artist of a festival (optionally linked to an account, as a festival member with the role "artist"). */
export async function createArtistRow(
  festivalId: string,
  options: { name?: string; userId?: string } = {},
) {
  const artistId = id();
  const now = sqlDate(new Date());
  await sqlClient().execute({
    sql: `INSERT INTO TattooArtist (id, festivalId, name, userId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)`,
    args: [
      artistId,
      festivalId,
      options.name ?? `Artist ${artistId.slice(0, 4)}`,
      options.userId ?? null,
      now,
      now,
    ],
  });
  if (options.userId)
    await prisma.festivalMember.create({
      data: { festivalId, userId: options.userId, role: "artist" },
    });
  return artistId;
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
  const orderId = `ord_${id()}`;
  const code = `TAT-${id().slice(0, 6).toUpperCase()}`;
  await prisma.order.create({
    data: {
      id: orderId,
      festivalId,
      code,
      accessToken: id() + id(),
      email: options.email ?? null,
      name: options.name ?? null,
      status: options.status === "held" ? "pending" : "confirmed",
      paymentMethod: "door",
      currency: "EUR",
      totalMinor: amount,
      items: {
        create: {
          id: `itm_${id()}`,
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
