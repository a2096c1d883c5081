// Dates, times and money for people: always through Intl, in the festival's
// time zone and currency, in the reader's language. Money is integer minor units.
import type { Locale } from "./i18n";

export function formatDateTime(date: Date | string, locale: Locale, timeZone: string) {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  }).format(new Date(date));
}

export function formatDate(date: Date | string, locale: Locale, timeZone: string) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(new Date(date));
}

export function formatTime(date: Date | string, locale: Locale, timeZone: string) {
  return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone }).format(new Date(date));
}

export function formatDateRange(
  start: Date | string,
  end: Date | string,
  locale: Locale,
  timeZone: string,
) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).formatRange(
    new Date(start),
    new Date(end),
  );
}

/** "GMT+2"-style label of a zone at a given moment, to show next to times. */
export function zoneLabel(date: Date | string, locale: Locale, timeZone: string) {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "shortOffset" })
    .formatToParts(new Date(date))
    .find((p) => p.type === "timeZoneName");
  return parts?.value ?? timeZone;
}

export function countryName(code: string, locale: Locale) {
  try {
    return new Intl.DisplayNames([locale], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function languageName(code: string, locale: Locale) {
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}
