import { getOrderView } from "~/models/order-view.server";
import type { Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { EmailLayout } from "./layout";
import type { OrderEmailData, OrderEmailPayload } from "./order-confirmation";
import { publicUrl } from "~/utils/env.server";
import { isLocale } from "~/utils/i18n";

export async function load(payload: OrderEmailPayload, locale: string): Promise<OrderEmailData> {
  const view = await getOrderView({ id: payload.orderId }, locale);
  if (!view) throw new Error(`order ${payload.orderId} not found`);
  return {
    ...view,
    orderUrl: `${publicUrl()}/orders/${view.accessToken}`,
    lang: isLocale(locale) ? locale : "en",
  };
}

export function subject(t: Translate, data: OrderEmailData) {
  return t(data.status === "refunded" ? "email.cancel.subjectRefunded" : "email.cancel.subject", {
    festival: data.festival.name,
    code: data.code,
  });
}

function body(t: Translate, data: OrderEmailData) {
  return data.status === "refunded"
    ? t("email.cancel.refunded", {
        code: data.code,
        amount: formatMoney(data.totalMinor, data.currency, data.lang),
      })
    : t("email.cancel.cancelled", { code: data.code });
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: OrderEmailData }) {
  return (
    <EmailLayout lang={lang} title={subject(t, data)}>
      <p>{body(t, data)}</p>
      <p>{t("email.cancel.ticketsRevoked")}</p>
      <p>
        <a href={data.orderUrl}>{t("email.order.link")}</a>
      </p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: OrderEmailData) {
  return [
    body(t, data),
    "",
    t("email.cancel.ticketsRevoked"),
    "",
    `${t("email.order.link")}: ${data.orderUrl}`,
  ].join("\n");
}
