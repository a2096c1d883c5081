// A tattoo booking the booker cancelled from their link: what became of the
// donation — refunded to the card, kept as a donation, or no longer due
// (app/models/tattoo-booking.server.ts, cancelTattooBooking).
import { tattooBooking } from "~/models/tattoo-booking.server";
import type { CancelOutcome } from "~/models/tattoo-manage.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime } from "~/utils/format";
import { isLocale, type Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { EmailLayout } from "./layout";

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
  Omit<TattooCancelledPayload, "orderId" | "orderItemId"> & { orderUrl: string; lang: "en" | "ru" };

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

export function Html({ t, lang, data }: { t: Translate; lang: string; data: TattooCancelledData }) {
  return (
    <EmailLayout lang={lang} title={subject(t, data)}>
      {lines(t, data).map((line) => (
        <p key={line}>{line}</p>
      ))}
      <p>
        <a href={data.orderUrl}>{t("email.order.link")}</a>
      </p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: TattooCancelledData) {
  return [...lines(t, data), "", `${t("email.order.link")}: ${data.orderUrl}`].join("\n");
}
