// Sample data for every email template (decision 0049): what the organisers'
// preview page (admin.emails.tsx) renders in every language, and what a test
// email sent to oneself carries. Made up, never read from the database: a
// preview shows nobody's order, booking or address. Links point at PUBLIC_URL.
import type { OrderEmailData } from "./order-confirmation";
import type { TattooCancelledData } from "./tattoo-cancelled";
import type { TattooMovedData } from "./tattoo-moved";
import type { TattooReminderData } from "./tattoo-reminder";
import type { TattooWaitlistJoinedData } from "./tattoo-waitlist-joined";
import type { TattooWaitlistOfferData } from "./tattoo-waitlist-offer";
import type { InvitationData } from "./invitation";
import type { PasswordResetData } from "./password-reset";
import type { TemplateName } from "./index";
import { formatDate, formatDateTime, formatTime } from "~/utils/format";
import type { Locale } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";

/** The sample festival: an evening in Warsaw (19:00 there, UTC+1 in February). */
const FESTIVAL = {
  id: "sample-festival",
  slug: "sample-festival-warsaw",
  name: "Solidarity Festival Warsaw",
  city: "Warsaw",
  country: "PL",
  venueName: "Community hall",
  venueAddress: "Sample street 1, Warsaw",
  mapUrl: null,
  timezone: "Europe/Warsaw",
  currency: "PLN",
  startsAt: "2030-02-15T18:00:00.000Z",
  endsAt: "2030-02-15T22:00:00.000Z",
  languages: ["pl", "en", "ru"],
  description: { en: "Talks, music and tattoos for a donation." },
  status: "published" as const,
  poster: null,
};

const SLOT = { startsAt: "2030-02-15T19:00:00.000Z", endsAt: "2030-02-15T20:00:00.000Z" };

const names = {
  en: { prisoner: "Ivan Sample", type: "Standard", artist: "Masha Ink", design: "Swallow" },
  ru: { prisoner: "Иван Образцов", type: "Стандарт", artist: "Маша Инк", design: "Ласточка" },
  pl: { prisoner: "Jan Przykładowy", type: "Standardowy", artist: "Masza Ink", design: "Jaskółka" },
} satisfies Record<Locale, Record<string, string>>;

function base(publicUrl: string) {
  return {
    orderUrl: `${publicUrl}/orders/sample`,
    festivalUrl: `${publicUrl}/festivals/${FESTIVAL.slug}`,
  };
}

function order(lang: Locale, publicUrl: string, status: string): OrderEmailData {
  const n = names[lang];
  return {
    id: "sample-order",
    code: "K7QM-3RZP",
    accessToken: "sample",
    status,
    paymentMethod: "door",
    email: "buyer@example.org",
    name: null,
    locale: lang,
    currency: FESTIVAL.currency,
    totalMinor: 9000,
    createdAt: "2030-01-10T12:00:00.000Z",
    paidAt: null,
    holdExpiresAt: null,
    erasedAt: null,
    festival: FESTIVAL,
    items: [
      {
        id: "sample-item-1",
        kind: "ticket",
        name: n.type,
        quantity: 2,
        unitPriceMinor: 4000,
        amountMinor: 8000,
        prisonerName: null,
      },
      {
        id: "sample-item-2",
        kind: "donation",
        name: null,
        quantity: 1,
        unitPriceMinor: 1000,
        amountMinor: 1000,
        prisonerName: n.prisoner,
      },
    ],
    tickets: ["A", "B"].map((x) => ({
      id: `sample-ticket-${x}`,
      status: status === "confirmed" || status === "paid" ? "valid" : "revoked",
      typeName: n.type,
      amountDueMinor: 4000,
      qrToken: `T1.sample-ticket-${x}`,
      shortCode: x === "A" ? "K7QM3RZPXA" : "W4HN8TC2DB",
    })),
    ...base(publicUrl),
    lang,
    tattoos: [],
  };
}

function booking(lang: Locale, publicUrl: string) {
  const n = names[lang];
  return {
    orderItemId: "sample-tattoo",
    orderId: "sample-order",
    status: "booked",
    artistId: "sample-artist",
    artistName: n.artist,
    slotId: "sample-slot",
    ...SLOT,
    designTitle: n.design,
    donationMinor: 5000,
    dueMinor: 0,
    walkIn: false,
    accessToken: "sample",
    festival: {
      name: FESTIVAL.name,
      timezone: FESTIVAL.timezone,
      venueName: FESTIVAL.venueName,
      venueAddress: FESTIVAL.venueAddress,
    },
    orderUrl: `${publicUrl}/orders/sample`,
    lang,
  };
}

/** Each template's sample, as its `load` would have made it (the data its parts render). */
export function sampleData(template: TemplateName, lang: Locale, publicUrl: string): unknown {
  const n = names[lang];
  switch (template) {
    case "password-reset":
      return { resetUrl: `${publicUrl}/reset-password/sample` } satisfies PasswordResetData;
    case "invitation":
      return {
        inviteUrl: `${publicUrl}/invite/sample`,
        inviterName: "Olga",
        festivalName: FESTIVAL.name,
        role: "organiser",
      } satisfies InvitationData;
    case "order-confirmation":
      return order(lang, publicUrl, "confirmed") satisfies OrderEmailData;
    case "order-cancelled":
      return order(lang, publicUrl, "cancelled") satisfies OrderEmailData;
    case "tattoo-reminder":
      return booking(lang, publicUrl) satisfies TattooReminderData;
    case "tattoo-cancelled":
      return {
        ...booking(lang, publicUrl),
        status: "cancelled",
        outcome: "kept",
        amountMinor: 5000,
        currency: FESTIVAL.currency,
      } satisfies TattooCancelledData;
    case "tattoo-moved":
      return {
        ...booking(lang, publicUrl),
        fromStartsAt: "2030-02-15T21:00:00.000Z",
      } satisfies TattooMovedData;
    case "tattoo-waitlist-joined":
      return {
        day: "2030-02-15",
        artistName: n.artist,
        festivalName: FESTIVAL.name,
        designTitle: n.design,
        dayText: formatDate("2030-02-15T12:00:00Z", lang, "UTC"),
        leaveUrl: `${publicUrl}/tattoo/waitlist/sample/leave`,
      } satisfies TattooWaitlistJoinedData;
    case "tattoo-waitlist-offer":
      return {
        startsAt: SLOT.startsAt,
        expiresAt: "2030-02-15T18:30:00.000Z",
        artistName: n.artist,
        festivalName: FESTIVAL.name,
        timezone: FESTIVAL.timezone,
        currency: FESTIVAL.currency,
        venueName: FESTIVAL.venueName,
        minDonationMinor: 5000,
        designTitle: n.design,
        offerMinutes: 30,
        time: formatDateTime(SLOT.startsAt, lang, FESTIVAL.timezone),
        until: formatTime("2030-02-15T18:30:00.000Z", lang, FESTIVAL.timezone),
        minimum: formatMoney(5000, FESTIVAL.currency, lang),
        offerUrl: `${publicUrl}/tattoo/offers/sample`,
      } satisfies TattooWaitlistOfferData;
  }
}
