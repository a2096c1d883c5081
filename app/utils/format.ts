// Dates, times and money for people: always through Intl, in the festival's
// time zone and currency, in the reader's language. Money is integer minor units.
import type { Locale } from "./i18n";
import { dateTimeFormat, displayNames } from "./intl";

/**
 * Node's ICU and browsers' differ in which spaces they put in dates ("3:00\u202fPM",
 * "3\u2009–\u20094"); the page must read the same on the server and after hydration.
 */
function sameSpaces(text: string) {
  return text.replace(/[\u2009\u202f]/g, " ");
}

export function formatDateTime(date: Date | string, locale: Locale, timeZone: string) {
  const formatter = dateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone });
  return sameSpaces(formatter.format(new Date(date)));
}

export function formatDate(date: Date | string, locale: Locale, timeZone: string) {
  return sameSpaces(dateTimeFormat(locale, { dateStyle: "long", timeZone }).format(new Date(date)));
}

export function formatTime(date: Date | string, locale: Locale, timeZone: string) {
  return sameSpaces(
    dateTimeFormat(locale, { timeStyle: "short", timeZone }).format(new Date(date)),
  );
}

export function formatDateRange(
  start: Date | string,
  end: Date | string,
  locale: Locale,
  timeZone: string,
) {
  const formatter = dateTimeFormat(locale, { dateStyle: "long", timeZone });
  return sameSpaces(formatter.formatRange(new Date(start), new Date(end)));
}

/**
 * "UTC+1", "UTC+5:30", "UTC-3" or "UTC": a zone's offset from UTC at a given
 * moment, the same in every language (emails: "19:00 (Europe/Warsaw, UTC+1)").
 */
export function utcOffsetLabel(date: Date | string, timeZone: string) {
  const name =
    dateTimeFormat("en", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(new Date(date))
      .find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /^GMT([+\u2212-])(\d{2}):(\d{2})$/.exec(name);
  if (!m) return "UTC";
  const sign = m[1] === "+" ? "+" : "-";
  const hours = String(Number(m[2]));
  if (hours === "0" && m[3] === "00") return "UTC";
  return `UTC${sign}${hours}${m[3] === "00" ? "" : `:${m[3]}`}`;
}

/** "GMT+2"-style label of a zone at a given moment, to show next to times. */
export function zoneLabel(date: Date | string, locale: Locale, timeZone: string) {
  const parts = dateTimeFormat(locale, { timeZone, timeZoneName: "shortOffset" })
    .formatToParts(new Date(date))
    .find((p) => p.type === "timeZoneName");
  return parts?.value ?? timeZone;
}

export function countryName(code: string, locale: Locale) {
  try {
    return displayNames(locale, { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function languageName(code: string, locale: Locale) {
  try {
    return displayNames(locale, { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}
