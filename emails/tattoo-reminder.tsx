// The reminder the day before a tattoo: queued in the outbox when the booking
// is made (due 24 hours before the slot), withdrawn if the booking is
// cancelled or moved; the outbox sends each row once (app/utils/email.server.ts).
import { tattooBooking } from "~/models/tattoo-booking.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime } from "~/utils/format";
import { isLocale, type Locale, type Translate } from "~/utils/i18n";
import { LinesEmail, linesText } from "./layout";

/** `orderId` too: erasing an order finds its queued mail by it (app/models/privacy.server.ts). */
export type TattooReminderPayload = { orderId: string; orderItemId: string };
type Booking = NonNullable<Awaited<ReturnType<typeof tattooBooking>>>;
export type TattooReminderData = Booking & { orderUrl: string; lang: Locale };

export async function load(payload: TattooReminderPayload, locale: string) {
  const booking = await tattooBooking(payload.orderItemId);
  if (!booking) throw new Error(`tattoo booking ${payload.orderItemId} not found`);
  return {
    ...booking,
    orderUrl: `${publicUrl()}/orders/${booking.accessToken}`,
    lang: isLocale(locale) ? locale : "en",
  } satisfies TattooReminderData;
}

export function subject(t: Translate, data: TattooReminderData) {
  return t("email.tattooReminder.subject", {
    artist: data.artistName,
    festival: data.festival.name,
  });
}

function lines(t: Translate, data: TattooReminderData) {
  const f = data.festival;
  return [
    t("email.tattooReminder.intro", {
      artist: data.artistName,
      time: formatDateTime(data.startsAt, data.lang, f.timezone),
      zone: f.timezone,
    }),
    t("email.tattooReminder.where", { venue: f.venueName, address: f.venueAddress }),
  ];
}

const link = (t: Translate, data: TattooReminderData) => ({
  href: data.orderUrl,
  label: t("email.tattooReminder.manage"),
});

export function Html({ t, lang, data }: { t: Translate; lang: string; data: TattooReminderData }) {
  return (
    <LinesEmail lang={lang} title={subject(t, data)} lines={lines(t, data)} link={link(t, data)} />
  );
}

export function text(t: Translate, data: TattooReminderData) {
  return linesText(lines(t, data), link(t, data));
}
