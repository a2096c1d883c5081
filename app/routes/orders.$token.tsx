import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useSearchParams } from "@remix-run/react";
import QRCode from "qrcode";
import { OrderItems } from "~/components/order-items";
import { orderStatusKey } from "~/models/choices";
import { getOrderView } from "~/models/order-view.server";
import { formatDateRange, formatTime, zoneLabel } from "~/utils/format";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.order.code} — ${data.order.festival.name}` : "Order" },
  // The link is the secret: keep it out of search engines and referrers.
  { name: "robots", content: "noindex" },
  ...(data?.order.status === "pending" ? [{ httpEquiv: "refresh", content: "3" } as const] : []),
];

/**
 * The buyer's order and ticket page, reached by the unguessable link from the
 * email. It only shows the order's real state: it never fulfils by itself.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const locale = await getLocale(request);
  const order = await getOrderView({ accessToken: params.token ?? "" }, locale);
  if (!order) throw notFound();
  const qrCodes = Object.fromEntries(
    await Promise.all(
      order.tickets
        .filter((t) => t.status === "valid" && order.status !== "pending")
        .map(
          async (t) =>
            [
              t.id,
              await QRCode.toDataURL(t.qrToken, {
                errorCorrectionLevel: "M",
                margin: 2,
                width: 480,
              }),
            ] as const,
        ),
    ),
  );
  const { email: _email, ...safe } = order;
  return { order: { ...safe, tickets: safe.tickets.map(({ qrToken: _q, ...t }) => t) }, qrCodes };
}

export default function OrderPage() {
  const { order, qrCodes } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const f = order.festival;
  const status = order.status as
    "pending" | "confirmed" | "paid" | "expired" | "cancelled" | "refunded";
  return (
    <section className="order">
      <p className="eyebrow">{f.name}</p>
      <h1>{t("order.title", { code: order.code })}</h1>
      <p className={`badge status-${status}`} role="status">
        {t(orderStatusKey(order))}
      </p>
      {status === "pending" ? (
        <p className="notice">
          {params.get("checkout") === "cancelled" && order.holdExpiresAt
            ? t("order.checkoutCancelled", {
                time: formatTime(order.holdExpiresAt, locale, f.timezone),
              })
            : t("order.waiting")}
        </p>
      ) : null}
      <p>
        {formatDateRange(f.startsAt, f.endsAt, locale, f.timezone)},{" "}
        {formatTime(f.startsAt, locale, f.timezone)}–{formatTime(f.endsAt, locale, f.timezone)}{" "}
        <span className="muted">
          ({t("festival.localTime", { zone: zoneLabel(f.startsAt, locale, f.timezone) })})
        </span>
        <br />
        {f.venueName}, {f.venueAddress}
      </p>
      <h2>{t("order.items")}</h2>
      <OrderItems items={order.items} totalMinor={order.totalMinor} currency={order.currency} />
      {order.tickets.length > 0 && status !== "pending" ? (
        <>
          <h2>{t("order.tickets")}</h2>
          <p className="hint">{t("order.showAtDoor")}</p>
          <ol className="tickets">
            {order.tickets.map((ticket) => (
              <li key={ticket.id} id={`ticket-${ticket.id}`} className="card ticket">
                <p>
                  <strong>{ticket.typeName}</strong>
                  {ticket.amountDueMinor > 0
                    ? ` — ${t("order.dueAtDoor", { amount: formatMoney(ticket.amountDueMinor, order.currency, locale) })}`
                    : ""}
                </p>
                {ticket.status === "valid" && qrCodes[ticket.id] ? (
                  <img
                    className="qr"
                    src={qrCodes[ticket.id]}
                    alt={t("order.qrAlt")}
                    width={320}
                    height={320}
                  />
                ) : (
                  <p className="badge danger">{t("order.ticketRevoked")}</p>
                )}
              </li>
            ))}
          </ol>
          <p>
            <a href={`/orders/${order.accessToken}/calendar.ics`} download>
              {t("order.calendar")}
            </a>
          </p>
        </>
      ) : null}
    </section>
  );
}
