import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError } from "~/components/field";
import { OrderItems } from "~/components/order-items";
import { orderCardMoney } from "~/models/card-money.server";
import { isCancellable, orderStatusKey } from "~/models/choices";
import { getOrderView } from "~/models/order-view.server";
import { cancelOrRefundOrder } from "~/models/payment.server";
import { CASH_CHOICES, doorCashTaken, type CashChoice } from "~/models/cash.server";
import { doorOrderDue, markDoorOrderPaid, markPaidInput } from "~/models/door.server";
import { resendOrderTickets } from "~/models/order-emails.server";
import { DomainError } from "~/utils/domain-error";
import { RateLimitedError } from "~/utils/rate-limit.server";
import { formatTicketCode } from "~/utils/ticket-code";
import { orderNetIncome } from "~/models/ledger.server";
import { sqlClient } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import { confirmationError, field, readForm } from "~/utils/forms.server";
import { errorResponse, notFound } from "~/utils/http.server";
import { getLocale, getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

async function orderOfFestival(
  festivalId: string | undefined,
  orderId: string | undefined,
  locale: string,
) {
  const order =
    orderId && orderId.length <= 64 ? await getOrderView({ id: orderId }, locale) : null;
  // Another festival's order is as unknown as a missing one.
  if (!order || order.festival.id !== festivalId) throw notFound();
  return order;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const order = await orderOfFestival(params.id, params.orderId, await getLocale(request));
  const { accessToken: _link, ...rest } = order;
  const [cashTakenMinor, net] = await Promise.all([
    doorCashTaken(sqlClient(), order.id),
    orderNetIncome(sqlClient(), order.id),
  ]);
  const cardMoney = order.paymentMethod === "stripe" ? await orderCardMoney(order.id) : null;
  const canEdit = can(user, "festival:edit", order.festival.id);
  return {
    // What a door order still owes, for "mark paid" (organisers only; null: nothing to mark).
    markPaid:
      canEdit && order.paymentMethod === "door" ? await doorOrderDue(sqlClient(), order.id) : null,
    canResend:
      canEdit &&
      Boolean(order.email) &&
      (order.status === "confirmed" || order.status === "paid") &&
      order.tickets.some((x) => x.status === "valid"),
    order: { ...rest, tickets: order.tickets.map(({ qrToken: _q, ...t }) => t) },
    // A disputed card payment cannot be refunded (Stripe holds or took back the money).
    canRefund:
      can(user, "festival:edit", order.festival.id) &&
      isCancellable(order.status) &&
      cardMoney?.disputeStatus !== "open" &&
      cardMoney?.disputeStatus !== "lost",
    cardMoney,
    // What came in (net of what went back): a part-paid door order is never shown as paid in full.
    receivedMinor: net.reduce((sum, part) => sum + part.amountMinor, 0),
    cashTakenMinor,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:edit", params.id);
  const order = await orderOfFestival(params.id, params.orderId, "en");
  const form = await readForm(request);
  const intent = field(form, "intent");
  const { t } = await getTranslator(request);
  if (intent === "resend" || intent === "mark-paid")
    return orderAction(user, order, intent, form, t, await getLocale(request));
  if (intent !== "cancel") throw errorResponse(400, "bad_intent", "Unknown action.");
  const refused = confirmationError(form, t);
  if (refused) return data({ status: null, error: refused }, { status: 400 });
  // Door cash already taken: the organiser says whether it goes back or stays as a donation.
  const chosen = field(form, "cash");
  const cash = CASH_CHOICES.find((c) => c === chosen) as CashChoice | undefined;
  if (!cash && (await doorCashTaken(sqlClient(), order.id)) > 0)
    return data({ status: null, error: t("v.cashChoice") }, { status: 400 });
  try {
    const status = await cancelOrRefundOrder(user, order.id, new Date(), { cash });
    return { status, error: null };
  } catch (error) {
    if (error instanceof Response && error.status === 422)
      return data({ status: null, error: t("v.cashChoiceNotApplicable") }, { status: 422 });
    throw error;
  }
}

type ActionResult = { status: string | null; error: string | null; notice?: string };

/** Send the tickets again, or mark a door order paid: the domain's refusals shown on the page. */
async function orderAction(
  user: Awaited<ReturnType<typeof requireUserWith>>,
  order: Awaited<ReturnType<typeof orderOfFestival>>,
  intent: "resend" | "mark-paid",
  form: FormData,
  t: Awaited<ReturnType<typeof getTranslator>>["t"],
  locale: Awaited<ReturnType<typeof getLocale>>,
) {
  try {
    if (intent === "resend") {
      const { sentTo } = await resendOrderTickets(user, order.id);
      return { status: null, error: null, notice: t("order.resent", { email: sentTo }) };
    }
    const refused = confirmationError(form, t);
    if (refused) return data<ActionResult>({ status: null, error: refused }, { status: 400 });
    const amount = field(form, "amountMinor") ?? "";
    const parsed = markPaidInput.safeParse({
      amountMinor: /^\d{1,9}$/.test(amount) ? Number(amount) : Number.NaN,
      ...(field(form, "donation") ? { donation: field(form, "donation") } : {}),
    });
    if (!parsed.success)
      return data<ActionResult>({ status: null, error: t("v.amount") }, { status: 422 });
    const paid = await markDoorOrderPaid(user, order.id, parsed.data);
    return {
      status: null,
      error: null,
      notice: t("order.markedPaid", {
        amount: formatMoney(paid.amountMinor, paid.currency, locale),
      }),
    };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const message =
      error instanceof RateLimitedError
        ? t("order.tooOften")
        : error.code === "amount_changed"
          ? t("order.markPaidChanged")
          : error.code === "no_email"
            ? t("order.resendNoEmail")
            : t("order.actionRefused");
    return data<ActionResult>({ status: null, error: message }, { status: error.status });
  }
}

export default function OrderDetail() {
  const { order, canRefund, cardMoney, receivedMinor, cashTakenMinor, markPaid, canResend } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const tz = order.festival.timezone;
  const refund = order.paymentMethod === "stripe" && order.status === "paid";
  return (
    <>
      <p>
        <Link to={`/admin/festivals/${order.festival.id}/orders`}>← {t("orders.title")}</Link>
      </p>
      <h2>{t("order.adminTitle", { code: order.code })}</h2>
      {result?.status ? (
        <p role="status" className="notice">
          {t(`order.status.${result.status as "refunded"}`)}
        </p>
      ) : null}
      {result && "notice" in result && result.notice ? (
        <p role="status" className="notice" data-testid="order-notice">
          {result.notice}
        </p>
      ) : null}
      <p>
        <span className={`badge status-${order.status}`}>{t(orderStatusKey(order))}</span>{" "}
        {/* A free order says so once, not as its status and again as its payment method. */}
        {order.paymentMethod !== "free"
          ? `· ${t(`payment.${order.paymentMethod as "door"}`)} `
          : ""}
        · {formatDateTime(order.createdAt, locale, tz)}
      </p>
      <p>
        {order.name ?? (
          <span className="muted">{t(order.erasedAt ? "orders.erased" : "orders.anonymous")}</span>
        )}
        {order.email ? ` · ${order.email}` : ""}
      </p>
      <OrderItems items={order.items} totalMinor={order.totalMinor} currency={order.currency} />
      {order.paymentMethod === "door" && order.status === "confirmed" && receivedMinor > 0 ? (
        <p data-testid="order-received">
          {t("order.received", {
            received: formatMoney(receivedMinor, order.currency, locale),
            total: formatMoney(order.totalMinor, order.currency, locale),
          })}
        </p>
      ) : null}
      <h3>{t("order.tickets")}</h3>
      <ul>
        {order.tickets.map((ticket) => (
          <li key={ticket.id} className="mono">
            {ticket.shortCode ? `${formatTicketCode(ticket.shortCode)} — ` : ""}
            {ticket.id} — {ticket.typeName} —{" "}
            {ticket.status === "valid" ? t("orders.valid") : t("order.ticketRevoked")}
            {ticket.amountDueMinor > 0
              ? ` — ${t("order.dueAtDoor", { amount: formatMoney(ticket.amountDueMinor, order.currency, locale) })}`
              : ""}
          </li>
        ))}
      </ul>
      {cardMoney ? <CardMoney money={cardMoney} currency={order.currency} tz={tz} /> : null}
      <FormError error={result?.error} />
      {canResend ? (
        <Form method="post" className="inline-form">
          <button type="submit" name="intent" value="resend">
            {t("order.resend")}
          </button>
        </Form>
      ) : null}
      {markPaid ? (
        <ConfirmButton
          label={t("order.markPaid")}
          warning={t("order.markPaidWarning", {
            amount: formatMoney(
              markPaid.ticketsMinor + markPaid.donationMinor,
              order.currency,
              locale,
            ),
          })}
          confirmLabel={t("order.markPaidConfirm")}
          intent="mark-paid"
        >
          <input
            type="hidden"
            name="amountMinor"
            value={markPaid.ticketsMinor + markPaid.donationMinor}
          />
        </ConfirmButton>
      ) : null}
      {canRefund ? (
        refund ? (
          <ConfirmButton
            label={t("orders.refund")}
            warning={t("orders.refundWarning")}
            confirmLabel={t("orders.refundConfirm")}
            intent="cancel"
          />
        ) : (
          <ConfirmButton
            label={t("orders.cancel")}
            warning={t("orders.cancelWarning")}
            confirmLabel={t("orders.cancelConfirm")}
            intent="cancel"
          >
            {cashTakenMinor > 0 ? (
              <fieldset>
                <legend>
                  {t("orders.cashTaken", {
                    amount: formatMoney(cashTakenMinor, order.currency, locale),
                  })}
                </legend>
                <label>
                  <input type="radio" name="cash" value="return" required />{" "}
                  {t("orders.cashReturn")}
                </label>
                <label>
                  <input type="radio" name="cash" value="keep_as_donation" /> {t("orders.cashKeep")}
                </label>
              </fieldset>
            ) : null}
          </ConfirmButton>
        )
      ) : null}
    </>
  );
}

/** Stripe's side of the order: refunds and disputes made in Stripe, and payments that did not match. */
function CardMoney({
  money,
  currency,
  tz,
}: {
  money: NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["cardMoney"]>;
  currency: string;
  tz: string;
}) {
  const t = useT();
  const locale = useLocale();
  const shown =
    money.refundedMinor > 0 ||
    money.chargedBackMinor > 0 ||
    money.disputeStatus ||
    money.paymentProblems.length > 0;
  if (!shown) return null;
  return (
    <section aria-labelledby="card-money">
      <h3 id="card-money">{t("cardMoney.title")}</h3>
      <ul>
        {money.refundedMinor > 0 ? (
          <li>
            {t("cardMoney.refunded", {
              amount: formatMoney(money.refundedMinor, currency, locale),
            })}
          </li>
        ) : null}
        {money.chargedBackMinor > 0 ? (
          <li>
            {t("cardMoney.chargedBack", {
              amount: formatMoney(money.chargedBackMinor, currency, locale),
            })}
          </li>
        ) : null}
        {money.disputeStatus ? (
          <li className={`dispute-${money.disputeStatus}`}>
            {t("cardMoney.dispute", {
              status: t(`cardMoney.dispute.${money.disputeStatus as "open"}`),
            })}
          </li>
        ) : null}
      </ul>
      {money.paymentProblems.length > 0 ? (
        <>
          <h4>{t("cardMoney.problems")}</h4>
          <ul>
            {money.paymentProblems.map((p) => (
              <li key={p.stripeEventId} className="payment-problem">
                {t("cardMoney.mismatch", {
                  at: formatDateTime(p.createdAt, locale, tz),
                  received: formatMoney(p.receivedMinor, p.receivedCurrency, locale),
                  expected: formatMoney(p.expectedMinor, p.expectedCurrency, locale),
                })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
