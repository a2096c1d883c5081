// A tattoo booking the booker cancelled from their link: what became of the
// donation — refunded to the card, kept as a donation, or no longer due
// (app/models/tattoo-booking.server.ts, cancelTattooBooking).
import { tattooBooking } from "~/models/tattoo-booking.server";
import type { CancelOutcome } from "~/models/tattoo-manage.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime } from "~/utils/format";
import { isLocale, type Locale, type Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { LinesEmail, linesText } from "./layout";

export type TattooCancelledPayload = {
  /** Erasing an order finds its queued mail by `orderId` (app/models/privacy.server.ts). */
  orderId: string;
  orderItemId: string;
  outcome: CancelOutcome;
  amountMinor: number;
  currency: string;
};
type Booking = NonNullable<Awaited<ReturnType<typeof tattooBooking>>>;
export type TattooCancelledData = Booking &
  Omit<TattooCancelledPayload, "orderId" | "orderItemId"> & { orderUrl: string; lang: Locale };

export async function load(payload: TattooCancelledPayload, locale: string) {
  const booking = await tattooBooking(payload.orderItemId);
  if (!booking) throw new Error(`tattoo booking ${payload.orderItemId} not found`);
  return {
    ...booking,
    outcome: payload.outcome,
    amountMinor: payload.amountMinor,
    currency: payload.currency,
    orderUrl: `${publicUrl()}/orders/${booking.accessToken}`,
    lang: isLocale(locale) ? locale : "en",
  } satisfies TattooCancelledData;
}

export function subject(t: Translate, data: TattooCancelledData) {
  return t("email.tattooCancelled.subject", {
    artist: data.artistName,
    festival: data.festival.name,
  });
}

function lines(t: Translate, data: TattooCancelledData) {
  const amount = formatMoney(data.amountMinor, data.currency, data.lang);
  return [
    t("email.tattooCancelled.intro", {
      artist: data.artistName,
      time: formatDateTime(data.startsAt, data.lang, data.festival.timezone),
      zone: data.festival.timezone,
    }),
    data.outcome === "refunded"
      ? t("email.tattooCancelled.refunded", { amount })
      : data.outcome === "kept"
        ? t("email.tattooCancelled.kept", { amount })
        : t("email.tattooCancelled.released"),
  ];
}

const link = (t: Translate, data: TattooCancelledData) => ({
  href: data.orderUrl,
  label: t("email.order.link"),
});

export function Html({ t, lang, data }: { t: Translate; lang: string; data: TattooCancelledData }) {
  return (
    <LinesEmail lang={lang} title={subject(t, data)} lines={lines(t, data)} link={link(t, data)} />
  );
}

export function text(t: Translate, data: TattooCancelledData) {
  return linesText(lines(t, data), link(t, data));
}
