// What an order holds and its total (the buyer's page and the organiser's detail).
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

type Item = {
  id: string;
  kind: string;
  name: string | null;
  quantity: number;
  amountMinor: number;
  prisonerName: string | null;
};

export function OrderItems({
  items,
  totalMinor,
  currency,
}: {
  items: Item[];
  totalMinor: number;
  currency: string;
}) {
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            {item.kind === "donation"
              ? t("order.donation")
              : item.kind === "tattoo_slot"
                ? t("order.tattoo", { name: item.name ?? "" })
                : item.name}{" "}
            × {item.quantity} — {formatMoney(item.amountMinor, currency, locale)}
            {item.prisonerName ? ` (${t("order.for", { name: item.prisonerName })})` : ""}
          </li>
        ))}
      </ul>
      <p>
        <strong>
          {t("order.total")}: {formatMoney(totalMinor, currency, locale)}
        </strong>
      </p>
    </>
  );
}
