// Dates, times and money for people: always through Intl, in the festival's
// time zone and currency, in the reader's language. Money is integer minor units.
import type { Locale } from "./i18n";

/**
 * Node's ICU and browsers' differ in which spaces they put in dates ("3:00\u202fPM",
 * "3\u2009–\u20094"); the page must read the same on the server and after hydration.
 */
function sameSpaces(text: string) {
  return text.replace(/[\u2009\u202f]/g, " ");
}

export function formatDateTime(date: Date | string, locale: Locale, timeZone: string) {
  const formatter = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  });
  return sameSpaces(formatter.format(new Date(date)));
}

export function formatDate(date: Date | string, locale: Locale, timeZone: string) {
  return sameSpaces(
    new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(new Date(date)),
  );
}

export function formatTime(date: Date | string, locale: Locale, timeZone: string) {
  return sameSpaces(
    new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone }).format(new Date(date)),
  );
}

export function formatDateRange(
  start: Date | string,
  end: Date | string,
  locale: Locale,
  timeZone: string,
) {
  const formatter = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone });
  return sameSpaces(formatter.formatRange(new Date(start), new Date(end)));
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
