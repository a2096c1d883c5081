// A tattoo booking as a calendar event: the slot (UTC in the file), the artist,
// the design or "custom", the donation, the festival's venue and public page.
// The confirmation email's attachment and the order page's download are this
// one event. Never the buyer's address or the order's secret link.
import type { CalendarEvent } from "~/utils/ics";
import { translator, type Locale } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";

export function tattooCalendarEvent(args: {
  booking: {
    orderItemId: string;
    artistName: string;
    startsAt: string;
    endsAt: string;
    designTitle: string | null;
    donationMinor: number;
  };
  festival: { name: string; venueName: string; venueAddress: string };
  festivalUrl: string;
  currency: string;
  lang: Locale;
}): CalendarEvent {
  const { booking, festival: f } = args;
  const t = translator(args.lang);
  return {
    uid: `tattoo-${booking.orderItemId}@solidarity-festivals`,
    startsAt: booking.startsAt,
    endsAt: booking.endsAt,
    summary: t("tattooBooking.icsSummary", { artist: booking.artistName, festival: f.name }),
    location: t("tattooBooking.icsWhere", { venue: f.venueName, address: f.venueAddress }),
    description: [
      booking.designTitle
        ? t("tattooBooking.design", { title: booking.designTitle })
        : t("tattooBooking.custom"),
      t("tattooBooking.donation", {
        amount: formatMoney(booking.donationMinor, args.currency, args.lang),
      }),
    ].join("\n"),
    url: args.festivalUrl,
  };
}
