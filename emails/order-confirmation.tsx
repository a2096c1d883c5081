// Order confirmation (the ticket email): each ticket's QR code as an inline
// image (cid) and its short code to type at the door, the link to the order
// page, the festival's time in its own zone (named, with its UTC offset), the
// donation, and the festival as a calendar file (.ics, UTC times); each tattoo
// booking with its time in the festival's zone (named) and its own calendar
// file. Only the order's own data: never anyone else's booking.
import QRCode from "qrcode";
import { getOrderView, type OrderView } from "~/models/order-view.server";
import { orderTattoos, type TattooBookingView } from "~/models/tattoo-booking.server";
import { orderCalendarEvent } from "~/models/order-calendar";
import { tattooCalendarEvent } from "~/models/tattoo-calendar";
import { publicUrl } from "~/utils/env.server";
import {
  formatDateRange,
  formatDateTime,
  formatTime,
  utcOffsetLabel,
  zoneLabel,
} from "~/utils/format";
import { calendarFile } from "~/utils/ics";
import { isLocale, type Locale, type Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { formatTicketCode } from "~/utils/ticket-code";
import { EmailLayout } from "./layout";

export type OrderEmailPayload = { orderId: string };
export type OrderEmailData = OrderView & {
  orderUrl: string;
  festivalUrl: string;
  lang: Locale;
  /** The order's tattoo bookings that stand (held or booked), soonest first. */
  tattoos: TattooBookingView[];
};

export async function load(payload: OrderEmailPayload, locale: string): Promise<OrderEmailData> {
  const view = await getOrderView({ id: payload.orderId }, locale);
  if (!view) throw new Error(`order ${payload.orderId} not found`);
  const tattoos = (await orderTattoos(view.id)).filter(
    (b) => b.status === "booked" || b.status === "held",
  );
  return {
    ...view,
    orderUrl: `${publicUrl()}/orders/${view.accessToken}`,
    festivalUrl: `${publicUrl()}/festivals/${view.festival.slug}`,
    lang: isLocale(locale) ? locale : "en",
    tattoos,
  };
}

/** A tattoo booking's calendar file: its slot in UTC, the artist, the festival's venue. */
export function tattooCalendar(data: OrderEmailData, booking: TattooBookingView, now = new Date()) {
  return calendarFile(
    [
      tattooCalendarEvent({
        booking,
        festival: data.festival,
        festivalUrl: data.festivalUrl,
        currency: data.currency,
        lang: data.lang,
      }),
    ],
    now,
  );
}

/** "13 June 2026, 14:00 (Europe/Riga time, GMT+3)": the festival's own clock, named. */
export function tattooTime(t: Translate, data: OrderEmailData, booking: TattooBookingView) {
  const zone = data.festival.timezone;
  return t("email.order.tattooTime", {
    time: `${formatDateTime(booking.startsAt, data.lang, zone)}–${formatTime(booking.endsAt, data.lang, zone)}`,
    zone,
    offset: zoneLabel(booking.startsAt, data.lang, zone),
  });
}

function tattooLines(t: Translate, data: OrderEmailData, booking: TattooBookingView) {
  return [
    tattooTime(t, data, booking),
    booking.designTitle
      ? t("tattooBooking.design", { title: booking.designTitle })
      : t("tattooBooking.custom"),
    booking.dueMinor > 0
      ? t("tattooBooking.status.due", {
          amount: formatMoney(booking.dueMinor, data.currency, data.lang),
        })
      : t("tattooBooking.donation", {
          amount: formatMoney(booking.donationMinor, data.currency, data.lang),
        }),
  ];
}

/** The festival as a calendar file: the same event as the order page's download. */
export function festivalCalendar(data: OrderEmailData, now = new Date()) {
  return calendarFile(
    [
      orderCalendarEvent({
        orderId: data.id,
        festival: data.festival,
        festivalUrl: data.festivalUrl,
      }),
    ],
    now,
  );
}

/** The donation lines: "Your donation: €5.00, for Ivan P." (or for the support fund). */
export function donationLines(t: Translate, data: OrderEmailData) {
  return data.items
    .filter((i) => i.kind === "donation" && i.amountMinor > 0)
    .map((i) => {
      const amount = formatMoney(i.amountMinor, data.currency, data.lang);
      return i.prisonerName
        ? t("email.order.donationFor", { amount, prisoner: i.prisonerName })
        : t("email.order.donation", { amount });
    });
}

/** A ticket's short code line, or null for a ticket issued before codes existed. */
function codeLine(t: Translate, ticket: OrderEmailData["tickets"][number]) {
  return ticket.status === "valid" && ticket.shortCode
    ? `${t("order.ticketCode")} ${formatTicketCode(ticket.shortCode)}`
    : null;
}

export function cid(ticketId: string) {
  return `ticket-${ticketId}@festival`;
}

export async function attachments(data: OrderEmailData) {
  const out = [];
  // CPU-heavy (a PNG per ticket): runs in the email render thread, off the
  // request event loop (app/utils/email-render.server.ts).
  for (const t of data.tickets.filter((x) => x.status === "valid")) {
    out.push({
      filename: `ticket-${t.id}.png`,
      content: await QRCode.toBuffer(t.qrToken, {
        errorCorrectionLevel: "M",
        margin: 2,
        width: 360,
      }),
      contentType: "image/png",
      cid: cid(t.id),
    });
  }
  for (const booking of data.tattoos)
    out.push({
      filename: `tattoo-${booking.orderItemId}.ics`,
      content: Buffer.from(tattooCalendar(data, booking), "utf8"),
      contentType: "text/calendar; charset=utf-8; method=PUBLISH",
    });
  // The festival itself, last (after each tattoo's own).
  if (data.tickets.some((x) => x.status === "valid"))
    out.push({
      filename: `${data.festival.slug}.ics`,
      content: Buffer.from(festivalCalendar(data), "utf8"),
      contentType: "text/calendar; charset=utf-8; method=PUBLISH",
    });
  return out;
}

export function subject(t: Translate, data: OrderEmailData) {
  return t("email.order.subject", { festival: data.festival.name, code: data.code });
}

/** "26 January 2030, 15:00–23:00 (Europe/Riga, UTC+2)": the festival's own clock, named. */
function when(t: Translate, data: OrderEmailData) {
  const f = data.festival;
  return t("email.order.when", {
    dates: formatDateRange(f.startsAt, f.endsAt, data.lang, f.timezone),
    start: formatTime(f.startsAt, data.lang, f.timezone),
    end: formatTime(f.endsAt, data.lang, f.timezone),
    zone: f.timezone,
    offset: utcOffsetLabel(f.startsAt, f.timezone),
  });
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: OrderEmailData }) {
  const f = data.festival;
  return (
    <EmailLayout lang={lang} title={subject(t, data)}>
      <h1 style={{ fontSize: 22 }}>{f.name}</h1>
      <p>
        {when(t, data)}
        <br />
        {f.venueName}, {f.venueAddress}
      </p>
      <p>
        {t("email.order.intro", { code: data.code })}{" "}
        <strong>{formatMoney(data.totalMinor, data.currency, lang)}</strong>
      </p>
      {data.paymentMethod === "door" ? <p>{t("email.order.payAtDoor")}</p> : null}
      {donationLines(t, data).map((line) => (
        <p key={line}>{line}</p>
      ))}
      {data.tickets.map((ticket) => (
        <div
          key={ticket.id}
          style={{ margin: "16px 0", padding: 12, border: "1px solid #ddd", borderRadius: 8 }}
        >
          <p style={{ margin: 0 }}>
            <strong>{ticket.typeName}</strong>
            {ticket.amountDueMinor > 0
              ? ` — ${t("order.dueAtDoor", { amount: formatMoney(ticket.amountDueMinor, data.currency, lang) })}`
              : ""}
          </p>
          <img src={`cid:${cid(ticket.id)}`} alt={t("order.qrAlt")} width={240} height={240} />
          {codeLine(t, ticket) ? (
            <p style={{ margin: 0, fontFamily: "monospace", fontSize: 18 }}>
              {codeLine(t, ticket)}
            </p>
          ) : null}
        </div>
      ))}
      {data.tattoos.length > 0 ? (
        <>
          <h2 style={{ fontSize: 18 }}>{t("email.order.tattoos")}</h2>
          {data.tattoos.map((booking) => (
            <div
              key={booking.orderItemId}
              style={{ margin: "16px 0", padding: 12, border: "1px solid #ddd", borderRadius: 8 }}
            >
              <p style={{ margin: 0 }}>
                <strong>{t("tattooBooking.with", { artist: booking.artistName })}</strong>
              </p>
              {tattooLines(t, data, booking).map((line) => (
                <p key={line} style={{ margin: "4px 0" }}>
                  {line}
                </p>
              ))}
            </div>
          ))}
          <p>{t("email.order.tattooCalendar")}</p>
        </>
      ) : null}
      {data.tickets.some((x) => x.status === "valid") ? <p>{t("email.order.calendar")}</p> : null}
      <p>
        <a href={data.orderUrl}>{t("email.order.link")}</a>
      </p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: OrderEmailData) {
  const f = data.festival;
  return [
    f.name,
    when(t, data),
    `${f.venueName}, ${f.venueAddress}`,
    "",
    `${t("email.order.intro", { code: data.code })} ${formatMoney(data.totalMinor, data.currency, data.lang)}`,
    ...(data.paymentMethod === "door" ? [t("email.order.payAtDoor")] : []),
    ...donationLines(t, data),
    "",
    ...data.tickets.flatMap((ticket) => {
      const code = codeLine(t, ticket);
      return [`- ${ticket.typeName}`, ...(code ? [`  ${code}`] : [])];
    }),
    ...(data.tattoos.length
      ? [
          "",
          t("email.order.tattoos"),
          ...data.tattoos.flatMap((booking) => [
            `- ${t("tattooBooking.with", { artist: booking.artistName })}`,
            ...tattooLines(t, data, booking).map((line) => `  ${line}`),
          ]),
          t("email.order.tattooCalendar"),
        ]
      : []),
    ...(data.tickets.some((x) => x.status === "valid") ? ["", t("email.order.calendar")] : []),
    "",
    `${t("email.order.link")}: ${data.orderUrl}`,
  ].join("\n");
}
