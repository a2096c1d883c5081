// Message lookup shared by the server, the browser and the email templates.
// Catalogs live in app/i18n/*.ts; messages use ICU syntax (plurals, selects).
import { IntlMessageFormat } from "intl-messageformat";
import { en, type MessageKey } from "~/i18n/en";
import { ru } from "~/i18n/ru";

export const LOCALES = ["en", "ru"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

const catalogs: Record<Locale, Record<MessageKey, string>> = { en, ru };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

export type MessageValues = Record<string, string | number | Date>;
/** A message lookup in one language; `locale` says which (for formatting values such as money). */
export type Translate = ((key: MessageKey, values?: MessageValues) => string) & {
  readonly locale?: Locale;
};

const formatters = new Map<string, IntlMessageFormat>();

/** Translate one message. Unknown keys cannot happen: keys are typed. */
export function translate(locale: Locale, key: MessageKey, values?: MessageValues): string {
  const source = catalogs[locale][key] ?? en[key];
  if (!values && !source.includes("{")) return source;
  const cacheKey = `${locale}\u0000${key}`;
  let formatter = formatters.get(cacheKey);
  if (!formatter) {
    formatter = new IntlMessageFormat(source, locale);
    formatters.set(cacheKey, formatter);
  }
  return String(formatter.format(values));
}

export function translator(locale: Locale): Translate {
  return Object.assign(
    (key: MessageKey, values?: MessageValues) => translate(locale, key, values),
    { locale },
  );
}

export type { MessageKey };
