// Message lookup shared by the server, the browser and the email templates.
// Catalogs live in app/i18n/*.ts; messages use ICU syntax (plurals, selects).
import { IntlMessageFormat } from "intl-messageformat";
import { catalogs } from "~/i18n/catalogs";
import { en, type MessageKey } from "~/i18n/en";

/** A language of the interface: a key of the registry in app/i18n/catalogs.ts. */
export type Locale = keyof typeof catalogs;
/** Every language of the interface, English first (the registry's order). */
export const LOCALES = Object.keys(catalogs) as [Locale, ...Locale[]];
/** The language of last resort: every catalog's keys are English's, and stored texts fall back to it. */
export const DEFAULT_LOCALE: Locale = "en";

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
  const source: string = catalogs[locale][key] ?? en[key];
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

/**
 * A per-language text (stored as JSON `{language: text}`, `"*"` for one text in
 * every language) in the reader's language, else the first of `preferred` that
 * has it (a festival's own languages), else the one for every language, else
 * English, else any. Says which language it is, so the page can mark it
 * (`lang`) when it is not the reader's.
 */
export function pickText(
  values: Readonly<Record<string, string>>,
  locale: string,
  preferred: readonly string[] = [],
): { text: string; language: string | null } | null {
  for (const language of [locale, ...preferred, "*", DEFAULT_LOCALE]) {
    const text = values[language];
    if (text) return { text, language: language === "*" ? null : language };
  }
  const first = Object.entries(values).find(([, text]) => Boolean(text));
  return first ? { text: first[1], language: first[0] === "*" ? null : first[0] } : null;
}
