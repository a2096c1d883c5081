// Amounts in several currencies, each formatted in the reader's language and
// never added together ("€45.00 · 5 000,00 ₽"); a dash for none.
import { formatMoney } from "~/utils/money";
import { useLocale } from "~/utils/use-t";

export function PerCurrency({ value }: { value: Record<string, number> }) {
  const locale = useLocale();
  const entries = Object.entries(value);
  if (entries.length === 0) return <>—</>;
  return <>{entries.map(([c, minor]) => formatMoney(minor, c, locale)).join(" · ")}</>;
}
