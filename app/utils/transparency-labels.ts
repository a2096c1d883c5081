// Labels of the public transparency reports (shared by the pages and the chart):
// income families, cost categories and payout purposes through the catalog; an
// unknown code is shown as it is (the codes are the app's own, never input).
import type { MessageKey } from "~/i18n/en";
import type { Locale, Translate } from "./i18n";
import { dateTimeFormat } from "./intl";

const INCOME: Record<string, MessageKey> = {
  ticket: "transparency.cat.ticket",
  donation: "transparency.cat.donation",
  tattoo: "transparency.cat.tattoo",
  other: "transparency.cat.other",
};
const COSTS: Record<string, MessageKey> = {
  venue: "transparency.cost.venue",
  equipment: "transparency.cost.equipment",
  travel: "transparency.cost.travel",
  printing: "transparency.cost.printing",
  other: "transparency.cost.other",
};
const PURPOSES: Record<string, MessageKey> = {
  lawyer: "transparency.purpose.lawyer",
  prison_visit: "transparency.purpose.prison_visit",
  parcels_letters: "transparency.purpose.parcels_letters",
  commissary: "transparency.purpose.commissary",
  fine: "transparency.purpose.fine",
  family_support: "transparency.purpose.family_support",
  other: "transparency.purpose.other",
};

const label = (table: Record<string, MessageKey>) => (t: Translate, code: string) => {
  const key = Object.hasOwn(table, code) ? table[code] : undefined;
  return key ? t(key) : code;
};

export const incomeLabel = label(INCOME);
export const costLabel = label(COSTS);
export const purposeLabel = label(PURPOSES);

/** "December 2026" / "декабрь 2026 г." for "2026-12" (a UTC month). */
export function monthLabel(month: string, locale: Locale): string {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  const text = dateTimeFormat(locale, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, mon - 1, 1)));
  return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);
}

/** The month before or after "YYYY-MM". */
export function shiftMonth(month: string, by: number): string {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  const d = new Date(Date.UTC(year, mon - 1 + by, 1));
  return d.toISOString().slice(0, 7);
}
