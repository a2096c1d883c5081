import type { Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { EmailLayout } from "./layout";
import type { OrderEmailData } from "./order-confirmation";

// The same order view as the confirmation: the order, its festival and the link to it.
export { load } from "./order-confirmation";

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
