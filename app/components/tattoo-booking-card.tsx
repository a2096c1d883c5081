// One tattoo booking as its booker sees it (the order page): the artist, the
// design or "custom", the time in the festival's zone, the donation and where
// the booking stands. `actions` is where cancel / reschedule go.
import type { ReactNode } from "react";
import { formatDate, formatTime, zoneLabel } from "~/utils/format";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

export type TattooBookingCardData = {
  orderItemId: string;
  status: string;
  artistName: string;
  startsAt: string;
  endsAt: string;
  designTitle: string | null;
  donationMinor: number;
  dueMinor: number;
};

const STATUSES = ["held", "booked", "done", "no_show", "cancelled", "expired", "refunded"] as const;
type Status = (typeof STATUSES)[number];
const isStatus = (s: string): s is Status => (STATUSES as readonly string[]).includes(s);

export function TattooBookingCard({
  booking,
  currency,
  timezone,
  calendarHref,
  actions,
}: {
  booking: TattooBookingCardData;
  currency: string;
  timezone: string;
  /** The booking's own calendar file (while it stands). */
  calendarHref?: string;
  /** Buttons for this booking (cancel, reschedule), shown under it. */
  actions?: ReactNode;
}) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const status: Status = isStatus(booking.status) ? booking.status : "booked";
  const label =
    status === "booked" && booking.dueMinor > 0
      ? t("tattooBooking.status.due", { amount: money(booking.dueMinor) })
      : t(`tattooBooking.status.${status}`);
  const active = status === "held" || status === "booked" || status === "done";
  return (
    <li className="card tattoo-booking" id={`tattoo-${booking.orderItemId}`}>
      <h3>{t("tattooBooking.with", { artist: booking.artistName })}</h3>
      <p>
        <time dateTime={booking.startsAt}>
          {t("tattooBooking.when", {
            date: formatDate(booking.startsAt, locale, timezone),
            start: formatTime(booking.startsAt, locale, timezone),
            end: formatTime(booking.endsAt, locale, timezone),
            zone: t("festival.localTime", {
              zone: zoneLabel(booking.startsAt, locale, timezone),
            }),
          })}
        </time>
      </p>
      <p>
        {booking.designTitle
          ? t("tattooBooking.design", { title: booking.designTitle })
          : t("tattooBooking.custom")}
      </p>
      <p>{t("tattooBooking.donation", { amount: money(booking.donationMinor) })}</p>
      <p className={`badge tattoo-status-${status}${active ? "" : " muted"}`}>{label}</p>
      {calendarHref && (status === "held" || status === "booked") ? (
        <p>
          <a href={calendarHref} download>
            {t("tattooBooking.calendar")}
          </a>
        </p>
      ) : null}
      {actions ? <div className="tattoo-actions">{actions}</div> : null}
    </li>
  );
}
