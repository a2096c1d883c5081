// A tattoo booking the booker moved to another time from their link: the new
// time in the festival's zone (and the old one), with the link to the order
// (app/models/tattoo-booking.server.ts, rescheduleTattooBooking).
import { tattooBooking } from "~/models/tattoo-booking.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime } from "~/utils/format";
import { isLocale, type Locale, type Translate } from "~/utils/i18n";
import { LinesEmail, linesText } from "./layout";

/** `orderId`: erasing an order finds its queued mail by it (app/models/privacy.server.ts). */
export type TattooMovedPayload = { orderId: string; orderItemId: string; fromStartsAt: string };
type Booking = NonNullable<Awaited<ReturnType<typeof tattooBooking>>>;
export type TattooMovedData = Booking & {
  fromStartsAt: string;
  orderUrl: string;
  lang: Locale;
};

export async function load(payload: TattooMovedPayload, locale: string) {
  const booking = await tattooBooking(payload.orderItemId);
  if (!booking) throw new Error(`tattoo booking ${payload.orderItemId} not found`);
  return {
    ...booking,
    fromStartsAt: payload.fromStartsAt,
    orderUrl: `${publicUrl()}/orders/${booking.accessToken}`,
    lang: isLocale(locale) ? locale : "en",
  } satisfies TattooMovedData;
}

export function subject(t: Translate, data: TattooMovedData) {
  return t("email.tattooMoved.subject", { artist: data.artistName, festival: data.festival.name });
}

function lines(t: Translate, data: TattooMovedData) {
  const f = data.festival;
  return [
    t("email.tattooMoved.intro", {
      artist: data.artistName,
      time: formatDateTime(data.startsAt, data.lang, f.timezone),
      zone: f.timezone,
    }),
    t("email.tattooMoved.was", { time: formatDateTime(data.fromStartsAt, data.lang, f.timezone) }),
    t("email.tattooReminder.where", { venue: f.venueName, address: f.venueAddress }),
  ];
}

const link = (t: Translate, data: TattooMovedData) => ({
  href: data.orderUrl,
  label: t("email.tattooReminder.manage"),
});

export function Html({ t, lang, data }: { t: Translate; lang: string; data: TattooMovedData }) {
  return (
    <LinesEmail lang={lang} title={subject(t, data)} lines={lines(t, data)} link={link(t, data)} />
  );
}

export function text(t: Translate, data: TattooMovedData) {
  return linesText(lines(t, data), link(t, data));
}
