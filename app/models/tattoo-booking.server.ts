// Tattoo bookings as people see them: the booker's order page and emails (the
// time in the festival's zone, the artist, the design), the reminder the day
// before. The booking's rows are written by the item kind
// (app/models/item-kinds/tattoo-slot.server.ts); changes after the sale
// (cancel, reschedule, done, no-show) live beside it.
import { dateFromSql, sqlClient } from "~/utils/db.server";

export type TattooBookingView = {
  orderItemId: string;
  orderId: string;
  status: string;
  artistId: string;
  artistName: string;
  slotId: string;
  startsAt: string;
  endsAt: string;
  designTitle: string | null;
  donationMinor: number;
  dueMinor: number;
  walkIn: boolean;
};

const COLUMNS = `b.orderItemId, b.orderId, b.status, b.artistId, a.name AS artistName, b.slotId, s.startsAt, s.endsAt,
  d.title AS designTitle, i.amountMinor, b.dueMinor, b.walkIn`;
const FROM = `FROM TattooBooking b JOIN TattooArtist a ON a.id = b.artistId JOIN TattooSlot s ON s.id = b.slotId
  JOIN OrderItem i ON i.id = b.orderItemId LEFT JOIN FlashDesign d ON d.id = b.flashDesignId`;

function view(r: Record<string, unknown>): TattooBookingView {
  return {
    orderItemId: String(r.orderItemId),
    orderId: String(r.orderId),
    status: String(r.status),
    artistId: String(r.artistId),
    artistName: String(r.artistName),
    slotId: String(r.slotId),
    startsAt: dateFromSql(r.startsAt).toISOString(),
    endsAt: dateFromSql(r.endsAt).toISOString(),
    designTitle: r.designTitle === null ? null : String(r.designTitle),
    donationMinor: Number(r.amountMinor),
    dueMinor: Number(r.dueMinor),
    walkIn: Number(r.walkIn) === 1,
  };
}

/** An order's tattoo bookings, soonest first. */
export async function orderTattoos(orderId: string): Promise<TattooBookingView[]> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT ${COLUMNS} ${FROM} WHERE b.orderId = ? ORDER BY s.startsAt`,
    args: [orderId],
  });
  return rows.map((r) => view(r as Record<string, unknown>));
}

/** One booking with its order's festival and link, for the reminder. */
export async function tattooBooking(orderItemId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT ${COLUMNS}, o.accessToken, f.name AS festivalName, f.timezone, f.venueName, f.venueAddress
          ${FROM} JOIN "Order" o ON o.id = b.orderId JOIN Festival f ON f.id = b.festivalId
          WHERE b.orderItemId = ?`,
    args: [orderItemId],
  });
  const r = rows[0] as Record<string, unknown> | undefined;
  if (!r) return null;
  return {
    ...view(r),
    accessToken: String(r.accessToken),
    festival: {
      name: String(r.festivalName),
      timezone: String(r.timezone),
      venueName: String(r.venueName),
      venueAddress: String(r.venueAddress),
    },
  };
}
