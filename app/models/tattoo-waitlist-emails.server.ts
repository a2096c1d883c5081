// What the tattoo waitlist's emails show, read when they are sent (the outbox
// row holds only ids and the link's secret). Kept apart from
// tattoo-waitlist.server.ts so that the email catalogue does not load the
// checkout's item kinds.
import { dateFromSql, sqlClient } from "~/utils/db.server";

/** The joined email's data, read when it is sent. */
export async function waitlistEmailData(waitlistId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT w.day, a.name AS artistName, f.name AS festivalName, d.title AS designTitle
          FROM TattooWaitlist w JOIN TattooArtist a ON a.id = w.artistId JOIN Festival f ON f.id = w.festivalId
          LEFT JOIN FlashDesign d ON d.id = w.flashDesignId WHERE w.id = ?`,
    args: [waitlistId],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    day: String(r.day),
    artistName: String(r.artistName),
    festivalName: String(r.festivalName),
    designTitle: r.designTitle === null ? null : String(r.designTitle),
  };
}

/** The offer email's data, read when it is sent. */
export async function offerEmailData(offerId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT o.expiresAt, s.startsAt, s.minDonationMinor, a.name AS artistName, d.title AS designTitle,
                 d.minDonationMinor AS designMinor, f.name AS festivalName, f.timezone, f.currency, f.tattooOfferMinutes,
                 f.venueName, f.venueAddress
          FROM TattooOffer o JOIN TattooSlot s ON s.id = o.slotId JOIN TattooArtist a ON a.id = s.artistId
          JOIN TattooWaitlist w ON w.id = o.waitlistId JOIN Festival f ON f.id = o.festivalId
          LEFT JOIN FlashDesign d ON d.id = w.flashDesignId WHERE o.id = ?`,
    args: [offerId],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    startsAt: dateFromSql(r.startsAt).toISOString(),
    expiresAt: dateFromSql(r.expiresAt).toISOString(),
    artistName: String(r.artistName),
    festivalName: String(r.festivalName),
    timezone: String(r.timezone),
    currency: String(r.currency),
    venueName: String(r.venueName),
    minDonationMinor: Math.max(Number(r.minDonationMinor), Number(r.designMinor ?? 0)),
    designTitle: r.designTitle === null ? null : String(r.designTitle),
    offerMinutes: Number(r.tattooOfferMinutes),
  };
}
