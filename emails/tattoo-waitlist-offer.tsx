// "A slot came free for you": the waitlist's offer, held for the festival's
// offer time. Carries the secret link of the offer page; only its hash is
// stored. Times in the festival's zone, in the reader's language.
import { offerEmailData } from "~/models/tattoo-waitlist-emails.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime, formatTime } from "~/utils/format";
import { isLocale, type Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { LinesEmail, linesText } from "./layout";

export type TattooWaitlistOfferPayload = { offerId: string; token: string };
type Offer = NonNullable<Awaited<ReturnType<typeof offerEmailData>>>;
export type TattooWaitlistOfferData = Offer & {
  offerUrl: string;
  time: string;
  until: string;
  minimum: string;
};

export async function load(payload: TattooWaitlistOfferPayload, locale: string) {
  const offer = await offerEmailData(payload.offerId);
  if (!offer) throw new Error(`tattoo offer ${payload.offerId} not found`);
  const lang = isLocale(locale) ? locale : "en";
  return {
    ...offer,
    time: formatDateTime(offer.startsAt, lang, offer.timezone),
    until: formatTime(offer.expiresAt, lang, offer.timezone),
    minimum: formatMoney(offer.minDonationMinor, offer.currency, lang),
    offerUrl: `${publicUrl()}/tattoo/offers/${payload.token}`,
  } satisfies TattooWaitlistOfferData;
}

export function subject(t: Translate, data: TattooWaitlistOfferData) {
  return t("email.tattooWaitlist.offerSubject", {
    artist: data.artistName,
    festival: data.festivalName,
  });
}

function lines(t: Translate, data: TattooWaitlistOfferData) {
  return [
    t("email.tattooWaitlist.offer", {
      artist: data.artistName,
      time: data.time,
      zone: data.timezone,
    }),
    ...(data.designTitle
      ? [t("email.tattooWaitlist.offerDesign", { design: data.designTitle })]
      : []),
    t("email.tattooWaitlist.offerMinimum", { amount: data.minimum }),
    t("email.tattooWaitlist.offerHeld", {
      minutes: data.offerMinutes,
      until: data.until,
      zone: data.timezone,
    }),
  ];
}

const link = (t: Translate, data: TattooWaitlistOfferData) => ({
  href: data.offerUrl,
  label: t("email.tattooWaitlist.offerLink"),
});

export function Html({
  t,
  lang,
  data,
}: {
  t: Translate;
  lang: string;
  data: TattooWaitlistOfferData;
}) {
  return (
    <LinesEmail lang={lang} title={subject(t, data)} lines={lines(t, data)} link={link(t, data)} />
  );
}

export function text(t: Translate, data: TattooWaitlistOfferData) {
  return linesText(lines(t, data), link(t, data));
}
