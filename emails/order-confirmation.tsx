// Order confirmation: each ticket's QR code as an inline image (cid), the link
// to the order page, the festival's time in its own zone.
import QRCode from "qrcode";
import { getOrderView, type OrderView } from "~/models/order-view.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateRange, formatTime } from "~/utils/format";
import { isLocale, type Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { EmailLayout } from "./layout";

export type OrderEmailPayload = { orderId: string };
export type OrderEmailData = OrderView & { orderUrl: string; lang: "en" | "ru" };

export async function load(payload: OrderEmailPayload, locale: string): Promise<OrderEmailData> {
  const view = await getOrderView({ id: payload.orderId }, locale);
  if (!view) throw new Error(`order ${payload.orderId} not found`);
  return {
    ...view,
    orderUrl: `${publicUrl()}/orders/${view.accessToken}`,
    lang: isLocale(locale) ? locale : "en",
  };
}

export function cid(ticketId: string) {
  return `ticket-${ticketId}@festival`;
}

export async function attachments(data: OrderEmailData) {
  const out = [];
  // One QR at a time, yielding in between: an order of 50 tickets must not hold
  // the event loop (and the door's verdicts) for the whole rendering.
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
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

export function subject(t: Translate, data: OrderEmailData) {
  return t("email.order.subject", { festival: data.festival.name, code: data.code });
}

function when(data: OrderEmailData) {
  const f = data.festival;
  return `${formatDateRange(f.startsAt, f.endsAt, data.lang, f.timezone)}, ${formatTime(f.startsAt, data.lang, f.timezone)}–${formatTime(f.endsAt, data.lang, f.timezone)}`;
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: OrderEmailData }) {
  const f = data.festival;
  return (
    <EmailLayout lang={lang} title={subject(t, data)}>
      <h1 style={{ fontSize: 22 }}>{f.name}</h1>
      <p>
        {when(data)}
        <br />
        {f.venueName}, {f.venueAddress}
      </p>
      <p>
        {t("email.order.intro", { code: data.code })}{" "}
        <strong>{formatMoney(data.totalMinor, data.currency, lang)}</strong>
      </p>
      {data.paymentMethod === "door" ? <p>{t("email.order.payAtDoor")}</p> : null}
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
        </div>
      ))}
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
    when(data),
    `${f.venueName}, ${f.venueAddress}`,
    "",
    `${t("email.order.intro", { code: data.code })} ${formatMoney(data.totalMinor, data.currency, data.lang)}`,
    ...(data.paymentMethod === "door" ? [t("email.order.payAtDoor")] : []),
    "",
    ...data.tickets.map((ticket) => `- ${ticket.typeName}`),
    "",
    `${t("email.order.link")}: ${data.orderUrl}`,
  ].join("\n");
}
