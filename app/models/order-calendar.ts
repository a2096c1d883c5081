// An order's festival as a calendar event (UTC times in the file, so every
// calendar shows them right in its own zone): the order page's download
// (orders.$token.calendar[.]ics.ts) and the ticket email's attachment are this
// one event. Never the buyer's address or the order's secret link.
import type { CalendarEvent } from "~/utils/ics";

export function orderCalendarEvent(args: {
  orderId: string;
  festival: {
    name: string;
    startsAt: string | Date;
    endsAt: string | Date;
    venueName: string;
    venueAddress: string;
  };
  festivalUrl: string;
}): CalendarEvent {
  const f = args.festival;
  return {
    uid: `${args.orderId}@solidarity-festivals`,
    startsAt: f.startsAt,
    endsAt: f.endsAt,
    summary: f.name,
    location: `${f.venueName}, ${f.venueAddress}`,
    url: args.festivalUrl,
  };
}
