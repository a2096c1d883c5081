import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import {
  Form,
  Link,
  Outlet,
  useActionData,
  useLoaderData,
  useSearchParams,
} from "@remix-run/react";
import QRCode from "qrcode";
import { OrderItems } from "~/components/order-items";
import { TattooBookingActions } from "~/components/tattoo-booking-actions";
import { TattooBookingCard } from "~/components/tattoo-booking-card";
import { orderStatusKey } from "~/models/choices";
import { getOrderView } from "~/models/order-view.server";
import { orderTattoos } from "~/models/tattoo-booking.server";
import { eraseOrderOnRequest, erasurePlan, retentionDays } from "~/models/privacy.server";
import { tattooManageViews } from "~/models/tattoo-manage.server";
import { DomainError } from "~/utils/domain-error";
import { field, readForm } from "~/utils/forms.server";
import { formatDateRange, formatTime, zoneLabel } from "~/utils/format";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";
import { formatTicketCode } from "~/utils/ticket-code";

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
  return {
    order: { ...safe, tickets: safe.tickets.map(({ qrToken: _q, ...t }) => t) },
    qrCodes,
    tattoos: await orderTattoos(order.id),
    erasure: await erasurePlan(order.accessToken),
    retentionDays: retentionDays(),
    // What the booker may still do with each tattoo booking (cancel, move), and why not.
    tattooManage: await tattooManageViews(order.accessToken),
  };
}

/**
 * The buyer asks for their personal data to be erased (after the confirmation
 * step, `?erase=1`). Before the festival's end this cancels the order first.
 * The link stops working, so the answer is a page of its own.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  if (field(form, "intent") !== "erase") return data({ error: "bad_intent" }, { status: 400 });
  // Only the confirmation step sends this (see confirm-button.tsx for the rule).
  if (field(form, "confirm") !== "yes") return data({ error: "confirm_required" }, { status: 400 });
  try {
    const { cancelled } = await eraseOrderOnRequest(params.token ?? "");
    return redirect(cancelled ? "/orders/erased?cancelled=1" : "/orders/erased");
  } catch (error) {
    // The refund failed (503) or the order changed meanwhile (409): nothing was erased.
    if (error instanceof DomainError && (error.status === 503 || error.status === 409))
      return data({ error: error.code }, { status: error.status });
    throw error;
  }
}

export default function OrderPage() {
  const { order, qrCodes, tattoos, erasure, retentionDays, tattooManage } =
    useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
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
                {ticket.status === "valid" && ticket.shortCode ? (
                  <p className="ticket-code">
                    {t("order.ticketCode")}{" "}
                    <strong className="mono" data-testid="ticket-code">
                      {formatTicketCode(ticket.shortCode)}
                    </strong>
                  </p>
                ) : null}
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
      {tattoos.length > 0 ? (
        <section id="tattoo-manage">
          <h2>{t("tattooBooking.title")}</h2>
          {params.get("tattoo") === "cancelled" || params.get("tattoo") === "moved" ? (
            <p className="notice" role="status">
              {t(
                params.get("tattoo") === "cancelled"
                  ? "tattooManage.cancelled"
                  : "tattooManage.moved",
              )}
            </p>
          ) : null}
          {/* A refused cancel or move (orders.$token.tattoo.$itemId) shows here. */}
          <Outlet />
          <ol className="tattoo-bookings">
            {tattoos.map((booking) => {
              const manage = tattooManage.find((m) => m.orderItemId === booking.orderItemId);
              return (
                <TattooBookingCard
                  key={booking.orderItemId}
                  booking={booking}
                  currency={order.currency}
                  timezone={f.timezone}
                  calendarHref={`/orders/${order.accessToken}/tattoo/${booking.orderItemId}/calendar.ics`}
                  actions={
                    manage ? (
                      <TattooBookingActions
                        token={order.accessToken}
                        view={manage}
                        timezone={f.timezone}
                        currency={order.currency}
                      />
                    ) : undefined
                  }
                />
              );
            })}
          </ol>
        </section>
      ) : null}
      {erasure ? (
        <Erasure
          plan={erasure}
          confirming={params.get("erase") === "1" || Boolean(failed)}
          error={failed?.error ?? null}
          retentionDays={retentionDays}
          token={order.accessToken}
        />
      ) : null}
    </section>
  );
}

/** "Erase my personal data", with a confirmation step that needs no JavaScript (`?erase=1`). */
function Erasure({
  plan,
  confirming,
  error,
  retentionDays,
  token,
}: {
  plan: { cancels: boolean; refunds: boolean; allowed: boolean };
  confirming: boolean;
  error: string | null;
  retentionDays: number;
  token: string;
}) {
  const t = useT();
  if (!confirming)
    return (
      <p className="erase">
        <Link to="?erase=1" preventScrollReset>
          {t("order.erase.link")}
        </Link>
      </p>
    );
  return (
    <div className="card erase" id="erase">
      <h2>{t("order.erase.title")}</h2>
      {error ? (
        <p className="field-error" role="alert">
          {t(error === "payment_unavailable" ? "order.erase.unavailable" : "order.erase.changed")}
        </p>
      ) : null}
      {!plan.allowed ? (
        <p>{t("order.erase.used")}</p>
      ) : (
        <>
          <p>{t(plan.cancels ? "order.erase.cancels" : "order.erase.after")}</p>
          {plan.refunds ? <p>{t("order.erase.refunds")}</p> : null}
        </>
      )}
      <p className="hint">{t("order.erase.retention", { days: retentionDays })}</p>
      {plan.allowed ? (
        <Form method="post" action={`/orders/${token}`}>
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" name="intent" value="erase" className="danger">
            {t(plan.cancels ? "order.erase.confirmCancel" : "order.erase.confirm")}
          </button>{" "}
          <Link to=".">{t("order.erase.back")}</Link>
        </Form>
      ) : (
        <p>
          <Link to=".">{t("order.erase.back")}</Link>
        </p>
      )}
    </div>
  );
}
